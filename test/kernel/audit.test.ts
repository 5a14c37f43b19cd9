import t, { type Test } from 'tap'
import type { InjectOptions } from 'fastify'
import type { Response } from 'light-my-request'
import { createTestKernel, TEST_PASSWORD, type Injector, type TestKernel } from '../../kernel/testing/harness.ts'
import { newId } from '../../kernel/db/ids.ts'
import { systemActor } from '../../kernel/audit/audit.ts'

const UA = 'sapa-audit-test/1.0'

interface Row {
  tenant_id: string | null
  actor_type: string
  actor_id: string | null
  actor_label: string | null
  action: string
  target_type: string | null
  target_id: string | null
  ip: string | null
  user_agent: string | null
  summary: unknown
}

const withUa = (inject: Injector): Injector => (opts) => inject({ ...opts, headers: { 'user-agent': UA, ...(opts.headers ?? {}) } })

function auditing(h: TestKernel) {
  const db = h.services.db
  const project = (r: any): Row => ({
    tenant_id: r.tenant_id,
    actor_type: r.actor_type,
    actor_id: r.actor_id,
    actor_label: r.actor_label,
    action: r.action,
    target_type: r.target_type,
    target_id: r.target_id,
    ip: r.ip,
    user_agent: r.user_agent,
    summary: typeof r.summary === 'string' ? JSON.parse(r.summary) : r.summary,
  })
  async function newRows(run: () => Promise<Response>) {
    const before = await db('audit_log').pluck('id')
    const res = await run()
    const rows = await db('audit_log').whereNotIn('id', before.length ? before : [newId()]).orderBy('id')
    return { res, rows }
  }
  return {
    /** The call succeeds with `status` and writes exactly one audit row, equal to `expected`. */
    async one(t: Test, label: string, run: () => Promise<Response>, status: number, expected: Row | ((res: Response) => Row)): Promise<Response> {
      const { res, rows } = await newRows(run)
      t.equal(res.statusCode, status, `${label} → ${status} ${res.statusCode === status ? '' : res.body.slice(0, 200)}`)
      t.equal(rows.length, 1, `${label}: exactly one audit row`)
      if (rows[0]) {
        t.same(project(rows[0]), typeof expected === 'function' ? expected(res) : expected, `${label}: the expected row`)
        t.equal(new Date(rows[0].created_at).getTime(), h.clock.now().getTime(), `${label}: stamped with the kernel clock`)
      }
      return res
    },
    async none(t: Test, label: string, run: () => Promise<Response>, status: number, code?: string): Promise<Response> {
      const { res, rows } = await newRows(run)
      t.equal(res.statusCode, status, `${label} → ${status}`)
      if (code) t.equal(res.json().error?.code, code, `${label}: ${code}`)
      t.same(rows.map((r: any) => r.action), [], `${label}: no audit row`)
      return res
    },
  }
}

