import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { FastifyInstance } from 'fastify'
import type { PermissionCatalogue } from '../rbac/catalogue.ts'
import type { Rbac } from '../rbac/rbac.ts'
import { migrateFolder } from '../db/migrate.ts'
import { AppError } from '../errors.ts'
import { PluginError, readDescriptor, sortByDependencies, type PluginDescriptor } from './descriptor.ts'
import { checkManifest } from './manifest.ts'
import { LoadedPlugin } from './loaded-plugin.ts'
import { hashDir, stagePlugin } from './staging.ts'
import type { EnablementRule } from './enablement.ts'
import type { PluginRuntime } from './runtime.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** Set on a plugin's route scope: its routes are gated by that plugin's per-tenant enablement. */
    sapaPlugin?: string
  }
}

export interface PluginManagerOptions {
  runtime: PluginRuntime
  catalogue: PermissionCatalogue
  rbac: Rbac
  /** Where runtime-installed code is staged (DATA_DIR/plugin-code). */
  cacheDir: string
  kernelRoot: string
}

/** A change of plugin code on one node, for the others (see sync.ts). */
export interface PluginCodeChange {
  action: 'install' | 'remove'
  name: string
  /** install: the folder the code came from, and its hash (hashDir). */
  dir?: string
  hash?: string
}

interface Loaded {
  plugin: LoadedPlugin
  /** The folder the code came from (for reload) and the folder it runs from (staged or in place). */
  sourceDir: string
  codeHash: string | null
}

/**
 * Loads plugins, in dependency order, and swaps them at runtime. One operation at a time;
 * an operation that fails at any step leaves the previous plugin set running.
 */
export class PluginManager {
  private readonly loaded = new Map<string, Loaded>()
  readonly rules = new Map<string, EnablementRule>()
  private queue: Promise<unknown> = Promise.resolve()
  /** Called after the plugin set changed: builds and swaps in a new app generation. Throws to refuse. */
  onChange: (() => Promise<void>) | null = null
  /** Called after an install, reload or remove asked of this node succeeded (not for applyRemote). */
  onApplied: ((change: PluginCodeChange) => void) | null = null

  constructor(private readonly options: PluginManagerOptions) {}

  get names(): string[] {
    return [...this.loaded.keys()]
  }
  get plugins(): LoadedPlugin[] {
    return [...this.loaded.values()].map((l) => l.plugin)
  }
  get(name: string): LoadedPlugin | undefined {
    return this.loaded.get(name)?.plugin
  }
  sourceOf(name: string): string | undefined {
    return this.loaded.get(name)?.sourceDir
  }

  resolveService(qualified: string): unknown {
    const [owner, service] = qualified.split('.')
    const plugin = this.loaded.get(owner)?.plugin
    if (!plugin || !plugin.services.has(service)) throw new Error(`No service "${qualified}" (is ${owner} loaded and does it provide ${service}?)`)
    return plugin.services.get(service)
  }

  private exclusive<T>(op: () => Promise<T>): Promise<T> {
    const next = this.queue.then(op, op)
    this.queue = next.catch(() => {})
    return next
  }

  /** Boot: every discovered plugin, dependencies first. Any failure stops the boot with the plugin named. */
  async boot(descriptors: PluginDescriptor[]): Promise<void> {
    for (const d of sortByDependencies(descriptors)) {
      await this.migrate(d)
      const plugin = await this.instantiate(d, d.entry)
      await this.activate(plugin)
      this.loaded.set(d.name, { plugin, sourceDir: d.dir, codeHash: null })
    }
  }

  private async migrate(d: PluginDescriptor): Promise<void> {
    try {
      await migrateFolder(this.options.runtime.db, d.name, path.join(d.dir, 'migrations'))
    } catch (err) {
      throw new PluginError(d.name, 'migrations', (err as Error).message)
    }
  }

  /** Import and check the manifest. No side effects beyond loading the module. */
  private async instantiate(d: PluginDescriptor, entry: string): Promise<LoadedPlugin> {
    let mod: { default?: unknown }
    try {
      mod = await import(pathToFileURL(entry).href)
    } catch (err) {
      throw new PluginError(d.name, 'plugin.ts', `failed to load: ${(err as Error).message}`)
    }
    const { manifest, validateSettings } = checkManifest(d, mod.default)
    return new LoadedPlugin(d, manifest, validateSettings, this.options.runtime)
  }

