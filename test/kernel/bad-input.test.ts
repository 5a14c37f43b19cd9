import t, { type Test } from 'tap'
import type { InjectOptions } from 'fastify'
import type { Response } from 'light-my-request'
import { createTestKernel, type TestKernel, type TestSession } from '../../kernel/testing/harness.ts'
import { newId } from '../../kernel/db/ids.ts'

// Every refusal must be a clear 4xx with the one error shape, leak nothing, and write nothing.
const LEAK = /at .*\.ts|select |insert |node_modules/i

function assertErrorShape(t: Test, res: Response, label: string) {
  t.not(res.statusCode, 500, `${label}: never a 500`)
  let body: any
  try {
    body = res.json()
  } catch {
    t.fail(`${label}: body is not JSON: ${res.body.slice(0, 100)}`)
    return
  }
  t.same(Object.keys(body), ['error'], `${label}: body is exactly { error }`)
  t.same(Object.keys(body.error ?? {}).filter((k) => !['code', 'message', 'details'].includes(k)), [], `${label}: error has only code, message, details`)
  t.match(body.error, { code: /^[a-z_]+$/, message: String }, `${label}: stable code and a message`)
  t.notMatch(res.body, LEAK, `${label}: no stack, SQL or file paths`)
}

/** Row counts of every kernel table plus the rows the requests below aim at. */
async function snapshot(h: TestKernel, tenantId: string, memberId: string) {
  const db = h.services.db
  const counts: Record<string, number> = {}
  for (const table of ['tenants', 'users', 'memberships', 'custom_roles', 'api_keys', 'audit_log', 'sessions']) {
    counts[table] = Number((await db(table).count('* as c'))[0].c)
  }
  return {
    counts,
    tenant: await db('tenants').where({ id: tenantId }).first('name', 'timezone', 'locale', 'status', 'updated_at'),
    member: await db('memberships').where({ tenant_id: tenantId, user_id: memberId }).first('role', 'active', 'updated_at'),
    memberUser: await db('users').where({ id: memberId }).first('name', 'is_operator', 'updated_at'),
  }
}

interface Case {
  label: string
  req: InjectOptions
  status: number
  code: string
  field?: string
}

const json = (payload: string): Pick<InjectOptions, 'payload' | 'headers'> => ({ payload, headers: { 'content-type': 'application/json' } })
const longEmail = `a@${Array(4).fill('b'.repeat(63)).join('.')}` // 257 characters, each part otherwise valid

