import { Ajv, type ValidateFunction } from 'ajv'
import type { PluginManifest } from '../../sdk/plugin.ts'
import { PluginError, PLUGIN_NAME, type PluginDescriptor } from './descriptor.ts'
import { lintSchema } from '../http/schema-lint.ts'
import { PREDEFINED_ROLES } from '../rbac/roles.ts'

const ajv = new Ajv({ allErrors: true })
const label = { type: 'object', additionalProperties: false, required: ['en', 'id'], properties: { en: { type: 'string', maxLength: 60 }, id: { type: 'string', maxLength: 60 } } }
const itemId = { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,62}$' }

const validateShape = ajv.compile({
  type: 'object',
  required: ['name', 'version', 'kernel', 'register'],
  properties: {
    name: { type: 'string', pattern: PLUGIN_NAME },
    version: { type: 'string' },
    kernel: { type: 'string' },
    description: { type: 'string', maxLength: 500 },
    dependsOn: { type: 'array', items: { type: 'string', pattern: PLUGIN_NAME }, uniqueItems: true },
    defaultEnabled: { type: 'boolean' },
    permissions: {
      type: 'object',
      additionalProperties: {
        anyOf: [
          { type: 'string', maxLength: 200 },
          { type: 'object', required: ['description'], additionalProperties: false, properties: { description: { type: 'string', maxLength: 200 } } },
        ],
      },
    },
    grants: { type: 'object', additionalProperties: false, properties: Object.fromEntries(PREDEFINED_ROLES.map((r) => [r.key, { type: 'array', items: { type: 'string' } }])) },
    settings: { type: 'object' },
    provides: { type: 'array', items: { type: 'string', pattern: '^[a-zA-Z][a-zA-Z0-9_]*$' }, uniqueItems: true },
    ui: {
      type: 'object',
      additionalProperties: false,
      properties: {
        module: { type: 'string', pattern: '^[\\w./-]+\\.js$' },
        nav: {
          type: 'array',
          maxItems: 20,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'path', 'label'],
            properties: { id: itemId, path: { type: 'string', pattern: '^/[\\w/-]*$' }, label, icon: { type: 'string', maxLength: 40 }, permission: { type: 'string' }, order: { type: 'number' } },
          },
        },
        slots: {
          type: 'array',
          maxItems: 50,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['slot', 'id'],
            properties: { slot: { type: 'string', maxLength: 100 }, id: itemId, permission: { type: 'string' }, order: { type: 'number' } },
          },
        },
      },
    },
    lifecycle: { type: 'object' },
  },
})

export interface CheckedManifest {
  manifest: PluginManifest<any>
  validateSettings: ValidateFunction | null
}

const settingsAjv = new Ajv({ allErrors: true, useDefaults: true, removeAdditional: false, coerceTypes: false })

/** The module's default export, checked against the descriptor it was loaded for. */
export function checkManifest(descriptor: PluginDescriptor, exported: unknown): CheckedManifest {
  const name = descriptor.name
  if (!exported || typeof exported !== 'object') throw new PluginError(name, 'plugin.ts', 'must `export default definePlugin({...})`')
  const manifest = exported as PluginManifest<any>
  if (!validateShape(manifest)) {
    const e = validateShape.errors![0]
    const field = [e.instancePath.slice(1).replace(/\//g, '.'), (e.params as any).missingProperty ?? (e.params as any).additionalProperty].filter(Boolean).join('.')
    throw new PluginError(name, field || null, e.message ?? 'is invalid')
  }
  if (typeof manifest.register !== 'function') throw new PluginError(name, 'register', 'must be a function')
  if (manifest.name !== descriptor.name) throw new PluginError(name, 'name', `is "${manifest.name}" in plugin.ts but "${descriptor.name}" in package.json`)
  if (manifest.version !== descriptor.version) throw new PluginError(name, 'version', `is "${manifest.version}" in plugin.ts but "${descriptor.version}" in package.json`)
  const deps = [...(manifest.dependsOn ?? [])].sort().join(',')
  if (deps !== [...descriptor.dependsOn].sort().join(',')) throw new PluginError(name, 'dependsOn', 'differs between plugin.ts and package.json sapa.dependsOn')
  let validateSettings: ValidateFunction | null = null
  if (manifest.settings) {
    const problems = lintSchema(manifest.settings, 'settings')
    if (manifest.settings.type !== 'object') problems.push('settings: must be an object schema')
    if (problems.length) throw new PluginError(name, 'settings', problems.join('; '))
    try {
      validateSettings = settingsAjv.compile(manifest.settings)
    } catch (err) {
      throw new PluginError(name, 'settings', `is not a valid JSON schema: ${(err as Error).message}`)
    }
  }
  return { manifest, validateSettings }
}
