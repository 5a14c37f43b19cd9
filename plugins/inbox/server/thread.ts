import type { Knex } from 'knex'
import { AppError, encodeCursor, isUuid, newId } from '@sapa/sdk'
import { findVisible, type Viewer } from './access.ts'
import { announce, lockOrCreate, markReadUpTo } from './conversations.ts'
import type { Actor, Deps } from './deps.ts'
import { Conversation, Item, ITEM_COLUMNS, STATUS_RANK, STATUS_TIME_COLUMN, type LastMessage, type Reaction } from './models.ts'
import { activeMembers, membersByEmail } from './people.ts'
import type { WaMessageView, WaSendInput } from './ports.ts'
import { insertSystem, itemCreated } from './system.ts'
import { itemView } from './views.ts'

/**
 * The thread: inbound, outbound, system and note items. An item that mirrors a WhatsApp message takes
 * that message's id (UUIDv7, given when the whatsapp plugin stored it), so the thread keeps the order
 * messages arrived in whatever order they are processed, and one WhatsApp message is one item even
 * when our own send and the status events race to record it.
 */

const MEDIA_TYPES = new Set(['image', 'document', 'audio', 'video', 'sticker'])

export function lastMessageOf(item: Item): LastMessage {
  return { id: item.id, kind: item.kind, type: item.type, text: item.text?.slice(0, 200) ?? null, status: item.status, at: new Date(item.created_at).toISOString() }
}

function mediaOf(wa: WaMessageView): Item['media'] {
  if (!wa.media) return null
  return { id: wa.media.id, url: wa.media.url, mime: wa.media.mime, size: wa.media.size, filename: wa.media.filename }
}

function payloadOf(wa: WaMessageView): Record<string, unknown> | null {
  const p: Record<string, unknown> = {}
  if (wa.location) p.location = wa.location
  if (wa.contacts) p.contacts = wa.contacts
  return Object.keys(p).length ? p : null
}

/** The item a reply or reaction names: by our id (= the WhatsApp message id) or by WhatsApp's provider id. */
async function findTarget(tenantId: string, conversationId: string, reference: string | null, trx?: Knex.Transaction): Promise<Item | undefined> {
  if (!reference) return undefined
  const q = Item.of(tenantId, trx).where('conversation_id', conversationId)
  if (isUuid(reference)) q.where('id', reference)
  else q.where('provider_id', reference)
  return q.first()
}

/**
 * Applies a status to the item mirroring WhatsApp message `waId`: forward only, like the whatsapp
 * plugin. A status implies the ticks before it (read means delivered and sent): a tick whose own event
 * came late, or never, takes the later one's time, so no tick is ever shown without a time.
 */
async function advanceStatus(
  deps: Deps,
  tenantId: string,
  waId: string,
  status: string,
  extra: { providerId?: string | null; error?: string | null; times?: Partial<Record<'sent_at' | 'delivered_at' | 'read_at', Date | null>> },
  trx?: Knex | Knex.Transaction,
): Promise<Item | null> {
  const rank = STATUS_RANK[status]
  if (rank === undefined) return null
  const db = trx ?? deps.ctx.db
  const now = deps.now()
  const changes: Record<string, unknown> = { status, status_rank: rank, updated_at: now }
  const column = STATUS_TIME_COLUMN[status]
  const at = (column && extra.times?.[column]) || now
  const implied: ('sent_at' | 'delivered_at' | 'read_at')[] = status === 'read' ? ['sent_at', 'delivered_at', 'read_at'] : status === 'delivered' ? ['sent_at', 'delivered_at'] : status === 'sent' ? ['sent_at'] : []
  for (const col of implied) {
    changes[col] = db.raw(`coalesce(${col}, ?)`, [extra.times?.[col] ?? at])
  }
  if (status === 'failed') changes.error = (extra.error ?? 'failed').slice(0, 500)
  if (extra.providerId) changes.provider_id = db.raw('coalesce(provider_id, ?)', [extra.providerId.slice(0, 128)])
  const rows = (await Item.of(tenantId, trx as Knex.Transaction | undefined)
    .where('wa_message_id', waId)
    .where('status_rank', '<', rank)
    .patch(changes as any)
    .returning('*')) as unknown as Item[]
  if (!rows.length) return null
  const item = rows[0]
  // The list preview shows the last message's ticks.
  await (db as Knex)('inbox_conversations')
    .where({ tenant_id: tenantId, id: item.conversation_id })
    .whereRaw(`last_message->>'id' = ?`, [item.id])
    .update({ last_message: JSON.stringify(lastMessageOf(item)) })
  return item
}

