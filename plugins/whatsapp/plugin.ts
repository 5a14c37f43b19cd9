import { definePlugin } from '@sapa/sdk'
import { createMediaStore } from './server/media.ts'
import { createBatchedWrites } from './server/batched-writes.ts'
import { createInbound } from './server/inbound.ts'
import { createOutbound, type SendInput } from './server/outbound.ts'
import { createSessions, type WhatsAppSettings } from './server/sessions.ts'
import { createSupervisor } from './server/supervisor.ts'
import { sessionRoutes } from './server/routes/sessions.ts'
import { messageRoutes } from './server/routes/messages.ts'
import { mediaRoutes } from './server/routes/media.ts'
import { handleSandboxMessage, sandboxRoutes, SANDBOX_CHANNEL } from './server/routes/sandbox.ts'
import { cloudWebhookRoutes } from './server/routes/cloud-webhook.ts'
import { WaMessage, WaSession } from './server/models.ts'
import { messageView } from './server/views.ts'

/** What other plugins get with `ctx.use('whatsapp.messages')`. */
export interface WhatsAppMessages {
  /** Validate, queue and send; returns the stored message (status "queued"). Throws AppError on bad input. */
  send(tenantId: string, input: SendInput): Promise<ReturnType<typeof messageView>>
  /** One message as the API shows it (null when it is not this tenant's). */
  get(tenantId: string, messageId: string): Promise<ReturnType<typeof messageView> | null>
}

let supervisor: ReturnType<typeof createSupervisor> | null = null

export default definePlugin<WhatsAppSettings>({
  name: 'whatsapp',
  version: '1.0.0',
  kernel: '^1',
  description: 'WhatsApp numbers: connect through the sandbox, WhatsApp Web (Baileys) or the Cloud API; send and receive messages',
  permissions: {
    'whatsapp.session.view': 'See the WhatsApp numbers and their status',
    'whatsapp.session.manage': 'Add, connect, disconnect and remove WhatsApp numbers',
    'whatsapp.message.view': 'Read WhatsApp messages and media',
    'whatsapp.message.send': 'Send WhatsApp messages',
    'whatsapp.sandbox.use': 'Drive sandbox numbers (simulate customers)',
  },
  grants: {
    junior_agent: ['whatsapp.message.view', 'whatsapp.session.view'],
    agent: ['whatsapp.message.send'],
    admin: ['whatsapp.session.manage', 'whatsapp.sandbox.use'],
  },
  settings: {
    type: 'object',
    additionalProperties: false,
    properties: {
      maxNumbers: { type: 'integer', minimum: 0, maximum: 1000, default: 10 },
      holdMinutes: { type: 'integer', minimum: 1, maximum: 10080, default: 60 },
    },
  },
  provides: ['messages'],
  ui: {
    nav: [{ id: 'numbers', path: '/whatsapp', label: { en: 'WhatsApp numbers', id: 'Nomor WhatsApp' }, icon: 'phone', permission: 'whatsapp.session.view', order: 50 }],
  },

  async register(ctx) {
    const media = createMediaStore(ctx)
    // One set of batchers for both pipelines, so their statements share batches.
    const writes = createBatchedWrites(ctx)
    const inbound = createInbound(ctx, media, writes)
    const outbound = createOutbound(ctx, media, writes)
    const sandboxFlag = process.env.SAPA_WHATSAPP_SANDBOX
    const sessions = createSessions(ctx, { sandboxEnabled: sandboxFlag ? sandboxFlag === 'true' : ctx.mode === 'embedded' })
    const leaseMs = Number(process.env.SAPA_WHATSAPP_LEASE_MS ?? 15_000)
    supervisor = createSupervisor(ctx, { outbound, inbound, leaseMs })

    ctx.realtime.defineTopic('sessions', { permission: 'whatsapp.session.view', id: 'none' })
    ctx.realtime.defineTopic('session', {
      permission: 'whatsapp.session.view',
      id: 'required',
      authorize: async (identity, id) => Boolean(id && (await WaSession.of(identity.tenantId).findById(id))),
    })

    ctx.routes(sessionRoutes(ctx, sessions))
    ctx.routes(messageRoutes(ctx, outbound))
    ctx.routes(mediaRoutes(ctx, media))
    ctx.routes(sandboxRoutes(ctx, writes, supervisor))
    ctx.routes(cloudWebhookRoutes(ctx, inbound))
    ctx.nodes.subscribe(SANDBOX_CHANNEL, handleSandboxMessage(ctx, supervisor))

    ctx.provide<WhatsAppMessages>('messages', {
      send: async (tenantId, input) => messageView((await outbound.send(tenantId, input)).message),
      get: async (tenantId, messageId) => {
        const row = await WaMessage.of(tenantId).findById(messageId)
        return row ? messageView(row) : null
      },
    })

    // Numbers that were connected reconnect on boot (their credentials are in the database).
    if (process.env.SAPA_ROLE !== 'web') await supervisor.start()
  },

  lifecycle: {
    async dispose() {
      await supervisor?.close()
      supervisor = null
    },
  },
})
