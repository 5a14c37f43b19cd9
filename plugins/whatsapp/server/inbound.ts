import { newId, type PluginContext } from '@sapa/sdk'
import type { InboundMessage, StatusUpdate } from './drivers/port.ts'
import { WaMessage, type MessageRow } from './models.ts'
import { MEDIA_RULES, type MediaKind, type MediaStore } from './media.ts'
import { createBatchedWrites, type BatchedWrites } from './batched-writes.ts'
import { messageView } from './views.ts'
import { announceStatus } from './announce.ts'
import { noNul } from './nul.ts'

/**
 * The receive pipeline: what every driver reports, in one shape, stored once.
 * Inbound messages are unique per (tenant, number, provider id) — a unique index, so the same
 * message delivered twice, even at the same moment on two connections, inserts once.
 */
export function createInbound(ctx: PluginContext<any>, media: MediaStore, writes: BatchedWrites = createBatchedWrites(ctx)) {

  async function storeMedia(tenantId: string, row: MessageRow, message: InboundMessage) {
    if (!message.media) return
    const kind = (row.type in MEDIA_RULES ? row.type : 'document') as MediaKind
    try {
      if (message.media.size && message.media.size > MEDIA_RULES[kind].maxBytes) throw new Error(`${kind} larger than ${MEDIA_RULES[kind].maxBytes} bytes`)
      const data = await message.media.download()
      // Stored as a document when the bytes are not the kind the provider claimed.
      const stored = await media.save(tenantId, kind, data, message.media.filename).catch(() => media.save(tenantId, 'document', data, message.media!.filename))
      // One payload for the row and for what is announced, so realtime shows what GET returns.
      const payload = { ...(row.payload ?? {}), media: { mime: stored.mime, size: stored.size, filename: stored.filename, caption: message.media.caption ?? null } }
      await WaMessage.of(tenantId).findById(row.id).patch({ media_id: stored.id, payload } as any)
      row.media_id = stored.id
      row.payload = payload
    } catch (err) {
      // The message is kept either way; what went wrong with its file is recorded on it.
      ctx.logger.warn({ err, messageId: row.id }, 'inbound media not stored')
      await WaMessage.of(tenantId).findById(row.id).patch({ payload: { ...(row.payload ?? {}), mediaError: (err as Error).message.slice(0, 200) } } as any)
    }
  }

  const api = {
    async message(tenantId: string, sessionId: string, incoming: InboundMessage): Promise<MessageRow | null> {
      // The media keeps its download function; every string field loses its NULs.
      const { media: incomingMedia, ...fields } = incoming
      const message: InboundMessage = { ...noNul(fields), ...(incomingMedia ? { media: { ...incomingMedia, caption: noNul(incomingMedia.caption), filename: noNul(incomingMedia.filename) } } : {}) }
      const now = ctx.clock.now()
      const payload: Record<string, unknown> = {}
      if (message.location) payload.location = message.location
      if (message.reaction) payload.reaction = message.reaction
      if (message.contacts) payload.contacts = message.contacts.slice(0, 20)
      if (message.fromLid) payload.lid = message.fromLid
      const stored = await writes.insertInbound({
        tenant_id: tenantId,
        id: newId(),
        session_id: sessionId,
        direction: 'in',
        provider_id: message.providerId.slice(0, 128),
        peer: message.from.slice(0, 32),
        peer_name: message.fromName?.slice(0, 255) ?? null,
        type: message.type,
        text: message.text ?? message.media?.caption ?? null,
        payload: Object.keys(payload).length ? JSON.stringify(payload) : null,
        reply_to: message.replyTo?.slice(0, 128) ?? null,
        status: 'received',
        status_rank: 0,
        created_at: message.timestamp ?? now,
        updated_at: now,
      })
      if (!stored) return null // a duplicate: already stored and announced
      await storeMedia(tenantId, stored, message)
      await ctx.events.publish('whatsapp.message.received', {
        tenantId,
        messageId: stored.id,
        sessionId,
        from: stored.peer,
        fromName: stored.peer_name,
        type: stored.type,
        text: stored.text,
        mediaId: stored.media_id,
        providerId: stored.provider_id,
      })
      // Handed to the fan-out, not waited for: the row is stored, Redis keeps the order of what it is
      // given, and the driver's next message no longer waits a round trip (a fifth of each message's time).
      void ctx.realtime.publish(tenantId, `session:${sessionId}`, 'message.received', messageView(stored)).catch((err) => ctx.logger.warn({ err, messageId: stored.id }, 'inbound message not announced'))
      return stored
    },

    /** Forward-only: the update applies only when it ranks above the stored status. */
    async ack(tenantId: string, sessionId: string, update: StatusUpdate, retry = true): Promise<boolean> {
      const stored = await writes.applyStatus({
        tenantId,
        sessionId,
        providerId: update.providerId,
        status: update.status,
        at: update.at,
        error: update.status === 'failed' ? noNul(update.error ?? 'failed').slice(0, 500) : null,
      })
      if (!stored) {
        // An ack can overtake the send's own bookkeeping: look again once, shortly after.
        if (retry) setTimeout(() => void api.ack(tenantId, sessionId, update, false).catch(() => {}), 300).unref()
        return false
      }
      await announceStatus(ctx, tenantId, stored)
      return true
    },
  }
  return api
}

export type Inbound = ReturnType<typeof createInbound>
