import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { lintSchema } from './schema-lint.ts'
import { noQuery } from './schemas.ts'
import { AppError, forbidden, unauthorized } from '../errors.ts'
import { safeEqual } from '../auth/tokens.ts'
import { routeNotFoundError } from './error-handler.ts'
import type { Authenticate, Principal } from '../auth/principal.ts'
import type { Rbac } from '../rbac/rbac.ts'
import type { PermissionCatalogue } from '../rbac/catalogue.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Permission key the caller must hold; the kernel authenticates and checks it. */
    permission?: string
    /** No credential needed (login, health, webhooks that verify their own signature). */
    public?: boolean
    /** Route belongs to this plugin: it answers 404 plugin_disabled when the tenant turned it off. */
    plugin?: string
    /** The body is not JSON (multipart, raw webhooks): no body schema required. */
    rawBody?: boolean
  }
  interface FastifyRequest {
    principal: Principal | null
    can(permission: string): boolean
  }
  interface FastifyInstance {
    /** Set on contexts whose routes come from trusted third-party code (docs UI): treated as public. */
    sapaTrustedPublic?: boolean
    /** Every route registered under the rules: tests enumerate them (the cross-tenant suite). */
    sapaRoutes: RegisteredRoute[]
  }
}

export interface RegisteredRoute {
  method: string
  url: string
  config: NonNullable<RouteOptions['config']>
  schema: NonNullable<RouteOptions['schema']>
}

export interface GateDeps {
  authenticate: Authenticate
  rbac: Rbac
  catalogue: PermissionCatalogue
  /** Extra per-route checks (the plugin-enabled gate); throws an AppError to refuse. */
  extraChecks?: ((req: FastifyRequest, config: RouteOptions['config']) => void | Promise<void>)[]
}

const MUTATIONS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export function principalCan(deps: Pick<GateDeps, 'rbac' | 'catalogue'>, principal: Principal | null, permission: string): boolean {
  if (!principal) return false
  const entry = deps.catalogue.get(permission)
  if (!entry) return false
  if (entry.scope === 'platform') return principal.user?.isOperator === true
  if (principal.tenant.status !== 'active') return false
  return deps.rbac.can(principal.role, principal.tenant.id, permission)
}

/**
 * Every route must say who may call it. Checked when the route is registered, so a route
 * with neither `config.permission` nor `config.public`, or with a loose schema, stops the boot.
 */
export function installRouteRules(app: FastifyInstance, deps: GateDeps): void {
  app.decorateRequest('principal', null)
  app.decorateRequest('can', function (this: FastifyRequest, permission: string) {
    return principalCan(deps, this.principal, permission)
  })

  const registered: RegisteredRoute[] = []
  app.decorate('sapaRoutes', registered)

  app.addHook('onRoute', function (this: FastifyInstance, route) {
    const config = (route.config ?? {}) as NonNullable<RouteOptions['config']>
    // Routes registered inside a plugin's scope belong to it (the plugin-enabled gate reads this).
    if (this.sapaPlugin && !config.plugin) config.plugin = this.sapaPlugin
    route.config = config
    const where = `${[route.method].flat().join(',')} ${route.url}`
    if (this.sapaTrustedPublic) return
    if (route.method === 'HEAD') return // Fastify's automatic HEAD twin of a GET route
    if (!config.public && !config.permission) {
      throw new Error(`Route ${where} declares neither config.permission nor config.public`)
    }
    if (config.permission && !deps.catalogue.has(config.permission)) {
      throw new Error(`Route ${where} requires unknown permission "${config.permission}"`)
    }
    const schema = (route.schema ??= {})
    if (route.url.includes(':') && !schema.params) throw new Error(`Route ${where} has URL params but no params schema`)
    const methods = [route.method].flat()
    if (methods.some((m) => ['POST', 'PUT', 'PATCH'].includes(m)) && !schema.body && !config.rawBody) {
      throw new Error(`Route ${where} accepts a body but has no body schema`)
    }
    schema.querystring ??= noQuery
    const problems = [
      ...lintSchema(schema.params, 'params'),
      ...lintSchema(schema.querystring, 'querystring'),
      ...lintSchema(schema.body, 'body'),
    ]
    if (problems.length) throw new Error(`Route ${where} has a loose schema: ${problems.join('; ')}`)
    for (const method of methods) registered.push({ method, url: route.url, config, schema })

    if (config.public && !config.permission) return
    const permission = config.permission!
    const gate = async (req: FastifyRequest, _reply: FastifyReply) => {
      const principal = await deps.authenticate(req)
      if (!principal) throw unauthorized()
      req.principal = principal
      if (principal.kind === 'session' && MUTATIONS.has(req.method)) {
        const sent = req.headers['x-csrf-token']
        if (typeof sent !== 'string' || !principal.csrfToken || !safeEqual(sent, principal.csrfToken)) {
          throw new AppError(403, 'csrf_token_invalid', 'Send the x-csrf-token header you got at login')
        }
      }
      const entry = deps.catalogue.get(permission)
      // A plugin being removed has left the catalogue before the next app generation (without its
      // routes) is swapped in: for that moment its routes answer as they will afterwards.
      if (!entry) throw routeNotFoundError(req)
      if (entry.scope === 'tenant' && principal.tenant.status !== 'active') {
        throw new AppError(403, 'tenant_suspended', 'This workspace is suspended')
      }
      for (const check of deps.extraChecks ?? []) await check(req, config)
      if (!principalCan(deps, principal, permission)) throw forbidden(`You need the ${permission} permission`, { permission })
    }
    route.onRequest = [gate, ...[route.onRequest ?? []].flat()]
  })
}
