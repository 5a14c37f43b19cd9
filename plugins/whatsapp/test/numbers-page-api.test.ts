import t from 'tap'
import { createTestKernel, portOf, realtimeClient } from '@sapa/sdk/testing'
import { until, WHATSAPP } from './support/kernel.ts'

/** What the numbers page relies on beyond the basic routes: the driver list and a rotating sandbox QR. */

async function boot(t: Parameters<typeof createTestKernel>[0], sandbox: 'true' | 'false') {
  // Read once when the plugin registers: set it for this kernel only.
  const before = process.env.SAPA_WHATSAPP_SANDBOX
  process.env.SAPA_WHATSAPP_SANDBOX = sandbox
  try {
    const h = await createTestKernel(t, { plugins: [WHATSAPP] })
    const tenant = await h.createTenant()
    return { h, tenant, admin: await h.login(tenant, 'admin') }
  } finally {
    if (before === undefined) delete process.env.SAPA_WHATSAPP_SANDBOX
    else process.env.SAPA_WHATSAPP_SANDBOX = before
  }
}

t.test('GET /drivers lists what a new number may use; the sandbox only where it is allowed', async (t) => {
  const on = await boot(t, 'true')
  const listed = await on.admin.inject({ method: 'GET', url: '/api/whatsapp/drivers' })
  t.equal(listed.statusCode, 200)
  t.same(listed.json().items.map((d: { name: string }) => d.name).sort(), ['baileys', 'cloud', 'sandbox'])

  const junior = await on.h.login(on.tenant, 'junior_agent')
  t.equal((await junior.inject({ method: 'GET', url: '/api/whatsapp/drivers' })).statusCode, 200, 'anyone who sees the numbers may ask')
  const viewer = await on.h.login(on.tenant, 'viewer')
  t.equal((await viewer.inject({ method: 'GET', url: '/api/whatsapp/drivers' })).statusCode, 403, 'without whatsapp.session.view: 403')

  const off = await boot(t, 'false')
  const names = (await off.admin.inject({ method: 'GET', url: '/api/whatsapp/drivers' })).json().items.map((d: { name: string }) => d.name)
  t.notOk(names.includes('sandbox'), 'no sandbox when the operator turned it off')
  const refused = await off.admin.inject({ method: 'POST', url: '/api/whatsapp/sessions', payload: { name: 'x', driver: 'sandbox' } })
  t.equal(refused.json().error?.code, 'driver_unavailable', 'and creating one is refused, as the list said')
})

t.test('sandbox qrRefreshMs: a new QR value until scanned, none after', async (t) => {
  const { h, admin } = await boot(t, 'true')
  const bad = await admin.inject({ method: 'POST', url: '/api/whatsapp/sessions', payload: { name: 'Bad', driver: 'sandbox', config: { qr: true, qrRefreshMs: 10 } } })
  t.equal(bad.json().error?.code, 'invalid_driver_config', 'refresh faster than 100 ms is refused')

  const session = (await admin.inject({ method: 'POST', url: '/api/whatsapp/sessions', payload: { name: 'QR', driver: 'sandbox', config: { qr: true, qrRefreshMs: 150 } } })).json()
  const rt = await realtimeClient(t, await portOf(h), admin)
  await rt.subscribe(`session:${session.id}`)
  await admin.inject({ method: 'POST', url: `/api/whatsapp/sessions/${session.id}/connect` })

  const qrs = () => rt.events(`session:${session.id}`, 'status').filter((m) => m.data.status === 'qr').map((m) => m.data.qr as string)
  const seen = await until(async () => qrs().length >= 3 && qrs(), 5000)
  t.equal(new Set(seen).size, seen.length, `every pushed QR is new (${seen.length} so far)`)
  for (const qr of seen) t.match(qr, new RegExp(`^sandbox:${session.id}:`))
  const api = (await admin.inject({ method: 'GET', url: `/api/whatsapp/sessions/${session.id}` })).json()
  t.equal(api.status, 'qr')
  t.ok(qrs().includes(api.qr), 'the API shows one of the pushed values')

  t.equal((await admin.inject({ method: 'POST', url: `/api/whatsapp/sandbox/${session.id}/scan` })).statusCode, 202)
  await rt.waitFor((m) => m.event === 'status' && m.data.status === 'connected')
  const after = qrs().length
  await new Promise((r) => setTimeout(r, 500))
  t.equal(qrs().length, after, 'no QR after the scan')
  t.equal((await admin.inject({ method: 'GET', url: `/api/whatsapp/sessions/${session.id}` })).json().status, 'connected')

  // Disconnecting stops the rotation too: a reconnect starts a fresh one.
  await admin.inject({ method: 'POST', url: `/api/whatsapp/sessions/${session.id}/disconnect` })
  await until(async () => (await admin.inject({ method: 'GET', url: `/api/whatsapp/sessions/${session.id}` })).json().status === 'disconnected')
  const stopped = qrs().length
  await new Promise((r) => setTimeout(r, 400))
  t.equal(qrs().length, stopped, 'no QR while disconnected')
})

t.test('sandbox qr without qrRefreshMs shows one QR and waits', async (t) => {
  const { h, admin } = await boot(t, 'true')
  const session = (await admin.inject({ method: 'POST', url: '/api/whatsapp/sessions', payload: { name: 'QR', driver: 'sandbox', config: { qr: true } } })).json()
  const rt = await realtimeClient(t, await portOf(h), admin)
  await rt.subscribe(`session:${session.id}`)
  await admin.inject({ method: 'POST', url: `/api/whatsapp/sessions/${session.id}/connect` })
  await rt.waitFor((m) => m.event === 'status' && m.data.status === 'qr')
  await new Promise((r) => setTimeout(r, 400))
  t.equal(rt.events(`session:${session.id}`, 'status').filter((m) => m.data.status === 'qr').length, 1, 'one QR, as before')
})

t.test('topic sessions: the workspace sees numbers appear and go, other workspaces do not', async (t) => {
  const { h, tenant, admin } = await boot(t, 'true')
  const junior = await h.login(tenant, 'junior_agent')
  const other = await h.login(await h.createTenant(), 'admin')
  const port = await portOf(h)
  const watching = await realtimeClient(t, port, junior)
  t.match(await watching.subscribe('sessions'), { type: 'subscribed' })
  const stranger = await realtimeClient(t, port, other)
  t.match(await stranger.subscribe('sessions'), { type: 'subscribed' })
  const viewer = await realtimeClient(t, port, await h.login(tenant, 'viewer'))
  t.match(await viewer.subscribe('sessions'), { type: 'error', code: 'forbidden' }, 'without whatsapp.session.view: refused')

  const created = (await admin.inject({ method: 'POST', url: '/api/whatsapp/sessions', payload: { name: 'Toko', driver: 'sandbox' } })).json()
  t.match(await watching.waitFor((m) => m.topic === 'sessions' && m.event === 'created'), { data: { id: created.id, name: 'Toko', status: 'disconnected' } })
  await admin.inject({ method: 'DELETE', url: `/api/whatsapp/sessions/${created.id}` })
  t.match(await watching.waitFor((m) => m.topic === 'sessions' && m.event === 'deleted'), { data: { id: created.id } })
  await new Promise((r) => setTimeout(r, 100))
  t.notOk(stranger.messages.some((m) => m.topic === 'sessions' && m.event), 'another workspace hears nothing')
})
