import type { FastifyInstance } from 'fastify'
import type { KernelServices } from '../kernel.ts'

export interface ReadinessCheck {
  name: string
  check(): Promise<void>
}

export default async function healthRoutes(app: FastifyInstance, k: KernelServices, checks: ReadinessCheck[] = []) {
  app.get('/health/live', { schema: { tags: ['health'] }, config: { public: true } }, async () => ({ status: 'ok' }))

  app.get('/health/ready', { schema: { tags: ['health'] }, config: { public: true } }, async (_req, reply) => {
    const all: ReadinessCheck[] = [{ name: 'db', check: async () => void (await k.db.raw('select 1')) }, ...checks]
    const results: Record<string, string> = {}
    await Promise.all(
      all.map(async (c) => {
        try {
          await Promise.race([c.check(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref())])
          results[c.name] = 'ok'
        } catch {
          results[c.name] = 'down'
        }
      }),
    )
    const ok = Object.values(results).every((v) => v === 'ok')
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'down', checks: results })
  })

  app.get('/metrics', { schema: { tags: ['health'] }, config: { public: true } }, async (_req, reply) => {
    reply.type(k.metrics.registry.contentType)
    return k.metrics.registry.metrics()
  })
}
