import t from 'tap'
import { sandboxNumber, until } from './support/kernel.ts'

t.test('a sandbox number: connect, send with acks, receive once', async (t) => {
  const started = Date.now()
  const { h, admin, session, tenant } = await sandboxNumber(t)
  t.ok(Date.now() - started < 15_000, 'set up')
  const get = (url: string) => admin.inject({ method: 'GET', url }).then((r) => r.json())

  const sent = await admin.inject({ method: 'POST', url: '/api/whatsapp/messages', payload: { sessionId: session.id, to: '0812-3456-7890', type: 'text', text: 'Halo! 👋 مرحبا\u200b' } })
  t.equal(sent.statusCode, 202)
  t.match(sent.json(), { status: 'queued', peer: '+6281234567890' })
  const read = await until(async () => {
    const m = await get(`/api/whatsapp/messages/${sent.json().id}`)
    return m.status === 'read' && m
  })
  t.equal(read.text, 'Halo! 👋 مرحبا\u200b', 'emoji, RTL and zero-width text unchanged')
  t.ok(read.sentAt && read.deliveredAt && read.readAt, 'every tick has a time')

  // A late "delivered" never downgrades "read".
  await h.services.bus.drain()
  const row = await h.services.db('whatsapp_messages').where({ id: read.id }).first()
  t.equal(row.status, 'read')

  // Inbound: the same provider id twice, and at the same moment, is stored once.
  const inject = (id: string) => admin.inject({ method: 'POST', url: `/api/whatsapp/sandbox/${session.id}/inbound`, payload: { from: '+62 812-3456-7890', name: 'Budi', type: 'text', text: 'Saya mau pesan', id } })
  t.equal((await inject('wamid.1')).statusCode, 202)
  await Promise.all([inject('wamid.2'), inject('wamid.2'), inject('wamid.2')])
  await inject('wamid.1')
  const inbound = await until(async () => {
    const list = await get(`/api/whatsapp/messages?sessionId=${session.id}&direction=in`)
    return list.items.length >= 2 && list
  })
  await new Promise((r) => setTimeout(r, 200))
  const again = await get(`/api/whatsapp/messages?sessionId=${session.id}&direction=in`)
  t.equal(again.items.length, 2, 'two distinct messages, each stored once')
  t.match(inbound.items[0], { peer: '+6281234567890', peerName: 'Budi', type: 'text', status: 'received' })

  const other = await h.createTenant()
  const stranger = await h.login(other, 'admin')
  t.equal((await stranger.inject({ method: 'GET', url: `/api/whatsapp/messages/${read.id}` })).statusCode, 404, "another tenant's message is a 404")
  t.equal((await stranger.inject({ method: 'GET', url: `/api/whatsapp/sessions/${session.id}` })).statusCode, 404)
  t.ok(tenant.id)
})

t.test('bad input: each a clear 4xx, nothing written', async (t) => {
  const { h, admin, session } = await sandboxNumber(t)
  const count = async () => (await h.services.db('whatsapp_messages').count('* as c'))[0].c
  const before = await count()
  const cases: [string, Record<string, unknown>, number, string][] = [
    ['letters', { to: 'abc' }, 400, 'invalid_phone'],
    ['full-width digits', { to: '０８１２３４５６７８９０' }, 400, 'invalid_phone'],
    ['too long', { to: '0812345678901234567890' }, 400, 'invalid_phone'],
    ['zero-width inside a number', { to: '0812\u200b34567890' }, 400, 'invalid_phone'],
    ['1 MB of text', { text: 'x'.repeat(1024 * 1024) }, 413, 'payload_too_large'],
    ['4097 characters', { text: 'x'.repeat(4097) }, 400, 'validation_failed'],
    ['empty text', { text: '   ' }, 400, 'text_required'],
    ['unknown field', { colour: 'red' }, 400, 'validation_failed'],
    ['image without media', { type: 'image', text: undefined }, 400, 'media_required'],
    ['unknown number', { sessionId: '01a20f3d-015c-700c-a543-b446c6de3bed' }, 404, 'session_not_found'],
  ]
  for (const [label, change, status, code] of cases) {
    const payload = { sessionId: session.id, to: '081234567890', type: 'text', text: 'hi', ...change }
    const res = await admin.inject({ method: 'POST', url: '/api/whatsapp/messages', payload })
    t.equal(res.statusCode, status, `${label} → ${status}`)
    t.equal(res.json().error?.code, code, `${label}: ${code}`)
  }
  t.equal(await count(), before, 'nothing written')
})