  /** Permissions into RBAC, install/upgrade hooks, then register. Undone if any step throws. */
  private async activate(plugin: LoadedPlugin): Promise<void> {
    const { catalogue, rbac, runtime } = this.options
    const { manifest } = plugin
    try {
      catalogue.unregister(plugin.name)
      catalogue.register(plugin.name, manifest.permissions ?? {}, manifest.grants ?? {})
      for (const nav of [...(manifest.ui?.nav ?? []), ...(manifest.ui?.slots ?? [])]) {
        if (nav.permission && !catalogue.has(nav.permission)) throw new PluginError(plugin.name, 'ui', `unknown permission "${nav.permission}"`)
      }
      await rbac.reloadPredefined()
      const row = await runtime.db('installed_plugins').where({ name: plugin.name }).first()
      if (!row) await manifest.lifecycle?.install?.(plugin.ctx)
      else if (row.version !== manifest.version) await manifest.lifecycle?.upgrade?.(plugin.ctx, row.version)
      await manifest.register(plugin.ctx)
      await runtime.db('installed_plugins')
        .insert({ name: plugin.name, version: manifest.version, source_dir: plugin.descriptor.source === 'installed' ? plugin.descriptor.dir : null, updated_at: new Date() })
        .onConflict('name')
        .merge(['version', 'updated_at'])
      this.rules.set(plugin.name, {
        defaultEnabled: manifest.defaultEnabled ?? true,
        dependsOn: manifest.dependsOn ?? [],
        validateSettings: plugin.validateSettings,
      })
    } catch (err) {
      await plugin.dispose()
      catalogue.unregister(plugin.name)
      await rbac.reloadPredefined()
      throw err instanceof PluginError ? err : new PluginError(plugin.name, 'register', (err as Error).message)
    }
  }

  private async deactivate(name: string): Promise<void> {
    await this.unload(name)
    await this.options.rbac.reloadPredefined()
  }

  /**
   * Deactivate without re-reading the predefined grants, for a caller that activates next (activate
   * reloads them whether it succeeds or fails): reloading in between would only deny the plugin's
   * permissions to requests on the running app for the length of the swap.
   */
  private async unload(name: string): Promise<void> {
    const entry = this.loaded.get(name)
    if (!entry) return
    await entry.plugin.dispose()
    this.options.catalogue.unregister(name)
    this.rules.delete(name)
    this.loaded.delete(name)
  }

  private reorder(): void {
    const order = sortByDependencies(this.plugins.map((p) => p.descriptor)).map((d) => d.name)
    const entries = new Map(this.loaded)
    this.loaded.clear()
    for (const name of order) this.loaded.set(name, entries.get(name)!)
  }

  /**
   * Install new code (or a new version of a loaded plugin) from a folder, without a restart.
   * On any failure the previous set — including the previous version — keeps running.
   */
  install(sourceDir: string): Promise<{ name: string; version: string; replaced: string | null }> {
    return this.exclusive(async () => {
      const result = await this.installNow(sourceDir)
      this.applied({ action: 'install', name: result.name })
      return result
    })
  }

  private async installNow(sourceDir: string): Promise<{ name: string; version: string; replaced: string | null }> {
    const source = readDescriptor(path.resolve(sourceDir), 'installed')
    for (const dep of source.dependsOn) {
      if (!this.loaded.has(dep)) throw new PluginError(source.name, 'dependsOn', `depends on "${dep}", which is not installed`)
    }
    const previous = this.loaded.get(source.name)
    const staged = stagePlugin(source.dir, this.options.cacheDir, source.name, this.options.kernelRoot)
    const descriptor: PluginDescriptor = { ...readDescriptor(staged.dir, 'installed'), dir: staged.dir, source: previous && previous.plugin.descriptor.source !== 'installed' ? previous.plugin.descriptor.source : 'installed' }
    const fresh = await this.instantiate(descriptor, descriptor.entry)
    await this.swapIn(fresh, { sourceDir: source.dir, codeHash: staged.hash }, previous)
    return { name: source.name, version: source.version, replaced: previous ? previous.plugin.manifest.version : null }
  }

