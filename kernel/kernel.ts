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
import { loadCustomRoles } from './services/roles.ts'
import { createAudit, type Audit } from './audit/audit.ts'
import { createAuthenticator, type Authenticate } from './auth/principal.ts'
import { createSecrets, type Secrets } from './secrets.ts'
import { createMetrics, type Metrics } from './metrics.ts'

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
}

export function openDatabase(config: Config): DbHandle {
  return config.databaseUrl ? connectPostgres(config.databaseUrl) : connectPglite({ dataDir: config.dataDir })
}

export async function migrateKernel(db: Db): Promise<string[]> {
  return migrateFolder(db, 'kernel', kernelMigrationsDir)
}

export async function createKernel(config: Config, options: KernelOptions = {}): Promise<Kernel> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: undefined })
  const handle = options.dbHandle ?? openDatabase(config)
  try {
    if (options.migrate !== false) await migrateKernel(handle.db)
    const clock = options.clock ?? systemClock
    const catalogue = new PermissionCatalogue()
    catalogue.register('kernel', KERNEL_PERMISSIONS, KERNEL_GRANTS)
    const rbac = await Rbac.create(catalogue, await loadCustomRoles(handle.db))

    const container = createContainer<KernelServices>({ injectionMode: InjectionMode.PROXY, strict: true })
    container.register({
      config: asValue(config),
      logger: asValue(logger),
      db: asValue(handle.db),
      dbKind: asValue(handle.kind),
      clock: asValue(clock),
      catalogue: asValue(catalogue),
      rbac: asValue(rbac),
      audit: asValue(createAudit({ clock })),
      authenticate: asValue(createAuthenticator({ db: handle.db, clock })),
      secrets: asValue(createSecrets(config.appSecret)),
      metrics: asValue(createMetrics()),
      redis: asValue(config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: false }) : null),
    })
    return {
      container,
      services: container.cradle,
      async close() {
        await container.cradle.redis?.quit().catch(() => {})
        await container.dispose()
        await handle.close()
      },
    }
  } catch (err) {
    await handle.close().catch(() => {})
    throw err
  }
}
