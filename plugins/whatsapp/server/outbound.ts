import { AppError, createBatcher, isUuid, newId, type JobOptions, type PluginContext, type QueueJob } from '@sapa/sdk'
import { DriverError, type OutboundMessage, type WhatsAppDriver } from './drivers/port.ts'
import { WaMedia, WaMessage, type MessageRow } from './models.ts'
import { createBatchedWrites, type BatchedWrites } from './batched-writes.ts'
import { MEDIA_RULES, type MediaKind, type MediaStore } from './media.ts'
import { toE164 } from './phone.ts'
import { STATUS_RANK } from './status.ts'
import { messageView } from './views.ts'
import { announceStatus } from './announce.ts'
import { hasNul } from './nul.ts'

export const SEND_ATTEMPTS = 4 // the first try and three retries: 2 s, 4 s, 8 s
export const SEND_BACKOFF = { type: 'exponential' as const, delay: 2000 }
/** How long a message may keep waiting for a provider's "come back later" before it fails. */
const MAX_DEFER_MS = 24 * 3600_000

/**
 * The retry backoff, read when the plugin registers. SAPA_WHATSAPP_SEND_BACKOFF_MS (default 2000)
 * exists so tests can run the four attempts in milliseconds instead of 14 s; production leaves it unset.
 */
export function sendBackoff(env: NodeJS.ProcessEnv = process.env): { type: 'exponential'; delay: number } {
  const raw = env.SAPA_WHATSAPP_SEND_BACKOFF_MS
  const ms = raw === undefined || raw === '' ? NaN : Number(raw)
  return { type: 'exponential', delay: Number.isFinite(ms) && ms >= 0 ? Math.round(ms) : SEND_BACKOFF.delay }
}

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
  /** Takes a place in the key's line now (synchronously); `ready` resolves when it is this one's turn. */
  ticket(key: string): { ready: Promise<void>; release: () => void } {
    const previous = this.tails.get(key) ?? Promise.resolve()
    let release!: () => void
    const mine = new Promise<void>((r) => (release = r))
    const tail = previous.then(() => mine)
    this.tails.set(key, tail)
    return {
      ready: previous,
      release: () => {
        release()
        if (this.tails.get(key) === tail) this.tails.delete(key)
      },
    }
  }
}

