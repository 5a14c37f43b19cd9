import t from 'tap'
import { assertError } from '@sapa/sdk/testing'
import { contactsKernel, ok } from './support/kernel.ts'

t.test('search: name, email, phone in any format', async (t) => {
  const { manager } = await contactsKernel(t)
  const budi = await ok(manager, 'POST', '/api/contacts', { name: 'Budi Santoso', phone: '0812-3456-7890', email: 'budi@toko.id' })
  const siti = await ok(manager, 'POST', '/api/contacts', { name: 'Siti Rahma', phone: '+62 857 1111 2222', email: 'siti@mail.com' })
  const joe = await ok(manager, 'POST', '/api/contacts', { name: '100%_Joe', phone: '+1 415 555 2671' })
  const find = async (q: string) => (await ok(manager, 'GET', `/api/contacts?q=${encodeURIComponent(q)}`)).items.map((c: any) => c.id).sort()
  const cases: [string, string[]][] = [
    ['budi', [budi.id]],
    ['SANTOSO', [budi.id]],
    ['rahma', [siti.id]],
    ['toko.id', [budi.id]],
    ['@mail', [siti.id]],
    ['0812 3456', [budi.id]],
    ['0812-3456-7890', [budi.id]],
    ['+62 812 3456', [budi.id]],
    ['62812345', [budi.id]],
    ['81234567', [budi.id]],
    ['(0857) 1111', [siti.id]],
    ['7890', [budi.id]],
    ['4155552671', [joe.id]],
    ['100%', [joe.id]],
    ['%', [joe.id]],
    ['_', [joe.id]],
    ['nobody', []],
    ['  ', [budi.id, siti.id, joe.id]],
  ]
  for (const [q, ids] of cases) t.same(await find(q), [...ids].sort(), `q=${JSON.stringify(q)}`)
  assertError(t, await manager.inject({ method: 'GET', url: `/api/contacts?q=${'x'.repeat(201)}` }), 400, 'validation_failed')
})

