import t from 'tap'
import path from 'node:path'
import { createTestKernel } from '@sapa/sdk/testing'

const dir = path.resolve(import.meta.dirname, '..')

t.test('hello: ping, job, event, settings, permission', async (t) => {
  const h = await createTestKernel(t, { plugins: [dir] })
  const tenant = await h.createTenant('hello-co')
  const viewer = await h.login(tenant, 'viewer')
  const guest = await h.login(tenant, 'guest')

  const res = await viewer.inject({ method: 'GET', url: '/api/hello/ping' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { pong: true, tenant: 'hello-co' })
  t.equal((await guest.inject({ method: 'GET', url: '/api/hello/ping' })).statusCode, 403, 'below viewer: no permission')
  t.equal((await h.services.db('hello_pings').where({ tenant_id: tenant.id }).count('* as c'))[0].c, 0, 'GET writes nothing')
  const created = await viewer.inject({ method: 'POST', url: '/api/hello/pings' })
  t.equal(created.statusCode, 201)

  // The job marks the ping greeted.
  let greeted = false
  for (let i = 0; i < 50 && !greeted; i++) {
    greeted = (await h.services.db('hello_pings').where({ tenant_id: tenant.id }).first())?.greeted === true
    if (!greeted) await new Promise((r) => setTimeout(r, 50))
  }
  t.ok(greeted, 'greet job ran')

  const list = await viewer.inject({ method: 'GET', url: '/api/hello/pings' })
  t.equal(list.json().greeting, 'Halo', 'settings default')
})
