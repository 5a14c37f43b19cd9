import type { FastifyInstance } from 'fastify'
import type { KernelServices } from '../kernel.ts'
import { AppError, notFound } from '../errors.ts'
import { idParams, pageQuery, str } from '../http/schemas.ts'
import { decodeCursor, page } from '../http/cursor.ts'
import { MIN_PASSWORD_LENGTH } from '../auth/passwords.ts'
import { actorLevel, assertGrantable } from '../services/roles.ts'
import { addMember } from '../services/tenants.ts'
import { Membership } from '../models.ts'

const memberColumns = ['users.id', 'users.email', 'users.name', 'memberships.role', 'memberships.active', 'memberships.created_at']

export default async function userRoutes(app: FastifyInstance, k: KernelServices) {
  const { db, rbac, audit } = k

  const view = (row: any, tenantId: string) => ({
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    roleName: rbac.role(row.role, tenantId)?.name ?? row.role,
    level: rbac.levelOf(row.role, tenantId),
    active: row.active,
    createdAt: row.created_at,
  })

  app.get<{ Querystring: { limit: number; cursor?: string; q?: string; active?: boolean } }>('/api/users', {
    schema: {
      tags: ['users'],
      querystring: { type: 'object', additionalProperties: false, properties: { ...pageQuery, q: str(120), active: { type: 'boolean' } } },
    },
    config: { permission: 'kernel.users.view' },
  }, async (req) => {
    const tenantId = req.principal!.tenant.id
    const after = decodeCursor(req.query.cursor)
    const q = Membership.of(tenantId).join('users', 'users.id', 'memberships.user_id').select(memberColumns).orderBy('users.id').limit(req.query.limit + 1)
    if (after) q.where('users.id', '>', after)
    if (req.query.active !== undefined) q.where('memberships.active', req.query.active)
    if (req.query.q) {
      const like = `%${req.query.q.replace(/[\\%_]/g, (c) => '\\' + c)}%`
      q.where((w) => w.whereILike('users.email', like).orWhereILike('users.name', like))
    }
    const rows = await q
    const result = page(rows as any[], req.query.limit)
    return { items: result.items.map((r) => view(r, tenantId)), nextCursor: result.nextCursor }
  })

  app.post<{ Body: { email: string; name: string; role: string; password?: string } }>('/api/users', {
    schema: {
      tags: ['users'],
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['email', 'name', 'role'],
        properties: { email: { type: 'string', format: 'email', maxLength: 254 }, name: str(120, 1), role: str(64, 1), password: str(1024, MIN_PASSWORD_LENGTH) },
      },
    },
    config: { permission: 'kernel.users.manage' },
  }, async (req, reply) => {
    const p = req.principal!
    assertGrantable(rbac, p, req.body.role)
    const user = await db.transaction(async (trx) => {
      const created = await addMember(trx, p.tenant.id, req.body)
      await audit.record(trx, req, { tenantId: p.tenant.id, action: 'kernel.user.added', targetType: 'user', targetId: created.id, summary: { email: created.email, role: req.body.role } })
      return created
    })
    const row = await Membership.of(p.tenant.id).join('users', 'users.id', 'memberships.user_id').where('users.id', user.id).select(memberColumns).first()
    return reply.status(201).send(view(row, p.tenant.id))
  })

  app.patch<{ Params: { id: string }; Body: { name?: string; role?: string; active?: boolean } }>('/api/users/:id', {
    schema: {
      tags: ['users'],
      params: idParams,
      body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { name: str(120, 1), role: str(64, 1), active: { type: 'boolean' } } },
    },
    config: { permission: 'kernel.users.manage' },
  }, async (req) => {
    const p = req.principal!
    const tenantId = p.tenant.id
    const member = await Membership.of(tenantId).where('user_id', req.params.id).first()
    if (!member) throw notFound('user')
    // You cannot change someone at or above your own level (that includes yourself).
    const own = actorLevel(rbac, p)
    if (rbac.levelOf(member.role, tenantId) >= own) {
      throw new AppError(403, 'role_level_too_high', 'You can only change members below your own level', { yourLevel: own })
    }
    if (req.body.role !== undefined) assertGrantable(rbac, p, req.body.role)
    await db.transaction(async (trx) => {
      const changes: Record<string, unknown> = {}
      if (req.body.role !== undefined) changes.role = req.body.role
      if (req.body.active !== undefined) changes.active = req.body.active
      if (Object.keys(changes).length) await Membership.of(tenantId, trx).where('user_id', member.user_id).patch({ ...changes, updated_at: k.clock.now() } as any)
      if (req.body.name !== undefined) await trx('users').where({ id: member.user_id }).update({ name: req.body.name.trim(), updated_at: k.clock.now() })
      if (req.body.active === false) await trx('sessions').where({ user_id: member.user_id, tenant_id: tenantId }).delete()
      const action = req.body.active === false ? 'kernel.user.deactivated' : req.body.role !== undefined ? 'kernel.user.role_changed' : 'kernel.user.updated'
      await audit.record(trx, req, {
        tenantId,
        action,
        targetType: 'user',
        targetId: member.user_id,
        summary: { ...req.body, ...(req.body.role !== undefined ? { previousRole: member.role } : {}) },
      })
    })
    // From the next request on, everywhere: cached credentials and open websockets follow.
    await k.authenticate.invalidate({ userId: member.user_id })
    // Re-authenticating (not closing) keeps their sockets in other workspaces open.
    if (req.body.active !== undefined || req.body.role !== undefined) await k.realtime.recheckUser(member.user_id)
    const row = await Membership.of(tenantId).join('users', 'users.id', 'memberships.user_id').where('users.id', member.user_id).select(memberColumns).first()
    return view(row, tenantId)
  })
}
