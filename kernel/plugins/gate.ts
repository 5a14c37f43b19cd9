import type { FastifyRequest, RouteOptions } from 'fastify'
import { AppError } from '../errors.ts'
import type { Enablement } from './enablement.ts'

/** A plugin's routes answer 404 plugin_disabled for tenants that switched the plugin off. */
export function pluginEnabledGate(enablement: Enablement) {
  return async (req: FastifyRequest, config: RouteOptions['config']) => {
    const plugin = config?.plugin
    if (!plugin || !req.principal) return
    if (!(await enablement.isEnabled(req.principal.tenant.id, plugin))) {
      throw new AppError(404, 'plugin_disabled', `The ${plugin} module is turned off for this workspace`, { plugin })
    }
  }
}
