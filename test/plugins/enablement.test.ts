import t from 'tap'
import path from 'node:path'
import { createTestKernel } from '../../kernel/testing/harness.ts'
import { writePlugin } from './fixtures.ts'

const hello = path.resolve(import.meta.dirname, '../../sdk/examples/hello')

// A plugin that records what reaches it, so the test can see what was (not) delivered.
const recorder = `
const seen = (globalThis.__recorder ??= { jobs: [], events: [] })
export default {
  name: 'rec', version: '1.0.0', kernel: '^1', dependsOn: ['alpha'],
  permissions: { 'rec.thing.view': 'See' }, grants: { viewer: ['rec.thing.view'] },
  async register(ctx) {
    await ctx.jobs.define('work', async (job) => { seen.jobs.push(job.name + ':' + job.data.tenantId) })
    ctx.events.on('rec.*', (event) => { seen.events.push(event.tenantId) })
    ctx.routes(async (app) => {
      app.post('/schedule', { schema: { body: { type: 'object', additionalProperties: false, properties: {} } }, config: { permission: 'rec.thing.view' } }, async (req) => {
        await ctx.jobs.schedule(req.principal.tenant.id, 'tick', { every: 3600000 }, { name: 'tick', queue: 'work' })
        return { ok: true }
      })
    })
  },
}
`

t.test('per-tenant enablement', async (t) => {
  const base = path.dirname(writePlugin({ name: 'alpha' }))
  const rec = writePlugin({ name: 'rec', dependsOn: ['alpha'], source: recorder }, base)
  const h = await createTestKernel(t, { plugins: [hello, path.join(base, 'alpha'), rec] })
  const a = await h.createTenant()
  const b = await h.createTenant()
  const adminA = await h.login(a, 'admin')
  const viewerA = await h.login(a, 'viewer')
  const viewerB = await h.login(b, 'viewer')
  const seen = (globalThis as any).__recorder as { jobs: string[]; events: string[] }

  const list = (await adminA.inject({ method: 'GET', url: '/api/plugins' })).json().items
  t.same(list.map((p: any) => [p.name, p.enabled]), [['alpha', true], ['hello', true], ['rec', true]], 'dependency order, on by default')
  t.same(list.find((p: any) => p.name === 'alpha').dependants, ['rec'])

  t.equal((await viewerA.inject({ method: 'PUT', url: '/api/plugins/alpha/enabled', payload: { enabled: false } })).statusCode, 403, 'viewer cannot toggle')
  const refused = await adminA.inject({ method: 'PUT', url: '/api/plugins/alpha/enabled', payload: { enabled: false } })
  t.equal(refused.statusCode, 409)
  t.match(refused.json().error, { code: 'plugin_required', details: { dependants: ['rec'] } })

  // Schedule something for tenant A before turning rec off.
  t.equal((await viewerA.inject({ method: 'POST', url: '/api/rec/schedule', payload: {} })).statusCode, 200)
  t.ok((await h.services.queue.schedules('rec.work')).some((s) => s.id === `${a.id}.tick`), 'schedule exists')

  t.equal((await adminA.inject({ method: 'PUT', url: '/api/plugins/rec/enabled', payload: { enabled: false } })).statusCode, 200)
  const off = await viewerA.inject({ method: 'POST', url: '/api/rec/schedule', payload: {} })
  t.equal(off.statusCode, 404)
  t.equal(off.json().error.code, 'plugin_disabled')
  t.equal((await viewerB.inject({ method: 'POST', url: '/api/rec/schedule', payload: {} })).statusCode, 200, 'tenant B unaffected')
  t.notOk((await h.services.queue.schedules('rec.work')).some((s) => s.id === `${a.id}.tick`), "A's schedule removed")
  t.ok((await h.services.queue.schedules('rec.work')).some((s) => s.id === `${b.id}.tick`), "B's schedule kept")

  // Jobs and events for A are skipped; B's still arrive.
  seen.jobs.length = 0
  seen.events.length = 0
  await h.services.queue.add('rec.work', 'work', { tenantId: a.id })
  await h.services.queue.add('rec.work', 'work', { tenantId: b.id })
  await h.services.bus.publish('rec.something', { tenantId: a.id })
  await h.services.bus.publish('rec.something', { tenantId: b.id })
  await h.services.bus.drain()
  for (let i = 0; i < 100 && !seen.jobs.includes(`work:${b.id}`); i++) await new Promise((r) => setTimeout(r, 20))
  await new Promise((r) => setTimeout(r, 100))
  t.ok(seen.jobs.includes(`work:${b.id}`), "B's job ran")
  t.notOk(seen.jobs.some((j) => j.endsWith(a.id)), "A's jobs are skipped")
  t.same(seen.events, [b.id], "A's event not delivered, B's was")
  const counts = (await h.services.queue.counts('rec.work'))['rec.work']
  t.equal(counts.failed, 0, 'a skipped job is not a failure')

  const enableRefused = await adminA.inject({ method: 'PUT', url: '/api/plugins/alpha/enabled', payload: { enabled: false } })
  t.equal(enableRefused.statusCode, 200, 'alpha can go once rec is off')
  const needsAlpha = await adminA.inject({ method: 'PUT', url: '/api/plugins/rec/enabled', payload: { enabled: true } })
  t.equal(needsAlpha.statusCode, 409)
  t.match(needsAlpha.json().error, { code: 'plugin_dependency_disabled', details: { missing: ['alpha'] } })

  const actions = await h.services.db('audit_log').where({ tenant_id: a.id }).whereLike('action', 'kernel.plugin.%').orderBy('id').pluck('action')
  t.same(actions, ['kernel.plugin.disabled', 'kernel.plugin.disabled'])
})

