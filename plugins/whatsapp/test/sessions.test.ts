import t from 'tap'
import { createTestKernel, type TestSession } from '@sapa/sdk/testing'
import { until, WHATSAPP } from './support/kernel.ts'
import { portOf, realtimeClient } from '@sapa/sdk/testing'

/** Numbers (sessions) through the API: validation, paging, the connect flows, teardown, caps. */

async function boot(t: Parameters<typeof createTestKernel>[0]) {
  const h = await createTestKernel(t, { plugins: [WHATSAPP] })
  const tenant = await h.createTenant()
  const admin = await h.login(tenant, 'admin')
  return { h, tenant, admin }
}

const api = (s: TestSession) => ({
  create: (body: Record<string, unknown>) => s.inject({ method: 'POST', url: '/api/whatsapp/sessions', payload: body }),
  get: (id: string) => s.inject({ method: 'GET', url: `/api/whatsapp/sessions/${id}` }),
  action: (id: string, action: string, payload?: Record<string, unknown>) =>
    s.inject({ method: 'POST', url: `/api/whatsapp/sessions/${id}/${action}`, ...(payload ? { payload } : {}) }),
  status: async (id: string) => (await s.inject({ method: 'GET', url: `/api/whatsapp/sessions/${id}` })).json(),
})

t.test('create: driver config validated against the driver, with the field named', async (t) => {
  const { admin } = await boot(t)
  const a = api(admin)
  const cases: [string, Record<string, unknown>, string][] = [
    ['failureRate above 1', { failureRate: 2 }, 'config.failureRate'],
    ['unknown key', { colour: 'red' }, 'config.colour'],
    ['phone not E.164', { phone: '0812345' }, 'config.phone'],
    ['nested ackDelays key', { ackDelays: { sentMs: 1 } }, 'config.ackDelays.sentMs'],
    ['connectDelayMs wrong type', { connectDelayMs: 'soon' }, 'config.connectDelayMs'],
  ]
  for (const [label, config, field] of cases) {
    const res = await a.create({ name: 'Bad', driver: 'sandbox', config })
    t.equal(res.statusCode, 400, `${label} → 400`)
    t.equal(res.json().error.code, 'invalid_driver_config', `${label}: invalid_driver_config`)
    t.ok((res.json().error.details as { field: string }[]).some((d) => d.field === field), `${label}: names ${field}`, { details: res.json().error.details })
  }
  const unknownDriver = await a.create({ name: 'x', driver: 'telegram' })
  t.equal(unknownDriver.statusCode, 400, 'a driver outside the enum is refused')

  const ok = await a.create({ name: '  Sales  ', driver: 'sandbox', config: { phone: '+6285700000001', ackDelays: { deliveredMs: 10 } }, settings: { ratePerSecond: 3 } })
  t.equal(ok.statusCode, 201)
  t.match(ok.json(), { name: 'Sales', driver: 'sandbox', status: 'disconnected', connectRequested: false, settings: { ratePerSecond: 3 } })
  t.notOk('config' in ok.json() || 'config_sealed' in ok.json() || 'owner' in ok.json(), 'no driver config or lease internals in the view')
})

