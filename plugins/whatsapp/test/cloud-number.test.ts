import t from 'tap'
import { createHmac } from 'node:crypto'
import { createTestKernel } from '@sapa/sdk/testing'
import { startFakeGraph } from './support/fake-graph.ts'
import { WHATSAPP, until } from './support/kernel.ts'

/** A Cloud API number end to end: the kernel routes, the driver and a fake Graph server. */
t.test('a cloud number: connect, send, webhook handshake, signed deliveries', async (t) => {
  const graph = await startFakeGraph()
  t.teardown(() => graph.close())
  const previous = process.env.SAPA_WHATSAPP_GRAPH_URL
  process.env.SAPA_WHATSAPP_GRAPH_URL = graph.url
  t.teardown(() => {
    if (previous === undefined) delete process.env.SAPA_WHATSAPP_GRAPH_URL
    else process.env.SAPA_WHATSAPP_GRAPH_URL = previous
  })
  graph.on('GET', /\/v21\.0\/1111$/, { json: { display_phone_number: '+62 811-0000-0001', verified_name: 'Toko', id: '1111' } })
  graph.on('POST', '/v21.0/1111/messages', (req) => ({ json: { messaging_product: 'whatsapp', contacts: [{ wa_id: '6281234567890' }], messages: [{ id: `wamid.out.${graph.requests.length}` }] } }))

  const h = await createTestKernel(t, { plugins: [WHATSAPP] })
  const tenant = await h.createTenant()
  const admin = await h.login(tenant, 'admin')
  const config = { phoneNumberId: '1111', accessToken: 'EAAG-secret-token', appSecret: 'app-secret-0123456789', verifyToken: 'verify-me' }

  const withGraphUrl = await admin.inject({ method: 'POST', url: '/api/whatsapp/sessions', payload: { name: 'Cloud', driver: 'cloud', config: { ...config, graphBaseUrl: 'http://10.0.0.1/' } } })
  t.equal(withGraphUrl.statusCode, 400, 'a workspace cannot point the token at another Graph address')
  t.match(withGraphUrl.json().error, { code: 'invalid_driver_config', details: [{ field: 'config.graphBaseUrl' }] })

  const created = await admin.inject({ method: 'POST', url: '/api/whatsapp/sessions', payload: { name: 'Cloud', driver: 'cloud', config } })
  t.equal(created.statusCode, 201)
  const session = created.json()
  t.notMatch(created.body, /EAAG-secret-token|app-secret/, 'secrets never come back')
  const stored = await h.services.db('whatsapp_sessions').where({ id: session.id }).first()
  t.notMatch(stored.config_sealed, /EAAG-secret-token/, 'stored encrypted')

  await admin.inject({ method: 'POST', url: `/api/whatsapp/sessions/${session.id}/connect` })
  const connected = await until(async () => {
    const s = (await admin.inject({ method: 'GET', url: `/api/whatsapp/sessions/${session.id}` })).json()
    return s.status === 'connected' && s
  })
  t.equal(connected.phone, '+6281100000001')
  const listed = await admin.inject({ method: 'GET', url: '/api/whatsapp/sessions' })
  t.notMatch(listed.body + JSON.stringify(connected), /EAAG-secret-token|app-secret|verify-me/, 'nor in the list or a connected number')

  const sent = await admin.inject({ method: 'POST', url: '/api/whatsapp/messages', payload: { sessionId: session.id, to: '081234567890', type: 'text', text: 'Halo dari Cloud' } })
  t.equal(sent.statusCode, 202)
  const out = await until(async () => {
    const m = (await admin.inject({ method: 'GET', url: `/api/whatsapp/messages/${sent.json().id}` })).json()
    return m.status === 'sent' && m
  })
  const request = graph.requests.find((r) => r.path === '/v21.0/1111/messages')!
  t.match(request.json, { messaging_product: 'whatsapp', to: '6281234567890', type: 'text', text: { body: 'Halo dari Cloud' } })
  t.equal(request.headers.authorization, 'Bearer EAAG-secret-token')

  const hook = `/api/whatsapp/cloud/${session.id}/webhook`
  const challenge = await h.inject({ method: 'GET', url: `${hook}?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=12345` })
  t.equal(challenge.statusCode, 200)
  t.equal(challenge.body, '12345')
  t.equal((await h.inject({ method: 'GET', url: `${hook}?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1` })).statusCode, 403)

  const delivery = {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: 'waba',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '6281100000001', phone_number_id: '1111' },
              contacts: [{ profile: { name: 'Sari' }, wa_id: '6281298765432' }],
              messages: [{ from: '6281298765432', id: 'wamid.in.1', timestamp: '1795550000', type: 'text', text: { body: 'Kak, stok ada?' } }],
              statuses: [{ id: out.providerId, status: 'read', timestamp: '1795550001', recipient_id: '6281234567890' }],
            },
          },
        ],
      },
    ],
  }
  const body = JSON.stringify(delivery)
  const sign = (raw: string, secret = config.appSecret) => 'sha256=' + createHmac('sha256', secret).update(raw).digest('hex')
  const count = async () => (await h.services.db('whatsapp_messages').where({ direction: 'in' }).count('* as c'))[0].c

  const unsigned = await h.inject({ method: 'POST', url: hook, headers: { 'content-type': 'application/json' }, payload: body })
  t.equal(unsigned.statusCode, 401, 'no signature → 401')
  const forged = await h.inject({ method: 'POST', url: hook, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body, 'other-secret') }, payload: body })
  t.equal(forged.statusCode, 401, 'wrong signature → 401')
  const reserialised = JSON.stringify(delivery, null, 2)
  t.equal((await h.inject({ method: 'POST', url: hook, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body) }, payload: reserialised })).statusCode, 401, 'the signature covers the raw bytes')
  t.equal(await count(), 0, 'nothing stored')

  const ok = await h.inject({ method: 'POST', url: hook, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body) }, payload: body })
  t.equal(ok.statusCode, 200)
  t.same(ok.json(), { received: 1, statuses: 1 })
  await h.inject({ method: 'POST', url: hook, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body) }, payload: body })
  t.equal(await count(), 1, 'a redelivery is stored once')
  const inbound = await h.services.db('whatsapp_messages').where({ direction: 'in' }).first()
  t.match(inbound, { peer: '+6281298765432', peer_name: 'Sari', text: 'Kak, stok ada?', provider_id: 'wamid.in.1' })
  t.equal((await admin.inject({ method: 'GET', url: `/api/whatsapp/messages/${out.id}` })).json().status, 'read', 'the status callback moved our message to read')
  t.equal((await h.inject({ method: 'POST', url: `/api/whatsapp/cloud/01a20f3d-015c-700c-a543-b446c6de3bed/webhook`, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body) }, payload: body })).statusCode, 404, 'unknown number')
})
