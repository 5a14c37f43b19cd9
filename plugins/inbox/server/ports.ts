/**
 * What the inbox uses of other plugins, described here (never imported from their folders):
 * resolved with `ctx.use('whatsapp.messages')` and `ctx.use('contacts.directory')`.
 */

/** The whatsapp plugin's message as its API shows it (the fields the inbox reads). */
export interface WaMessageView {
  id: string
  sessionId: string
  direction: 'in' | 'out'
  providerId: string | null
  peer: string
  peerName: string | null
  type: string
  text: string | null
  media: { id: string; url: string; mime?: string; size?: number; filename?: string; caption?: string | null } | null
  location: unknown
  reaction: { providerId: string; emoji: string } | null
  contacts: unknown
  replyTo: string | null
  status: string
  error: string | null
  sentAt: string | Date | null
  deliveredAt: string | Date | null
  readAt: string | Date | null
  createdAt: string | Date
}

export interface WaSendInput {
  sessionId: string
  to: string
  type: 'text' | 'image' | 'document' | 'audio' | 'video' | 'sticker' | 'reaction'
  text?: string
  mediaId?: string
  caption?: string
  reaction?: { messageId: string; emoji: string }
  replyTo?: string
  idempotencyKey?: string
}

export interface WhatsAppMessages {
  send(tenantId: string, input: WaSendInput): Promise<WaMessageView>
  get(tenantId: string, messageId: string): Promise<WaMessageView | null>
}

export interface ContactSummary {
  id: string
  name: string | null
  phone: string
  email: string | null
  labels: string[]
  optedOut: boolean
  lastContactedAt: string | null
}

export interface ContactsDirectory {
  upsertByPhone(tenantId: string, phone: string, fields?: { name?: string | null }): Promise<ContactSummary>
  get(tenantId: string, id: string): Promise<ContactSummary | null>
  getMany(tenantId: string, ids: string[]): Promise<ContactSummary[]>
  search(tenantId: string, q: string, limit: number): Promise<string[]>
  segmentMembers(tenantId: string, segmentId: string, cursor: string | null, limit: number): Promise<{ ids: string[]; nextCursor: string | null }>
}

/** Events the inbox handles. */
export interface WaReceivedEvent {
  tenantId: string
  messageId: string
  sessionId: string
  from: string
  fromName: string | null
  type: string
  text: string | null
  mediaId: string | null
  providerId: string | null
}

export interface WaStatusEvent {
  tenantId: string
  messageId: string
  sessionId: string
  status: string
  providerId: string | null
  error: string | null
}

export interface ContactMergedEvent {
  tenantId: string
  fromId: string
  intoId: string
}
