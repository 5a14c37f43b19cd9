import type { Knex } from 'knex'
import type { CustomRoleRecord, Rbac } from '../rbac/rbac.ts'
import type { Principal } from '../auth/principal.ts'
import { AppError } from '../errors.ts'

const toRecord = (row: any): CustomRoleRecord => ({
  id: row.id,
  tenantId: row.tenant_id,
  name: row.name,
  level: row.level,
  permissions: typeof row.permissions === 'string' ? JSON.parse(row.permissions) : row.permissions,
})

/** Custom roles of every tenant, for the enforcer at boot. */
export async function loadCustomRoles(db: Knex): Promise<CustomRoleRecord[]> {
  const rows = await db('custom_roles').select('id', 'tenant_id', 'name', 'level', 'permissions')
  return rows.map(toRecord)
}

/**
 * Bring this node's enforcer in line with the stored role, or drop it once the row is gone. The node
 * that made the edit calls it before answering (so the response already reflects it), every node
 * again when the edit's fan-out message arrives.
 */
export async function refreshCustomRole(db: Knex, rbac: Rbac, id: string): Promise<void> {
  const row = await db('custom_roles').where({ id }).first('id', 'tenant_id', 'name', 'level', 'permissions')
  if (row) await rbac.setCustomRole(toRecord(row))
  else await rbac.removeCustomRole(id)
}

export const actorLevel = (rbac: Rbac, p: Principal): number => rbac.levelOf(p.role, p.tenant.id)

/**
 * The level rule: you may only hand out roles strictly below your own level.
 * Unknown roles (or another tenant's custom role) are a 400, not a silent default.
 */
export function assertGrantable(rbac: Rbac, p: Principal, role: string): void {
  const info = rbac.role(role, p.tenant.id)
  if (!info) throw new AppError(400, 'unknown_role', `There is no role "${role}" in this workspace`)
  const own = actorLevel(rbac, p)
  if (info.level >= own) {
    throw new AppError(403, 'role_level_too_high', `You can only grant roles below your own level (${own})`, { roleLevel: info.level, yourLevel: own })
  }
  // A custom role's level is only a label: a level-2 role may carry admin permissions. Without
  // this, a manager could hand out (or mint an API key with) permissions they do not hold.
  assertPermissionsHeld(rbac, p, rbac.permissionsOf(info.key, p.tenant.id))
}

/** You may only give permissions you hold yourself. */
export function assertPermissionsHeld(rbac: Rbac, p: Principal, permissions: string[]): void {
  const missing = permissions.filter((key) => !rbac.can(p.role, p.tenant.id, key))
  if (missing.length) {
    throw new AppError(403, 'permission_not_held', 'You can only grant permissions you hold yourself', { permissions: missing })
  }
}