async function announceStatus(deps: Deps, tenantId: string, item: Item): Promise<void> {
  const data = { id: item.id, conversationId: item.conversation_id, status: item.status, error: item.error, sentAt: item.sent_at, deliveredAt: item.delivered_at, readAt: item.read_at }
  await deps.fanout.toConversation(tenantId, item.conversation_id, 'message.status', data)
  const scope = await Conversation.of(tenantId).findById(item.conversation_id).select('assignee_id', 'team_id')
  if (scope) await deps.fanout.toInbox(tenantId, scope, 'message.status', data)
}

// ---- inbound ------------------------------------------------------------------------------------

/**
 * A customer's message (the `receive` job, from `whatsapp.message.received`): the contact is found or
 * created, the conversation found or created (and reopened when resolved or snoozed), the item added,
 * unread and last activity bumped. Idempotent: a message already in the inbox is skipped.
 */
export async function ingestInbound(deps: Deps, tenantId: string, messageId: string): Promise<'stored' | 'duplicate' | 'ignored'> {
  if (await Item.of(tenantId).findById(messageId)) return 'duplicate'
  const wa = await deps.whatsapp().get(tenantId, messageId)
  if (!wa || wa.direction !== 'in') return 'ignored'
  let contact
  try {
    contact = await deps.contacts().upsertByPhone(tenantId, wa.peer, wa.peerName ? { name: wa.peerName } : {})
  } catch (err) {
    // An address that is not a phone number (a provider-only id): no contact, so no conversation. Retrying will not help.
    if (err instanceof AppError && err.statusCode === 400) {
      deps.ctx.logger.warn({ err, messageId, peer: wa.peer }, 'inbound message from an address the contacts plugin refuses: not in the inbox')
      return 'ignored'
    }
    throw err
  }
  if (wa.type === 'reaction') return (await ingestReaction(deps, tenantId, wa, contact.id)) ? 'stored' : 'ignored'
  const now = deps.now()
  const { defaultTeamId } = await deps.ctx.settings(tenantId) // before the transaction: embedded mode has one connection
  const outcome = await deps.ctx.db.transaction(async (trx) => {
    const { conversation: c, created } = await lockOrCreate(deps, tenantId, { sessionId: wa.sessionId, contactId: contact.id, peer: wa.peer, contact }, trx, { defaultTeamId })
    if (await Item.of(tenantId, trx).findById(wa.id)) return null // processed meanwhile
    const reopened = c.status === 'resolved' || c.status === 'snoozed'
    if (reopened) {
      await insertSystem(deps, trx, tenantId, c.id, { event: 'status', from: c.status, to: 'open', by: null, reason: 'inbound' }, 'The customer wrote again: conversation reopened')
    }
    const target = await findTarget(tenantId, c.id, wa.replyTo, trx)
    const seq = c.inbound_seq + 1
    const item = await Item.of(tenantId, trx).insert({
      id: wa.id,
      conversation_id: c.id,
      kind: 'inbound',
      wa_message_id: wa.id,
      provider_id: wa.providerId,
      type: wa.type,
      text: wa.text,
      media: mediaOf(wa),
      payload: payloadOf(wa),
      status: 'received',
      status_rank: 0,
      reply_to_id: target?.id ?? null,
      reply_to_provider: target ? null : (wa.replyTo ?? null),
      created_at: now,
      updated_at: now,
    } as Partial<Item>)
    const newest = !c.last_message || c.last_message.id < item.id
    const patch: Record<string, unknown> = {
      inbound_seq: seq,
      last_inbound_at: now,
      last_message_at: new Date(Math.max(now.getTime(), new Date(c.last_message_at).getTime())),
      waiting_since: c.waiting_since ?? now,
      version: c.version + 1,
      updated_at: now,
    }
    if (newest) patch.last_message = lastMessageOf(item)
    if (c.contact_name !== contact.name || c.contact_phone !== contact.phone) Object.assign(patch, { contact_name: contact.name?.slice(0, 255) ?? null, contact_phone: contact.phone.slice(0, 32) })
    if (reopened) {
      patch.status = 'open'
      patch.snoozed_until = null
      if (c.status === 'resolved') patch.opened_at = now
    }
    const [row] = (await Conversation.of(tenantId, trx).where('id', c.id).patch(patch as any).returning('*')) as unknown as Conversation[]
    await itemCreated(deps, trx, tenantId, item, target)
    return { row, created, reopened, from: c.status, item }
  })
  if (!outcome) return 'duplicate'
  const { row, created, reopened, from, item } = outcome
  await announce(deps, row)
  if (created) {
    await deps.ctx.events.publish('inbox.conversation.created', { tenantId, conversationId: row.id, contactId: row.contact_id, sessionId: row.session_id, teamId: row.team_id, by: null })
  }
  if (reopened) {
    await deps.ctx.events.publish('inbox.conversation.status_changed', { tenantId, conversationId: row.id, from, to: 'open', by: null, assigneeId: row.assignee_id, teamId: row.team_id })
  }
  await deps.ctx.events.publish('inbox.message.received', { tenantId, conversationId: row.id, messageId: item.id, contactId: row.contact_id, assigneeId: row.assignee_id, teamId: row.team_id })
  if ((created || reopened) && !row.assignee_id && row.team_id) deps.autoAssignLater(tenantId, [row.team_id])
  return 'stored'
}

