import type { FastifyInstance, FastifyReply } from 'fastify'
import type { KernelServices } from '../kernel.ts'
import { verifyPassword } from '../auth/passwords.ts'
import { randomToken, sha256 } from '../auth/tokens.ts'
import { SESSION_COOKIE } from '../auth/principal.ts'
import { AppError } from '../errors.ts'
import { str, uuid, emptyBody } from '../http/schemas.ts'
import { actorOf } from '../audit/audit.ts'

const loginBody = {
  type: 'object',
  additionalProperties: false,
  required: ['email', 'password'],
  properties: {
    email: str(254, 3),
    password: str(1024, 1),
    tenant: { type: 'string', maxLength: 63, description: 'Slug of the workspace to open; defaults to the first one' },
  },
} as const

export default async function authRoutes(app: FastifyInstance, k: KernelServices) {
  const { db, config, clock, audit } = k

  function setSessionCookie(reply: FastifyReply, token: string, expires: Date) {
    reply.setCookie(SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'lax', secure: config.cookieSecure, expires })
  }

  app.post<{ Body: { email: string; password: string; tenant?: string } }>('/api/auth/login', {
    schema: { body: loginBody, tags: ['auth'] },
    config: {
      public: true,
      rateLimit: {
        max: config.loginRateLimit.max,
        timeWindow: config.loginRateLimit.windowMs,
        hook: 'preHandler', // after body parsing, so the key can include the email
        // Per address and account: one attacker cannot lock everyone out, nor spray one account.
        keyGenerator: (req: any) => `${req.ip}|${String(req.body?.email ?? '').trim().toLowerCase()}`,
      },
    },
  }, async (req, reply) => {
    const email = req.body.email.trim().toLowerCase()
    const user = await db('users').where({ email }).first('id', 'email', 'name', 'password_hash', 'is_operator')
    const ok = await verifyPassword(user?.password_hash, req.body.password)
    const memberships = user
      ? await db('memberships as m')
          .join('tenants as t', 't.id', 'm.tenant_id')
          .where({ 'm.user_id': user.id, 'm.active': true })
          .orderBy('m.created_at')
          .select('t.id', 't.slug', 't.status')
      : []
    const tenant = req.body.tenant ? memberships.find((m) => m.slug === req.body.tenant) : memberships.find((m) => m.status === 'active') ?? memberships[0]
    if (!ok || !user || !tenant) {
      await audit.record(db, req, {
        tenantId: tenant?.id ?? memberships[0]?.id ?? null,
        action: 'kernel.auth.login_failed',
        targetType: 'user',
        targetId: user?.id,
        summary: { email, reason: !ok || !user ? 'bad_credentials' : 'no_workspace' },
      })
      if (ok && user) throw new AppError(403, 'no_workspace', 'This account is not an active member of that workspace')
      throw new AppError(401, 'invalid_credentials', 'Email or password is wrong')
    }
    const token = randomToken()
    const csrfToken = randomToken(24)
    const now = clock.now()
    const expiresAt = new Date(now.getTime() + config.sessionTtlMs)
    await db.transaction(async (trx) => {
      await trx('sessions').insert({
        id: sha256(token),
        user_id: user.id,
        tenant_id: tenant.id,
        csrf_token: csrfToken,
        ip: req.ip,
        user_agent: (req.headers['user-agent'] ?? '').slice(0, 512),
        created_at: now,
        expires_at: expiresAt,
      })
      // The request has no principal yet, but the one logging in is now known: record them as
      // the actor, so filtering the log by a user's id finds their logins too.
      const actor = { ...actorOf(req), type: 'user' as const, id: user.id, label: user.email }
      await audit.record(trx, actor, { tenantId: tenant.id, action: 'kernel.auth.login', targetType: 'user', targetId: user.id })
    })
    setSessionCookie(reply, token, expiresAt)
    return { csrfToken, expiresAt: expiresAt.toISOString(), user: { id: user.id, email: user.email, name: user.name }, tenantId: tenant.id }
  })

  app.post('/api/auth/logout', {
    schema: { body: emptyBody, tags: ['auth'] },
    config: { public: true },
  }, async (req, reply) => {
    const principal = await k.authenticate(req)
    if (principal?.kind === 'session') {
      await db.transaction(async (trx) => {
        await trx('sessions').where({ id: principal.sessionId }).delete()
        req.principal = principal
        await audit.record(trx, req, { tenantId: principal.tenant.id, action: 'kernel.auth.logout', targetType: 'user', targetId: principal.user!.id })
      })
      await k.authenticate.invalidate({ sessionId: principal.sessionId })
    }
    reply.clearCookie(SESSION_COOKIE, { path: '/' })
    return reply.status(204).send()
  })

  app.post<{ Body: { tenantId: string } }>('/api/auth/switch-tenant', {
    schema: { body: { type: 'object', additionalProperties: false, required: ['tenantId'], properties: { tenantId: uuid } }, tags: ['auth'] },
    config: { permission: 'kernel.me.view' },
  }, async (req) => {
    const p = req.principal!
    if (p.kind !== 'session') throw new AppError(400, 'session_required', 'API keys belong to one workspace and cannot switch')
    const member = await db('memberships as m')
      .join('tenants as t', 't.id', 'm.tenant_id')
      .where({ 'm.user_id': p.user!.id, 'm.tenant_id': req.body.tenantId, 'm.active': true })
      .first('t.id', 't.name', 't.slug', 'm.role')
    if (!member) throw new AppError(404, 'tenant_not_found', 'You are not a member of that workspace')
    await db.transaction(async (trx) => {
      await trx('sessions').where({ id: p.sessionId }).update({ tenant_id: member.id })
      await audit.record(trx, req, { tenantId: member.id, action: 'kernel.auth.switch_tenant', targetType: 'tenant', targetId: member.id, summary: { from: p.tenant.id } })
    })
    await k.authenticate.invalidate({ sessionId: p.sessionId })
    return { tenant: { id: member.id, name: member.name, slug: member.slug }, role: member.role }
  })
}