t.test('the UI manifest lists enabled plugins the caller may see', async (t) => {
  const h = await createTestKernel(t, { plugins: [hello] })
  const tenant = await h.createTenant()
  const admin = await h.login(tenant, 'admin')
  const viewer = await h.login(tenant, 'viewer')
  const guest = await h.login(tenant, 'guest')
  const manifest = (s: typeof admin) => s.inject({ method: 'GET', url: '/api/ui/manifest' }).then((r) => r.json().plugins)
  const forAdmin = await manifest(admin)
  t.equal(forAdmin.length, 1)
  t.same(forAdmin[0].nav.map((n: any) => n.id), ['hello'])
  t.same(forAdmin[0].slots.map((s: any) => s.id), ['hello-settings'])
  t.same((await manifest(viewer))[0].slots, [], 'viewer: no settings fragment (needs kernel.plugins.manage)')
  t.same((await manifest(guest))[0].nav, [], 'guest: no nav (needs hello.ping.view)')
  await admin.inject({ method: 'PUT', url: '/api/plugins/hello/enabled', payload: { enabled: false } })
  t.same(await manifest(admin), [], 'disabled: left out')
})

t.test('settings are validated against the plugin schema', async (t) => {
  const h = await createTestKernel(t, { plugins: [hello] })
  const tenant = await h.createTenant()
  const admin = await h.login(tenant, 'admin')
  const get = await admin.inject({ method: 'GET', url: '/api/plugins/hello/settings' })
  t.same(get.json().settings, { greeting: 'Halo' }, 'defaults filled in')
  const bad = await admin.inject({ method: 'PUT', url: '/api/plugins/hello/settings', payload: { greeting: 'x'.repeat(61) } })
  t.equal(bad.statusCode, 400)
  t.match(bad.json().error, { code: 'invalid_settings', details: [{ field: 'greeting' }] })
  const unknown = await admin.inject({ method: 'PUT', url: '/api/plugins/hello/settings', payload: { colour: 'red' } })
  t.match(unknown.json().error, { code: 'invalid_settings', details: [{ field: 'colour' }] })
  const wrongType = await admin.inject({ method: 'PUT', url: '/api/plugins/hello/settings', payload: { greeting: 5 } })
  t.equal(wrongType.statusCode, 400)
  t.same((await admin.inject({ method: 'GET', url: '/api/plugins/hello/settings' })).json().settings, { greeting: 'Halo' }, 'nothing written')
  const ok = await admin.inject({ method: 'PUT', url: '/api/plugins/hello/settings', payload: { greeting: 'Selamat pagi' } })
  t.equal(ok.statusCode, 200)
  t.equal((await admin.inject({ method: 'GET', url: '/api/hello/pings' })).json().greeting, 'Selamat pagi', 'the plugin sees it at once')
  t.equal((await admin.inject({ method: 'GET', url: '/api/plugins/nope/settings' })).statusCode, 404)
})
