import t from 'tap'
import type { Response } from 'light-my-request'
import { assertError } from '../../kernel/testing/assert-error.ts'
import { createTestKernel } from '../../kernel/testing/harness.ts'
import { newId } from '../../kernel/db/ids.ts'


t.test('tenants (platform operator)', async (t) => {
  const h = await createTestKernel(t)
  const db = h.services.db
  const home = await h.createTenant('ops-home')
  // The operator flag is separate from the tenant role: a restricted member can be the operator.
  const op = await h.login(home, 'restricted', { isOperator: true })
  const superAdmin = await h.login(home, 'super_admin')
  const counts = async () => ({
    tenants: Number((await db('tenants').count('* as c'))[0].c),
    users: Number((await db('users').count('* as c'))[0].c),
    memberships: Number((await db('memberships').count('* as c'))[0].c),
  })

  t.test('create with an admin', async (t) => {
    const res = await op.inject({
      method: 'POST',
      url: '/api/tenants',
      payload: { name: 'Toko Maju', slug: 'toko-maju', timezone: 'Asia/Makassar', locale: 'en', admin: { email: 'Owner@Toko.test', name: 'Owner', password: 'a long enough password' } },
    })
    t.equal(res.statusCode, 201)
    t.match(res.json(), { name: 'Toko Maju', slug: 'toko-maju', timezone: 'Asia/Makassar', locale: 'en', status: 'active' })
    const id = res.json().id
    const owner = await db('users').where({ email: 'owner@toko.test' }).first('id', 'is_operator')
    t.equal(owner.is_operator, false, 'the tenant admin is not an operator')
    t.same(await db('memberships').where({ user_id: owner.id }).select('tenant_id', 'role', 'active'), [{ tenant_id: id, role: 'super_admin', active: true }])
    const login = await h.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'owner@toko.test', password: 'a long enough password' } })
    t.equal(login.statusCode, 200, 'the admin can log in')
    t.equal(login.json().tenantId, id)

    const defaults = await op.inject({ method: 'POST', url: '/api/tenants', payload: { name: 'Plain', slug: 'plain' } })
    t.equal(defaults.statusCode, 201)
    t.match(defaults.json(), { timezone: 'Asia/Jakarta', locale: 'id', status: 'active' }, 'defaults: Asia/Jakarta, id')
    t.equal(Number((await db('memberships').where({ tenant_id: defaults.json().id }).count('* as c'))[0].c), 0, 'no admin asked, none made')

    // An existing account becomes the admin of another tenant with its own password.
    const existing = await h.createUser(home, 'agent')
    const joined = await op.inject({ method: 'POST', url: '/api/tenants', payload: { name: 'Joined', slug: 'joined', admin: { email: existing.email, name: 'Ignored' } } })
    t.equal(joined.statusCode, 201)
    t.equal((await db('memberships').where({ tenant_id: joined.json().id, user_id: existing.id }).first('role')).role, 'super_admin')
  })

  t.test('refusals write nothing', async (t) => {
    const before = await counts()
    assertError(t, await op.inject({ method: 'POST', url: '/api/tenants', payload: { name: 'Again', slug: 'toko-maju' } }), 409, 'tenant_slug_taken', 'slug taken')
    assertError(t, await op.inject({ method: 'POST', url: '/api/tenants', payload: { name: 'Mars', slug: 'mars', timezone: 'Mars/Olympus' } }), 400, 'invalid_timezone', 'invalid timezone')
    assertError(t, await op.inject({ method: 'POST', url: '/api/tenants', payload: { name: 'Off', slug: 'offset', timezone: '+07:00' } }), 400, 'invalid_timezone', 'an offset is not a time zone')
    assertError(t, await op.inject({ method: 'POST', url: '/api/tenants', payload: { name: 'Bad', slug: '-bad-' } }), 400, 'validation_failed', 'slug pattern')
    assertError(t, await op.inject({ method: 'POST', url: '/api/tenants', payload: { name: 'New', slug: 'new-admin', admin: { email: 'brand-new@toko.test', name: 'N' } } }), 400, 'password_required', 'a new admin needs a password')
    assertError(t, await op.inject({ method: 'POST', url: '/api/tenants', payload: { name: 'Short', slug: 'short-pw', admin: { email: 'short@toko.test', name: 'N', password: 'short' } } }), 400, 'validation_failed', 'password too short')
    t.same(await counts(), before, 'no tenant, user or membership written')
    t.notOk(await db('tenants').where({ slug: 'new-admin' }).first(), 'the tenant of a failed admin was rolled back')
  })

  t.test('list, search, paginate', async (t) => {
    for (let i = 0; i < 5; i++) await h.createTenant(`page-${i}`)
    const all = (await op.inject({ method: 'GET', url: '/api/tenants?limit=200' })).json().items
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const res: Response = await op.inject({ method: 'GET', url: `/api/tenants?limit=3${cursor ? `&cursor=${cursor}` : ''}` })
      t.equal(res.statusCode, 200)
      seen.push(...res.json().items.map((x: any) => x.id))
      cursor = res.json().nextCursor
    } while (cursor && seen.length < 100)
    t.same(seen, all.map((x: any) => x.id), 'pages cover the list once')
    t.equal(new Set(seen).size, seen.length)
    t.same((await op.inject({ method: 'GET', url: '/api/tenants?q=PAGE-' })).json().items.map((x: any) => x.slug).sort(), ['page-0', 'page-1', 'page-2', 'page-3', 'page-4'], 'q searches name and slug')
    t.same((await op.inject({ method: 'GET', url: `/api/tenants?q=${encodeURIComponent('_')}` })).json().items, [], '_ matched literally')
  })

  t.test('suspend and reactivate', async (t) => {
    const shop = await h.createTenant('shop')
    const member = await h.login(shop, 'super_admin')
    const agent = await h.login(shop, 'agent')
    const key = await h.apiKey(shop, 'admin')
    t.equal((await member.inject({ method: 'GET', url: '/api/me' })).statusCode, 200)

    const res = await op.inject({ method: 'PATCH', url: `/api/tenants/${shop.id}`, payload: { status: 'suspended' } })
    t.equal(res.statusCode, 200)
    t.equal(res.json().status, 'suspended')
    t.equal((await db('tenants').where({ id: shop.id }).first('status')).status, 'suspended')
    for (const [label, inject] of [['super_admin', member.inject], ['agent', agent.inject], ['API key', key.inject]] as const) {
      assertError(t, await inject({ method: 'GET', url: '/api/me' }), 403, 'tenant_suspended', `${label}: GET /api/me`)
      assertError(t, await inject({ method: 'GET', url: '/api/users' }), 403, 'tenant_suspended', `${label}: GET /api/users`)
    }
    const before = await counts()
    assertError(t, await member.inject({ method: 'POST', url: '/api/users', payload: { email: 'late@shop.test', name: 'L', role: 'agent', password: 'a long enough password' } }), 403, 'tenant_suspended', 'mutations too')
    t.same(await counts(), before, 'nothing written')
    t.equal((await op.inject({ method: 'GET', url: '/api/me' })).statusCode, 200, 'other tenants carry on')

    const back = await op.inject({ method: 'PATCH', url: `/api/tenants/${shop.id}`, payload: { status: 'active' } })
    t.equal(back.statusCode, 200)
    t.equal((await member.inject({ method: 'GET', url: '/api/me' })).statusCode, 200, 'reactivated: the same session works again')
    t.equal((await key.inject({ method: 'GET', url: '/api/me' })).statusCode, 200, 'and the key')

    const renamed = await op.inject({ method: 'PATCH', url: `/api/tenants/${shop.id}`, payload: { name: 'Shop & Co', timezone: 'Asia/Jayapura' } })
    t.match(renamed.json(), { name: 'Shop & Co', timezone: 'Asia/Jayapura', status: 'active' })
    assertError(t, await op.inject({ method: 'PATCH', url: `/api/tenants/${shop.id}`, payload: { timezone: 'Nowhere/City' } }), 400, 'invalid_timezone', 'PATCH bad timezone')
    t.equal((await db('tenants').where({ id: shop.id }).first('timezone')).timezone, 'Asia/Jayapura')
    assertError(t, await op.inject({ method: 'PATCH', url: `/api/tenants/${newId()}`, payload: { status: 'suspended' } }), 404, 'tenant_not_found', 'unknown tenant')
    assertError(t, await op.inject({ method: 'PATCH', url: `/api/tenants/${home.id}`, payload: { status: 'suspended' } }), 409, 'cannot_suspend_own_tenant', 'own tenant')
    t.equal((await db('tenants').where({ id: home.id }).first('status')).status, 'active')
    assertError(t, await op.inject({ method: 'PATCH', url: `/api/tenants/${shop.id}`, payload: { status: 'deleted' } }), 400, 'validation_failed', 'unknown status')
  })

  t.test('a non-operator super_admin gets 403', async (t) => {
    const key = await h.apiKey(home, 'admin')
    const before = await counts()
    const target = await h.createTenant('target')
    const after = await counts()
    assertError(t, await superAdmin.inject({ method: 'GET', url: '/api/tenants' }), 403, 'forbidden', 'GET /api/tenants')
    assertError(t, await superAdmin.inject({ method: 'POST', url: '/api/tenants', payload: { name: 'Mine', slug: 'mine' } }), 403, 'forbidden', 'POST /api/tenants')
    assertError(t, await superAdmin.inject({ method: 'PATCH', url: `/api/tenants/${target.id}`, payload: { status: 'suspended' } }), 403, 'forbidden', 'PATCH /api/tenants/:id')
    assertError(t, await key.inject({ method: 'GET', url: '/api/tenants' }), 403, 'forbidden', 'API keys are never operators')
    t.equal(after.tenants, before.tenants + 1)
    t.same(await counts(), after, 'nothing written')
    t.equal((await db('tenants').where({ id: target.id }).first('status')).status, 'active')
    // Whatever changes the flag invalidates the user's cached credentials: it works at once.
    await db('users').where({ id: op.user.id }).update({ is_operator: false })
    await h.services.authenticate.invalidate({ userId: op.user.id })
    assertError(t, await op.inject({ method: 'GET', url: '/api/tenants' }), 403, 'forbidden', 'operator flag removed')
    await db('users').where({ id: op.user.id }).update({ is_operator: true })
    await h.services.authenticate.invalidate({ userId: op.user.id })
    t.equal((await op.inject({ method: 'GET', url: '/api/tenants' })).statusCode, 200)
  })
})
