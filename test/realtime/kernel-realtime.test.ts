import t from 'tap'
import path from 'node:path'
import WebSocket from 'ws'
import { createTestKernel, type TestSession } from '../../kernel/testing/harness.ts'
import { readFrame } from '../../kernel/realtime/protocol.ts'

const hello = path.resolve(import.meta.dirname, '../../sdk/examples/hello')

/** A websocket client on the kernel's /api/realtime, authenticated like a browser tab. */
async function connect(port: number, headers: Record<string, string>) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/api/realtime`, { headers })
  const messages: any[] = []
  socket.on('message', (m) => messages.push(...(readFrame(m as Buffer) as any[])))
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)))
  await new Promise((resolve, reject) => {
    socket.once('open', resolve)
    socket.once('error', reject)
  })
  const waitFor = async (match: (m: any) => boolean, ms = 2000) => {
    for (let waited = 0; waited < ms; waited += 20) {
      const found = messages.find(match)
      if (found) return found
      await new Promise((r) => setTimeout(r, 20))
    }
    return undefined
  }
  const subscribe = async (topic: string) => {
    socket.send(JSON.stringify({ type: 'subscribe', topic }))
    return waitFor((m) => m.topic === topic && (m.type === 'subscribed' || m.type === 'error'))
  }
  return { socket, messages, closed, waitFor, subscribe }
}

t.test('the kernel realtime: sessions and keys, plugin topics, tenants apart, deactivation closes', async (t) => {
  const h = await createTestKernel(t, { plugins: [hello] })
  const port = await h.server.listen(0, '127.0.0.1')
  const a = await h.createTenant()
  const b = await h.createTenant()
  const admin = await h.login(a, 'admin')
  const viewer = await h.login(a, 'viewer')
  const guest = await h.login(a, 'guest')
  const other = await h.login(b, 'viewer')
  const cookieOf = (s: TestSession) => ({ cookie: s.cookie })

  const anonymous = new WebSocket(`ws://127.0.0.1:${port}/api/realtime`)
  const anonymousClosed = await new Promise<number>((resolve) => {
    anonymous.on('close', (code) => resolve(code))
    anonymous.on('error', () => resolve(-1))
  })
  t.ok([4401, -1].includes(anonymousClosed), `no credential: refused (${anonymousClosed})`)

  const v = await connect(port, cookieOf(viewer))
  t.match(await v.subscribe('hello'), { type: 'subscribed' }, 'viewer may subscribe to the hello topic')
  const g = await connect(port, cookieOf(guest))
  t.match(await g.subscribe('hello'), { type: 'error', code: 'forbidden' }, 'guest lacks hello.ping.view')
  const o = await connect(port, cookieOf(other))
  t.match(await o.subscribe('hello'), { type: 'subscribed' }, 'a viewer of tenant B subscribes to its own hello topic')
  const key = await h.apiKey(a, 'viewer')
  const k = await connect(port, { authorization: `Bearer ${key.token}` })
  t.match(await k.subscribe('hello'), { type: 'subscribed' }, 'API keys work too')

  // A ping in tenant A reaches A's sockets, never B's.
  t.equal((await viewer.inject({ method: 'POST', url: '/api/hello/pings' })).statusCode, 201)
  t.ok(await v.waitFor((m) => m.topic === 'hello' && m.event === 'pinged'), "A's viewer got the event")
  t.ok(await k.waitFor((m) => m.topic === 'hello' && m.event === 'pinged'), "A's key got the event")
  await new Promise((r) => setTimeout(r, 200))
  t.notOk(o.messages.some((m) => m.event === 'pinged'), "B's socket got nothing")

  // Disabling the plugin for the tenant: its events are no longer delivered to A.
  await admin.inject({ method: 'PUT', url: '/api/plugins/hello/enabled', payload: { enabled: false } })
  await h.services.bus.publish('hello.pinged', { tenantId: a.id, pingId: 'x' })
  await h.services.bus.drain()
  await new Promise((r) => setTimeout(r, 200))
  t.equal(v.messages.filter((m) => m.event === 'pinged').length, 1, 'the disabled plugin handler did not run for A')
  await admin.inject({ method: 'PUT', url: '/api/plugins/hello/enabled', payload: { enabled: true } })

  // Deactivating the viewer closes their socket at once.
  const off = await admin.inject({ method: 'PATCH', url: `/api/users/${viewer.user.id}`, payload: { active: false } })
  t.equal(off.statusCode, 200)
  const code = await Promise.race([v.closed, new Promise<number>((r) => setTimeout(() => r(-2), 3000))])
  t.equal(code, 4401, 'deactivated: socket closed as unauthenticated')

  // Revoking the key closes its socket too (re-check on the next message).
  for (const s of [g, o, k]) s.socket.close()
})
