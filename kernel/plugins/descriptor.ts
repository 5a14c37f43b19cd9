import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { Ajv } from 'ajv'
import semver from 'semver'

/** The kernel's own version: plugins declare a semver range of it (`"sapa": { "kernel": "^1" }`). */
export const KERNEL_VERSION = '1.0.0'

// At most 42 characters: the plugin's migration lock table `knex_migrations_<name>_lock` must fit
// Postgres' 63-character identifiers.
export const PLUGIN_NAME = '^[a-z][a-z0-9_-]{0,41}$'

/**
 * What the kernel knows about a plugin before running any of its code: read from its
 * package.json (`name`, `version` and the `sapa` key), validated, its kernel range checked.
 */
export interface PluginDescriptor {
  name: string
  version: string
  kernel: string
  dependsOn: string[]
  dir: string
  /** Absolute path of the manifest module. */
  entry: string
  source: 'plugins' | 'dirs' | 'package' | 'installed'
}

export class PluginError extends Error {
  constructor(readonly plugin: string, readonly field: string | null, message: string) {
    super(`plugin "${plugin}"${field ? ` (${field})` : ''}: ${message}`)
    this.name = 'PluginError'
  }
}

const ajv = new Ajv({ allErrors: true })
const validatePackage = ajv.compile({
  type: 'object',
  required: ['name', 'version', 'sapa'],
  properties: {
    name: { type: 'string', maxLength: 214 },
    version: { type: 'string', maxLength: 64 },
    sapa: {
      type: 'object',
      additionalProperties: false,
      required: ['kernel'],
      properties: {
        name: { type: 'string', pattern: PLUGIN_NAME },
        kernel: { type: 'string', maxLength: 64 },
        dependsOn: { type: 'array', maxItems: 50, uniqueItems: true, items: { type: 'string', pattern: PLUGIN_NAME } },
        entry: { type: 'string', maxLength: 255, pattern: '^[\\w./-]+$' },
      },
    },
  },
})

export function readDescriptor(dir: string, source: PluginDescriptor['source']): PluginDescriptor {
  const file = path.join(dir, 'package.json')
  const label = path.basename(dir)
  if (!existsSync(file)) throw new PluginError(label, 'package.json', `no package.json in ${dir}`)
  let pkg: any
  try {
    pkg = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    throw new PluginError(label, 'package.json', 'is not valid JSON')
  }
  if (!validatePackage(pkg)) {
    const e = validatePackage.errors![0]
    const field = ['package.json', ...(e.instancePath ? e.instancePath.slice(1).split('/') : []), (e.params as any).missingProperty ?? (e.params as any).additionalProperty].filter(Boolean).join('.')
    throw new PluginError(pkg?.sapa?.name ?? pkg?.name ?? label, field, e.message ?? 'is invalid')
  }
  const name: string = pkg.sapa.name ?? pkg.name
  if (!new RegExp(PLUGIN_NAME).test(name)) {
    throw new PluginError(name, 'package.json.sapa.name', 'a plugin name is lower-case letters, digits, - and _ (set sapa.name for scoped packages)')
  }
  if (!semver.valid(pkg.version)) throw new PluginError(name, 'package.json.version', `"${pkg.version}" is not a semver version`)
  if (!semver.validRange(pkg.sapa.kernel)) throw new PluginError(name, 'package.json.sapa.kernel', `"${pkg.sapa.kernel}" is not a semver range`)
  if (!semver.satisfies(KERNEL_VERSION, pkg.sapa.kernel)) {
    throw new PluginError(name, 'package.json.sapa.kernel', `needs kernel ${pkg.sapa.kernel}, this is kernel ${KERNEL_VERSION}`)
  }
  const entry = path.resolve(dir, pkg.sapa.entry ?? 'plugin.ts')
  if (!entry.startsWith(path.resolve(dir) + path.sep)) throw new PluginError(name, 'package.json.sapa.entry', 'must stay inside the plugin folder')
  if (!existsSync(entry)) throw new PluginError(name, 'package.json.sapa.entry', `${path.relative(dir, entry)} does not exist`)
  return { name, version: pkg.version, kernel: pkg.sapa.kernel, dependsOn: pkg.sapa.dependsOn ?? [], dir: path.resolve(dir), entry, source }
}

const isPluginDir = (dir: string) => {
  const file = path.join(dir, 'package.json')
  if (!existsSync(file)) return false
  try {
    return JSON.parse(readFileSync(file, 'utf8')).sapa !== undefined
  } catch {
    return true // let readDescriptor report the broken file
  }
}

const subdirs = (dir: string) =>
  existsSync(dir) ? readdirSync(dir).map((d) => path.join(dir, d)).filter((d) => statSync(d).isDirectory()) : []

/**
 * Plugin folders from: `plugins/*`, each folder of SAPA_PLUGIN_DIRS (a plugin itself or a folder of
 * plugins), and installed packages whose package.json has a `sapa` key.
 */
export function discover(options: { root: string; pluginDirs?: string[]; nodeModules?: string }): PluginDescriptor[] {
  const found: PluginDescriptor[] = []
  for (const dir of subdirs(path.join(options.root, 'plugins'))) if (isPluginDir(dir)) found.push(readDescriptor(dir, 'plugins'))
  for (const dir of options.pluginDirs ?? []) {
    if (!existsSync(dir)) throw new PluginError(path.basename(dir), 'SAPA_PLUGIN_DIRS', `${dir} does not exist`)
    if (isPluginDir(dir)) found.push(readDescriptor(dir, 'dirs'))
    else for (const sub of subdirs(dir)) if (isPluginDir(sub)) found.push(readDescriptor(sub, 'dirs'))
  }
  const modules = options.nodeModules ?? path.join(options.root, 'node_modules')
  for (const dir of subdirs(modules)) {
    const candidates = path.basename(dir).startsWith('@') ? subdirs(dir) : [dir]
    for (const pkg of candidates) {
      // Workspace links (our own sdk) are not plugins; real packages with a `sapa` key are.
      if (isPluginDir(pkg) && !found.some((f) => f.dir === path.resolve(pkg))) found.push(readDescriptor(pkg, 'package'))
    }
  }
  const seen = new Map<string, PluginDescriptor>()
  for (const d of found) {
    const other = seen.get(d.name)
    if (other) throw new PluginError(d.name, null, `found twice: ${other.dir} and ${d.dir}`)
    seen.set(d.name, d)
  }
  return found
}

/** Dependencies first. A missing dependency or a cycle names the plugins involved. */
export function sortByDependencies(plugins: PluginDescriptor[]): PluginDescriptor[] {
  const byName = new Map(plugins.map((p) => [p.name, p]))
  for (const p of plugins) {
    for (const dep of p.dependsOn) {
      if (!byName.has(dep)) throw new PluginError(p.name, 'dependsOn', `depends on "${dep}", which is not installed`)
    }
  }
  const sorted: PluginDescriptor[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (p: PluginDescriptor, trail: string[]) => {
    if (state.get(p.name) === 'done') return
    if (state.get(p.name) === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(p.name)), p.name]
      throw new PluginError(p.name, 'dependsOn', `dependency cycle: ${cycle.join(' → ')}`)
    }
    state.set(p.name, 'visiting')
    for (const dep of [...p.dependsOn].sort()) visit(byName.get(dep)!, [...trail, p.name])
    state.set(p.name, 'done')
    sorted.push(p)
  }
  for (const p of [...plugins].sort((a, b) => a.name.localeCompare(b.name))) visit(p, [])
  return sorted
}
