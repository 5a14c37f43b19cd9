import t from 'tap'
import path from 'node:path'
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import knex from 'knex'
import WebSocket from 'ws'
import { freePort, readFrame } from '@sapa/sdk/testing'

/**
 * Two worker processes (`scripts/start.ts`) on loopback sharing one Postgres and one Redis. A sandbox
 * number runs on one of them; that process is killed with SIGKILL while messages are still queued
 * behind the number's limiter. The other one must take the number over once the lease runs out,
 * and every message must go out exactly once, in order per recipient.
 */
const dbUrl = process.env.TEST_DATABASE_URL
const redisUrl = process.env.TEST_REDIS_URL
const ROOT = path.resolve(import.meta.dirname, '../../..')
const LEASE_MS = 3000
const MESSAGES = 30
const RECIPIENTS = ['+6281200000001', '+6281200000002', '+6281200000003']

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

if (!dbUrl || !redisUrl) {
  t.comment('whatsapp workers test skipped: it needs TEST_DATABASE_URL and TEST_REDIS_URL (real Postgres and Redis)')
  t.pass('skipped without real servers')
} else {
  t.test('a number moves to the surviving worker when its owner is killed; each message goes out once, in order', { timeout: 90_000 }, async (t) => {
    const testStarted = Date.now()
    const name = `sapa_wa_workers_${randomBytes(4).toString('hex')}`
    const admin = knex({ client: 'pg', connection: dbUrl, pool: { min: 0, max: 1 } })
    await admin.raw(`create database "${name}"`)
    const url = new URL(dbUrl)
    url.pathname = `/${name}`
    const db = knex({ client: 'pg', connection: url.toString(), pool: { min: 0, max: 2 } })
    t.teardown(async () => {
      await db.destroy()
      await admin.raw(`drop database if exists "${name}" with (force)`)
      await admin.destroy()
    })

    const env = {
      ...process.env,
      DATABASE_URL: url.toString(),
      REDIS_URL: redisUrl,
      REDIS_PREFIX: `sapa-wa-${randomBytes(3).toString('hex')}`,
      APP_SECRET: randomBytes(32).toString('hex'),
      SAPA_DEMO: 'true',
      SAPA_DEMO_ADMIN_EMAIL: 'ops@workers.test',
      SAPA_DEMO_ADMIN_PASSWORD: 'two workers password',
      SAPA_WHATSAPP_SANDBOX: 'true',
      SAPA_WHATSAPP_LEASE_MS: String(LEASE_MS),
      SAPA_BUILD_UI: 'false',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
    }
    const children: ChildProcess[] = []
    // Always: whatever is still running at the end goes, by its own pid.
    t.teardown(() => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    })
    const start = (port: number) =>
      new Promise<ChildProcess>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: ROOT, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] })
        children.push(child)
        let output = ''
        let ready = false
        const timer = setTimeout(() => reject(new Error(`node on ${port} did not start:\n${output}`)), 30_000)
        const onData = (chunk: Buffer) => {
          output += chunk
          if (output.length > 200_000) output = output.slice(-100_000)
          if (!ready && output.includes('Sapa is ready')) {
            ready = true
            clearTimeout(timer)
            resolve(child)
          }
        }
        child.stdout!.on('data', onData)
        child.stderr!.on('data', onData)
        child.once('exit', (code, signal) => {
          if (!ready) reject(new Error(`node on ${port} exited with ${code ?? signal}:\n${output}`))
        })
      })
    const [portA, portB] = [await freePort(), await freePort()]
    await start(portA) // A migrates and seeds first; B then finds everything in place
    await start(portB)
    const ports = new Map<number, number>(children.map((c, i) => [c.pid!, i === 0 ? portA : portB]))
    t.comment(`two workers ready in ${Date.now() - testStarted} ms`)

    const login = await fetch(`http://127.0.0.1:${portA}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ops@workers.test', password: 'two workers password' }),
    })
    t.equal(login.status, 200, 'signed in')
    const { csrfToken } = await login.json()
    const cookie = login.headers.get('set-cookie')!.split(';')[0]
    const headers = { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' }
    const api = async (port: number, method: string, url: string, body?: unknown) => {
      const res = await fetch(`http://127.0.0.1:${port}/api/whatsapp${url}`, { method, headers, body: body === undefined ? (method === 'GET' ? undefined : '{}') : JSON.stringify(body) })
      return { status: res.status, body: (await res.json().catch(() => null)) as any }
    }

    // A sandbox number with slow acks and 5 sends per second: most of the messages are still queued at the kill.
    const created = await api(portA, 'POST', '/sessions', { name: 'Failover', driver: 'sandbox', config: { ackDelays: { deliveredMs: 300, readMs: 600 } }, settings: { ratePerSecond: 5 } })
    t.equal(created.status, 201, 'number created')
    const sessionId = created.body.id as string
    t.equal((await api(portA, 'POST', `/sessions/${sessionId}/connect`)).status, 200)
    const session = () => db('whatsapp_sessions').where({ id: sessionId }).first()
    const deadline = (ms: number) => Date.now() + ms
    let row: any
    for (const until = deadline(10_000); Date.now() < until; await sleep(50)) {
      row = await session()
      if (row.status === 'connected' && row.owner) break
    }
    t.equal(row.status, 'connected', 'connected')
    const ownerPid = Number(String(row.owner).split(':').at(-2))
    const owner = children.find((c) => c.pid === ownerPid)
    const survivor = children.find((c) => c.pid !== ownerPid)!
    t.ok(owner, `owned by one of the two workers (${row.owner})`)
    if (!owner) return
    const survivorPort = ports.get(survivor.pid!)!

    // Every send the survivor's clients hear about: a message sent twice would show up twice as "sent".
    const socket = new WebSocket(`ws://127.0.0.1:${survivorPort}/api/realtime`, { headers: { cookie, origin: `http://127.0.0.1:${survivorPort}` } })
    t.teardown(() => socket.terminate())
    const events: any[] = []
    socket.on('message', (m) => events.push(...(readFrame(m as Buffer) as any[])))
    await new Promise((resolve, reject) => {
      socket.once('open', resolve)
      socket.once('error', reject)
    })
    socket.send(JSON.stringify({ type: 'subscribe', topic: `session:${sessionId}` }))
    for (const until = deadline(5000); Date.now() < until && !events.some((e) => e.type === 'subscribed'); ) await sleep(20)
    t.ok(events.some((e) => e.type === 'subscribed'), 'subscribed to the number on the survivor')

    // The kill lands while a job is in the middle of a send: the status write after the send of
    // "message 10" stalls in the database (once) until the process is dead, then fails. The row stays
    // "sending" and its job stays in the dead worker's active list until BullMQ's stall check (30-60 s);
    // the messages queued after it to the same recipient must still not overtake it.
    await db.raw(`create sequence wa_test_stall`)
    await db.raw(`create function wa_test_stall() returns trigger language plpgsql as $$
      begin
        if nextval('wa_test_stall') = 1 then
          perform pg_sleep(${(LEASE_MS + 3000) / 1000});
          raise exception 'simulated: the worker died during this write';
        end if;
        return new;
      end $$`)
    await db.raw(`create trigger wa_test_stall before update on whatsapp_messages for each row
      when (new.status = 'sent' and old.status_rank < 2 and new.text = 'message 10') execute function wa_test_stall()`)

    // 30 messages to 3 recipients, interleaved, queued through the survivor's API (any node accepts sends).
    const ids: string[] = []
    for (let i = 0; i < MESSAGES; i++) {
      const res = await api(survivorPort, 'POST', '/messages', { sessionId, to: RECIPIENTS[i % RECIPIENTS.length], type: 'text', text: `message ${i}` })
      if (res.status !== 202) t.fail(`send ${i}: ${res.status} ${JSON.stringify(res.body)}`)
      ids.push(res.body.id)
    }
    const countSent = async () => Number((await db('whatsapp_messages').where({ session_id: sessionId, direction: 'out' }).where('status_rank', '>=', 2).count('* as c'))[0].c)
    const tenth = async () => (await db('whatsapp_messages').where({ session_id: sessionId, text: 'message 10' }).first('status'))?.status
    for (const until = deadline(15_000); Date.now() < until && (await tenth()) !== 'sending'; ) await sleep(10)
    t.equal(await tenth(), 'sending', '"message 10" is being sent')
    await sleep(100) // its send is done, its status write waits in the database
    const sentBefore = await countSent()
    t.ok(sentBefore >= 6 && sentBefore < MESSAGES, `the owner sent ${sentBefore} of ${MESSAGES} before it was killed`)

    const killedAt = Date.now()
    owner.kill('SIGKILL')
    await new Promise((r) => (owner.exitCode !== null || owner.signalCode !== null ? r(null) : owner.once('exit', r)))

    // Takeover: the survivor claims the number once the lease runs out and connects it.
    let takeoverMs = NaN
    for (const until = deadline(LEASE_MS + 10_000); Date.now() < until; await sleep(25)) {
      row = await session()
      if (row.owner && Number(String(row.owner).split(':').at(-2)) === survivor.pid && row.status === 'connected') {
        takeoverMs = Date.now() - killedAt
        break
      }
    }
    const tick = Math.max(250, Math.floor(LEASE_MS / 3))
    t.ok(takeoverMs <= LEASE_MS + tick + 500, `the survivor took the number over ${takeoverMs} ms after the kill (lease ${LEASE_MS} ms + tick ${tick} ms)`)

    // Every message ends up sent; a job that was active on the killed worker comes back through BullMQ's stall check.
    let rows: any[] = []
    for (const until = Math.min(deadline(70_000), testStarted + 85_000); Date.now() < until; await sleep(100)) {
      rows = await db('whatsapp_messages').where({ session_id: sessionId, direction: 'out' }).orderBy('id')
      if (rows.length === MESSAGES && rows.every((r) => r.status_rank >= 2)) break
    }
    const allSentMs = Date.now() - killedAt
    const unsent = rows.filter((r) => r.status_rank < 2 || r.status === 'failed')
    t.same(unsent.map((r) => `${r.text}: ${r.status}`), [], `every message sent (${allSentMs} ms after the kill)`)
    t.comment(`takeover ${takeoverMs} ms after the kill; all ${MESSAGES} sent ${allSentMs} ms after the kill; ${sentBefore} sent before it`)

    t.equal(rows.length, MESSAGES, 'one row per message')
    t.ok(rows.every((r) => ['sent', 'delivered', 'read'].includes(r.status)), 'each row sent, delivered or read')
    t.same(rows.map((r) => r.provider_id), rows.map((r) => `sbx-${r.id}`), 'provider ids are the sandbox ids of our own messages')
    t.equal(new Set(rows.map((r) => r.provider_id)).size, MESSAGES, 'provider ids unique')
    const attempts = rows.map((r) => r.attempts)
    t.ok(attempts.every((a) => a >= 1 && a <= 2), `attempts small: ${attempts.join(',')}`)
    t.equal(rows.find((r) => r.text === 'message 10')?.attempts, 2, '"message 10" was sent again by the survivor (the provider id makes it one message)')

    // Sends as clients saw them: each message reported "sent" once (a second send would publish again).
    await sleep(200)
    const sentEvents = events.filter((e) => e.event === 'message.status' && e.data?.status === 'sent')
    const perMessage = new Map<string, number>()
    for (const e of sentEvents) perMessage.set(e.data.id, (perMessage.get(e.data.id) ?? 0) + 1)
    t.same([...perMessage.entries()].filter(([, n]) => n > 1), [], 'no message was sent twice')

    // In order per recipient: sent_at follows creation order.
    for (const peer of RECIPIENTS) {
      const mine = rows.filter((r) => r.peer === peer).sort((a, b) => (a.created_at - b.created_at) || (a.id < b.id ? -1 : 1))
      const bySent = [...mine].sort((a, b) => a.sent_at - b.sent_at || (a.id < b.id ? -1 : 1))
      t.same(bySent.map((r) => r.text), mine.map((r) => r.text), `${peer}: sent in the order queued`)
    }
    t.ok(Date.now() - testStarted < 90_000, `whole test in ${Date.now() - testStarted} ms`)
  })
}
