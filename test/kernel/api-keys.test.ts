import t from 'tap'
import { createHash } from 'node:crypto'
import type { Response } from 'light-my-request'
import { assertError } from '../../kernel/testing/assert-error.ts'
import { createTestKernel } from '../../kernel/testing/harness.ts'
import { newId } from '../../kernel/db/ids.ts'


t.test('API keys', async (t) => {
  const h = await createTestKernel(t)
  const db = h.services.db
  const acme = await h.createTenant()
  const other = await h.createTenant()
  const admin = await h.login(acme, 'admin')
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
  const me = (token: string) => h.inject({ method: 'GET', url: '/api/me', headers: bearer(token) })
  const keyCount = async () => Number((await db('api_keys').count('* as c'))[0].c)

  t.test('shown once, stored hashed, works as a Bearer token', async (t) => {
    const res = await admin.inject({ method: 'POST', url: '/api/api-keys', payload: { name: ' Zapier ', role: 'agent' } })
    t.equal(res.statusCode, 201)
    const body = res.json()
    t.match(body.key, /^sapa_[A-Za-z0-9_-]{43}$/, 'sapa_ + 256 random bits')
    t.match(body, { name: 'Zapier', role: 'agent', createdBy: admin.user.id, revokedAt: null, expiresAt: null, prefix: body.key.slice(0, 12) })

    const row = await db('api_keys').where({ id: body.id }).first()
    t.equal(row.tenant_id, acme.id)
    t.equal(row.key_hash, createHash('sha256').update(body.key).digest('hex'), 'the hash is stored')
    const secretPart = body.key.slice(12)
    for (const [column, value] of Object.entries(row)) {
      t.notOk(String(value).includes(secretPart), `column ${column} does not hold the key`)
    }

    const list = await admin.inject({ method: 'GET', url: '/api/api-keys' })
    t.equal(list.statusCode, 200)
    t.notOk(list.body.includes(secretPart), 'the list never shows the key')
    t.notOk(list.body.includes(row.key_hash), 'nor its hash')
    const item = list.json().items.find((k: any) => k.id === body.id)
    t.same(Object.keys(item).sort(), ['createdAt', 'createdBy', 'expiresAt', 'id', 'lastUsedAt', 'name', 'prefix', 'revokedAt', 'role'])

    const ok = await me(body.key)
    t.equal(ok.statusCode, 200)
    t.match(ok.json(), { user: null, apiKey: { id: body.id, name: 'Zapier' }, tenant: { id: acme.id }, role: { key: 'agent', level: 5 } })
    t.equal((await h.inject({ method: 'GET', url: '/api/me', headers: { authorization: `bearer ${body.key}` } })).statusCode, 200, 'scheme is case-insensitive')
    assertError(t, await h.inject({ method: 'GET', url: '/api/users', headers: bearer(body.key) }), 403, 'forbidden', 'the key has its role, not its creator\'s')
    const noCsrf = await h.inject({ method: 'PATCH', url: '/api/me', headers: bearer(body.key), payload: { name: 'x' } })
    assertError(t, noCsrf, 400, 'session_required', 'a key has no profile (and needs no CSRF header)')
  })

  t.test('wrong, malformed, revoked and expired keys are 401', async (t) => {
    const { key, id } = (await admin.inject({ method: 'POST', url: '/api/api-keys', payload: { name: 'to revoke', role: 'viewer' } })).json()
    const wrong = 'sapa_' + 'A'.repeat(43)
    for (const header of [`Bearer ${wrong}`, `Bearer ${key}x`, `Bearer ${key.slice(0, -1)}`, 'Bearer not-a-sapa-key', `Basic ${key}`, 'Bearer', `Bearer ${key} extra`, `Bearer sapa_${'x'.repeat(300)}`]) {
      assertError(t, await h.inject({ method: 'GET', url: '/api/me', headers: { authorization: header } }), 401, 'unauthorized', JSON.stringify(header.slice(0, 40)))
    }
    t.equal((await me(key)).statusCode, 200)
    const revoke = await admin.inject({ method: 'DELETE', url: `/api/api-keys/${id}` })
    t.equal(revoke.statusCode, 204)
    assertError(t, await me(key), 401, 'unauthorized', 'revoked: dead on the next request')
    const row = await db('api_keys').where({ id }).first('revoked_at')
    t.ok(row.revoked_at, 'revoked_at set')
    t.equal((await admin.inject({ method: 'DELETE', url: `/api/api-keys/${id}` })).statusCode, 204, 'revoking twice is harmless')
    t.same((await db('api_keys').where({ id }).first('revoked_at')).revoked_at, row.revoked_at, 'first revocation time kept')
    assertError(t, await admin.inject({ method: 'DELETE', url: `/api/api-keys/${newId()}` }), 404, 'api_key_not_found', 'unknown key')

    const revokedList = (await admin.inject({ method: 'GET', url: '/api/api-keys?revoked=true' })).json().items
    t.ok(revokedList.some((k: any) => k.id === id) && revokedList.every((k: any) => k.revokedAt), 'revoked=true filter')
    const live = (await admin.inject({ method: 'GET', url: '/api/api-keys?revoked=false' })).json().items
    t.ok(live.every((k: any) => k.revokedAt === null) && !live.some((k: any) => k.id === id), 'revoked=false filter')

    const expiresAt = new Date(h.clock.now().getTime() + 60 * 60_000).toISOString()
    const expiring = await admin.inject({ method: 'POST', url: '/api/api-keys', payload: { name: 'hour', role: 'viewer', expiresAt } })
    t.equal(expiring.statusCode, 201)
    t.equal(new Date(expiring.json().expiresAt).toISOString(), expiresAt)
    t.equal((await me(expiring.json().key)).statusCode, 200)
    h.clock.advance(59 * 60_000)
    t.equal((await me(expiring.json().key)).statusCode, 200, 'still valid a minute before')
    h.clock.advance(2 * 60_000)
    assertError(t, await me(expiring.json().key), 401, 'unauthorized', 'expired')

    const before = await keyCount()
    const past = await admin.inject({ method: 'POST', url: '/api/api-keys', payload: { name: 'past', role: 'viewer', expiresAt: new Date(h.clock.now().getTime() - 1000).toISOString() } })
    assertError(t, past, 400, 'expiry_in_past', 'expiry in the past')
    assertError(t, await admin.inject({ method: 'POST', url: '/api/api-keys', payload: { name: 'bad', role: 'viewer', expiresAt: 'tomorrow' } }), 400, 'validation_failed', 'expiry not a date-time')
    t.equal(await keyCount(), before, 'nothing written')
  })

  t.test("a key stops working when its creator is deactivated; another tenant's keys are out of reach", async (t) => {
    const creator = await h.login(acme, 'admin')
    const { key, id } = (await creator.inject({ method: 'POST', url: '/api/api-keys', payload: { name: 'creator key', role: 'agent' } })).json()
    t.equal((await me(key)).statusCode, 200)
    const superAdmin = await h.login(acme, 'super_admin')
    t.equal((await superAdmin.inject({ method: 'PATCH', url: `/api/users/${creator.user.id}`, payload: { active: false } })).statusCode, 200)
    assertError(t, await me(key), 401, 'unauthorized', "creator deactivated: key dead at once")
    t.equal((await db('api_keys').where({ id }).first('revoked_at')).revoked_at, null, '(the row itself is untouched)')

    const adminB = await h.login(other, 'admin')
    assertError(t, await adminB.inject({ method: 'DELETE', url: `/api/api-keys/${id}` }), 404, 'api_key_not_found', "B revokes A's key")
    t.notOk((await adminB.inject({ method: 'GET', url: '/api/api-keys' })).json().items.some((k: any) => k.id === id), "A's key not in B's list")
  })

  t.test('cursor pagination without gaps or duplicates', async (t) => {
    const shop = await h.createTenant()
    const shopAdmin = await h.login(shop, 'admin')
    const ids: string[] = []
    for (let i = 0; i < 9; i++) ids.push((await shopAdmin.inject({ method: 'POST', url: '/api/api-keys', payload: { name: `key ${i}`, role: 'agent' } })).json().id)
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const res: Response = await shopAdmin.inject({ method: 'GET', url: `/api/api-keys?limit=4${cursor ? `&cursor=${cursor}` : ''}` })
      t.equal(res.statusCode, 200)
      t.ok(res.json().items.length <= 4)
      seen.push(...res.json().items.map((k: any) => k.id))
      cursor = res.json().nextCursor
      pages++
    } while (cursor && pages < 10)
    t.equal(pages, 3)
    t.equal(cursor, null, 'nextCursor null at the end')
    t.same(seen, [...ids].reverse(), 'newest first, every key once, none of another tenant')
    assertError(t, await shopAdmin.inject({ method: 'GET', url: '/api/api-keys?cursor=nope' }), 400, 'invalid_cursor', 'bad cursor')
  })
})
