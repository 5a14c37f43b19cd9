import t from 'tap'
import { CONTACTS, WHATSAPP, contactsKernel, ok, until } from './support/kernel.ts'

t.test('inbound WhatsApp messages: contacts upserted, last contacted, STOP / BERHENTI opt out (through the real whatsapp plugin)', async (t) => {
  const { h, tenant, manager } = await contactsKernel(t, [CONTACTS, WHATSAPP])
  const admin = await h.login(tenant, 'admin')
  const session = await ok(admin, 'POST', '/api/whatsapp/sessions', { name: 'Sales', driver: 'sandbox', config: { ackDelays: { deliveredMs: 30, readMs: 60 } } })
  await admin.inject({ method: 'POST', url: `/api/whatsapp/sessions/${session.id}/connect` })
  await until(async () => (await ok(admin, 'GET', `/api/whatsapp/sessions/${session.id}`)).status === 'connected')
  let n = 0
  const inbound = async (from: string, text: string, name?: string) => {
    const res = await admin.inject({ method: 'POST', url: `/api/whatsapp/sandbox/${session.id}/inbound`, payload: { from, type: 'text', text, name, id: `wamid.t${++n}` } })
    t.equal(res.statusCode, 202, `inbound "${text}"`)
    // The message row is stored, its event handled, the contacts job done.
    await until(async () => (await h.services.db('whatsapp_messages').where({ tenant_id: tenant.id, provider_id: `wamid.t${n}` }).first()))
    await h.services.bus.drain()
    await until(async () => (await h.services.queue.counts('contacts.inbound'))['contacts.inbound']?.completed >= n)
  }
  const contact = async () => (await ok(manager, 'GET', '/api/contacts?q=0812 5555 6666')).items[0]

  await inbound('0812-5555-6666', 'Halo, mau tanya harga', 'Rina')
  const first = await contact()
  t.match(first, { name: 'Rina', phone: '+6281255556666', optedOut: false })
  t.ok(first.lastContactedAt, 'last contacted is set')

  h.clock.advance(60_000)
  await inbound('+62 812 5555 6666', '  Berhenti. ', 'Someone Else')
  const out = await contact()
  t.equal(out.optedOut, true, 'opted out by the keyword (any case, punctuation ignored)')
  t.equal(out.name, 'Rina', 'fromName never overwrites a name')
  t.ok(out.lastContactedAt >= first.lastContactedAt)
  const history = await ok(manager, 'GET', `/api/contacts/${out.id}/consent`)
  t.equal(history.items.length, 1)
  t.match(history.items[0], { status: 'opted_out', source: 'keyword', detail: /BERHENTI/, actorId: null })

  await inbound('6281255556666', 'stop')
  t.equal((await ok(manager, 'GET', `/api/contacts/${out.id}/consent`)).items.length, 1, 'already out: no second entry')
  await inbound('081255556666', 'STOP sending me promos please')
  t.equal((await contact()).optedOut, true, 'a sentence is not a keyword')
  await inbound('081255556666', 'Mulai')
  t.equal((await contact()).optedOut, false, 'START / MULAI opts back in')
  t.match((await ok(manager, 'GET', `/api/contacts/${out.id}/consent`)).items[0], { status: 'opted_in', source: 'keyword' })

  // Keywords are the tenant's settings.
  const put = await admin.inject({ method: 'PUT', url: '/api/plugins/contacts/settings', payload: { optOutKeywords: ['CUKUP'] } })
  t.equal(put.statusCode, 200, put.body)
  await inbound('081255556666', 'berhenti')
  t.equal((await contact()).optedOut, false, 'BERHENTI is no longer a keyword here')
  await inbound('081255556666', 'cukup!')
  t.equal((await contact()).optedOut, true, 'the tenant’s own keyword works')

  // A new sender without a name; one count of contacts per phone however often they write.
  await inbound('0899 1234 5678', 'UNSUBSCRIBE')
  const stranger = (await ok(manager, 'GET', '/api/contacts?q=0899')).items[0]
  t.match(stranger, { name: null, phone: '+6289912345678', optedOut: false }, 'UNSUBSCRIBE is not in this tenant’s list any more')
  t.equal(Number((await h.services.db('contacts').where({ tenant_id: tenant.id }).count('* as c'))[0].c), 2)
})
