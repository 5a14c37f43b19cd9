import type { Fanout } from '../bus/fanout.ts'
import type { Logger } from 'pino'
import type { PluginCodeChange, PluginManager } from './manager.ts'

export const PLUGIN_CODE_CHANNEL = 'kernel.plugins.code'

interface Announced extends PluginCodeChange {
  origin: string
}

/**
 * Plugin code installed, reloaded or removed on one node is installed, reloaded or removed on every
 * other node too, without a restart. Code is taken from the same folder, which must hold the same
 * files at the same path on every node: a shared volume, or an image built with the plugin in it
 * (boot already reads runtime-installed plugins from that folder). A node where the folder is
 * missing or its code differs keeps what it runs and logs an error naming the plugin and the folder.
 */
export function syncPluginCode(manager: PluginManager, fanout: Fanout, nodeId: string, logger: Logger): () => void {
  manager.onApplied = (change) => {
    fanout.publish(PLUGIN_CODE_CHANNEL, { ...change, origin: nodeId } satisfies Announced).catch((err: unknown) => {
      logger.error({ err, plugin: change.name }, 'plugin code change not announced to the other nodes')
    })
  }
  const off = fanout.subscribe(PLUGIN_CODE_CHANNEL, (message) => {
    const change = message as Partial<Announced> | null
    if (!change || change.origin === nodeId || typeof change.name !== 'string' || (change.action !== 'install' && change.action !== 'remove')) return
    const { action, name, dir, hash } = change
    manager.applyRemote({ action, name, dir, hash }).then(
      (outcome) => {
        if (outcome === 'code_differs') logger.error({ plugin: name, dir, hash, from: change.origin }, 'plugin code changed on another node, but its folder here is missing or holds other code: this node keeps what it runs')
        else if (outcome === 'applied') logger.info({ plugin: name, action, from: change.origin }, 'plugin code change from another node applied')
      },
      (err: unknown) => logger.error({ err, plugin: name, action, from: change.origin }, 'plugin code change from another node failed here: this node keeps what it runs'),
    )
  })
  return () => {
    off()
    manager.onApplied = null
  }
}
