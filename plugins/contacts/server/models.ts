import { TenantModel } from '@sapa/sdk'

export class Contact extends TenantModel {
  static override tableName = 'contacts'
  static override idColumn = 'id'
  static override jsonAttributes = ['attributes']
  declare id: string
  declare name: string | null
  declare phone: string
  declare email: string | null
  declare attributes: Record<string, unknown>
  declare opted_out: boolean
  declare opted_out_at: Date | null
  declare last_contacted_at: Date | null
  declare created_at: Date
  declare updated_at: Date
}

export class ContactLabel extends TenantModel {
  static override tableName = 'contact_labels'
  static override idColumn = 'id'
  declare id: string
  declare name: string
  declare color: string | null
  declare created_at: Date
  declare updated_at: Date
}

export class ContactLabelLink extends TenantModel {
  static override tableName = 'contact_label_links'
  static override idColumn = ['contact_id', 'label_id']
  declare contact_id: string
  declare label_id: string
}

export type AttributeType = 'text' | 'number' | 'date' | 'select' | 'boolean'

export class ContactAttribute extends TenantModel {
  static override tableName = 'contact_attributes'
  static override idColumn = 'id'
  static override jsonAttributes = ['options']
  declare id: string
  declare key: string
  declare label: string
  declare type: AttributeType
  declare options: string[] | null
  declare required: boolean
  declare created_at: Date
  declare updated_at: Date
}

export class ContactNote extends TenantModel {
  static override tableName = 'contact_notes'
  static override idColumn = 'id'
  declare id: string
  declare contact_id: string
  declare body: string
  declare author_id: string | null
  declare created_at: Date
}

export type ConsentStatus = 'opted_in' | 'opted_out'
export type ConsentSource = 'api' | 'keyword' | 'merge' | 'import'

export class ContactConsentEvent extends TenantModel {
  static override tableName = 'contact_consent_events'
  static override idColumn = 'id'
  declare id: string
  declare contact_id: string | null
  declare phone: string
  declare status: ConsentStatus
  declare source: ConsentSource
  declare detail: string | null
  declare actor_id: string | null
  declare created_at: Date
}

export class ContactSegment extends TenantModel {
  static override tableName = 'contact_segments'
  static override idColumn = 'id'
  static override jsonAttributes = ['filter']
  declare id: string
  declare name: string
  declare filter: import('./filters.ts').SegmentFilter
  declare created_at: Date
  declare updated_at: Date
}

export class ContactMerge extends TenantModel {
  static override tableName = 'contact_merges'
  static override idColumn = 'id'
  declare id: string
  declare from_id: string
  declare into_id: string
  declare from_phone: string
  declare actor_id: string | null
  declare created_at: Date
}

export type ImportStatus = 'queued' | 'running' | 'completed' | 'failed'

export class ContactImport extends TenantModel {
  static override tableName = 'contact_imports'
  static override idColumn = 'id'
  static override jsonAttributes = ['options', 'failure']
  declare id: string
  declare status: ImportStatus
  declare filename: string
  declare format: 'csv' | 'xlsx'
  declare size: number
  declare storage_key: string | null
  declare options: { mapping: [string, string][] | null; onDuplicate: 'update' | 'skip' }
  declare total_rows: number | null
  declare cursor_row: number
  declare processed: number
  declare imported: number
  declare updated: number
  declare skipped: number
  declare error_count: number
  declare failure: { code: string; message: string } | null
  declare attempts: number
  declare created_by: string | null
  declare created_at: Date
  declare updated_at: Date
  declare started_at: Date | null
  declare finished_at: Date | null
}

export class ContactImportError extends TenantModel {
  static override tableName = 'contact_import_errors'
  static override idColumn = ['import_id', 'row']
  declare import_id: string
  declare row: number
  declare reason: string
}

/** Rows a delete or update touched: a number on pg, a result object on knex-pglite. */
export function affected(result: unknown): number {
  if (typeof result === 'number') return result
  const r = result as { rowCount?: number; affectedRows?: number } | null
  return Number(r?.rowCount ?? r?.affectedRows ?? 0)
}
