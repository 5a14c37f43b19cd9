// npm run plugin:new -- <name> [--dir <parent>]
//
// Scaffolds a working plugin in <parent>/<name>/ (default parent: plugins/): package.json, plugin.ts
// (a permission, settings, a route, a job, an event handler, a service), server/, a migration,
// ui/index.tsx, a passing test and a README. The files come from scripts/templates/plugin/.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'

const ROOT = path.resolve(import.meta.dirname, '..')
const TEMPLATE_DIR = path.join(import.meta.dirname, 'templates', 'plugin')
const USAGE = 'usage: npm run plugin:new -- <name> [--dir <parent folder>]'

/** Same rule as the kernel (kernel/plugins/descriptor.ts PLUGIN_NAME). */
export const PLUGIN_NAME = /^[a-z][a-z0-9_-]{0,62}$/

/**
 * Names a plugin cannot take: `kernel` owns the `kernel.*` permissions, and a plugin's routes mount
 * under `/api/<name>`, which must not land inside one of the kernel's own API areas.
 */
/**
 * The kernel tracks a plugin's migrations in `knex_migrations_<name>` (+ `_lock`): past 42 characters
 * that overflows Postgres' 63-character identifiers and the plugin's migrations fail.
 */
export const MAX_NAME_LENGTH = 42

export const RESERVED_NAMES = new Set(['kernel', 'sdk', 'api', 'auth', 'me', 'users', 'roles', 'permissions', 'plugins', 'tenants', 'audit', 'api-keys', 'realtime', 'ui', 'queues', 'health', 'metrics', 'docs'])

function fail(message: string): never {
  process.stderr.write(`plugin:new: ${message}\n`)
  process.exit(1)
}

/** `my-plugin` → `MyPlugin` (class names), `My Plugin` (labels), `my_plugin` (SQL identifiers). */
export function namesFor(name: string) {
  const words = name.split(/[-_]+/).filter(Boolean)
  const cap = (w: string) => w[0].toUpperCase() + w.slice(1)
  const title = words.map(cap).join(' ')
  return {
    name,
    Name: words.map(cap).join(''),
    Title: title,
    Label: title.slice(0, 60),
    table: `${name.replace(/-/g, '_')}_items`,
  }
}

function timestamp(now = new Date()): string {
  return now.toISOString().replace(/[-:T]/g, '').slice(0, 14)
}

function templateFiles(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry)
    return statSync(full).isDirectory() ? templateFiles(full, base) : [path.relative(base, full)]
  })
}

/** Where each template lands in the new plugin. */
function targetPath(template: string, name: string, stamp: string): string {
  const rel = template.replace(/\.tmpl$/, '')
  if (rel === path.join('migrations', 'items.ts')) return path.join('migrations', `${stamp}_${name}_items.ts`)
  if (rel === path.join('test', 'plugin.test.ts')) return path.join('test', `${name}.test.ts`)
  return rel
}

/** The plugin imports `@sapa/sdk`: it resolves only below a folder whose node_modules has it. */
function sdkResolvesFrom(dir: string): boolean {
  for (let d = dir; ; d = path.dirname(d)) {
    if (existsSync(path.join(d, 'node_modules', '@sapa', 'sdk', 'package.json'))) return true
    if (path.dirname(d) === d) return false
  }
}

export function scaffold(name: string, parent: string, now = new Date()): { dir: string; files: string[] } {
  if (!PLUGIN_NAME.test(name)) {
    throw new Error(`"${name}" is not a valid plugin name: lower-case letters, digits, - and _, starting with a letter, at most 63 characters`)
  }
  if (name.length > MAX_NAME_LENGTH) {
    throw new Error(`"${name}" is too long: at most ${MAX_NAME_LENGTH} characters (its migrations table, knex_migrations_<name>_lock, must fit Postgres' 63-character names)`)
  }
  if (RESERVED_NAMES.has(name)) throw new Error(`"${name}" is reserved by the kernel: choose another name`)
  const dir = path.join(parent, name)
  if (existsSync(dir)) throw new Error(`${dir} already exists: choose another name or remove it first`)
  if (existsSync(parent) && !statSync(parent).isDirectory()) throw new Error(`${parent} is not a folder`)

  const n = namesFor(name)
  const stamp = timestamp(now)
  const relTest = path.relative(ROOT, path.join(dir, 'test', `${name}.test.ts`)).split(path.sep).join('/')
  const values: Record<string, string> = { ...n, relTest }
  const render = (text: string) => text.replace(/__(name|Name|Title|Label|table|relTest)__/g, (_m, key: string) => values[key])

  mkdirSync(parent, { recursive: true })
  mkdirSync(dir) // not recursive: fails if someone created it meanwhile
  const files: string[] = []
  try {
    for (const template of templateFiles(TEMPLATE_DIR).sort()) {
      const rel = targetPath(template, name, stamp)
      const out = path.join(dir, rel)
      mkdirSync(path.dirname(out), { recursive: true })
      writeFileSync(out, render(readFileSync(path.join(TEMPLATE_DIR, template), 'utf8')), { flag: 'wx' })
      files.push(rel.split(path.sep).join('/'))
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  return { dir, files }
}

function main(): void {
  let parsed
  try {
    parsed = parseArgs({ args: process.argv.slice(2), allowPositionals: true, options: { dir: { type: 'string' }, help: { type: 'boolean', short: 'h' } } })
  } catch (err) {
    fail(`${(err as Error).message} (${USAGE})`)
  }
  const { values, positionals } = parsed
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
    return
  }
  if (positionals.length !== 1) fail(positionals.length === 0 ? `a plugin name is required (${USAGE})` : `one plugin name at a time (${USAGE})`)
  // `npm run` moves to the package root; a relative --dir means relative to where it was typed.
  const cwd = process.env.INIT_CWD ?? process.cwd()
  const parent = values.dir !== undefined ? path.resolve(cwd, values.dir) : path.join(ROOT, 'plugins')

  let result
  try {
    result = scaffold(positionals[0], parent)
  } catch (err) {
    fail((err as Error).message)
  }
  const shown = path.relative(cwd, result.dir) || '.'
  const test = path.relative(ROOT, path.join(result.dir, 'test', `${positionals[0]}.test.ts`))
  process.stdout.write(`created plugin "${positionals[0]}" in ${shown}/ (${result.files.join(', ')})\n`)
  if (!sdkResolvesFrom(result.dir)) {
    process.stdout.write(`note: @sapa/sdk does not resolve from ${result.dir}: create it inside the Sapa repository, or install @sapa/sdk there\n`)
  }
  process.stdout.write(`next: npx tap ${test}${path.dirname(result.dir) === path.join(ROOT, 'plugins') ? '' : `  — then load it with SAPA_PLUGIN_DIRS or \`npm run plugin -- install ${shown}\``}\n`)
}

// Run as a command (not when a test imports the helpers above).
if (path.resolve(process.argv[1] ?? '') === import.meta.filename) main()
