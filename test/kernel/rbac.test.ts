import t from 'tap'
import type { Response } from 'light-my-request'
import { assertError } from '../../kernel/testing/assert-error.ts'
import { createTestKernel, type Injector, type TestKernel } from '../../kernel/testing/harness.ts'

// The ten predefined roles, highest first, and the lowest role holding each kernel permission
// (kernel/rbac/kernel-permissions.ts). Written out by hand so a change in the grants fails here.
const ROLES = [
  ['super_admin', 10],
  ['admin', 9],
  ['manager', 8],
  ['team_lead', 7],
  ['senior_agent', 6],
  ['agent', 5],
  ['junior_agent', 4],
  ['viewer', 3],
  ['guest', 2],
  ['restricted', 1],
] as const

const LOWEST_LEVEL: Record<string, number> = {
  'kernel.me.view': 1,
  'kernel.plugins.view': 3,
  'kernel.users.view': 7,
  'kernel.roles.view': 7,
  'kernel.users.manage': 8,
  'kernel.audit.view': 8,
  'kernel.roles.manage': 9,
  'kernel.apikeys.manage': 9,
  'kernel.plugins.manage': 9,
  'kernel.settings.manage': 9,
}
const PLATFORM = ['kernel.plugins.install', 'kernel.queues.view', 'kernel.tenants.manage']

const expectedPermissions = (level: number) =>
  Object.entries(LOWEST_LEVEL)
    .filter(([, lowest]) => lowest <= level)
    .map(([key]) => key)
    .sort()


let seq = 0
const uniq = (p: string) => `${p}-${++seq}`

interface Probe {
  permission: string // null-free: the permission the route requires
  label: string
  platform?: boolean
  call(inject: Injector): Promise<Response>
  ok: number
  /** Counts that must not move when the call is refused. */
  written?(h: TestKernel, tenantId: string): Promise<unknown>
}

const count = async (h: TestKernel, table: string, where: Record<string, unknown>) =>
  Number((await h.services.db(table).where(where).count('* as c'))[0].c)

const probes: Probe[] = [
  { permission: 'kernel.me.view', label: 'GET /api/me', ok: 200, call: (i) => i({ method: 'GET', url: '/api/me' }) },
  { permission: 'kernel.users.view', label: 'GET /api/users', ok: 200, call: (i) => i({ method: 'GET', url: '/api/users' }) },
  {
    permission: 'kernel.users.manage',
    label: 'POST /api/users',
    ok: 201,
    call: (i) => i({ method: 'POST', url: '/api/users', payload: { email: `${uniq('new')}@test.sapa`, name: 'New', role: 'restricted', password: 'a long enough password' } }),
    written: (h, tenantId) => count(h, 'memberships', { tenant_id: tenantId }),
  },
  { permission: 'kernel.roles.view', label: 'GET /api/roles', ok: 200, call: (i) => i({ method: 'GET', url: '/api/roles' }) },
  {
    permission: 'kernel.roles.manage',
    label: 'POST /api/roles',
    ok: 201,
    call: (i) => i({ method: 'POST', url: '/api/roles', payload: { name: uniq('Role'), level: 1, permissions: ['kernel.me.view'] } }),
    written: (h, tenantId) => count(h, 'custom_roles', { tenant_id: tenantId }),
  },
  { permission: 'kernel.apikeys.manage', label: 'GET /api/api-keys', ok: 200, call: (i) => i({ method: 'GET', url: '/api/api-keys' }) },
  {
    permission: 'kernel.apikeys.manage',
    label: 'POST /api/api-keys',
    ok: 201,
    call: (i) => i({ method: 'POST', url: '/api/api-keys', payload: { name: uniq('key'), role: 'restricted' } }),
    written: (h, tenantId) => count(h, 'api_keys', { tenant_id: tenantId }),
  },
  { permission: 'kernel.audit.view', label: 'GET /api/audit', ok: 200, call: (i) => i({ method: 'GET', url: '/api/audit' }) },
  {
    permission: 'kernel.settings.manage',
    label: 'PATCH /api/tenant',
    ok: 200,
    call: (i) => i({ method: 'PATCH', url: '/api/tenant', payload: { name: uniq('Renamed') } }),
    written: async (h, tenantId) => (await h.services.db('tenants').where({ id: tenantId }).first('name', 'updated_at')),
  },
  { permission: 'kernel.tenants.manage', label: 'GET /api/tenants', platform: true, ok: 200, call: (i) => i({ method: 'GET', url: '/api/tenants' }) },
  {
    permission: 'kernel.tenants.manage',
    label: 'POST /api/tenants',
    platform: true,
    ok: 201,
    call: (i) => i({ method: 'POST', url: '/api/tenants', payload: { name: 'Other', slug: uniq('other') } }),
    written: (h) => count(h, 'tenants', {}),
  },
]

