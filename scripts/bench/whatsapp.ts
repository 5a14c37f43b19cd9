// npm run bench -- whatsapp [--quick] [--parts=inbound,outbound,limiter] [--concurrency=16,64] [--inbound=N] [--sends=N] [--http=N] [--http-sends=N] [--latency-seconds=N] [--limiter-seconds=N]
//
// The WhatsApp pipelines on the sandbox driver, each against a baseline measured in the same run:
//   a. inbound: messages stored and published to 100 realtime subscribers, against bare single-row
//      INSERTs of the same rows through pg; then injection → websocket delivery latency at 500 msg/s;
//   b. outbound: sends/s through the whole pipeline (row, per-number queue, driver, status, events)
//      with the limiter off, against the 2,000/s goal;
//   c. limiter accuracy: a number at 10 sends/s over a window, against the exact 10 × seconds.
// Real Postgres and Redis when TEST_DATABASE_URL / TEST_REDIS_URL are set, PGlite and the inline queue otherwise.
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import { performance } from 'node:perf_hooks'
import pg from 'pg'
import { createTestKernel } from '../../kernel/testing/harness.ts'
import { ManualClock } from '../../kernel/clock.ts'
import { newId } from '../../kernel/db/ids.ts'
import { createSandboxDriver } from '../../plugins/whatsapp/server/drivers/sandbox.ts'
import { createInbound } from '../../plugins/whatsapp/server/inbound.ts'
import { createMediaStore } from '../../plugins/whatsapp/server/media.ts'
import type { InboundMessage } from '../../plugins/whatsapp/server/drivers/port.ts'
import type { WhatsAppMessages } from '../../plugins/whatsapp/plugin.ts'
import { cpuPerItem, cpuSeconds, fmt, percentile, table } from './report.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const WHATSAPP = path.join(ROOT, 'plugins/whatsapp')