/** A customer's reaction: shown on the message it reacts to (one reaction per customer; an empty emoji removes it). */
async function ingestReaction(deps: Deps, tenantId: string, wa: WaMessageView, contactId: string): Promise<boolean> {
  if (!wa.reaction) return false
  const c = await Conversation.of(tenantId).where({ session_id: wa.sessionId, contact_id: contactId }).first()
  if (!c) return false
  const item = await deps.ctx.db.transaction(async (trx) => {
    const target = await Item.of(tenantId, trx).where('conversation_id', c.id).where('provider_id', wa.reaction!.providerId).forUpdate().first()
    if (!target) return null
    const others = (target.reactions ?? []).filter((r) => r.by !== 'customer')
    const reactions: Reaction[] = wa.reaction!.emoji ? [...others, { emoji: wa.reaction!.emoji, by: 'customer', at: deps.now().toISOString() }] : others
    const [row] = (await Item.of(tenantId, trx).where('id', target.id).patch({ reactions, updated_at: deps.now() } as any).returning('*')) as unknown as Item[]
    return row
  })
  if (!item) return false
  await deps.fanout.toConversation(tenantId, c.id, 'message.reaction', { id: item.id, conversationId: c.id, reactions: item.reactions ?? [] })
  return true
}

// ---- status ticks ---------------------------------------------------------------------------------

/** `whatsapp.message.status`: the item's ticks move forward. A message the inbox does not know is looked at once more later (`capture`). */
export async function onStatus(deps: Deps, e: { tenantId: string; messageId: string; status: string; providerId: string | null; error: string | null }): Promise<void> {
  const item = await advanceStatus(deps, e.tenantId, e.messageId, e.status, { providerId: e.providerId, error: e.error })
  if (item) return announceStatus(deps, e.tenantId, item)
  if (await Item.of(e.tenantId).where('wa_message_id', e.messageId).select('id').first()) return // already at or past this status
  // Not in the inbox (yet): our own send may still be recording it, or it was sent outside the inbox.
  await deps.ctx.jobs.add('capture', { tenantId: e.tenantId, messageId: e.messageId }, { jobId: `capture-${e.messageId}`, delay: 2000 })
}

/**
 * A message sent outside the inbox (the whatsapp API, a broadcast, a bot) to a customer who has a
 * conversation on that number joins the thread, without an author. Messages to people with no
 * conversation do not open one (a broadcast to 100k contacts is not 100k conversations).
 */
