// The shapes the inbox API answers (plugins/inbox/server/views.ts), as the browser sees them.

export type ConversationStatus = 'open' | 'pending' | 'snoozed' | 'resolved'
export type Priority = 'none' | 'low' | 'medium' | 'high' | 'urgent'
export const PRIORITIES: Priority[] = ['none', 'low', 'medium', 'high', 'urgent']
export const STATUSES: ConversationStatus[] = ['open', 'pending', 'snoozed', 'resolved']

export interface LastMessage {
  id: string
  kind: ItemKind
  type: string
  text: string | null
  status: string | null
  at: string
}

export interface Conversation {
  id: string
  sessionId: string
  contact: { id: string; name: string | null; phone: string }
  status: ConversationStatus
  snoozedUntil: string | null
  priority: Priority
  assignee: { id: string; name: string | null } | null
  teamId: string | null
  labels: string[]
  lastMessage: LastMessage | null
  lastMessageAt: string
  /** The caller's unread count; absent on realtime events (computed from inboundCount and the read mark). */
  unread?: number
  inboundCount: number
  version: number
}

export type ItemKind = 'inbound' | 'outbound' | 'system' | 'note'

export interface Media {
  id: string
  url?: string
  mime?: string
  size?: number
  filename?: string
}

export interface Reaction {
  emoji: string
  by: 'customer' | 'agent'
  userId?: string | null
  at: string
}

export interface Item {
  id: string
  conversationId: string
  kind: ItemKind
  type: string
  text: string | null
  media: Media | null
  location: { latitude: number; longitude: number; name?: string; address?: string } | null
  contacts: unknown
  /** System lines: what happened ({event, by, to, assigneeId, …}), for wording it in the reader's language. */
  system: Record<string, unknown> | null
  status: string | null
  error: string | null
  replyTo: { id: string | null; kind: ItemKind | null; type: string | null; text: string | null } | null
  reactions: Reaction[]
  authorId: string | null
  whatsappMessageId: string | null
  sentAt: string | null
  deliveredAt: string | null
  readAt: string | null
  createdAt: string
}

export interface StatusEvent {
  id: string
  conversationId: string
  status: string
  error: string | null
  sentAt?: string | null
  deliveredAt?: string | null
  readAt?: string | null
}

export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

export interface Team {
  id: string
  name: string
}

export interface Agent {
  id: string
  name: string
  presence: 'online' | 'away' | 'offline'
}

export interface QuickReply {
  id: string
  shortcut: string
  title: string
  category: string
  text: string
}

export interface SearchResult {
  conversations: Conversation[]
  messages: (Item & { conversation: { id: string; contact?: { name: string | null; phone: string } } })[]
  nextCursor: string | null
}

/**
 * Outbound ticks only move forward (as on the server): an event arriving late never takes a tick back.
 * Failed ranks with delivered, so a failure after a retry that got through does not hide the ticks.
 */
export const STATUS_RANK: Record<string, number> = { received: 0, queued: 0, sending: 1, sent: 2, failed: 3, delivered: 3, read: 4 }

export const rankOf = (status: string | null | undefined) => STATUS_RANK[status ?? ''] ?? 0
