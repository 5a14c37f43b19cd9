import type { FastifyInstance } from 'fastify'
import type { KernelServices } from '../kernel.ts'
import { AppError } from '../errors.ts'
import { str } from '../http/schemas.ts'
import { hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from '../auth/passwords.ts'
import { canonicalTimezone } from '../services/tenants.ts'

export default async function meRoutes(app: FastifyInstance, k: KernelServices) {
  const { db, rbac, audit } = k

  app.get('/api/me', { schema: { tags: ['me'] }, config: { permission: 'kernel.me.view' } }, async (req) => {
    const p = req.principal!
    const role = rbac.role(p.role, p.tenant.id)
    const tenants = p.user
      ? await db('memberships as m')
          .join('tenants as t', 't.id', 'm.tenant_id')
          .where({ 'm.user_id': p.user.id, 'm.active': true })
          .orderBy('t.name')
          .select('t.id', 't.name', 't.slug', 't.status', 'm.role')
      : [{ id: p.tenant.id, name: p.tenant.name, slug: p.tenant.slug, status: p.tenant.status, role: p.role }]
    return {
      user: p.user ? { id: p.user.id, email: p.user.email, name: p.user.name } : null,
      // The web app keeps it in memory: a reload asks again instead of storing it in localStorage.
      csrfToken: p.kind === 'session' ? p.csrfToken : undefined,
      apiKey: p.apiKey,
      isOperator: p.user?.isOperator ?? false,
      tenant: p.tenant,
      role: role ?? { key: p.role, name: p.role, level: 0, custom: false },
      permissions: [
        ...rbac.permissionsOf(p.role, p.tenant.id),
        ...(p.user?.isOperator ? k.catalogue.list().filter((e) => e.scope === 'platform').map((e) => e.key) : []),
      ],
      tenants,
    }
  })

  app.patch<{ Body: { name?: string; currentPassword?: string; newPassword?: string } }>('/api/me', {
    schema: {
      tags: ['me'],
      body: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        properties: { name: str(120, 1), currentPassword: str(1024, 1), newPassword: str(1024, MIN_PASSWORD_LENGTH) },
        dependencies: { newPassword: ['currentPassword'] },
      },
    },
    config: { permission: 'kernel.me.view' },
  }, async (req) => {
    const p = req.principal!
    if (!p.user) throw new AppError(400, 'session_required', 'API keys have no profile')
    const changes: Record<string, unknown> = {}
    if (req.body.name !== undefined) changes.name = req.body.name.trim()
    if (req.body.newPassword !== undefined) {
      const row = await db('users').where({ id: p.user.id }).first('password_hash')
      if (!(await verifyPassword(row?.password_hash, req.body.currentPassword!))) {
        throw new AppError(400, 'wrong_password', 'The current password is wrong', { field: 'currentPassword' })
      }
      changes.password_hash = await hashPassword(req.body.newPassword)
    }
    await db.transaction(async (trx) => {
      await trx('users').where({ id: p.user!.id }).update({ ...changes, updated_at: k.clock.now() })
      if (changes.password_hash) await trx('sessions').where({ user_id: p.user!.id }).whereNot({ id: p.sessionId ?? '' }).delete()
      await audit.record(trx, req, {
        tenantId: p.tenant.id,
        action: 'kernel.me.updated',
        targetType: 'user',
        targetId: p.user!.id,
        summary: { fields: Object.keys(req.body).filter((f) => f !== 'currentPassword') },
      })
    })
    await k.authenticate.invalidate({ userId: p.user.id })
    return { ok: true }
  })

  app.patch<{ Body: { name?: string; timezone?: string; locale?: string } }>('/api/tenant', {
    schema: {
      tags: ['tenant'],
      body: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        properties: { name: str(120, 1), timezone: str(64, 1), locale: { type: 'string', enum: ['en', 'id'] } },
      },
    },
    config: { permission: 'kernel.settings.manage' },
  }, async (req) => {
    const p = req.principal!
    if (req.body.timezone) req.body.timezone = canonicalTimezone(req.body.timezone)
    return db.transaction(async (trx) => {
      const [row] = await trx('tenants').where({ id: p.tenant.id }).update({ ...req.body, updated_at: k.clock.now() }).returning(['id', 'name', 'slug', 'timezone', 'locale', 'status'])
      await audit.record(trx, req, { tenantId: p.tenant.id, action: 'kernel.tenant.updated', targetType: 'tenant', targetId: p.tenant.id, summary: req.body })
      return row
    }).then(async (row) => {
      await k.authenticate.invalidate({ tenantId: p.tenant.id })
      return row
    })
  })
}
