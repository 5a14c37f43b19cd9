import helmet, { type HelmetOptions } from 'helmet'
import type { FastifyInstance } from 'fastify'

/**
 * Helmet's headers, computed once. Helmet (and @fastify/helmet) rebuild the same static headers
 * on every request, which measured at half the throughput of a bare route; with no CSP nonces the
 * result never changes, so we ask helmet once and replay its answer. A route that needs another
 * policy (the web shell's import map) sets its own header in the handler, which wins.
 */
export function securityHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {}
  const res = {
    setHeader: (name: string, value: string) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
    getHeader: (name: string) => headers[name.toLowerCase()],
  }
  helmet(options)({} as never, res as never, () => {})
  return headers
}

export function installSecurityHeaders(app: FastifyInstance, options: HelmetOptions): void {
  const headers = securityHeaders(options)
  app.addHook('onRequest', (_req, reply, done) => {
    reply.headers(headers)
    done()
  })
}
