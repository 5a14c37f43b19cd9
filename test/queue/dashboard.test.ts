import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { Redis } from 'ioredis'
import { createTestKernel, type TestKernel } from '../../kernel/testing/harness.ts'

// Runs with whichever adapter the harness picks: Redis (bull-board) when TEST_REDIS_URL is set,
// the inline queue (counts page) otherwise.

// A plugin whose job always fails, so there are failed jobs to count and retry. Inside the
// repository (.tap/), like every fixture plugin, so it could import @sapa/sdk.
const base = path.resolve(import.meta.dirname, '../../.tap', `queue-dashboard-${randomBytes(4).toString('hex')}`)
const pluginDir = path.join(base, 'dashfix')
mkdirSync(pluginDir, { recursive: true })
writeFileSync(path.join(pluginDir, 'package.json'), JSON.stringify({ name: 'dashfix', version: '1.0.0', type: 'module', sapa: { kernel: '^1' } }))
writeFileSync(
  path.join(pluginDir, 'plugin.ts'),
  `export default {
  name: 'dashfix',
  version: '1.0.0',
  kernel: '^1',
  async register(ctx) {
    await ctx.jobs.define('boom', async () => { throw new Error('boom') })
  },
}
`,
)
t.teardown(() => rmSync(base, { recursive: true, force: true }))

async function waitFor(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** Drops the Redis keys of this kernel's prefix once it has closed. */
function cleanRedis(t: Test, h: TestKernel): void {
  const url = h.services.config.redisUrl
  if (!url) return
  const prefix = h.services.config.redisPrefix
  t.teardown(async () => {
    const redis = new Redis(url)
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
      cursor = next
      if (keys.length) await redis.del(...keys)
    } while (cursor !== '0')
    await redis.quit()
  })
}

