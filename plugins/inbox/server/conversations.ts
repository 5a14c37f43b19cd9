import type { Knex } from 'knex'
import { AppError, decodeKeysetCursor, encodeKeysetCursor, isUuid, newId } from '@sapa/sdk'
import { findVisible, teamsOf, visibleTo, type Viewer } from './access.ts'
import type { Actor, Deps } from './deps.ts'
import { Conversation, CONVERSATION_COLUMNS, Item, Read, Team, type ConversationStatus } from './models.ts'
import { peopleById } from './people.ts'
import type { ContactSummary } from './ports.ts'
import { conversationView, type ConversationView } from './views.ts'
import { insertSystem } from './system.ts'

const NIL = '00000000-0000-0000-0000-000000000000'

// ---- list cursor: keyset on (last_message_at, id) ------------------------------------------------

export function encodeListCursor(c: { last_message_at: Date; id: string }): string {
  return encodeKeysetCursor([new Date(c.last_message_at).toISOString(), c.id])
}

export function decodeListCursor(cursor: string): { at: Date; id: string } {
  const [at, id] = decodeKeysetCursor(cursor, (v): v is [string, string] => v.length === 2 && typeof v[0] === 'string' && !Number.isNaN(Date.parse(v[0])) && typeof v[1] === 'string' && isUuid(v[1]))
  return { at: new Date(at), id }
}

// ---- views with contacts and people ---------------------------------------------------------------

/**
 * Views of these conversations. The contact's name and phone are stored on the conversation (kept in
 * step by the contacts plugin's events), so a page costs no call to the contacts plugin; assignees'
 * names come with the list query, or in one lookup here.
 */
export async function viewsOf(deps: Deps, tenantId: string, rows: Conversation[], withUnread: boolean): Promise<ConversationView[]> {
  if (!rows.length) return []
  const unnamed = rows.filter((r) => r.assignee_id && r.assignee_name === undefined).map((r) => r.assignee_id)
  const people = unnamed.length ? await peopleById(deps.ctx.db, tenantId, unnamed) : undefined
  return rows.map((r) => conversationView(r, { people, readSeq: withUnread ? (r.read_seq ?? null) : undefined }))
}

export async function viewOf(deps: Deps, tenantId: string, row: Conversation, withUnread = false): Promise<ConversationView> {
  return (await viewsOf(deps, tenantId, [row], withUnread))[0]
}

/** Tell everyone who may see it (and those who no longer may) that a conversation changed. */
export async function announce(deps: Deps, row: Conversation, previous?: { assignee_id: string | null; team_id: string | null }): Promise<void> {
  const view = await viewOf(deps, row.tenant_id, row)
  await Promise.all([
    deps.fanout.toInbox(row.tenant_id, row, 'conversation.updated', view, previous),
    deps.fanout.toConversation(row.tenant_id, row.id, 'conversation.updated', view),
  ])
}

// ---- reading --------------------------------------------------------------------------------------

export interface ListFilter {
  status?: ConversationStatus
  assignee?: string // 'me' | 'none' | uuid
  team?: string // 'none' | uuid
  label?: string
  priority?: number
  limit: number
  cursor?: string
}

export async function listConversations(deps: Deps, viewer: Viewer, f: ListFilter) {
  const T = 'inbox_conversations'
  const q = Conversation.of(viewer.tenantId)
    .modify(visibleTo(viewer))
    .leftJoin('inbox_reads as r', (j) => {
      j.on('r.tenant_id', `${T}.tenant_id`).andOn('r.conversation_id', `${T}.id`).andOnVal('r.user_id', viewer.userId ?? NIL)
    })
    // Assignees' names from the kernel's users (read-only; assignees were members when assigned).
    .leftJoin('users as au', 'au.id', `${T}.assignee_id`)
    .select(...CONVERSATION_COLUMNS, 'r.read_seq', 'au.name as assignee_name')
    .orderBy([
      { column: `${T}.last_message_at`, order: 'desc' },
      { column: `${T}.id`, order: 'desc' },
    ])
    .limit(f.limit + 1)
  if (f.status) q.where(`${T}.status`, f.status)
  if (f.assignee === 'me') q.where(`${T}.assignee_id`, viewer.userId ?? NIL)
  else if (f.assignee === 'none') q.whereNull(`${T}.assignee_id`)
  else if (f.assignee) q.where(`${T}.assignee_id`, f.assignee)
  if (f.team === 'none') q.whereNull(`${T}.team_id`)
  else if (f.team) q.where(`${T}.team_id`, f.team)
  if (f.label) q.whereRaw(`${T}.labels @> array[?]::text[]`, [f.label])
  if (f.priority !== undefined) q.where(`${T}.priority`, f.priority)
  if (f.cursor) {
    const { at, id } = decodeListCursor(f.cursor)
    q.whereRaw(`(${T}.last_message_at, ${T}.id) < (?, ?)`, [at, id])
  }
  const rows = await q
  const items = rows.slice(0, f.limit)
  return {
    items: await viewsOf(deps, viewer.tenantId, items, true),
    nextCursor: rows.length > f.limit ? encodeListCursor(items[items.length - 1]) : null,
  }
}

