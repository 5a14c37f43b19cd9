import { getContentType, normalizeMessageContent, proto, toNumber, type WAMessageContent } from '@whiskeysockets/baileys'
import type { DeliveryStatus, Location, MessageType } from '../port.ts'

/** What a WhatsApp message says, without who sent it (the driver resolves the sender). */
export interface NormalisedContent {
  type: MessageType
  text?: string
  media?: { mime?: string; filename?: string; size?: number; caption?: string }
  location?: Location
  reaction?: { providerId: string; emoji: string }
  contacts?: string[]
  replyTo?: string
}

/** Content keys that carry no message a person wrote: never reported. */
const IGNORED = new Set([
  'protocolMessage', // deletes, edits, ephemeral settings, history sync and app-state key shares
  'senderKeyDistributionMessage',
  'messageContextInfo',
  'pollUpdateMessage',
  'encReactionMessage',
  'encEventResponseMessage',
  'keepInChatMessage',
  'pinInChatMessage',
  'callLogMesssage',
  'bcallMessage',
  'messageHistoryNotice',
])

const MEDIA = [
  ['imageMessage', 'image'],
  ['videoMessage', 'video'],
  ['ptvMessage', 'video'],
  ['audioMessage', 'audio'],
  ['documentMessage', 'document'],
  ['stickerMessage', 'sticker'],
] as const

/**
 * A Baileys message body → what the port carries. Unwraps ephemeral / view-once / document-with-caption
 * / edited wrappers first (Baileys' normalizeMessageContent). Returns null for bodies that are not a
 * message a person sent (protocol messages — which includes edits and deletes —, key distribution, poll votes).
 */
export function normaliseContent(raw: WAMessageContent | null | undefined): NormalisedContent | null {
  const c = normalizeMessageContent(raw)
  if (!c) return null

  if (c.reactionMessage) {
    const target = c.reactionMessage.key?.id
    if (!target) return null
    return { type: 'reaction', reaction: { providerId: target, emoji: c.reactionMessage.text ?? '' } }
  }
  if (typeof c.conversation === 'string' && c.conversation.length) return { type: 'text', text: c.conversation }
  if (c.extendedTextMessage) {
    return withReply({ type: 'text', text: c.extendedTextMessage.text ?? '' }, c.extendedTextMessage.contextInfo)
  }
  for (const [field, type] of MEDIA) {
    const m = c[field] as (proto.Message.IImageMessage & proto.Message.IDocumentMessage) | null | undefined
    if (!m) continue
    const media: NonNullable<NormalisedContent['media']> = {}
    if (m.mimetype) media.mime = m.mimetype
    if (m.fileName) media.filename = m.fileName
    if (m.fileLength != null) media.size = toNumber(m.fileLength as any)
    if (m.caption) media.caption = m.caption
    return withReply({ type, media }, m.contextInfo)
  }
  if (c.locationMessage || c.liveLocationMessage) {
    const l = (c.locationMessage ?? c.liveLocationMessage)!
    const location: Location = { latitude: Number(l.degreesLatitude ?? 0), longitude: Number(l.degreesLongitude ?? 0) }
    const named = c.locationMessage
    if (named?.name) location.name = named.name
    if (named?.address) location.address = named.address
    return withReply({ type: 'location', location }, l.contextInfo)
  }
  if (c.contactMessage) {
    return withReply({ type: 'contacts', contacts: c.contactMessage.vcard ? [c.contactMessage.vcard] : [] }, c.contactMessage.contextInfo)
  }
  if (c.contactsArrayMessage) {
    const contacts = (c.contactsArrayMessage.contacts ?? []).map((x) => x.vcard).filter((v): v is string => typeof v === 'string' && v.length > 0)
    return withReply({ type: 'contacts', contacts }, c.contactsArrayMessage.contextInfo)
  }

  const type = getContentType(c)
  if (!type || IGNORED.has(type)) return null
  // Something a person sent that we do not model (poll, buttons reply, event, product…): kept as unknown.
  const body = c[type] as { text?: string | null; caption?: string | null; contextInfo?: proto.IContextInfo | null } | string | null
  if (body == null) return null
  const text = typeof body === 'string' ? body : (body.text ?? body.caption ?? undefined)
  const out: NormalisedContent = { type: 'unknown' }
  if (text) out.text = text
  return withReply(out, typeof body === 'object' ? body.contextInfo : undefined)
}

function withReply(content: NormalisedContent, context: proto.IContextInfo | null | undefined): NormalisedContent {
  if (context?.stanzaId) content.replyTo = context.stanzaId
  return content
}

/** WebMessageInfo.Status → the port's delivery status (PENDING and unknown values → null). */
export function deliveryStatus(status: number | null | undefined): Extract<DeliveryStatus, 'sent' | 'delivered' | 'read' | 'failed'> | null {
  const S = proto.WebMessageInfo.Status
  switch (status) {
    case S.SERVER_ACK:
      return 'sent'
    case S.DELIVERY_ACK:
      return 'delivered'
    case S.READ:
    case S.PLAYED:
      return 'read'
    case S.ERROR:
      return 'failed'
    default:
      return null
  }
}

/** A receipt (group / broadcast acks) → status and when. */
export function receiptStatus(receipt: proto.IUserReceipt | null | undefined): { status: 'delivered' | 'read'; atMs: number } | null {
  if (!receipt) return null
  const read = receipt.readTimestamp ?? receipt.playedTimestamp
  if (read != null && toNumber(read as any) > 0) return { status: 'read', atMs: toNumber(read as any) * 1000 }
  if (receipt.receiptTimestamp != null && toNumber(receipt.receiptTimestamp as any) > 0) return { status: 'delivered', atMs: toNumber(receipt.receiptTimestamp as any) * 1000 }
  return null
}

/** Seconds (number or Long) → Date; null when absent. */
export function timestampOf(value: unknown): Date | null {
  if (value == null) return null
  const seconds = toNumber(value as any)
  return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : null
}
