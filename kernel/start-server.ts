import type { Kernel } from './kernel.ts'
import { buildApp, type AppOptions } from './app.ts'
import { GenerationServer } from './server.ts'

/**
 * The kernel's HTTP side: a generation server whose app is rebuilt whenever the plugin set
 * changes (hot install, reload, removal). Old websockets are asked to reconnect to the new one.
 */
export async function createKernelServer(kernel: Kernel, options: Omit<AppOptions, 'serverFactory'> = {}): Promise<GenerationServer> {
  const k = kernel.services
  const server = new GenerationServer((serverFactory) => buildApp(k, { ...options, serverFactory }), {
    beforeDrain: () => k.realtime.reconnectAll(),
  })
  await server.swap()
  k.plugins.onChange = () => server.swap()
  return server
}
