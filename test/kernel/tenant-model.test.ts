import t from 'tap'
import { createTestKernel } from '../../kernel/testing/harness.ts'
import { UnscopedTenantQueryError } from '../../kernel/db/tenant-model.ts'
import { ApiKey, AuditRecord, CustomRole, Membership } from '../../kernel/models.ts'
import { newId } from '../../kernel/db/ids.ts'

t.test('tenant-scoped models', async (t) => {
  const h = await createTestKernel(t)
  const db = h.services.db
  const a = await h.createTenant()
  const b = await h.createTenant()
  const aUsers = [await h.createUser(a, 'agent'), await h.createUser(a, 'viewer'), await h.createUser(a, 'manager')]
  const bUsers = [await h.createUser(b, 'agent'), await h.createUser(b, 'agent')]
  const roleRow = (tenantId: string, name: string) => ({ id: newId(), tenant_id: tenantId, name, level: 2, permissions: JSON.stringify(['kernel.me.view']) })
  await db('custom_roles').insert([roleRow(a.id, 'A1'), roleRow(a.id, 'A2'), roleRow(b.id, 'B1')])

  t.test('query() without a tenant throws', async (t) => {
    for (const model of [Membership, CustomRole, ApiKey, AuditRecord] as any[]) {
      t.throws(() => model.query(), UnscopedTenantQueryError, `${model.tableName}.query()`)
      t.throws(() => model.query(db), UnscopedTenantQueryError, `${model.tableName}.query(knex)`)
    }
    t.throws(() => Membership.query(), { name: 'UnscopedTenantQueryError', message: /memberships/ }, 'the message names the table')
    for (const bad of ['', undefined, null, 42]) {
      t.throws(() => Membership.of(bad as any), UnscopedTenantQueryError, `of(${JSON.stringify(bad)})`)
    }
  })

  t.test('of(tenant) only sees that tenant', async (t) => {
    const rows = await Membership.of(a.id)
    t.same(rows.map((r) => r.user_id).sort(), aUsers.map((u) => u.id).sort())
    t.ok(rows.every((r) => r.tenant_id === a.id))
    t.equal((await Membership.of(b.id)).length, 2)
    t.equal(await Membership.of(a.id).resultSize(), 3)
    t.equal((await Membership.of(newId())).length, 0, 'an unknown tenant sees nothing')
    t.equal(await Membership.of(a.id).where('user_id', bUsers[0].id).first(), undefined, "B's member by id: not found from A")
    t.equal(await CustomRole.of(b.id).findById((await db('custom_roles').where({ name: 'A1' }).first('id')).id), undefined, "A's role by id: not found from B")
    t.same((await CustomRole.of(a.id).orderBy('name')).map((r) => r.name), ['A1', 'A2'])
    t.same((await CustomRole.of(a.id).first())!.permissions, ['kernel.me.view'], 'json column parsed')
    const grouped = await Membership.of(a.id).where((q) => q.where('role', 'nobody').orWhere('role', 'agent'))
    t.same(grouped.map((r) => r.user_id), [aUsers[0].id], 'a grouped OR stays inside the tenant')
    t.equal((await Membership.of(a.id).join('users', 'users.id', 'memberships.user_id').select('users.email')).length, 3, 'joins keep the filter')
  })

  t.test('inserts are stamped with the tenant and cannot name another', async (t) => {
    const user = await h.createUser(b, 'agent') // a user row to point at
    const before = Number((await db('memberships').count('* as c'))[0].c)
    await t.rejects(async () => await Membership.of(a.id).insert({ tenant_id: b.id, user_id: user.id, role: 'agent', active: true } as any), UnscopedTenantQueryError, 'insert through of(a) with tenant_id b')
    await t.rejects(
      async () => await Membership.of(a.id).insert([{ user_id: aUsers[0].id, role: 'agent', active: true }, { tenant_id: b.id, user_id: user.id, role: 'agent', active: true }] as any),
      UnscopedTenantQueryError,
      'one bad row in a batch',
    )
    t.equal(Number((await db('memberships').count('* as c'))[0].c), before, 'nothing inserted')

    const id = newId()
    await CustomRole.of(a.id).insert({ id, name: 'Stamped', level: 1, permissions: ['kernel.me.view'] } as any)
    t.equal((await db('custom_roles').where({ id }).first('tenant_id')).tenant_id, a.id, 'tenant_id filled in from of()')
    const same = newId()
    await CustomRole.of(a.id).insert({ id: same, tenant_id: a.id, name: 'Explicit', level: 1, permissions: [] } as any)
    t.equal((await db('custom_roles').where({ id: same }).first('tenant_id')).tenant_id, a.id, 'naming the same tenant is fine')
  })

  t.test('updates and deletes stay inside the tenant', async (t) => {
    await t.rejects(async () => await Membership.of(a.id).where('user_id', aUsers[0].id).patch({ tenant_id: b.id } as any), UnscopedTenantQueryError, 'moving a row to another tenant')
    t.equal((await db('memberships').where({ user_id: aUsers[0].id }).first('tenant_id')).tenant_id, a.id)

    const changed = await Membership.of(a.id).patch({ role: 'guest' } as any)
    t.equal(changed, 3, "a blanket patch touches only A's rows")
    t.same(await db('memberships').where({ tenant_id: b.id }).distinct().pluck('role'), ['agent'], "B's rows untouched")
    t.equal(await Membership.of(b.id).where('user_id', aUsers[0].id).patch({ role: 'admin' } as any), 0, "B cannot patch A's member by id")
    t.equal((await db('memberships').where({ user_id: aUsers[0].id }).first('role')).role, 'guest')

    // (Rows are counted in the table: knex-pglite answers delete() with its raw result, not a count.)
    await CustomRole.of(b.id).where('name', 'A1').delete()
    t.ok(await db('custom_roles').where({ tenant_id: a.id, name: 'A1' }).first(), "B cannot delete A's role by name")
    await CustomRole.of(b.id).delete()
    t.same((await db('custom_roles').where({ tenant_id: a.id }).orderBy('name').pluck('name')), ['A1', 'A2', 'Explicit', 'Stamped'], "a blanket delete from B leaves A's roles")
    await CustomRole.of(a.id).where('name', 'A1').delete()
    t.same((await db('custom_roles').where({ tenant_id: a.id }).orderBy('name').pluck('name')), ['A2', 'Explicit', 'Stamped'])
  })

  // A top-level orWhere is OR-ed with the tenant filter itself: `tenant_id = a AND x OR y`
  // reads (and, for patch/delete, writes) other tenants' rows. It should throw like query() does.
  t.test('a top-level orWhere cannot escape the tenant', async (t) => {
    const leaked = await Membership.of(a.id).where('role', 'nobody').orWhere('role', 'agent').catch((err) => err)
    t.ok(leaked instanceof UnscopedTenantQueryError, 'a top-level orWhere throws')
    const patched = await Membership.of(a.id).where('role', 'nobody').orWhere('role', 'agent').patch({ active: false } as any).catch((err) => err)
    t.ok(patched instanceof UnscopedTenantQueryError, 'and cannot write either')
    const cleared = await Membership.of(a.id).clearWhere().catch((err) => err)
    t.ok(cleared instanceof UnscopedTenantQueryError, 'clearWhere() throws')
    const grouped = await Membership.of(a.id).where((q) => q.where('role', 'nobody').orWhere('role', 'agent'))
    t.ok(grouped.every((r: any) => r.tenant_id === a.id), 'a grouped OR stays inside the tenant')
    t.equal((await db('memberships').where({ active: false }).count('* as c'))[0].c, 0, 'nothing was patched')
  })
})