export async function getConversation(deps: Deps, viewer: Viewer, id: string): Promise<ConversationView> {
  const row = await findVisible(viewer, id)
  const read = viewer.userId ? await Read.of(viewer.tenantId).where({ user_id: viewer.userId, conversation_id: id }).first() : undefined
  row.read_seq = read?.read_seq ?? null
  return viewOf(deps, viewer.tenantId, row, true)
}

// ---- the conversation of an inbound message -------------------------------------------------------

/** The team a new conversation on this number goes to: a team that claims the number, else the default team. */
async function routeTeam(tenantId: string, sessionId: string, defaultTeamId: string, trx: Knex.Transaction): Promise<string | null> {
  const claimed = await Team.of(tenantId, trx).whereRaw('session_ids @> ?::jsonb', [JSON.stringify([sessionId])]).orderBy('created_at').first()
  if (claimed) return claimed.id
  if (defaultTeamId && isUuid(defaultTeamId)) {
    const team = await Team.of(tenantId, trx).findById(defaultTeamId)
    if (team) return team.id
  }
  return null
}

/**
 * The conversation for (number, contact), locked for the rest of the transaction; created when there
 * is none. Two first messages of a new contact at the same moment end up in one row: the insert
 * ignores the conflict and both read the winner's row.
 */
export async function lockOrCreate(
  deps: Deps,
  tenantId: string,
  key: { sessionId: string; contactId: string; peer: string; contact?: ContactSummary },
  trx: Knex.Transaction,
  extra: { assigneeId?: string | null; defaultTeamId?: string } = {},
): Promise<{ conversation: Conversation; created: boolean }> {
  const find = () => Conversation.of(tenantId, trx).where({ session_id: key.sessionId, contact_id: key.contactId }).forUpdate().first()
  const existing = await find()
  if (existing) return { conversation: existing, created: false }
  const now = deps.now()
  const inserted = (await trx('inbox_conversations')
    .insert({
      tenant_id: tenantId,
      id: newId(),
      session_id: key.sessionId,
      contact_id: key.contactId,
      peer: key.peer.slice(0, 32),
      contact_name: key.contact?.name?.slice(0, 255) ?? null,
      contact_phone: key.contact?.phone.slice(0, 32) ?? null,
      status: 'open',
      team_id: await routeTeam(tenantId, key.sessionId, extra.defaultTeamId ?? '', trx),
      assignee_id: extra.assigneeId ?? null,
      assigned_at: extra.assigneeId ? now : null,
      last_message_at: now,
      opened_at: now,
      created_at: now,
      updated_at: now,
    })
    .onConflict(['tenant_id', 'session_id', 'contact_id'])
    .ignore()
    .returning('*')) as Record<string, unknown>[]
  if (inserted.length) {
    const conversation = await find()
    return { conversation: conversation!, created: true }
  }
  return { conversation: (await find())!, created: false }
}

/** An agent starts (or finds) the conversation with a contact on a number; a new one is assigned to them. */
export async function openWithContact(deps: Deps, viewer: Viewer, actor: Actor, input: { sessionId: string; contactId: string }) {
  const contact = await deps.contacts().get(viewer.tenantId, input.contactId)
  if (!contact) throw new AppError(404, 'contact_not_found', 'Contact not found', { field: 'contactId' })
  const { defaultTeamId } = await deps.ctx.settings(viewer.tenantId) // read before the transaction: embedded mode has one connection
  const { conversation, created } = await deps.ctx.db.transaction(async (trx) => {
    const found = await lockOrCreate(deps, viewer.tenantId, { sessionId: input.sessionId, contactId: contact.id, peer: contact.phone, contact }, trx, { assigneeId: actor.userId, defaultTeamId })
    if (found.created) await insertSystem(deps, trx, viewer.tenantId, found.conversation.id, { event: 'created', by: actor.userId }, `Conversation started by ${actor.name ?? 'an agent'}`)
    return found
  })
  if (created) {
    await announce(deps, conversation)
    await deps.ctx.events.publish('inbox.conversation.created', { tenantId: viewer.tenantId, conversationId: conversation.id, contactId: contact.id, sessionId: input.sessionId, teamId: conversation.team_id, by: actor.userId })
  }
  // Someone else's existing conversation is still only for those who may see it.
  const visible = await findVisible(viewer, conversation.id).catch(() => null)
  if (!visible) throw new AppError(409, 'conversation_exists', 'A conversation with this contact on this number already exists and is assigned elsewhere')
  return { view: await viewOf(deps, viewer.tenantId, visible), created }
}

