import type { FastifyInstance } from 'fastify'
import { newId, type PluginContext } from '@sapa/sdk'
import { Ping } from './ping.ts'

export function helloRoutes(ctx: PluginContext<{ greeting: string }>) {
  return async (app: FastifyInstance) => {
    // GET /api/hello/ping — records the ping, queues a greeting job, publishes an event.
    app.get('/ping', { schema: { tags: ['hello'] }, config: { permission: 'hello.ping.view' } }, async (req) => {
      const tenant = req.principal!.tenant
      const id = newId()
      await ctx.db.transaction(async (trx) => {
        await Ping.of(tenant.id, trx).insert({ id, by: req.principal!.user?.email ?? null, created_at: ctx.clock.now() } as any)
        await ctx.events.publish('hello.pinged', { tenantId: tenant.id, pingId: id }, { trx })
      })
      // Rows first, then the job (with the row id as jobId): a crash in between loses nothing.
      await ctx.jobs.add('greet', { tenantId: tenant.id, pingId: id }, { jobId: `greet-${id}` })
      return { pong: true, tenant: tenant.slug }
    })

    app.get('/pings', { schema: { tags: ['hello'] }, config: { permission: 'hello.ping.view' } }, async (req) => {
      const tenantId = req.principal!.tenant.id
      const rows = await Ping.of(tenantId).orderBy('id', 'desc').limit(20)
      const { greeting } = await ctx.settings(tenantId)
      return { greeting, items: rows.map((r) => ({ id: r.id, by: r.by, greeted: r.greeted, at: r.created_at })) }
    })
  }
}
