import t from 'tap'
import path from 'node:path'
import { createTestKernel } from '../../kernel/testing/harness.ts'

const hello = path.resolve(import.meta.dirname, '../../sdk/examples/hello')

t.test('predefined grants are re-read once per plugin change, and a reload never takes them away', async (t) => {
  const h = await createTestKernel(t)
  const tenant = await h.createTenant()
  const operator = await h.login(tenant, 'super_admin', { isOperator: true })
  const { rbac } = h.services
  const viewerMayPing = () => rbac.can('viewer', tenant.id, 'hello.ping.view')

  // What the enforcer answers right after each re-read, in order.
  let seen: boolean[] = []
  const reloadPredefined = rbac.reloadPredefined.bind(rbac)
  rbac.reloadPredefined = async () => {
    await reloadPredefined()
    seen.push(viewerMayPing())
  }

  t.equal((await operator.inject({ method: 'POST', url: '/api/plugins/install', payload: { dir: hello } })).statusCode, 201)
  t.same(seen, [true], 'install: once, with the new grants')

  seen = []
  t.equal((await operator.inject({ method: 'POST', url: '/api/plugins/hello/reload' })).statusCode, 200)
  t.same(seen, [true], 'reload: once, and the running plugin kept its grants throughout')

  seen = []
  t.equal((await operator.inject({ method: 'DELETE', url: '/api/plugins/hello' })).statusCode, 204)
  t.same(seen, [false], 'remove: once, without the grants')
  t.notOk(viewerMayPing())
})
