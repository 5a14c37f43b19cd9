import { AppError, isUuid, newId, type PluginContext, type QueueJob } from '@sapa/sdk'
import { DriverError, type OutboundMessage, type WhatsAppDriver } from './drivers/port.ts'
import { WaMedia, WaMessage, WaSession } from './models.ts'
import { MEDIA_RULES, type MediaKind, type MediaStore } from './media.ts'
import { toE164 } from './phone.ts'
import { STATUS_RANK } from './status.ts'
import { messageView } from './views.ts'

export const SEND_ATTEMPTS = 4 // the first try and three retries: 2 s, 4 s, 8 s
export const SEND_BACKOFF = { type: 'exponential' as const, delay: 2000 }

export interface SendInput {
  sessionId: string
  to: string
  type: 'text' | 'image' | 'document' | 'audio' | 'video' | 'sticker' | 'location' | 'reaction' | 'template'
  text?: string
  mediaId?: string
  caption?: string
  location?: { latitude: number; longitude: number; name?: string; address?: string }
  reaction?: { messageId: string; emoji: string }
  template?: { name: string; language: string; components?: unknown[] }
  /** Our message id (or the provider's) of the message this one answers. */
  replyTo?: string
  /** A retry of the same request with the same key returns the first message, never sends twice. */
  idempotencyKey?: string
}

export const sendQueue = (sessionId: string) => `send.${sessionId}`

/** One sender at a time per recipient, so messages to one person arrive in the order they were queued. */
class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>()
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve()
    let release!: () => void
    const mine = new Promise<void>((r) => (release = r))
    const tail = previous.then(() => mine)
    this.tails.set(key, tail)
    await previous
    try {
      return await fn()
    } finally {
      release()
      if (this.tails.get(key) === tail) this.tails.delete(key)
    }
  }
}

