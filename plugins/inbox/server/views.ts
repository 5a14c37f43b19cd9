import type { Conversation, Item, QuickReply, Team } from './models.ts'
import { PRIORITIES } from './models.ts'
import type { Person } from './people.ts'

const iso = (d: Date | string | null | undefined): string | null => (d ? (d instanceof Date ? d : new Date(d)).toISOString() : null)

export interface ConversationExtras {
  people?: Map<string, Person>
  /** The caller's read mark; undefined when not known (realtime fan-out). */
  readSeq?: number | null
}

export function conversationView(c: Conversation, extras: ConversationExtras = {}) {
  const assigneeName = c.assignee_id ? (c.assignee_name ?? extras.people?.get(c.assignee_id)?.name ?? null) : null
  return {
    id: c.id,
    sessionId: c.session_id,
    contact: { id: c.contact_id, name: c.contact_name ?? null, phone: c.contact_phone ?? c.peer },
    status: c.status,
    snoozedUntil: iso(c.snoozed_until),
    priority: PRIORITIES[c.priority] ?? 'none',
    assignee: c.assignee_id ? { id: c.assignee_id, name: assigneeName } : null,
    teamId: c.team_id,
    labels: c.labels ?? [],
    lastMessage: c.last_message ?? null,
    lastMessageAt: iso(c.last_message_at),
    /** Inbound messages this user has not read (per agent). */
    unread: extras.readSeq === undefined ? undefined : Math.max(0, c.inbound_seq - (extras.readSeq ?? 0)),
    inboundCount: c.inbound_seq,
    waitingSince: iso(c.waiting_since),
    firstResponseSeconds: c.first_response_seconds,
    resolutionSeconds: c.resolution_seconds,
    openedAt: iso(c.opened_at),
    resolvedAt: iso(c.resolved_at),
    version: c.version,
    createdAt: iso(c.created_at),
    updatedAt: iso(c.updated_at),
  }
}

export type ConversationView = ReturnType<typeof conversationView>

export function itemView(i: Item, replyTarget?: Pick<Item, 'id' | 'kind' | 'type' | 'text'> | null) {
  const payload = i.payload ?? {}
  return {
    id: i.id,
    conversationId: i.conversation_id,
    kind: i.kind,
    type: i.type,
    text: i.text,
    media: i.media ?? null,
    location: (payload.location as unknown) ?? null,
    contacts: (payload.contacts as unknown) ?? null,
    system: i.kind === 'system' ? payload : null,
    status: i.status,
    error: i.error,
    replyTo: i.reply_to_id
      ? { id: i.reply_to_id, kind: replyTarget?.kind ?? null, type: replyTarget?.type ?? null, text: replyTarget?.text?.slice(0, 200) ?? null }
      : i.reply_to_provider
        ? { id: null, providerId: i.reply_to_provider, kind: null, type: null, text: null }
        : null,
    reactions: i.reactions ?? [],
    authorId: i.author_id,
    mentions: i.mentions ?? [],
    whatsappMessageId: i.wa_message_id,
    sentAt: iso(i.sent_at),
    deliveredAt: iso(i.delivered_at),
    readAt: iso(i.read_at),
    createdAt: iso(i.created_at),
  }
}

export type ItemView = ReturnType<typeof itemView>

export function teamView(t: Team, members?: { userId: string; name: string | null }[]) {
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    autoAssign: t.auto_assign,
    capacity: t.capacity,
    sessionIds: t.session_ids ?? [],
    ...(members ? { members } : {}),
    createdAt: iso(t.created_at),
    updatedAt: iso(t.updated_at),
  }
}

export function quickReplyView(q: QuickReply) {
  return { id: q.id, shortcut: q.shortcut, title: q.title, category: q.category, text: q.text, createdBy: q.created_by, createdAt: iso(q.created_at), updatedAt: iso(q.updated_at) }
}
