import type { FastifyInstance } from 'fastify'
import { decodeCursor, idParams, page, pageQuery, str, emptyBody } from '@sapa/sdk'
import type { PluginContext } from '@sapa/sdk'
import type { Sessions } from '../sessions.ts'
import { WaSession } from '../models.ts'
import { sessionView } from '../views.ts'
import { toE164 } from '../phone.ts'

const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ratePerSecond: { type: 'integer', minimum: 0, maximum: 1000, description: 'Sends per second on this number; 0 = no limiter' },
    holdMinutes: { type: 'integer', minimum: 1, maximum: 10080, description: 'How long queued messages wait for a disconnected number' },
  },
} as const

export function sessionRoutes(ctx: PluginContext<any>, sessions: Sessions) {
  const audit = (req: any, action: string, id: string, summary?: Record<string, unknown>) =>
    ctx.audit.record(ctx.db, req, { tenantId: req.principal.tenant.id, action: `whatsapp.session.${action}`, targetType: 'whatsapp_session', targetId: id, summary })

  return async (app: FastifyInstance) => {
    app.post<{ Body: { name: string; driver: 'sandbox' | 'baileys' | 'cloud'; config?: Record<string, unknown>; settings?: Record<string, number> } }>('/sessions', {
      schema: {
        tags: ['whatsapp'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'driver'],
          properties: {
            name: str(120, 1),
            driver: { type: 'string', enum: ['sandbox', 'baileys', 'cloud'] },
            // Checked against the chosen driver's own schema in the handler.
            config: { type: 'object', additionalProperties: {}, maxProperties: 30 },
            settings: settingsSchema,
          },
        },
      },
      config: { permission: 'whatsapp.session.manage' },
    }, async (req, reply) => {
      const session = await sessions.create(req.principal!.tenant.id, req.body)
      await audit(req, 'created', session.id, { name: session.name, driver: session.driver })
      return reply.status(201).send(sessionView(session))
    })

    app.get<{ Querystring: { limit: number; cursor?: string } }>('/sessions', {
      schema: { tags: ['whatsapp'], querystring: { type: 'object', additionalProperties: false, properties: { ...pageQuery } } },
      config: { permission: 'whatsapp.session.view' },
    }, async (req) => {
      const after = decodeCursor(req.query.cursor)
      const q = WaSession.of(req.principal!.tenant.id).orderBy('id').limit(req.query.limit + 1)
      if (after) q.where('id', '>', after)
      const result = page(await q, req.query.limit)
      return { items: result.items.map(sessionView), nextCursor: result.nextCursor }
    })

    // The add-number form offers only what this server accepts (the sandbox is the operator's choice).
    app.get('/drivers', {
      schema: { tags: ['whatsapp'] },
      config: { permission: 'whatsapp.session.view' },
    }, async () => ({ items: sessions.availableDrivers().map((name) => ({ name })) }))

    app.get<{ Params: { id: string } }>('/sessions/:id', {
      schema: { tags: ['whatsapp'], params: idParams },
      config: { permission: 'whatsapp.session.view' },
    }, async (req) => sessionView(await sessions.find(req.principal!.tenant.id, req.params.id)))

    app.patch<{ Params: { id: string }; Body: { name?: string; settings?: Record<string, number> } }>('/sessions/:id', {
      schema: { tags: ['whatsapp'], params: idParams, body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { name: str(120, 1), settings: settingsSchema } } },
      config: { permission: 'whatsapp.session.manage' },
    }, async (req) => {
      const session = await sessions.update(req.principal!.tenant.id, req.params.id, req.body)
      await audit(req, 'updated', session.id, req.body)
      return sessionView(session)
    })

    app.post<{ Params: { id: string }; Body: { pairingPhone?: string } | null }>('/sessions/:id/connect', {
      schema: {
        tags: ['whatsapp'],
        params: idParams,
        body: { type: ['object', 'null'], additionalProperties: false, properties: { pairingPhone: { type: 'string', maxLength: 32, description: 'Pair with a code sent to this phone instead of a QR' } } },
      },
      config: { permission: 'whatsapp.session.manage' },
    }, async (req) => {
      const pairingPhone = req.body?.pairingPhone ? toE164(req.body.pairingPhone, 'ID', 'pairingPhone') : undefined
      const session = await sessions.connect(req.principal!.tenant.id, req.params.id, pairingPhone)
      await audit(req, 'connect_requested', session.id)
      return sessionView(session)
    })

    for (const action of ['disconnect', 'logout'] as const) {
      app.post<{ Params: { id: string } }>(`/sessions/:id/${action}`, {
        schema: { tags: ['whatsapp'], params: idParams, body: emptyBody },
        config: { permission: 'whatsapp.session.manage' },
      }, async (req) => {
        const session = await sessions[action](req.principal!.tenant.id, req.params.id)
        await audit(req, `${action}_requested`, session.id)
        return sessionView(session)
      })
    }

    app.delete<{ Params: { id: string } }>('/sessions/:id', {
      schema: { tags: ['whatsapp'], params: idParams },
      config: { permission: 'whatsapp.session.manage' },
    }, async (req, reply) => {
      await sessions.remove(req.principal!.tenant.id, req.params.id)
      await audit(req, 'deleted', req.params.id)
      return reply.status(204).send()
    })
  }
}
