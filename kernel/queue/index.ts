import { createInlineQueue } from './inline.ts'
import { createRedisQueue } from './redis.ts'
import type { QueueFactoryOptions, QueuePort } from './port.ts'

export type * from './port.ts'
export { JOB_STATES } from './port.ts'
export { createInlineQueue } from './inline.ts'
export { createRedisQueue, DEFAULT_PREFIX, type RedisQueueOptions } from './redis.ts'
export { reconcileQueued, type ReconcileOptions } from './reconciler.ts'
export { SKIPPED } from './gate.ts'

export interface QueueConfig extends QueueFactoryOptions {
  /** Set: BullMQ on this Redis. Unset: the in-process inline adapter (embedded mode). */
  redisUrl?: string
  /** Redis key prefix (default `sapa`); ignored by the inline adapter. */
  prefix?: string
}

/** Picks the adapter: Redis when a URL is given, otherwise in process. */
export function createQueue(config: QueueConfig): QueuePort {
  const { redisUrl, prefix, ...factory } = config
  if (redisUrl) return createRedisQueue({ url: redisUrl, prefix, ...factory })
  return createInlineQueue(factory)
}