t.test('list with a cursor, get, patch', async (t) => {
  const { h, admin } = await boot(t)
  const a = api(admin)
  const ids: string[] = []
  for (const name of ['One', 'Two', 'Three']) ids.push((await a.create({ name, driver: 'sandbox' })).json().id)

  const first = await admin.inject({ method: 'GET', url: '/api/whatsapp/sessions?limit=2' })
  t.equal(first.statusCode, 200)
  t.same(first.json().items.map((s: any) => s.id), ids.slice(0, 2), 'first page: the two oldest')
  t.type(first.json().nextCursor, 'string', 'a cursor to the next page')
  const second = await admin.inject({ method: 'GET', url: `/api/whatsapp/sessions?limit=2&cursor=${encodeURIComponent(first.json().nextCursor)}` })
  t.same(second.json().items.map((s: any) => s.id), ids.slice(2), 'second page: the rest')
  t.equal(second.json().nextCursor, null, 'no further page')
  t.equal((await admin.inject({ method: 'GET', url: '/api/whatsapp/sessions?limit=1000' })).statusCode, 400, 'limit is bounded')

  // Another tenant's list shows nothing of these.
  const other = await h.login(await h.createTenant(), 'admin')
  t.same((await other.inject({ method: 'GET', url: '/api/whatsapp/sessions' })).json().items, [])

  const got = await a.get(ids[1])
  t.match(got.json(), { id: ids[1], name: 'Two' })
  t.equal((await a.get('01a20f3d-015c-700c-a543-b446c6de3bed')).statusCode, 404)
  t.equal((await a.get('not-a-uuid')).statusCode, 400)

  const patched = await admin.inject({ method: 'PATCH', url: `/api/whatsapp/sessions/${ids[1]}`, payload: { name: 'Support', settings: { ratePerSecond: 2 } } })
  t.equal(patched.statusCode, 200)
  t.match(patched.json(), { name: 'Support', settings: { ratePerSecond: 2 } })
  const merged = await admin.inject({ method: 'PATCH', url: `/api/whatsapp/sessions/${ids[1]}`, payload: { settings: { holdMinutes: 5 } } })
  t.same(merged.json().settings, { ratePerSecond: 2, holdMinutes: 5 }, 'settings merge, they do not replace')
  t.equal((await admin.inject({ method: 'PATCH', url: `/api/whatsapp/sessions/${ids[1]}`, payload: {} })).statusCode, 400, 'an empty patch is refused')
  t.equal((await admin.inject({ method: 'PATCH', url: `/api/whatsapp/sessions/${ids[1]}`, payload: { settings: { ratePerSecond: -1 } } })).statusCode, 400)
  t.equal((await admin.inject({ method: 'PATCH', url: `/api/whatsapp/sessions/${ids[1]}`, payload: { driver: 'cloud' } })).statusCode, 400, 'the driver cannot be patched')
})

t.test('connect: disconnected → connecting → connected, over the API and realtime, within a second', async (t) => {
  const { h, admin } = await boot(t)
  const a = api(admin)
  const session = (await a.create({ name: 'Sales', driver: 'sandbox' })).json()
  t.equal(session.status, 'disconnected')
  const rt = await realtimeClient(t, await portOf(h), admin)
  t.match(await rt.subscribe(`session:${session.id}`), { type: 'subscribed' })

  const started = Date.now()
  const res = await a.action(session.id, 'connect')
  t.equal(res.statusCode, 200)
  t.match(res.json(), { status: 'connecting', connectRequested: true })
  const connected = await until(async () => (await a.status(session.id)).status === 'connected', 3000, 5)
  const elapsed = Date.now() - started
  t.ok(connected && elapsed < 1000, `connected ${elapsed} ms after connect (< 1000 ms)`)

  const seen = await until(async () => {
    const statuses = rt.events(`session:${session.id}`, 'status').map((m) => m.data.status)
    return statuses.includes('connected') && statuses
  })
  t.same(seen, ['connecting', 'connected'], 'realtime pushed connecting, then connected')
  const last = rt.events(`session:${session.id}`, 'status').at(-1).data
  t.match(last, { id: session.id, status: 'connected', phone: /^\+\d{8,15}$/, qr: null, pairingCode: null })
  t.notOk('config' in last, 'realtime carries the view, never the config')
  t.match(await a.status(session.id), { status: 'connected', phone: last.phone })
})

t.test('sandbox QR mode: qr through API and realtime, scan connects', async (t) => {
  const { h, admin } = await boot(t)
  const a = api(admin)
  const session = (await a.create({ name: 'QR', driver: 'sandbox', config: { qr: true } })).json()
  const rt = await realtimeClient(t, await portOf(h), admin)
  await rt.subscribe(`session:${session.id}`)
  await a.action(session.id, 'connect')

  const qr = await until(async () => {
    const s = await a.status(session.id)
    return s.status === 'qr' && s
  })
  t.match(qr.qr, new RegExp(`^sandbox:${session.id}:`), 'the API shows the QR value')
  const pushed = await rt.waitFor((m) => m.event === 'status' && m.data.status === 'qr')
  t.equal(pushed?.data.qr, qr.qr, 'realtime pushed the same QR')
  // Waiting does not connect it: only a scan does.
  await new Promise((r) => setTimeout(r, 200))
  t.equal((await a.status(session.id)).status, 'qr', 'still waiting for a scan')

  const scan = await admin.inject({ method: 'POST', url: `/api/whatsapp/sandbox/${session.id}/scan` })
  t.equal(scan.statusCode, 202)
  const connected = await until(async () => {
    const s = await a.status(session.id)
    return s.status === 'connected' && s
  })
  t.equal(connected.qr, null, 'the QR is gone once connected')
  t.ok(await rt.waitFor((m) => m.event === 'status' && m.data.status === 'connected'), 'realtime pushed connected')
})