export async function capture(deps: Deps, tenantId: string, messageId: string): Promise<void> {
  const wa = await deps.whatsapp().get(tenantId, messageId)
  if (!wa || wa.direction !== 'out') return
  const known = await Item.of(tenantId).findById(messageId)
  if (!known) {
    const c = await Conversation.of(tenantId).where({ session_id: wa.sessionId, peer: wa.peer }).orderBy('last_message_at', 'desc').first()
    if (!c) return
    const stored = await deps.ctx.db.transaction(async (trx) => {
      const locked = await Conversation.of(tenantId, trx).findById(c.id).forUpdate()
      if (!locked) return null
      const now = deps.now()
      const target = await findTarget(tenantId, c.id, wa.replyTo, trx)
      const rows = (await trx('inbox_messages')
        .insert(rowOfOutbound(tenantId, c.id, wa, null, target, now))
        .onConflict(['tenant_id', 'id'])
        .ignore()
        .returning('*')) as Record<string, unknown>[]
      if (!rows.length) return null
      const item = Item.fromJson(rows[0], { skipValidation: true }) as Item
      const patch: Record<string, unknown> = { last_outbound_at: now, last_message_at: new Date(Math.max(now.getTime(), new Date(locked.last_message_at).getTime())), version: locked.version + 1, updated_at: now }
      if (!locked.last_message || locked.last_message.id < item.id) patch.last_message = lastMessageOf(item)
      const [row] = (await Conversation.of(tenantId, trx).where('id', c.id).patch(patch as any).returning('*')) as unknown as Conversation[]
      await itemCreated(deps, trx, tenantId, item, target)
      return row
    })
    if (stored) await announce(deps, stored)
  }
  await catchUp(deps, tenantId, wa)
}

/** The item takes the WhatsApp message's current status (forward only): covers status events that came before the item existed. */
async function catchUp(deps: Deps, tenantId: string, wa: WaMessageView): Promise<void> {
  const date = (d: string | Date | null) => (d ? new Date(d) : null)
  const times = { sent_at: date(wa.sentAt), delivered_at: date(wa.deliveredAt), read_at: date(wa.readAt) }
  const item = await advanceStatus(deps, tenantId, wa.id, wa.status, { providerId: wa.providerId, error: wa.error, times })
  if (item) await announceStatus(deps, tenantId, item)
}

function rowOfOutbound(tenantId: string, conversationId: string, wa: WaMessageView, authorId: string | null, target: Item | null | undefined, now: Date) {
  return {
    tenant_id: tenantId,
    id: wa.id,
    conversation_id: conversationId,
    kind: 'outbound',
    wa_message_id: wa.id,
    provider_id: wa.providerId,
    type: wa.type,
    text: wa.type === 'reaction' ? (wa.reaction?.emoji ?? null) : wa.text,
    media: wa.media ? JSON.stringify(mediaOf(wa)) : null,
    payload: payloadOf(wa) ? JSON.stringify(payloadOf(wa)) : null,
    status: 'queued',
    status_rank: 0,
    reply_to_id: target?.id ?? null,
    reply_to_provider: null,
    author_id: authorId,
    created_at: now,
    updated_at: now,
  }
}

// ---- our own sends ---------------------------------------------------------------------------------

export interface SendBody {
  type: 'text' | 'image' | 'document' | 'audio' | 'video' | 'sticker' | 'reaction'
  text?: string
  mediaId?: string
  replyTo?: string
  emoji?: string
  idempotencyKey?: string
}

/**
 * An agent's message: sent through `whatsapp.messages.send` to the conversation's contact on the
 * conversation's number, then recorded in the thread (status queued; the ticks follow).
 */
