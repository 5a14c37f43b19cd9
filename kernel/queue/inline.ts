import cron, { type ScheduledTask } from 'node-cron'
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
  backoffDelay,
  emptyCounts,
  resolveJobOptions,
  type ResolvedJobOptions,
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
  ScheduledJob,
  WorkerOptions,
} from './port.ts'

/**
 * The queue port in process, for embedded mode: no Redis, same contract as the BullMQ adapter
 * (attempts and backoff, delay, limiter, jobId dedup, priority, concurrency, schedules, bounded
 * history). Jobs live in memory, so a restart loses what was queued: the reconciler re-enqueues
 * rows still marked queued. Payloads go through JSON like in Redis, so a payload that would not
 * survive Redis does not silently work here.
 */

const MAX_TIMER_MS = 2 ** 31 - 1

interface InlineJob {
  id: string
  name: string
  payload: string
  tenantId: string
  opts: ResolvedJobOptions
  attemptsMade: number
  timestamp: number
  /** 'removed' = dropped while still referenced by a waiting list (skipped when popped). */
  state: JobState | 'removed'
  runAt: number
  failedReason?: string
  /** Set on jobs a schedule produced: the next occurrence is queued when this one starts. */
  schedule?: { entry: ScheduleEntry; millis: number }
}

interface ScheduleEntry {
  id: string
  spec: ScheduleSpec
  name: string
  payload: string
  tenantId: string
  opts: ResolvedJobOptions
  cronTask?: ScheduledTask
  pendingJobId?: string
}

interface WorkerState {
  run: (job: QueueJob) => Promise<unknown>
  concurrency: number
  limiter?: { max: number; duration: number }
  windowEnd: number
  windowCount: number
  limiterTimer?: NodeJS.Timeout
  running: number
  stopped: boolean
  inFlight: Set<Promise<void>>
}

/** A FIFO with O(1) shift that compacts itself. */
class Fifo<T> {
  private items: T[] = []
  private head = 0
  get size(): number {
    return this.items.length - this.head
  }
  push(item: T): void {
    this.items.push(item)
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined
    const item = this.items[this.head]
    this.items[this.head++] = undefined as T
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return item
  }
}

interface QueueState {
  name: string
  /** Every job that exists (waiting, delayed, active, retained completed/failed): the dedup index. */
  jobs: Map<string, InlineJob>
  /** Waiting jobs by priority; 0 (none) first, then 1, 2, … */
  waiting: Map<number, Fifo<InlineJob>>
  priorities: number[]
  waitingCount: number
  /** Sorted by runAt. */
  delayed: InlineJob[]
  delayTimer?: NodeJS.Timeout
  delayTimerAt: number
  activeCount: number
  completed: Map<string, InlineJob>
  failed: Map<string, InlineJob>
  nextId: number
  worker?: WorkerState
  pumpQueued: boolean
  schedules: Map<string, ScheduleEntry>
}

