import t from 'tap'
import type { Response } from 'light-my-request'
import { assertError } from '../../kernel/testing/assert-error.ts'
import { createTestKernel, TEST_PASSWORD } from '../../kernel/testing/harness.ts'
import { newId } from '../../kernel/db/ids.ts'


t.test('users', async (t) => {
  const h = await createTestKernel(t)
  const db = h.services.db
  const acme = await h.createTenant()
  const other = await h.createTenant()
  const manager = await h.login(acme, 'manager')
  const count = async (table: string, where: Record<string, unknown> = {}) => Number((await db(table).where(where).count('* as c'))[0].c)

  t.test('POST /api/users adds a member; the new user can log in', async (t) => {
    const res = await manager.inject({ method: 'POST', url: '/api/users', payload: { email: 'New.Person@Test.SAPA', name: 'New Person', role: 'agent', password: 'a long enough password' } })
    t.equal(res.statusCode, 201)
    t.match(res.json(), { email: 'new.person@test.sapa', name: 'New Person', role: 'agent', roleName: 'Agent', level: 5, active: true })
    t.notOk('password' in res.json() || 'password_hash' in res.json(), 'no password in the answer')
    const row = await db('users').where({ email: 'new.person@test.sapa' }).first()
    t.not(row.password_hash, 'a long enough password', 'password stored hashed')
    t.equal(row.is_operator, false)
    t.same(await db('memberships').where({ user_id: row.id }).select('tenant_id', 'role', 'active'), [{ tenant_id: acme.id, role: 'agent', active: true }])
    const login = await h.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'new.person@test.sapa', password: 'a long enough password' } })
    t.equal(login.statusCode, 200)

    const again = await manager.inject({ method: 'POST', url: '/api/users', payload: { email: 'NEW.person@test.sapa', name: 'Again', role: 'viewer' } })
    assertError(t, again, 409, 'user_already_member', 'same email, any case')
    t.equal(await count('memberships', { user_id: row.id }), 1)

    const noPassword = await manager.inject({ method: 'POST', url: '/api/users', payload: { email: 'nopass@test.sapa', name: 'No Pass', role: 'agent' } })
    assertError(t, noPassword, 400, 'password_required', 'a new user needs a password')
    t.equal(await count('users', { email: 'nopass@test.sapa' }), 0, 'nothing written')

    // An account that exists elsewhere joins with its own password.
    const elsewhere = await h.createUser(other, 'admin')
    const join = await manager.inject({ method: 'POST', url: '/api/users', payload: { email: elsewhere.email, name: 'Ignored', role: 'viewer' } })
    t.equal(join.statusCode, 201)
    t.equal(await count('memberships', { user_id: elsewhere.id }), 2)
    t.equal((await db('memberships').where({ user_id: elsewhere.id, tenant_id: other.id }).first('role')).role, 'admin', 'their role elsewhere is untouched')
  })

  t.test('role changes take effect on the next request', async (t) => {
    const user = await h.createUser(acme, 'agent')
    const s = await h.loginAs(user, acme)
    assertError(t, await s.inject({ method: 'GET', url: '/api/users' }), 403, 'forbidden', 'agent cannot list users')
    const up = await manager.inject({ method: 'PATCH', url: `/api/users/${user.id}`, payload: { role: 'team_lead' } })
    t.equal(up.statusCode, 200)
    t.match(up.json(), { id: user.id, role: 'team_lead', level: 7 })
    t.equal((await s.inject({ method: 'GET', url: '/api/users' })).statusCode, 200, 'same session, new role')
    t.equal((await s.inject({ method: 'GET', url: '/api/me' })).json().role.key, 'team_lead')
    t.equal((await manager.inject({ method: 'PATCH', url: `/api/users/${user.id}`, payload: { role: 'guest' } })).statusCode, 200)
    assertError(t, await s.inject({ method: 'GET', url: '/api/users' }), 403, 'forbidden', 'demoted: refused on the next request')
  })

  t.test('deactivating a member kills their sessions and API keys at once', async (t) => {
    const user = await h.createUser(acme, 'manager')
    const s1 = await h.loginAs(user, acme)
    const s2 = await h.loginAs(user, acme)
    // Managers cannot create keys: the key comes from an admin who is deactivated too.
    const adminUser = await h.createUser(acme, 'admin')
    const adminSession = await h.loginAs(adminUser, acme)
    const key = await adminSession.inject({ method: 'POST', url: '/api/api-keys', payload: { name: 'their key', role: 'agent' } })
    t.equal(key.statusCode, 201)
    const token = key.json().key
    const viaKey = () => h.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${token}` } })
    t.equal((await viaKey()).statusCode, 200)
    t.equal((await s1.inject({ method: 'GET', url: '/api/me' })).statusCode, 200)

    const superAdmin = await h.login(acme, 'super_admin')
    for (const target of [user, adminUser]) {
      const off = await superAdmin.inject({ method: 'PATCH', url: `/api/users/${target.id}`, payload: { active: false } })
      t.equal(off.statusCode, 200)
      t.equal(off.json().active, false)
    }
    for (const s of [s1, s2, adminSession]) assertError(t, await s.inject({ method: 'GET', url: '/api/me' }), 401, 'unauthorized', 'session of a deactivated member')
    assertError(t, await viaKey(), 401, 'unauthorized', 'key created by a deactivated member')
    t.equal(await count('sessions', { user_id: user.id }), 0, 'their sessions are deleted')
    const login = await h.inject({ method: 'POST', url: '/api/auth/login', payload: { email: user.email, password: TEST_PASSWORD, tenant: acme.slug } })
    assertError(t, login, 403, 'no_workspace', 'cannot log back in')

    const list = await manager.inject({ method: 'GET', url: '/api/users?active=false' })
    t.ok(list.json().items.some((u: any) => u.id === user.id), 'listed as inactive')
    t.ok(list.json().items.every((u: any) => u.active === false))

    t.equal((await superAdmin.inject({ method: 'PATCH', url: `/api/users/${user.id}`, payload: { active: true } })).statusCode, 200)
    assertError(t, await s1.inject({ method: 'GET', url: '/api/me' }), 401, 'unauthorized', 'reactivating does not revive old sessions')
    t.equal((await h.loginAs(user, acme).then((s) => s.inject({ method: 'GET', url: '/api/me' }))).statusCode, 200, 'a new login works')
  })

  t.test('PATCH /api/users/:id: name, unknown ids, empty body', async (t) => {
    const user = await h.createUser(acme, 'agent')
    const res = await manager.inject({ method: 'PATCH', url: `/api/users/${user.id}`, payload: { name: '  Renamed  ' } })
    t.equal(res.statusCode, 200)
    t.equal(res.json().name, 'Renamed')
    assertError(t, await manager.inject({ method: 'PATCH', url: `/api/users/${newId()}`, payload: { name: 'X' } }), 404, 'user_not_found', 'unknown id')
    const stranger = await h.createUser(other, 'agent')
    assertError(t, await manager.inject({ method: 'PATCH', url: `/api/users/${stranger.id}`, payload: { name: 'X' } }), 404, 'user_not_found', 'member of another tenant')
    t.equal((await db('users').where({ id: stranger.id }).first('name')).name, 'agent user')
    assertError(t, await manager.inject({ method: 'PATCH', url: `/api/users/${user.id}`, payload: {} }), 400, 'validation_failed', 'empty body')
    assertError(t, await manager.inject({ method: 'PATCH', url: `/api/users/not-a-uuid`, payload: { name: 'X' } }), 400, 'validation_failed', 'non-uuid id')
  })

  t.test('GET /api/users: search, and cursor pagination without gaps or duplicates', async (t) => {
    const shop = await h.createTenant()
    const lead = await h.login(shop, 'team_lead')
    const created = [lead.user.id]
    for (let i = 0; i < 11; i++) created.push((await h.createUser(shop, 'agent', { email: `page-${i}-${newId().slice(-6)}@test.sapa` })).id)
    await h.createUser(acme, 'agent') // another tenant's member must not show up

    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const res: Response = await lead.inject({ method: 'GET', url: `/api/users?limit=4${cursor ? `&cursor=${cursor}` : ''}` })
      t.equal(res.statusCode, 200)
      const body = res.json()
      t.ok(body.items.length <= 4)
      seen.push(...body.items.map((u: any) => u.id))
      cursor = body.nextCursor
      pages++
    } while (cursor && pages < 10)
    t.equal(pages, 3, '12 members at 4 a page: 3 pages')
    t.equal(cursor, null, 'nextCursor is null at the end')
    t.equal(new Set(seen).size, seen.length, 'no duplicates')
    t.same([...seen].sort(), [...created].sort(), 'no gaps, no strangers')

    const exact = await lead.inject({ method: 'GET', url: '/api/users?limit=12' })
    t.equal(exact.json().items.length, 12)
    t.equal(exact.json().nextCursor, null, 'a page that ends exactly at the end has no next cursor')

    const search = await lead.inject({ method: 'GET', url: '/api/users?q=page-3-' })
    t.equal(search.json().items.length, 1)
    const wild = await lead.inject({ method: 'GET', url: `/api/users?q=${encodeURIComponent('%')}` })
    t.equal(wild.json().items.length, 0, '% is matched literally')
    assertError(t, await lead.inject({ method: 'GET', url: '/api/users?limit=0' }), 400, 'validation_failed', 'limit 0')
    assertError(t, await lead.inject({ method: 'GET', url: '/api/users?limit=201' }), 400, 'validation_failed', 'limit over 200')
  })
})