export async function send(deps: Deps, viewer: Viewer, actor: Actor, conversationId: string, body: SendBody) {
  const tenantId = viewer.tenantId
  const c = await findVisible(viewer, conversationId)
  const target = body.replyTo ? await findTarget(tenantId, c.id, body.replyTo) : undefined
  if (body.replyTo && !target) throw new AppError(400, 'reply_target_not_found', 'The message to reply or react to is not in this conversation', { field: 'replyTo' })
  const contact = await deps.contacts().get(tenantId, c.contact_id)
  const input: WaSendInput = { sessionId: c.session_id, to: contact?.phone ?? c.peer, type: body.type }
  if (body.idempotencyKey) input.idempotencyKey = `inbox:${c.id}:${body.idempotencyKey}`
  if (body.type === 'reaction') {
    if (!target || !target.wa_message_id) throw new AppError(400, 'reaction_target_required', 'A reaction needs replyTo: a WhatsApp message of this conversation', { field: 'replyTo' })
    if (!body.emoji) throw new AppError(400, 'emoji_required', 'A reaction needs an emoji', { field: 'emoji' })
    input.reaction = { messageId: target.wa_message_id, emoji: body.emoji }
  } else if (body.type === 'text') {
    input.text = body.text
  } else if (MEDIA_TYPES.has(body.type)) {
    input.mediaId = body.mediaId
    if (body.text) input.caption = body.text
  }
  if (body.type !== 'reaction' && target) {
    if (!target.wa_message_id) throw new AppError(400, 'reply_target_not_found', 'Only WhatsApp messages can be replied to', { field: 'replyTo' })
    input.replyTo = target.wa_message_id
  }
  const wa = await deps.whatsapp().send(tenantId, input)

  const now = deps.now()
  const { row, item, firstResponse, responseSeconds, reacted } = await deps.ctx.db.transaction(async (trx) => {
    const locked = (await Conversation.of(tenantId, trx).findById(c.id).forUpdate())!
    const rows = (await trx('inbox_messages')
      .insert(rowOfOutbound(tenantId, c.id, wa, actor.userId, body.type === 'reaction' ? null : target, now))
      .onConflict(['tenant_id', 'id'])
      .merge({ author_id: actor.userId })
      .returning('*')) as Record<string, unknown>[]
    const item = Item.fromJson(rows[0], { skipValidation: true }) as Item
    let reacted: Reaction[] | null = null
    if (body.type === 'reaction' && target) {
      const others = (target.reactions ?? []).filter((r) => !(r.by === 'agent'))
      reacted = [...others, { emoji: body.emoji!, by: 'agent', userId: actor.userId, at: now.toISOString() }]
      await Item.of(tenantId, trx).where('id', target.id).patch({ reactions: reacted, updated_at: now } as any)
    }
    const patch: Record<string, unknown> = { last_outbound_at: now, last_message_at: new Date(Math.max(now.getTime(), new Date(locked.last_message_at).getTime())), version: locked.version + 1, updated_at: now }
    if (!locked.last_message || locked.last_message.id <= item.id) patch.last_message = lastMessageOf(item)
    // An agent's answer: the customer is no longer waiting. The first one ever is the first response time.
    let firstResponse = false
    let responseSeconds: number | null = null
    if (locked.waiting_since && body.type !== 'reaction') {
      responseSeconds = Math.max(0, Math.round((now.getTime() - new Date(locked.waiting_since).getTime()) / 1000))
      patch.waiting_since = null
      if (!locked.first_response_at) {
        firstResponse = true
        patch.first_response_at = now
        patch.first_response_seconds = responseSeconds
      }
    }
    const [row] = (await Conversation.of(tenantId, trx).where('id', c.id).patch(patch as any).returning('*')) as unknown as Conversation[]
    if (actor.userId) await markReadUpTo(deps, tenantId, actor.userId, c.id, row.inbound_seq, trx)
    await itemCreated(deps, trx, tenantId, item, target)
    return { row, item, firstResponse, responseSeconds, reacted }
  })
  // Everyone on the conversation sees the agent's reaction on the message, as they see a customer's.
  if (reacted && target) await deps.fanout.toConversation(tenantId, c.id, 'message.reaction', { id: target.id, conversationId: c.id, reactions: reacted })
  // The send is quick: "sent" may have come (and found no item) while the item was being stored,
  // so the item takes the message's status as it is now, not as send() answered it.
  await catchUp(deps, tenantId, (await deps.whatsapp().get(tenantId, wa.id)) ?? wa)
  await announce(deps, row)
  await deps.ctx.events.publish('inbox.message.sent', { tenantId, conversationId: c.id, messageId: item.id, by: actor.userId, type: item.type })
  if (responseSeconds !== null) {
    await deps.ctx.events.publish('inbox.conversation.responded', { tenantId, conversationId: c.id, responseSeconds, first: firstResponse, by: actor.userId, assigneeId: row.assignee_id, teamId: row.team_id })
  }
  const fresh = (await Item.of(tenantId).findById(item.id)) ?? item
  return itemView(fresh, body.type === 'reaction' ? null : target)
}