// ---- status, priority, labels, read marks ---------------------------------------------------------

const secondsBetween = (from: Date | string, to: Date) => Math.max(0, Math.round((to.getTime() - new Date(from).getTime()) / 1000))

export async function changeStatus(deps: Deps, viewer: Viewer, actor: Actor, id: string, input: { status: ConversationStatus; snoozedUntil?: string; version?: number }) {
  const now = deps.now()
  const until = input.snoozedUntil ? new Date(input.snoozedUntil) : null
  if (input.status === 'snoozed') {
    if (!until) throw new AppError(400, 'snooze_until_required', 'Snoozing needs snoozedUntil', { field: 'snoozedUntil' })
    if (until.getTime() <= now.getTime()) throw new AppError(400, 'snooze_in_past', 'snoozedUntil must be in the future', { field: 'snoozedUntil' })
  } else if (until) {
    throw new AppError(400, 'snooze_until_unexpected', 'snoozedUntil only goes with status snoozed', { field: 'snoozedUntil' })
  }
  const result = await deps.ctx.db.transaction(async (trx) => {
    const c = await findVisible(viewer, id, trx, { forUpdate: true })
    if (input.version !== undefined && input.version !== c.version) throw new AppError(409, 'version_conflict', 'The conversation changed meanwhile: reload it', { version: c.version })
    const from = c.status
    if (from === input.status && (input.status !== 'snoozed' || c.snoozed_until?.getTime() === until!.getTime())) return { row: c, changed: false, from }
    const patch: Record<string, unknown> = { status: input.status, snoozed_until: input.status === 'snoozed' ? until : null, version: c.version + 1, updated_at: now }
    if (input.status === 'resolved') {
      patch.resolved_at = now
      patch.resolution_seconds = secondsBetween(c.opened_at, now)
      patch.resolved_count = c.resolved_count + 1
      patch.waiting_since = null
    } else if (from === 'resolved') {
      patch.opened_at = now // a new cycle: resolution time counts from here
    }
    const [row] = (await Conversation.of(viewer.tenantId, trx).where('id', id).patch(patch).returning('*')) as unknown as Conversation[]
    const text =
      input.status === 'snoozed'
        ? `Snoozed until ${until!.toISOString()} by ${actor.name ?? 'an agent'}`
        : input.status === 'resolved'
          ? `Resolved by ${actor.name ?? 'an agent'}`
          : input.status === 'open'
            ? `Reopened by ${actor.name ?? 'an agent'}`
            : `Marked pending by ${actor.name ?? 'an agent'}`
    await insertSystem(deps, trx, viewer.tenantId, id, { event: 'status', from, to: input.status, until: until?.toISOString() ?? null, by: actor.userId }, text, actor.userId)
    return { row, changed: true, from }
  })
  if (!result.changed) return viewOf(deps, viewer.tenantId, result.row)
  const { row, from } = result
  await announce(deps, row)
  const base = { tenantId: viewer.tenantId, conversationId: id, from, to: row.status, by: actor.userId, assigneeId: row.assignee_id, teamId: row.team_id }
  await deps.ctx.events.publish('inbox.conversation.status_changed', base)
  if (row.status === 'resolved') {
    await deps.ctx.events.publish('inbox.conversation.resolved', { ...base, resolutionSeconds: row.resolution_seconds, firstResponseSeconds: row.first_response_seconds })
    deps.autoAssignLater(viewer.tenantId, [row.team_id, ...(row.assignee_id ? await teamsOf(viewer.tenantId, row.assignee_id) : [])])
  }
  if (row.status === 'snoozed') {
    await deps.ensureMaintenance(viewer.tenantId)
    // Wake on time even between sweeps.
    await deps.ctx.jobs.add('maintenance', { tenantId: viewer.tenantId }, { delay: Math.max(0, row.snoozed_until!.getTime() - deps.now().getTime()) + 50 })
  }
  if (from !== 'open' && row.status === 'open' && !row.assignee_id) deps.autoAssignLater(viewer.tenantId, [row.team_id])
  return viewOf(deps, viewer.tenantId, row)
}