t.test('each predefined role against each kernel permission (sessions and API keys)', async (t) => {
  const h = await createTestKernel(t)
  const acme = await h.createTenant()
  const seen: Record<string, string[]> = {}

  for (const [role, level] of ROLES) {
    const session = await h.login(acme, role)
    // API keys can be made up to admin (the harness' creator is a super_admin; the level rule).
    const key = level < 10 ? await h.apiKey(acme, role) : null
    for (const [kind, inject] of [['session', session.inject], ['api key', key?.inject]] as const) {
      if (!inject) continue
      await t.test(`${role} (${kind})`, async (t) => {
        const me = await inject({ method: 'GET', url: '/api/me' })
        t.equal(me.statusCode, 200)
        t.same(me.json().role, { key: role, name: me.json().role.name, level, custom: false })
        t.same([...me.json().permissions].sort(), expectedPermissions(level), 'GET /api/me lists exactly the granted permissions')
        if (kind === 'session') seen[role] = me.json().permissions

        for (const probe of probes) {
          const allowed = !probe.platform && LOWEST_LEVEL[probe.permission] <= level
          const before = probe.written ? await probe.written(h, acme.id) : undefined
          const auditBefore = await count(h, 'audit_log', { tenant_id: acme.id })
          const res = await probe.call(inject)
          if (allowed) {
            t.equal(res.statusCode, probe.ok, `${probe.label} allowed (${probe.permission}): ${res.body.slice(0, 200)}`)
          } else {
            assertError(t, res, 403, 'forbidden', `${probe.label} refused`)
            t.same(res.json().error.details, { permission: probe.permission }, 'names the missing permission')
            if (probe.written) t.same(await probe.written(h, acme.id), before, `${probe.label}: nothing written`)
            t.equal(await count(h, 'audit_log', { tenant_id: acme.id }), auditBefore, `${probe.label}: no audit row`)
          }
        }
      })
    }
  }

  t.test('a higher role has everything a lower one has', async (t) => {
    for (let i = 0; i < ROLES.length - 1; i++) {
      const [higher] = ROLES[i]
      const [lower] = ROLES[i + 1]
      const missing = seen[lower].filter((p) => !seen[higher].includes(p))
      t.same(missing, [], `${higher} ⊇ ${lower}`)
    }
  })

  t.test('platform permissions come from the operator flag, not the role', async (t) => {
    for (const role of ['restricted', 'super_admin']) {
      const op = await h.login(acme, role, { isOperator: true })
      const me = (await op.inject({ method: 'GET', url: '/api/me' })).json()
      t.equal(me.isOperator, true)
      const level = ROLES.find(([r]) => r === role)![1]
      t.same([...me.permissions].sort(), [...expectedPermissions(level), ...PLATFORM].sort(), `${role} operator: role permissions + platform ones`)
      t.equal((await op.inject({ method: 'GET', url: '/api/tenants' })).statusCode, 200, `${role} operator lists tenants`)
      if (role === 'restricted') {
        assertError(t, await op.inject({ method: 'GET', url: '/api/users' }), 403, 'forbidden', 'operator flag grants no tenant permission')
      }
    }
  })
})

