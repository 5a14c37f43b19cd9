import { TenantModel } from '@sapa/sdk'

export type ConversationStatus = 'open' | 'pending' | 'snoozed' | 'resolved'
export type ItemKind = 'inbound' | 'outbound' | 'system' | 'note'

export interface LastMessage {
  id: string
  kind: ItemKind
  type: string
  text: string | null
  status: string | null
  at: string
}

export class Conversation extends TenantModel {
  static override tableName = 'inbox_conversations'
  static override idColumn = 'id'
  static override jsonAttributes = ['last_message']
  declare id: string
  declare session_id: string
  declare contact_id: string
  declare peer: string
  declare contact_name: string | null
  declare contact_phone: string | null
  declare status: ConversationStatus
  declare snoozed_until: Date | null
  declare priority: number
  declare assignee_id: string | null
  declare team_id: string | null
  declare labels: string[]
  declare version: number
  declare inbound_seq: number
  declare last_message: LastMessage | null
  declare last_message_at: Date
  declare last_inbound_at: Date | null
  declare last_outbound_at: Date | null
  declare waiting_since: Date | null
  declare opened_at: Date
  declare assigned_at: Date | null
  declare first_response_at: Date | null
  declare first_response_seconds: number | null
  declare resolved_at: Date | null
  declare resolution_seconds: number | null
  declare resolved_count: number
  declare created_at: Date
  declare updated_at: Date
  /** Only on list queries: the caller's read mark, and the assignee's name. */
  declare read_seq?: number | null
  declare assignee_name?: string | null
}

export class Item extends TenantModel {
  static override tableName = 'inbox_messages'
  static override idColumn = 'id'
  static override jsonAttributes = ['media', 'payload', 'reactions', 'mentions']
  declare id: string
  declare conversation_id: string
  declare kind: ItemKind
  declare wa_message_id: string | null
  declare provider_id: string | null
  declare type: string
  declare text: string | null
  declare media: { id: string; url: string; mime?: string; size?: number; filename?: string } | null
  declare payload: Record<string, unknown> | null
  declare status: string | null
  declare status_rank: number
  declare error: string | null
  declare reply_to_id: string | null
  declare reply_to_provider: string | null
  declare reactions: Reaction[] | null
  declare author_id: string | null
  declare mentions: string[] | null
  declare sent_at: Date | null
  declare delivered_at: Date | null
  declare read_at: Date | null
  declare created_at: Date
  declare updated_at: Date
}

/** The conversation columns the API shows (lists read these, not every timing column). */
export const CONVERSATION_COLUMNS = ['id', 'session_id', 'contact_id', 'peer', 'contact_name', 'contact_phone', 'status', 'snoozed_until', 'priority', 'assignee_id', 'team_id', 'labels', 'version', 'inbound_seq', 'last_message', 'last_message_at', 'waiting_since', 'opened_at', 'first_response_seconds', 'resolution_seconds', 'resolved_at', 'created_at', 'updated_at'].map((c) => `inbox_conversations.${c}`)

/** The item columns the API shows (not the search vector). */
export const ITEM_COLUMNS = ['id', 'conversation_id', 'kind', 'wa_message_id', 'provider_id', 'type', 'text', 'media', 'payload', 'status', 'status_rank', 'error', 'reply_to_id', 'reply_to_provider', 'reactions', 'author_id', 'mentions', 'sent_at', 'delivered_at', 'read_at', 'created_at', 'updated_at'].map((c) => `inbox_messages.${c}`)

export interface Reaction {
  emoji: string
  by: 'customer' | 'agent'
  userId?: string | null
  at: string
}

export class Read extends TenantModel {
  static override tableName = 'inbox_reads'
  static override idColumn = ['user_id', 'conversation_id']
  declare user_id: string
  declare conversation_id: string
  declare read_seq: number
  declare read_at: Date
}

export class Team extends TenantModel {
  static override tableName = 'inbox_teams'
  static override idColumn = 'id'
  static override jsonAttributes = ['session_ids']
  declare id: string
  declare name: string
  declare description: string
  declare auto_assign: boolean
  declare capacity: number
  declare session_ids: string[]
  declare created_at: Date
  declare updated_at: Date
}

export class TeamMember extends TenantModel {
  static override tableName = 'inbox_team_members'
  static override idColumn = ['team_id', 'user_id']
  declare team_id: string
  declare user_id: string
  declare last_assigned_at: Date | null
  declare created_at: Date
}

export type PresenceStatus = 'online' | 'away' | 'offline'

export class Presence extends TenantModel {
  static override tableName = 'inbox_presence'
  static override idColumn = 'user_id'
  declare user_id: string
  declare status: PresenceStatus
  /** The status was set by the auto-away sweep, not chosen by the agent. */
  declare auto: boolean
  declare last_seen_at: Date
  declare changed_at: Date
}

export class QuickReply extends TenantModel {
  static override tableName = 'inbox_quick_replies'
  static override idColumn = 'id'
  declare id: string
  declare shortcut: string
  declare title: string
  declare category: string
  declare text: string
  declare created_by: string | null
  declare created_at: Date
  declare updated_at: Date
}

/** Delivery status only moves forward (the whatsapp plugin's ranks): a late "delivered" never downgrades "read". */
export const STATUS_RANK: Record<string, number> = { received: 0, queued: 0, sending: 1, sent: 2, failed: 3, delivered: 3, read: 4 }
export const STATUS_TIME_COLUMN: Record<string, 'sent_at' | 'delivered_at' | 'read_at' | undefined> = { sent: 'sent_at', delivered: 'delivered_at', read: 'read_at' }

export const PRIORITIES = ['none', 'low', 'medium', 'high', 'urgent'] as const
export type Priority = (typeof PRIORITIES)[number]
