import t from 'tap'
import { assertError } from '@sapa/sdk/testing'
import type { ContactsDirectory } from '../plugin.ts'
import { contactsKernel, ok } from './support/kernel.ts'

t.test('merge: labels, attributes, notes, history combined; the merged-away id is a 404; the event names both', async (t) => {
  const { h, tenant, manager } = await contactsKernel(t)
  const agent = await h.login(tenant, 'agent')
  const lead = await h.login(tenant, 'team_lead')
  const events: any[] = []
  h.services.bus.onAny((e) => void (e.name === 'contacts.contact.merged' && events.push(e.payload)))
  const vip = await ok(manager, 'POST', '/api/contacts/labels', { name: 'VIP' })
  const reseller = await ok(manager, 'POST', '/api/contacts/labels', { name: 'Reseller' })
  await ok(manager, 'POST', '/api/contacts/attributes', { key: 'city', label: 'City', type: 'text' })
  await ok(manager, 'POST', '/api/contacts/attributes', { key: 'tier', label: 'Tier', type: 'select', options: ['Gold', 'Silver'] })

  const into = await ok(agent, 'POST', '/api/contacts', { name: 'Budi', phone: '0812 1111 0001', labelIds: [vip.id], attributes: { city: 'Bandung' } })
  const from = await ok(agent, 'POST', '/api/contacts', { phone: '0813 2222 0002', email: 'budi@x.id', labelIds: [vip.id, reseller.id], attributes: { city: 'Jakarta', tier: 'Gold' } })
  await ok(agent, 'POST', `/api/contacts/${into.id}/notes`, { body: 'note on into' })
  await ok(agent, 'POST', `/api/contacts/${from.id}/notes`, { body: 'note on from' })
  await ok(agent, 'POST', `/api/contacts/${from.id}/consent`, { status: 'opted_out' }, 200)
  await h.services.db('contacts').where({ id: from.id }).update({ last_contacted_at: new Date('2025-01-01T00:00:00Z'), created_at: new Date('2024-01-01T00:00:00Z') })

  assertError(t, await agent.inject({ method: 'POST', url: `/api/contacts/${into.id}/merge`, payload: { fromId: from.id } }), 403, 'forbidden', 'agents do not merge')
  assertError(t, await lead.inject({ method: 'POST', url: `/api/contacts/${into.id}/merge`, payload: { fromId: into.id } }), 400, 'merge_same_contact')
  assertError(t, await lead.inject({ method: 'POST', url: `/api/contacts/${into.id}/merge`, payload: { fromId: '0190c1a0-0000-7000-8000-000000000000' } }), 404, 'contact_not_found')

  const merged = await ok(lead, 'POST', `/api/contacts/${into.id}/merge`, { fromId: from.id }, 200)
  t.match(merged, { id: into.id, name: 'Budi', phone: '+6281211110001', email: 'budi@x.id', optedOut: true, lastContactedAt: '2025-01-01T00:00:00.000Z', createdAt: '2024-01-01T00:00:00.000Z' })
  t.same(merged.attributes, { city: 'Bandung', tier: 'Gold' }, 'into’s values win, from’s fill the gaps')
  t.same(merged.labels.map((l: any) => l.name), ['Reseller', 'VIP'])
  t.same((await ok(agent, 'GET', `/api/contacts/${into.id}/notes`)).items.map((n: any) => n.body).sort(), ['note on from', 'note on into'])
  const history = (await ok(agent, 'GET', `/api/contacts/${into.id}/consent`)).items
  t.same(history.map((e: any) => [e.status, e.source]), [['opted_out', 'merge'], ['opted_out', 'api']], 'history moved over, plus the merge entry')

  const gone = await agent.inject({ method: 'GET', url: `/api/contacts/${from.id}` })
  assertError(t, gone, 404, 'contact_not_found', 'merged-away id')
  t.equal(gone.json().error.details.mergedInto, into.id, 'and says where it went')
  assertError(t, await agent.inject({ method: 'PATCH', url: `/api/contacts/${from.id}`, payload: { name: 'x' } }), 404, 'contact_not_found')
  await h.services.bus.drain()
  t.same(events, [{ tenantId: tenant.id, fromId: from.id, intoId: into.id }], 'contacts.contact.merged published once')

  // The old phone leads to the surviving contact.
  const directory = h.kernel.services.plugins.resolveService('contacts.directory') as ContactsDirectory
  t.equal((await directory.upsertByPhone(tenant.id, '+6281322220002')).id, into.id, 'the merged-away phone is an alias')
  t.equal(Number((await h.services.db('contacts').where({ tenant_id: tenant.id }).count('* as c'))[0].c), 1)
})

