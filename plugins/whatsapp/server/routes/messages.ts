import type { FastifyInstance } from 'fastify'
import { AppError, decodeCursor, idParams, page, pageQuery, str, uuid, type PluginContext } from '@sapa/sdk'
import type { Outbound, SendInput } from '../outbound.ts'
import { WaMessage } from '../models.ts'
import { messageView } from '../views.ts'
import { toE164 } from '../phone.ts'

const sendBody = {
  type: 'object',
  additionalProperties: false,
  required: ['sessionId', 'to', 'type'],
  properties: {
    sessionId: uuid,
    to: str(40, 1),
    type: { type: 'string', enum: ['text', 'image', 'document', 'audio', 'video', 'sticker', 'location', 'reaction', 'template'] },
    text: str(4096, 1),
    mediaId: uuid,
    caption: str(1024),
    location: {
      type: 'object',
      additionalProperties: false,
      required: ['latitude', 'longitude'],
      properties: { latitude: { type: 'number', minimum: -90, maximum: 90 }, longitude: { type: 'number', minimum: -180, maximum: 180 }, name: str(256), address: str(512) },
    },
    reaction: { type: 'object', additionalProperties: false, required: ['messageId', 'emoji'], properties: { messageId: str(128, 1), emoji: str(16) } },
    template: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'language'],
      properties: { name: { type: 'string', pattern: '^[a-z0-9_]{1,512}$', maxLength: 512 }, language: str(15, 2), components: { type: 'array', maxItems: 10, items: { type: 'object', additionalProperties: {}, maxProperties: 10 } } },
    },
    replyTo: str(128, 1),
    idempotencyKey: str(128, 1),
  },
} as const

export function messageRoutes(ctx: PluginContext<any>, outbound: Outbound) {
  return async (app: FastifyInstance) => {
    app.post<{ Body: SendInput }>('/messages', {
      schema: { tags: ['whatsapp'], body: sendBody },
      config: { permission: 'whatsapp.message.send' },
    }, async (req, reply) => {
      const { message, created } = await outbound.send(req.principal!.tenant.id, req.body)
      if (created) {
        await ctx.audit.record(ctx.db, req, { tenantId: req.principal!.tenant.id, action: 'whatsapp.message.queued', targetType: 'whatsapp_message', targetId: message.id, summary: { type: message.type, to: message.peer } })
      }
      // 202 for a new message; 200 when the idempotency key names one already accepted.
      return reply.status(created ? 202 : 200).send(messageView(message))
    })

    app.get<{ Params: { id: string } }>('/messages/:id', {
      schema: { tags: ['whatsapp'], params: idParams },
      config: { permission: 'whatsapp.message.view' },
    }, async (req) => {
      const message = await WaMessage.of(req.principal!.tenant.id).findById(req.params.id)
      if (!message) throw new AppError(404, 'message_not_found', 'Message not found')
      return messageView(message)
    })

    app.get<{ Querystring: { limit: number; cursor?: string; sessionId?: string; direction?: 'in' | 'out'; peer?: string; status?: string } }>('/messages', {
      schema: {
        tags: ['whatsapp'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...pageQuery,
            sessionId: uuid,
            direction: { type: 'string', enum: ['in', 'out'] },
            peer: str(40, 1),
            status: { type: 'string', enum: ['queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'received'] },
          },
        },
      },
      config: { permission: 'whatsapp.message.view' },
    }, async (req) => {
      const f = req.query
      const after = decodeCursor(f.cursor)
      // Newest first: UUIDv7 ids are time-ordered.
      const q = WaMessage.of(req.principal!.tenant.id).orderBy('id', 'desc').limit(f.limit + 1)
      if (after) q.where('id', '<', after)
      if (f.sessionId) q.where('session_id', f.sessionId)
      if (f.direction) q.where('direction', f.direction)
      if (f.status) q.where('status', f.status)
      if (f.peer) q.where('peer', toE164(f.peer, 'ID', 'peer'))
      const result = page(await q, f.limit)
      return { items: result.items.map(messageView), nextCursor: result.nextCursor }
    })
  }
}
