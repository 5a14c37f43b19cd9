import type { FastifyInstance } from 'fastify'
import type { PluginContext, PluginManifest } from '../../sdk/plugin.ts'
import type { ValidateFunction } from 'ajv'
import type { PluginDescriptor } from './descriptor.ts'
import type { PluginRuntime } from './runtime.ts'
import { PluginError } from './descriptor.ts'

type Disposer = () => Promise<void> | void

/**
 * One plugin loaded into this process. Everything its `register` sets up goes through the context
 * built here and leaves a disposer behind, so unloading (reload, removal, shutdown) undoes it all —
 * processors stop, handlers unsubscribe, services and topics go away — and nothing leaks.
 */
export class LoadedPlugin {
  readonly routeRegistrars: ((app: FastifyInstance) => Promise<void> | void)[] = []
  readonly services = new Map<string, unknown>()
  private readonly disposers: Disposer[] = []
  /** Queues this plugin processes right now (numbers come and go: tracked as a set, not as disposers). */
  private readonly processing = new Set<string>()
  readonly ctx: PluginContext<any>

  constructor(
    readonly descriptor: PluginDescriptor,
    readonly manifest: PluginManifest<any>,
    readonly validateSettings: ValidateFunction | null,
    private readonly rt: PluginRuntime,
  ) {
    this.ctx = this.createContext()
  }

  get name() {
    return this.descriptor.name
  }

  private channelName(channel: string): string {
    if (!channel.startsWith(`${this.name}.`)) throw new PluginError(this.name, 'nodes', `channel "${channel}" must start with "${this.name}."`)
    return `plugin.${channel}`
  }

  private queueName(name: string): string {
    if (!/^[\w.-]{1,150}$/.test(name)) throw new PluginError(this.name, 'jobs', `invalid queue name "${name}"`)
    return `${this.name}.${name}`
  }

  private createContext(): PluginContext<any> {
    const rt = this.rt
    const name = this.name
    const self = this
    const logger = rt.logger.child({ plugin: name })
    // Schedules carry the tenant in their id, so disabling a plugin for a tenant can find and remove them.
    const tenantScheduleId = (tenantId: string, id: string) => `${tenantId}.${id}`
    return {
      plugin: { name, version: this.descriptor.version, dir: this.descriptor.dir },
      mode: rt.config.mode,
      logger: logger as any,
      db: rt.db,
      clock: rt.clock,
      secrets: rt.secrets,
      audit: rt.audit as any,
      storage: rt.storage,
      nodeId: rt.nodeId,
      nodes: {
        publish: (channel, message) => rt.fanout.publish(self.channelName(channel), message),
        subscribe(channel, handler) {
          self.disposers.push(
            rt.fanout.subscribe(self.channelName(channel), (message) => {
              Promise.resolve(handler(message)).catch((err) => logger.error({ err, channel }, 'node message handler failed'))
            }),
          )
        },
      },
      routes(register) {
        self.routeRegistrars.push(register)
      },
      jobs: {
        port: rt.queue,
        async define(job, processor, opts) {
          const queue = self.queueName(job)
          await rt.queue.process(queue, processor as any, opts)
          self.processing.add(queue)
        },
        async undefine(job) {
          const queue = self.queueName(job)
          self.processing.delete(queue)
          await rt.queue.stopProcessing(queue)
        },
        add: (job, data, opts) => rt.queue.add(self.queueName(job), job, data, opts),
        addBulk: (job, jobs) => rt.queue.addBulk(self.queueName(job), jobs),
        schedule: (tenantId, id, spec, job) =>
          rt.queue.schedule(self.queueName(job.queue), tenantScheduleId(tenantId, id), spec, { name: job.name, data: { ...(job.data ?? {}), tenantId } }),
        unschedule: (tenantId, id, queue) => rt.queue.unschedule(self.queueName(queue), tenantScheduleId(tenantId, id)),
      },
      events: {
        on(pattern, handler) {
          self.disposers.push(rt.bus.on(pattern, handler, { plugin: name }))
        },
        publish: (event, payload, opts) => rt.bus.publish(event, payload, opts),
      },
      realtime: {
        defineTopic(kind, def) {
          rt.realtime.defineTopic(kind, def)
          self.disposers.push(() => rt.realtime.undefineTopic(kind))
        },
        publish: (tenantId, topic, event, data) => rt.realtime.publish(tenantId, topic, event, data),
      },
      settings: (tenantId) => rt.enablement.settings(tenantId, name),
      isEnabled: (tenantId) => rt.enablement.isEnabled(tenantId, name),
      rolesWith: (tenantId, permission) => rt.rbac.rolesWith(tenantId, permission),
      provide(service, impl) {
        if (!(self.manifest.provides ?? []).includes(service)) {
          throw new PluginError(name, 'provides', `"${service}" is provided but not listed in provides`)
        }
        self.services.set(service, impl)
      },
      use<T>(qualified: string): T {
        const [owner] = qualified.split('.')
        if (owner !== name && !(self.manifest.dependsOn ?? []).includes(owner)) {
          throw new PluginError(name, 'dependsOn', `uses "${qualified}" but does not depend on ${owner}`)
        }
        return rt.resolveService(qualified) as T
      },
    }
  }

  /** Undo everything `register` did, newest first. Errors are logged, never thrown. */
  async dispose(): Promise<void> {
    for (const queue of [...this.processing]) this.disposers.unshift(() => this.rt.queue.stopProcessing(queue))
    this.processing.clear()
    for (const dispose of this.disposers.splice(0).reverse()) {
      try {
        await dispose()
      } catch (err) {
        this.rt.logger.error({ err, plugin: this.name }, 'plugin dispose step failed')
      }
    }
    try {
      await this.manifest.lifecycle?.dispose?.()
    } catch (err) {
      this.rt.logger.error({ err, plugin: this.name }, 'plugin dispose hook failed')
    }
    this.services.clear()
    this.routeRegistrars.length = 0
  }
}