export function createInlineQueue(options: QueueFactoryOptions = {}): QueuePort {
  const { gate, logger } = options
  const states = new Map<string, QueueState>()
  let closing: Promise<void> | undefined

  function assertOpen(): void {
    if (closing) throw new Error('queue port is closed')
  }

  function stateFor(name: string): QueueState {
    let q = states.get(name)
    if (!q) {
      assertQueueName(name)
      q = {
        name,
        jobs: new Map(),
        waiting: new Map(),
        priorities: [],
        waitingCount: 0,
        delayed: [],
        delayTimerAt: Infinity,
        activeCount: 0,
        completed: new Map(),
        failed: new Map(),
        nextId: 1,
        pumpQueued: false,
        schedules: new Map(),
      }
      states.set(name, q)
    }
    return q
  }

  // ---- moving jobs between states ----

  function toWaiting(q: QueueState, job: InlineJob): void {
    job.state = 'waiting'
    let fifo = q.waiting.get(job.opts.priority)
    if (!fifo) {
      fifo = new Fifo()
      q.waiting.set(job.opts.priority, fifo)
      q.priorities.push(job.opts.priority)
      q.priorities.sort((a, b) => a - b)
    }
    fifo.push(job)
    q.waitingCount++
  }

  function popWaiting(q: QueueState): InlineJob | undefined {
    for (const p of q.priorities) {
      const fifo = q.waiting.get(p) as Fifo<InlineJob>
      for (let job = fifo.shift(); job; job = fifo.shift()) {
        if (job.state === 'waiting') {
          q.waitingCount--
          return job
        }
      }
    }
    return undefined
  }

  function toDelayed(q: QueueState, job: InlineJob): void {
    job.state = 'delayed'
    const list = q.delayed
    let lo = 0
    let hi = list.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (list[mid].runAt <= job.runAt) lo = mid + 1
      else hi = mid
    }
    list.splice(lo, 0, job)
    armDelayTimer(q)
  }

  function armDelayTimer(q: QueueState): void {
    if (closing) return
    const first = q.delayed[0]
    if (!first) {
      if (q.delayTimer) clearTimeout(q.delayTimer)
      q.delayTimer = undefined
      q.delayTimerAt = Infinity
      return
    }
    if (q.delayTimer && q.delayTimerAt <= first.runAt) return
    if (q.delayTimer) clearTimeout(q.delayTimer)
    q.delayTimerAt = first.runAt
    // setTimeout turns anything above 2^31-1 ms (~24.8 days) into 1 ms: wake up early instead and re-arm.
    q.delayTimer = setTimeout(() => promoteDelayed(q), Math.min(MAX_TIMER_MS, Math.max(0, first.runAt - Date.now())))
  }

  function promoteDelayed(q: QueueState): void {
    q.delayTimer = undefined
    q.delayTimerAt = Infinity
    const now = Date.now()
    let n = 0
    while (n < q.delayed.length && q.delayed[n].runAt <= now) n++
    for (const job of q.delayed.splice(0, n)) toWaiting(q, job)
    armDelayTimer(q)
    pump(q)
  }

  function enqueue(q: QueueState, job: InlineJob): void {
    q.jobs.set(job.id, job)
    if (job.runAt > Date.now()) toDelayed(q, job)
    else toWaiting(q, job)
  }

  /** Drops a job that has not started yet (used when a schedule is replaced or removed). */
  function removePending(q: QueueState, id: string | undefined): void {
    if (id === undefined) return
    const job = q.jobs.get(id)
    if (!job) return
    if (job.state === 'waiting') {
      job.state = 'removed'
      q.waitingCount--
    } else if (job.state === 'delayed') {
      q.delayed.splice(q.delayed.indexOf(job), 1)
      job.state = 'removed'
      armDelayTimer(q)
    } else {
      return
    }
    q.jobs.delete(id)
  }

  function retain(q: QueueState, history: Map<string, InlineJob>, job: InlineJob, keep: number): void {
    history.set(job.id, job)
    if (history.size > keep) {
      const oldest = history.keys().next().value as string
      const dropped = history.get(oldest)
      history.delete(oldest)
      if (q.jobs.get(oldest) === dropped) q.jobs.delete(oldest)
    }
  }

  function createJob(q: QueueState, name: string, data: QueueJobData, opts: ResolvedJobOptions, id?: string): InlineJob {
    const now = Date.now()
    return {
      id: id ?? String(q.nextId++),
      name,
      payload: JSON.stringify(data),
      tenantId: data.tenantId,
      opts,
      attemptsMade: 0,
      timestamp: now,
      state: 'waiting',
      runAt: now + opts.delay,
    }
  }

  function addOne(q: QueueState, name: string, data: QueueJobData, opts: ResolvedJobOptions): string {
    if (opts.jobId !== undefined && q.jobs.has(opts.jobId)) return opts.jobId
    const job = createJob(q, name, data, opts, opts.jobId)
    enqueue(q, job)
    return job.id
  }

  // ---- running jobs ----

  /** Whether the limiter lets one more job start now; arms a wake-up when it does not. */
  function limiterAllows(q: QueueState, w: WorkerState): boolean {
    const limiter = w.limiter
    if (!limiter) return true
    const now = Date.now()
    if (now >= w.windowEnd) {
      w.windowEnd = now + limiter.duration
      w.windowCount = 0
    }
    if (w.windowCount < limiter.max) return true
    if (!w.limiterTimer) {
      w.limiterTimer = setTimeout(() => {
        w.limiterTimer = undefined
        pump(q)
      }, Math.min(MAX_TIMER_MS, w.windowEnd - now))
    }
    return false
  }

  function pump(q: QueueState): void {
    const w = q.worker
    if (!w || w.stopped || closing) return
    while (w.running < w.concurrency && q.waitingCount > 0 && limiterAllows(q, w)) {
      const job = popWaiting(q)
      if (!job) break
      w.windowCount++
      start(q, w, job)
    }
  }

  /** Pump on a later tick: a processor never runs inside the stack of the add() that queued it. */
  function pumpSoon(q: QueueState): void {
    if (q.pumpQueued) return
    q.pumpQueued = true
    setImmediate(() => {
      q.pumpQueued = false
      pump(q)
    })
  }

  function start(q: QueueState, w: WorkerState, job: InlineJob): void {
    job.state = 'active'
    q.activeCount++
    w.running++
    if (job.schedule) scheduleNext(q, job.schedule.entry, job.schedule.millis)
    const done = execute(q, w, job).finally(() => w.inFlight.delete(done))
    w.inFlight.add(done)
  }

  async function execute(q: QueueState, w: WorkerState, job: InlineJob): Promise<void> {
    let error: unknown
    let failed = false
    try {
      await w.run({
        id: job.id,
        queue: q.name,
        name: job.name,
        data: JSON.parse(job.payload) as QueueJobData,
        attemptsMade: job.attemptsMade,
        timestamp: job.timestamp,
      })
    } catch (err) {
      error = err
      failed = true
    }
    q.activeCount--
    w.running--
    if (!failed) {
      job.state = 'completed'
      retain(q, q.completed, job, KEEP_COMPLETED)
    } else {
      fail(q, job, error)
    }
    pump(q)
  }

  function fail(q: QueueState, job: InlineJob, error: unknown): void {
    job.attemptsMade++
    job.failedReason = error instanceof Error ? error.message : String(error)
    const final = job.attemptsMade >= job.opts.attempts
    logger?.warn(
      { queue: q.name, jobId: job.id, name: job.name, tenantId: job.tenantId, attemptsMade: job.attemptsMade, final, err: job.failedReason },
      final ? 'queue: job failed for good' : 'queue: job failed, will retry',
    )
    if (final) {
      job.state = 'failed'
      retain(q, q.failed, job, KEEP_FAILED)
      return
    }
    const delay = backoffDelay(job.opts.backoff, job.attemptsMade)
    job.runAt = Date.now() + delay
    if (delay > 0) toDelayed(q, job)
    else toWaiting(q, job)
  }

  // ---- schedules ----

  function nextCron(entry: ScheduleEntry, after: number): number {
    const task = entry.cronTask as ScheduledTask
    for (const date of task.getNextRuns(3)) if (date.getTime() > after) return date.getTime()
    return Date.now() + 1000
  }

  /** Queues the occurrence after `prevMillis` (one pending job per schedule, as in BullMQ). */
  function scheduleNext(q: QueueState, entry: ScheduleEntry, prevMillis: number | undefined): void {
    if (q.schedules.get(entry.id) !== entry || closing) return
    const now = Date.now()
    let millis: number
    if (entry.spec.every !== undefined) millis = prevMillis === undefined ? now : Math.max(prevMillis + entry.spec.every, now)
    else millis = nextCron(entry, Math.max(now, prevMillis ?? 0))
    const id = `repeat:${entry.id}:${millis}`
    if (q.jobs.has(id)) return
    const job = createJob(q, entry.name, JSON.parse(entry.payload) as QueueJobData, entry.opts, id)
    job.runAt = millis
    job.schedule = { entry, millis }
    entry.pendingJobId = id
    enqueue(q, job)
    pumpSoon(q)
  }

  function dropSchedule(q: QueueState, entry: ScheduleEntry): void {
    q.schedules.delete(entry.id)
    removePending(q, entry.pendingJobId)
    void entry.cronTask?.destroy()
  }

  // ---- the port ----

  const port: QueuePort = {
    kind: 'inline',

    async add<T extends QueueJobData>(queue: string, name: string, data: T, opts?: JobOptions) {
      assertOpen()
      assertQueueName(queue)
      assertJobName(name)
      assertJobData(queue, data)
      const resolved = resolveJobOptions(opts)
      const q = stateFor(queue)
      const id = addOne(q, name, data, resolved)
      pumpSoon(q)
      return { id }
    },

    async addBulk(queue, jobs) {
      assertOpen()
      assertQueueName(queue)
      const checked = jobs.map((j) => {
        assertJobName(j.name)
        assertJobData(queue, j.data)
        return resolveJobOptions(j.opts)
      })
      const q = stateFor(queue)
      const ids = jobs.map((j, i) => ({ id: addOne(q, j.name, j.data, checked[i]) }))
      pumpSoon(q)
      return ids
    },

    async process<T extends QueueJobData>(queue: string, processor: Processor<T>, opts: WorkerOptions = {}) {
      assertOpen()
      assertQueueName(queue)
      assertWorkerOptions(opts)
      const q = stateFor(queue)
      if (q.worker) throw new Error(`queue ${queue} already has a processor`)
      q.worker = {
        run: gated(queue, processor, gate) as (job: QueueJob) => Promise<unknown>,
        concurrency: opts.concurrency ?? 1,
        limiter: opts.limiter ? { ...opts.limiter } : undefined,
        windowEnd: 0,
        windowCount: 0,
        running: 0,
        stopped: false,
        inFlight: new Set(),
      }
      pumpSoon(q)
    },

    async stopProcessing(queue) {
      const q = states.get(queue)
      const w = q?.worker
      if (!q || !w) return
      w.stopped = true
      if (w.limiterTimer) clearTimeout(w.limiterTimer)
      q.worker = undefined
      await Promise.allSettled([...w.inFlight])
    },

    async schedule(queue, schedulerId, spec, job: ScheduledJob) {
      assertOpen()
      assertQueueName(queue)
      assertSchedulerId(schedulerId)
      assertScheduleSpec(spec)
      assertJobName(job.name)
      assertJobData(queue, job.data)
      const opts = resolveJobOptions(job.opts)
      let cronTask: ScheduledTask | undefined
      if (spec.pattern !== undefined) {
        if (!cron.validate(spec.pattern)) throw new Error(`invalid cron pattern ${JSON.stringify(spec.pattern)}`)
        // Never started: used only to compute the next match in the schedule's time zone.
        cronTask = cron.createTask(spec.pattern, () => undefined, spec.tz ? { timezone: spec.tz } : {})
      }
      const q = stateFor(queue)
      const previous = q.schedules.get(schedulerId)
      if (previous) dropSchedule(q, previous)
      const entry: ScheduleEntry = {
        id: schedulerId,
        spec: { ...spec },
        name: job.name,
        payload: JSON.stringify(job.data),
        tenantId: job.data.tenantId,
        opts,
        cronTask,
      }
      q.schedules.set(schedulerId, entry)
      scheduleNext(q, entry, undefined)
    },

    async unschedule(queue, schedulerId) {
      assertOpen()
      assertQueueName(queue)
      const q = states.get(queue)
      const entry = q?.schedules.get(schedulerId)
      if (q && entry) dropSchedule(q, entry)
    },

    async schedules(queue) {
      assertOpen()
      assertQueueName(queue)
      const q = states.get(queue)
      if (!q) return []
      return [...q.schedules.values()].map((e) => ({ id: e.id, spec: { ...e.spec } }))
    },

    async counts(queue) {
      assertOpen()
      if (queue !== undefined) assertQueueName(queue)
      const names = queue !== undefined ? [queue] : [...states.keys()].sort()
      const out: Record<string, Record<JobState, number>> = {}
      for (const name of names) {
        const q = states.get(name)
        const c = emptyCounts()
        if (q) {
          c.waiting = q.waitingCount
          c.delayed = q.delayed.length
          c.active = q.activeCount
          c.completed = q.completed.size
          c.failed = q.failed.size
        }
        out[name] = c
      }
      return out
    },

    async retryFailed(queue, filter = {}) {
      assertOpen()
      assertQueueName(queue)
      const q = states.get(queue)
      if (!q) return 0
      let retried = 0
      for (const job of [...q.failed.values()]) {
        if (filter.tenantId !== undefined && job.tenantId !== filter.tenantId) continue
        q.failed.delete(job.id)
        job.attemptsMade = 0
        job.failedReason = undefined
        toWaiting(q, job)
        retried++
      }
      pumpSoon(q)
      return retried
    },

    async queues() {
      assertOpen()
      return [...states.keys()].sort()
    },

    close() {
      closing ??= (async () => {
        const inFlight: Promise<void>[] = []
        for (const q of states.values()) {
          if (q.delayTimer) clearTimeout(q.delayTimer)
          q.delayTimer = undefined
          for (const entry of q.schedules.values()) void entry.cronTask?.destroy()
          const w = q.worker
          if (w) {
            w.stopped = true
            if (w.limiterTimer) clearTimeout(w.limiterTimer)
            inFlight.push(...w.inFlight)
          }
        }
        await Promise.allSettled(inFlight)
      })()
      return closing
    },
  }
  return port
}