// ---- notes -----------------------------------------------------------------------------------------

const UUID_MENTION = /@([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/gi
const EMAIL_MENTION = /@([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})/g

/** `@<userId>` and `@name@example.com`: the active members of the tenant they name (at most 20). */
export async function mentionsIn(deps: Deps, tenantId: string, text: string, trx?: Knex.Transaction): Promise<string[]> {
  const ids = [...text.matchAll(UUID_MENTION)].map((m) => m[1].toLowerCase())
  const emails = [...text.matchAll(EMAIL_MENTION)].map((m) => m[1].toLowerCase())
  const db = trx ?? deps.ctx.db
  const found = [...(await activeMembers(db, tenantId, ids.slice(0, 20))), ...(await membersByEmail(db, tenantId, emails.slice(0, 20)))]
  return [...new Set(found.map((p) => p.id))].slice(0, 20)
}

/** A private note: never sent to WhatsApp; mentioned agents are told (`inbox.note.mentioned`). */
export async function addNote(deps: Deps, viewer: Viewer, actor: Actor, conversationId: string, text: string) {
  const tenantId = viewer.tenantId
  if (!text.trim()) throw new AppError(400, 'text_required', 'A note needs text', { field: 'text' })
  await findVisible(viewer, conversationId)
  const mentions = await mentionsIn(deps, tenantId, text)
  const now = deps.now()
  const item = await deps.ctx.db.transaction(async (trx) => {
    const note = await Item.of(tenantId, trx).insert({
      id: newId(),
      conversation_id: conversationId,
      kind: 'note',
      type: 'note',
      text,
      status: null,
      status_rank: 0,
      author_id: actor.userId,
      mentions,
      created_at: now,
      updated_at: now,
    } as Partial<Item>)
    await itemCreated(deps, trx, tenantId, note)
    for (const userId of mentions) {
      await deps.ctx.events.publish('inbox.note.mentioned', { tenantId, conversationId, noteId: note.id, userId, by: actor.userId }, { trx })
    }
    return note
  })
  for (const userId of mentions) {
    await deps.fanout.toUser(tenantId, userId, 'note.mentioned', { conversationId, noteId: item.id, by: actor.userId, text: text.slice(0, 200) })
  }
  return itemView(item)
}

// ---- reading the thread -------------------------------------------------------------------------------

export async function listThread(deps: Deps, viewer: Viewer, conversationId: string, opts: { before?: string; limit: number }) {
  const tenantId = viewer.tenantId
  await findVisible(viewer, conversationId)
  const q = Item.of(tenantId).select(ITEM_COLUMNS).where('conversation_id', conversationId).orderBy('id', 'desc').limit(opts.limit + 1)
  if (opts.before) q.where('id', '<', opts.before)
  const rows = await q
  const items = rows.slice(0, opts.limit)
  const targetIds = [...new Set(items.map((i) => i.reply_to_id).filter((id): id is string => Boolean(id)))]
  const targets = targetIds.length ? await Item.of(tenantId).whereIn('id', targetIds).select('id', 'kind', 'type', 'text') : []
  const byId = new Map(targets.map((t) => [t.id, t]))
  return {
    items: items.map((i) => itemView(i, i.reply_to_id ? (byId.get(i.reply_to_id) ?? null) : null)),
    nextCursor: rows.length > opts.limit ? encodeCursor(items[items.length - 1].id) : null,
  }
}
