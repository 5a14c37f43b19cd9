import t from 'tap'
import { createTestKernel } from '../../kernel/testing/harness.ts'
import { sampleFromSchema } from '../../kernel/testing/sample.ts'

/**
 * Enumerates every registered route and calls it as tenant B with tenant A's ids, so routes
 * added later (plugins included) are covered without editing this file. Tenant B's caller is
 * an admin API key (no CSRF in the way) and is not a platform operator.
 */
t.test('tenant B never reaches tenant A through any route', async (t) => {
  const h = await createTestKernel(t)
  const a = await h.createTenant('tenant-a')
  const b = await h.createTenant('tenant-b')

  // Give tenant A one of everything the kernel owns, through its own API.
  const aAdmin = await h.login(a, 'super_admin')
  const member = await aAdmin.inject({ method: 'POST', url: '/api/users', payload: { email: 'a-agent@example.com', name: 'A agent', role: 'agent', password: 'long enough pw' } })
  t.equal(member.statusCode, 201)
  const role = await aAdmin.inject({ method: 'POST', url: '/api/roles', payload: { name: 'A role', level: 3, template: 'viewer' } })
  t.equal(role.statusCode, 201)
  const key = await aAdmin.inject({ method: 'POST', url: '/api/api-keys', payload: { name: 'A key', role: 'agent' } })
  t.equal(key.statusCode, 201)

  const { db } = h.services
  const tenantTables: string[] = await db('information_schema.columns')
    .where({ column_name: 'tenant_id', table_schema: 'public' })
    .pluck('table_name')
  async function snapshotOfA() {
    const snapshot: Record<string, unknown[]> = {}
    for (const table of tenantTables.sort()) {
      const rows = await db(table).where({ tenant_id: a.id }).orderByRaw('1')
      snapshot[table] = table === 'audit_log' ? rows.length as unknown as unknown[] : rows
    }
    snapshot.tenant = await db('tenants').where({ id: a.id })
    return snapshot
  }
  const aIds = new Set<string>([a.id])
  for (const table of tenantTables) {
    const columns = Object.keys(await db(table).columnInfo())
    for (const column of ['id', 'user_id'].filter((c) => columns.includes(c))) {
      for (const id of await db(table).where({ tenant_id: a.id }).pluck(column)) aIds.add(String(id))
    }
  }
  t.ok(aIds.size >= 5, `tenant A has ids to try (${aIds.size})`)

  const before = await snapshotOfA()
  const bKey = await h.apiKey(b, 'admin') // the highest role a key can get (keys take roles below their creator's)
  const routes = h.app.sapaRoutes.filter((r) => !r.config.public)
  t.ok(routes.length >= 15, `enumerated ${routes.length} authenticated routes`)

  let calls = 0
  for (const route of routes) {
    const paramNames = [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1])
    const ids = [...aIds]
    // Routes without params still get A's ids wherever their body or query takes a uuid.
    for (const id of paramNames.length ? ids : ids.slice(0, 3)) {
      const url = paramNames.reduce((u, name) => u.replace(`:${name}`, id), route.url)
      const payload = ['POST', 'PUT', 'PATCH'].includes(route.method) ? sampleFromSchema(route.schema.body, { uuid: () => id }) : undefined
      // Every filter set, each uuid filter pointing at A (a cursor is opaque, so leave it out).
      const { cursor: _cursor, ...query } = sampleFromSchema(route.schema.querystring, { uuid: () => id, optional: true }) as Record<string, string>
      const res = await bKey.inject({ method: route.method as any, url, payload: payload as any, query })
      calls++
      const where = `${route.method} ${route.url} with A's id ${id}`
      if (paramNames.length) {
        t.ok([400, 403, 404].includes(res.statusCode), `${where} → ${res.statusCode}`, { body: res.body })
      } else {
        t.ok(res.statusCode < 500, `${where} → ${res.statusCode}`)
        // A list or a create as B may succeed, but must never show A's records.
        for (const leaked of aIds) if (leaked !== id) t.notOk(res.body.includes(leaked), `${where} leaks nothing of A`)
      }
    }
  }
  t.ok(calls > routes.length, `${calls} calls made`)
  t.same(await snapshotOfA(), before, "tenant A's rows are untouched (audit count included)")
})
