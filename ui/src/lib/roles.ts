// Roles of the workspace (GET /api/roles), shared by the Users, Roles and API keys pages.
import { api } from './api.ts'
import { me } from './session.ts'

export interface RoleRow {
  id: string
  key: string
  name: string
  description: string
  level: number
  custom: boolean
  permissions: string[]
}

export async function fetchRoles(): Promise<{ items: RoleRow[]; yourLevel: number }> {
  return api<{ items: RoleRow[]; yourLevel: number }>('/api/roles')
}

/** Roles you may hand out: below your level, and only carrying permissions you hold. */
export function grantable(roles: RoleRow[], yourLevel = me()?.role.level ?? 0): RoleRow[] {
  const held = new Set(me()?.permissions ?? [])
  return roles.filter((r) => r.level < yourLevel && r.permissions.every((p) => held.has(p))).sort((a, b) => b.level - a.level)
}
