import tap from 'tap'
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { createInlineQueue } from '../../kernel/queue/inline.ts'
import { createRedisQueue } from '../../kernel/queue/redis.ts'
import type { JobState, QueueFactoryOptions, QueueJobData, QueuePort } from '../../kernel/queue/port.ts'

/**
 * One contract, every adapter. Timings are short (backoff 100–150 ms); bounds are tolerant but
 * each assertion can fail: a missing retry, a doubled limiter window, a schedule that keeps firing.
 */

type Tap = Parameters<Parameters<typeof tap.test>[0]>[0]
export type MakePort = (opts?: QueueFactoryOptions) => QueuePort

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(10)
  }
}

let seq = 0
const queueName = (label: string) => `test.${label}-${++seq}`

async function countsOf(port: QueuePort, queue: string): Promise<Record<JobState, number>> {
  return (await port.counts(queue))[queue]
}

const data = (tenantId: string, extra: Record<string, unknown> = {}): QueueJobData => ({ tenantId, ...extra })

export function contract(t: Tap, makePort: MakePort): void {
  /** A port closed when the subtest ends. */
  const open = (st: Tap, opts?: QueueFactoryOptions): QueuePort => {
    const port = makePort(opts)
    st.teardown(() => port.close())
    return port
  }

  t.test('add validates queue name, tenantId and options', async (t) => {
    const port = open(t)
    const q = queueName('validate')
    await t.rejects(port.add(q, 'n', {} as QueueJobData), /tenantId/)
    await t.rejects(port.add(q, 'n', { tenantId: 42 } as unknown as QueueJobData), /tenantId/)
    await t.rejects(port.add('nodot', 'n', data('t1')), /queue name/)
    await t.rejects(port.add(q, 'n', data('t1'), { jobId: '123' }), /integer/)
    await t.rejects(port.add(q, 'n', data('t1'), { jobId: 'a:b' }), /:/)
    await t.rejects(port.add(q, 'n', data('t1'), { priority: 1.5 }), /priority/)
    // a bad job anywhere in a bulk adds nothing
    await t.rejects(port.addBulk(q, [{ name: 'a', data: data('t1') }, { name: 'b', data: {} as QueueJobData }]), /tenantId/)
    t.same(await countsOf(port, q), { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0 })
    const { id } = await port.add(q, 'n', data('t1'))
    t.type(id, 'string')
    t.equal((await countsOf(port, q)).waiting, 1)
  })

  t.test('exponential backoff: retry gaps double, then the job fails for good', async (t) => {
    const port = open(t)
    const q = queueName('exp')
    const runs: { at: number; attemptsMade: number }[] = []
    await port.process(q, async (job) => {
      runs.push({ at: Date.now(), attemptsMade: job.attemptsMade })
      throw new Error('boom')
    })
    await port.add(q, 'n', data('t1'), { attempts: 3, backoff: { type: 'exponential', delay: 150 } })
    await waitFor('the job to fail', async () => (await countsOf(port, q)).failed === 1)
    await sleep(250) // a fourth try would be due by now if attempts were ignored
    t.same(runs.map((r) => r.attemptsMade), [0, 1, 2], 'three tries, attemptsMade counts failures')
    const gap1 = runs[1].at - runs[0].at
    const gap2 = runs[2].at - runs[1].at
    // 150 then 300: gap1 below 290 and gap2 at least 295 rules out a fixed delay either way.
    t.ok(gap1 >= 145 && gap1 < 290, `first retry after ~150 ms (was ${gap1})`)
    t.ok(gap2 >= 295 && gap2 < 900, `second retry after ~300 ms, double the first (was ${gap2}, ratio ${(gap2 / gap1).toFixed(2)})`)
    t.same(await countsOf(port, q), { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 1 })
  })

  t.test('fixed backoff: equal gaps; success on the last try completes the job', async (t) => {
    const port = open(t)
    const q = queueName('fixed')
    const at: number[] = []
    await port.process(q, async () => {
      at.push(Date.now())
      if (at.length < 3) throw new Error('not yet')
      return 'ok'
    })
    await port.add(q, 'n', data('t1'), { attempts: 3, backoff: { type: 'fixed', delay: 120 } })
    await waitFor('completion', async () => (await countsOf(port, q)).completed === 1)
    const gaps = [at[1] - at[0], at[2] - at[1]]
    for (const gap of gaps) t.ok(gap >= 115 && gap < 500, `fixed gap ~120 ms (was ${gap})`)
    t.equal(at.length, 3)
    t.same(await countsOf(port, q), { waiting: 0, delayed: 0, active: 0, completed: 1, failed: 0 })
  })

  t.test('a delayed job fires after its delay, not before', async (t) => {
    const port = open(t)
    const q = queueName('delay')
    let ranAt = 0
    await port.process(q, async () => {
      ranAt = Date.now()
    })
    const t0 = Date.now()
    await port.add(q, 'n', data('t1'), { delay: 500 })
    await sleep(250)
    t.equal(ranAt, 0, 'not run at 250 ms')
    t.equal((await countsOf(port, q)).delayed, 1, 'counted as delayed')
    await waitFor('the delayed job', () => ranAt > 0, 3000)
    const elapsed = ranAt - t0
    t.ok(elapsed >= 495 && elapsed < 1500, `ran after ~500 ms (was ${elapsed})`)
  })

  t.test('limiter {max 5, duration 500} spreads 15 jobs over about a second', async (t) => {
    const port = open(t)
    const q = queueName('limit')
    const starts: number[] = []
    await port.addBulk(q, Array.from({ length: 15 }, (_, i) => ({ name: 'n', data: data('t1', { i }) })))
    await port.process(
      q,
      async () => {
        starts.push(Date.now())
      },
      { concurrency: 10, limiter: { max: 5, duration: 500 } },
    )
    await waitFor('15 jobs', () => starts.length === 15, 6000)
    starts.sort((a, b) => a - b)
    const span = starts[14] - starts[0]
    t.ok(span >= 950 && span < 3000, `15 jobs over ≥ ~1 s (was ${span} ms)`)
    const tightest = Math.min(...starts.slice(5).map((s, i) => s - starts[i]))
    // unlimited, all 15 would start within a few ms; the slack covers a start delayed by a busy loop
    t.ok(tightest >= 400, `never more than 5 starts per 500 ms window (tightest 6 starts spanned ${tightest} ms)`)
  })

  t.test('jobId dedup: same id while the job exists, processed once', async (t) => {
    const port = open(t)
    const q = queueName('dedup')
    const a = await port.add(q, 'n', data('t1', { v: 1 }), { jobId: 'order-1' })
    const b = await port.add(q, 'n', data('t1', { v: 2 }), { jobId: 'order-1' })
    t.equal(a.id, 'order-1')
    t.equal(b.id, 'order-1')
    const bulk = await port.addBulk(q, [
      { name: 'n', data: data('t1', { v: 3 }), opts: { jobId: 'order-2' } },
      { name: 'n', data: data('t1', { v: 4 }), opts: { jobId: 'order-2' } },
      { name: 'n', data: data('t1', { v: 5 }) },
      { name: 'n', data: data('t1', { v: 6 }) },
    ])
    t.same(bulk.slice(0, 2), [{ id: 'order-2' }, { id: 'order-2' }])
    t.not(bulk[2].id, bulk[3].id, 'jobs without a jobId get distinct ids')
    t.equal((await countsOf(port, q)).waiting, 4)
    const seen: unknown[] = []
    await port.process(q, async (job) => {
      seen.push(job.data.v)
    })
    await waitFor('4 completions', async () => (await countsOf(port, q)).completed === 4)
    t.same([...seen].sort(), [1, 3, 5, 6], 'the first payload of each id wins')
    const again = await port.add(q, 'n', data('t1', { v: 7 }), { jobId: 'order-1' })
    t.equal(again.id, 'order-1', 'a retained completed job still dedups')
    await sleep(200)
    t.equal(seen.length, 4, 'not processed again')
  })

  t.test('concurrency: exactly N jobs at a time', async (t) => {
    const port = open(t)
    const q = queueName('conc')
    let inFlight = 0
    let max = 0
    await port.process(
      q,
      async () => {
        inFlight++
        max = Math.max(max, inFlight)
        await sleep(150)
        inFlight--
      },
      { concurrency: 3 },
    )
    const t0 = Date.now()
    await port.addBulk(q, Array.from({ length: 9 }, () => ({ name: 'n', data: data('t1') })))
    await waitFor('9 completions', async () => (await countsOf(port, q)).completed === 9)
    t.equal(max, 3, 'three in parallel, never more')
    t.ok(Date.now() - t0 >= 440, 'three rounds of 150 ms')
  })

  t.test('priority: 1 runs before 5 before 10', async (t) => {
    const port = open(t)
    const q = queueName('prio')
    await port.add(q, 'low', data('t1'), { priority: 10 })
    await port.add(q, 'high', data('t1'), { priority: 1 })
    await port.add(q, 'mid', data('t1'), { priority: 5 })
    const order: string[] = []
    await port.process(q, async (job) => {
      order.push(job.name)
    })
    await waitFor('3 jobs', () => order.length === 3)
    t.same(order, ['high', 'mid', 'low'])
  })

  t.test('every-schedule fires repeatedly and stops after unschedule', async (t) => {
    const port = open(t)
    const q = queueName('every')
    const fired: { at: number; tenantId: string; name: string }[] = []
    await port.process(q, async (job) => {
      fired.push({ at: Date.now(), tenantId: job.data.tenantId, name: job.name })
    })
    await port.schedule(q, 'tick', { every: 200 }, { name: 'tick', data: data('t1') })
    t.same(await port.schedules(q), [{ id: 'tick', spec: { every: 200 } }])
    await waitFor('3 firings', () => fired.length >= 3, 3000)
    t.same(fired[0], { at: fired[0].at, tenantId: 't1', name: 'tick' })
    t.ok(fired[2].at - fired[1].at >= 150, `spaced by ~200 ms (was ${fired[2].at - fired[1].at})`)
    await port.unschedule(q, 'tick')
    const n = fired.length
    t.same(await port.schedules(q), [])
    const c = await countsOf(port, q)
    t.equal(c.delayed + c.waiting, 0, 'the pending occurrence is removed')
    await sleep(600)
    t.ok(fired.length <= n + 1, `no more firings after unschedule (${n} → ${fired.length})`)
  })

  t.test('cron schedule with tz, upsert replaces the previous one', async (t) => {
    const port = open(t)
    const q = queueName('cron')
    const overflow: string[] = []
    const onWarning = (w: Error) => {
      if (w.name === 'TimeoutOverflowWarning') overflow.push(w.message)
    }
    process.on('warning', onWarning)
    t.teardown(() => void process.off('warning', onWarning))
    const fired: number[] = []
    await port.process(q, async () => {
      fired.push(Date.now())
    })
    await port.schedule(q, 'yearly', { pattern: '0 0 1 1 *', tz: 'Asia/Jakarta' }, { name: 'y', data: data('t1') })
    t.equal((await countsOf(port, q)).delayed, 1, 'next yearly occurrence pending')
    await sleep(20)
    t.same(overflow, [], 'a far-off occurrence does not overflow a timer (which would fire every 1 ms)')
    await port.schedule(q, 'yearly', { pattern: '* * * * * *', tz: 'Asia/Jakarta' }, { name: 'y', data: data('t1') })
    t.same(await port.schedules(q), [{ id: 'yearly', spec: { pattern: '* * * * * *', tz: 'Asia/Jakarta' } }])
    const c = await countsOf(port, q)
    // one pending occurrence at most (an active one may briefly coexist with the next, so not counted)
    t.ok(c.delayed + c.waiting <= 1, `the old occurrence was replaced, not kept (${JSON.stringify(c)})`)
    await waitFor('2 cron firings', () => fired.length >= 2, 4000)
    t.ok(fired[1] - fired[0] >= 700, `about a second apart (was ${fired[1] - fired[0]})`)
    await port.unschedule(q, 'yearly')
    t.same(await port.schedules(q), [])
    await t.rejects(port.schedule(q, 'bad', { every: 100, pattern: '* * * * *' }, { name: 'b', data: data('t1') }))
  })

  t.test('close() waits for the active job to finish', async (t) => {
    const port = makePort()
    const q = queueName('close')
    let started!: () => void
    const startedP = new Promise<void>((resolve) => (started = resolve))
    let finished = false
    await port.process(q, async () => {
      started()
      await sleep(300)
      finished = true
    })
    await port.add(q, 'n', data('t1'))
    await startedP
    await port.close()
    t.ok(finished, 'side effect observed once close resolves')
    await t.rejects(port.add(q, 'n', data('t1')), /closed/)
  })

  t.test('stopProcessing is graceful and processing can start again', async (t) => {
    const port = open(t)
    const q = queueName('stop')
    let started!: () => void
    const startedP = new Promise<void>((resolve) => (started = resolve))
    let calls = 0
    let finished = false
    await port.process(q, async () => {
      calls++
      started()
      await sleep(300)
      finished = true
    })
    await port.add(q, 'n', data('t1'))
    await startedP
    await port.stopProcessing(q)
    t.ok(finished, 'active job finished before stopProcessing resolved')
    await port.add(q, 'n', data('t1'))
    await sleep(300)
    t.equal(calls, 1, 'no new job taken after stop')
    t.equal((await countsOf(port, q)).waiting, 1)
    await port.process(q, async () => {
      calls++
    })
    await waitFor('the second job', () => calls === 2)
  })

  for (const kind of ['sync', 'async'] as const) {
    t.test(`gate (${kind}): refused jobs complete as skipped, never run, fail or retry`, async (t) => {
      const gateCalls: string[] = []
      const port = open(t, {
        gate: (queue, tenantId) => {
          gateCalls.push(`${queue}/${tenantId}`)
          const ok = tenantId !== 'off'
          return kind === 'sync' ? ok : Promise.resolve(ok)
        },
      })
      const q = queueName(`gate-${kind}`)
      const ran: string[] = []
      await port.process(q, async (job) => {
        ran.push(job.data.tenantId)
      })
      for (const tenant of ['on', 'off', 'on', 'off']) {
        await port.add(q, 'n', data(tenant), { attempts: 3, backoff: { type: 'fixed', delay: 50 } })
      }
      await waitFor('4 completions', async () => (await countsOf(port, q)).completed === 4)
      await sleep(200)
      t.same(ran, ['on', 'on'], 'processor called only for the allowed tenant')
      t.equal(gateCalls.length, 4, 'gate asked once per job: nothing retried')
      t.ok(gateCalls.every((c) => c.startsWith(`${q}/`)), 'gate receives the queue name')
      t.same(await countsOf(port, q), { waiting: 0, delayed: 0, active: 0, completed: 4, failed: 0 })
    })
  }

  t.test('a gate that throws fails the try like a processor would', async (t) => {
    const port = open(t, {
      gate: () => {
        throw new Error('settings store down')
      },
    })
    const q = queueName('gate-throw')
    let ran = 0
    await port.process(q, async () => {
      ran++
    })
    await port.add(q, 'n', data('t1'), { attempts: 1 })
    await waitFor('the failure', async () => (await countsOf(port, q)).failed === 1)
    t.equal(ran, 0)
  })

  t.test('retryFailed with and without a tenant filter', async (t) => {
    const port = open(t)
    const q = queueName('retry')
    let failing = true
    const runs: { tenantId: string; attemptsMade: number }[] = []
    await port.process(q, async (job) => {
      runs.push({ tenantId: job.data.tenantId, attemptsMade: job.attemptsMade })
      if (failing) throw new Error('down')
    })
    for (const tenant of ['a', 'a', 'b']) await port.add(q, 'n', data(tenant), { attempts: 1 })
    await waitFor('3 failures', async () => (await countsOf(port, q)).failed === 3)
    failing = false
    t.equal(await port.retryFailed(q, { tenantId: 'a' }), 2, 'two of tenant a')
    await waitFor('2 completions', async () => (await countsOf(port, q)).completed === 2)
    t.equal((await countsOf(port, q)).failed, 1, "tenant b's job still failed")
    t.same(runs.slice(3), [{ tenantId: 'a', attemptsMade: 0 }, { tenantId: 'a', attemptsMade: 0 }], 'retried with fresh attempts')
    t.equal(await port.retryFailed(q), 1, 'the rest')
    await waitFor('3 completions', async () => (await countsOf(port, q)).completed === 3)
    t.same(await countsOf(port, q), { waiting: 0, delayed: 0, active: 0, completed: 3, failed: 0 })
    t.equal(await port.retryFailed(q), 0, 'nothing left')
  })

  t.test('counts per queue and per state; queues() lists known queues', async (t) => {
    const port = open(t)
    const q1 = queueName('counts-a')
    const q2 = queueName('counts-b')
    const q3 = queueName('counts-c')
    await port.add(q1, 'n', data('t1'))
    await port.add(q1, 'n', data('t1'))
    await port.add(q2, 'n', data('t1'), { delay: 60_000 })
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    await port.process(q3, () => held)
    await port.add(q3, 'n', data('t1'))
    await port.add(q3, 'n', data('t1'))
    await waitFor('one active job', async () => (await countsOf(port, q3)).active === 1)
    const all = await port.counts()
    t.same(all[q1], { waiting: 2, delayed: 0, active: 0, completed: 0, failed: 0 })
    t.same(all[q2], { waiting: 0, delayed: 1, active: 0, completed: 0, failed: 0 })
    t.same(all[q3], { waiting: 1, delayed: 0, active: 1, completed: 0, failed: 0 })
    t.same(Object.keys(await port.counts(q1)), [q1], 'one queue when asked for one')
    const names = await port.queues()
    for (const q of [q1, q2, q3]) t.ok(names.includes(q), `${q} is known`)
    const unknown = queueName('never-used')
    t.same(await port.counts(unknown), { [unknown]: { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0 } })
    t.same(await port.schedules(unknown), [])
    t.equal(await port.retryFailed(unknown), 0)
    await port.unschedule(unknown, 'nothing')
    t.notOk((await port.queues()).includes(unknown), 'asking about a queue does not create it')
    await t.rejects(port.counts('no-dot'), /queue name/, 'a malformed name is an error, not an empty queue')
    await t.rejects(port.retryFailed('no-dot'), /queue name/)
    release()
    await waitFor('both done', async () => (await countsOf(port, q3)).completed === 2)
  })
}

tap.test('inline adapter', async (t) => {
  contract(t, (opts) => createInlineQueue(opts))
})

const redisUrl = process.env.TEST_REDIS_URL
if (!redisUrl) {
  tap.skip('redis adapter: TEST_REDIS_URL is not set (e.g. TEST_REDIS_URL=redis://127.0.0.1:6379)', () => {})
} else {
  tap.test('redis adapter', async (t) => {
    const prefix = `sapa-test-${randomBytes(6).toString('hex')}`
    t.teardown(async () => {
      const redis = new Redis(redisUrl)
      let cursor = '0'
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
        cursor = next
        if (keys.length) await redis.del(...keys)
      } while (cursor !== '0')
      await redis.quit()
    })
    contract(t, (opts) => createRedisQueue({ url: redisUrl, prefix, ...opts }))
  })
}