export async function changeDetails(deps: Deps, viewer: Viewer, actor: Actor, id: string, input: { priority?: number; addLabels?: string[]; removeLabels?: string[] }) {
  const result = await deps.ctx.db.transaction(async (trx) => {
    const c = await findVisible(viewer, id, trx, { forUpdate: true })
    const patch: Record<string, unknown> = {}
    if (input.priority !== undefined && input.priority !== c.priority) patch.priority = input.priority
    if (input.addLabels || input.removeLabels) {
      const labels = new Set(c.labels ?? [])
      for (const l of input.addLabels ?? []) labels.add(l)
      for (const l of input.removeLabels ?? []) labels.delete(l)
      if (labels.size > 20) throw new AppError(400, 'too_many_labels', 'A conversation has at most 20 labels', { field: 'labels' })
      const next = [...labels].sort()
      if (next.join('\n') !== [...(c.labels ?? [])].sort().join('\n')) patch.labels = next
    }
    if (!Object.keys(patch).length) return { row: c, changed: false }
    const [updated] = (await Conversation.of(viewer.tenantId, trx)
      .where('id', id)
      .patch({ ...patch, version: c.version + 1, updated_at: deps.now() } as any)
      .returning('*')) as unknown as Conversation[]
    return { row: updated, changed: true }
  })
  const { row, changed } = result
  if (changed) {
    await announce(deps, row)
    await deps.ctx.events.publish('inbox.conversation.updated', { tenantId: viewer.tenantId, conversationId: id, priority: row.priority, labels: row.labels, by: actor.userId })
  }
  return viewOf(deps, viewer.tenantId, row)
}

/** The user has read everything inbound so far. */
export async function markRead(deps: Deps, viewer: Viewer, id: string, trx?: Knex.Transaction): Promise<void> {
  if (!viewer.userId) return
  const c = await findVisible(viewer, id, trx)
  await markReadUpTo(deps, viewer.tenantId, viewer.userId, c.id, c.inbound_seq, trx)
}

export async function markReadUpTo(deps: Deps, tenantId: string, userId: string, conversationId: string, seq: number, trx?: Knex | Knex.Transaction): Promise<void> {
  await (trx ?? deps.ctx.db)('inbox_reads')
    .insert({ tenant_id: tenantId, user_id: userId, conversation_id: conversationId, read_seq: seq, read_at: deps.now() })
    .onConflict(['tenant_id', 'user_id', 'conversation_id'])
    .merge({ read_seq: (trx ?? deps.ctx.db).raw('greatest(inbox_reads.read_seq, excluded.read_seq)'), read_at: deps.now() })
}

// ---- snooze wake-up ----------------------------------------------------------------------------------

/** Snoozed conversations whose time has come are open again. Idempotent: the sweep and the delayed job both call it. */
export async function wakeSnoozed(deps: Deps, tenantId: string): Promise<number> {
  const now = deps.now()
  const woken = await deps.ctx.db.transaction(async (trx) => {
    const rows = (await Conversation.of(tenantId, trx)
      .where('status', 'snoozed')
      .where('snoozed_until', '<=', now)
      .patch({ status: 'open', snoozed_until: null, version: trx.raw('version + 1'), updated_at: now } as any)
      .returning('*')) as unknown as Conversation[]
    for (const row of rows) await insertSystem(deps, trx, tenantId, row.id, { event: 'status', from: 'snoozed', to: 'open', by: null }, 'Snooze ended: the conversation is open again')
    return rows
  })
  for (const row of woken) {
    await announce(deps, row)
    await deps.ctx.events.publish('inbox.conversation.status_changed', { tenantId, conversationId: row.id, from: 'snoozed', to: 'open', by: null, assigneeId: row.assignee_id, teamId: row.team_id })
  }
  deps.autoAssignLater(tenantId, woken.filter((r) => !r.assignee_id).map((r) => r.team_id))
  return woken.length
}

// ---- contact merge ------------------------------------------------------------------------------------

/**
 * The contacts plugin merged `fromId` into `intoId`: its conversations now belong to `intoId`. Where
 * `intoId` already has a conversation on the same number, the two become one (items moved, counters
 * added, the busier state kept) so (number, contact) stays unique.
 */
