import t from 'tap'
import { assertError } from '@sapa/sdk/testing'
import { contactsKernel, ok } from './support/kernel.ts'

t.test('contacts: create, read, update, delete; phones in any format; unique per tenant', async (t) => {
  const { h, tenant, manager } = await contactsKernel(t)
  const agent = await h.login(tenant, 'agent')
  const count = async () => Number((await h.services.db('contacts').where({ tenant_id: tenant.id }).count('* as c'))[0].c)

  // The same number written four ways is one contact.
  const budi = await ok(agent, 'POST', '/api/contacts', { name: ' Budi Santoso ', phone: '0812-3456-7890', email: 'Budi@Example.COM' })
  t.match(budi, { name: 'Budi Santoso', phone: '+6281234567890', email: 'Budi@example.com', optedOut: false, labels: [], attributes: {} })
  t.ok(budi.createdAt && budi.updatedAt, 'times')
  t.equal(budi.lastContactedAt, null)
  for (const phone of ['+62 812-3456-7890', '6281234567890', '081234567890', '(0812) 3456 7890']) {
    const dup = await agent.inject({ method: 'POST', url: '/api/contacts', payload: { phone } })
    assertError(t, dup, 409, 'contact_phone_taken', phone)
    t.equal(dup.json().error.details.contactId, budi.id, 'names the existing contact')
  }
  t.equal(await count(), 1, 'nothing more written')

  // Bad input: each a clear 4xx with a stable code, nothing written.
  const bad: [unknown, number, string][] = [
    [{ phone: 'abc' }, 400, 'invalid_phone'],
    [{ phone: '12' }, 400, 'invalid_phone'],
    [{ phone: '0812 3456 7890 1234 5678' }, 400, 'invalid_phone'],
    [{ phone: '０８１２３４５６７８９０' }, 400, 'invalid_phone'],
    [{ name: 'x' }, 400, 'validation_failed'],
    [{ phone: '0811111111', email: 'not-an-email' }, 400, 'invalid_email'],
    [{ phone: '0811111111', name: 'x'.repeat(256) }, 400, 'validation_failed'],
    [{ phone: '0811111111', extra: 1 }, 400, 'validation_failed'],
    [{ phone: '0811111111', attributes: { nope: 'x' } }, 400, 'unknown_attribute'],
    [{ phone: '0811111111', labelIds: ['0190c1a0-0000-7000-8000-000000000000'] }, 400, 'unknown_label'],
    [{ phone: 811111111 }, 400, 'validation_failed'],
  ]
  for (const [payload, status, code] of bad) assertError(t, await agent.inject({ method: 'POST', url: '/api/contacts', payload: payload as any }), status, code, JSON.stringify(payload))
  t.equal(await count(), 1, 'bad input wrote nothing')

  // Read, update, list.
  t.same(await ok(agent, 'GET', `/api/contacts/${budi.id}`), budi)
  const other = await ok(agent, 'POST', '/api/contacts', { phone: '+1 415 555 2671', name: 'Sam' })
  t.equal(other.phone, '+14155552671', 'a foreign number with its country code')
  const updated = await ok(agent, 'PATCH', `/api/contacts/${budi.id}`, { name: 'Budi S.', email: null })
  t.match(updated, { name: 'Budi S.', email: null, phone: '+6281234567890' })
  t.ok(updated.updatedAt >= budi.updatedAt)
  assertError(t, await agent.inject({ method: 'PATCH', url: `/api/contacts/${budi.id}`, payload: { phone: '+1 (415) 555-2671' } }), 409, 'contact_phone_taken', 'phone change onto another contact')
  assertError(t, await agent.inject({ method: 'PATCH', url: `/api/contacts/${budi.id}`, payload: { phone: 'abc' } }), 400, 'invalid_phone')
  assertError(t, await agent.inject({ method: 'PATCH', url: `/api/contacts/${budi.id}`, payload: {} }), 400, 'validation_failed', 'empty patch')
  t.equal((await ok(agent, 'GET', `/api/contacts/${budi.id}`)).name, 'Budi S.', 'failed patches changed nothing')
  const moved = await ok(agent, 'PATCH', `/api/contacts/${budi.id}`, { phone: '0813 0000 1111' })
  t.equal(moved.phone, '+6281300001111')

  const list = await ok(agent, 'GET', '/api/contacts?limit=1')
  t.equal(list.items.length, 1)
  t.equal(list.items[0].id, other.id, 'newest first')
  const next = await ok(agent, 'GET', `/api/contacts?limit=1&cursor=${list.nextCursor}`)
  t.equal(next.items[0].id, budi.id)
  t.equal(next.nextCursor, null)
  assertError(t, await agent.inject({ method: 'GET', url: '/api/contacts?cursor=bm9wZQ' }), 400, 'invalid_cursor')
  assertError(t, await agent.inject({ method: 'GET', url: '/api/contacts?limit=5000' }), 400, 'validation_failed')

  // Permissions: agents cannot delete; viewers only read; guests see nothing.
  const viewer = await h.login(tenant, 'viewer')
  const guest = await h.login(tenant, 'guest')
  assertError(t, await agent.inject({ method: 'DELETE', url: `/api/contacts/${budi.id}` }), 403, 'forbidden', 'agent delete')
  assertError(t, await viewer.inject({ method: 'POST', url: '/api/contacts', payload: { phone: '0899 1234 5678' } }), 403, 'forbidden', 'viewer create')
  t.equal((await viewer.inject({ method: 'GET', url: '/api/contacts' })).statusCode, 200)
  assertError(t, await guest.inject({ method: 'GET', url: '/api/contacts' }), 403, 'forbidden', 'guest list')

  // Same phone in another tenant is fine; its contacts are invisible here and vice versa (404, not 403).
  const tenantB = await h.createTenant()
  const managerB = await h.login(tenantB, 'manager')
  const budiB = await ok(managerB, 'POST', '/api/contacts', { phone: '0813 0000 1111', name: 'Another Budi' })
  t.equal(budiB.phone, moved.phone, 'same phone, other tenant')
  for (const [method, url, payload] of [
    ['GET', `/api/contacts/${budiB.id}`],
    ['PATCH', `/api/contacts/${budiB.id}`, { name: 'hijack' }],
    ['DELETE', `/api/contacts/${budiB.id}`],
    ['GET', `/api/contacts/${budiB.id}/notes`],
    ['POST', `/api/contacts/${budiB.id}/notes`, { body: 'hi' }],
    ['GET', `/api/contacts/${budiB.id}/consent`],
    ['POST', `/api/contacts/${budiB.id}/consent`, { status: 'opted_out' }],
    ['POST', `/api/contacts/${budi.id}/merge`, { fromId: budiB.id }],
  ] as [any, string, any?][]) {
    assertError(t, await manager.inject({ method, url, payload }), 404, 'contact_not_found', `${method} ${url}`)
  }
  t.equal((await ok(managerB, 'GET', `/api/contacts/${budiB.id}`)).name, 'Another Budi', 'untouched')
  t.same((await ok(manager, 'GET', '/api/contacts?q=Another')).items, [], 'not in the list either')

  // Delete.
  t.equal((await manager.inject({ method: 'DELETE', url: `/api/contacts/${budi.id}` })).statusCode, 204)
  assertError(t, await manager.inject({ method: 'GET', url: `/api/contacts/${budi.id}` }), 404, 'contact_not_found')
  assertError(t, await manager.inject({ method: 'DELETE', url: `/api/contacts/${budi.id}` }), 404, 'contact_not_found')
})

