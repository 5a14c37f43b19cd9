import t from 'tap'
import path from 'node:path'
import { writeFileSync } from 'node:fs'
import WebSocket from 'ws'
import { createTestKernel } from '../../kernel/testing/harness.ts'
import { writePlugin, defaultSource } from './fixtures.ts'
import { readFrame } from '../../kernel/realtime/protocol.ts'

const hello = path.resolve(import.meta.dirname, '../../sdk/examples/hello')

t.test('install, reload, remove without a restart', async (t) => {
  const h = await createTestKernel(t)
  const tenant = await h.createTenant('hot')
  const operator = await h.login(tenant, 'super_admin', { isOperator: true })
  const admin = await h.login(tenant, 'admin')
  const first = h.server.generation

  t.equal((await operator.inject({ method: 'GET', url: '/api/hello/ping' })).statusCode, 404, 'not installed yet')
  const denied = await admin.inject({ method: 'POST', url: '/api/plugins/install', payload: { dir: hello } })
  t.equal(denied.statusCode, 403, 'only the platform operator installs code')

  const installed = await operator.inject({ method: 'POST', url: '/api/plugins/install', payload: { dir: hello } })
  t.equal(installed.statusCode, 201, installed.body)
  t.same(installed.json(), { name: 'hello', version: '1.0.0', replaced: null })
  t.equal(h.server.generation, first + 1, 'a new app generation')
  t.same((await operator.inject({ method: 'GET', url: '/api/hello/ping' })).json(), { pong: true, tenant: 'hot' }, 'its route, migration and job work at once')
  t.ok(await h.services.db.schema.hasTable('hello_pings'), 'its migration ran')

  const reload = await operator.inject({ method: 'POST', url: '/api/plugins/hello/reload' })
  t.equal(reload.statusCode, 200)
  t.equal(reload.json().codeChanged, false)
  t.equal((await operator.inject({ method: 'GET', url: '/api/hello/ping' })).statusCode, 200)

  const removed = await operator.inject({ method: 'DELETE', url: '/api/plugins/hello' })
  t.equal(removed.statusCode, 204)
  t.equal((await operator.inject({ method: 'GET', url: '/api/hello/ping' })).json().error.code, 'route_not_found')
  t.notOk(h.services.catalogue.has('hello.ping.view'), 'its permissions are gone')
})

t.test('new code replaces old; broken code leaves the running version serving', async (t) => {
  const h = await createTestKernel(t)
  const tenant = await h.createTenant()
  const operator = await h.login(tenant, 'super_admin', { isOperator: true })
  const dir = writePlugin({ name: 'evolve', version: '1.0.0' })
  const info = () => operator.inject({ method: 'GET', url: '/api/evolve/info' }).then((r) => r.json())

  t.equal((await operator.inject({ method: 'POST', url: '/api/plugins/install', payload: { dir } })).statusCode, 201)
  t.same(await info(), { plugin: 'evolve', version: '1.0.0' })

  // Version 2 on disk, then reload: the new code answers.
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'evolve', version: '2.0.0', type: 'module', sapa: { kernel: '^1' } }))
  writeFileSync(path.join(dir, 'plugin.ts'), defaultSource('evolve', '2.0.0', []))
  const reloaded = await operator.inject({ method: 'POST', url: '/api/plugins/evolve/reload' })
  t.equal(reloaded.statusCode, 200)
  t.match(reloaded.json(), { version: '2.0.0', codeChanged: true })
  t.same(await info(), { plugin: 'evolve', version: '2.0.0' })

  // Version 3 throws in register: refused, version 2 keeps serving.
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'evolve', version: '3.0.0', type: 'module', sapa: { kernel: '^1' } }))
  writeFileSync(path.join(dir, 'plugin.ts'), defaultSource('evolve', '3.0.0', [], "throw new Error('v3 is broken')"))
  const broken = await operator.inject({ method: 'POST', url: '/api/plugins/evolve/reload' })
  t.equal(broken.statusCode, 422)
  t.match(broken.json().error, { code: 'plugin_invalid', message: /v3 is broken/, details: { plugin: 'evolve', field: 'register' } })
  t.same(await info(), { plugin: 'evolve', version: '2.0.0' }, 'the previous version still answers')

  // A syntax error never reaches register.
  writeFileSync(path.join(dir, 'plugin.ts'), 'export default {{{')
  const syntax = await operator.inject({ method: 'POST', url: '/api/plugins/evolve/reload' })
  t.equal(syntax.statusCode, 422)
  t.same(await info(), { plugin: 'evolve', version: '2.0.0' })

  const missing = await operator.inject({ method: 'POST', url: '/api/plugins/install', payload: { dir: '/does/not/exist' } })
  t.equal(missing.statusCode, 422)
  t.match(missing.json().error.message, /no package.json/)
  const needsDep = writePlugin({ name: 'orphan', dependsOn: ['ghost'] })
  const orphan = await operator.inject({ method: 'POST', url: '/api/plugins/install', payload: { dir: needsDep } })
  t.match(orphan.json().error, { code: 'plugin_invalid', details: { plugin: 'orphan', field: 'dependsOn' } })
})

