import { AppError, encodeCursor } from '@sapa/sdk'
import { visibleTo, type Viewer } from './access.ts'
import { viewsOf } from './conversations.ts'
import type { Deps } from './deps.ts'
import { Conversation, Item, ITEM_COLUMNS } from './models.ts'

/**
 * Up to this many matching items, the search takes them all from the full-text index.
 * SAPA_INBOX_SEARCH_PROBE exists so tests can exercise both plans on small data.
 */
const probeSize = () => Number(process.env.SAPA_INBOX_SEARCH_PROBE) || 1000
import { itemView } from './views.ts'

/**
 * Search over the thread texts (Postgres full text, 'simple' configuration: words as written, any
 * language; every word a prefix, so "pes" finds "pesan") and over contacts (the contacts plugin's own
 * search), both limited to the tenant and to the conversations the viewer may see, in SQL.
 */

/** Words of the query as a tsquery: letters and digits only, so nothing the user types is tsquery syntax. */
export function toTsQuery(q: string): string | null {
  const words = (q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, 8)
  if (!words.length) return null
  // The parser reads "INV-2024-0091" as inv, -2024, -0091 (signed numbers): a number also matches its signed form.
  return words.map((w) => (/^\d+$/.test(w) ? `(${w.slice(0, 60)}:* | '-${w.slice(0, 60)}':*)` : `${w.slice(0, 60)}:*`)).join(' & ')
}

export async function search(deps: Deps, viewer: Viewer, opts: { q: string; limit: number; before?: string }) {
  const tsq = toTsQuery(opts.q)
  if (!tsq) throw new AppError(400, 'query_too_short', 'Search for at least one word or number', { field: 'q' })
  const tenantId = viewer.tenantId

  const contactIds = opts.before ? Promise.resolve([] as string[]) : deps.contacts().search(tenantId, opts.q, 50).catch((err: unknown) => {
    deps.ctx.logger.warn({ err }, 'contacts search failed: messages only')
    return [] as string[]
  })

  const matches = (q: any) => q.whereNot('inbox_messages.kind', 'system').whereRaw(`inbox_messages.search_vector @@ to_tsquery('simple', ?)`, [tsq])

  // Two plans, chosen by how many of the tenant's items match (the GIN index answers that):
  // - up to PROBE matches: take them all from the index, keep those in visible conversations, newest first;
  // - more: walk the tenant's items newest first and stop at the page (common words are found at once).
  // A single query leaves that choice to the planner, which gets it wrong for rare words under
  // ORDER BY … LIMIT (it walks every item looking for them).
  const PROBE = probeSize()
  const probe = await Item.of(tenantId).modify(matches).select('inbox_messages.id', 'inbox_messages.conversation_id').limit(PROBE + 1)
  let rowsPromise: Promise<Item[]>
  if (probe.length <= PROBE) {
    rowsPromise = (async () => {
      const conversationIds = [...new Set(probe.map((m) => m.conversation_id))]
      const visible = conversationIds.length
        ? new Set((await Conversation.of(tenantId).whereIn('inbox_conversations.id', conversationIds).modify(visibleTo(viewer)).select('inbox_conversations.id')).map((c) => c.id))
        : new Set<string>()
      const ids = probe
        .filter((m) => visible.has(m.conversation_id) && (!opts.before || m.id < opts.before))
        .map((m) => m.id)
        .sort()
        .reverse()
        .slice(0, opts.limit + 1)
      if (!ids.length) return []
      const rows = await Item.of(tenantId).select(ITEM_COLUMNS).whereIn('inbox_messages.id', ids)
      return rows.sort((a, b) => (a.id < b.id ? 1 : -1))
    })()
  } else {
    const q = Item.of(tenantId)
      .join('inbox_conversations', (j) => {
        j.on('inbox_conversations.tenant_id', 'inbox_messages.tenant_id').andOn('inbox_conversations.id', 'inbox_messages.conversation_id')
      })
      .modify(visibleTo(viewer))
      .modify(matches)
      .select(ITEM_COLUMNS)
      .orderBy('inbox_messages.id', 'desc')
      .limit(opts.limit + 1)
    if (opts.before) q.where('inbox_messages.id', '<', opts.before)
    rowsPromise = q as unknown as Promise<Item[]>
  }

  const [rows, ids] = await Promise.all([rowsPromise, contactIds])
  const messages = rows.slice(0, opts.limit)

  const conversationRows = ids.length
    ? await Conversation.of(tenantId).whereIn('contact_id', ids).modify(visibleTo(viewer)).orderBy([{ column: 'last_message_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(20)
    : []
  // The conversations the found messages belong to, for their contact names.
  const owners = messages.length ? await Conversation.of(tenantId).whereIn('id', [...new Set(messages.map((m) => m.conversation_id))]) : []
  const [conversations, ownerViews] = await Promise.all([viewsOf(deps, tenantId, conversationRows, false), viewsOf(deps, tenantId, owners, false)])
  const ownerById = new Map(ownerViews.map((v) => [v.id, v]))
  return {
    conversations,
    messages: messages.map((m) => {
      const owner = ownerById.get(m.conversation_id)
      return { ...itemView(m), conversation: owner ? { id: owner.id, status: owner.status, contact: owner.contact } : { id: m.conversation_id } }
    }),
    nextCursor: rows.length > opts.limit ? encodeCursor(messages[messages.length - 1].id) : null,
  }
}
