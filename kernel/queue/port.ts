/**
 * The queue port: what the kernel and plugins see, whatever runs underneath
 * (`redis` = BullMQ on Redis, `inline` = in-process for embedded mode).
 * Both adapters pass the same contract suite (test/queue/contract.test.ts).
 *
 * Queue names are `<plugin>.<name>`; every payload carries a string `tenantId`.
 * Delivery is at-least-once: processors must be idempotent and use a `jobId`
 * when a natural key exists.
 */

export interface QueueJobData {
  tenantId: string
  [key: string]: unknown
}

export interface JobOptions {
  /** Dedup: a second add with the same jobId while the first exists (waiting, delayed,
   * active, or retained as completed/failed) is a no-op returning the same id. */
  jobId?: string
  /** Milliseconds before the job becomes runnable. */
  delay?: number
  /** Total tries, the first included. Default 3. */
  attempts?: number
  /** Wait between tries. Default exponential from 2000 ms (2 s, 4 s, …). */
  backoff?: { type: 'exponential' | 'fixed'; delay: number }
  /** 1 is the highest priority; jobs without a priority run before prioritised ones. */
  priority?: number
}

export interface QueueJob<T extends QueueJobData = QueueJobData> {
  id: string
  queue: string
  name: string
  data: T
  /** Failed tries so far (0 on the first run). */
  attemptsMade: number
  /** When the job was added (ms since epoch). */
  timestamp: number
}

export type Processor<T extends QueueJobData = QueueJobData> = (job: QueueJob<T>) => Promise<unknown>

export interface WorkerOptions {
  concurrency?: number
  /** At most `max` jobs started per `duration` ms window, per queue. */
  limiter?: { max: number; duration: number }
  /**
   * How soon a job held by a worker that died comes back (Redis adapter; in process there is no
   * such case). A job is presumed lost once its lock (`lockDurationMs`, renewed while it runs) has
   * lapsed, checked every `stalledIntervalMs`. BullMQ's defaults are 30 s each.
   */
  lockDurationMs?: number
  stalledIntervalMs?: number
}

/** `every` ms, or a cron `pattern` (5 or 6 fields, seconds first when 6) in `tz`. */
export interface ScheduleSpec {
  every?: number
  pattern?: string
  tz?: string
}

/** The job a schedule produces; `opts` default like `add`'s. */
export interface ScheduledJob {
  name: string
  data: QueueJobData
  opts?: Pick<JobOptions, 'attempts' | 'backoff' | 'priority'>
}

export type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed'

export const JOB_STATES: readonly JobState[] = ['waiting', 'delayed', 'active', 'completed', 'failed']

/** Decides whether a job runs; false = the job is completed as skipped (never failed/retried). */
export type JobGate = (queue: string, tenantId: string) => boolean | Promise<boolean>

/** What a job the gate refused completes with. */
export interface SkippedResult {
  skipped: true
  reason: 'gate'
}

export interface QueuePort {
  readonly kind: 'inline' | 'redis'
  add<T extends QueueJobData>(queue: string, name: string, data: T, opts?: JobOptions): Promise<{ id: string }>
  addBulk(queue: string, jobs: { name: string; data: QueueJobData; opts?: JobOptions }[]): Promise<{ id: string }[]>
  /** Starts consuming. One processor per queue name per port; a second call throws. */
  process<T extends QueueJobData>(queue: string, processor: Processor<T>, opts?: WorkerOptions): Promise<void>
  /** Graceful: no new jobs start; resolves when the active jobs of that queue have finished. */
  stopProcessing(queue: string): Promise<void>
  /** Upsert a repeatable schedule. `every` fires once right away, then every `every` ms. Only the
   * next occurrence is ever pending, so a queue without a processor does not pile up. */
  schedule(queue: string, schedulerId: string, spec: ScheduleSpec, job: ScheduledJob): Promise<void>
  unschedule(queue: string, schedulerId: string): Promise<void>
  schedules(queue: string): Promise<{ id: string; spec: ScheduleSpec }[]>
  /** Job counts per state, per queue name (all known queues when `queue` is omitted). */
  counts(queue?: string): Promise<Record<string, Record<JobState, number>>>
  /** Moves failed jobs (optionally only one tenant's) back to waiting with fresh attempts; returns how many. */
  retryFailed(queue: string, filter?: { tenantId?: string }): Promise<number>
  /** Known queue names. */
  queues(): Promise<string[]>
  /** Graceful shutdown: stop taking jobs, let active ones finish, then close connections. */
  close(): Promise<void>
}

export interface QueueLogger {
  warn(o: object, m?: string): void
  error(o: object, m?: string): void
  info?(o: object, m?: string): void
}

export interface QueueFactoryOptions {
  gate?: JobGate
  logger?: QueueLogger
}
