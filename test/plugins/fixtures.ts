import { mkdirSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import path from 'node:path'

const ROOT = path.resolve(import.meta.dirname, '../../.tap/plugin-fixtures')

export interface FixtureSpec {
  name: string
  version?: string
  kernel?: string
  dependsOn?: string[]
  /** Extra package.json sapa fields or overrides. */
  sapa?: Record<string, unknown>
  /** Body of plugin.ts; default: a manifest with one route and one permission. */
  source?: string
  migration?: string
}

/** Writes a plugin folder (inside the repo, so `@sapa/sdk` resolves) and returns its path. */
export function writePlugin(spec: FixtureSpec, base = path.join(ROOT, randomBytes(4).toString('hex'))): string {
  const dir = path.join(base, spec.name)
  mkdirSync(path.join(dir, 'migrations'), { recursive: true })
  const version = spec.version ?? '1.0.0'
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: spec.name, version, type: 'module', sapa: { kernel: spec.kernel ?? '^1', dependsOn: spec.dependsOn, ...spec.sapa } }, null, 2),
  )
  writeFileSync(path.join(dir, 'plugin.ts'), spec.source ?? defaultSource(spec.name, version, spec.dependsOn ?? []))
  if (spec.migration) writeFileSync(path.join(dir, 'migrations', '20260101000000_init.ts'), spec.migration)
  return dir
}

export function defaultSource(name: string, version: string, dependsOn: string[], extra = ''): string {
  return `
export default {
  name: ${JSON.stringify(name)},
  version: ${JSON.stringify(version)},
  kernel: '^1',
  dependsOn: ${JSON.stringify(dependsOn)},
  permissions: { '${name}.thing.view': 'See things' },
  grants: { viewer: ['${name}.thing.view'] },
  async register(ctx) {
    ctx.routes(async (app) => {
      app.get('/info', { config: { permission: '${name}.thing.view' } }, async () => ({ plugin: ${JSON.stringify(name)}, version: ${JSON.stringify(version)} }))
    })
    ${extra}
  },
}
`
}