t.test('audit log', async (t) => {
  const h = await createTestKernel(t)
  const db = h.services.db
  const { one, none } = auditing(h)
  const acme = await h.createTenant()
  const other = await h.createTenant()
  const superUser = await h.createUser(acme, 'super_admin', { isOperator: true })
  const sa = await h.loginAs(superUser, acme)
  const as = withUa(sa.inject)
  const base = { ip: '127.0.0.1', user_agent: UA }
  const bySa = { tenant_id: acme.id, actor_type: 'user', actor_id: superUser.id, actor_label: superUser.email, ...base }

  t.test('auth events', async (t) => {
    const user = await h.createUser(acme, 'agent')
    await h.services.db('memberships').insert({ tenant_id: other.id, user_id: user.id, role: 'viewer', active: true })
    const login = (payload: object) => h.inject({ method: 'POST', url: '/api/auth/login', payload, headers: { 'user-agent': UA } })

    const res = await one(t, 'login ok', () => login({ email: user.email, password: TEST_PASSWORD, tenant: acme.slug }), 200, {
      tenant_id: acme.id, actor_type: 'user', actor_id: user.id, actor_label: user.email, action: 'kernel.auth.login', target_type: 'user', target_id: user.id, ...base, summary: null,
    })
    const cookie = `sapa_session=${res.cookies.find((c) => c.name === 'sapa_session')!.value}`
    const csrf = res.json().csrfToken

    await one(t, 'login failed: wrong password', () => login({ email: user.email, password: 'wrong password' }), 401, {
      tenant_id: acme.id, actor_type: 'anonymous', actor_id: null, actor_label: null, action: 'kernel.auth.login_failed', target_type: 'user', target_id: user.id, ...base,
      summary: { email: user.email, reason: 'bad_credentials' },
    })
    await one(t, 'login failed: unknown email', () => login({ email: 'Nobody@Test.Sapa', password: 'whatever' }), 401, {
      tenant_id: null, actor_type: 'anonymous', actor_id: null, actor_label: null, action: 'kernel.auth.login_failed', target_type: 'user', target_id: null, ...base,
      summary: { email: 'nobody@test.sapa', reason: 'bad_credentials' },
    })
    await none(t, 'login refused by the schema', () => login({ email: user.email }), 400, 'validation_failed')

    const headers = { cookie, 'x-csrf-token': csrf, 'user-agent': UA }
    await one(t, 'switch tenant', () => h.inject({ method: 'POST', url: '/api/auth/switch-tenant', headers, payload: { tenantId: other.id } }), 200, {
      tenant_id: other.id, actor_type: 'user', actor_id: user.id, actor_label: user.email, action: 'kernel.auth.switch_tenant', target_type: 'tenant', target_id: other.id, ...base,
      summary: { from: acme.id },
    })
    await none(t, 'switch to a tenant you are not in', () => h.inject({ method: 'POST', url: '/api/auth/switch-tenant', headers, payload: { tenantId: newId() } }), 404, 'tenant_not_found')
    await one(t, 'logout', () => h.inject({ method: 'POST', url: '/api/auth/logout', headers }), 204, {
      tenant_id: other.id, actor_type: 'user', actor_id: user.id, actor_label: user.email, action: 'kernel.auth.logout', target_type: 'user', target_id: user.id, ...base, summary: null,
    })
    await none(t, 'logout without a session', () => h.inject({ method: 'POST', url: '/api/auth/logout', headers }), 204)
  })

  t.test('every kernel mutation writes its row', async (t) => {
    // Profile and tenant settings.
    await one(t, 'PATCH /api/me name', () => as({ method: 'PATCH', url: '/api/me', payload: { name: 'Boss' } }), 200, {
      ...bySa, action: 'kernel.me.updated', target_type: 'user', target_id: superUser.id, summary: { fields: ['name'] },
    })
    await none(t, 'PATCH /api/me wrong current password', () => as({ method: 'PATCH', url: '/api/me', payload: { currentPassword: 'nope', newPassword: 'another long password' } }), 400, 'wrong_password')
    await one(t, 'PATCH /api/tenant', () => as({ method: 'PATCH', url: '/api/tenant', payload: { locale: 'en', timezone: 'Asia/Makassar' } }), 200, {
      ...bySa, action: 'kernel.tenant.updated', target_type: 'tenant', target_id: acme.id, summary: { locale: 'en', timezone: 'Asia/Makassar' },
    })
    await none(t, 'PATCH /api/tenant bad timezone', () => as({ method: 'PATCH', url: '/api/tenant', payload: { timezone: 'Mars/Olympus' } }), 400, 'invalid_timezone')

    // Users.
    const added = await one(t, 'POST /api/users', () => as({ method: 'POST', url: '/api/users', payload: { email: 'Agent.Smith@test.sapa', name: 'Smith', role: 'agent', password: 'a long enough password' } }), 201, (res) => ({
      ...bySa, action: 'kernel.user.added', target_type: 'user', target_id: res.json().id, summary: { email: 'agent.smith@test.sapa', role: 'agent' },
    }))
    const smith = added.json().id
    t.equal((await db('users').where({ email: 'agent.smith@test.sapa' }).first('id')).id, smith)

    await none(t, 'POST /api/users duplicate', () => as({ method: 'POST', url: '/api/users', payload: { email: 'agent.smith@test.sapa', name: 'Smith', role: 'agent' } }), 409, 'user_already_member')
    await none(t, 'POST /api/users above your level', () => as({ method: 'POST', url: '/api/users', payload: { email: 'x@test.sapa', name: 'X', role: 'super_admin', password: 'a long enough password' } }), 403, 'role_level_too_high')
    await one(t, 'PATCH /api/users role', () => as({ method: 'PATCH', url: `/api/users/${smith}`, payload: { role: 'viewer' } }), 200, {
      ...bySa, action: 'kernel.user.role_changed', target_type: 'user', target_id: smith, summary: { role: 'viewer', previousRole: 'agent' },
    })
    await one(t, 'PATCH /api/users name', () => as({ method: 'PATCH', url: `/api/users/${smith}`, payload: { name: 'Mr Smith' } }), 200, {
      ...bySa, action: 'kernel.user.updated', target_type: 'user', target_id: smith, summary: { name: 'Mr Smith' },
    })
    await one(t, 'PATCH /api/users deactivate', () => as({ method: 'PATCH', url: `/api/users/${smith}`, payload: { active: false } }), 200, {
      ...bySa, action: 'kernel.user.deactivated', target_type: 'user', target_id: smith, summary: { active: false },
    })
    await none(t, 'PATCH /api/users unknown', () => as({ method: 'PATCH', url: `/api/users/${newId()}`, payload: { name: 'X' } }), 404, 'user_not_found')
    await none(t, 'PATCH /api/users yourself', () => as({ method: 'PATCH', url: `/api/users/${superUser.id}`, payload: { name: 'X' } }), 403, 'role_level_too_high')

    // Roles.
    const created = await one(t, 'POST /api/roles', () => as({ method: 'POST', url: '/api/roles', payload: { name: 'Desk', level: 3, permissions: ['kernel.me.view'] } }), 201, (res) => ({
      ...bySa, action: 'kernel.role.created', target_type: 'role', target_id: res.json().id, summary: { name: 'Desk', level: 3, permissions: 1 },
    }))
    const desk = created.json().id
    await none(t, 'POST /api/roles name taken', () => as({ method: 'POST', url: '/api/roles', payload: { name: 'Desk', level: 3 } }), 409, 'role_name_taken')
    await one(t, 'PATCH /api/roles', () => as({ method: 'PATCH', url: `/api/roles/${desk}`, payload: { permissions: ['kernel.me.view', 'kernel.users.view'] } }), 200, {
      ...bySa, action: 'kernel.role.updated', target_type: 'role', target_id: desk, summary: { permissions: 2 },
    })
    await none(t, 'PATCH predefined role', () => as({ method: 'PATCH', url: '/api/roles/agent', payload: { name: 'X' } }), 409, 'role_predefined')
    const deskUser = await h.createUser(acme, desk)
    await none(t, 'DELETE role in use', () => as({ method: 'DELETE', url: `/api/roles/${desk}` }), 409, 'role_in_use')
    await db('memberships').where({ user_id: deskUser.id }).update({ role: 'agent' })
    await one(t, 'DELETE /api/roles', () => as({ method: 'DELETE', url: `/api/roles/${desk}` }), 204, {
      ...bySa, action: 'kernel.role.deleted', target_type: 'role', target_id: desk, summary: { name: 'Desk' },
    })

    // API keys, and an API key as the actor.
    const made = await one(t, 'POST /api/api-keys', () => as({ method: 'POST', url: '/api/api-keys', payload: { name: 'Robot', role: 'admin' } }), 201, (res) => ({
      ...bySa, action: 'kernel.apikey.created', target_type: 'api_key', target_id: res.json().id, summary: { name: 'Robot', role: 'admin' },
    }))
    const key = made.json()
    t.notOk(JSON.stringify(await db('audit_log').where({ target_id: key.id })).includes(key.key.slice(12)), 'the audit row does not hold the key')

    const robot = withUa((opts: InjectOptions) => h.inject({ ...opts, headers: { authorization: `Bearer ${key.key}`, ...(opts.headers ?? {}) } }))
    const byRobot = { tenant_id: acme.id, actor_type: 'api_key', actor_id: key.id, actor_label: 'Robot', ...base }
    const robotAdded = await one(t, 'POST /api/users by API key', () => robot({ method: 'POST', url: '/api/users', payload: { email: 'robot-made@test.sapa', name: 'R', role: 'agent', password: 'a long enough password' } }), 201, (res) => ({
      ...byRobot, action: 'kernel.user.added', target_type: 'user', target_id: res.json().id, summary: { email: 'robot-made@test.sapa', role: 'agent' },
    }))
    await one(t, 'PATCH /api/users by API key', () => robot({ method: 'PATCH', url: `/api/users/${robotAdded.json().id}`, payload: { role: 'guest' } }), 200, {
      ...byRobot, action: 'kernel.user.role_changed', target_type: 'user', target_id: robotAdded.json().id, summary: { role: 'guest', previousRole: 'agent' },
    })

    await one(t, 'DELETE /api/api-keys', () => as({ method: 'DELETE', url: `/api/api-keys/${key.id}` }), 204, {
      ...bySa, action: 'kernel.apikey.revoked', target_type: 'api_key', target_id: key.id, summary: { name: 'Robot' },
    })
    await none(t, 'DELETE /api/api-keys again', () => as({ method: 'DELETE', url: `/api/api-keys/${key.id}` }), 204)
    await none(t, 'revoked key tries again', () => robot({ method: 'PATCH', url: `/api/users/${robotAdded.json().id}`, payload: { role: 'agent' } }), 401, 'unauthorized')

    // Refusals before the handler: no credential, no CSRF header, no permission, bad input.
    const agent = await h.login(acme, 'agent')
    await none(t, 'no credential', () => h.inject({ method: 'POST', url: '/api/roles', payload: { name: 'X', level: 1 } }), 401, 'unauthorized')
    await none(t, 'no CSRF header', () => h.inject({ method: 'POST', url: '/api/roles', headers: { cookie: sa.cookie }, payload: { name: 'X', level: 1 } }), 403, 'csrf_token_invalid')
    await none(t, 'no permission', () => agent.inject({ method: 'POST', url: '/api/users', payload: { email: 'y@test.sapa', name: 'Y', role: 'guest', password: 'a long enough password' } }), 403, 'forbidden')
    await none(t, 'bad input', () => as({ method: 'POST', url: '/api/api-keys', payload: { name: 'k', role: 'agent', extra: 1 } }), 400, 'validation_failed')
  })

  t.test('tenant administration (operator)', async (t) => {
    const before = await db('tenants').pluck('id')
    const res = await as({ method: 'POST', url: '/api/tenants', payload: { name: 'Beta', slug: 'beta-audit', admin: { email: 'beta@test.sapa', name: 'Beta Admin', password: 'a long enough password' } } })
    t.equal(res.statusCode, 201)
    const beta = res.json().id
    t.notOk(before.includes(beta))
    const rows = (await db('audit_log').where({ target_id: beta })).map((r: any) => ({ ...r, summary: typeof r.summary === 'string' ? JSON.parse(r.summary) : r.summary }))
    t.equal(rows.length, 1)
    t.match(rows[0], { tenant_id: beta, actor_type: 'user', actor_id: superUser.id, action: 'kernel.tenant.created', target_type: 'tenant', ...base })
    t.same(rows[0].summary, { name: 'Beta', slug: 'beta-audit', admin: 'beta@test.sapa' })

    await none(t, 'POST /api/tenants slug taken', () => as({ method: 'POST', url: '/api/tenants', payload: { name: 'Beta 2', slug: 'beta-audit' } }), 409, 'tenant_slug_taken')
    await none(t, 'POST /api/tenants new admin without password (rolled back)', () => as({ method: 'POST', url: '/api/tenants', payload: { name: 'Gamma', slug: 'gamma-audit', admin: { email: 'gamma@test.sapa', name: 'G' } } }), 400, 'password_required')
    t.notOk(await db('tenants').where({ slug: 'gamma-audit' }).first(), 'no half-made tenant')
    const byOp = { ...bySa, tenant_id: beta, target_type: 'tenant', target_id: beta }
    await one(t, 'suspend', () => as({ method: 'PATCH', url: `/api/tenants/${beta}`, payload: { status: 'suspended' } }), 200, { ...byOp, action: 'kernel.tenant.suspended', summary: { status: 'suspended' } })
    await one(t, 'reactivate', () => as({ method: 'PATCH', url: `/api/tenants/${beta}`, payload: { status: 'active' } }), 200, { ...byOp, action: 'kernel.tenant.reactivated', summary: { status: 'active' } })
    await one(t, 'rename', () => as({ method: 'PATCH', url: `/api/tenants/${beta}`, payload: { name: 'Beta Co' } }), 200, { ...byOp, action: 'kernel.tenant.updated', summary: { name: 'Beta Co' } })
    await none(t, 'suspend your own tenant', () => as({ method: 'PATCH', url: `/api/tenants/${acme.id}`, payload: { status: 'suspended' } }), 409, 'cannot_suspend_own_tenant')
  })

  t.test('the log cannot be changed or deleted, even with raw SQL', async (t) => {
    const rows = await db('audit_log').orderBy('id').select('id', 'action')
    t.ok(rows.length > 10)
    await t.rejects(db('audit_log').where({ id: rows[0].id }).update({ action: 'kernel.nothing.happened' }), /append-only/, 'knex update')
    await t.rejects(db('audit_log').where({ id: rows[0].id }).delete(), /append-only/, 'knex delete')
    await t.rejects(db.raw('update audit_log set summary = null'), /append-only/, 'raw update')
    await t.rejects(db.raw('delete from audit_log'), /append-only/, 'raw delete')
    await t.rejects(db.transaction((trx) => trx('audit_log').update({ ip: null })), /append-only/, 'inside a transaction')
    t.same(await db('audit_log').orderBy('id').select('id', 'action'), rows, 'every row as it was')
  })

  t.test('truncate is refused too', async (t) => {
    // Inside a transaction that is rolled back either way, so the rest of the file keeps its log.
    let truncated = false
    await db
      .transaction(async (trx) => {
        await trx.raw('truncate audit_log')
        truncated = true
        throw new Error('rollback')
      })
      .catch(() => {})
    t.notOk(truncated, 'TRUNCATE audit_log refused')
  })
})

