import type { JobOptions, JobState, QueueJobData, ScheduleSpec } from './port.ts'

/** Rules and defaults both adapters share, so a mistake fails the same way in embedded and server mode. */

export const DEFAULT_ATTEMPTS = 3
export const DEFAULT_BACKOFF = { type: 'exponential', delay: 2000 } as const
/** Completed / failed jobs kept per queue (for counts, dedup and retry); older ones are dropped. */
export const KEEP_COMPLETED = 1000
export const KEEP_FAILED = 5000
/** BullMQ's priority ceiling (2^21 - 1). */
export const MAX_PRIORITY = 2 ** 21 - 1

export interface ResolvedJobOptions {
  jobId?: string
  delay: number
  attempts: number
  backoff: { type: 'exponential' | 'fixed'; delay: number }
  priority: number
}

/** `<plugin>.<name>[.<more>]`. A string so that JSON schemas (the queue routes) can carry it too. */
export const QUEUE_NAME_PATTERN = '^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)+$'
export const MAX_QUEUE_NAME_LENGTH = 200
const QUEUE_NAME = new RegExp(QUEUE_NAME_PATTERN)
const SCHEDULER_ID = /^[A-Za-z0-9_.-]+$/

export const isQueueName = (queue: unknown): queue is string =>
  typeof queue === 'string' && queue.length <= MAX_QUEUE_NAME_LENGTH && QUEUE_NAME.test(queue)

export function assertQueueName(queue: string): void {
  if (!isQueueName(queue)) {
    throw new Error(`queue name must look like <plugin>.<name> (letters, digits, _ and -, dot-separated, at most ${MAX_QUEUE_NAME_LENGTH} chars); got ${JSON.stringify(queue)}`)
  }
}

export function assertSchedulerId(id: string): void {
  if (typeof id !== 'string' || id.length === 0 || id.length > 200 || !SCHEDULER_ID.test(id)) {
    throw new Error(`scheduler id must be letters, digits, _, . and - (at most 200 chars); got ${JSON.stringify(id)}`)
  }
}

export function assertJobData(queue: string, data: unknown): asserts data is QueueJobData {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new Error(`job data for queue ${queue} must be an object with a tenantId`)
  }
  const tenantId = (data as { tenantId?: unknown }).tenantId
  if (typeof tenantId !== 'string' || tenantId.length === 0) {
    throw new Error(`job data for queue ${queue} must carry a string tenantId`)
  }
}

export function assertJobName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
    throw new Error(`job name must be a non-empty string of at most 200 chars; got ${JSON.stringify(name)}`)
  }
}

function positiveInt(value: number, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${what} must be an integer between ${min} and ${max}; got ${value}`)
  }
  return value
}

/** Validates the options and fills in the defaults. Same rules as BullMQ so both adapters agree. */
export function resolveJobOptions(opts: JobOptions = {}): ResolvedJobOptions {
  const { jobId } = opts
  if (jobId !== undefined) {
    if (typeof jobId !== 'string' || jobId.length === 0 || jobId.length > 500) {
      throw new Error('jobId must be a non-empty string of at most 500 chars')
    }
    // BullMQ reserves integer ids for its own counter and ':' for its key layout.
    if (`${parseInt(jobId, 10)}` === jobId) throw new Error(`jobId cannot be an integer; got ${jobId}`)
    if (jobId.includes(':')) throw new Error(`jobId cannot contain ':'; got ${jobId}`)
  }
  const delay = opts.delay ?? 0
  if (!Number.isFinite(delay) || delay < 0) throw new Error(`delay must be a non-negative number of ms; got ${delay}`)
  const attempts = positiveInt(opts.attempts ?? DEFAULT_ATTEMPTS, 'attempts', 1, 1000)
  const backoff = opts.backoff ?? DEFAULT_BACKOFF
  if (backoff.type !== 'exponential' && backoff.type !== 'fixed') {
    throw new Error(`backoff.type must be 'exponential' or 'fixed'; got ${String(backoff.type)}`)
  }
  if (!Number.isFinite(backoff.delay) || backoff.delay < 0) {
    throw new Error(`backoff.delay must be a non-negative number of ms; got ${backoff.delay}`)
  }
  const priority = positiveInt(opts.priority ?? 0, 'priority', 0, MAX_PRIORITY)
  return { jobId, delay: Math.round(delay), attempts, backoff: { type: backoff.type, delay: backoff.delay }, priority }
}

/** Delay before the next try, after `attemptsMade` failed tries (BullMQ's formula). */
export function backoffDelay(backoff: { type: 'exponential' | 'fixed'; delay: number }, attemptsMade: number): number {
  if (backoff.type === 'fixed') return backoff.delay
  return Math.round(Math.pow(2, attemptsMade - 1) * backoff.delay)
}

export function assertWorkerOptions(opts: { concurrency?: number; limiter?: { max: number; duration: number }; lockDurationMs?: number; stalledIntervalMs?: number }): void {
  if (opts.concurrency !== undefined) positiveInt(opts.concurrency, 'concurrency', 1, 10_000)
  if (opts.lockDurationMs !== undefined) positiveInt(opts.lockDurationMs, 'lockDurationMs', 1000)
  if (opts.stalledIntervalMs !== undefined) positiveInt(opts.stalledIntervalMs, 'stalledIntervalMs', 1000)
  if (opts.limiter) {
    positiveInt(opts.limiter.max, 'limiter.max', 1)
    positiveInt(opts.limiter.duration, 'limiter.duration', 1)
  }
}

export function assertScheduleSpec(spec: ScheduleSpec): void {
  const hasEvery = spec.every !== undefined
  const hasPattern = spec.pattern !== undefined
  if (hasEvery === hasPattern) throw new Error('a schedule needs exactly one of every (ms) or pattern (cron)')
  if (hasEvery) positiveInt(spec.every as number, 'every', 1)
  if (hasPattern && (typeof spec.pattern !== 'string' || spec.pattern.trim() === '')) {
    throw new Error('pattern must be a cron expression')
  }
  if (spec.tz !== undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: spec.tz })
    } catch {
      throw new Error(`unknown time zone ${JSON.stringify(spec.tz)}`)
    }
  }
}

export function emptyCounts(): Record<JobState, number> {
  return { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0 }
}
