// The contacts API's shapes, as the server's views write them (server/views.ts).

export const PERM = {
  view: 'contacts.contact.view',
  create: 'contacts.contact.create',
  update: 'contacts.contact.update',
  delete: 'contacts.contact.delete',
  import: 'contacts.contact.import',
  export: 'contacts.contact.export',
  merge: 'contacts.contact.merge',
  segments: 'contacts.segment.manage',
  attributes: 'contacts.attribute.manage',
} as const

export type AttributeType = 'text' | 'number' | 'date' | 'select' | 'boolean'
export type AttributeValue = string | number | boolean

export interface Label {
  id: string
  name: string
  color: string | null
  /** Only in GET /labels. */
  contacts?: number
}

export interface Attribute {
  id: string
  key: string
  label: string
  type: AttributeType
  options: string[] | null
  required: boolean
}

export interface Contact {
  id: string
  name: string | null
  phone: string
  email: string | null
  attributes: Record<string, AttributeValue>
  labels: Label[]
  optedOut: boolean
  optedOutAt: string | null
  lastContactedAt: string | null
  createdAt: string
  updatedAt: string
}

export interface Note {
  id: string
  contactId: string
  body: string
  authorId: string | null
  createdAt: string
}

export interface ConsentEvent {
  id: string
  status: 'opted_in' | 'opted_out'
  source: string
  detail: string | null
  actorId: string | null
  at: string
}

export type AttributeOp = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'contains' | 'in' | 'set' | 'unset'

export interface SegmentFilter {
  labels?: { any?: string[]; all?: string[]; none?: string[] }
  attributes?: { key: string; op: AttributeOp; value?: AttributeValue | AttributeValue[] }[]
  optedOut?: boolean
  lastContacted?: { withinDays?: number; olderThanDays?: number; never?: boolean }
  createdWithinDays?: number
  q?: string
}

export interface Segment {
  id: string
  name: string
  filter: SegmentFilter
  createdAt: string
  updatedAt: string
}

export interface SegmentCount {
  count: number
  reachable: number
}

export interface ImportState {
  id: string
  status: 'queued' | 'running' | 'completed' | 'failed'
  filename: string
  format: 'csv' | 'xlsx'
  onDuplicate: 'update' | 'skip'
  totalRows: number | null
  processed: number
  imported: number
  updated: number
  skipped: number
  errorCount: number
  /** Only in GET /imports/:id. */
  errors?: { row: number; reason: string }[]
  errorsTruncated?: boolean
  failure: { code: string; message: string } | null
  createdAt: string
  startedAt: string | null
  finishedAt: string | null
}

export type ImportTarget = 'name' | 'phone' | 'email' | 'labels' | 'ignore' | `attributes.${string}`

export interface ImportPreview {
  format: 'csv' | 'xlsx'
  /** null for a CSV (only its beginning is read). */
  totalRows: number | null
  columns: { header: string; target: ImportTarget; samples: string[] }[]
}

export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

/** The table's filters, which are also the list's and the export's query. */
export interface ListFilters {
  q: string
  label: string
  segment: string
  /** '' any, 'false' reachable, 'true' opted out */
  optedOut: '' | 'true' | 'false'
}

export const ATTRIBUTE_OPS: Record<AttributeType, AttributeOp[]> = {
  text: ['eq', 'neq', 'contains', 'in', 'set', 'unset'],
  number: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'set', 'unset'],
  date: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'set', 'unset'],
  select: ['eq', 'neq', 'in', 'set', 'unset'],
  boolean: ['eq', 'set', 'unset'],
}