export async function mergeContacts(deps: Deps, tenantId: string, fromId: string, intoId: string): Promise<void> {
  if (fromId === intoId) return
  const now = deps.now()
  const changed: { row: Conversation; removedId?: string; removedScope?: { assignee_id: string | null; team_id: string | null } }[] = []
  await deps.ctx.db.transaction(async (trx) => {
    const sources = await Conversation.of(tenantId, trx).where('contact_id', fromId).orderBy('id').forUpdate()
    for (const source of sources) {
      const target = await Conversation.of(tenantId, trx).where({ session_id: source.session_id, contact_id: intoId }).forUpdate().first()
      if (!target) {
        const [row] = (await Conversation.of(tenantId, trx)
          .where('id', source.id)
          .patch({ contact_id: intoId, version: source.version + 1, updated_at: now } as any)
          .returning('*')) as unknown as Conversation[]
        changed.push({ row })
        continue
      }
      await Item.of(tenantId, trx).where('conversation_id', source.id).patch({ conversation_id: target.id } as any)
      const newer = new Date(source.last_message_at) > new Date(target.last_message_at) ? source : target
      const earliest = (a: Date | null, b: Date | null) => (a && b ? (new Date(a) < new Date(b) ? a : b) : (a ?? b))
      const latest = (a: Date | null, b: Date | null) => (a && b ? (new Date(a) > new Date(b) ? a : b) : (a ?? b))
      const rank: Record<string, number> = { open: 3, pending: 2, snoozed: 1, resolved: 0 }
      const status = rank[source.status] > rank[target.status] ? source.status : target.status
      const patch = {
        status,
        snoozed_until: status === 'snoozed' ? latest(source.snoozed_until, target.snoozed_until) : null,
        priority: Math.max(source.priority, target.priority),
        assignee_id: target.assignee_id ?? source.assignee_id,
        team_id: target.team_id ?? source.team_id,
        labels: [...new Set([...(target.labels ?? []), ...(source.labels ?? [])])].sort().slice(0, 20),
        inbound_seq: target.inbound_seq + source.inbound_seq,
        last_message: newer.last_message,
        last_message_at: newer.last_message_at,
        last_inbound_at: latest(source.last_inbound_at, target.last_inbound_at),
        last_outbound_at: latest(source.last_outbound_at, target.last_outbound_at),
        waiting_since: earliest(source.waiting_since, target.waiting_since),
        opened_at: earliest(source.opened_at, target.opened_at),
        first_response_at: earliest(source.first_response_at, target.first_response_at),
        first_response_seconds: target.first_response_seconds ?? source.first_response_seconds,
        version: target.version + 1,
        updated_at: now,
      }
      const [row] = (await Conversation.of(tenantId, trx).where('id', target.id).patch(patch as any).returning('*')) as unknown as Conversation[]
      await Read.of(tenantId, trx).where('conversation_id', source.id).delete()
      await Conversation.of(tenantId, trx).where('id', source.id).delete()
      await insertSystem(deps, trx, tenantId, target.id, { event: 'merged', fromConversationId: source.id, fromContactId: fromId }, 'Merged with the conversation of a duplicate contact')
      changed.push({ row, removedId: source.id, removedScope: { assignee_id: source.assignee_id, team_id: source.team_id } })
    }
  })
  await refreshContact(deps, tenantId, intoId)
  for (const { row, removedId, removedScope } of changed) {
    Object.assign(row, (await Conversation.of(tenantId).findById(row.id).select('contact_name', 'contact_phone')) ?? {})
    if (removedId) {
      await deps.fanout.toInbox(tenantId, removedScope!, 'conversation.merged', { id: removedId, intoId: row.id })
      await deps.fanout.toConversation(tenantId, removedId, 'conversation.merged', { id: removedId, intoId: row.id })
    }
    await announce(deps, row)
  }
}

// ---- the contact's name and phone, kept in step ---------------------------------------------------------

/** `contacts.contact.updated` (and after a merge): the conversations of the contact show its current name and phone. */
export async function refreshContact(deps: Deps, tenantId: string, contactId: string): Promise<number> {
  const contact = await deps.contacts().get(tenantId, contactId)
  if (!contact) return 0
  const rows = (await Conversation.of(tenantId)
    .where('contact_id', contactId)
    .where((q) => q.whereRaw('contact_name is distinct from ?', [contact.name?.slice(0, 255) ?? null]).orWhereRaw('contact_phone is distinct from ?', [contact.phone.slice(0, 32)]))
    .patch({ contact_name: contact.name?.slice(0, 255) ?? null, contact_phone: contact.phone.slice(0, 32), updated_at: deps.now() } as any)
    .returning('*')) as unknown as Conversation[]
  for (const row of rows) await announce(deps, row)
  return rows.length
}
