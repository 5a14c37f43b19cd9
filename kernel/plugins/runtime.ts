import type { Logger } from 'pino'
import type { Knex } from 'knex'
import type { Config } from '../config.ts'
import type { Clock } from '../clock.ts'
import type { Secrets } from '../secrets.ts'
import type { Audit } from '../audit/audit.ts'
import type { QueuePort } from '../queue/port.ts'
import type { Bus } from '../bus/bus.ts'
import type { Realtime } from '../realtime/realtime.ts'
import type { Enablement } from './enablement.ts'
import type { Storage } from '../storage.ts'
import type { Fanout } from '../bus/fanout.ts'
import type { Rbac } from '../rbac/rbac.ts'

/** The kernel services a plugin context is built from. */
export interface PluginRuntime {
  config: Config
  logger: Logger
  db: Knex
  clock: Clock
  secrets: Secrets
  audit: Audit
  queue: QueuePort
  bus: Bus
  realtime: Realtime
  enablement: Enablement
  storage: Storage
  nodeId: string
  fanout: Fanout
  rbac: Rbac
  resolveService(qualifiedName: string): unknown
}
