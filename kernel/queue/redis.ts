import { Queue, Worker, type Job, type JobsOptions } from 'bullmq'
import { Redis } from 'ioredis'
import { gated } from './gate.ts'
import {
  KEEP_COMPLETED,
  KEEP_FAILED,
  assertJobData,
  assertJobName,
  assertQueueName,
  assertScheduleSpec,
  assertSchedulerId,
  assertWorkerOptions,
  emptyCounts,
  resolveJobOptions,
} from './options.ts'
import type {
  JobOptions,
  JobState,
  Processor,
  QueueFactoryOptions,
  QueueJob,
  QueueJobData,
  QueuePort,
  ScheduleSpec,
  WorkerOptions,
} from './port.ts'

export interface RedisQueueOptions extends QueueFactoryOptions {
  url: string
  /** Key prefix for every queue (default `sapa`). Tests use a unique one per run. */
  prefix?: string
}

export const DEFAULT_PREFIX = 'sapa'

const RETENTION = { removeOnComplete: { count: KEEP_COMPLETED }, removeOnFail: { count: KEEP_FAILED } } as const

/** BullMQ job types folded into the port's five states. */
const BULL_TYPES = ['waiting', 'prioritized', 'waiting-children', 'delayed', 'active', 'completed', 'failed'] as const
const TO_STATE: Record<(typeof BULL_TYPES)[number], JobState> = {
  waiting: 'waiting',
  prioritized: 'waiting',
  'waiting-children': 'waiting',
  delayed: 'delayed',
  active: 'active',
  completed: 'completed',
  failed: 'failed',
}

function toBullOptions(opts: JobOptions | undefined): JobsOptions {
  const o = resolveJobOptions(opts)
  const out: JobsOptions = { attempts: o.attempts, backoff: o.backoff, ...RETENTION }
  if (o.jobId !== undefined) out.jobId = o.jobId
  if (o.delay > 0) out.delay = o.delay
  if (o.priority > 0) out.priority = o.priority
  return out
}

function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&')
}

/**
 * The queue port over BullMQ on Redis: one BullMQ Queue (producer) and at most one Worker per
 * queue name, created lazily. All Queues share one connection; each Worker gets its own pair
 * (BullMQ duplicates the worker base connection, which has `maxRetriesPerRequest: null`).
 */
