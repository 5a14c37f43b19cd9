import t from 'tap'
import { until, workspace } from './support/kernel.ts'

t.test('a contact merge re-points conversations (and joins two on the same number)', async (t) => {
  const w = await workspace(t)
  const { admin, h } = w
  await w.inbound('081280000001', 'Halo dari nomor lama', { name: 'Tono' })
  await w.inbound('081280000002', 'Halo dari nomor baru', { name: 'Tono Baru' })
  await w.inbound('081280000003', 'Saya Wati')
  const a = await w.conversationOf('+6281280000001')
  const b = await w.conversationOf('+6281280000002')
  const c = await w.conversationOf('+6281280000003')
  await w.post(admin, `/api/inbox/conversations/${a.id}/status`, { status: 'resolved' })
  await admin.inject({ method: 'PATCH', url: `/api/inbox/conversations/${b.id}`, payload: { addLabels: ['vip'], priority: 'urgent' } })
  await w.idle()

  // B's contact merged into A's: one conversation for (number, A) with both threads.
  const merged = await admin.inject({ method: 'POST', url: `/api/contacts/${a.contact.id}/merge`, payload: { fromId: b.contact.id } })
  t.equal(merged.statusCode, 200, merged.body)
  await until(async () => (await w.get(admin, `/api/inbox/conversations/${b.id}`)).status === 404)
  const now = (await w.get(admin, `/api/inbox/conversations/${a.id}`)).body
  t.match(now, { contact: { id: a.contact.id }, status: 'open', priority: 'urgent', labels: ['vip'], inboundCount: 2 })
  const texts = (await w.thread(a.id)).map((i: any) => i.text)
  t.ok(texts.includes('Halo dari nomor lama') && texts.includes('Halo dari nomor baru'), 'both threads in one')
  t.equal((await h.services.db('inbox_conversations').where({ tenant_id: w.tenant.id, contact_id: b.contact.id }).count('* as n'))[0].n, 0)

  // C's contact merged into a contact with no conversation: the conversation simply moves.
  const d = await admin.inject({ method: 'POST', url: '/api/contacts', payload: { phone: '081280000004', name: 'Wati Lengkap' } })
  t.equal(d.statusCode, 201, d.body)
  t.equal((await admin.inject({ method: 'POST', url: `/api/contacts/${d.json().id}/merge`, payload: { fromId: c.contact.id } })).statusCode, 200)
  const moved = await until(async () => {
    const x = (await w.get(admin, `/api/inbox/conversations/${c.id}`)).body
    return x.contact.id === d.json().id && x
  })
  t.match(moved, { id: c.id, contact: { name: 'Wati Lengkap' } })
  // A contact renamed in the contacts plugin: the conversation shows the new name.
  t.equal((await admin.inject({ method: 'PATCH', url: `/api/contacts/${a.contact.id}`, payload: { name: 'Tono Sutrisno' } })).statusCode, 200)
  await until(async () => (await w.get(admin, `/api/inbox/conversations/${a.id}`)).body.contact.name === 'Tono Sutrisno')
  t.pass('renamed')

  // The customer writes again from the merged contact's number: the same conversation.
  await w.inbound('081280000001', 'masih di sini')
  await until(async () => (await w.thread(a.id)).some((i: any) => i.text === 'masih di sini'))
  t.equal((await w.get(admin, '/api/inbox/conversations')).body.items.length, 2)
})
