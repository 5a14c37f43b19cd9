import t from 'tap'
import { assertError } from '@sapa/sdk/testing'
import { contactsKernel, ok } from './support/kernel.ts'

t.test('custom attributes: typed, validated, required, deleted everywhere', async (t) => {
  const { h, tenant, manager } = await contactsKernel(t)
  const agent = await h.login(tenant, 'agent')
  const attr = (payload: unknown) => manager.inject({ method: 'POST', url: '/api/contacts/attributes', payload: payload as any })

  const city = await ok(manager, 'POST', '/api/contacts/attributes', { key: 'city', label: 'City', type: 'text' })
  await ok(manager, 'POST', '/api/contacts/attributes', { key: 'spend', label: 'Total spend', type: 'number' })
  await ok(manager, 'POST', '/api/contacts/attributes', { key: 'birthday', label: 'Birthday', type: 'date' })
  const tier = await ok(manager, 'POST', '/api/contacts/attributes', { key: 'tier', label: 'Tier', type: 'select', options: ['Gold', 'Silver'] })
  await ok(manager, 'POST', '/api/contacts/attributes', { key: 'vip', label: 'VIP', type: 'boolean' })
  t.match(tier, { key: 'tier', type: 'select', options: ['Gold', 'Silver'], required: false })

  for (const [payload, status, code] of [
    [{ key: 'city', label: 'Again', type: 'text' }, 409, 'attribute_key_taken'],
    [{ key: '__proto__', label: 'x', type: 'text' }, 400, 'validation_failed'],
    [{ key: 'constructor', label: 'x', type: 'text' }, 400, 'reserved_attribute_key'],
    [{ key: 'phone', label: 'x', type: 'text' }, 400, 'reserved_attribute_key'],
    [{ key: 'Bad Key', label: 'x', type: 'text' }, 400, 'validation_failed'],
    [{ key: 'x', label: 'x', type: 'colour' }, 400, 'validation_failed'],
    [{ key: 'size', label: 'Size', type: 'select' }, 400, 'options_required'],
    [{ key: 'size', label: 'Size', type: 'select', options: ['S', 's'] }, 400, 'options_duplicate'],
    [{ key: 'age', label: 'Age', type: 'number', options: ['1'] }, 400, 'options_not_allowed'],
  ] as [unknown, number, string][]) assertError(t, await attr(payload), status, code, JSON.stringify(payload))
  assertError(t, await agent.inject({ method: 'POST', url: '/api/contacts/attributes', payload: { key: 'zzz', label: 'Z', type: 'text' } }), 403, 'forbidden', 'agents do not define attributes')
  t.equal((await ok(agent, 'GET', '/api/contacts/attributes')).items.length, 5, 'agents can read them')

  const good = { city: 'Bandung', spend: 1250000.5, birthday: '1990-02-28', tier: 'gold', vip: true }
  const c = await ok(agent, 'POST', '/api/contacts', { phone: '0812 9999 0000', attributes: good })
  t.same(c.attributes, { city: 'Bandung', spend: 1250000.5, birthday: '1990-02-28', tier: 'Gold', vip: true }, 'select value takes the option’s spelling')

  const count = async () => JSON.stringify((await h.services.db('contacts').where({ tenant_id: tenant.id }).select('attributes', 'updated_at')))
  const before = await count()
  for (const [attributes, code] of [
    [{ spend: '1000' }, 'invalid_attribute_value'],
    [{ spend: 'lots' }, 'invalid_attribute_value'],
    [{ birthday: '1990-02-30' }, 'invalid_attribute_value'],
    [{ birthday: '28/02/1990' }, 'invalid_attribute_value'],
    [{ tier: 'Bronze' }, 'invalid_attribute_value'],
    [{ vip: 'yes' }, 'invalid_attribute_value'],
    [{ city: 42 }, 'invalid_attribute_value'],
    [{ unknown: 'x' }, 'unknown_attribute'],
  ] as [Record<string, unknown>, string][]) {
    const res = await agent.inject({ method: 'PATCH', url: `/api/contacts/${c.id}`, payload: { attributes } })
    assertError(t, res, 400, code, JSON.stringify(attributes))
    t.match(res.json().error.details.field, /^attributes\./, 'names the field')
  }
  assertError(t, await agent.inject({ method: 'PATCH', url: `/api/contacts/${c.id}`, payload: { attributes: { city: 'x'.repeat(1001) } } }), 400, 'validation_failed')
  t.equal(await count(), before, 'nothing written by bad values')

  // Merge semantics: set one, clear one, keep the rest.
  const patched = await ok(agent, 'PATCH', `/api/contacts/${c.id}`, { attributes: { city: 'Surabaya', vip: null } })
  t.same(patched.attributes, { city: 'Surabaya', spend: 1250000.5, birthday: '1990-02-28', tier: 'Gold' })

  // Required: new contacts need it, existing ones cannot drop it.
  await ok(manager, 'PATCH', `/api/contacts/attributes/${city.id}`, { required: true })
  assertError(t, await agent.inject({ method: 'POST', url: '/api/contacts', payload: { phone: '0812 7777 0000' } }), 400, 'attribute_required')
  assertError(t, await agent.inject({ method: 'PATCH', url: `/api/contacts/${c.id}`, payload: { attributes: { city: null } } }), 400, 'attribute_required')
  await ok(agent, 'POST', '/api/contacts', { phone: '0812 7777 0000', attributes: { city: 'Medan' } })

  // Key and type are fixed; label and options change.
  assertError(t, await manager.inject({ method: 'PATCH', url: `/api/contacts/attributes/${tier.id}`, payload: { type: 'text' } }), 400, 'attribute_type_immutable')
  t.same((await ok(manager, 'PATCH', `/api/contacts/attributes/${tier.id}`, { options: ['Gold', 'Silver', 'Bronze'], label: 'Level' })).options, ['Gold', 'Silver', 'Bronze'])

  // Deleting an attribute removes its values everywhere.
  t.equal((await manager.inject({ method: 'DELETE', url: `/api/contacts/attributes/${tier.id}` })).statusCode, 204)
  t.notOk('tier' in (await ok(agent, 'GET', `/api/contacts/${c.id}`)).attributes)
  assertError(t, await manager.inject({ method: 'DELETE', url: `/api/contacts/attributes/${tier.id}` }), 404, 'attribute_not_found')

  // Another tenant's attribute is a 404.
  const other = await h.createTenant()
  const otherManager = await h.login(other, 'manager')
  assertError(t, await otherManager.inject({ method: 'PATCH', url: `/api/contacts/attributes/${city.id}`, payload: { label: 'x' } }), 404, 'attribute_not_found')
  assertError(t, await otherManager.inject({ method: 'DELETE', url: `/api/contacts/attributes/${city.id}` }), 404, 'attribute_not_found')
  t.same((await ok(otherManager, 'GET', '/api/contacts/attributes')).items, [])
})