t.test('segments: saved filters with live counts, used by the list', async (t) => {
  const { h, tenant, manager } = await contactsKernel(t)
  const agent = await h.login(tenant, 'agent')
  const vip = await ok(manager, 'POST', '/api/contacts/labels', { name: 'VIP' })
  const lead = await ok(manager, 'POST', '/api/contacts/labels', { name: 'Lead' })
  await ok(manager, 'POST', '/api/contacts/attributes', { key: 'city', label: 'City', type: 'text' })
  await ok(manager, 'POST', '/api/contacts/attributes', { key: 'spend', label: 'Spend', type: 'number' })
  await ok(manager, 'POST', '/api/contacts/attributes', { key: 'joined', label: 'Joined', type: 'date' })
  await ok(manager, 'POST', '/api/contacts/attributes', { key: 'tier', label: 'Tier', type: 'select', options: ['Gold', 'Silver'] })
  await ok(manager, 'POST', '/api/contacts/attributes', { key: 'vip', label: 'VIP flag', type: 'boolean' })

  const make = (phone: string, extra: Record<string, unknown> = {}) => ok(manager, 'POST', '/api/contacts', { phone, ...extra })
  const a = await make('0812 0000 0001', { labelIds: [vip.id, lead.id], attributes: { city: 'Bandung', spend: 500, joined: '2024-01-10', tier: 'Gold', vip: true } })
  const b = await make('0812 0000 0002', { labelIds: [vip.id], attributes: { city: 'Jakarta', spend: 50, joined: '2023-06-01', tier: 'Silver', vip: false } })
  const c = await make('0812 0000 0003', { labelIds: [lead.id], attributes: { city: 'bandung barat' } })
  const d = await make('0812 0000 0004', { optedOut: true, labelIds: [vip.id] })
  const now = h.clock.now().getTime()
  await h.services.db('contacts').where({ id: a.id }).update({ last_contacted_at: new Date(now - 2 * 86_400_000) })
  await h.services.db('contacts').where({ id: b.id }).update({ last_contacted_at: new Date(now - 40 * 86_400_000) })

  const count = async (filter: unknown) => (await ok(manager, 'POST', '/api/contacts/segments/count', { filter }, 200)).count
  const ids = (list: any) => list.items.map((x: any) => x.id).sort()
  const cases: [unknown, string[]][] = [
    [{}, [a.id, b.id, c.id, d.id]],
    [{ labels: { any: [vip.id] } }, [a.id, b.id, d.id]],
    [{ labels: { all: [vip.id, lead.id] } }, [a.id]],
    [{ labels: { none: [vip.id] } }, [c.id]],
    [{ attributes: [{ key: 'city', op: 'eq', value: 'BANDUNG' }] }, [a.id]],
    [{ attributes: [{ key: 'city', op: 'contains', value: 'bandung' }] }, [a.id, c.id]],
    [{ attributes: [{ key: 'city', op: 'neq', value: 'Bandung' }] }, [b.id, c.id, d.id]],
    [{ attributes: [{ key: 'spend', op: 'gte', value: 100 }] }, [a.id]],
    [{ attributes: [{ key: 'spend', op: 'lt', value: 100 }] }, [b.id]],
    [{ attributes: [{ key: 'spend', op: 'in', value: [50, 500] }] }, [a.id, b.id]],
    [{ attributes: [{ key: 'joined', op: 'gt', value: '2023-12-31' }] }, [a.id]],
    [{ attributes: [{ key: 'tier', op: 'in', value: ['gold', 'Silver'] }] }, [a.id, b.id]],
    [{ attributes: [{ key: 'vip', op: 'eq', value: false }] }, [b.id]],
    [{ attributes: [{ key: 'tier', op: 'unset' }] }, [c.id, d.id]],
    [{ attributes: [{ key: 'tier', op: 'set' }, { key: 'spend', op: 'gt', value: 10 }] }, [a.id, b.id]],
    [{ optedOut: true }, [d.id]],
    [{ optedOut: false, labels: { any: [vip.id] } }, [a.id, b.id]],
    [{ lastContacted: { withinDays: 7 } }, [a.id]],
    [{ lastContacted: { olderThanDays: 30 } }, [b.id, c.id, d.id]],
    [{ lastContacted: { never: true } }, [c.id, d.id]],
    [{ createdWithinDays: 1, q: '0812 0000 000' }, [a.id, b.id, c.id, d.id]],
    [{ q: '00003' }, [c.id]],
  ]
  for (const [filter, expected] of cases) {
    const segment = await ok(manager, 'POST', '/api/contacts/segments', { name: JSON.stringify(filter).slice(0, 100), filter })
    t.equal((await ok(agent, 'GET', `/api/contacts/segments/${segment.id}/count`)).count, expected.length, `count ${JSON.stringify(filter)}`)
    t.same(ids(await ok(agent, 'GET', `/api/contacts?segment=${segment.id}&limit=200`)), [...expected].sort(), `list ${JSON.stringify(filter)}`)
    t.equal(await count(filter), expected.length, `preview ${JSON.stringify(filter)}`)
  }

  // Live: the count follows the contacts.
  const seg = await ok(manager, 'POST', '/api/contacts/segments', { name: 'VIPs', filter: { labels: { any: [vip.id] } } })
  t.same(await ok(agent, 'GET', `/api/contacts/segments/${seg.id}/count`), { count: 3, reachable: 2 }, 'reachable leaves opted-out out')
  await make('0812 0000 0005', { labelIds: [vip.id] })
  t.equal((await ok(agent, 'GET', `/api/contacts/segments/${seg.id}/count`)).count, 4)
  await ok(manager, 'PATCH', `/api/contacts/segments/${seg.id}`, { filter: { labels: { any: [vip.id] }, optedOut: false } })
  t.equal((await ok(agent, 'GET', `/api/contacts/segments/${seg.id}/count`)).count, 3)
  t.equal((await ok(agent, 'GET', `/api/contacts?segment=${seg.id}&q=0001`)).items.length, 1, 'segment and search combine')

  // Bad filters: a 400 naming the field, nothing saved.
  const before = (await ok(agent, 'GET', '/api/contacts/segments?limit=200')).items.length
  for (const [filter, code] of [
    [{ attributes: [{ key: 'nope', op: 'eq', value: 1 }] }, 'unknown_attribute'],
    [{ attributes: [{ key: 'spend', op: 'contains', value: '1' }] }, 'invalid_segment_filter'],
    [{ attributes: [{ key: 'spend', op: 'gt', value: 'ten' }] }, 'invalid_segment_filter'],
    [{ attributes: [{ key: 'joined', op: 'gt', value: '31/12/2023' }] }, 'invalid_segment_filter'],
    [{ attributes: [{ key: 'tier', op: 'eq', value: 'Bronze' }] }, 'invalid_segment_filter'],
    [{ attributes: [{ key: 'tier', op: 'set', value: 'Gold' }] }, 'invalid_segment_filter'],
    [{ attributes: [{ key: 'tier', op: 'in', value: [] }] }, 'invalid_segment_filter'],
    [{ labels: { any: ['0190c1a0-0000-7000-8000-000000000000'] } }, 'unknown_label'],
    [{ colour: 'red' }, 'validation_failed'],
    [{ lastContacted: { withinDays: -1 } }, 'validation_failed'],
  ] as [unknown, string][]) {
    assertError(t, await manager.inject({ method: 'POST', url: '/api/contacts/segments', payload: { name: 'bad', filter } as any }), 400, code, JSON.stringify(filter))
  }
  t.equal((await ok(agent, 'GET', '/api/contacts/segments?limit=200')).items.length, before, 'nothing saved')
  assertError(t, await agent.inject({ method: 'POST', url: '/api/contacts/segments', payload: { name: 'x', filter: {} } }), 403, 'forbidden', 'agents do not manage segments')

  // Another tenant's segment is a 404 everywhere.
  const other = await h.createTenant()
  const stranger = await h.login(other, 'manager')
  for (const [method, url, payload] of [
    ['GET', `/api/contacts/segments/${seg.id}`],
    ['GET', `/api/contacts/segments/${seg.id}/count`],
    ['GET', `/api/contacts?segment=${seg.id}`],
    ['GET', `/api/contacts/export?segment=${seg.id}`],
    ['PATCH', `/api/contacts/segments/${seg.id}`, { name: 'x' }],
    ['DELETE', `/api/contacts/segments/${seg.id}`],
  ] as [any, string, any?][]) assertError(t, await stranger.inject({ method, url, payload }), 404, 'segment_not_found', `${method} ${url}`)
  t.equal((await manager.inject({ method: 'DELETE', url: `/api/contacts/segments/${seg.id}` })).statusCode, 204)
  assertError(t, await manager.inject({ method: 'GET', url: `/api/contacts/segments/${seg.id}` }), 404, 'segment_not_found')
})