t.test('pairing code: connect {pairingPhone} shows a code, then connects', async (t) => {
  const { h, admin } = await boot(t)
  const a = api(admin)
  const session = (await a.create({ name: 'Pair', driver: 'sandbox', config: { connectDelayMs: 400 } })).json()
  const rt = await realtimeClient(t, await portOf(h), admin)
  await rt.subscribe(`session:${session.id}`)
  t.equal((await a.action(session.id, 'connect', { pairingPhone: 'abc' })).statusCode, 400, 'a pairing phone must be a phone')
  t.equal((await a.action(session.id, 'connect', { pairingPhone: '0812-3456-7890' })).statusCode, 200)

  const pairing = await until(async () => {
    const s = await a.status(session.id)
    return s.status === 'pairing_code' && s
  })
  t.match(pairing.pairingCode, /^\d{8}$/, 'an 8-digit pairing code through the API')
  const pushed = await rt.waitFor((m) => m.event === 'status' && m.data.status === 'pairing_code')
  t.equal(pushed?.data.pairingCode, pairing.pairingCode, 'and through realtime')
  const connected = await until(async () => {
    const s = await a.status(session.id)
    return s.status === 'connected' && s
  })
  t.equal(connected.pairingCode, null, 'the code is gone once connected')
  await rt.waitFor((m) => m.event === 'status' && m.data.status === 'connected')
  const statuses = rt.events(`session:${session.id}`, 'status').map((m) => m.data.status)
  t.same(statuses, ['connecting', 'pairing_code', 'connected'], 'realtime in order')
})

t.test('disconnect, reconnect, logout (driver state cleared), delete', async (t) => {
  const { h, admin, tenant } = await boot(t)
  const a = api(admin)
  const { db } = h.services
  const session = (await a.create({ name: 'Sales', driver: 'sandbox' })).json()
  await a.action(session.id, 'connect')
  await until(async () => (await a.status(session.id)).status === 'connected')

  const off = await a.action(session.id, 'disconnect')
  t.equal(off.statusCode, 200)
  t.equal(off.json().connectRequested, false)
  const disconnected = await until(async () => {
    const s = await a.status(session.id)
    return s.status === 'disconnected' && s
  })
  t.equal(disconnected.connectRequested, false)
  // The driver's own "disconnected" can be visible a moment before the supervisor clears the lease.
  const row = await until(async () => {
    const r = await db('whatsapp_sessions').where({ id: session.id }).first()
    return r.owner === null && r
  })
  t.equal(row.owner, null, 'the lease is handed back')
  await new Promise((r) => setTimeout(r, 150))
  t.equal((await a.status(session.id)).status, 'disconnected', 'and it stays disconnected')

  await a.action(session.id, 'connect')
  await until(async () => (await a.status(session.id)).status === 'connected')
  t.pass('a disconnected number connects again')

  // Pretend the driver keeps credentials (Baileys does); logout must forget them.
  const seal = (v: string) => h.kernel.services.secrets.encrypt(v)
  await db('whatsapp_driver_state').insert([
    { tenant_id: tenant.id, session_id: session.id, key: 'creds', value: seal('{"me":"x"}') },
    { tenant_id: tenant.id, session_id: session.id, key: 'app-state-sync-key-1', value: seal('k') },
  ])
  const logout = await a.action(session.id, 'logout')
  t.equal(logout.statusCode, 200)
  await until(async () => (await a.status(session.id)).status === 'logged_out')
  t.equal((await db('whatsapp_driver_state').where({ session_id: session.id })).length, 0, 'driver state rows gone')
  t.equal((await db('whatsapp_sessions').where({ id: session.id }).first()).desired, 'disconnected', 'and it does not reconnect by itself')

  // Logout of a number nobody runs: the state goes too.
  const idle = (await a.create({ name: 'Idle', driver: 'sandbox' })).json()
  await db('whatsapp_driver_state').insert({ tenant_id: tenant.id, session_id: idle.id, key: 'creds', value: seal('{}') })
  await a.action(idle.id, 'logout')
  await until(async () => (await a.status(idle.id)).status === 'logged_out')
  t.equal((await db('whatsapp_driver_state').where({ session_id: idle.id })).length, 0, 'an idle number logs out too')

  // Delete a connected number: it stops, its row and state go.
  await a.action(idle.id, 'connect')
  await until(async () => (await a.status(idle.id)).status === 'connected')
  await db('whatsapp_driver_state').insert({ tenant_id: tenant.id, session_id: idle.id, key: 'creds', value: seal('{}') })
  const del = await admin.inject({ method: 'DELETE', url: `/api/whatsapp/sessions/${idle.id}` })
  t.equal(del.statusCode, 204)
  t.equal((await a.get(idle.id)).statusCode, 404, 'gone from the API')
  t.equal((await db('whatsapp_sessions').where({ id: idle.id })).length, 0)
  t.equal((await db('whatsapp_driver_state').where({ session_id: idle.id })).length, 0, 'its state too')
  t.equal((await admin.inject({ method: 'DELETE', url: `/api/whatsapp/sessions/${idle.id}` })).statusCode, 404, 'a second delete is a 404')
  const sendToDeleted = await admin.inject({ method: 'POST', url: '/api/whatsapp/messages', payload: { sessionId: idle.id, to: '081234567890', type: 'text', text: 'hi' } })
  t.equal(sendToDeleted.statusCode, 404)
})

