import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerFactory } from 'fastify'
import cookie from '@fastify/cookie'
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { KernelServices } from './kernel.ts'
import { installErrorHandling } from './http/error-handler.ts'
import { installRouteRules, type GateDeps } from './http/route-rules.ts'
import { instrument } from './metrics.ts'
import { installSecurityHeaders } from './http/security-headers.ts'
import authRoutes from './routes/auth.ts'
import meRoutes from './routes/me.ts'
import userRoutes from './routes/users.ts'
import roleRoutes from './routes/roles.ts'
import apiKeyRoutes from './routes/api-keys.ts'
import auditRoutes from './routes/audit.ts'
import tenantRoutes from './routes/tenants.ts'
import healthRoutes, { type ReadinessCheck } from './routes/health.ts'
import pluginRoutes from './routes/plugins.ts'
import uiRoutes from './routes/ui.ts'
import shellRoutes from './routes/shell.ts'
import queueRoutes from './routes/queues.ts'
import { createValidators } from './http/validators.ts'
import { installJsonParser } from './http/json-parser.ts'
import { pluginEnabledGate } from './plugins/gate.ts'

export interface AppOptions {
  readinessChecks?: ReadinessCheck[]
  extraChecks?: GateDeps['extraChecks']
  /** The generation server hands in a factory so it, not Fastify, owns the listening socket. */
  serverFactory?: FastifyServerFactory
}

/**
 * One HTTP app generation. The kernel services outlive it: a new generation can be built
 * against the same services (new plugin set) and swapped in without a restart.
 */
export async function buildApp(k: KernelServices, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: k.logger as unknown as FastifyBaseLogger,
    // Per-request lines are noise at our volume; errors are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: k.config.bodyLimit,
    trustProxy: process.env.TRUST_PROXY === 'true',
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    ...(options.serverFactory ? { serverFactory: options.serverFactory } : {}),
  })

  app.setValidatorCompiler(createValidators())
  installJsonParser(app)
  installErrorHandling(app)
  installRouteRules(app, {
    authenticate: k.authenticate,
    rbac: k.rbac,
    catalogue: k.catalogue,
    extraChecks: [pluginEnabledGate(k.enablement), ...(options.extraChecks ?? [])],
  })
  instrument(app, k.metrics)

  await app.register(cookie)
  installSecurityHeaders(app, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        connectSrc: ["'self'", 'ws:', 'wss:'],
        // Self-hosters often serve plain http on a LAN address: do not force https subresources.
        upgradeInsecureRequests: null,
      },
    },
  })
  await app.register(rateLimit, {
    global: false,
    // Counted in Redis when there is one, so the limit holds across every web node.
    ...(k.redis ? { redis: k.redis, nameSpace: `${k.config.redisPrefix}:ratelimit:` } : {}),
    errorResponseBuilder: (_req, ctx) => ({
      statusCode: 429,
      error: { code: 'rate_limited', message: `Too many attempts, try again in ${Math.ceil(ctx.ttl / 1000)} s` },
    }),
  })
  await app.register(swagger, {
    openapi: {
      info: { title: 'Sapa API', version: '1', description: 'Multi-tenant WhatsApp CRM. Authenticate with the session cookie (+ x-csrf-token) or `Authorization: Bearer sapa_…`.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
  })
  await app.register(async (docs) => {
    docs.decorate('sapaTrustedPublic', true)
    await docs.register(swaggerUi, { routePrefix: '/docs' })
  })

  for (const routes of [authRoutes, meRoutes, userRoutes, roleRoutes, apiKeyRoutes, auditRoutes, tenantRoutes, pluginRoutes, uiRoutes, queueRoutes]) {
    await app.register(async (scope) => routes(scope, k))
  }
  k.realtime.register(app)
  await k.plugins.registerRoutes(app)
  // Last: the web app's catch-all for client-side routes.
  await app.register(async (scope) => shellRoutes(scope, k))
  const redisCheck = k.redis ? [{ name: 'redis', check: async () => void (await k.redis!.ping()) }] : []
  await app.register(async (scope) => healthRoutes(scope, k, [...redisCheck, ...(options.readinessChecks ?? [])]))
  return app
}
