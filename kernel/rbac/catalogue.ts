import { AppError } from '../errors.ts'
import { isPredefinedRole, type PredefinedRoleKey } from './roles.ts'

/** `platform` permissions belong to the instance operator, never to a tenant role. */
export type PermissionScope = 'tenant' | 'platform'

export interface PermissionEntry {
  key: string
  owner: string // 'kernel' or a plugin name
  description: string
  scope: PermissionScope
}

export type PermissionDeclarations = Record<string, string | { description: string; scope?: PermissionScope }>
/** Lowest predefined role that gets each permission; `plugin.*`-style wildcards allowed. */
export type GrantDeclarations = Partial<Record<PredefinedRoleKey, string[]>>

const KEY = /^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*){2}$/

/**
 * Every permission the running instance knows, and which predefined role is granted what.
 * The kernel fills it at boot; each plugin adds its own through `register` when it loads.
 */
export class PermissionCatalogue {
  private readonly entries = new Map<string, PermissionEntry>()
  private readonly grants = new Map<string, Set<PredefinedRoleKey>>()

  register(owner: string, permissions: PermissionDeclarations, grants: GrantDeclarations = {}): void {
    for (const [key, value] of Object.entries(permissions)) {
      if (!KEY.test(key)) throw new Error(`${owner}: permission "${key}" must look like <plugin>.<resource>.<action>`)
      if (owner !== 'kernel' && !key.startsWith(owner + '.')) {
        throw new Error(`${owner}: permission "${key}" must start with "${owner}."`)
      }
      const existing = this.entries.get(key)
      if (existing && existing.owner !== owner) throw new Error(`${owner}: permission "${key}" is already declared by ${existing.owner}`)
      const entry = typeof value === 'string' ? { description: value } : value
      this.entries.set(key, { key, owner, description: entry.description, scope: entry.scope ?? 'tenant' })
    }
    for (const [role, patterns] of Object.entries(grants)) {
      if (!isPredefinedRole(role)) throw new Error(`${owner}: grants name an unknown role "${role}"`)
      for (const pattern of patterns ?? []) {
        const matched = this.expand(owner, pattern)
        if (matched.length === 0) throw new Error(`${owner}: grant "${pattern}" for ${role} matches no permission of ${owner}`)
        for (const key of matched) {
          if (!this.grants.has(key)) this.grants.set(key, new Set())
          this.grants.get(key)!.add(role)
        }
      }
    }
  }

  /** Drop everything an owner declared (a plugin being removed or reloaded). */
  unregister(owner: string): void {
    for (const [key, entry] of this.entries) {
      if (entry.owner === owner) {
        this.entries.delete(key)
        this.grants.delete(key)
      }
    }
  }

  private expand(owner: string, pattern: string): string[] {
    const prefix = pattern.endsWith('*') ? pattern.slice(0, -1) : null
    return [...this.entries.values()]
      .filter((e) => e.owner === owner && e.scope === 'tenant' && (prefix === null ? e.key === pattern : e.key.startsWith(prefix)))
      .map((e) => e.key)
  }

  get(key: string): PermissionEntry | undefined {
    return this.entries.get(key)
  }
  has(key: string): boolean {
    return this.entries.has(key)
  }
  list(): PermissionEntry[] {
    return [...this.entries.values()].sort((a, b) => a.key.localeCompare(b.key))
  }
  /** [role, permission] pairs: each permission at the roles named in grants (inheritance adds the rest). */
  grantPairs(): [PredefinedRoleKey, string][] {
    const pairs: [PredefinedRoleKey, string][] = []
    for (const [key, roles] of this.grants) for (const role of roles) pairs.push([role, key])
    return pairs
  }

  /** Validate a list of keys coming from a user (custom roles): known, tenant-scoped. */
  assertAssignable(keys: string[]): void {
    const unknown = keys.filter((k) => this.entries.get(k)?.scope !== 'tenant')
    if (unknown.length) throw new AppError(400, 'unknown_permission', `Unknown permission: ${unknown.join(', ')}`, { permissions: unknown })
  }
}