t.test('per-tenant cap: maxNumbers 1 → the second number is 409 number_limit_reached', async (t) => {
  const { h, admin } = await boot(t)
  const a = api(admin)
  // Warm the enablement cache first: on a cold cache PUT /api/plugins/:name/settings reads outside its
  // own transaction (kernel/plugins/enablement.ts setSettings → isEnabled uses this.db), which waits
  // forever for PGlite's single connection (reported to the kernel owner).
  await admin.inject({ method: 'GET', url: '/api/whatsapp/sessions' })
  const put = await admin.inject({ method: 'PUT', url: '/api/plugins/whatsapp/settings', payload: { maxNumbers: 1 } })
  t.equal(put.statusCode, 200, put.body)
  t.equal((await a.create({ name: 'One', driver: 'sandbox' })).statusCode, 201)
  const second = await a.create({ name: 'Two', driver: 'sandbox' })
  t.equal(second.statusCode, 409)
  t.equal(second.json().error.code, 'number_limit_reached')
  // Concurrent creates cannot both take the last slot.
  await admin.inject({ method: 'PUT', url: '/api/plugins/whatsapp/settings', payload: { maxNumbers: 3 } })
  const burst = await Promise.all([1, 2, 3, 4].map((i) => a.create({ name: `Burst ${i}`, driver: 'sandbox' })))
  t.same(burst.map((r) => r.statusCode).sort(), [201, 201, 409, 409], 'two of four concurrent creates fit')
  t.equal((await h.services.db('whatsapp_sessions').where({ tenant_id: admin.tenant.id })).length, 3)
  // Another tenant has its own cap.
  const other = await h.login(await h.createTenant(), 'admin')
  t.equal((await api(other).create({ name: 'Theirs', driver: 'sandbox' })).statusCode, 201)
})

t.test('sandbox off in server mode: SAPA_WHATSAPP_SANDBOX=false → 400 driver_unavailable', async (t) => {
  const before = process.env.SAPA_WHATSAPP_SANDBOX
  process.env.SAPA_WHATSAPP_SANDBOX = 'false'
  let h
  try {
    h = await createTestKernel(t, { plugins: [WHATSAPP] })
  } finally {
    if (before === undefined) delete process.env.SAPA_WHATSAPP_SANDBOX
    else process.env.SAPA_WHATSAPP_SANDBOX = before
  }
  const admin = await h.login(await h.createTenant(), 'admin')
  const res = await api(admin).create({ name: 'Demo', driver: 'sandbox' })
  t.equal(res.statusCode, 400)
  t.match(res.json().error, { code: 'driver_unavailable', details: { field: 'driver' } })
  t.equal((await h.services.db('whatsapp_sessions')).length, 0, 'nothing written')
})

t.test('permissions: a viewer sees nothing, a junior agent sees but cannot manage', async (t) => {
  const { h, admin, tenant } = await boot(t)
  const session = (await api(admin).create({ name: 'Sales', driver: 'sandbox' })).json()
  const junior = await h.login(tenant, 'junior_agent')
  t.equal((await api(junior).get(session.id)).statusCode, 200)
  t.equal((await api(junior).create({ name: 'x', driver: 'sandbox' })).statusCode, 403)
  t.equal((await api(junior).action(session.id, 'connect')).statusCode, 403)
  t.equal((await junior.inject({ method: 'DELETE', url: `/api/whatsapp/sessions/${session.id}` })).statusCode, 403)
  const guest = await h.login(tenant, 'guest')
  t.equal((await api(guest).get(session.id)).statusCode, 403)
})