t.test('level rules', async (t) => {
  const h = await createTestKernel(t)
  const acme = await h.createTenant()
  const superAdmin = await h.login(acme, 'super_admin')
  const admin = await h.login(acme, 'admin')
  const manager = await h.login(acme, 'manager')
  const otherManager = await h.createUser(acme, 'manager')
  const agent = await h.createUser(acme, 'agent')
  const db = h.services.db

  const roleOf = async (userId: string) => (await db('memberships').where({ tenant_id: acme.id, user_id: userId }).first('role'))?.role

  t.test('POST /api/users: only roles below your level', async (t) => {
    for (const role of ['manager', 'admin', 'super_admin']) {
      const email = `${uniq('lvl')}@test.sapa`
      const res = await manager.inject({ method: 'POST', url: '/api/users', payload: { email, name: 'X', role, password: 'a long enough password' } })
      assertError(t, res, 403, 'role_level_too_high', `manager grants ${role}`)
      t.match(res.json().error.details, { yourLevel: 8 })
      t.equal(await count(h, 'users', { email }), 0, 'no user written')
    }
    const ok = await manager.inject({ method: 'POST', url: '/api/users', payload: { email: `${uniq('lvl')}@test.sapa`, name: 'X', role: 'team_lead', password: 'a long enough password' } })
    t.equal(ok.statusCode, 201, 'one level below is fine')
    t.match(ok.json(), { role: 'team_lead', level: 7 })
    assertError(t, await manager.inject({ method: 'POST', url: '/api/users', payload: { email: `${uniq('lvl')}@test.sapa`, name: 'X', role: 'wizard', password: 'a long enough password' } }), 400, 'unknown_role', 'unknown role')
  })

  t.test('PATCH /api/users/:id: target and new role must be below you', async (t) => {
    const up = await manager.inject({ method: 'PATCH', url: `/api/users/${agent.id}`, payload: { role: 'manager' } })
    assertError(t, up, 403, 'role_level_too_high', 'promote to own level')
    t.equal(await roleOf(agent.id), 'agent', 'role unchanged')
    assertError(t, await manager.inject({ method: 'PATCH', url: `/api/users/${agent.id}`, payload: { role: 'super_admin' } }), 403, 'role_level_too_high', 'promote above own level')
    t.equal(await roleOf(agent.id), 'agent')

    for (const [label, id] of [['a peer', otherManager.id], ['themselves', manager.user.id], ['an admin', admin.user.id], ['a super_admin', superAdmin.user.id]] as const) {
      for (const payload of [{ name: 'Renamed' }, { role: 'agent' }, { active: false }]) {
        const res = await manager.inject({ method: 'PATCH', url: `/api/users/${id}`, payload })
        assertError(t, res, 403, 'role_level_too_high', `manager changes ${label} ${JSON.stringify(payload)}`)
      }
    }
    assertError(t, await admin.inject({ method: 'PATCH', url: `/api/users/${superAdmin.user.id}`, payload: { active: false } }), 403, 'role_level_too_high', 'admin deactivates super_admin')
    assertError(t, await superAdmin.inject({ method: 'PATCH', url: `/api/users/${superAdmin.user.id}`, payload: { role: 'admin' } }), 403, 'role_level_too_high', 'super_admin demotes themselves')
    t.equal(await roleOf(otherManager.id), 'manager')
    t.equal(await roleOf(manager.user.id), 'manager')
    t.equal(await roleOf(superAdmin.user.id), 'super_admin')
    t.equal((await db('memberships').where({ tenant_id: acme.id, user_id: admin.user.id }).first('active')).active, true)
    t.equal((await db('users').where({ id: otherManager.id }).first('name')).name, 'manager user', 'name unchanged')

    const ok = await manager.inject({ method: 'PATCH', url: `/api/users/${agent.id}`, payload: { role: 'team_lead' } })
    t.equal(ok.statusCode, 200)
    t.equal(await roleOf(agent.id), 'team_lead')
  })

  t.test('POST /api/api-keys: key role below your level', async (t) => {
    const before = await count(h, 'api_keys', { tenant_id: acme.id })
    for (const role of ['admin', 'super_admin']) {
      assertError(t, await admin.inject({ method: 'POST', url: '/api/api-keys', payload: { name: 'k', role } }), 403, 'role_level_too_high', `admin makes a ${role} key`)
    }
    assertError(t, await admin.inject({ method: 'POST', url: '/api/api-keys', payload: { name: 'k', role: 'wizard' } }), 400, 'unknown_role', 'unknown key role')
    t.equal(await count(h, 'api_keys', { tenant_id: acme.id }), before, 'no key written')
    t.equal((await admin.inject({ method: 'POST', url: '/api/api-keys', payload: { name: 'k', role: 'manager' } })).statusCode, 201)
    t.equal((await superAdmin.inject({ method: 'POST', url: '/api/api-keys', payload: { name: 'k', role: 'admin' } })).statusCode, 201)
  })

  t.test('custom role level must be below yours; only permissions you hold', async (t) => {
    const before = await count(h, 'custom_roles', { tenant_id: acme.id })
    assertError(t, await admin.inject({ method: 'POST', url: '/api/roles', payload: { name: uniq('Too high'), level: 9, permissions: [] } }), 403, 'role_level_too_high', 'admin creates level 9')
    t.equal(await count(h, 'custom_roles', { tenant_id: acme.id }), before)
    t.equal((await superAdmin.inject({ method: 'POST', url: '/api/roles', payload: { name: uniq('Nine'), level: 9, permissions: [] } })).statusCode, 201, 'super_admin may create level 9')

    // A custom "deputy" at level 8 that can manage roles but not API keys or settings.
    const deputyRole = await superAdmin.inject({
      method: 'POST',
      url: '/api/roles',
      payload: { name: 'Deputy', level: 8, permissions: ['kernel.me.view', 'kernel.roles.view', 'kernel.roles.manage', 'kernel.users.view'] },
    })
    t.equal(deputyRole.statusCode, 201)
    const deputyUser = await h.createUser(acme, deputyRole.json().id)
    const deputy = await h.loginAs(deputyUser, acme)

    const mid = await count(h, 'custom_roles', { tenant_id: acme.id })
    const notHeld = await deputy.inject({ method: 'POST', url: '/api/roles', payload: { name: uniq('Keys'), level: 2, permissions: ['kernel.apikeys.manage'] } })
    assertError(t, notHeld, 403, 'permission_not_held', 'permission the deputy lacks')
    t.same(notHeld.json().error.details, { permissions: ['kernel.apikeys.manage'] })
    assertError(t, await deputy.inject({ method: 'POST', url: '/api/roles', payload: { name: uniq('Copy'), level: 2, template: 'admin' } }), 403, 'permission_not_held', 'template with permissions the deputy lacks')
    assertError(t, await deputy.inject({ method: 'POST', url: '/api/roles', payload: { name: uniq('Peer'), level: 8, permissions: [] } }), 403, 'role_level_too_high', 'deputy creates its own level')
    assertError(t, await superAdmin.inject({ method: 'POST', url: '/api/roles', payload: { name: uniq('Op'), level: 1, permissions: ['kernel.tenants.manage'] } }), 400, 'unknown_permission', 'platform permission in a tenant role')
    assertError(t, await superAdmin.inject({ method: 'POST', url: '/api/roles', payload: { name: uniq('Nope'), level: 1, permissions: ['nothing.at.all'] } }), 400, 'unknown_permission', 'unknown permission')
    t.equal(await count(h, 'custom_roles', { tenant_id: acme.id }), mid, 'nothing written')

    const small = await deputy.inject({ method: 'POST', url: '/api/roles', payload: { name: uniq('Reader'), level: 2, permissions: ['kernel.users.view'] } })
    t.equal(small.statusCode, 201, 'held permission, lower level: fine')
    const patch = await deputy.inject({ method: 'PATCH', url: `/api/roles/${small.json().id}`, payload: { permissions: ['kernel.users.view', 'kernel.settings.manage'] } })
    assertError(t, patch, 403, 'permission_not_held', 'PATCH adds a permission the deputy lacks')
    assertError(t, await deputy.inject({ method: 'PATCH', url: `/api/roles/${small.json().id}`, payload: { level: 8 } }), 403, 'role_level_too_high', 'PATCH raises the level to the deputy\'s')
    assertError(t, await deputy.inject({ method: 'PATCH', url: `/api/roles/${deputyRole.json().id}`, payload: { permissions: ['kernel.me.view'] } }), 403, 'role_level_too_high', 'deputy edits its own role')
    const stored = await db('custom_roles').where({ id: small.json().id }).first('level', 'permissions')
    t.equal(stored.level, 2)
    t.same(typeof stored.permissions === 'string' ? JSON.parse(stored.permissions) : stored.permissions, ['kernel.users.view'], 'permissions unchanged')
  })

  t.test('no escalation by assigning a low-level role with permissions you lack', async (t) => {
    // A level-2 role holding admin-only permissions: the level rule alone would let a manager hand it out.
    const keyholder = await superAdmin.inject({
      method: 'POST',
      url: '/api/roles',
      payload: { name: 'Keyholder', level: 2, permissions: ['kernel.me.view', 'kernel.apikeys.manage', 'kernel.settings.manage'] },
    })
    t.equal(keyholder.statusCode, 201)
    const id = keyholder.json().id
    const email = `${uniq('esc')}@test.sapa`
    const add = await manager.inject({ method: 'POST', url: '/api/users', payload: { email, name: 'X', role: id, password: 'a long enough password' } })
    assertError(t, add, 403, 'permission_not_held', 'manager assigns a role with apikeys.manage')
    t.equal(await count(h, 'users', { email }), 0, 'nothing written')
    const target = await h.createUser(acme, 'agent')
    assertError(t, await manager.inject({ method: 'PATCH', url: `/api/users/${target.id}`, payload: { role: id } }), 403, 'permission_not_held', 'manager moves an agent to it')
    t.equal(await roleOf(target.id), 'agent')

    // Same for API keys: a key maker at level 8 without settings.manage cannot mint a key that has it.
    const keyMaker = await superAdmin.inject({ method: 'POST', url: '/api/roles', payload: { name: 'Key maker', level: 8, permissions: ['kernel.me.view', 'kernel.apikeys.manage'] } })
    const maker = await h.loginAs(await h.createUser(acme, keyMaker.json().id), acme)
    const before = await count(h, 'api_keys', { tenant_id: acme.id })
    assertError(t, await maker.inject({ method: 'POST', url: '/api/api-keys', payload: { name: 'k', role: id } }), 403, 'permission_not_held', 'key with a permission the maker lacks')
    assertError(t, await maker.inject({ method: 'POST', url: '/api/api-keys', payload: { name: 'k', role: 'viewer' } }), 403, 'permission_not_held', 'viewer has kernel.plugins.view, the maker does not')
    t.equal(await count(h, 'api_keys', { tenant_id: acme.id }), before)
    t.equal((await maker.inject({ method: 'POST', url: '/api/api-keys', payload: { name: 'k', role: 'restricted' } })).statusCode, 201, 'restricted only has what the maker holds')
    t.equal((await superAdmin.inject({ method: 'POST', url: '/api/users', payload: { email, name: 'X', role: id, password: 'a long enough password' } })).statusCode, 201, 'someone holding them may')
  })
})
