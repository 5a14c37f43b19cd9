import path from 'node:path'
import os from 'node:os'
import { randomBytes } from 'node:crypto'
import { createContainer, asValue, InjectionMode, type AwilixContainer } from 'awilix'
import { pino, type Logger } from 'pino'
import { Redis } from 'ioredis'
import type { Config } from './config.ts'
import { connectPglite, connectPostgres, type Db, type DbHandle } from './db/connect.ts'
import { migrateFolder, kernelMigrationsDir } from './db/migrate.ts'
import { systemClock, type Clock } from './clock.ts'
import { PermissionCatalogue } from './rbac/catalogue.ts'
import { KERNEL_GRANTS, KERNEL_PERMISSIONS } from './rbac/kernel-permissions.ts'
import { Rbac } from './rbac/rbac.ts'
import { loadCustomRoles, refreshCustomRole } from './services/roles.ts'
import { createAudit, type Audit } from './audit/audit.ts'
import { createAuthenticator, type Authenticate } from './auth/principal.ts'
import { createSecrets, type Secrets } from './secrets.ts'
import { createMetrics, type Metrics } from './metrics.ts'
import { createMemoryFanout, createRedisFanout, type Fanout } from './bus/fanout.ts'
import { createBus, type Bus } from './bus/bus.ts'
import { createQueue, type QueuePort } from './queue/index.ts'
import { createRealtime, type Realtime } from './realtime/realtime.ts'
import { principalCan } from './http/route-rules.ts'
import { Enablement } from './plugins/enablement.ts'
import { PluginManager } from './plugins/manager.ts'
import { syncPluginCode } from './plugins/sync.ts'
import { discover, type PluginDescriptor, readDescriptor } from './plugins/descriptor.ts'
import { createLocalStorage, type Storage } from './storage.ts'

export const KERNEL_ROOT = path.resolve(import.meta.dirname, '..')

/** The long-lived singletons. They outlive any one HTTP app generation. */
export interface KernelServices {
  config: Config
  logger: Logger
  db: Db
  dbKind: DbHandle['kind']
  clock: Clock
  catalogue: PermissionCatalogue
  rbac: Rbac
  audit: Audit
  authenticate: Authenticate
  secrets: Secrets
  metrics: Metrics
  /** Shared Redis client in server mode (rate limits, readiness); null when embedded. */
  redis: Redis | null
  /** Node-wide messages (realtime delivery, cache invalidation): memory or Redis pub/sub. */
  fanout: Fanout
  bus: Bus
  queue: QueuePort
  realtime: Realtime
  enablement: Enablement
  plugins: PluginManager
  storage: Storage
}

export interface Kernel {
  container: AwilixContainer<KernelServices>
  services: KernelServices
  close(): Promise<void>
}

export interface KernelOptions {
  clock?: Clock
  logger?: Logger
  /** An already opened database (tests hand in a cloned one). */
  dbHandle?: DbHandle
  /** Skip migrations (tests whose template database is migrated already). */
  migrate?: boolean
  /** The plugins to load; default: discovered (plugins/, SAPA_PLUGIN_DIRS, packages, runtime installs). */
  plugins?: PluginDescriptor[]
}

export function openDatabase(config: Config): DbHandle {
  return config.databaseUrl ? connectPostgres(config.databaseUrl) : connectPglite({ dataDir: config.dataDir })
}

export async function migrateKernel(db: Db): Promise<string[]> {
  return migrateFolder(db, 'kernel', kernelMigrationsDir)
}

/** Plugins found on disk plus those hot-installed earlier (their source folder is remembered). */
export async function discoverPlugins(config: Config, db: Db): Promise<PluginDescriptor[]> {
  const found = discover({ root: KERNEL_ROOT, pluginDirs: config.pluginDirs })
  const installed = await db('installed_plugins').whereNotNull('source_dir').select('name', 'source_dir')
  for (const row of installed) {
    if (found.some((d) => d.name === row.name)) continue
    try {
      found.push(readDescriptor(row.source_dir, 'installed'))
    } catch {
      // Its folder is gone: leave it out rather than refuse to boot.
    }
  }
  return found
}

const CUSTOM_ROLE_CHANNEL = 'kernel.rbac.role'