t.test('notes and consent history', async (t) => {
  const { h, tenant, manager } = await contactsKernel(t)
  const agent = await h.login(tenant, 'agent')
  const c = await ok(agent, 'POST', '/api/contacts', { phone: '0812 1111 2222' })
  const note = await ok(agent, 'POST', `/api/contacts/${c.id}/notes`, { body: 'Prefers morning calls' })
  t.match(note, { body: 'Prefers morning calls', authorId: agent.user.id })
  assertError(t, await agent.inject({ method: 'POST', url: `/api/contacts/${c.id}/notes`, payload: { body: '   ' } }), 400, 'note_empty')
  const other = await h.login(tenant, 'agent')
  assertError(t, await other.inject({ method: 'DELETE', url: `/api/contacts/${c.id}/notes/${note.id}` }), 403, 'forbidden', "another agent's note")
  t.equal((await ok(agent, 'GET', `/api/contacts/${c.id}/notes`)).items.length, 1)
  t.equal((await agent.inject({ method: 'DELETE', url: `/api/contacts/${c.id}/notes/${note.id}` })).statusCode, 204)

  const out = await ok(agent, 'POST', `/api/contacts/${c.id}/consent`, { status: 'opted_out', note: 'asked by phone' }, 200)
  t.equal(out.optedOut, true)
  t.ok(out.optedOutAt)
  await ok(agent, 'POST', `/api/contacts/${c.id}/consent`, { status: 'opted_out' }, 200) // no change, no new entry
  const back = await ok(agent, 'PATCH', `/api/contacts/${c.id}`, { optedOut: false })
  t.equal(back.optedOut, false)
  t.equal(back.optedOutAt, null)
  const history = await ok(agent, 'GET', `/api/contacts/${c.id}/consent`)
  t.match(history.items, [{ status: 'opted_in', source: 'api' }, { status: 'opted_out', source: 'api', detail: 'asked by phone', actorId: agent.user.id }])
  t.equal(history.items.length, 2)

  // An opt-out outlives deletion: the same number created again is still opted out.
  await ok(agent, 'POST', `/api/contacts/${c.id}/consent`, { status: 'opted_out' }, 200)
  t.equal((await manager.inject({ method: 'DELETE', url: `/api/contacts/${c.id}` })).statusCode, 204)
  const again = await ok(agent, 'POST', '/api/contacts', { phone: '+6281211112222' })
  t.equal(again.optedOut, true, 'still opted out')
})
