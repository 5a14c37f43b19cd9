import type { FastifyInstance } from 'fastify'
import type { KernelServices } from '../kernel.ts'
import { AppError } from '../errors.ts'
import { str } from '../http/schemas.ts'
import { newId, isUuid } from '../db/ids.ts'
import { PREDEFINED_ROLES, isPredefinedRole } from '../rbac/roles.ts'
import { actorLevel, assertPermissionsHeld, refreshCustomRole } from '../services/roles.ts'
import { CustomRole, Membership, ApiKey } from '../models.ts'

const permissionList = { type: 'array', maxItems: 1000, uniqueItems: true, items: str(128, 1) } as const
// Names are trimmed before they are stored: a blank one would become an empty, unselectable role.
const roleName = { ...str(64, 1), pattern: '\\S' } as const
const roleIdParams = { type: 'object', additionalProperties: false, required: ['id'], properties: { id: str(64, 1) } } as const

export default async function roleRoutes(app: FastifyInstance, k: KernelServices) {
  const { db, rbac, catalogue, audit } = k

  const customView = (r: CustomRole) => ({
    id: r.id,
    key: r.id,
    name: r.name,
    description: r.description,
    level: r.level,
    custom: true,
    permissions: [...r.permissions].sort(),
  })

  async function findCustom(tenantId: string, id: string): Promise<CustomRole> {
    if (isPredefinedRole(id)) throw new AppError(409, 'role_predefined', 'Predefined roles cannot be changed; create a custom role from it instead')
    const role = isUuid(id) ? await CustomRole.of(tenantId).findById(id) : undefined
    if (!role) throw new AppError(404, 'role_not_found', 'role not found')
    return role
  }

  function assertBelowActor(req: { principal: any }, level: number) {
    const own = actorLevel(rbac, req.principal)
    if (level >= own) throw new AppError(403, 'role_level_too_high', `You can only manage roles below your own level (${own})`, { yourLevel: own })
  }

  async function publish(id: string) {
    await refreshCustomRole(db, rbac, id)
    await rbac.onCustomRoleChanged?.(id)
  }

  app.get('/api/roles', { schema: { tags: ['roles'] }, config: { permission: 'kernel.roles.view' } }, async (req) => {
    const tenantId = req.principal!.tenant.id
    const custom = await CustomRole.of(tenantId).orderBy('level', 'desc').orderBy('name').limit(500)
    return {
      items: [
        ...PREDEFINED_ROLES.map((r) => ({ id: r.key, key: r.key, name: r.name, description: '', level: r.level, custom: false, permissions: rbac.permissionsOf(r.key, tenantId) })),
        ...custom.map(customView),
      ],
      yourLevel: actorLevel(rbac, req.principal!),
    }
  })

  app.post<{ Body: { name: string; description?: string; level: number; permissions?: string[]; template?: string } }>('/api/roles', {
    schema: {
      tags: ['roles'],
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'level'],
        properties: {
          name: roleName,
          description: str(500),
          level: { type: 'integer', minimum: 1, maximum: 9 },
          permissions: permissionList,
          template: { type: 'string', maxLength: 64, description: 'A role whose permissions to start from' },
        },
      },
    },
    config: { permission: 'kernel.roles.manage' },
  }, async (req, reply) => {
    const p = req.principal!
    const tenantId = p.tenant.id
    assertBelowActor(req, req.body.level)
    let permissions = req.body.permissions ?? []
    if (req.body.template !== undefined) {
      if (!rbac.roleExists(req.body.template, tenantId)) throw new AppError(400, 'unknown_role', `There is no role "${req.body.template}" to copy`, { field: 'template' })
      permissions = [...new Set([...rbac.permissionsOf(req.body.template, tenantId), ...permissions])]
    }
    catalogue.assertAssignable(permissions)
    assertPermissionsHeld(rbac, p, permissions)
    const id = newId()
    await db.transaction(async (trx) => {
      const taken = await CustomRole.of(tenantId, trx).where('name', req.body.name.trim()).first()
      if (taken) throw new AppError(409, 'role_name_taken', `A role named "${req.body.name}" already exists`, { field: 'name' })
      await CustomRole.of(tenantId, trx).insert({ id, name: req.body.name.trim(), description: req.body.description ?? '', level: req.body.level, permissions } as any)
      await audit.record(trx, req, { tenantId, action: 'kernel.role.created', targetType: 'role', targetId: id, summary: { name: req.body.name, level: req.body.level, template: req.body.template, permissions: permissions.length } })
    })
    await publish(id)
    return reply.status(201).send(customView((await CustomRole.of(tenantId).findById(id))!))
  })

  app.patch<{ Params: { id: string }; Body: { name?: string; description?: string; level?: number; permissions?: string[] } }>('/api/roles/:id', {
    schema: {
      tags: ['roles'],
      params: roleIdParams,
      body: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        properties: { name: roleName, description: str(500), level: { type: 'integer', minimum: 1, maximum: 9 }, permissions: permissionList },
      },
    },
    config: { permission: 'kernel.roles.manage' },
  }, async (req) => {
    const p = req.principal!
    const tenantId = p.tenant.id
    const role = await findCustom(tenantId, req.params.id)
    assertBelowActor(req, role.level)
    if (req.body.level !== undefined) assertBelowActor(req, req.body.level)
    if (req.body.permissions) {
      catalogue.assertAssignable(req.body.permissions)
      assertPermissionsHeld(rbac, p, req.body.permissions)
    }
    await db.transaction(async (trx) => {
      if (req.body.name !== undefined) {
        const taken = await CustomRole.of(tenantId, trx).where('name', req.body.name.trim()).whereNot('id', role.id).first()
        if (taken) throw new AppError(409, 'role_name_taken', `A role named "${req.body.name}" already exists`, { field: 'name' })
      }
      const patch: Record<string, unknown> = { ...req.body, updated_at: k.clock.now() }
      // Trimmed as on create, or " Sales" and "Sales" could both exist.
      if (req.body.name !== undefined) patch.name = req.body.name.trim()
      if (req.body.permissions) patch.permissions = JSON.stringify(req.body.permissions)
      await trx('custom_roles').where({ id: role.id, tenant_id: tenantId }).update(patch)
      await audit.record(trx, req, { tenantId, action: 'kernel.role.updated', targetType: 'role', targetId: role.id, summary: { ...req.body, permissions: req.body.permissions?.length } })
    })
    await publish(role.id)
    return customView((await CustomRole.of(tenantId).findById(role.id))!)
  })

  app.delete<{ Params: { id: string } }>('/api/roles/:id', {
    schema: { tags: ['roles'], params: roleIdParams },
    config: { permission: 'kernel.roles.manage' },
  }, async (req, reply) => {
    const p = req.principal!
    const tenantId = p.tenant.id
    const role = await findCustom(tenantId, req.params.id)
    assertBelowActor(req, role.level)
    await db.transaction(async (trx) => {
      const members = await Membership.of(tenantId, trx).where('role', role.id).resultSize()
      const keys = await ApiKey.of(tenantId, trx).where('role', role.id).whereNull('revoked_at').resultSize()
      if (members + keys > 0) {
        throw new AppError(409, 'role_in_use', `${members} member(s) and ${keys} API key(s) still use this role; move them to another role first`, { members, apiKeys: keys })
      }
      await CustomRole.of(tenantId, trx).deleteById(role.id)
      await audit.record(trx, req, { tenantId, action: 'kernel.role.deleted', targetType: 'role', targetId: role.id, summary: { name: role.name } })
    })
    await publish(role.id)
    return reply.status(204).send()
  })

  app.get('/api/permissions', { schema: { tags: ['roles'] }, config: { permission: 'kernel.roles.view' } }, async (req) => {
    const tenantId = req.principal!.tenant.id
    const lowest = (key: string) => [...PREDEFINED_ROLES].reverse().find((r) => rbac.can(r.key, tenantId, key))?.key ?? null
    return {
      items: catalogue
        .list()
        .filter((e) => e.scope === 'tenant')
        .map((e) => ({ key: e.key, owner: e.owner, description: e.description, lowestRole: lowest(e.key) })),
    }
  })
}