export function createOutbound(ctx: PluginContext<any>, media: MediaStore, writes: BatchedWrites = createBatchedWrites(ctx)) {
  const mutex = new KeyedMutex()
  const backoff = sendBackoff()
  // Sends arriving together are enqueued together: one BullMQ pipeline per number, not one per message.
  const enqueue = createBatcher(async (jobs: { queue: string; data: { tenantId: string; messageId: string; peer: string }; opts: JobOptions }[]) => {
    const byQueue = new Map<string, typeof jobs>()
    for (const job of jobs) byQueue.set(job.queue, [...(byQueue.get(job.queue) ?? []), job])
    await Promise.all([...byQueue].map(([queue, list]) => ctx.jobs.addBulk(queue, list.map((job) => ({ name: queue, data: job.data, opts: job.opts })))))
    return jobs.map(() => undefined)
  })

  /** Validate, write the row as queued, then enqueue on the number's own queue. */
  async function send(tenantId: string, input: SendInput): Promise<{ message: MessageRow; created: boolean }> {
    if (!isUuid(input.sessionId) || (await writes.sessionDriver({ tenantId, id: input.sessionId })) === null) {
      throw new AppError(404, 'session_not_found', 'WhatsApp number not found', { field: 'sessionId' })
    }
    const session = { id: input.sessionId }
    const peer = toE164(input.to, 'ID', 'to')
    // Postgres cannot store U+0000 (text or jsonb): without this check a NUL anywhere in the message
    // (text, caption, location, template components) was a 500 from the insert.
    if (hasNul(input)) throw new AppError(400, 'invalid_characters', 'The message contains a NUL character (U+0000)')
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
    const inserted = await writes.insertOutbound({
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
    if (!inserted) {
      // Two requests with one key at the same moment: the other one won; answer with its message.
      const existing = await WaMessage.of(tenantId).where('idempotency_key', input.idempotencyKey!).first()
      return { message: existing!, created: false }
    }
    // The row exists before the job: if the enqueue is lost, the reconciler finds the row.
    // The recipient rides along so the job can take its place in the recipient's line before any lookup.
    await enqueue({ queue: sendQueue(session.id), data: { tenantId, messageId: id, peer }, opts: { jobId: id, attempts: SEND_ATTEMPTS, backoff } })
    const message = inserted
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

  /**
   * The job: send one queued message through the number's live driver. Idempotent.
   *
   * Order per recipient: the job takes its place in the recipient's line synchronously, in the order
   * the queue hands jobs out (a lookup first would let a later job overtake an earlier one), and claims
   * its row ("sending") while it waits. A row left "sending" by a worker that died keeps its place: the
   * next message to that recipient sends it first, instead of overtaking it while its job sits in the
   * dead worker's active list until the queue's stall check hands it back (30-60 s on BullMQ).
   */
  async function process(job: QueueJob, driver: () => WhatsAppDriver | null): Promise<unknown> {
    const { tenantId, messageId } = job.data as { tenantId: string; messageId: string; peer?: string }
    let peer = (job.data as { peer?: string }).peer
    if (!peer) {
      // A job queued before the recipient rode along in its data.
      const message = await WaMessage.of(tenantId).findById(messageId)
      if (!message || message.status_rank > STATUS_RANK.sending) return { skipped: true }
      peer = message.peer
    }
    const turn = mutex.ticket(`${tenantId}:${peer}`)
    inLine.add(messageId)
    try {
      // Claim the row while waiting for the turn (sent already by a redelivered job, failed, or
      // gone: nothing to do), and find earlier messages to this recipient left "sending".
      const { own, earlier } = await writes.claim({ tenantId, id: messageId, peer })
      const suspects = earlier.filter((r) => !inLine.has(r.id)).map((r) => r.id as string)
      await turn.ready
      if (!own || sentAhead.delete(messageId)) return { skipped: true }
      const message: MessageRow = own
      const live = driver()
      if (!live) {
        // The number dropped between the queue handing out this job and its turn: wait for it
        // (a delayed copy of the job) rather than spend an attempt — holding is the rule while disconnected.
        await requeue(tenantId, messageId, null)
        await ctx.jobs.add(sendQueue(message.session_id), { tenantId, messageId, peer: message.peer }, { jobId: `${messageId}-h${Date.now()}`, delay: 5000, attempts: SEND_ATTEMPTS, backoff })
        return { held: true }
      }
      const stranded = suspects.length
        ? ((await ctx.db('whatsapp_messages').where({ tenant_id: tenantId, status: 'sending' }).whereIn('id', suspects).orderBy('id')) as any[]).filter((r) => !sentAhead.has(r.id))
        : []
      for (const row of stranded) {
        const earlier: MessageRow = row
        try {
          await deliver(tenantId, earlier, live, earlier.attempts + 1 >= SEND_ATTEMPTS, true)
          sentAhead.add(earlier.id)
        } catch {
          // Back to queued: its own job retries it by the usual rules; this message does not wait on it.
        }
      }
      return await deliver(tenantId, message, live, job.attemptsMade + 1 >= SEND_ATTEMPTS)
    } finally {
      inLine.delete(messageId)
      turn.release()
    }
  }

  /** Messages whose jobs run on this worker right now (waiting for their turn or sending). */
  const inLine = new Set<string>()
  /** Rows sent by a later message's job (see process); bounded: cleared as their own jobs come by. */
  const sentAhead = new Set<string>()
  setInterval(() => sentAhead.clear(), 10 * 60_000).unref()

  async function requeue(tenantId: string, messageId: string, error: string | null) {
    await ctx
      .db('whatsapp_messages')
      .where({ tenant_id: tenantId, id: messageId, status_rank: STATUS_RANK.sending })
      .update({ status: 'queued', status_rank: STATUS_RANK.queued, ...(error ? { error: error.slice(0, 500) } : {}), updated_at: ctx.clock.now() })
  }

  /** Send one claimed row; throws a retryable failure (the row back to queued), fails it for good otherwise. */
  async function deliver(tenantId: string, message: MessageRow, live: WhatsAppDriver, lastAttempt: boolean, countAttempt = false): Promise<unknown> {
    const messageId = message.id
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
      // An ack may have arrived first: markSent never steps back from it. A stranded row sent
      // ahead by a later message's job: that try counts too.
      const row = await writes.markSent({ tenantId, id: messageId, providerId, countAttempt })
      if (row) await announceStatus(ctx, tenantId, row)
      return { providerId }
    } catch (err) {
      // The provider said when to come back (rate limit, pacing cap, open circuit): wait that long
      // in a delayed job instead of burning the attempts on a 2-4-8 s backoff — within a day.
      if (err instanceof DriverError && err.retryable && err.retryAfterMs !== undefined && ctx.clock.now().getTime() - new Date(message.created_at).getTime() < MAX_DEFER_MS) {
        await requeue(tenantId, messageId, err.message)
        const delay = Math.min(Math.max(err.retryAfterMs, 250), 15 * 60_000)
        await ctx.jobs.add(sendQueue(message.session_id), { tenantId, messageId, peer: message.peer }, { jobId: `${messageId}-d${Date.now()}`, delay, attempts: SEND_ATTEMPTS, backoff })
        return { deferred: delay }
      }
      const retryable = err instanceof DriverError ? err.retryable : true
      if (!retryable || lastAttempt) return fail(tenantId, messageId, (err as Error).message)
      await requeue(tenantId, messageId, (err as Error).message)
      throw err
    }
  }

  async function fail(tenantId: string, messageId: string, reason: string) {
    const rows = (await ctx
      .db('whatsapp_messages')
      .where({ tenant_id: tenantId, id: messageId })
      .andWhere('status_rank', '<', STATUS_RANK.failed)
      .update({ status: 'failed', status_rank: STATUS_RANK.failed, error: reason.slice(0, 500), updated_at: ctx.clock.now() })
      .returning('*')) as any[]
    if (rows.length) await announceStatus(ctx, tenantId, rows[0])
    return { failed: reason }
  }

  /**
   * Rows written but never enqueued (the process died between commit and enqueue): enqueued again
   * under their own id, so a job that does exist absorbs the duplicate.
   */
  async function reconcile(tenantId: string, sessionId: string, olderThan: Date): Promise<number> {
    const rows = await ctx
      .db('whatsapp_messages')
      .where({ tenant_id: tenantId, session_id: sessionId, direction: 'out', status: 'queued' })
      .whereNull('sent_at') // always true for queued rows; it lets the partial index of unsent messages serve
      .andWhere('updated_at', '<', olderThan)
      .orderBy('id')
      .limit(500)
      .select('id', 'peer')
    for (const row of rows) await ctx.jobs.add(sendQueue(sessionId), { tenantId, messageId: row.id, peer: row.peer }, { jobId: row.id, attempts: SEND_ATTEMPTS, backoff })
    return rows.length
  }

  return { send, process, fail, reconcile }
}

export type Outbound = ReturnType<typeof createOutbound>