  /** Re-read a loaded plugin's code from where it came from and swap it in. */
  reload(name: string): Promise<{ name: string; version: string; codeChanged: boolean }> {
    return this.exclusive(async () => {
      const previous = this.loaded.get(name)
      if (!previous) throw new AppError(404, 'plugin_not_found', `No plugin "${name}"`)
      const source = readDescriptor(previous.sourceDir, previous.plugin.descriptor.source)
      const staged = stagePlugin(source.dir, this.options.cacheDir, name, this.options.kernelRoot)
      const descriptor: PluginDescriptor = { ...readDescriptor(staged.dir, source.source), dir: staged.dir }
      const fresh = await this.instantiate(descriptor, descriptor.entry)
      await this.swapIn(fresh, { sourceDir: source.dir, codeHash: staged.hash }, previous)
      this.applied({ action: 'install', name })
      return { name, version: fresh.manifest.version, codeChanged: previous.codeHash !== staged.hash }
    })
  }

  /** Tells onApplied what this node now runs (install and reload are the same news to another node). */
  private applied(change: PluginCodeChange): void {
    const entry = this.loaded.get(change.name)
    this.onApplied?.(change.action === 'install' && entry ? { ...change, dir: entry.sourceDir, hash: entry.codeHash ?? undefined } : change)
  }

  /**
   * A change another node made, done here too, in turn with this node's own operations. Code is
   * taken from the same folder, and only if this node sees the same code there (its hash): a node
   * whose copy differs, or that has no such folder, keeps what it runs. Nothing is announced.
   */
  applyRemote(change: PluginCodeChange): Promise<'applied' | 'unchanged' | 'code_differs'> {
    return this.exclusive(async () => {
      if (change.action === 'remove') {
        if (!this.loaded.has(change.name)) return 'unchanged'
        await this.removeNow(change.name)
        return 'applied'
      }
      if (!change.dir || !change.hash) return 'unchanged'
      if (this.loaded.get(change.name)?.codeHash === change.hash) return 'unchanged'
      let here: string | null = null
      try {
        here = hashDir(change.dir)
      } catch {
        // No such folder on this node.
      }
      if (here !== change.hash) return 'code_differs'
      await this.installNow(change.dir)
      return 'applied'
    })
  }

  private async swapIn(fresh: LoadedPlugin, meta: { sourceDir: string; codeHash: string }, previous: Loaded | undefined): Promise<void> {
    await this.migrate(fresh.descriptor)
    if (previous) await this.unload(fresh.name)
    try {
      await this.activate(fresh)
      this.loaded.set(fresh.name, { plugin: fresh, ...meta })
      this.reorder()
      await this.onChange?.()
    } catch (err) {
      // Put back exactly what ran before: the previous instance's manifest, registered afresh.
      if (this.loaded.get(fresh.name)?.plugin === fresh) await (previous ? this.unload(fresh.name) : this.deactivate(fresh.name))
      if (previous) {
        const restored = new LoadedPlugin(previous.plugin.descriptor, previous.plugin.manifest, previous.plugin.validateSettings, this.options.runtime)
        await this.activate(restored)
        this.loaded.set(fresh.name, { ...previous, plugin: restored })
        this.reorder()
      }
      await this.onChange?.().catch(() => {})
      throw err
    }
  }

  /** Unload a plugin from this process. Refused while a loaded plugin depends on it. */
  remove(name: string): Promise<void> {
    return this.exclusive(async () => {
      await this.removeNow(name)
      this.applied({ action: 'remove', name })
    })
  }

  private async removeNow(name: string): Promise<void> {
    if (!this.loaded.has(name)) throw new AppError(404, 'plugin_not_found', `No plugin "${name}"`)
    const dependants = this.plugins.filter((p) => (p.manifest.dependsOn ?? []).includes(name)).map((p) => p.name)
    if (dependants.length) throw new AppError(409, 'plugin_required', `${dependants.join(', ')} depend on ${name}: remove them first`, { dependants })
    await this.deactivate(name)
    await this.options.runtime.db('installed_plugins').where({ name }).delete()
    await this.onChange?.()
  }

  /** Mount every loaded plugin's routes on a new app generation, under /api/<plugin>. */
  async registerRoutes(app: FastifyInstance): Promise<void> {
    for (const plugin of this.plugins) {
      await app.register(
        async (scope) => {
          scope.decorate('sapaPlugin', plugin.name)
          for (const register of plugin.routeRegistrars) await register(scope)
        },
        { prefix: `/api/${plugin.name}` },
      )
    }
  }

  /** Shutdown: unload everything, dependants first. */
  async close(): Promise<void> {
    for (const name of [...this.loaded.keys()].reverse()) await this.unload(name)
    await this.options.rbac.reloadPredefined()
  }
}