export function createRedisQueue(options: RedisQueueOptions): QueuePort {
  const { url, gate, logger } = options
  const prefix = options.prefix ?? DEFAULT_PREFIX
  if (!url) throw new Error('createRedisQueue needs a Redis url')
  if (prefix.includes(':') || prefix.length === 0) throw new Error(`queue prefix must be non-empty without ':'; got ${prefix}`)

  // While Redis is away every connection (producer, each Queue, each Worker) reports each reconnect
  // attempt; log one line per distinct message per 10 s, with how many were left out.
  const lastLogged = new Map<string, { at: number; suppressed: number }>()
  const logError = (source: string, queue: string | undefined, err: Error) => {
    const now = Date.now()
    const seen = lastLogged.get(err.message)
    if (seen && now - seen.at < 10_000) {
      seen.suppressed++
      return
    }
    if (lastLogged.size > 100) lastLogged.clear()
    lastLogged.set(err.message, { at: now, suppressed: 0 })
    logger?.error({ source, queue, err: err.message, suppressed: seen?.suppressed ?? 0 }, 'queue: redis error')
  }
  const onConnError = (err: Error) => logError('connection', undefined, err)
  // Producer connection: commands fail after a few reconnect tries instead of hanging forever,
  // so a request that enqueues after writing its row returns; the reconciler re-enqueues later.
  const producer = new Redis(url, { maxRetriesPerRequest: 3 })
  producer.on('error', onConnError)
  // Never connected itself: BullMQ duplicates it for each Worker's connections.
  const workerBase = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true })

  const queues = new Map<string, Queue>()
  const workers = new Map<string, Worker>()
  let closing: Promise<void> | undefined

  function assertOpen(): void {
    if (closing) throw new Error('queue port is closed')
  }

  function queueFor(name: string): Queue {
    let q = queues.get(name)
    if (!q) {
      assertQueueName(name)
      q = new Queue(name, { connection: producer, prefix, defaultJobOptions: { ...RETENTION } })
      q.on('error', (err) => logError('queue', name, err))
      queues.set(name, q)
    }
    return q
  }

  /** The Queue for a read or a removal; undefined when the queue never existed, so asking about a
   * mistyped name does not create it (a new BullMQ Queue writes its meta key). */
  async function existingQueue(name: string): Promise<Queue | undefined> {
    const q = queues.get(name)
    if (q) return q
    assertQueueName(name)
    return (await producer.exists(`${prefix}:${name}:meta`)) ? queueFor(name) : undefined
  }

  const port: QueuePort = {
    kind: 'redis',

    async add<T extends QueueJobData>(queue: string, name: string, data: T, opts?: JobOptions) {
      assertOpen()
      assertQueueName(queue)
      assertJobName(name)
      assertJobData(queue, data)
      const job = await queueFor(queue).add(name, data, toBullOptions(opts))
      return { id: job.id as string }
    },

    async addBulk(queue, jobs) {
      assertOpen()
      assertQueueName(queue)
      // Validate every job before sending any, so a bad batch adds nothing.
      const bulk = jobs.map((j) => {
        assertJobName(j.name)
        assertJobData(queue, j.data)
        return { name: j.name, data: j.data, opts: toBullOptions(j.opts) }
      })
      if (bulk.length === 0) return []
      const added = await queueFor(queue).addBulk(bulk)
      return added.map((job) => ({ id: job.id as string }))
    },

    async process<T extends QueueJobData>(queue: string, processor: Processor<T>, opts: WorkerOptions = {}) {
      assertOpen()
      assertQueueName(queue)
      assertWorkerOptions(opts)
      if (workers.has(queue)) throw new Error(`queue ${queue} already has a processor`)
      const run = gated(queue, processor, gate)
      const worker = new Worker(
        queue,
        (job: Job) => {
          const view: QueueJob<T> = {
            id: job.id as string,
            queue,
            name: job.name,
            data: job.data as T,
            attemptsMade: job.attemptsMade,
            timestamp: job.timestamp,
          }
          return run(view)
        },
        {
          connection: workerBase,
          prefix,
          concurrency: opts.concurrency ?? 1,
          ...(opts.lockDurationMs ? { lockDuration: opts.lockDurationMs } : {}),
          ...(opts.stalledIntervalMs ? { stalledInterval: opts.stalledIntervalMs } : {}),
          ...(opts.limiter ? { limiter: { max: opts.limiter.max, duration: opts.limiter.duration } } : {}),
        },
      )
      worker.on('error', (err) => logError('worker', queue, err))
      worker.on('failed', (job, err) => {
        if (!job) return
        const final = job.attemptsMade >= (job.opts.attempts ?? 1)
        logger?.warn(
          { queue, jobId: job.id, name: job.name, tenantId: job.data?.tenantId, attemptsMade: job.attemptsMade, final, err: err.message },
          final ? 'queue: job failed for good' : 'queue: job failed, will retry',
        )
      })
      workers.set(queue, worker)
      await worker.waitUntilReady()
    },

    async stopProcessing(queue) {
      const worker = workers.get(queue)
      if (!worker) return
      workers.delete(queue)
      await worker.close()
    },

    async schedule(queue, schedulerId, spec, job) {
      assertOpen()
      assertQueueName(queue)
      assertSchedulerId(schedulerId)
      assertScheduleSpec(spec)
      assertJobName(job.name)
      assertJobData(queue, job.data)
      const o = resolveJobOptions(job.opts)
      const repeat = spec.every !== undefined ? { every: spec.every } : { pattern: spec.pattern, ...(spec.tz ? { tz: spec.tz } : {}) }
      await queueFor(queue).upsertJobScheduler(schedulerId, repeat, {
        name: job.name,
        data: job.data,
        opts: { attempts: o.attempts, backoff: o.backoff, ...(o.priority > 0 ? { priority: o.priority } : {}), ...RETENTION },
      })
    },

    async unschedule(queue, schedulerId) {
      assertOpen()
      await (await existingQueue(queue))?.removeJobScheduler(schedulerId)
    },

    async schedules(queue) {
      assertOpen()
      const q = await existingQueue(queue)
      if (!q) return []
      const list = await q.getJobSchedulers(0, -1, true)
      return list.map((s) => {
        const spec: ScheduleSpec = {}
        if (s.every !== undefined && s.every !== null) spec.every = Number(s.every)
        if (s.pattern) spec.pattern = s.pattern
        if (s.tz) spec.tz = s.tz
        return { id: s.key, spec }
      })
    },

    async counts(queue) {
      assertOpen()
      const names = queue !== undefined ? [queue] : await port.queues()
      const out: Record<string, Record<JobState, number>> = {}
      await Promise.all(
        names.map(async (name) => {
          const c = emptyCounts()
          out[name] = c
          const q = await existingQueue(name)
          if (!q) return
          const raw = await q.getJobCounts(...BULL_TYPES)
          for (const type of BULL_TYPES) c[TO_STATE[type]] += raw[type] ?? 0
        }),
      )
      return out
    },

    async retryFailed(queue, filter = {}) {
      assertOpen()
      const q = await existingQueue(queue)
      if (!q) return 0
      // Snapshot the failed set first (bounded by KEEP_FAILED), then retry: retrying shifts the set.
      const candidates: Job[] = []
      const page = 500
      for (let start = 0; ; start += page) {
        const jobs = await q.getFailed(start, start + page - 1)
        for (const job of jobs) {
          if (!job) continue
          if (filter.tenantId === undefined || job.data?.tenantId === filter.tenantId) candidates.push(job)
        }
        if (jobs.length < page) break
      }
      let retried = 0
      for (let i = 0; i < candidates.length; i += 100) {
        const results = await Promise.allSettled(
          candidates.slice(i, i + 100).map((job) => job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true })),
        )
        for (const r of results) if (r.status === 'fulfilled') retried++
      }
      return retried
    },

    async queues() {
      assertOpen()
      const names = new Set(queues.keys())
      const match = `${globEscape(prefix)}:*:meta`
      let cursor = '0'
      do {
        const [next, keys] = await producer.scan(cursor, 'MATCH', match, 'COUNT', 1000)
        cursor = next
        for (const key of keys) {
          const name = key.slice(prefix.length + 1, -':meta'.length)
          if (!name.includes(':')) names.add(name)
        }
      } while (cursor !== '0')
      return [...names].sort()
    },

    close() {
      closing ??= (async () => {
        // Workers first (active jobs finish), then producers, then the shared connection.
        await Promise.allSettled([...workers.values()].map((w) => w.close()))
        workers.clear()
        await Promise.allSettled([...queues.values()].map((q) => q.close()))
        queues.clear()
        await producer.quit().catch(() => producer.disconnect())
        workerBase.disconnect()
      })()
      return closing
    },
  }
  return port
}
