import t from 'tap'
import { createTestKernel, TEST_PASSWORD } from '../../kernel/testing/harness.ts'

t.test('login, me, logout, expiry', async (t) => {
  const h = await createTestKernel(t, { config: { sessionTtlMs: 60 * 60_000 } })
  const acme = await h.createTenant('acme')
  const user = await h.createUser(acme, 'agent')

  const bad = await h.inject({ method: 'POST', url: '/api/auth/login', payload: { email: user.email, password: 'wrong password' } })
  t.equal(bad.statusCode, 401)
  t.equal(bad.json().error.code, 'invalid_credentials')
  t.notOk(bad.headers['set-cookie'], 'no cookie on failure')

  const unknown = await h.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'nobody@test.sapa', password: 'whatever1' } })
  t.equal(unknown.json().error.code, 'invalid_credentials', 'unknown email looks the same as a wrong password')

  const ok = await h.inject({ method: 'POST', url: '/api/auth/login', payload: { email: user.email.toUpperCase(), password: TEST_PASSWORD } })
  t.equal(ok.statusCode, 200)
  const cookie = ok.cookies.find((c) => c.name === 'sapa_session')!
  t.ok(cookie.httpOnly, 'httpOnly')
  t.equal(cookie.sameSite, 'Lax')
  t.match(ok.json(), { csrfToken: String, user: { id: user.id, email: user.email } })

  const me = await h.inject({ method: 'GET', url: '/api/me', cookies: { sapa_session: cookie.value } })
  t.equal(me.statusCode, 200)
  t.match(me.json(), { user: { id: user.id }, tenant: { id: acme.id, slug: 'acme', timezone: 'Asia/Jakarta' }, role: { key: 'agent', level: 5 } })
  t.ok(me.json().permissions.includes('kernel.me.view'))
  t.notOk(me.json().permissions.includes('kernel.users.manage'))

  t.equal((await h.inject({ method: 'GET', url: '/api/me' })).statusCode, 401, 'no credential → 401')
  t.equal((await h.inject({ method: 'GET', url: '/api/me', cookies: { sapa_session: 'forged' } })).json().error.code, 'unauthorized')

  // Expiry follows the injected clock.
  h.clock.advance(61 * 60_000)
  t.equal((await h.inject({ method: 'GET', url: '/api/me', cookies: { sapa_session: cookie.value } })).statusCode, 401, 'expired session')

  const s = await h.loginAs(user, acme)
  const out = await s.inject({ method: 'POST', url: '/api/auth/logout' })
  t.equal(out.statusCode, 204)
  t.equal((await s.inject({ method: 'GET', url: '/api/me' })).statusCode, 401, 'logged out session is dead')

  const actions = (await h.services.db('audit_log').where({ tenant_id: acme.id }).orderBy('id').pluck('action')) as string[]
  t.same(actions, ['kernel.auth.login_failed', 'kernel.auth.login', 'kernel.auth.login', 'kernel.auth.logout'])
})

t.test('CSRF: cookie mutations need the header, API keys do not', async (t) => {
  const h = await createTestKernel(t)
  const acme = await h.createTenant()
  const admin = await h.login(acme, 'admin')
  const payload = { name: 'Sales', level: 3, permissions: ['kernel.me.view'] }
  const without = await h.inject({ method: 'POST', url: '/api/roles', headers: { cookie: admin.cookie }, payload })
  t.equal(without.statusCode, 403)
  t.equal(without.json().error.code, 'csrf_token_invalid')
  const wrong = await h.inject({ method: 'POST', url: '/api/roles', headers: { cookie: admin.cookie, 'x-csrf-token': 'nope' }, payload })
  t.equal(wrong.json().error.code, 'csrf_token_invalid')
  t.equal((await h.services.db('custom_roles').count('* as c'))[0].c, 0, 'nothing written')
  const withHeader = await admin.inject({ method: 'POST', url: '/api/roles', payload })
  t.equal(withHeader.statusCode, 201)
  const key = await h.apiKey(acme, 'manager')
  const viaKey = await key.inject({ method: 'GET', url: '/api/users' })
  t.equal(viaKey.statusCode, 200, 'API key needs no CSRF header')
})

t.test('login rate limit per ip+email', async (t) => {
  const h = await createTestKernel(t, { config: { loginRateLimit: { max: 10, windowMs: 60_000 } } })
  const acme = await h.createTenant()
  const user = await h.createUser(acme, 'agent')
  const codes: number[] = []
  for (let i = 0; i < 12; i++) {
    codes.push((await h.inject({ method: 'POST', url: '/api/auth/login', payload: { email: user.email, password: 'bad-password' } })).statusCode)
  }
  t.same(codes.slice(0, 10), Array(10).fill(401))
  t.equal(codes[10], 429)
  const limited = await h.inject({ method: 'POST', url: '/api/auth/login', payload: { email: user.email, password: TEST_PASSWORD } })
  t.equal(limited.statusCode, 429, 'even the right password waits')
  t.equal(limited.json().error.code, 'rate_limited')
  const other = await h.createUser(acme, 'agent')
  const fine = await h.inject({ method: 'POST', url: '/api/auth/login', payload: { email: other.email, password: TEST_PASSWORD } })
  t.equal(fine.statusCode, 200, 'another account from the same ip is not locked out')
})

t.test('switch tenant; deactivated member stops at once', async (t) => {
  const h = await createTestKernel(t)
  const a = await h.createTenant()
  const b = await h.createTenant()
  const user = await h.createUser(a, 'agent')
  await h.services.db('memberships').insert({ tenant_id: b.id, user_id: user.id, role: 'manager', active: true })
  const s = await h.loginAs(user, a)
  t.equal((await s.inject({ method: 'GET', url: '/api/users' })).statusCode, 403, 'agent in A cannot list users')
  const me = (await s.inject({ method: 'GET', url: '/api/me' })).json()
  t.equal(me.tenants.length, 2)
  const sw = await s.inject({ method: 'POST', url: '/api/auth/switch-tenant', payload: { tenantId: b.id } })
  t.equal(sw.statusCode, 200)
  t.equal((await s.inject({ method: 'GET', url: '/api/me' })).json().tenant.id, b.id)
  t.equal((await s.inject({ method: 'GET', url: '/api/users' })).statusCode, 200, 'manager in B can')
  const stranger = await h.createTenant()
  const no = await s.inject({ method: 'POST', url: '/api/auth/switch-tenant', payload: { tenantId: stranger.id } })
  t.equal(no.statusCode, 404)

  const admin = await h.login(b, 'admin')
  const key = await h.apiKey(b, 'agent')
  t.equal((await key.inject({ method: 'GET', url: '/api/me' })).statusCode, 200)
  // The key was created by a super_admin; deactivate an agent who made their own session.
  const off = await admin.inject({ method: 'PATCH', url: `/api/users/${user.id}`, payload: { active: false } })
  t.equal(off.statusCode, 200)
  t.equal((await s.inject({ method: 'GET', url: '/api/me' })).statusCode, 401, 'deactivated: session dead on the next request')
})