t.test('the directory service (what the inbox and broadcast use)', async (t) => {
  const { h, tenant, manager } = await contactsKernel(t)
  const directory = h.kernel.services.plugins.resolveService('contacts.directory') as ContactsDirectory
  const other = await h.createTenant()

  const created = await directory.upsertByPhone(tenant.id, '0812-3456-7890', { name: 'Budi' })
  t.same(Object.keys(created).sort(), ['email', 'id', 'labels', 'lastContactedAt', 'name', 'optedOut', 'phone'])
  t.match(created, { name: 'Budi', phone: '+6281234567890', email: null, labels: [], optedOut: false, lastContactedAt: null })
  t.equal((await directory.upsertByPhone(tenant.id, '+6281234567890', { name: 'Not Budi' })).name, 'Budi', 'name only fills an empty name')
  const nameless = await directory.upsertByPhone(tenant.id, '+62 857 0000 1111')
  t.equal(nameless.name, null)
  t.equal((await directory.upsertByPhone(tenant.id, '085700001111', { name: 'Sari' })).name, 'Sari', 'fills it when empty')
  await t.rejects(directory.upsertByPhone(tenant.id, 'abc'), { statusCode: 400, code: 'invalid_phone' })
  const theirs = await directory.upsertByPhone(other.id, '0812-3456-7890')
  t.not(theirs.id, created.id, 'same phone, other tenant: another contact')

  // Concurrent upserts of one phone make one contact.
  const racing = await Promise.all(Array.from({ length: 8 }, () => directory.upsertByPhone(tenant.id, '0811 2222 3333', { name: 'Racer' })))
  t.equal(new Set(racing.map((r) => r.id)).size, 1)

  t.same(await directory.get(tenant.id, created.id), created)
  t.equal(await directory.get(other.id, created.id), null, "another tenant's id is null")
  t.equal(await directory.get(tenant.id, 'not-a-uuid'), null)
  const many = await directory.getMany(tenant.id, [nameless.id, created.id, theirs.id, created.id])
  t.same(many.map((m) => m.id), [nameless.id, created.id], 'in order, deduplicated, other tenants left out')

  t.same(await directory.search(tenant.id, '0812 3456', 10), [created.id])
  t.same(await directory.search(tenant.id, 'sari', 10), [nameless.id])
  t.same(await directory.search(other.id, 'budi', 10), [])
  t.same(await directory.search(tenant.id, '', 10), [])

  // Segment members: pages of ids, never opted-out contacts.
  const vip = await ok(manager, 'POST', '/api/contacts/labels', { name: 'VIP' })
  const ids: string[] = []
  for (let i = 0; i < 7; i++) ids.push((await ok(manager, 'POST', '/api/contacts', { phone: `0812 9000 00${10 + i}`, labelIds: [vip.id], optedOut: i === 3 })).id)
  const segment = await ok(manager, 'POST', '/api/contacts/segments', { name: 'VIP', filter: { labels: { any: [vip.id] } } })
  const pages: string[][] = []
  let cursor: string | null = null
  do {
    const p: { ids: string[]; nextCursor: string | null } = await directory.segmentMembers(tenant.id, segment.id, cursor, 2)
    pages.push(p.ids)
    cursor = p.nextCursor
  } while (cursor)
  t.same(pages.flat(), ids.filter((_, i) => i !== 3), 'every member once, in order, the opted-out one left out')
  t.same(pages.map((p) => p.length), [2, 2, 2])
  await t.rejects(directory.segmentMembers(other.id, segment.id, null, 10), { statusCode: 404, code: 'segment_not_found' })
  await t.rejects(directory.segmentMembers(tenant.id, segment.id, 'garbage', 10), { statusCode: 400, code: 'invalid_cursor' })
  t.equal((await directory.getMany(tenant.id, ids)).find((s) => s.id === ids[0])?.labels[0], 'VIP', 'summaries carry label names')
})
