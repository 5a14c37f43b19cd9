import client from 'prom-client'
import type { FastifyInstance } from 'fastify'

/** One registry per kernel (not prom-client's global), so several kernels can share a process in tests. */
export function createMetrics() {
  const registry = new client.Registry()
  client.collectDefaultMetrics({ register: registry })
  const httpDuration = new client.Histogram({
    name: 'sapa_http_request_duration_seconds',
    help: 'HTTP request duration by route, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  })
  return { registry, httpDuration }
}

export type Metrics = ReturnType<typeof createMetrics>

export function instrument(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (req, reply) => {
    // The route pattern, never the raw URL: ids in URLs would explode the label set.
    const route = req.routeOptions.url ?? 'unmatched'
    metrics.httpDuration.observe({ method: req.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000)
  })
}