t.test('bad input (body limit 2048)', async (t) => {
  const h = await createTestKernel(t, { config: { bodyLimit: 2048 } })
  const acme = await h.createTenant()
  const op: TestSession = await h.login(acme, 'super_admin', { isOperator: true })
  const member = await h.createUser(acme, 'agent')
  const snap = () => snapshot(h, acme.id, member.id)

  async function refused(t: Test, c: Case) {
    const before = await snap()
    const res = await op.inject(c.req)
    t.equal(res.statusCode, c.status, `${c.label} → ${c.status} (${res.body.slice(0, 160)})`)
    assertErrorShape(t, res, c.label)
    t.equal(res.json().error?.code, c.code, `${c.label}: code ${c.code}`)
    if (c.field !== undefined) t.ok(res.json().error?.details?.some((d: any) => d.field === c.field), `${c.label}: details name "${c.field}"`)
    t.same(await snap(), before, `${c.label}: nothing written`)
  }

  const user = { email: 'fresh@test.sapa', name: 'Fresh', role: 'agent', password: 'a long enough password' }
  const role = { name: 'Role', level: 1, permissions: ['kernel.me.view'] }

  t.test('unknown fields', async (t) => {
    const cases: Case[] = [
      { label: 'POST /api/users isOperator', req: { method: 'POST', url: '/api/users', payload: { ...user, isOperator: true } }, status: 400, code: 'validation_failed', field: 'isOperator' },
      { label: 'POST /api/roles tenantId', req: { method: 'POST', url: '/api/roles', payload: { ...role, tenantId: newId() } }, status: 400, code: 'validation_failed', field: 'tenantId' },
      { label: 'PATCH /api/users tenant_id', req: { method: 'PATCH', url: `/api/users/${member.id}`, payload: { role: 'viewer', tenant_id: newId() } }, status: 400, code: 'validation_failed', field: 'tenant_id' },
      { label: 'PATCH /api/tenant status', req: { method: 'PATCH', url: '/api/tenant', payload: { name: 'X', status: 'suspended' } }, status: 400, code: 'validation_failed', field: 'status' },
      { label: 'POST /api/api-keys key', req: { method: 'POST', url: '/api/api-keys', payload: { name: 'k', role: 'agent', key: 'sapa_chosen_by_me' } }, status: 400, code: 'validation_failed', field: 'key' },
      { label: 'POST /api/tenants status', req: { method: 'POST', url: '/api/tenants', payload: { name: 'X', slug: 'x-unknown', status: 'suspended' } }, status: 400, code: 'validation_failed', field: 'status' },
      { label: 'POST /api/tenants admin.isOperator', req: { method: 'POST', url: '/api/tenants', payload: { name: 'X', slug: 'x-unknown', admin: { email: 'x@test.sapa', name: 'X', password: 'a long enough password', isOperator: true } } }, status: 400, code: 'validation_failed', field: 'admin.isOperator' },
      { label: 'PATCH /api/me email', req: { method: 'PATCH', url: '/api/me', payload: { name: 'X', email: 'me@evil.test' } }, status: 400, code: 'validation_failed', field: 'email' },
      { label: 'POST /api/auth/login remember', req: { method: 'POST', url: '/api/auth/login', payload: { email: member.email, password: member.password, remember: true } }, status: 400, code: 'validation_failed', field: 'remember' },
      { label: 'POST /api/auth/logout body', req: { method: 'POST', url: '/api/auth/logout', payload: { everywhere: true } }, status: 400, code: 'validation_failed', field: 'everywhere' },
    ]
    for (const c of cases) await refused(t, c)
    const res = await op.inject(cases[0].req)
    t.same(res.json().error.details, [{ in: 'body', field: 'isOperator', problem: 'unknown field "isOperator"' }], 'details say where and what')
  })

  t.test('missing required fields and empty patches', async (t) => {
    const { role: _r, ...noRole } = user
    const { email: _e, ...noEmail } = user
    const cases: Case[] = [
      { label: 'POST /api/users without role', req: { method: 'POST', url: '/api/users', payload: noRole }, status: 400, code: 'validation_failed', field: 'role' },
      { label: 'POST /api/users without email', req: { method: 'POST', url: '/api/users', payload: noEmail }, status: 400, code: 'validation_failed', field: 'email' },
      { label: 'POST /api/roles without level', req: { method: 'POST', url: '/api/roles', payload: { name: 'X' } }, status: 400, code: 'validation_failed', field: 'level' },
      { label: 'POST /api/api-keys without name', req: { method: 'POST', url: '/api/api-keys', payload: { role: 'agent' } }, status: 400, code: 'validation_failed', field: 'name' },
      { label: 'POST /api/tenants without slug', req: { method: 'POST', url: '/api/tenants', payload: { name: 'X' } }, status: 400, code: 'validation_failed', field: 'slug' },
      { label: 'POST /api/tenants admin without email', req: { method: 'POST', url: '/api/tenants', payload: { name: 'X', slug: 'x-missing', admin: { name: 'X' } } }, status: 400, code: 'validation_failed', field: 'admin.email' },
      { label: 'POST /api/auth/login without password', req: { method: 'POST', url: '/api/auth/login', payload: { email: member.email } }, status: 400, code: 'validation_failed', field: 'password' },
      { label: 'POST /api/users with no body', req: { method: 'POST', url: '/api/users' }, status: 400, code: 'validation_failed' },
      { label: 'PATCH /api/users {}', req: { method: 'PATCH', url: `/api/users/${member.id}`, payload: {} }, status: 400, code: 'validation_failed' },
      { label: 'PATCH /api/tenant {}', req: { method: 'PATCH', url: '/api/tenant', payload: {} }, status: 400, code: 'validation_failed' },
      { label: 'PATCH /api/me newPassword without currentPassword', req: { method: 'PATCH', url: '/api/me', payload: { newPassword: 'another long password' } }, status: 400, code: 'validation_failed', field: 'currentPassword' },
    ]
    for (const c of cases) await refused(t, c)
  })

  t.test('overlong strings', async (t) => {
    const n121 = 'n'.repeat(121)
    const cases: Case[] = [
      { label: 'POST /api/users name 121', req: { method: 'POST', url: '/api/users', payload: { ...user, name: n121 } }, status: 400, code: 'validation_failed', field: 'name' },
      { label: 'POST /api/users email 257', req: { method: 'POST', url: '/api/users', payload: { ...user, email: longEmail } }, status: 400, code: 'validation_failed', field: 'email' },
      { label: 'PATCH /api/users name 121', req: { method: 'PATCH', url: `/api/users/${member.id}`, payload: { name: n121 } }, status: 400, code: 'validation_failed', field: 'name' },
      { label: 'PATCH /api/me name 121', req: { method: 'PATCH', url: '/api/me', payload: { name: n121 } }, status: 400, code: 'validation_failed', field: 'name' },
      { label: 'PATCH /api/tenant name 121', req: { method: 'PATCH', url: '/api/tenant', payload: { name: n121 } }, status: 400, code: 'validation_failed', field: 'name' },
      { label: 'PATCH /api/tenant timezone 65', req: { method: 'PATCH', url: '/api/tenant', payload: { timezone: 'Z'.repeat(65) } }, status: 400, code: 'validation_failed', field: 'timezone' },
      { label: 'POST /api/api-keys name 121', req: { method: 'POST', url: '/api/api-keys', payload: { name: n121, role: 'agent' } }, status: 400, code: 'validation_failed', field: 'name' },
      { label: 'POST /api/roles name 65', req: { method: 'POST', url: '/api/roles', payload: { ...role, name: 'n'.repeat(65) } }, status: 400, code: 'validation_failed', field: 'name' },
      { label: 'POST /api/roles description 501', req: { method: 'POST', url: '/api/roles', payload: { ...role, description: 'd'.repeat(501) } }, status: 400, code: 'validation_failed', field: 'description' },
      { label: 'POST /api/roles permission 129', req: { method: 'POST', url: '/api/roles', payload: { ...role, permissions: ['p'.repeat(129)] } }, status: 400, code: 'validation_failed', field: 'permissions.0' },
      { label: 'POST /api/tenants name 121', req: { method: 'POST', url: '/api/tenants', payload: { name: n121, slug: 'x-long' } }, status: 400, code: 'validation_failed', field: 'name' },
      { label: 'POST /api/tenants slug 64', req: { method: 'POST', url: '/api/tenants', payload: { name: 'X', slug: 's'.repeat(64) } }, status: 400, code: 'validation_failed', field: 'slug' },
      { label: 'POST /api/tenants admin email 257', req: { method: 'POST', url: '/api/tenants', payload: { name: 'X', slug: 'x-long', admin: { email: longEmail, name: 'X', password: 'a long enough password' } } }, status: 400, code: 'validation_failed', field: 'admin.email' },
      { label: 'POST /api/auth/login email 257', req: { method: 'POST', url: '/api/auth/login', payload: { email: longEmail, password: 'whatever' } }, status: 400, code: 'validation_failed', field: 'email' },
      { label: 'GET /api/users q 121', req: { method: 'GET', url: `/api/users?q=${n121}` }, status: 400, code: 'validation_failed', field: 'q' },
    ]
    for (const c of cases) await refused(t, c)
  })

  t.test('wrong types', async (t) => {
    const cases: Case[] = [
      { label: 'level "abc"', req: { method: 'POST', url: '/api/roles', payload: { ...role, level: 'abc' } }, status: 400, code: 'validation_failed', field: 'level' },
      { label: 'level 1.5', req: { method: 'POST', url: '/api/roles', payload: { ...role, level: 1.5 } }, status: 400, code: 'validation_failed', field: 'level' },
      { label: 'level 10', req: { method: 'POST', url: '/api/roles', payload: { ...role, level: 10 } }, status: 400, code: 'validation_failed', field: 'level' },
      { label: 'name {}', req: { method: 'POST', url: '/api/roles', payload: { ...role, name: {} } }, status: 400, code: 'validation_failed', field: 'name' },
      { label: 'permissions {}', req: { method: 'POST', url: '/api/roles', payload: { ...role, permissions: { 0: 'kernel.me.view' } } }, status: 400, code: 'validation_failed', field: 'permissions' },
      { label: 'permissions [{}]', req: { method: 'POST', url: '/api/roles', payload: { ...role, permissions: [{}] } }, status: 400, code: 'validation_failed', field: 'permissions.0' },
      { label: 'permissions with duplicates', req: { method: 'POST', url: '/api/roles', payload: { ...role, permissions: ['kernel.me.view', 'kernel.me.view'] } }, status: 400, code: 'validation_failed', field: 'permissions' },
      { label: 'active "maybe"', req: { method: 'PATCH', url: `/api/users/${member.id}`, payload: { active: 'maybe' } }, status: 400, code: 'validation_failed', field: 'active' },
      { label: 'active {}', req: { method: 'PATCH', url: `/api/users/${member.id}`, payload: { active: {} } }, status: 400, code: 'validation_failed', field: 'active' },
      { label: 'role []', req: { method: 'PATCH', url: `/api/users/${member.id}`, payload: { role: [] } }, status: 400, code: 'validation_failed', field: 'role' },
      { label: 'email not an email', req: { method: 'POST', url: '/api/users', payload: { ...user, email: 'not-an-email' } }, status: 400, code: 'validation_failed', field: 'email' },
      { label: 'expiresAt 12345', req: { method: 'POST', url: '/api/api-keys', payload: { name: 'k', role: 'agent', expiresAt: 12345 } }, status: 400, code: 'validation_failed', field: 'expiresAt' },
      { label: 'locale "fr"', req: { method: 'PATCH', url: '/api/tenant', payload: { locale: 'fr' } }, status: 400, code: 'validation_failed', field: 'locale' },
      { label: 'slug with capitals', req: { method: 'POST', url: '/api/tenants', payload: { name: 'X', slug: 'Bad Slug' } }, status: 400, code: 'validation_failed', field: 'slug' },
      { label: 'body is an array', req: { method: 'POST', url: '/api/roles', ...json('[{"name":"x","level":1}]') }, status: 400, code: 'validation_failed' },
      { label: 'body is null', req: { method: 'POST', url: '/api/roles', ...json('null') }, status: 400, code: 'validation_failed' },
      { label: 'body is a string', req: { method: 'POST', url: '/api/roles', ...json('"role"') }, status: 400, code: 'validation_failed' },
      { label: 'body is a number', req: { method: 'POST', url: '/api/roles', ...json('42') }, status: 400, code: 'validation_failed' },
      { label: 'limit "abc"', req: { method: 'GET', url: '/api/users?limit=abc' }, status: 400, code: 'validation_failed', field: 'limit' },
      { label: 'limit twice', req: { method: 'GET', url: '/api/users?limit=1&limit=2' }, status: 400, code: 'validation_failed', field: 'limit' },
      { label: 'from not a date-time', req: { method: 'GET', url: '/api/audit?from=yesterday' }, status: 400, code: 'validation_failed', field: 'from' },
    ]
    for (const c of cases) await refused(t, c)
  })

  t.test('__proto__, constructor and prototype keys', async (t) => {
    const p = '{"a":1}'
    const validAdmin = '"email":"n@test.sapa","name":"N","password":"a long enough password"'
    const cases: Case[] = [
      { label: 'top-level __proto__', req: { method: 'POST', url: '/api/roles', ...json(`{"name":"x","level":1,"__proto__":{"polluted":1}}`) }, status: 400, code: 'invalid_json' },
      { label: 'top-level escaped __proto__', req: { method: 'POST', url: '/api/roles', ...json(`{"name":"x","level":1,"\\u005f_proto__":{"polluted":1}}`) }, status: 400, code: 'invalid_json' },
      { label: 'top-level constructor.prototype', req: { method: 'POST', url: '/api/roles', ...json(`{"name":"x","level":1,"constructor":{"prototype":{"polluted":1}}}`) }, status: 400, code: 'invalid_json' },
      { label: 'top-level constructor', req: { method: 'POST', url: '/api/roles', ...json(`{"name":"x","level":1,"constructor":${p}}`) }, status: 400, code: 'validation_failed', field: 'constructor' },
      { label: 'top-level prototype', req: { method: 'POST', url: '/api/roles', ...json(`{"name":"x","level":1,"prototype":${p}}`) }, status: 400, code: 'validation_failed', field: 'prototype' },
      { label: 'nested __proto__', req: { method: 'POST', url: '/api/tenants', ...json(`{"name":"x","slug":"nested-1","admin":{${validAdmin},"__proto__":{"isOperator":true}}}`) }, status: 400, code: 'invalid_json' },
      { label: 'nested constructor.prototype', req: { method: 'POST', url: '/api/tenants', ...json(`{"name":"x","slug":"nested-2","admin":{${validAdmin},"constructor":{"prototype":{"isOperator":true}}}}`) }, status: 400, code: 'invalid_json' },
      { label: 'nested constructor', req: { method: 'POST', url: '/api/tenants', ...json(`{"name":"x","slug":"nested-3","admin":{${validAdmin},"constructor":${p}}}`) }, status: 400, code: 'validation_failed', field: 'admin.constructor' },
      { label: 'nested prototype', req: { method: 'POST', url: '/api/tenants', ...json(`{"name":"x","slug":"nested-4","admin":{${validAdmin},"prototype":${p}}}`) }, status: 400, code: 'validation_failed', field: 'admin.prototype' },
      { label: '__proto__ inside an array', req: { method: 'POST', url: '/api/roles', ...json(`{"name":"x","level":1,"permissions":[{"__proto__":{"polluted":1}}]}`) }, status: 400, code: 'invalid_json' },
      { label: '__proto__ role on a member', req: { method: 'PATCH', url: `/api/users/${member.id}`, ...json(`{"__proto__":{"role":"super_admin"}}`) }, status: 400, code: 'invalid_json' },
      { label: '__proto__ next to a valid field', req: { method: 'PATCH', url: `/api/users/${member.id}`, ...json(`{"role":"viewer","__proto__":{"active":false}}`) }, status: 400, code: 'invalid_json' },
      { label: '__proto__ at login', req: { method: 'POST', url: '/api/auth/login', ...json(`{"email":"${member.email}","password":"${member.password}","__proto__":{"tenant":"x"}}`) }, status: 400, code: 'invalid_json' },
      { label: '?__proto__=', req: { method: 'GET', url: '/api/users?__proto__=1' }, status: 400, code: 'validation_failed', field: '__proto__' },
      { label: '?__proto__[x]=', req: { method: 'GET', url: '/api/users?__proto__[polluted]=1' }, status: 400, code: 'validation_failed' },
      { label: '?constructor=', req: { method: 'GET', url: '/api/users?constructor=1' }, status: 400, code: 'validation_failed', field: 'constructor' },
      { label: '?prototype=', req: { method: 'GET', url: '/api/audit?prototype=1' }, status: 400, code: 'validation_failed', field: 'prototype' },
    ]
    for (const c of cases) await refused(t, c)
    t.equal(({} as any).polluted, undefined, 'Object.prototype untouched')
    t.equal(({} as any).isOperator, undefined)
    t.equal(({} as any).role, undefined)
  })

  t.test('body over the limit, invalid JSON', async (t) => {
    const big = JSON.stringify({ ...role, description: 'd'.repeat(2100) })
    const cases: Case[] = [
      { label: 'POST /api/roles 2 KB+', req: { method: 'POST', url: '/api/roles', ...json(big) }, status: 413, code: 'payload_too_large' },
      { label: 'PATCH /api/tenant 2 KB+', req: { method: 'PATCH', url: '/api/tenant', ...json(JSON.stringify({ name: 'n'.repeat(3000) })) }, status: 413, code: 'payload_too_large' },
      { label: 'login 2 KB+ (public route)', req: { method: 'POST', url: '/api/auth/login', ...json(JSON.stringify({ email: 'a@b.c', password: 'p'.repeat(3000) })) }, status: 413, code: 'payload_too_large' },
      { label: 'text/plain 2 KB+', req: { method: 'POST', url: '/api/roles', payload: big, headers: { 'content-type': 'text/plain' } }, status: 413, code: 'payload_too_large' },
      { label: 'truncated JSON', req: { method: 'POST', url: '/api/roles', ...json('{"name":') }, status: 400, code: 'invalid_json' },
      { label: 'unquoted keys', req: { method: 'POST', url: '/api/roles', ...json('{name: "x", level: 1}') }, status: 400, code: 'invalid_json' },
      { label: 'single quotes', req: { method: 'POST', url: '/api/roles', ...json("{'name':'x','level':1}") }, status: 400, code: 'invalid_json' },
      { label: 'trailing garbage', req: { method: 'POST', url: '/api/roles', ...json('{"name":"x","level":1} trailing') }, status: 400, code: 'invalid_json' },
      { label: 'empty body with a JSON content type', req: { method: 'POST', url: '/api/roles', ...json('') }, status: 400, code: 'invalid_json' },
      { label: 'invalid JSON on a public route', req: { method: 'POST', url: '/api/auth/login', ...json('{"email":') }, status: 400, code: 'invalid_json' },
    ]
    for (const c of cases) await refused(t, c)
  })

  t.test('content types: parsed and validated as JSON, or 415', async (t) => {
    const asJson = ['application/json', 'Application/JSON', 'APPLICATION/JSON; charset=UTF-8', 'application/json;charset=utf-8', 'application/json\t; charset=utf-8', ' application/json', 'application/json ; charset=utf-8']
    for (const [i, type] of asJson.entries()) {
      const label = JSON.stringify(type)
      await refused(t, { label: `${label} with an unknown field`, req: { method: 'POST', url: '/api/roles', payload: JSON.stringify({ ...role, name: `ct-${i}`, bogus: 1 }), headers: { 'content-type': type } }, status: 400, code: 'validation_failed', field: 'bogus' })
      await refused(t, { label: `${label} with a bad level`, req: { method: 'POST', url: '/api/roles', payload: JSON.stringify({ ...role, name: `ct-${i}`, level: 99 }), headers: { 'content-type': type } }, status: 400, code: 'validation_failed', field: 'level' })
      const ok = await op.inject({ method: 'POST', url: '/api/roles', payload: JSON.stringify({ ...role, name: `ct-${i}` }), headers: { 'content-type': type } })
      t.equal(ok.statusCode, 201, `${label}: a valid body is accepted`)
      t.equal(ok.json().name, `ct-${i}`, `${label}: and parsed as JSON`)
    }

    // Not JSON: a simple-request type (text/plain, forms) must never be read as JSON, or a
    // cross-site form could post to the API without a CORS preflight.
    const notJson = ['text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=xyz', 'application/xml', 'text/json', 'application/jsonx', 'application/json-patch+json', 'json', '']
    for (const type of notJson) {
      const label = JSON.stringify(type)
      const before = await snap()
      const res = await op.inject({ method: 'POST', url: '/api/roles', payload: JSON.stringify({ ...role, name: `nj-${type}` }), headers: { 'content-type': type } })
      assertErrorShape(t, res, label)
      t.ok(
        res.statusCode === 415 ? res.json().error.code === 'unsupported_media_type' : res.statusCode === 400 && res.json().error.code === 'validation_failed',
        `${label}: 415 unsupported_media_type, or 400 because the text is not an object (got ${res.statusCode} ${res.json().error?.code})`,
      )
      t.same(await snap(), before, `${label}: nothing written`)
    }
    const form = await op.inject({ method: 'POST', url: '/api/roles', payload: 'name=x&level=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    t.equal(form.statusCode, 415)
    t.equal(form.json().error.code, 'unsupported_media_type')
  })

  t.test('cursors, query parameters, ids', async (t) => {
    const b64 = (s: string) => Buffer.from(s).toString('base64url')
    const cases: Case[] = []
    for (const url of ['/api/users', '/api/api-keys', '/api/audit', '/api/tenants']) {
      for (const [name, cursor] of [['garbage', 'abc'], ['36 dashes', b64('-'.repeat(36))], ['36 hex, not a uuid', b64('a'.repeat(36))], ['a uuid with a tail', b64(newId() + 'x')]] as const) {
        cases.push({ label: `${url} cursor: ${name}`, req: { method: 'GET', url: `${url}?cursor=${encodeURIComponent(cursor)}` }, status: 400, code: 'invalid_cursor' })
      }
      cases.push({ label: `${url} cursor too long`, req: { method: 'GET', url: `${url}?cursor=${'a'.repeat(201)}` }, status: 400, code: 'validation_failed', field: 'cursor' })
      cases.push({ label: `${url} unknown query parameter`, req: { method: 'GET', url: `${url}?tenant_id=${acme.id}` }, status: 400, code: 'validation_failed', field: 'tenant_id' })
    }
    cases.push(
      { label: 'GET /api/me?x=1', req: { method: 'GET', url: '/api/me?x=1' }, status: 400, code: 'validation_failed', field: 'x' },
      { label: 'GET /api/roles?all=true', req: { method: 'GET', url: '/api/roles?all=true' }, status: 400, code: 'validation_failed', field: 'all' },
      { label: 'POST /api/users?debug=1', req: { method: 'POST', url: '/api/users?debug=1', payload: user }, status: 400, code: 'validation_failed', field: 'debug' },
      { label: 'DELETE /api/api-keys/:id?force=1', req: { method: 'DELETE', url: `/api/api-keys/${newId()}?force=1` }, status: 400, code: 'validation_failed', field: 'force' },
      { label: 'GET /api/audit?actorId=nope', req: { method: 'GET', url: '/api/audit?actorId=nope' }, status: 400, code: 'validation_failed', field: 'actorId' },
      { label: 'GET /api/audit?actorId=urn:uuid:…', req: { method: 'GET', url: `/api/audit?actorId=urn:uuid:${newId()}` }, status: 400, code: 'validation_failed', field: 'actorId' },
    )
    const urn = `urn:uuid:${member.id}`
    for (const [method, url, payload] of [
      ['PATCH', '/api/users/123', { name: 'X' }],
      ['PATCH', `/api/users/${encodeURIComponent(urn)}`, { name: 'X' }],
      ['PATCH', `/api/users/${member.id.replace(/-/g, '')}`, { name: 'X' }],
      ['PATCH', `/api/users/${member.id}x`, { name: 'X' }],
      ['PATCH', '/api/users/%00', { name: 'X' }],
      ['DELETE', '/api/api-keys/abc', undefined],
      ['DELETE', `/api/api-keys/${encodeURIComponent(`urn:uuid:${newId()}`)}`, undefined],
      ['PATCH', '/api/tenants/abc', { name: 'X' }],
      ['PATCH', `/api/tenants/${encodeURIComponent(`urn:uuid:${acme.id}`)}`, { name: 'X' }],
      ['PATCH', `/api/roles/${'r'.repeat(65)}`, { name: 'X' }],
    ] as const) {
      cases.push({ label: `${method} ${url.slice(0, 60)}`, req: { method, url, payload }, status: 400, code: 'validation_failed', field: 'id' })
    }
    cases.push({ label: 'switch-tenant to a urn:uuid', req: { method: 'POST', url: '/api/auth/switch-tenant', payload: { tenantId: `urn:uuid:${acme.id}` } }, status: 400, code: 'validation_failed', field: 'tenantId' })
    for (const c of cases) await refused(t, c)

    const notFound = await op.inject({ method: 'GET', url: '/api/nothing-here?x=1' })
    t.equal(notFound.statusCode, 404)
    assertErrorShape(t, notFound, 'unknown route')
    t.equal(notFound.json().error.code, 'route_not_found')
    t.equal(notFound.json().error.message, 'No route GET /api/nothing-here', 'answered by the web shell\'s catch-all, as the not-found handler would')
    t.equal((await op.inject({ method: 'PUT', url: '/api/users' })).json().error.code, 'route_not_found', 'unknown method')
  })
})

t.test('bad input (default body limit)', async (t) => {
  const h = await createTestKernel(t)
  const acme = await h.createTenant()
  const admin = await h.login(acme, 'super_admin')
  const member = await h.createUser(acme, 'agent')
  const snap = () => snapshot(h, acme.id, member.id)

  t.test('arrays over maxItems', async (t) => {
    const before = await snap()
    const over = await admin.inject({ method: 'POST', url: '/api/roles', payload: { name: 'Many', level: 1, permissions: Array.from({ length: 1001 }, (_, i) => `kernel.me.v${i}`) } })
    t.equal(over.statusCode, 400)
    assertErrorShape(t, over, '1001 permissions')
    t.equal(over.json().error.code, 'validation_failed')
    t.match(over.json().error.details, [{ in: 'body', field: 'permissions' }])
    const atLimit = await admin.inject({ method: 'POST', url: '/api/roles', payload: { name: 'Many', level: 1, permissions: Array.from({ length: 1000 }, (_, i) => `kernel.me.v${i}`) } })
    t.equal(atLimit.json().error.code, 'unknown_permission', '1000 passes the schema (and fails on the unknown keys)')
    t.same(await snap(), before, 'nothing written')
  })

  // Bodies are coerced like query strings today (ajv coerceTypes: 'array' in kernel/app.ts):
  // a string for a number, an array for a string, "false" for a boolean all slip through.
  t.test('body types are not coerced', async (t) => {
    const cases = [
      { label: 'level "1"', req: { method: 'POST', url: '/api/roles', payload: { name: 'Coerced 1', level: '1' } } },
      { label: 'name ["x"]', req: { method: 'POST', url: '/api/roles', payload: { name: ['Coerced 2'], level: 1 } } },
      { label: 'permissions "kernel.me.view"', req: { method: 'POST', url: '/api/roles', payload: { name: 'Coerced 3', level: 1, permissions: 'kernel.me.view' } } },
      { label: 'active "false"', req: { method: 'PATCH', url: `/api/users/${member.id}`, payload: { active: 'false' } } },
      { label: 'name 12345', req: { method: 'PATCH', url: `/api/users/${member.id}`, payload: { name: 12345 } } },
    ] as const
    for (const c of cases) {
      const res = await admin.inject(c.req as InjectOptions)
      t.equal(res.statusCode, 400, `${c.label} → 400`)
    }
  })
})

t.test('a NUL character is a 400, never a 500', async (t) => {
  const { createTestKernel } = await import('../../kernel/testing/harness.ts')
  const h = await createTestKernel(t)
  const tenant = await h.createTenant()
  const admin = await h.login(tenant, 'admin')
  const before = (await h.services.db('custom_roles').count('* as c'))[0].c
  const res = await admin.inject({ method: 'POST', url: '/api/roles', headers: { 'content-type': 'application/json' }, payload: '{"name":"Nul\\u0000role","level":2}' })
  t.equal(res.statusCode, 400)
  t.equal(res.json().error.code, 'invalid_characters')
  const escaped = await admin.inject({ method: 'POST', url: '/api/roles', headers: { 'content-type': 'application/json' }, payload: '{"name":"literal \\\\u0000 text","level":2}' })
  t.equal(escaped.statusCode, 201, 'an escaped backslash followed by u0000 is ordinary text')
  t.equal(Number((await h.services.db('custom_roles').count('* as c'))[0].c), Number(before) + 1)
})