t.test('sort: name, -name, last_contacted and created, page by page, with filters, tenant-scoped', async (t) => {
  const { h, manager } = await contactsKernel(t)
  const { db } = h.services
  const vip = await ok(manager, 'POST', '/api/contacts/labels', { name: 'VIP' })
  // Equal names in different cases (the id breaks the tie), and contacts without a name.
  const names = ['bob', 'Alice', null, 'BOB', 'carol', 'Bob', null, 'dave', 'alice', 'Eve', null]
  const made: { id: string; name: string | null; vip: boolean; optedOut: boolean; at: Date | null }[] = []
  const base = h.clock.now().getTime()
  for (const [i, name] of names.entries()) {
    const isVip = i % 2 === 0
    const optedOut = i % 3 === 0
    const c = await ok(manager, 'POST', '/api/contacts', { name, phone: `0812 3000 ${String(i).padStart(4, '0')}`, labelIds: isVip ? [vip.id] : [], optedOut })
    // Last contacted: some never, some at the very same moment (the id breaks the tie).
    const at = i % 4 === 3 ? null : new Date(base - (i % 3) * 3_600_000)
    await db('contacts').where({ id: c.id }).update({ last_contacted_at: at })
    made.push({ id: c.id, name, vip: isVip, optedOut, at })
  }
  // Another tenant with names and dates that would fall in between.
  const other = await h.createTenant()
  const otherManager = await h.login(other, 'manager')
  const theirs = new Set<string>()
  for (const [i, name] of ['Bob', 'alice', null, 'zed'].entries()) {
    const c = await ok(otherManager, 'POST', '/api/contacts', { name, phone: `0812 3000 ${String(i).padStart(4, '0')}` })
    await db('contacts').where({ id: c.id }).update({ last_contacted_at: new Date(base - i * 1_800_000) })
    theirs.add(c.id)
  }

  type Row = (typeof made)[number]
  const byId = (a: Row, b: Row) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  const nullsLast = <K>(key: (r: Row) => K | null, cmp: (a: K, b: K) => number) => (a: Row, b: Row) => {
    const ka = key(a)
    const kb = key(b)
    if (ka === null || kb === null) return ka === kb ? 0 : ka === null ? 1 : -1
    return cmp(ka, kb)
  }
  const lowerName = (r: Row) => r.name?.toLowerCase() ?? null
  const textCmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
  const orders: Record<string, (a: Row, b: Row) => number> = {
    created: (a, b) => -byId(a, b),
    name: (a, b) => nullsLast(lowerName, textCmp)(a, b) || byId(a, b),
    '-name': (a, b) => nullsLast(lowerName, (x: string, y: string) => -textCmp(x, y))(a, b) || -byId(a, b),
    last_contacted: (a, b) => nullsLast((r) => r.at?.getTime() ?? null, (x: number, y: number) => y - x)(a, b) || -byId(a, b),
  }

  const walk = async (session: typeof manager, query: Record<string, string>) => {
    const ids: string[] = []
    let cursor: string | undefined
    for (let pages = 0; pages < 50; pages++) {
      const res = await ok(session, 'GET', `/api/contacts?${new URLSearchParams({ ...query, limit: '2', ...(cursor ? { cursor } : {}) })}`)
      t.ok(res.items.length <= 2)
      ids.push(...res.items.map((c: any) => c.id))
      if (!res.nextCursor) return ids
      cursor = res.nextCursor
    }
    throw new Error('too many pages')
  }

  const filters: [string, Record<string, string>, (r: Row) => boolean][] = [
    ['no filter', {}, () => true],
    ['label', { label: vip.id }, (r) => r.vip],
    ['label by name and opted in', { label: 'vip', optedOut: 'false' }, (r) => r.vip && !r.optedOut],
    ['search', { q: 'b' }, (r) => !!r.name?.toLowerCase().includes('b')],
  ]
  const segment = await ok(manager, 'POST', '/api/contacts/segments', { name: 'VIP opted out', filter: { labels: { any: [vip.id] }, optedOut: true } })
  filters.push(['segment', { segment: segment.id }, (r) => r.vip && r.optedOut])

  for (const [sort, cmp] of Object.entries(orders)) {
    for (const [what, query, keep] of filters) {
      const expected = made.filter(keep).sort(cmp).map((r) => r.id)
      const got = await walk(manager, sort === 'created' ? query : { ...query, sort })
      t.same(got, expected, `sort=${sort}, ${what}`)
    }
    if (sort !== 'created') t.same(await walk(manager, { sort: 'created' }), [...made].sort(orders.created).map((r) => r.id), 'sort=created is the default order')
    const mine = await walk(otherManager, { sort })
    t.same(new Set(mine), theirs, `sort=${sort}: the other tenant sees only its own`)
  }
  // Names read A→Z, then the nameless.
  const named = await ok(manager, 'GET', '/api/contacts?sort=name&limit=200')
  t.same(named.items.map((c: any) => c.name?.toLowerCase() ?? null), ['alice', 'alice', 'bob', 'bob', 'bob', 'carol', 'dave', 'eve', null, null, null])

  // A cursor made for one sort, given with another: 400 invalid_cursor.
  const cursors: Record<string, string> = {}
  for (const sort of Object.keys(orders)) cursors[sort] = (await ok(manager, 'GET', `/api/contacts?sort=${sort}&limit=2`)).nextCursor
  for (const made of Object.keys(orders)) {
    for (const given of Object.keys(orders)) {
      if (made === given) continue
      const res = await manager.inject({ method: 'GET', url: `/api/contacts?sort=${given}&limit=2&cursor=${cursors[made]}` })
      assertError(t, res, 400, 'invalid_cursor')
    }
  }
  const forged = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url')
  const bad: [string, string][] = [
    ['name', forged('nonsense')],
    ['name', forged(['name', 'bob', 'not-a-uuid'])],
    ['name', forged(['name', 5, made[0].id])],
    ['-name', forged(['-name', 'bob'])],
    ['last_contacted', forged(['last_contacted', 'not a date', made[0].id])],
    ['created', forged(made[0].id.slice(1))],
  ]
  for (const [sort, cursor] of bad) {
    assertError(t, await manager.inject({ method: 'GET', url: `/api/contacts?sort=${sort}&cursor=${cursor}` }), 400, 'invalid_cursor', `sort=${sort}, a forged cursor`)
  }
  assertError(t, await manager.inject({ method: 'GET', url: '/api/contacts?sort=bogus' }), 400, 'validation_failed')
  assertError(t, await manager.inject({ method: 'GET', url: '/api/contacts?sort=NAME' }), 400, 'validation_failed')

  // The indexes behind these orders (migrations/20261126000000_contacts_sort.ts).
  const indexes = (await db.raw("select indexname from pg_indexes where tablename = 'contacts'")).rows.map((r: any) => r.indexname)
  for (const name of ['contacts_sort_name', 'contacts_sort_name_desc', 'contacts_sort_last_contacted']) t.ok(indexes.includes(name), `index ${name}`)
})
