import type { Knex } from 'knex'
import type { ValidateFunction } from 'ajv'
import type { Fanout } from '../bus/fanout.ts'
import { AppError } from '../errors.ts'

export interface EnablementRule {
  defaultEnabled: boolean
  dependsOn: string[]
  validateSettings: ValidateFunction | null
}

interface TenantState {
  rows: Map<string, { enabled: boolean; settings: Record<string, unknown> }>
}

const CHANNEL = 'kernel.plugins.tenant'
const MAX_CACHED_TENANTS = 20_000

/**
 * Which plugins each tenant has switched on, and their settings. Read on every gated request and
 * job, so it is cached per tenant in memory; a change is broadcast on the fan-out and every node
 * drops that tenant's entry, so the next request anywhere sees it.
 */
export class Enablement {
  private readonly cache = new Map<string, TenantState>()
  // Bumped on every invalidation: a load that started before a change must not cache stale rows.
  private readonly versions = new Map<string, number>()
  private readonly unsubscribe: () => void

  constructor(
    private readonly db: Knex,
    private readonly fanout: Fanout,
    private readonly rules: () => ReadonlyMap<string, EnablementRule>,
  ) {
    this.unsubscribe = fanout.subscribe(CHANNEL, (message) => {
      const tenantId = (message as { tenantId?: unknown })?.tenantId
      if (typeof tenantId === 'string') this.invalidate(tenantId)
    })
  }

  private invalidate(tenantId: string) {
    this.versions.set(tenantId, (this.versions.get(tenantId) ?? 0) + 1)
    this.cache.delete(tenantId)
  }

  /** `db` is the caller's transaction when inside one (embedded mode has a single connection). */
  private async load(tenantId: string, db: Knex = this.db): Promise<TenantState> {
    const cached = this.cache.get(tenantId)
    if (cached) return cached
    const version = this.versions.get(tenantId) ?? 0
    const rows = await db('tenant_plugins').where({ tenant_id: tenantId }).select('plugin', 'enabled', 'settings')
    const state: TenantState = {
      rows: new Map(rows.map((r) => [r.plugin, { enabled: r.enabled, settings: typeof r.settings === 'string' ? JSON.parse(r.settings) : r.settings }])),
    }
    if ((this.versions.get(tenantId) ?? 0) === version) {
      if (this.cache.size >= MAX_CACHED_TENANTS) this.cache.delete(this.cache.keys().next().value!)
      this.cache.set(tenantId, state)
    }
    return state
  }

  async isEnabled(tenantId: string, plugin: string, db?: Knex): Promise<boolean> {
    const rule = this.rules().get(plugin)
    if (!rule) return false
    const row = (await this.load(tenantId, db)).rows.get(plugin)
    return row ? row.enabled : rule.defaultEnabled
  }

  /** Every loaded plugin's state for a tenant. */
  async all(tenantId: string, db?: Knex): Promise<Map<string, boolean>> {
    const state = await this.load(tenantId, db)
    const out = new Map<string, boolean>()
    for (const [name, rule] of this.rules()) out.set(name, state.rows.get(name)?.enabled ?? rule.defaultEnabled)
    return out
  }

  async settings(tenantId: string, plugin: string): Promise<Record<string, unknown>> {
    const rule = this.rules().get(plugin)
    const stored = (await this.load(tenantId)).rows.get(plugin)?.settings ?? {}
    const copy = structuredClone(stored)
    rule?.validateSettings?.(copy) // fills defaults; stored settings were validated on write
    return copy
  }

  /**
   * Switch a plugin on or off for a tenant. On: its dependencies must be on. Off: no enabled
   * plugin may depend on it (409 with the dependants named).
   */
  async setEnabled(trx: Knex.Transaction, tenantId: string, plugin: string, enabled: boolean): Promise<void> {
    const rules = this.rules()
    const rule = rules.get(plugin)
    if (!rule) throw new AppError(404, 'plugin_not_found', `No plugin "${plugin}"`)
    const states = await this.all(tenantId, trx)
    if (enabled) {
      const missing = rule.dependsOn.filter((dep) => !states.get(dep))
      if (missing.length) {
        throw new AppError(409, 'plugin_dependency_disabled', `Enable ${missing.join(', ')} first: ${plugin} needs ${missing.length > 1 ? 'them' : 'it'}`, { plugin, missing })
      }
    } else {
      const dependants = [...rules].filter(([name, r]) => r.dependsOn.includes(plugin) && states.get(name)).map(([name]) => name)
      if (dependants.length) {
        throw new AppError(409, 'plugin_required', `${dependants.join(', ')} ${dependants.length > 1 ? 'need' : 'needs'} ${plugin}: disable ${dependants.length > 1 ? 'them' : 'it'} first`, { plugin, dependants })
      }
    }
    await trx('tenant_plugins')
      .insert({ tenant_id: tenantId, plugin, enabled, settings: '{}', updated_at: new Date() })
      .onConflict(['tenant_id', 'plugin'])
      .merge(['enabled', 'updated_at'])
  }

  async setSettings(trx: Knex.Transaction, tenantId: string, plugin: string, settings: Record<string, unknown>): Promise<Record<string, unknown>> {
    const rule = this.rules().get(plugin)
    if (!rule) throw new AppError(404, 'plugin_not_found', `No plugin "${plugin}"`)
    if (!rule.validateSettings) throw new AppError(400, 'plugin_has_no_settings', `${plugin} has no settings`)
    const candidate = structuredClone(settings)
    if (!rule.validateSettings(candidate)) {
      const details = rule.validateSettings.errors!.map((e) => ({
        field: e.instancePath.slice(1).replace(/\//g, '.') || (e.params as any).additionalProperty || (e.params as any).missingProperty || '',
        problem: e.keyword === 'additionalProperties' ? `unknown setting "${(e.params as any).additionalProperty}"` : e.message,
      }))
      throw new AppError(400, 'invalid_settings', 'The settings are not valid', details)
    }
    const enabled = await this.isEnabled(tenantId, plugin, trx)
    await trx('tenant_plugins')
      .insert({ tenant_id: tenantId, plugin, enabled, settings: JSON.stringify(candidate), updated_at: new Date() })
      .onConflict(['tenant_id', 'plugin'])
      .merge(['settings', 'updated_at'])
    return candidate
  }

  /** After the transaction committed: drop the cache here and on every other node. */
  async changed(tenantId: string): Promise<void> {
    this.invalidate(tenantId)
    await this.fanout.publish(CHANNEL, { tenantId })
  }

  close(): void {
    this.unsubscribe()
  }
}
