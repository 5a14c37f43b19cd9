import type { FastifyInstance } from 'fastify'
import type { KernelServices } from '../kernel.ts'
import { AppError } from '../errors.ts'
import { str, emptyBody } from '../http/schemas.ts'
import { PLUGIN_NAME, PluginError } from '../plugins/descriptor.ts'

const nameParams = { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', pattern: PLUGIN_NAME, maxLength: 63 } } } as const

/** Turn a plugin load failure into a 4xx that names the plugin and the field. */
function asAppError(err: unknown): never {
  if (err instanceof PluginError) throw new AppError(422, 'plugin_invalid', err.message, { plugin: err.plugin, field: err.field })
  throw err
}

export default async function pluginRoutes(app: FastifyInstance, k: KernelServices) {
  const { db, plugins, enablement, audit } = k

  const find = (name: string) => {
    const plugin = plugins.get(name)
    if (!plugin) throw new AppError(404, 'plugin_not_found', `No plugin "${name}"`)
    return plugin
  }

  app.get('/api/plugins', { schema: { tags: ['plugins'] }, config: { permission: 'kernel.plugins.view' } }, async (req) => {
    const states = await enablement.all(req.principal!.tenant.id)
    return {
      items: plugins.plugins.map((p) => ({
        name: p.name,
        version: p.manifest.version,
        description: p.manifest.description ?? '',
        dependsOn: p.manifest.dependsOn ?? [],
        dependants: plugins.plugins.filter((o) => (o.manifest.dependsOn ?? []).includes(p.name)).map((o) => o.name),
        enabled: states.get(p.name) ?? false,
        hasSettings: Boolean(p.manifest.settings),
        permissions: Object.keys(p.manifest.permissions ?? {}),
      })),
    }
  })

  app.put<{ Params: { name: string }; Body: { enabled: boolean } }>('/api/plugins/:name/enabled', {
    schema: { tags: ['plugins'], params: nameParams, body: { type: 'object', additionalProperties: false, required: ['enabled'], properties: { enabled: { type: 'boolean' } } } },
    config: { permission: 'kernel.plugins.manage' },
  }, async (req) => {
    const tenantId = req.principal!.tenant.id
    const plugin = find(req.params.name)
    const was = await enablement.isEnabled(tenantId, plugin.name)
    await db.transaction(async (trx) => {
      await enablement.setEnabled(trx, tenantId, plugin.name, req.body.enabled)
      if (was !== req.body.enabled) {
        await audit.record(trx, req, { tenantId, action: req.body.enabled ? 'kernel.plugin.enabled' : 'kernel.plugin.disabled', targetType: 'plugin', targetId: plugin.name })
      }
    })
    await enablement.changed(tenantId)
    if (was !== req.body.enabled) {
      // Disabling also removes the plugin's schedules for this tenant (jobs already skip it).
      if (!req.body.enabled) await removeTenantSchedules(k, plugin.name, tenantId)
      const hook = req.body.enabled ? plugin.manifest.lifecycle?.enableForTenant : plugin.manifest.lifecycle?.disableForTenant
      await hook?.(plugin.ctx, tenantId)
    }
    return { name: plugin.name, enabled: req.body.enabled }
  })

  app.get<{ Params: { name: string } }>('/api/plugins/:name/settings', {
    schema: { tags: ['plugins'], params: nameParams },
    config: { permission: 'kernel.plugins.manage' },
  }, async (req) => {
    const plugin = find(req.params.name)
    return { name: plugin.name, schema: plugin.manifest.settings ?? null, settings: await enablement.settings(req.principal!.tenant.id, plugin.name) }
  })

  app.put<{ Params: { name: string }; Body: Record<string, unknown> }>('/api/plugins/:name/settings', {
    // Validated against the plugin's own settings schema in the handler (it differs per plugin).
    schema: { tags: ['plugins'], params: nameParams, body: { type: 'object', additionalProperties: {}, maxProperties: 100 } },
    config: { permission: 'kernel.plugins.manage' },
  }, async (req) => {
    const tenantId = req.principal!.tenant.id
    const plugin = find(req.params.name)
    const settings = await db.transaction(async (trx) => {
      const saved = await enablement.setSettings(trx, tenantId, plugin.name, req.body)
      await audit.record(trx, req, { tenantId, action: 'kernel.plugin.settings_changed', targetType: 'plugin', targetId: plugin.name, summary: { fields: Object.keys(req.body) } })
      return saved
    })
    await enablement.changed(tenantId)
    return { name: plugin.name, settings }
  })

  // Operator: plugin code on this running instance.
  app.post<{ Body: { dir: string } }>('/api/plugins/install', {
    schema: { tags: ['plugins'], body: { type: 'object', additionalProperties: false, required: ['dir'], properties: { dir: str(1024, 1) } } },
    config: { permission: 'kernel.plugins.install' },
  }, async (req, reply) => {
    const result = await plugins.install(req.body.dir).catch(asAppError)
    await audit.record(db, req, { tenantId: req.principal!.tenant.id, action: 'kernel.plugin.installed', targetType: 'plugin', targetId: result.name, summary: { ...result, dir: req.body.dir } })
    return reply.status(201).send(result)
  })

  app.post<{ Params: { name: string } }>('/api/plugins/:name/reload', {
    schema: { tags: ['plugins'], params: nameParams, body: emptyBody },
    config: { permission: 'kernel.plugins.install' },
  }, async (req) => {
    const result = await plugins.reload(req.params.name).catch(asAppError)
    await audit.record(db, req, { tenantId: req.principal!.tenant.id, action: 'kernel.plugin.reloaded', targetType: 'plugin', targetId: result.name, summary: result })
    return result
  })

  app.delete<{ Params: { name: string } }>('/api/plugins/:name', {
    schema: { tags: ['plugins'], params: nameParams },
    config: { permission: 'kernel.plugins.install' },
  }, async (req, reply) => {
    await plugins.remove(req.params.name).catch(asAppError)
    await audit.record(db, req, { tenantId: req.principal!.tenant.id, action: 'kernel.plugin.removed', targetType: 'plugin', targetId: req.params.name })
    return reply.status(204).send()
  })
}

/** Schedules are named `<tenantId>.<id>` on the plugin's queues (see the plugin context). */
export async function removeTenantSchedules(k: KernelServices, plugin: string, tenantId: string): Promise<number> {
  let removed = 0
  for (const queue of await k.queue.queues()) {
    if (!queue.startsWith(`${plugin}.`)) continue
    for (const schedule of await k.queue.schedules(queue)) {
      if (schedule.id.startsWith(`${tenantId}.`)) {
        await k.queue.unschedule(queue, schedule.id)
        removed++
      }
    }
  }
  return removed
}