t.test('in-flight requests finish on the old generation; websockets are asked to reconnect', async (t) => {
  const h = await createTestKernel(t)
  const tenant = await h.createTenant()
  const operator = await h.login(tenant, 'super_admin', { isOperator: true })
  const slow = writePlugin({
    name: 'slow',
    source: defaultSource('slow', '1.0.0', [], `
      ctx.routes(async (app) => {
        app.get('/wait', { config: { permission: 'slow.thing.view' } }, async () => { await new Promise((r) => setTimeout(r, 600)); return { waited: true } })
      })`),
  })
  t.equal((await operator.inject({ method: 'POST', url: '/api/plugins/install', payload: { dir: slow } })).statusCode, 201)
  const port = await h.server.listen(0, '127.0.0.1')
  const base = `http://127.0.0.1:${port}`

  const socket = new WebSocket(`ws://127.0.0.1:${port}/api/realtime`, { headers: { cookie: operator.cookie } })
  const messages: any[] = []
  socket.on('message', (m) => messages.push(...(readFrame(m as Buffer) as any[])))
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)))
  await new Promise((resolve, reject) => {
    socket.once('open', resolve)
    socket.once('error', reject)
  })
  socket.send(JSON.stringify({ type: 'subscribe', topic: 'tenant' }))
  for (let i = 0; i < 50 && !messages.some((m) => m.type === 'subscribed'); i++) await new Promise((r) => setTimeout(r, 20))
  t.ok(messages.some((m) => m.type === 'subscribed'), 'subscribed on the old generation')

  const inflight = fetch(`${base}/api/slow/wait`, { headers: { cookie: operator.cookie } })
  await new Promise((r) => setTimeout(r, 100))
  const reload = await fetch(`${base}/api/plugins/slow/reload`, { method: 'POST', headers: { cookie: operator.cookie, 'x-csrf-token': operator.csrfToken } })
  t.equal(reload.status, 200, 'reload answered while a request was in flight')
  const slowResponse = await inflight
  t.equal(slowResponse.status, 200)
  t.same(await slowResponse.json(), { waited: true }, 'the in-flight request finished')
  t.equal(await closed, 4000, 'socket closed with "reconnect"')
  t.ok(messages.some((m) => m.type === 'reconnect'), 'and told to reconnect first')
  await h.server.drained()
})

t.test('while a removed plugin leaves, its routes answer 404 route_not_found, not 500', async (t) => {
  const h = await createTestKernel(t)
  const tenant = await h.createTenant()
  const operator = await h.login(tenant, 'super_admin', { isOperator: true })
  const dir = writePlugin({ name: 'leaving' })
  t.equal((await operator.inject({ method: 'POST', url: '/api/plugins/install', payload: { dir } })).statusCode, 201)
  // The moment between its permissions leaving the catalogue and the app without its routes
  // taking over (a remove on this node, or one applied from another node).
  h.services.catalogue.unregister('leaving')
  const res = await operator.inject({ method: 'GET', url: '/api/leaving/info' })
  t.equal(res.statusCode, 404)
  t.equal(res.json().error.code, 'route_not_found')
})