t.test('queue API and dashboard: the operator sees and retries, nobody else sees anything', async (t) => {
  const h = await createTestKernel(t, { plugins: [pluginDir] })
  cleanRedis(t, h)
  const kind = h.services.queue.kind
  t.comment(`queue adapter: ${kind}`)
  const tenant = await h.createTenant()
  const other = await h.createTenant()
  const operator = await h.login(tenant, 'super_admin', { isOperator: true })
  const admin = await h.login(tenant, 'super_admin')
  const key = await h.apiKey(tenant, 'admin')

  const port = h.services.queue
  await port.add('dashfix.boom', 'boom', { tenantId: tenant.id }, { attempts: 1 })
  await port.add('dashfix.boom', 'boom', { tenantId: other.id }, { attempts: 1 })
  await port.add('dashfix.later', 'later', { tenantId: tenant.id }, { delay: 3_600_000 })
  await waitFor('two failed jobs', async () => (await port.counts('dashfix.boom'))['dashfix.boom'].failed === 2)
  // Nothing consumes the queue from here on, so the counts below stay put.
  await port.stopProcessing('dashfix.boom')

  await t.test('GET /api/queues: counts per queue and state, paginated', async (t) => {
    const res = await operator.inject({ method: 'GET', url: '/api/queues' })
    t.equal(res.statusCode, 200, 'the operator lists the queues')
    const body = res.json()
    t.equal(body.adapter, kind)
    t.equal(body.dashboard, '/admin/queues')
    t.equal(body.nextCursor, null)
    const byName = Object.fromEntries(body.items.map((i: { name: string; counts: unknown }) => [i.name, i.counts]))
    t.same(byName['dashfix.boom'], { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 2 })
    t.same(byName['dashfix.later'], { waiting: 0, delayed: 1, active: 0, completed: 0, failed: 0 })

    const first = (await operator.inject({ method: 'GET', url: '/api/queues?limit=1&prefix=dashfix.' })).json()
    t.same(first.items.map((i: { name: string }) => i.name), ['dashfix.boom'])
    t.type(first.nextCursor, 'string')
    const second = (await operator.inject({ method: 'GET', url: `/api/queues?limit=1&prefix=dashfix.&cursor=${first.nextCursor}` })).json()
    t.same(second.items.map((i: { name: string }) => i.name), ['dashfix.later'])
    t.equal(second.nextCursor, null)
    const bad = await operator.inject({ method: 'GET', url: '/api/queues?cursor=bm90IGEgcXVldWU' })
    t.equal(bad.statusCode, 400)
    t.equal(bad.json().error.code, 'invalid_cursor')
  })

  await t.test('POST /api/queues/:queue/retry-failed: one tenant, then the rest', async (t) => {
    const one = await operator.inject({ method: 'POST', url: '/api/queues/dashfix.boom/retry-failed', payload: { tenantId: tenant.id } })
    t.equal(one.statusCode, 200, 'retry one tenant')
    t.same(one.json(), { queue: 'dashfix.boom', retried: 1, tenantId: tenant.id })
    t.same((await port.counts('dashfix.boom'))['dashfix.boom'], { waiting: 1, delayed: 0, active: 0, completed: 0, failed: 1 })

    const rest = await operator.inject({ method: 'POST', url: '/api/queues/dashfix.boom/retry-failed' })
    t.equal(rest.statusCode, 200, 'retry the rest')
    t.same(rest.json(), { queue: 'dashfix.boom', retried: 1 })
    t.same((await port.counts('dashfix.boom'))['dashfix.boom'], { waiting: 2, delayed: 0, active: 0, completed: 0, failed: 0 })

    const audit = await h.services.db('audit_log').where({ action: 'kernel.queue.retried' }).orderBy('id')
    t.equal(audit.length, 2, 'each retry is audited')
    t.match(audit[0], { actor_id: operator.user.id, target_type: 'queue', target_id: 'dashfix.boom' })

    const missing = await operator.inject({ method: 'POST', url: '/api/queues/dashfix.nothing/retry-failed', payload: {} })
    t.equal(missing.statusCode, 404)
    t.equal(missing.json().error.code, 'queue_not_found')
    const badName = await operator.inject({ method: 'POST', url: '/api/queues/no-dot/retry-failed', payload: {} })
    t.equal(badName.statusCode, 400)
    const badTenant = await operator.inject({ method: 'POST', url: '/api/queues/dashfix.boom/retry-failed', payload: { tenantId: 'nope' } })
    t.equal(badTenant.statusCode, 400)
    const noCsrf = await operator.inject({ method: 'POST', url: '/api/queues/dashfix.boom/retry-failed', payload: {}, headers: { 'x-csrf-token': '' } })
    t.equal(noCsrf.statusCode, 403, 'a cookie session needs the CSRF header')
  })

  await t.test('the JSON API refuses everyone but the operator', async (t) => {
    for (const [who, inject] of [['a super_admin who is not the operator', admin.inject], ['an admin API key', key.inject]] as const) {
      const list = await inject({ method: 'GET', url: '/api/queues' })
      t.equal(list.statusCode, 403, `${who}: list`)
      t.equal(list.json().error.code, 'forbidden')
      const retry = await inject({ method: 'POST', url: '/api/queues/dashfix.boom/retry-failed', payload: {} })
      t.equal(retry.statusCode, 403, `${who}: retry`)
    }
    t.equal((await h.inject({ method: 'GET', url: '/api/queues' })).statusCode, 401, 'anonymous')
    t.same((await port.counts('dashfix.boom'))['dashfix.boom'].waiting, 2, 'nothing was retried')
  })

  await t.test('the dashboard is a 404 to everyone but the operator', async (t) => {
    const urls = ['/admin/queues', ...(kind === 'redis' ? ['/admin/queues/api/queues', '/admin/queues/queue/dashfix.boom', '/admin/queues/api/redis/stats'] : [])]
    for (const url of urls) {
      for (const [who, inject] of [['anonymous', h.inject], ['super_admin', admin.inject], ['API key', key.inject]] as const) {
        const res = await inject({ method: 'GET', url })
        t.equal(res.statusCode, 404, `${who}: GET ${url}`)
        t.same(res.json(), { error: { code: 'route_not_found', message: `No route GET ${url}` } }, `${who}: the kernel's own not-found answer`)
      }
    }
    const nowhere = await h.inject({ method: 'GET', url: '/api/nowhere' })
    t.same(nowhere.json(), { error: { code: 'route_not_found', message: 'No route GET /api/nowhere' } }, 'which is what a path that does not exist gets')
    if (kind === 'redis') {
      const put = await admin.inject({ method: 'PUT', url: '/admin/queues/api/queues/dashfix.boom/retry/failed' })
      t.equal(put.statusCode, 404, 'a non-operator mutation is a 404 too')
    }
  })

  await t.test('the operator sees the dashboard', async (t) => {
    const page = await operator.inject({ method: 'GET', url: '/admin/queues' })
    t.equal(page.statusCode, 200, 'the operator gets the page')
    t.match(page.headers['content-type'], /text\/html/)
    t.equal(page.headers['cache-control'], 'no-store')
    if (kind === 'redis') {
      t.match(page.body, /<div id="root">/, 'bull-board')
      t.match(page.body, /<base href="\/admin\/queues\/"/)
      const api = await operator.inject({ method: 'GET', url: '/admin/queues/api/queues' })
      t.equal(api.statusCode, 200, "bull-board's own API answers the operator")
      const queues = api.json().queues as { name: string; readOnlyMode: boolean; counts: Record<string, number> }[]
      const boom = queues.find((q) => q.name === 'dashfix.boom')
      t.ok(boom, 'bull-board lists the queue')
      t.equal(boom?.readOnlyMode, true, 'read-only')
      t.equal(boom?.counts.waiting, 2)
      t.ok(queues.find((q) => q.name === 'dashfix.later'))
      const put = await operator.inject({ method: 'PUT', url: '/admin/queues/api/queues/dashfix.boom/clean/waiting' })
      t.equal(put.statusCode, 405, 'no mutations through the dashboard')
      t.equal(put.json().error.code, 'dashboard_read_only')
      t.equal((await port.counts('dashfix.boom'))['dashfix.boom'].waiting, 2, 'nothing was cleaned')
      const css = page.body.match(/href="(static\/css\/[^"]+\.css)"/)?.[1]
      t.ok(css, 'the page links its stylesheet')
      const asset = await operator.inject({ method: 'GET', url: `/admin/queues/${css}` })
      t.equal(asset.statusCode, 200, 'static assets are served')
      t.equal((await admin.inject({ method: 'GET', url: `/admin/queues/${css}` })).statusCode, 404, 'but not to others')
    } else {
      t.match(page.body, /<th scope="row">dashfix\.boom<\/th><td>2<\/td><td>0<\/td><td>0<\/td><td>0<\/td><td>0<\/td>/, 'waiting 2')
      t.match(page.body, /<th scope="row">dashfix\.later<\/th><td>0<\/td><td>1<\/td>/, 'delayed 1')
      t.match(page.body, /retry-failed/, 'says how to retry')
      t.notMatch(page.body, /<script/i, 'no scripts')
      const post = await operator.inject({ method: 'POST', url: '/admin/queues', payload: {} })
      t.equal(post.statusCode, 404, 'only GET exists')
    }
  })
})
