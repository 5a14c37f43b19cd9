import { newEnforcer, newModelFromString, type Enforcer } from 'casbin'
import { PREDEFINED_ROLES, isPredefinedRole, predefinedRole } from './roles.ts'
import type { PermissionCatalogue } from './catalogue.ts'

// Permission rules are tenant-independent (domain "*") and only custom roles carry a tenant:
// STACK-NOTES measured that per-tenant copies of the predefined rules make enforcement
// collapse at a thousand tenants. A user's role in a tenant lives on the membership row
// (exactly one per tenant), so the subject of a check is the role, not the user.
const MODEL = `
[request_definition]
r = sub, dom, obj

[policy_definition]
p = sub, dom, obj

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub) && (p.dom == "*" || p.dom == r.dom) && r.obj == p.obj
`

/** Every role can see its own profile and workspaces, custom roles included. */
export const BASELINE_PERMISSIONS = ['kernel.me.view']

export interface CustomRoleRecord {
  id: string
  tenantId: string
  name: string
  level: number
  permissions: string[]
}

export interface RoleInfo {
  key: string // predefined key or custom role id
  name: string
  level: number
  custom: boolean
}

export class Rbac {
  /** Told after a custom role changed here, so the kernel can tell the other nodes. */
  onCustomRoleChanged: ((id: string) => Promise<void>) | null = null

  // Decisions per (role, permission). A custom role id is unique across tenants and its tenant is
  // checked before the lookup, so the tenant need not be part of the key. Cleared on any policy change.
  private readonly decisions = new Map<string, boolean>()

  private constructor(
    private readonly enforcer: Enforcer,
    private readonly catalogue: PermissionCatalogue,
    private readonly custom = new Map<string, CustomRoleRecord>(),
  ) {}

  static async create(catalogue: PermissionCatalogue, customRoles: CustomRoleRecord[] = []): Promise<Rbac> {
    const enforcer = await newEnforcer(newModelFromString(MODEL))
    const rbac = new Rbac(enforcer, catalogue)
    // Each level inherits the one below it.
    const links = PREDEFINED_ROLES.slice(0, -1).map((role, i) => [role.key, PREDEFINED_ROLES[i + 1].key])
    await enforcer.addGroupingPolicies(links)
    await rbac.reloadPredefined()
    for (const role of customRoles) await rbac.setCustomRole(role)
    return rbac
  }

  /** Re-read the predefined grants from the catalogue (a plugin was added or removed). */
  async reloadPredefined(): Promise<void> {
    const current = (await this.enforcer.getPolicy()).filter(([, dom]) => dom === '*')
    if (current.length) await this.enforcer.removePolicies(current)
    const rules = this.catalogue.grantPairs().map(([role, key]) => [role, '*', key])
    if (rules.length) await this.enforcer.addPolicies(rules)
    this.decisions.clear()
  }

  async setCustomRole(role: CustomRoleRecord): Promise<void> {
    await this.removeCustomRole(role.id)
    this.custom.set(role.id, role)
    const rules = [...new Set([...BASELINE_PERMISSIONS, ...role.permissions])].map((key) => [role.id, role.tenantId, key])
    if (rules.length) await this.enforcer.addPolicies(rules)
    this.decisions.clear()
  }

  async removeCustomRole(id: string): Promise<void> {
    this.custom.delete(id)
    await this.enforcer.removeFilteredPolicy(0, id)
    this.decisions.clear()
  }

  /** Tenant-scoped check. Platform permissions are decided by the operator flag, not here. */
  can(role: string, tenantId: string, permission: string): boolean {
    if (!this.roleExists(role, tenantId)) return false
    const key = `${role}\u0000${permission}`
    let allowed = this.decisions.get(key)
    if (allowed === undefined) {
      allowed = this.enforcer.enforceSync(role, tenantId, permission)
      this.decisions.set(key, allowed)
    }
    return allowed
  }

  permissionsOf(role: string, tenantId: string): string[] {
    return this.catalogue
      .list()
      .filter((e) => e.scope === 'tenant' && this.can(role, tenantId, e.key))
      .map((e) => e.key)
  }

  roleExists(role: string, tenantId: string): boolean {
    return isPredefinedRole(role) || this.custom.get(role)?.tenantId === tenantId
  }

  /** The role as seen from a tenant; a custom role of another tenant does not exist there. */
  role(role: string, tenantId: string): RoleInfo | undefined {
    const predefined = predefinedRole(role)
    if (predefined) return { key: predefined.key, name: predefined.name, level: predefined.level, custom: false }
    const custom = this.custom.get(role)
    if (custom && custom.tenantId === tenantId) return { key: custom.id, name: custom.name, level: custom.level, custom: true }
    return undefined
  }

  levelOf(role: string, tenantId: string): number {
    return this.role(role, tenantId)?.level ?? 0
  }

  /** The roles of a tenant (predefined and its custom ones) that hold `permission`. */
  rolesWith(tenantId: string, permission: string): string[] {
    const roles = [...PREDEFINED_ROLES.map((r) => r.key as string), ...this.customRolesOf(tenantId).map((r) => r.id)]
    return roles.filter((role) => this.can(role, tenantId, permission))
  }

  customRolesOf(tenantId: string): CustomRoleRecord[] {
    return [...this.custom.values()].filter((r) => r.tenantId === tenantId)
  }
}