t.test('labels: CRUD, on contacts, filter, case-insensitive names', async (t) => {
  const { h, tenant, manager } = await contactsKernel(t)
  const agent = await h.login(tenant, 'agent')
  const vip = await ok(agent, 'POST', '/api/contacts/labels', { name: 'VIP', color: '#ff0000' })
  const lead = await ok(agent, 'POST', '/api/contacts/labels', { name: 'Lead' })
  assertError(t, await agent.inject({ method: 'POST', url: '/api/contacts/labels', payload: { name: 'vip' } }), 409, 'label_name_taken')
  assertError(t, await agent.inject({ method: 'POST', url: '/api/contacts/labels', payload: { name: 'X', color: 'red' } }), 400, 'validation_failed')
  assertError(t, await agent.inject({ method: 'PATCH', url: `/api/contacts/labels/${lead.id}`, payload: { name: 'VIP' } }), 409, 'label_name_taken')

  const a = await ok(agent, 'POST', '/api/contacts', { phone: '0812 1000 0001', labelIds: [vip.id] })
  const b = await ok(agent, 'POST', '/api/contacts', { phone: '0812 1000 0002' })
  t.same(a.labels, [{ id: vip.id, name: 'VIP', color: '#ff0000' }])
  const withBoth = await ok(agent, 'POST', `/api/contacts/${b.id}/labels`, { labelIds: [vip.id, lead.id] }, 200)
  t.same(withBoth.labels.map((l: any) => l.name), ['Lead', 'VIP'])
  await ok(agent, 'POST', `/api/contacts/${b.id}/labels`, { labelIds: [vip.id] }, 200) // adding twice is fine
  const withOne = await ok(agent, 'DELETE', `/api/contacts/${b.id}/labels/${vip.id}`)
  t.same(withOne.labels.map((l: any) => l.name), ['Lead'])
  assertError(t, await agent.inject({ method: 'DELETE', url: `/api/contacts/${b.id}/labels/${vip.id}` }), 404, 'label_not_on_contact')

  t.same((await ok(agent, 'GET', `/api/contacts?label=${vip.id}`)).items.map((c: any) => c.id), [a.id], 'filter by label id')
  t.same((await ok(agent, 'GET', '/api/contacts?label=lead')).items.map((c: any) => c.id), [b.id], 'filter by label name')
  t.same((await ok(agent, 'GET', '/api/contacts?label=nope')).items, [], 'unknown label name: nothing')
  const labels = await ok(agent, 'GET', '/api/contacts/labels')
  t.same(labels.items.map((l: any) => [l.name, l.contacts]), [['Lead', 1], ['VIP', 1]])

  await ok(agent, 'PATCH', `/api/contacts/labels/${vip.id}`, { name: 'Very Important' })
  t.equal((await ok(agent, 'GET', `/api/contacts/${a.id}`)).labels[0].name, 'Very Important', 'renamed everywhere')
  assertError(t, await agent.inject({ method: 'DELETE', url: `/api/contacts/labels/${vip.id}` }), 403, 'forbidden', 'agents do not delete labels')
  t.equal((await manager.inject({ method: 'DELETE', url: `/api/contacts/labels/${vip.id}` })).statusCode, 204)
  t.same((await ok(agent, 'GET', `/api/contacts/${a.id}`)).labels, [], 'gone from its contacts')

  const other = await h.createTenant()
  const otherAgent = await h.login(other, 'manager')
  assertError(t, await otherAgent.inject({ method: 'PATCH', url: `/api/contacts/labels/${lead.id}`, payload: { name: 'x' } }), 404, 'label_not_found')
  assertError(t, await otherAgent.inject({ method: 'DELETE', url: `/api/contacts/labels/${lead.id}` }), 404, 'label_not_found')
  const theirs = await ok(otherAgent, 'POST', '/api/contacts', { phone: '0812 1000 0001' })
  assertError(t, await otherAgent.inject({ method: 'POST', url: `/api/contacts/${theirs.id}/labels`, payload: { labelIds: [lead.id] } }), 400, 'unknown_label', "another tenant's label")
})