function option(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`))
  const env = process.env[`BENCH_WA_${name.toUpperCase().replace(/-/g, '_')}`]
  const value = Number(arg ? arg.split('=')[1] : env)
  return Number.isFinite(value) && value > 0 ? value : fallback
}
const QUICK = process.argv.includes('--quick') || process.env.BENCH_WA_QUICK === '1'
const PARTS = new Set((process.argv.find((a) => a.startsWith('--parts='))?.split('=')[1] ?? 'inbound,outbound,limiter').split(','))
const INBOUND = option('inbound', QUICK ? 5000 : 20_000)
const SUBSCRIBERS = option('subscribers', 100)
const LATENCY_SECONDS = option('latency-seconds', QUICK ? 5 : 15)
const LATENCY_RATE = option('latency-rate', 500)
const SENDS = option('sends', QUICK ? 5000 : 20_000)
const HTTP = option('http', 2000)
const HTTP_SENDS = option('http-sends', QUICK ? 2000 : 10_000)
const LIMITER_SECONDS = option('limiter-seconds', QUICK ? 10 : 60)
const LIMITER_RATE = 10
// Messages in flight for the inbound runs (Postgres only; PGlite is one connection): --concurrency=16,64
const CONCURRENCIES = (process.argv.find((a) => a.startsWith('--concurrency='))?.split('=')[1] ?? process.env.BENCH_WA_CONCURRENCY ?? '16,64')
  .split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0)

const now = () => performance.timeOrigin + performance.now()
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The wall clock: sent_at and the limiter window are read from the rows, so time must move. */
class WallClock extends ManualClock {
  override now(): Date {
    return new Date()
  }
}

/** Runs `count` tasks, `concurrency` at a time. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await task(next++)
    }),
  )
}

// ---- realtime subscribers, in a worker thread so parsing 50k frames/s does not sit on the server's thread ----

const SUBSCRIBER_CODE = `
const { parentPort, workerData } = require('node:worker_threads')
const { performance } = require('node:perf_hooks')
const WebSocket = require(workerData.wsPath)
const now = () => performance.timeOrigin + performance.now()
const sockets = []
let received = 0, target = Infinity, latencies = [], record = false, closed = 0
const TEXT = /"text":"m:(\\d+(?:\\.\\d+)?)~"/g
// Every bench message's text ends in '~', a byte no other field of these messages holds: a frame's
// messages are counted with memchr instead of a scan for a string. These clients stand for browsers on
// other machines, so what they cost this machine's two cores should stay small next to the server's.
const MARK = 0x7e
// A websocket message holds one event or an array of those the server had for this socket in one turn.
function onFrame(raw) {
  let count = 0
  for (let at = raw.indexOf(MARK); at !== -1; at = raw.indexOf(MARK, at + 1)) count++
  if (!count) return
  received += count
  if (record) { const t = now(); for (const m of raw.toString().matchAll(TEXT)) latencies.push(t - Number(m[1])) }
  if (received >= target) { target = Infinity; parentPort.postMessage({ type: 'reached', received, at: now() }) }
}
parentPort.on('message', async (msg) => {
  if (msg.type === 'open') {
    let subscribed = 0
    for (let i = 0; i < workerData.clients; i++) {
      const ws = new WebSocket(workerData.url, { headers: { cookie: workerData.cookie }, skipUTF8Validation: true })
      sockets.push(ws)
      ws.on('message', (raw) => {
        if (process.env.BENCH_WA_DEBUG && subscribed < 3) console.log('frame', raw.toString().slice(0, 200))
        if (subscribed < workerData.clients && raw.toString().includes('"type":"subscribed"')) {
          if (++subscribed === workerData.clients) parentPort.postMessage({ type: 'ready' })
          return
        }
        onFrame(raw)
      })
      ws.on('error', (err) => parentPort.postMessage({ type: 'error', message: String(err) }))
      ws.on('close', (code, reason) => { closed++; if (process.env.BENCH_WA_DEBUG) console.log('closed', code, String(reason)) })
      ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', topic: workerData.topic })))
    }
  } else if (msg.type === 'expect') {
    received = 0; latencies = []; record = msg.record; target = msg.total
  } else if (msg.type === 'report') {
    parentPort.postMessage({ type: 'report', received, latencies, closed })
  } else if (msg.type === 'close') {
    for (const ws of sockets) ws.terminate()
    parentPort.postMessage({ type: 'closed' })
  }
})
`

function subscribers(url: string, cookie: string, topic: string, clients: number) {
  // No Origin header: a server-side client, like a load generator (the test kernel's public URL is not this port).
  const worker = new Worker(SUBSCRIBER_CODE, { eval: true, workerData: { url, cookie, topic, clients, wsPath: path.join(ROOT, 'node_modules/ws') } })
  const waiters: { type: string; resolve: (m: any) => void }[] = []
  worker.on('message', (m) => {
    if (m.type === 'error') console.error('subscriber:', m.message)
    const i = waiters.findIndex((w) => w.type === m.type)
    if (i >= 0) waiters.splice(i, 1)[0].resolve(m)
  })
  const next = (type: string, timeoutMs = 120_000) =>
    new Promise<any>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`subscribers: no "${type}" within ${timeoutMs} ms`)), timeoutMs)
      waiters.push({ type, resolve: (m) => (clearTimeout(timer), resolve(m)) })
    })
  return {
    async open() {
      const ready = next('ready', 30_000)
      worker.postMessage({ type: 'open' })
      await ready
    },
    /** Start counting; resolves when `total` frames have arrived (all clients together), or with what came by the timeout. */
    expect(total: number, record: boolean, timeoutMs = 60_000): Promise<{ complete: boolean; at: number; received: number; closed: number }> {
      const reached = next('reached', timeoutMs)
      worker.postMessage({ type: 'expect', total, record })
      return reached.then(
        (m) => ({ complete: true, at: m.at, received: m.received, closed: 0 }),
        async () => {
          const r = await this.report()
          return { complete: false, at: now(), received: r.received, closed: r.closed }
        },
      )
    },
    async report(): Promise<{ received: number; latencies: number[]; closed: number }> {
      const r = next('report')
      worker.postMessage({ type: 'report' })
      return r
    },
    async close() {
      const closed = next('closed', 5000).catch(() => null)
      worker.postMessage({ type: 'close' })
      await closed
      await worker.terminate()
    },
  }
}

export async function run(): Promise<void> {
  const cleanups: (() => unknown)[] = []
  const t = { teardown: (fn: () => unknown) => cleanups.push(fn) }
  const postgres = Boolean(process.env.TEST_DATABASE_URL)
  const redis = Boolean(process.env.TEST_REDIS_URL)
  process.env.SAPA_WHATSAPP_SANDBOX = 'true'
  console.log(
    `whatsapp bench — database: ${postgres ? 'postgres' : 'pglite'}, queue/bus: ${redis ? 'redis (BullMQ, Redis pub/sub)' : 'inline (in-process)'}, ` +
      `node ${process.version}${QUICK ? ', quick run' : ''}\n`,
  )

  const h = await createTestKernel(t, { plugins: [WHATSAPP], clock: new WallClock(), config: { loginRateLimit: { max: 1_000_000, windowMs: 60_000 } } })
  try {
    const tenant = await h.createTenant('wabench')
    const admin = await h.login(tenant, 'admin')
    const port = await h.server.listen(0, '127.0.0.1')
    const plugin = h.services.plugins.get('whatsapp')!
    const ctx = plugin.ctx
    const db = h.services.db

    async function number(name: string, settings: Record<string, number>, config: Record<string, unknown> = {}, connect = true) {
      const created = await admin.inject({ method: 'POST', url: '/api/whatsapp/sessions', payload: { name, driver: 'sandbox', config, settings } })
      if (created.statusCode !== 201) throw new Error(created.body)
      const id = created.json().id as string
      if (!connect) return id
      await admin.inject({ method: 'POST', url: `/api/whatsapp/sessions/${id}/connect` })
      for (let i = 0; i < 400; i++) {
        if ((await db('whatsapp_sessions').where({ id }).first('status')).status === 'connected') return id
        await sleep(25)
      }
      throw new Error(`number ${name} did not connect`)
    }

    if (PARTS.has('inbound')) await inbound()
    if (PARTS.has('outbound')) await outbound()
    if (PARTS.has('limiter')) await limiter()

    // ---- a. inbound -------------------------------------------------------------------------------
    async function inbound() {
      // Connected through the supervisor too (the HTTP reference below reaches its live driver).
      const sessionId = await number('Inbound', { ratePerSecond: 0 })
      // The sandbox driver's own inject, wired to the receive pipeline exactly as the supervisor wires
      // the live driver (events.inbound → inbound.message), on the whatsapp plugin's own context.
      const pipeline = createInbound(ctx, createMediaStore(ctx))
      const driver = createSandboxDriver({
        tenantId: tenant.id,
        sessionId,
        config: {},
        logger: ctx.logger as any,
        now: () => new Date(),
        state: { get: async () => null, getMany: async () => ({}), set: async () => {}, clear: async () => {} },
        events: {
          status: () => {},
          inbound: async (m) => void (await pipeline.message(tenant.id, sessionId, m)),
          ack: async () => {},
        },
      })
      let seq = 0
      const message = (stamp: number): InboundMessage => {
        const i = seq++
        return { providerId: `bench-in-${i}-${newId().slice(-12)}`, from: `+62813${String(i % 5000).padStart(8, '0')}`, fromName: `Customer ${i % 5000}`, timestamp: new Date(), type: 'text', text: `m:${stamp}~` }
      }

      const subs = subscribers(`ws://127.0.0.1:${port}/api/realtime`, admin.cookie, `session:${sessionId}`, SUBSCRIBERS)
      await subs.open()
      cleanups.push(() => subs.close())

      // The baseline: the same rows as bare single-row INSERTs (no RETURNING, no events), same table, same database.
      const columns = ['tenant_id', 'id', 'session_id', 'direction', 'provider_id', 'peer', 'peer_name', 'type', 'text', 'payload', 'reply_to', 'status', 'status_rank', 'created_at', 'updated_at']
      const sql = `insert into whatsapp_messages (${columns.join(', ')}) values (${columns.map((_, i) => `$${i + 1}`).join(', ')})`
      const rowValues = (m: InboundMessage): any[] => [tenant.id, newId(), sessionId, 'in', m.providerId, m.from, m.fromName, m.type, m.text, null, null, 'received', 0, m.timestamp, new Date()]
      async function bare(concurrency: number): Promise<number> {
        const rows = Array.from({ length: INBOUND }, () => rowValues(message(0)))
        if (!postgres) {
          // PGlite is one connection in this process: the bare side is the same raw SQL through knex's PGlite client.
          const knexSql = sql.replace(/\$\d+/g, '?')
          const started = now()
          for (const values of rows) await db.raw(knexSql, values)
          return INBOUND / ((now() - started) / 1000)
        }
        const connection = db.client.config.connection as string | pg.ClientConfig
        const clients = await Promise.all(Array.from({ length: concurrency }, async () => {
          const c = new pg.Client(typeof connection === 'string' ? { connectionString: connection } : connection)
          await c.connect()
          await c.query('select 1')
          return c
        }))
        const started = now()
        let next = 0
        await Promise.all(clients.map(async (c) => {
          while (next < rows.length) await c.query(sql, rows[next++])
        }))
        const rate = INBOUND / ((now() - started) / 1000)
        await Promise.all(clients.map((c) => c.end()))
        return rate
      }
      async function pipelineRun(concurrency: number) {
        const reached = subs.expect(INBOUND * SUBSCRIBERS, false)
        const cpuBefore = cpuSeconds()
        const started = now()
        await pool(INBOUND, concurrency, () => driver.inject(message(0)))
        const stored = now()
        const r = await reached
        if (!r.complete) console.log(`   (delivery incomplete: ${r.received} of ${INBOUND * SUBSCRIBERS} frames; ${r.closed} clients dropped by the server as too slow)`)
        const cpu = cpuPerItem(cpuBefore, cpuSeconds(), INBOUND)
        cpuNotes.push(`${concurrency} at a time: node ${fmt(cpu.node, 3)} ms (the subscribers' thread included), postgres ${fmt(cpu.postgres, 3)} ms, redis ${fmt(cpu.redis, 3)} ms per message`)
        return { stored: INBOUND / ((stored - started) / 1000), delivered: r.complete ? INBOUND / ((r.at - started) / 1000) : NaN }
      }
      await driver.connect()
      // Warm-up: JIT, pool connections, prepared plans.
      await pool(500, 8, () => driver.inject(message(0)))
      await sleep(300)

      const conc = postgres ? CONCURRENCIES[0] ?? 16 : 1
      const rows: Record<string, string | number>[] = []
      const cpuNotes: string[] = []
      const bare1 = await bare(1)
      const pipe1 = await pipelineRun(1)
      rows.push({ side: 'bare INSERT, 1 connection, sequential', 'msg/s stored': Math.round(bare1), 'msg/s delivered to all 100': '—', 'ratio vs bare (delivered)': '1.00' })
      rows.push({ side: 'pipeline (driver.inject), 1 at a time', 'msg/s stored': Math.round(pipe1.stored), 'msg/s delivered to all 100': Number.isNaN(pipe1.delivered) ? 'incomplete' : Math.round(pipe1.delivered), 'ratio vs bare (delivered)': fmt(pipe1.delivered / bare1) })
      if (postgres) {
        for (const n of CONCURRENCIES) {
          const bareN = await bare(n)
          const pipeN = await pipelineRun(n)
          rows.push({ side: `bare INSERT, ${n} connections`, 'msg/s stored': Math.round(bareN), 'msg/s delivered to all 100': '—', 'ratio vs bare (delivered)': '1.00' })
          rows.push({ side: `pipeline (driver.inject), ${n} at a time`, 'msg/s stored': Math.round(pipeN.stored), 'msg/s delivered to all 100': Number.isNaN(pipeN.delivered) ? 'incomplete' : Math.round(pipeN.delivered), 'ratio vs bare (delivered)': fmt(pipeN.delivered / bareN) })
        }
      }
      console.log(`a. inbound, ${INBOUND} text messages per run, ${SUBSCRIBERS} websocket subscribers on session:<id>, injected through the sandbox driver's inject (same pipeline as POST /sandbox/:id/inbound, without HTTP):`)
      table(rows)
      console.log(`   CPU until delivered: ${cpuNotes.join('; ')}`)

      // Latency: steady LATENCY_RATE msg/s, injection → frame received by each of the 100 clients.
      const total = LATENCY_RATE * LATENCY_SECONDS
      const done = subs.expect(total * SUBSCRIBERS, true)
      const started = now()
      let injected = 0
      const inflight = new Set<Promise<void>>()
      let maxInflight = 0
      while (injected < total) {
        const due = Math.min(total, Math.floor(((now() - started) / 1000) * LATENCY_RATE))
        for (; injected < due; injected++) {
          const p = driver.inject(message(now())).finally(() => inflight.delete(p))
          inflight.add(p)
        }
        maxInflight = Math.max(maxInflight, inflight.size)
        await sleep(2)
      }
      await Promise.all(inflight)
      const rate = total / ((now() - started) / 1000)
      await Promise.race([done, sleep(10_000)])
      const report = await subs.report()
      if (report.closed) console.log(`   ${report.closed} clients were dropped by the server as too slow`)
      const lat = report.latencies.sort((a, b) => a - b)
      console.log(`\n   latency at a steady ${LATENCY_RATE} msg/s for ${LATENCY_SECONDS} s (${Math.round(rate)} msg/s achieved, at most ${maxInflight} in flight), injection → websocket frame at each of ${SUBSCRIBERS} clients:`)
      table([
        {
          frames: `${report.received} of ${total * SUBSCRIBERS}`,
          'p50 ms': fmt(percentile(lat, 50)),
          'p95 ms': fmt(percentile(lat, 95)),
          'p99 ms': fmt(percentile(lat, 99)),
          'max ms': fmt(lat[lat.length - 1] ?? NaN),
          goal: 'p99 < 50 ms',
          'p99 vs goal': fmt(percentile(lat, 99) / 50),
        },
      ])
      // Last (it may overrun slow clients): the HTTP endpoint for reference: POST /api/whatsapp/sandbox/:id/inbound in process (light-my-request: no network).
      {
        const reached = subs.expect(HTTP * SUBSCRIBERS, false)
        const started = now()
        await pool(HTTP, conc, async () => {
          const res = await admin.inject({ method: 'POST', url: `/api/whatsapp/sandbox/${sessionId}/inbound`, payload: { from: '+6281300000001', type: 'text', text: 'm:0~' } })
          if (res.statusCode !== 202) throw new Error(res.body)
        })
        const stored = now()
        const r = await reached
        console.log(
          `   for reference, POST /sandbox/:id/inbound in process, ${conc} at a time: ${Math.round(HTTP / ((stored - started) / 1000))} msg/s answered, ` +
            (r.complete ? `${Math.round(HTTP / ((r.at - started) / 1000))} msg/s delivered to all ${SUBSCRIBERS}` : `delivery incomplete (${r.received} of ${HTTP * SUBSCRIBERS} frames, ${r.closed} clients dropped as too slow)`),
        )
      }

      await driver.disconnect()
      await subs.close()
      cleanups.pop()
      console.log()
    }

    // ---- b. outbound ------------------------------------------------------------------------------
    async function outbound() {
      const sessionId = await number('Outbound', { ratePerSecond: 0 })
      const messages = plugin.services.get('messages') as WhatsAppMessages
      const recipients = Math.min(1000, SENDS)
      // Warm-up on another number (JIT, pool connections, prepared plans, the queue's workers), so the
      // figure is the steady state a running server has, as the inbound part's warm-up does.
      {
        const warm = await number('Outbound warm-up', { ratePerSecond: 0 })
        const count = QUICK ? 500 : 2000
        await pool(count, 32, (i) => messages.send(tenant.id, { sessionId: warm, to: `+62813${String(3_000_000 + (i % recipients)).padStart(8, '0')}`, type: 'text', text: `warm-up ${i}` }))
        const deadline = now() + 120_000
        while (Number((await db('whatsapp_messages').where({ tenant_id: tenant.id, session_id: warm }).where('status_rank', '>=', 2).count('* as c'))[0].c) < count && now() < deadline) await sleep(50)
        await admin.inject({ method: 'POST', url: `/api/whatsapp/sessions/${warm}/disconnect` })
        await sleep(1500) // its receipts, still arriving
      }
      // Round trips to the database per message: a count that CPU contention on a shared machine does not blur.
      let queries = 0
      const onQuery = () => void queries++
      db.on('query', onQuery)
      const cpuBefore = cpuSeconds()
      const started = now()
      await pool(SENDS, 32, (i) => messages.send(tenant.id, { sessionId, to: `+62813${String(1_000_000 + (i % recipients)).padStart(8, '0')}`, type: 'text', text: `outbound ${i}` }))
      const enqueued = now()
      const sentCount = async () => Number((await db('whatsapp_messages').where({ tenant_id: tenant.id, session_id: sessionId }).where('status_rank', '>=', 2).count('* as c'))[0].c)
      let sent = 0
      const deadline = now() + 600_000
      while ((sent = await sentCount()) < SENDS && now() < deadline) await sleep(50)
      const finished = now()
      const cpu = cpuPerItem(cpuBefore, cpuSeconds(), SENDS)
      db.off('query', onQuery)
      const failed = Number((await db('whatsapp_messages').where({ tenant_id: tenant.id, session_id: sessionId, status: 'failed' }).count('* as c'))[0].c)
      const rate = sent / ((finished - started) / 1000)
      console.log(`b. outbound, ${SENDS} text messages to ${recipients} recipients on one sandbox number, limiter off (ratePerSecond 0), acks at 200/1000 ms, after a warm-up of ${QUICK ? 500 : 2000} on another number:`)
      table([
        {
          measure: 'first send() → all rows sent',
          'sends/s': Math.round(rate),
          goal: 2000,
          'ratio vs goal': fmt(rate / 2000),
          'enqueue msg/s': Math.round(SENDS / ((enqueued - started) / 1000)),
          seconds: fmt((finished - started) / 1000),
          failed,
          'db queries/msg': fmt(queries / SENDS, 2),
        },
      ])
      // Acks still arriving after the last "sent" are not in these figures (they are part of the run's work).
      console.log(`   CPU per message until all sent: node ${fmt(cpu.node, 3)} ms, postgres ${fmt(cpu.postgres, 3)} ms, redis ${fmt(cpu.redis, 3)} ms — ${fmt(cpu.total, 3)} ms in all; 2 cores allow ${Math.round(2000 / cpu.total)} msg/s at most`)
      if (postgres) {
        await sleep(1500) // the receipts still in flight, and the statistics collector
        const stats = (await db.raw(`select n_tup_upd, n_tup_hot_upd from pg_stat_user_tables where relname = 'whatsapp_messages'`)).rows[0]
        if (stats) console.log(`   row updates done in place (HOT): ${stats.n_tup_hot_upd} of ${stats.n_tup_upd} (${fmt((100 * Number(stats.n_tup_hot_upd)) / Math.max(1, Number(stats.n_tup_upd)), 0)} %)`)
      }
      // For reference, the same through the HTTP API (in process: light-my-request, no network):
      // session auth, RBAC, schema validation, the audit record and the 202 on top of send().
      {
        const count = Math.min(SENDS, HTTP_SENDS)
        const before = await sentCount()
        const started = now()
        await pool(count, 32, async (i) => {
          const res = await admin.inject({ method: 'POST', url: '/api/whatsapp/messages', payload: { sessionId, to: `+62813${String(2_000_000 + (i % recipients)).padStart(8, '0')}`, type: 'text', text: `http ${i}` } })
          if (res.statusCode !== 202) throw new Error(res.body)
        })
        const answered = now()
        while ((await sentCount()) < before + count && now() < deadline) await sleep(50)
        const done = now()
        console.log(`   for reference, POST /api/whatsapp/messages in process, 32 at a time: ${Math.round(count / ((answered - started) / 1000))} requests/s answered (202), ${Math.round(count / ((done - started) / 1000))} sends/s until all ${count} sent`)
      }
      await admin.inject({ method: 'POST', url: `/api/whatsapp/sessions/${sessionId}/disconnect` })
      console.log()
    }

    // ---- c. limiter -------------------------------------------------------------------------------
    async function limiter() {
      const sessionId = await number('Limited', { ratePerSecond: LIMITER_RATE }, { ackDelays: { deliveredMs: 100, readMs: 200 } })
      const messages = plugin.services.get('messages') as WhatsAppMessages
      const total = LIMITER_RATE * LIMITER_SECONDS + 3 * LIMITER_RATE // never runs dry inside the window
      await pool(total, 16, (i) => messages.send(tenant.id, { sessionId, to: `+62813${String(2_000_000 + (i % 50)).padStart(8, '0')}`, type: 'text', text: `limited ${i}` }))
      const first = async () => (await db('whatsapp_messages').where({ session_id: sessionId }).whereNotNull('sent_at').min('sent_at as t').first())?.t as Date | null
      let t0: Date | null = null
      for (let i = 0; i < 200 && !(t0 = await first()); i++) await sleep(25)
      if (!t0) throw new Error('nothing was sent on the limited number')
      const windowEnd = new Date(t0.getTime() + LIMITER_SECONDS * 1000)
      await sleep(Math.max(0, windowEnd.getTime() - Date.now()) + 1500)
      const sentAt: Date[] = (await db('whatsapp_messages').where({ session_id: sessionId }).whereNotNull('sent_at').select('sent_at')).map((r: any) => r.sent_at)
      const inWindow = sentAt.filter((d) => d >= t0! && d < windowEnd)
      const perSecond = Array.from({ length: LIMITER_SECONDS }, (_, s) => inWindow.filter((d) => d.getTime() - t0!.getTime() >= s * 1000 && d.getTime() - t0!.getTime() < (s + 1) * 1000).length)
      const expected = LIMITER_RATE * LIMITER_SECONDS
      const within = (n: number, goal: number) => Math.abs(n - goal) <= goal * 0.05
      console.log(`c. limiter, ratePerSecond ${LIMITER_RATE} over ${LIMITER_SECONDS} s (window from the first send), ${total} queued:`)
      table([
        {
          measure: 'sends in the window',
          measured: inWindow.length,
          expected,
          ratio: fmt(inWindow.length / expected, 3),
          'within ±5 %': within(inWindow.length, expected) ? 'yes' : 'NO',
        },
        {
          measure: 'sends per 1 s bucket (min / max)',
          measured: `${Math.min(...perSecond)} / ${Math.max(...perSecond)}`,
          expected: LIMITER_RATE,
          ratio: `${fmt(Math.min(...perSecond) / LIMITER_RATE, 2)} / ${fmt(Math.max(...perSecond) / LIMITER_RATE, 2)}`,
          'within ±5 %': perSecond.every((n) => within(n, LIMITER_RATE)) ? 'yes' : `${perSecond.filter((n) => within(n, LIMITER_RATE)).length} of ${perSecond.length} buckets`,
        },
      ])
      console.log(`   per second: ${perSecond.join(' ')}`)
      await admin.inject({ method: 'POST', url: `/api/whatsapp/sessions/${sessionId}/disconnect` })
    }
  } finally {
    for (const fn of cleanups.reverse()) await fn()
  }
}
