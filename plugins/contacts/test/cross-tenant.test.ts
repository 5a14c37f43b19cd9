import t from 'tap'
import { sampleFromSchema } from '@sapa/sdk/testing'
import { contactsKernel, importFile, ok } from './support/kernel.ts'

/**
 * Every contacts route, called as tenant B (an admin API key) with tenant A's ids in params,
 * queries and bodies: params with A's ids answer 400/403/404, lists and creates never show A's
 * records, and A's rows are unchanged afterwards.
 */
t.test("tenant B never reaches tenant A's contacts, labels, attributes, segments, notes or imports", async (t) => {
  const { h, tenant: a, manager } = await contactsKernel(t)
  const label = await ok(manager, 'POST', '/api/contacts/labels', { name: 'VIP' })
  await ok(manager, 'POST', '/api/contacts/attributes', { key: 'city', label: 'City', type: 'text' })
  const c1 = await ok(manager, 'POST', '/api/contacts', { name: 'A one', phone: '0812 1111 0001', labelIds: [label.id], attributes: { city: 'Bandung' } })
  const c2 = await ok(manager, 'POST', '/api/contacts', { name: 'A two', phone: '0812 1111 0002' })
  await ok(manager, 'POST', `/api/contacts/${c1.id}/notes`, { body: 'secret note' })
  await ok(manager, 'POST', `/api/contacts/${c2.id}/consent`, { status: 'opted_out' }, 200)
  await ok(manager, 'POST', '/api/contacts/segments', { name: 'A seg', filter: { labels: { any: [label.id] } } })
  await importFile(manager, { data: 'phone,name\n0812 1111 0003,A three\nabc,bad\n' })

  const { db } = h.services
  const tables = ['contacts', 'contact_labels', 'contact_label_links', 'contact_attributes', 'contact_notes', 'contact_consent_events', 'contact_segments', 'contact_merges', 'contact_imports', 'contact_import_errors']
  const snapshot = async () => {
    const out: Record<string, unknown[]> = {}
    for (const table of tables) out[table] = await db(table).where({ tenant_id: a.id }).orderByRaw('1, 2')
    return out
  }
  const aIds = new Set<string>()
  for (const table of tables) {
    const columns = Object.keys(await db(table).columnInfo())
    for (const column of ['id', 'contact_id', 'label_id', 'import_id'].filter((col) => columns.includes(col))) {
      for (const id of await db(table).where({ tenant_id: a.id }).pluck(column)) aIds.add(String(id))
    }
  }
  t.ok(aIds.size >= 9, `tenant A has ${aIds.size} ids to try`)
  const before = await snapshot()

  const b = await h.createTenant()
  const bKey = await h.apiKey(b, 'admin')
  const routes = h.app.sapaRoutes.filter((r) => r.url.startsWith('/api/contacts') && !r.config.public)
  t.ok(routes.length >= 30, `${routes.length} contacts routes`)
  let calls = 0
  for (const route of routes) {
    const params = [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1])
    const ids = [...aIds]
    for (const id of params.length ? ids : ids.slice(0, 4)) {
      const url = params.reduce((u, name) => u.replace(`:${name}`, id), route.url)
      const payload = ['POST', 'PUT', 'PATCH'].includes(route.method) && route.schema.body ? sampleFromSchema(route.schema.body, { uuid: () => id }) : undefined
      const { cursor: _cursor, ...query } = sampleFromSchema(route.schema.querystring, { uuid: () => id, optional: true }) as Record<string, string>
      const res = await bKey.inject({ method: route.method as any, url, payload: payload as any, query })
      calls++
      const where = `${route.method} ${route.url} with A's id ${id}`
      if (params.length) t.ok([400, 403, 404, 415].includes(res.statusCode), `${where} → ${res.statusCode}`, { body: res.body })
      else {
        t.ok(res.statusCode < 500, `${where} → ${res.statusCode}`, { body: res.body })
        for (const leaked of aIds) if (leaked !== id) t.notOk(res.body.includes(leaked), `${where} leaks nothing of A`)
        t.notOk(/A one|A two|secret note|A seg/.test(res.body), `${where} shows no A data`)
      }
    }
  }
  t.ok(calls > routes.length, `${calls} calls`)
  t.same(await snapshot(), before, "tenant A's rows are untouched")
})
