import type { Contact, ContactAttribute, ContactConsentEvent, ContactImport, ContactLabel, ContactNote, ContactSegment } from './models.ts'

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null)

export interface LabelView {
  id: string
  name: string
  color: string | null
}

export const labelView = (l: ContactLabel): LabelView => ({ id: l.id, name: l.name, color: l.color })

export function contactView(c: Contact, labels: LabelView[]) {
  return {
    id: c.id,
    name: c.name,
    phone: c.phone,
    email: c.email,
    attributes: c.attributes ?? {},
    labels,
    optedOut: c.opted_out,
    optedOutAt: iso(c.opted_out_at),
    lastContactedAt: iso(c.last_contacted_at),
    createdAt: iso(c.created_at)!,
    updatedAt: iso(c.updated_at)!,
  }
}
export type ContactView = ReturnType<typeof contactView>

export const attributeView = (a: ContactAttribute) => ({
  id: a.id,
  key: a.key,
  label: a.label,
  type: a.type,
  options: a.options ?? null,
  required: a.required,
  createdAt: iso(a.created_at),
  updatedAt: iso(a.updated_at),
})

export const noteView = (n: ContactNote) => ({ id: n.id, contactId: n.contact_id, body: n.body, authorId: n.author_id, createdAt: iso(n.created_at) })

export const consentView = (e: ContactConsentEvent) => ({
  id: e.id,
  status: e.status,
  source: e.source,
  detail: e.detail,
  actorId: e.actor_id,
  at: iso(e.created_at),
})

export const segmentView = (s: ContactSegment) => ({ id: s.id, name: s.name, filter: s.filter, createdAt: iso(s.created_at), updatedAt: iso(s.updated_at) })

export function importView(i: ContactImport, errors: { row: number; reason: string }[] | undefined = undefined) {
  return {
    id: i.id,
    status: i.status,
    filename: i.filename,
    format: i.format,
    size: i.size,
    onDuplicate: i.options.onDuplicate,
    totalRows: i.total_rows,
    processed: i.processed,
    imported: i.imported,
    updated: i.updated,
    skipped: i.skipped,
    errorCount: i.error_count,
    ...(errors ? { errors, errorsTruncated: i.error_count > errors.length } : {}),
    failure: i.failure ?? null,
    createdAt: iso(i.created_at),
    startedAt: iso(i.started_at),
    finishedAt: iso(i.finished_at),
  }
}
