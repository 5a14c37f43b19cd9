import type { FastifyInstance } from 'fastify'
import type { KernelServices } from '../kernel.ts'
import { AppError, notFound } from '../errors.ts'
import { idParams, pageQuery, str } from '../http/schemas.ts'
import { decodeCursor, page } from '../http/cursor.ts'
import { MIN_PASSWORD_LENGTH } from '../auth/passwords.ts'
import { SLUG, addMember, canonicalTimezone, createTenant } from '../services/tenants.ts'

const tenantFields = {
  name: str(120, 1),
  timezone: str(64, 1),
  locale: { type: 'string', enum: ['en', 'id'] },
} as const

const view = (t: any) => ({ id: t.id, name: t.name, slug: t.slug, timezone: t.timezone, locale: t.locale, status: t.status, createdAt: t.created_at })

/** Platform operator only (permissions with scope "platform"): tenants are not a tenant's business. */
export default async function tenantRoutes(app: FastifyInstance, k: KernelServices) {
  const { db, audit, clock } = k

  app.get<{ Querystring: { limit: number; cursor?: string; q?: string } }>('/api/tenants', {
    schema: { tags: ['tenants'], querystring: { type: 'object', additionalProperties: false, properties: { ...pageQuery, q: str(120) } } },
    config: { permission: 'kernel.tenants.manage' },
  }, async (req) => {
    const after = decodeCursor(req.query.cursor)
    const q = db('tenants').orderBy('id').limit(req.query.limit + 1)
    if (after) q.where('id', '>', after)
    if (req.query.q) {
      const like = `%${req.query.q.replace(/[\\%_]/g, (c) => '\\' + c)}%`
      q.where((w) => w.whereILike('name', like).orWhereILike('slug', like))
    }
    const result = page(await q, req.query.limit)
    return { items: result.items.map(view), nextCursor: result.nextCursor }
  })

  app.post<{ Body: { name: string; slug: string; timezone?: string; locale?: string; admin?: { email: string; name: string; password?: string } } }>('/api/tenants', {
    schema: {
      tags: ['tenants'],
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'slug'],
        properties: {
          ...tenantFields,
          slug: { type: 'string', pattern: SLUG, maxLength: 63 },
          admin: {
            type: 'object',
            additionalProperties: false,
            required: ['email', 'name'],
            description: 'The first super_admin of the new tenant',
            properties: { email: { type: 'string', format: 'email', maxLength: 254 }, name: str(120, 1), password: str(1024, MIN_PASSWORD_LENGTH) },
          },
        },
      },
    },
    config: { permission: 'kernel.tenants.manage' },
  }, async (req, reply) => {
    const tenant = await db.transaction(async (trx) => {
      const created = await createTenant(trx, req.body)
      if (req.body.admin) await addMember(trx, created.id, { ...req.body.admin, role: 'super_admin' })
      await audit.record(trx, req, { tenantId: created.id, action: 'kernel.tenant.created', targetType: 'tenant', targetId: created.id, summary: { name: created.name, slug: created.slug, admin: req.body.admin?.email } })
      return created
    })
    return reply.status(201).send(view(tenant))
  })

  app.patch<{ Params: { id: string }; Body: { name?: string; timezone?: string; locale?: string; status?: 'active' | 'suspended' } }>('/api/tenants/:id', {
    schema: {
      tags: ['tenants'],
      params: idParams,
      body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { ...tenantFields, status: { type: 'string', enum: ['active', 'suspended'] } } },
    },
    config: { permission: 'kernel.tenants.manage' },
  }, async (req) => {
    if (req.body.timezone) req.body.timezone = canonicalTimezone(req.body.timezone)
    if (req.body.status === 'suspended' && req.params.id === req.principal!.tenant.id) {
      throw new AppError(409, 'cannot_suspend_own_tenant', 'Switch to another workspace before suspending this one')
    }
    const tenant = await db.transaction(async (trx) => {
      const [row] = await trx('tenants').where({ id: req.params.id }).update({ ...req.body, updated_at: clock.now() }).returning('*')
      if (!row) throw notFound('tenant')
      const action = req.body.status === 'suspended' ? 'kernel.tenant.suspended' : req.body.status === 'active' ? 'kernel.tenant.reactivated' : 'kernel.tenant.updated'
      await audit.record(trx, req, { tenantId: row.id, action, targetType: 'tenant', targetId: row.id, summary: req.body })
      return view(row)
    })
    await k.authenticate.invalidate({ tenantId: tenant.id })
    return tenant
  })
}