t.test('GET /api/audit filters and pagination', async (t) => {
  const h = await createTestKernel(t)
  const logs = await h.createTenant()
  const noise = await h.createTenant()
  const x = await h.login(logs, 'super_admin') // t0: login
  const list = async (query = '') => {
    const res = await x.inject({ method: 'GET', url: `/api/audit?limit=200${query}` })
    t.equal(res.statusCode, 200, `GET /api/audit${query}`)
    return res.json().items as any[]
  }
  const addUser = (email: string) => x.inject({ method: 'POST', url: '/api/users', payload: { email, name: email, role: 'agent', password: 'a long enough password' } })

  const t0 = h.clock.now()
  const u1 = (await addUser('u1@test.sapa')).json().id
  const u2 = (await addUser('u2@test.sapa')).json().id
  h.clock.advance(60 * 60_000)
  const t1 = h.clock.now()
  const role = (await x.inject({ method: 'POST', url: '/api/roles', payload: { name: 'R', level: 2 } })).json().id
  await x.inject({ method: 'PATCH', url: `/api/users/${u1}`, payload: { role: 'viewer' } })
  h.clock.advance(60 * 60_000)
  const t2 = h.clock.now()
  const y = await h.login(logs, 'admin') // t2: login
  const key = (await y.inject({ method: 'POST', url: '/api/api-keys', payload: { name: 'k', role: 'agent' } })).json().id
  await y.inject({ method: 'DELETE', url: `/api/api-keys/${key}` })
  // Another tenant's history never shows up.
  const n = await h.login(noise, 'super_admin')
  await n.inject({ method: 'POST', url: '/api/users', payload: { email: 'n@test.sapa', name: 'n', role: 'agent', password: 'a long enough password' } })

  const all = await list()
  t.same(all.map((r) => r.action), [
    'kernel.apikey.revoked', 'kernel.apikey.created', 'kernel.auth.login',
    'kernel.user.role_changed', 'kernel.role.created',
    'kernel.user.added', 'kernel.user.added', 'kernel.auth.login',
  ], 'newest first, this tenant only')
  t.same(Object.keys(all[0]).sort(), ['action', 'actor', 'createdAt', 'id', 'ip', 'summary', 'target', 'userAgent'])
  t.match(all[0], { action: 'kernel.apikey.revoked', actor: { type: 'user', id: y.user.id, label: y.user.email }, target: { type: 'api_key', id: key }, ip: '127.0.0.1', summary: { name: 'k' } })
  t.equal(new Date(all[0].createdAt).getTime(), t2.getTime())

  const actions = (rows: any[]) => rows.map((r) => r.action)
  t.same(actions(await list('&action=kernel.user.added')), ['kernel.user.added', 'kernel.user.added'], 'exact action')
  t.same((await list('&action=kernel.user.added')).map((r) => r.target.id).sort(), [u1, u2].sort())
  t.same(actions(await list('&action=kernel.user')), [], 'exact means exact')
  t.same(actions(await list('&action=kernel.user.*')), ['kernel.user.role_changed', 'kernel.user.added', 'kernel.user.added'], 'prefix*')
  t.same(actions(await list('&action=kernel.apikey.*')), ['kernel.apikey.revoked', 'kernel.apikey.created'])
  t.same(actions(await list(`&action=${encodeURIComponent('kernel.%')}`)), [], '% is literal, not a wildcard')
  t.same(actions(await list(`&action=${encodeURIComponent('kernel_user.*')}`)), [], '_ is literal, not a wildcard')
  t.same(actions(await list(`&actorId=${y.user.id}`)), ['kernel.apikey.revoked', 'kernel.apikey.created', 'kernel.auth.login'], 'actorId')
  t.same(actions(await list('&targetType=role')), ['kernel.role.created'], 'targetType')
  t.equal((await list('&targetType=role'))[0].target.id, role)
  t.same(actions(await list(`&targetId=${u1}`)), ['kernel.user.role_changed', 'kernel.user.added'], 'targetId')
  t.same(actions(await list(`&from=${t1.toISOString()}`)), actions(all).slice(0, 5), 'from is inclusive')
  t.same(actions(await list(`&to=${t1.toISOString()}`)), actions(all).slice(5), 'to is exclusive')
  t.same(actions(await list(`&from=${t1.toISOString()}&to=${t2.toISOString()}`)), ['kernel.user.role_changed', 'kernel.role.created'], 'a window')
  t.same(actions(await list(`&action=kernel.user.*&from=${t1.toISOString()}`)), ['kernel.user.role_changed'], 'filters combine')
  t.same(actions(await list(`&from=${t0.toISOString()}&targetType=api_key&actorId=${x.user.id}`)), [], 'nothing matches')

  // Cursor pagination walks the same list without gaps or duplicates.
  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const res: Response = await x.inject({ method: 'GET', url: `/api/audit?limit=3${cursor ? `&cursor=${cursor}` : ''}` })
    t.equal(res.statusCode, 200)
    seen.push(...res.json().items.map((r: any) => r.id))
    cursor = res.json().nextCursor
    pages++
  } while (cursor && pages < 10)
  t.equal(pages, 3)
  t.equal(cursor, null)
  t.same(seen, all.map((r) => r.id), 'same rows, same order')
  const filtered: string[] = []
  cursor = null
  do {
    const res: Response = await x.inject({ method: 'GET', url: `/api/audit?limit=1&action=kernel.user.*${cursor ? `&cursor=${cursor}` : ''}` })
    filtered.push(...res.json().items.map((r: any) => r.action))
    cursor = res.json().nextCursor
  } while (cursor && filtered.length < 10)
  t.same(filtered, ['kernel.user.role_changed', 'kernel.user.added', 'kernel.user.added'], 'pagination keeps the filter')

})

