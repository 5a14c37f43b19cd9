import { existsSync, readFileSync, statSync } from 'node:fs'
import { createHash } from 'node:crypto'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { KernelServices } from '../kernel.ts'
import { AppError } from '../errors.ts'
import { PLUGIN_NAME } from '../plugins/descriptor.ts'

const moduleVersion = new Map<string, { mtime: number; hash: string }>()

/** A content hash in the module URL: browsers cache it forever and a new build gets a new URL. */
function versionOf(file: string): string {
  const mtime = statSync(file).mtimeMs
  const cached = moduleVersion.get(file)
  if (cached && cached.mtime === mtime) return cached.hash
  const hash = createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 12)
  moduleVersion.set(file, { mtime, hash })
  return hash
}

export default async function uiRoutes(app: FastifyInstance, k: KernelServices) {
  const { plugins, enablement } = k

  app.get('/api/ui/manifest', { schema: { tags: ['ui'] }, config: { permission: 'kernel.me.view' } }, async (req) => {
    const tenantId = req.principal!.tenant.id
    const states = await enablement.all(tenantId)
    const allowed = (permission?: string) => !permission || req.can(permission)
    const items = []
    for (const plugin of plugins.plugins) {
      const ui = plugin.manifest.ui
      if (!ui || !states.get(plugin.name)) continue
      const file = path.join(plugin.descriptor.dir, ui.module ?? 'ui/dist/index.js')
      const built = existsSync(file)
      items.push({
        name: plugin.name,
        version: plugin.manifest.version,
        module: built ? `/ui/plugins/${plugin.name}/${versionOf(file)}/${path.basename(file)}` : null,
        nav: (ui.nav ?? []).filter((n) => allowed(n.permission)).map(({ permission: _p, ...n }) => n),
        slots: (ui.slots ?? []).filter((s) => allowed(s.permission)).map(({ permission: _p, ...s }) => s),
      })
    }
    return { plugins: items }
  })

  // Built plugin UI modules. Code, not data: public, immutable per version, and only files
  // from the plugin's own build folder.
  app.get<{ Params: { name: string; version: string; file: string } }>('/ui/plugins/:name/:version/:file', {
    schema: {
      params: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'version', 'file'],
        properties: {
          name: { type: 'string', pattern: PLUGIN_NAME, maxLength: 63 },
          version: { type: 'string', pattern: '^[a-f0-9]{1,64}$', maxLength: 64 },
          file: { type: 'string', pattern: '^[\\w-]+(\\.[\\w-]+)*\\.(js|css|map)$', maxLength: 128 },
        },
      },
    },
    config: { public: true },
  }, async (req, reply) => {
    const plugin = plugins.get(req.params.name)
    if (!plugin?.manifest.ui) throw new AppError(404, 'ui_module_not_found', 'No such UI module')
    const entry = path.join(plugin.descriptor.dir, plugin.manifest.ui.module ?? 'ui/dist/index.js')
    const file = path.join(path.dirname(entry), req.params.file)
    if (path.dirname(file) !== path.dirname(entry) || !existsSync(file)) throw new AppError(404, 'ui_module_not_found', 'No such UI module')
    const type = file.endsWith('.css') ? 'text/css' : file.endsWith('.map') ? 'application/json' : 'text/javascript'
    reply.header('cache-control', req.params.version === versionOf(entry) ? 'public, max-age=31536000, immutable' : 'no-cache')
    return reply.type(`${type}; charset=utf-8`).send(readFileSync(file))
  })
}
