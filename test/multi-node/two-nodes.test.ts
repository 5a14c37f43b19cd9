import t from 'tap'
import path from 'node:path'
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import knex from 'knex'
import WebSocket from 'ws'
import { readFrame } from '../../kernel/realtime/protocol.ts'
import { freePort } from '../../kernel/testing/free-port.ts'
import { writeFileSync } from 'node:fs'
import { defaultSource, writePlugin } from '../plugins/fixtures.ts'

/**
 * Two kernel processes on loopback sharing one Postgres and one Redis: what one node changes,
 * the other honours; what one node publishes, clients of the other receive.
 */
const dbUrl = process.env.TEST_DATABASE_URL
const redisUrl = process.env.TEST_REDIS_URL
const ROOT = path.resolve(import.meta.dirname, '../..')

if (!dbUrl || !redisUrl) {
  t.comment('two-node test skipped: it needs TEST_DATABASE_URL and TEST_REDIS_URL (real Postgres and Redis)')
  t.pass('skipped without real servers')
} else {
  t.test('two nodes share enablement, realtime and plugin code', async (t) => {
    const name = `sapa_nodes_${randomBytes(4).toString('hex')}`
    const admin = knex({ client: 'pg', connection: dbUrl, pool: { min: 0, max: 1 } })
    await admin.raw(`create database "${name}"`)
    const url = new URL(dbUrl)
    url.pathname = `/${name}`
    t.teardown(async () => {
      await admin.raw(`drop database if exists "${name}" with (force)`)
      await admin.destroy()
    })

    const env = {
      ...process.env,
      DATABASE_URL: url.toString(),
      REDIS_URL: redisUrl,
      REDIS_PREFIX: `sapa-nodes-${randomBytes(3).toString('hex')}`,
      APP_SECRET: randomBytes(32).toString('hex'),
      SAPA_PLUGIN_DIRS: path.join(ROOT, 'sdk/examples/hello'),
      SAPA_DEMO: 'true',
      SAPA_DEMO_ADMIN_EMAIL: 'ops@nodes.test',
      SAPA_DEMO_ADMIN_PASSWORD: 'two nodes password',
      LOG_LEVEL: process.env.TWO_NODES_DEBUG ? 'info' : 'warn',
      HOST: '127.0.0.1',
    }
    const children: ChildProcess[] = []
    t.teardown(() => children.forEach((c) => c.kill('SIGTERM')))
    const start = (port: number) =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: ROOT, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] })
        children.push(child)
        let output = ''
        const timer = setTimeout(() => reject(new Error(`node on ${port} did not start:\n${output}`)), 60_000)
        const onData = (chunk: Buffer) => {
          output += chunk
          if (process.env.TWO_NODES_DEBUG) process.stderr.write(`[${port}] ${chunk}`)
          if (output.includes('Sapa is ready')) {
            clearTimeout(timer)
            resolve()
          }
        }
        child.stdout!.on('data', onData)
        child.stderr!.on('data', onData)
        child.once('exit', (code) => reject(new Error(`node on ${port} exited with ${code}:\n${output}`)))
      })
    const [portA, portB] = [await freePort(), await freePort()]
    await start(portA) // A migrates and seeds first; B then finds everything in place
    await start(portB)
    const A = `http://127.0.0.1:${portA}`
    const B = `http://127.0.0.1:${portB}`

    const login = await fetch(`${A}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ops@nodes.test', password: 'two nodes password' }) })
    t.equal(login.status, 200)
    const { csrfToken } = await login.json()
    const cookie = login.headers.get('set-cookie')!.split(';')[0]
    const headers = { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' }
    t.equal((await fetch(`${B}/api/hello/ping`, { headers })).status, 200, 'the session works on B too')

    // A realtime client on B sees an event published on A.
    const socket = new WebSocket(`ws://127.0.0.1:${portB}/api/realtime`, { headers: { cookie, origin: `http://127.0.0.1:${portB}` } })
    const events: any[] = []
    socket.on('message', (m) => events.push(...(readFrame(m as Buffer) as any[])))
    await new Promise((resolve, reject) => {
      socket.once('open', resolve)
      socket.once('error', reject)
    })
    t.teardown(() => socket.close())
    socket.send(JSON.stringify({ type: 'subscribe', topic: 'hello' }))
    for (let i = 0; i < 100 && !events.some((e) => e.type === 'subscribed'); i++) await new Promise((r) => setTimeout(r, 20))
    const sent = Date.now()
    t.equal((await fetch(`${A}/api/hello/pings`, { method: 'POST', headers, body: '{}' })).status, 201)
    for (let i = 0; i < 100 && !events.some((e) => e.event === 'pinged'); i++) await new Promise((r) => setTimeout(r, 20))
    t.ok(events.some((e) => e.topic === 'hello' && e.event === 'pinged'), `event published on A reached B's client (${Date.now() - sent} ms)`)

    // Disabling on A is honoured by B within a second.
    const toggled = await fetch(`${A}/api/plugins/hello/enabled`, { method: 'PUT', headers, body: JSON.stringify({ enabled: false }) })
    t.equal(toggled.status, 200)
    const since = Date.now()
    let status = 0
    while (Date.now() - since < 1000) {
      status = (await fetch(`${B}/api/hello/ping`, { headers })).status
      if (status === 404) break
      await new Promise((r) => setTimeout(r, 25))
    }
    const elapsed = Date.now() - since
    t.equal(status, 404, `B answers plugin_disabled ${elapsed} ms after the toggle on A`)
    t.ok(elapsed < 1000, 'within 1 s')

    // Plugin code installed, reloaded and removed on A: B does the same, from the same folder.
    const dir = writePlugin({ name: 'shipped', version: '1.0.0' })
    const versionOn = async (node: string) => {
      const res = await fetch(`${node}/api/shipped/info`, { headers })
      return res.status === 200 ? ((await res.json()) as { version: string }).version : res.status
    }
    const until = async (node: string, want: string | number) => {
      const since = Date.now()
      let got: string | number = 0
      while (Date.now() - since < 5000 && (got = await versionOn(node)) !== want) await new Promise((r) => setTimeout(r, 25))
      return { got, ms: Date.now() - since }
    }
    t.equal((await fetch(`${A}/api/plugins/install`, { method: 'POST', headers, body: JSON.stringify({ dir }) })).status, 201)
    t.equal(await versionOn(A), '1.0.0')
    let seen = await until(B, '1.0.0')
    t.equal(seen.got, '1.0.0', `installed on A, B serves it ${seen.ms} ms later`)

    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'shipped', version: '2.0.0', type: 'module', sapa: { kernel: '^1' } }))
    writeFileSync(path.join(dir, 'plugin.ts'), defaultSource('shipped', '2.0.0', []))
    t.equal((await fetch(`${A}/api/plugins/shipped/reload`, { method: 'POST', headers, body: '{}' })).status, 200)
    seen = await until(B, '2.0.0')
    t.equal(seen.got, '2.0.0', `reloaded on A, B serves the new code ${seen.ms} ms later`)

    const { 'content-type': _json, ...noBody } = headers
    t.equal((await fetch(`${A}/api/plugins/shipped`, { method: 'DELETE', headers: noBody })).status, 204)
    seen = await until(B, 404)
    t.equal(seen.got, 404, `removed on A, gone from B ${seen.ms} ms later`)
  })
}