t.test('entries recorded at the same moment outside a transaction go in together; a bad one fails alone', async (t) => {
  const h = await createTestKernel(t)
  const tenant = await h.createTenant('batch')
  const { audit, db } = h.services
  const inserts: string[] = []
  const onQuery = (q: { sql: string }) => void (/insert into "audit_log"/.test(q.sql) && inserts.push(q.sql))
  db.on('query', onQuery)
  t.teardown(() => void db.off('query', onQuery))
  const entry = (i: number) => ({ tenantId: tenant.id, action: 'test.thing.done', targetType: 'thing', targetId: `t-${i}`, summary: { i } })

  await Promise.all(Array.from({ length: 20 }, (_, i) => audit.record(db, systemActor, entry(i))))
  const rows = await db('audit_log').where({ tenant_id: tenant.id, action: 'test.thing.done' }).orderBy('id')
  t.same(rows.map((r) => r.target_id), Array.from({ length: 20 }, (_, i) => `t-${i}`), 'all twenty, in the order recorded')
  t.ok(inserts.length <= 2, `${inserts.length} insert statement(s) for 20 entries`)

  // One entry the table refuses (an action too long for its column) among good ones: only it fails.
  const results = await Promise.allSettled([
    audit.record(db, systemActor, entry(100)),
    audit.record(db, systemActor, { ...entry(101), action: 'x'.repeat(200) }),
    audit.record(db, systemActor, entry(102)),
  ])
  t.same(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled'])
  t.same((await db('audit_log').where({ tenant_id: tenant.id }).whereIn('target_id', ['t-100', 't-101', 't-102']).orderBy('id')).map((r) => r.target_id), ['t-100', 't-102'])

  // Inside a transaction the entry is the transaction's: gone if it rolls back.
  await db.transaction(async (trx) => {
    await audit.record(trx, systemActor, entry(200))
    await trx.rollback()
  }).catch(() => {})
  t.equal((await db('audit_log').where({ target_id: 't-200' })).length, 0)
})
