import t from 'tap'
import { assertError } from '../../kernel/testing/assert-error.ts'
import { createTestKernel } from '../../kernel/testing/harness.ts'
import { newId } from '../../kernel/db/ids.ts'


t.test('custom roles per tenant', async (t) => {
  const h = await createTestKernel(t)
  const db = h.services.db
  const a = await h.createTenant()
  const b = await h.createTenant()
  const adminA = await h.login(a, 'admin')
  const adminB = await h.login(b, 'admin')
  const roleCount = async (tenantId: string) => Number((await db('custom_roles').where({ tenant_id: tenantId }).count('* as c'))[0].c)
  const stored = async (id: string) => {
    const row = await db('custom_roles').where({ id }).first()
    return row && { ...row, permissions: typeof row.permissions === 'string' ? JSON.parse(row.permissions) : row.permissions }
  }

  let support = '' // a custom role of tenant A used through the file

  t.test('create without a template: exactly the given permissions', async (t) => {
    const res = await adminA.inject({ method: 'POST', url: '/api/roles', payload: { name: 'Support', description: 'Front line', level: 4, permissions: ['kernel.me.view'] } })
    t.equal(res.statusCode, 201)
    t.match(res.json(), { name: 'Support', description: 'Front line', level: 4, custom: true, permissions: ['kernel.me.view'] })
    support = res.json().id
    t.equal(res.json().key, support, 'the role key is its id')
    t.match(await stored(support), { tenant_id: a.id, name: 'Support', level: 4, permissions: ['kernel.me.view'] })
    const list = (await adminA.inject({ method: 'GET', url: '/api/roles' })).json()
    t.equal(list.items.filter((r: any) => !r.custom).length, 10, 'the ten predefined roles')
    t.same(list.items.filter((r: any) => r.custom).map((r: any) => r.id), [support])
    t.equal(list.yourLevel, 9)
    t.same((await adminB.inject({ method: 'GET', url: '/api/roles' })).json().items.filter((r: any) => r.custom), [], 'tenant B does not see it')
  })

  t.test('create from a template', async (t) => {
    const res = await adminA.inject({ method: 'POST', url: '/api/roles', payload: { name: 'Lead-ish', level: 6, template: 'team_lead', permissions: ['kernel.audit.view'] } })
    t.equal(res.statusCode, 201)
    t.same(res.json().permissions, ['kernel.audit.view', 'kernel.me.view', 'kernel.plugins.view', 'kernel.roles.view', 'kernel.users.view'], "team_lead's permissions plus the extra one")
    const fromCustom = await adminA.inject({ method: 'POST', url: '/api/roles', payload: { name: 'Support 2', level: 3, template: support } })
    t.equal(fromCustom.statusCode, 201)
    t.same(fromCustom.json().permissions, ['kernel.me.view'], 'a custom role can be a template')
    const before = await roleCount(a.id)
    assertError(t, await adminA.inject({ method: 'POST', url: '/api/roles', payload: { name: 'Nope', level: 3, template: 'wizard' } }), 400, 'unknown_role', 'unknown template')
    t.equal(await roleCount(a.id), before, 'nothing written')
  })

  t.test('permissions take effect on the next request; PATCH too', async (t) => {
    const add = await adminA.inject({ method: 'POST', url: '/api/users', payload: { email: `support-${newId().slice(-6)}@test.sapa`, name: 'Sup', role: support, password: 'a long enough password' } })
    t.equal(add.statusCode, 201)
    t.match(add.json(), { role: support, roleName: 'Support', level: 4 })
    const s = await h.loginAs({ id: add.json().id, email: add.json().email, password: 'a long enough password', role: support }, a)
    const me = (await s.inject({ method: 'GET', url: '/api/me' })).json()
    t.same(me.role, { key: support, name: 'Support', level: 4, custom: true })
    t.same(me.permissions, ['kernel.me.view'])
    assertError(t, await s.inject({ method: 'GET', url: '/api/users' }), 403, 'forbidden', 'not granted yet')

    const patch = await adminA.inject({ method: 'PATCH', url: `/api/roles/${support}`, payload: { permissions: ['kernel.me.view', 'kernel.users.view'] } })
    t.equal(patch.statusCode, 200)
    t.same(patch.json().permissions, ['kernel.me.view', 'kernel.users.view'])
    t.equal((await s.inject({ method: 'GET', url: '/api/users' })).statusCode, 200, 'granted on the next request')
    t.same((await stored(support)).permissions, ['kernel.me.view', 'kernel.users.view'])

    t.equal((await adminA.inject({ method: 'PATCH', url: `/api/roles/${support}`, payload: { permissions: ['kernel.me.view'] } })).statusCode, 200)
    assertError(t, await s.inject({ method: 'GET', url: '/api/users' }), 403, 'forbidden', 'revoked on the next request')

    const renamed = await adminA.inject({ method: 'PATCH', url: `/api/roles/${support}`, payload: { name: '  Support Desk  ', description: 'Desk', level: 5 } })
    t.equal(renamed.statusCode, 200)
    t.match(renamed.json(), { name: 'Support Desk', description: 'Desk', level: 5 }, 'name trimmed like on create')
    t.same((await s.inject({ method: 'GET', url: '/api/me' })).json().role, { key: support, name: 'Support Desk', level: 5, custom: true })

    // An API key with the custom role follows the same rules.
    const key = await adminA.inject({ method: 'POST', url: '/api/api-keys', payload: { name: 'support key', role: support } })
    t.equal(key.statusCode, 201)
    const viaKey = await h.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${key.json().key}` } })
    t.same(viaKey.json().permissions, ['kernel.me.view'])
  })

  t.test('DELETE is refused while the role is used, then allowed', async (t) => {
    const members = await db('memberships').where({ tenant_id: a.id, role: support }).pluck('user_id')
    t.equal(members.length, 1)
    const inUse = await adminA.inject({ method: 'DELETE', url: `/api/roles/${support}` })
    assertError(t, inUse, 409, 'role_in_use', 'member and key use it')
    t.same(inUse.json().error.details, { members: 1, apiKeys: 1 })
    t.ok(await stored(support), 'still there')

    t.equal((await adminA.inject({ method: 'PATCH', url: `/api/users/${members[0]}`, payload: { role: 'agent' } })).statusCode, 200)
    const keyOnly = await adminA.inject({ method: 'DELETE', url: `/api/roles/${support}` })
    assertError(t, keyOnly, 409, 'role_in_use', 'a key still uses it')
    t.same(keyOnly.json().error.details, { members: 0, apiKeys: 1 })
    const keyId = (await db('api_keys').where({ tenant_id: a.id, role: support }).first('id')).id
    t.equal((await adminA.inject({ method: 'DELETE', url: `/api/api-keys/${keyId}` })).statusCode, 204)

    const del = await adminA.inject({ method: 'DELETE', url: `/api/roles/${support}` })
    t.equal(del.statusCode, 204)
    t.notOk(await stored(support), 'gone from the database')
    t.notOk((await adminA.inject({ method: 'GET', url: '/api/roles' })).json().items.some((r: any) => r.id === support), 'gone from the list')
    assertError(t, await adminA.inject({ method: 'POST', url: '/api/users', payload: { email: 'late@test.sapa', name: 'Late', role: support, password: 'a long enough password' } }), 400, 'unknown_role', 'cannot be assigned any more')
    assertError(t, await adminA.inject({ method: 'DELETE', url: `/api/roles/${support}` }), 404, 'role_not_found', 'deleting twice')
  })

  t.test("a tenant cannot use another tenant's custom role", async (t) => {
    const res = await adminA.inject({ method: 'POST', url: '/api/roles', payload: { name: 'A only', level: 2, permissions: ['kernel.me.view'] } })
    const id = res.json().id
    const email = `cross-${newId().slice(-6)}@test.sapa`
    assertError(t, await adminB.inject({ method: 'POST', url: '/api/users', payload: { email, name: 'X', role: id, password: 'a long enough password' } }), 400, 'unknown_role', 'B adds a member with A\'s role')
    t.equal(Number((await db('users').where({ email }).count('* as c'))[0].c), 0)
    const memberB = await h.createUser(b, 'agent')
    assertError(t, await adminB.inject({ method: 'PATCH', url: `/api/users/${memberB.id}`, payload: { role: id } }), 400, 'unknown_role', "B moves a member to A's role")
    t.equal((await db('memberships').where({ tenant_id: b.id, user_id: memberB.id }).first('role')).role, 'agent')
    assertError(t, await adminB.inject({ method: 'POST', url: '/api/api-keys', payload: { name: 'k', role: id } }), 400, 'unknown_role', "B makes a key with A's role")
    assertError(t, await adminB.inject({ method: 'POST', url: '/api/roles', payload: { name: 'Copy', level: 2, template: id } }), 400, 'unknown_role', "B copies A's role")
    assertError(t, await adminB.inject({ method: 'PATCH', url: `/api/roles/${id}`, payload: { permissions: [] } }), 404, 'role_not_found', "B edits A's role")
    assertError(t, await adminB.inject({ method: 'DELETE', url: `/api/roles/${id}` }), 404, 'role_not_found', "B deletes A's role")
    t.match(await stored(id), { tenant_id: a.id, name: 'A only', permissions: ['kernel.me.view'] }, 'untouched')
    // Even a row planted in B pointing at A's role grants nothing in B.
    const planted = await h.createUser(b, id)
    const s = await h.loginAs(planted, b)
    const me = await s.inject({ method: 'GET', url: '/api/me' })
    assertError(t, me, 403, 'forbidden', "A's role has no permissions in B")
  })

  t.test('names are unique per tenant', async (t) => {
    t.equal((await adminA.inject({ method: 'POST', url: '/api/roles', payload: { name: 'Sales', level: 3 } })).statusCode, 201)
    const before = await roleCount(a.id)
    assertError(t, await adminA.inject({ method: 'POST', url: '/api/roles', payload: { name: 'Sales', level: 2 } }), 409, 'role_name_taken', 'same name')
    assertError(t, await adminA.inject({ method: 'POST', url: '/api/roles', payload: { name: '  Sales ', level: 2 } }), 409, 'role_name_taken', 'same name with spaces')
    assertError(t, await adminA.inject({ method: 'POST', url: '/api/roles', payload: { name: '   ', level: 2 } }), 400, 'validation_failed', 'a blank name')
    t.equal(await roleCount(a.id), before, 'nothing written')
    t.equal((await adminB.inject({ method: 'POST', url: '/api/roles', payload: { name: 'Sales', level: 3 } })).statusCode, 201, 'another tenant may use the name')
    const other = await adminA.inject({ method: 'POST', url: '/api/roles', payload: { name: 'Marketing', level: 3 } })
    assertError(t, await adminA.inject({ method: 'PATCH', url: `/api/roles/${other.json().id}`, payload: { name: 'Sales' } }), 409, 'role_name_taken', 'rename onto a taken name')
    assertError(t, await adminA.inject({ method: 'PATCH', url: `/api/roles/${other.json().id}`, payload: { name: ' Sales  ' } }), 409, 'role_name_taken', 'rename onto a taken name with spaces')
    t.equal((await stored(other.json().id)).name, 'Marketing')
    t.equal((await adminA.inject({ method: 'PATCH', url: `/api/roles/${other.json().id}`, payload: { name: 'Marketing' } })).statusCode, 200, 'keeping your own name is fine')
  })

  t.test('predefined roles cannot be changed or deleted', async (t) => {
    const superA = await h.login(a, 'super_admin')
    for (const role of ['agent', 'admin', 'restricted']) {
      assertError(t, await superA.inject({ method: 'PATCH', url: `/api/roles/${role}`, payload: { permissions: ['kernel.me.view'] } }), 409, 'role_predefined', `PATCH ${role}`)
      assertError(t, await superA.inject({ method: 'DELETE', url: `/api/roles/${role}` }), 409, 'role_predefined', `DELETE ${role}`)
    }
    assertError(t, await superA.inject({ method: 'PATCH', url: `/api/roles/${newId()}`, payload: { name: 'x' } }), 404, 'role_not_found', 'unknown id')
    assertError(t, await superA.inject({ method: 'PATCH', url: '/api/roles/wizard', payload: { name: 'x' } }), 404, 'role_not_found', 'unknown key')
    const agent = (await superA.inject({ method: 'GET', url: '/api/roles' })).json().items.find((r: any) => r.id === 'agent')
    t.same(agent.permissions, ['kernel.me.view', 'kernel.plugins.view'], 'unchanged')
  })

  t.test('GET /api/permissions lists tenant permissions with their lowest role', async (t) => {
    const res = await adminA.inject({ method: 'GET', url: '/api/permissions' })
    t.equal(res.statusCode, 200)
    const lowest = Object.fromEntries(res.json().items.map((p: any) => [p.key, p.lowestRole]))
    t.equal(lowest['kernel.me.view'], 'restricted')
    t.equal(lowest['kernel.users.manage'], 'manager')
    t.equal(lowest['kernel.settings.manage'], 'admin')
    t.notOk('kernel.tenants.manage' in lowest, 'platform permissions are not offered to tenant roles')
  })
})