export function createOutbound(ctx: PluginContext<any>, media: MediaStore) {
  const mutex = new KeyedMutex()

  async function publish(tenantId: string, row: WaMessage) {
    await ctx.events.publish('whatsapp.message.status', { tenantId, messageId: row.id, sessionId: row.session_id, status: row.status, providerId: row.provider_id, error: row.error })
    await ctx.realtime.publish(tenantId, `session:${row.session_id}`, 'message.status', messageView(row))
  }

  /** Validate, write the row as queued, then enqueue on the number's own queue. */
  async function send(tenantId: string, input: SendInput): Promise<{ message: WaMessage; created: boolean }> {
    const session = await WaSession.of(tenantId).findById(input.sessionId)
    if (!session) throw new AppError(404, 'session_not_found', 'WhatsApp number not found', { field: 'sessionId' })
    const peer = toE164(input.to, 'ID', 'to')
    if (input.idempotencyKey) {
      const existing = await WaMessage.of(tenantId).where('idempotency_key', input.idempotencyKey).first()
      if (existing) return { message: existing, created: false }
    }
    const payload: Record<string, unknown> = {}
    let text: string | null = input.text ?? null
    let mediaId: string | null = null
    switch (input.type) {
      case 'text':
        if (!input.text || !input.text.trim()) throw new AppError(400, 'text_required', 'A text message needs text', { field: 'text' })
        break
      case 'location':
        if (!input.location) throw new AppError(400, 'location_required', 'A location message needs a location', { field: 'location' })
        payload.location = input.location
        break
      case 'reaction': {
        if (!input.reaction) throw new AppError(400, 'reaction_required', 'A reaction needs the message and an emoji', { field: 'reaction' })
        const target = await resolveProviderId(tenantId, input.sessionId, input.reaction.messageId)
        payload.reaction = { providerId: target, emoji: input.reaction.emoji }
        break
      }
      case 'template':
        if (!input.template) throw new AppError(400, 'template_required', 'A template message needs a template', { field: 'template' })
        payload.template = input.template
        break
      default: {
        if (!input.mediaId) throw new AppError(400, 'media_required', `A ${input.type} message needs mediaId (upload it with POST /api/whatsapp/media)`, { field: 'mediaId' })
        const file = await WaMedia.of(tenantId).findById(input.mediaId)
        if (!file) throw new AppError(404, 'media_not_found', 'Media not found', { field: 'mediaId' })
        const rule = MEDIA_RULES[input.type as MediaKind]
        if (rule.mimes && !(rule.mimes as readonly string[]).includes(file.mime)) {
          throw new AppError(415, 'media_type_not_allowed', `This file is ${file.mime}, which cannot be sent as ${input.type}`, { field: 'mediaId', mime: file.mime })
        }
        if (file.size > rule.maxBytes) throw new AppError(413, 'media_too_large', `A ${input.type} may be at most ${Math.round(rule.maxBytes / 1048576)} MB`)
        mediaId = file.id
        text = input.caption ?? null
        payload.media = { mime: file.mime, size: file.size, filename: file.filename }
      }
    }
    const replyTo = input.replyTo ? await resolveProviderId(tenantId, input.sessionId, input.replyTo) : null
    const now = ctx.clock.now()
    const id = newId()
    const inserted = (await ctx
      .db('whatsapp_messages')
      .insert({
        tenant_id: tenantId,
        id,
        session_id: session.id,
        direction: 'out',
        peer,
        type: input.type,
        text,
        media_id: mediaId,
        payload: Object.keys(payload).length ? JSON.stringify(payload) : null,
        reply_to: replyTo,
        status: 'queued',
        status_rank: 0,
        idempotency_key: input.idempotencyKey ?? null,
        created_at: now,
        updated_at: now,
      })
      .onConflict(ctx.db.raw('(tenant_id, idempotency_key) where idempotency_key is not null'))
      .ignore()
      .returning('*')) as any[]
    if (!inserted.length) {
      // Two requests with one key at the same moment: the other one won; answer with its message.
      const existing = await WaMessage.of(tenantId).where('idempotency_key', input.idempotencyKey!).first()
      return { message: existing!, created: false }
    }
    // The row exists before the job: if the enqueue is lost, the reconciler finds the row.
    await ctx.jobs.add(sendQueue(session.id), { tenantId, messageId: id }, { jobId: id, attempts: SEND_ATTEMPTS, backoff: SEND_BACKOFF })
    const message = WaMessage.fromJson(inserted[0], { skipValidation: true }) as WaMessage
    await ctx.realtime.publish(tenantId, `session:${session.id}`, 'message.queued', messageView(message))
    return { message, created: true }
  }

  async function resolveProviderId(tenantId: string, sessionId: string, reference: string): Promise<string> {
    if (isUuid(reference)) {
      const target = await WaMessage.of(tenantId).findById(reference)
      if (!target || target.session_id !== sessionId || !target.provider_id) {
        throw new AppError(400, 'reply_target_not_found', 'The message to reply or react to is not on this number (or not sent yet)', { field: 'replyTo' })
      }
      return target.provider_id
    }
    if (!/^[\w.:=+/-]{4,128}$/.test(reference)) throw new AppError(400, 'reply_target_not_found', 'Unknown message reference', { field: 'replyTo' })
    return reference
  }

  /** The job: send one queued message through the number's live driver. Idempotent. */
  async function process(job: QueueJob, driver: () => WhatsAppDriver | null): Promise<unknown> {
    const { tenantId, messageId } = job.data as { tenantId: string; messageId: string }
    const message = await WaMessage.of(tenantId).findById(messageId)
    // Sent already (a redelivered job), failed by the hold timeout, or gone: nothing to do.
    if (!message || message.status_rank > STATUS_RANK.sending) return { skipped: true }
    return mutex.run(`${tenantId}:${message.peer}`, async () => {
      const live = driver()
      if (!live) throw new DriverError('The number is not connected on this worker', 'not_connected', true)
      await WaMessage.of(tenantId).findById(messageId).patch({ status: 'sending', status_rank: STATUS_RANK.sending, attempts: message.attempts + 1, updated_at: ctx.clock.now() } as any)
      const outbound: OutboundMessage = {
        id: message.id,
        to: message.peer,
        type: message.type as OutboundMessage['type'],
        text: message.text ?? undefined,
        location: (message.payload?.location as OutboundMessage['location']) ?? undefined,
        reaction: (message.payload?.reaction as OutboundMessage['reaction']) ?? undefined,
        template: (message.payload?.template as OutboundMessage['template']) ?? undefined,
        replyTo: message.reply_to ?? undefined,
      }
      if (message.media_id) {
        const file = await media.load(tenantId, message.media_id)
        if (!file) return fail(tenantId, messageId, 'The media file is gone')
        outbound.media = { data: file.data, mime: file.row.mime, filename: file.row.filename, caption: message.text ?? undefined }
      }
      try {
        const { providerId } = await live.send(outbound)
        const rows = (await ctx
          .db('whatsapp_messages')
          .where({ tenant_id: tenantId, id: messageId })
          .update({
            provider_id: providerId,
            // An ack may have arrived first: never step back from it.
            status: ctx.db.raw(`case when status_rank < ? then 'sent' else status end`, [STATUS_RANK.sent]),
            status_rank: ctx.db.raw('greatest(status_rank, ?)', [STATUS_RANK.sent]),
            sent_at: ctx.clock.now(),
            error: null,
            updated_at: ctx.clock.now(),
          })
          .returning('*')) as any[]
        await publish(tenantId, WaMessage.fromJson(rows[0], { skipValidation: true }) as WaMessage)
        return { providerId }
      } catch (err) {
        const retryable = err instanceof DriverError ? err.retryable : true
        const last = job.attemptsMade + 1 >= SEND_ATTEMPTS
        if (!retryable || last) return fail(tenantId, messageId, (err as Error).message)
        await WaMessage.of(tenantId).findById(messageId).patch({ status: 'queued', status_rank: STATUS_RANK.queued, error: (err as Error).message.slice(0, 500), updated_at: ctx.clock.now() } as any)
        throw err
      }
    })
  }

  async function fail(tenantId: string, messageId: string, reason: string) {
    const rows = (await ctx
      .db('whatsapp_messages')
      .where({ tenant_id: tenantId, id: messageId })
      .andWhere('status_rank', '<', STATUS_RANK.failed)
      .update({ status: 'failed', status_rank: STATUS_RANK.failed, error: reason.slice(0, 500), updated_at: ctx.clock.now() })
      .returning('*')) as any[]
    if (rows.length) await publish(tenantId, WaMessage.fromJson(rows[0], { skipValidation: true }) as WaMessage)
    return { failed: reason }
  }

  return { send, process, fail }
}

export type Outbound = ReturnType<typeof createOutbound>
