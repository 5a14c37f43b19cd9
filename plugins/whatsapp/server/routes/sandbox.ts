import type { FastifyInstance } from 'fastify'
import { AppError, newId, str, type PluginContext, emptyBody } from '@sapa/sdk'
import { sessionIdParams } from './params.ts'
import type { InboundMessage, MessageType } from '../drivers/port.ts'
import type { SandboxDriver } from '../drivers/sandbox.ts'
import type { BatchedWrites } from '../batched-writes.ts'
import type { Supervisor } from '../supervisor.ts'
import { toE164 } from '../phone.ts'

export const SANDBOX_CHANNEL = 'whatsapp.sandbox'

interface InjectBody {
  from: string
  name?: string
  type: Exclude<MessageType, 'template' | 'unknown'>
  text?: string
  media?: { data: string; filename?: string; caption?: string }
  location?: { latitude: number; longitude: number; name?: string; address?: string }
  reaction?: { providerId: string; emoji: string }
  contacts?: string[]
  replyTo?: string
  id?: string
}

const params = sessionIdParams

/** Build the InboundMessage a real network would deliver (media bytes held in memory). */
export function toInbound(body: InjectBody, now: Date): InboundMessage {
  const bytes = body.media ? Buffer.from(body.media.data, 'base64') : null
  return {
    providerId: body.id ?? `sbx-in-${newId()}`,
    from: toE164(body.from, 'ID', 'from'),
    fromName: body.name,
    timestamp: now,
    type: body.type,
    text: body.text,
    media: bytes ? { filename: body.media!.filename, caption: body.media!.caption, size: bytes.length, download: async () => bytes } : undefined,
    location: body.location,
    reaction: body.reaction,
    contacts: body.contacts,
    replyTo: body.replyTo,
  }
}

/** The sandbox's controls: a customer writes in, the fake QR is scanned, the line drops. */
export function sandboxRoutes(ctx: PluginContext<any>, writes: BatchedWrites, supervisor: Supervisor) {
  /** The number's check, batched: a burst of injected messages shares one lookup. */
  async function sandboxSession(tenantId: string, sessionId: string): Promise<void> {
    const driver = await writes.sessionDriver({ tenantId, id: sessionId })
    if (driver === null) throw new AppError(404, 'session_not_found', 'WhatsApp number not found')
    if (driver !== 'sandbox') throw new AppError(409, 'not_a_sandbox_number', 'Only sandbox numbers can be driven from here')
  }
  /** The number runs on one worker: here, or reached through the node channel. */
  async function onOwner(sessionId: string, action: string, payload: unknown, local: (driver: SandboxDriver) => Promise<unknown>) {
    const driver = supervisor.driverOf(sessionId) as SandboxDriver | null
    if (driver) return { local: true, result: await local(driver) }
    await ctx.nodes.publish(SANDBOX_CHANNEL, { sessionId, action, payload })
    return { local: false, result: null }
  }

  return async (app: FastifyInstance) => {
    app.post<{ Params: { sessionId: string }; Body: InjectBody }>('/sandbox/:sessionId/inbound', {
      schema: {
        tags: ['whatsapp'],
        params,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['from', 'type'],
          properties: {
            from: str(40, 1),
            name: str(120),
            type: { type: 'string', enum: ['text', 'image', 'document', 'audio', 'video', 'sticker', 'location', 'reaction', 'contacts'] },
            text: str(65536),
            media: { type: 'object', additionalProperties: false, required: ['data'], properties: { data: str(16 * 1024 * 1024, 1), filename: str(255), caption: str(1024) } },
            location: {
              type: 'object',
              additionalProperties: false,
              required: ['latitude', 'longitude'],
              properties: { latitude: { type: 'number', minimum: -90, maximum: 90 }, longitude: { type: 'number', minimum: -180, maximum: 180 }, name: str(256), address: str(512) },
            },
            reaction: { type: 'object', additionalProperties: false, required: ['providerId', 'emoji'], properties: { providerId: str(128, 1), emoji: str(16) } },
            contacts: { type: 'array', maxItems: 20, items: str(10_000, 1) },
            replyTo: str(128, 1),
            id: { type: 'string', pattern: '^[\\w.:-]{1,128}$', maxLength: 128, description: 'Provider message id (repeat it to test dedup)' },
          },
        },
      },
      config: { permission: 'whatsapp.sandbox.use' },
    }, async (req, reply) => {
      await sandboxSession(req.principal!.tenant.id, req.params.sessionId)
      if (req.body.type === 'text' && !req.body.text) throw new AppError(400, 'text_required', 'A text message needs text', { field: 'text' })
      if (['image', 'document', 'audio', 'video', 'sticker'].includes(req.body.type) && !req.body.media) throw new AppError(400, 'media_required', `A ${req.body.type} needs media`, { field: 'media' })
      const message = toInbound(req.body, ctx.clock.now())
      // With the provider id fixed here, so the owner on another node stores the id this answer names.
      const { local } = await onOwner(req.params.sessionId, 'inbound', { ...req.body, id: message.providerId }, (driver) => driver.inject(message))
      return reply.status(202).send({ providerId: message.providerId, delivered: local })
    })

    for (const action of ['scan', 'disconnect'] as const) {
      app.post<{ Params: { sessionId: string } }>(`/sandbox/:sessionId/${action}`, {
        schema: { tags: ['whatsapp'], params, body: emptyBody },
        config: { permission: 'whatsapp.sandbox.use' },
      }, async (req, reply) => {
        await sandboxSession(req.principal!.tenant.id, req.params.sessionId)
        await onOwner(req.params.sessionId, action, null, async (driver) => (action === 'scan' ? driver.scan() : driver.simulateDisconnect()))
        return reply.status(202).send({ ok: true })
      })
    }
  }
}

/** The worker owning a sandbox number applies what another node received. */
export function handleSandboxMessage(ctx: PluginContext<any>, supervisor: Supervisor) {
  return async (message: unknown) => {
    const { sessionId, action, payload } = message as { sessionId: string; action: string; payload: InjectBody }
    const driver = supervisor.driverOf(sessionId) as SandboxDriver | null
    if (!driver) return
    if (action === 'inbound') await driver.inject(toInbound(payload, ctx.clock.now()))
    if (action === 'scan') driver.scan()
    if (action === 'disconnect') driver.simulateDisconnect()
  }
}