export async function createKernel(config: Config, options: KernelOptions = {}): Promise<Kernel> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: undefined })
  const handle = options.dbHandle ?? openDatabase(config)
  const closers: (() => Promise<unknown>)[] = [() => handle.close()]
  const close = async () => {
    for (const fn of closers.splice(0).reverse()) await fn().catch((err) => logger.error({ err }, 'shutdown step failed'))
  }
  try {
    if (options.migrate !== false) await migrateKernel(handle.db)
    const db = handle.db
    const clock = options.clock ?? systemClock
    const catalogue = new PermissionCatalogue()
    catalogue.register('kernel', KERNEL_PERMISSIONS, KERNEL_GRANTS)
    const rbac = await Rbac.create(catalogue, await loadCustomRoles(db))
    const redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: false }) : null
    if (redis) closers.push(() => redis.quit())

    const fanout = config.redisUrl ? createRedisFanout({ url: config.redisUrl, prefix: `${config.redisPrefix}:fanout`, logger }) : createMemoryFanout({ logger })
    closers.push(() => fanout.close())
    // Custom role edits on one node reach every node's enforcer.
    fanout.subscribe(CUSTOM_ROLE_CHANNEL, (message) => {
      const id = (message as { id?: string }).id
      if (typeof id !== 'string') return
      // The fan-out catches only what a handler throws synchronously: a failed reload is logged here.
      void refreshCustomRole(db, rbac, id).catch((err) => logger.error({ err, roleId: id }, 'custom role not reloaded'))
    })
    rbac.onCustomRoleChanged = (id) => fanout.publish(CUSTOM_ROLE_CHANNEL, { id })

    let manager: PluginManager | undefined
    const enablement = new Enablement(db, fanout, () => manager?.rules ?? new Map())
    closers.push(async () => enablement.close())
    const pluginOf = (queueOrPlugin: string) => queueOrPlugin.split('.')[0]
    const queue = createQueue({
      redisUrl: config.redisUrl,
      prefix: config.redisPrefix,
      logger,
      gate: (queueName, tenantId) => enablement.isEnabled(tenantId, pluginOf(queueName)),
    })
    closers.push(() => queue.close())
    const bus = createBus({ logger, gate: (plugin, tenantId) => enablement.isEnabled(tenantId, plugin) })
    closers.push(() => bus.drain())
    const authenticate = createAuthenticator({ db, clock, fanout })
    const realtime = createRealtime({
      fanout,
      logger,
      flushGapMs: config.realtimeFlushGapMs,
      allowedOrigins: [new URL(config.publicUrl).origin],
      authenticate: async (req) => {
        const principal = await authenticate(req)
        if (!principal || principal.tenant.status !== 'active') return null
        return {
          userId: principal.user?.id ?? null,
          apiKeyId: principal.apiKey?.id ?? null,
          tenantId: principal.tenant.id,
          role: principal.role,
          can: (permission: string) => principalCan({ rbac, catalogue }, principal, permission),
        }
      },
    })
    closers.push(() => realtime.close())
    const audit = createAudit({ clock })
    const secrets = createSecrets(config.appSecret)
    const storage = createLocalStorage(path.join(config.dataDir, 'media'))

    const nodeId = `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
    manager = new PluginManager({
      catalogue,
      rbac,
      cacheDir: path.join(config.dataDir, 'plugin-code'),
      kernelRoot: KERNEL_ROOT,
      runtime: { config, logger, db, clock, secrets, audit, queue, bus, realtime, enablement, storage, fanout, rbac, nodeId, resolveService: (name) => manager!.resolveService(name) },
    })
    const plugins = manager
    // Plugins unload before the queue, bus and database they use close.
    closers.push(() => plugins.close())

    const container = createContainer<KernelServices>({ injectionMode: InjectionMode.PROXY, strict: true })
    container.register({
      config: asValue(config),
      logger: asValue(logger),
      db: asValue(db),
      dbKind: asValue(handle.kind),
      clock: asValue(clock),
      catalogue: asValue(catalogue),
      rbac: asValue(rbac),
      audit: asValue(audit),
      authenticate: asValue(authenticate),
      secrets: asValue(secrets),
      metrics: asValue(createMetrics()),
      redis: asValue(redis),
      fanout: asValue(fanout),
      bus: asValue(bus),
      queue: asValue(queue),
      realtime: asValue(realtime),
      enablement: asValue(enablement),
      plugins: asValue(plugins),
      storage: asValue(storage),
    })
    await plugins.boot(options.plugins ?? (await discoverPlugins(config, db)))
    // From here on, plugin code changed on another node is changed here too (and the other way round).
    const stopSync = syncPluginCode(plugins, fanout, nodeId, logger)
    closers.push(async () => stopSync())
    return { container, services: container.cradle, close }
  } catch (err) {
    await close()
    throw err
  }
}
