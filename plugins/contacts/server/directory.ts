import { AppError, decodeCursor, encodeCursor, isUuid, type PluginContext } from '@sapa/sdk'
import type { ContactSummary, ContactsDirectory } from '../plugin.ts'
import { Contact, ContactSegment } from './models.ts'
import type { Contacts } from './contacts.ts'

const MAX_IDS = 1000
const clamp = (n: number, max: number) => Math.max(1, Math.min(max, Math.floor(Number.isFinite(n) ? n : 1)))

/** The service other plugins resolve as `contacts.directory`. */
export function createDirectory(ctx: PluginContext<any>, contacts: Contacts): ContactsDirectory {
  async function summaries(tenantId: string, rows: Contact[]): Promise<ContactSummary[]> {
    const views = await contacts.views(tenantId, rows)
    return views.map((v) => ({
      id: v.id,
      name: v.name,
      phone: v.phone,
      email: v.email,
      labels: v.labels.map((l) => l.name),
      optedOut: v.optedOut,
      lastContactedAt: v.lastContactedAt,
    }))
  }

  return {
    async upsertByPhone(tenantId, phone, fields) {
      const row = await contacts.upsertByPhone(tenantId, phone, fields ?? {})
      return (await summaries(tenantId, [row]))[0]
    },

    async get(tenantId, id) {
      if (!isUuid(id)) return null
      const row = await Contact.of(tenantId).findById(id)
      return row ? (await summaries(tenantId, [row]))[0] : null
    },

    async getMany(tenantId, ids) {
      const wanted = [...new Set(ids.filter((id) => isUuid(id)))]
      if (wanted.length > MAX_IDS) throw new AppError(400, 'too_many_ids', `getMany takes at most ${MAX_IDS} ids`)
      if (!wanted.length) return []
      const found = await summaries(tenantId, await Contact.of(tenantId).whereIn('id', wanted))
      const byId = new Map(found.map((s) => [s.id, s]))
      return wanted.map((id) => byId.get(id)).filter((s): s is ContactSummary => Boolean(s))
    },

    async search(tenantId, q, limit) {
      if (typeof q !== 'string' || !q.trim()) return []
      const { qb } = await contacts.query(tenantId, { q: q.slice(0, 200) })
      const rows = await qb.select('contacts.id').orderBy('contacts.id', 'desc').limit(clamp(limit, MAX_IDS))
      return rows.map((r) => r.id)
    },

    async segmentMembers(tenantId, segmentId, cursor, limit) {
      const segment = await ContactSegment.of(tenantId).findById(segmentId)
      if (!segment) throw new AppError(404, 'segment_not_found', 'Segment not found')
      const after = decodeCursor(cursor ?? undefined)
      const size = clamp(limit, MAX_IDS)
      // Never an opted-out contact, whatever the segment says: members are who a broadcast may message.
      const { qb } = await contacts.query(tenantId, { segment: segment.filter, optedOut: false })
      qb.select('contacts.id').orderBy('contacts.id', 'asc').limit(size + 1)
      if (after) qb.where('contacts.id', '>', after)
      const rows = await qb
      const ids = rows.slice(0, size).map((r) => r.id)
      return { ids, nextCursor: rows.length > size ? encodeCursor(ids[ids.length - 1]) : null }
    },
  }
}
