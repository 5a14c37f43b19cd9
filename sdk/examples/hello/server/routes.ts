import type { FastifyInstance } from 'fastify'
import { newId, type PluginContext, emptyBody } from '@sapa/sdk'
import { Ping } from './ping.ts'

export function helloRoutes(ctx: PluginContext<{ greeting: string }>) {
  return async (app: FastifyInstance) => {
    // GET /api/hello/ping — answers, changes nothing (GETs never write: they carry no CSRF check).
    app.get('/ping', { schema: { tags: ['hello'] }, config: { permission: 'hello.ping.view' } }, async (req) => {
      return { pong: true, tenant: req.principal!.tenant.slug }
    })

    // POST /api/hello/pings — records a ping, queues a greeting job, publishes an event.
    app.post('/pings', {
      schema: { tags: ['hello'], body: emptyBody },
      config: { permission: 'hello.ping.view' },
    }, async (req, reply) => {
      const tenant = req.principal!.tenant
      const id = newId()
      await ctx.db.transaction(async (trx) => {
        await Ping.of(tenant.id, trx).insert({ id, by: req.principal!.user?.email ?? null, created_at: ctx.clock.now() } as any)
        await ctx.events.publish('hello.pinged', { tenantId: tenant.id, pingId: id }, { trx })
      })
      // Rows first, then the job (with the row id as jobId): a crash in between loses nothing.
      await ctx.jobs.add('greet', { tenantId: tenant.id, pingId: id }, { jobId: `greet-${id}` })
      return reply.status(201).send({ id })
    })

    app.get('/pings', { schema: { tags: ['hello'] }, config: { permission: 'hello.ping.view' } }, async (req) => {
      const tenantId = req.principal!.tenant.id
      const rows = await Ping.of(tenantId).orderBy('id', 'desc').limit(20)
      const { greeting } = await ctx.settings(tenantId)
      return { greeting, items: rows.map((r) => ({ id: r.id, by: r.by, greeted: r.greeted, at: r.created_at })) }
    })
  }
}
