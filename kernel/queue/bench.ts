import { Queue, Worker } from 'bullmq'
import { Redis } from 'ioredis'
import { randomBytes } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { DEFAULT_BACKOFF, DEFAULT_ATTEMPTS, KEEP_COMPLETED, KEEP_FAILED } from './options.ts'
import { createRedisQueue } from './redis.ts'
import type { JobGate, QueueJobData } from './port.ts'

export interface BenchOptions {
  redisUrl: string
  jobs?: number
  concurrency?: number
  /** Jobs per addBulk call (both sides use the same). */
  chunk?: number
  /** Alternating rounds per side; the best round of each side counts. */
  rounds?: number
  /** The gate the port runs (default a synchronous allow-all, like the kernel's cached gate). */
  gate?: JobGate
}

export interface BenchResult {
  portJobsPerSec: number
  bareBullmqJobsPerSec: number
  ratio: number
  /** Jobs/s of every round, in run order. */
  samples: { port: number[]; bare: number[] }
}

const QUEUE = 'bench.noop'

async function dropPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl)
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
    cursor = next
    if (keys.length) await redis.del(...keys)
  } while (cursor !== '0')
  await redis.quit()
}

function payloads(jobs: number): { name: string; data: QueueJobData }[] {
  return Array.from({ length: jobs }, (_, i) => ({ name: 'noop', data: { tenantId: 'bench', i } }))
}

function finished(target: number): { tick: () => void; done: Promise<void> } {
  let n = 0
  let resolve!: () => void
  const done = new Promise<void>((r) => (resolve = r))
  return {
    tick: () => {
      if (++n === target) resolve()
    },
    done,
  }
}

/** Adds `jobs` in bulk and processes them with a no-op processor through the port. Jobs/s. */
async function runPort(redisUrl: string, jobs: number, concurrency: number, chunk: number, gate: JobGate): Promise<number> {
  const prefix = `sapa-bench-${randomBytes(6).toString('hex')}`
  const port = createRedisQueue({ url: redisUrl, prefix, gate })
  try {
    const all = payloads(jobs)
    const { tick, done } = finished(jobs)
    await port.process(QUEUE, async () => tick(), { concurrency })
    const t0 = performance.now()
    for (let i = 0; i < jobs; i += chunk) await port.addBulk(QUEUE, all.slice(i, i + chunk))
    await done
    return jobs / ((performance.now() - t0) / 1000)
  } finally {
    await port.close()
    await dropPrefix(redisUrl, prefix)
  }
}

/** The same with bare BullMQ, same job options (attempts, backoff, retention) as the port sets. */
async function runBare(redisUrl: string, jobs: number, concurrency: number, chunk: number): Promise<number> {
  const prefix = `sapa-bench-${randomBytes(6).toString('hex')}`
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null })
  const queue = new Queue(QUEUE, { connection, prefix })
  const opts = {
    attempts: DEFAULT_ATTEMPTS,
    backoff: DEFAULT_BACKOFF,
    removeOnComplete: { count: KEEP_COMPLETED },
    removeOnFail: { count: KEEP_FAILED },
  }
  const { tick, done } = finished(jobs)
  const worker = new Worker(QUEUE, async () => tick(), { connection, prefix, concurrency })
  try {
    await worker.waitUntilReady()
    const all = payloads(jobs).map((j) => ({ ...j, opts }))
    const t0 = performance.now()
    for (let i = 0; i < jobs; i += chunk) await queue.addBulk(all.slice(i, i + chunk))
    await done
    return jobs / ((performance.now() - t0) / 1000)
  } finally {
    await worker.close()
    await queue.close()
    await connection.quit()
    await dropPrefix(redisUrl, prefix)
  }
}

/**
 * Throughput of the Redis adapter against bare BullMQ in the same run: add in bulk, process with
 * concurrency 50 and a no-op processor. Rounds alternate (bare, port, bare, port…) after a small
 * warm-up, and each side's best round counts, so neither side profits from going second.
 */
export async function benchQueue(options: BenchOptions): Promise<BenchResult> {
  const { redisUrl, jobs = 20_000, concurrency = 50, chunk = 1000, rounds = 2, gate = () => true } = options
  await runBare(redisUrl, 1000, concurrency, chunk)
  await runPort(redisUrl, 1000, concurrency, chunk, gate)
  const samples = { port: [] as number[], bare: [] as number[] }
  for (let r = 0; r < rounds; r++) {
    samples.bare.push(Math.round(await runBare(redisUrl, jobs, concurrency, chunk)))
    samples.port.push(Math.round(await runPort(redisUrl, jobs, concurrency, chunk, gate)))
  }
  const port = Math.max(...samples.port)
  const bare = Math.max(...samples.bare)
  return { portJobsPerSec: port, bareBullmqJobsPerSec: bare, ratio: Math.round((port / bare) * 1000) / 1000, samples }
}

// `npx tsx kernel/queue/bench.ts [jobs] [rounds]` with REDIS_URL (or TEST_REDIS_URL) set.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const redisUrl = process.env.REDIS_URL ?? process.env.TEST_REDIS_URL
  if (!redisUrl) {
    process.stderr.write('REDIS_URL is not set: the queue bench needs Redis.\n')
    process.exit(1)
  }
  const jobs = process.argv[2] ? Number(process.argv[2]) : undefined
  const rounds = process.argv[3] ? Number(process.argv[3]) : undefined
  benchQueue({ redisUrl, jobs, rounds }).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (err: unknown) => {
      process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`)
      process.exit(1)
    },
  )
}
