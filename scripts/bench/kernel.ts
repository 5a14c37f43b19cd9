import path from 'node:path'
import { mkdirSync, writeFileSync, rmSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import Fastify from 'fastify'
import autocannon from 'autocannon'
import { createTestKernel, TEST_PASSWORD } from '../../kernel/testing/harness.ts'
import { benchQueue } from '../../kernel/queue/bench.ts'
import { fmt, percentile, rssMb, table } from './report.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const DURATION = Number(process.env.BENCH_SECONDS ?? 5)

function cannon(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => autocannon(opts, (err, res) => (err ? reject(err) : resolve(res))))
}

/** A plugin with one gated no-op route: what remains is the cost of the gates themselves. */
function benchPlugin(): string {
  const dir = path.join(ROOT, '.tap', `bench-${randomBytes(3).toString('hex')}`, 'benchp')
  mkdirSync(dir, { recursive: true })
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'benchp', version: '1.0.0', type: 'module', sapa: { kernel: '^1' } }))
  writeFileSync(
    path.join(dir, 'plugin.ts'),
    `export default { name: 'benchp', version: '1.0.0', kernel: '^1', permissions: { 'benchp.noop.view': 'noop' }, grants: { viewer: ['benchp.noop.view'] },
      register(ctx) { ctx.routes(async (app) => {
        app.get('/noop', { config: { permission: 'benchp.noop.view' } }, async () => ({ ok: true }))
        app.get('/open', { config: { public: true } }, async () => ({ ok: true }))
      }) } }`,
  )
  return dir
}

export async function run(): Promise<void> {
  const cleanups: (() => unknown)[] = []
  const t = { teardown: (fn: () => unknown) => cleanups.push(fn) }
  const plugin = benchPlugin()
  cleanups.push(() => rmSync(path.dirname(plugin), { recursive: true, force: true }))
  const db = process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite'
  console.log(`kernel bench — database: ${db}, redis: ${process.env.TEST_REDIS_URL ? 'yes' : 'no'}, ${DURATION}s per run, node ${process.version}\n`)

  const h = await createTestKernel(t, { plugins: [plugin, path.join(ROOT, 'sdk/examples/hello')], config: { loginRateLimit: { max: 1_000_000, windowMs: 60_000 } } })
  const tenant = await h.createTenant('bench')
  const viewer = await h.login(tenant, 'viewer')
  const port = await h.server.listen(0, '127.0.0.1')

  const bare = Fastify()
  bare.get('/noop', async () => ({ ok: true }))
  await bare.listen({ port: 0, host: '127.0.0.1' })
  const barePort = (bare.server.address() as { port: number }).port

  // 1. Gate overhead: alternate runs so both sides see the same machine state.
  const targets = {
    'bare fastify route': { url: `http://127.0.0.1:${barePort}/noop` },
    'kernel public route (same plugin, no gates)': { url: `http://127.0.0.1:${port}/api/benchp/open` },
    'kernel gated route (auth + permission + plugin gate)': { url: `http://127.0.0.1:${port}/api/benchp/noop`, headers: { cookie: viewer.cookie } },
  }
  const results: Record<string, autocannon.Result[]> = {}
  for (let round = 0; round < 2; round++) {
    for (const [name, target] of Object.entries(targets)) {
      const res = await cannon({ ...target, connections: 10, duration: DURATION })
      if (res.non2xx) throw new Error(`${name}: ${res.non2xx} non-2xx answers`)
      ;(results[name] ??= []).push(res)
    }
  }
  const best = (name: string) => results[name].reduce((a, b) => (a.latency.p50 <= b.latency.p50 && a.requests.average >= b.requests.average ? a : b))
  const baseline = best('bare fastify route')
  console.log('HTTP, 10 connections (best of 2 alternating rounds):')
  table(
    Object.keys(targets).map((name) => {
      const r = best(name)
      return {
        route: name,
        'req/s': Math.round(r.requests.average),
        'p50 ms': r.latency.p50,
        'p99 ms': r.latency.p99,
        'req/s vs bare': fmt(r.requests.average / baseline.requests.average),
        'mean latency vs bare': fmt(r.latency.average / baseline.latency.average),
      }
    }),
  )

  // 1b. The same three routes in process (light-my-request), one request at a time: no network and
  // no load generator competing for the two cores, so the per-request cost of the gates shows in µs.
  const inProcess = async (app: { inject: (o: any) => Promise<{ statusCode: number }> }, url: string, headers = {}) => {
    const times: number[] = []
    for (let i = 0; i < 22_000; i++) {
      const start = process.hrtime.bigint()
      const res = await app.inject({ method: 'GET', url, headers })
      const elapsed = Number(process.hrtime.bigint() - start) / 1000
      if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode}`)
      if (i >= 2000) times.push(elapsed)
    }
    return times.sort((a, b) => a - b)
  }
  const rows = [
    ['bare fastify route', await inProcess(bare, '/noop')],
    ['kernel public route (same plugin, no gates)', await inProcess(h.app, '/api/benchp/open')],
    ['kernel gated route (auth + permission + plugin gate)', await inProcess(h.app, '/api/benchp/noop', { cookie: viewer.cookie })],
    // Measured twice, alternating, so warm-up does not favour either side.
    ['kernel public route (again)', await inProcess(h.app, '/api/benchp/open')],
    ['kernel gated route (again)', await inProcess(h.app, '/api/benchp/noop', { cookie: viewer.cookie })],
  ] as const
  const bareP50 = percentile(rows[0][1] as number[], 50)
  console.log('\nin process, sequential, 20k requests each (µs per request):')
  table(
    rows.map(([name, times]) => ({
      route: name,
      'p50 µs': fmt(percentile(times as number[], 50), 1),
      'p99 µs': fmt(percentile(times as number[], 99), 1),
      'p50 vs bare': fmt(percentile(times as number[], 50) / bareP50),
    })),
  )
  const publicP50 = Math.min(percentile(rows[1][1] as number[], 50), percentile(rows[3][1] as number[], 50))
  const gatedP50 = Math.min(percentile(rows[2][1] as number[], 50), percentile(rows[4][1] as number[], 50))
  console.log(`gates (auth + permission + plugin enabled) add ${fmt(gatedP50 - publicP50, 1)} µs at p50 over the same app's public route (${fmt((gatedP50 / publicP50 - 1) * 100, 1)} %)`)

  // 2. Login under 50 concurrent clients (argon2id verify on every request, by design).
  const user = await h.createUser(tenant, 'agent')
  const login = await cannon({
    url: `http://127.0.0.1:${port}/api/auth/login`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: user.email, password: TEST_PASSWORD }),
    connections: 50,
    duration: DURATION,
  })
  console.log(`\nlogin, 50 concurrent clients: ${Math.round(login.requests.average)} logins/s, p50 ${login.latency.p50} ms, p99 ${login.latency.p99} ms, non-2xx ${login.non2xx}`)

  // 3. Memory across 50 reloads of one plugin (unchanged code reuses its module; each reload is a new app generation).
  const gc = (globalThis as { gc?: () => void }).gc
  const samples: number[] = []
  for (let i = 1; i <= 50; i++) {
    await h.services.plugins.reload('hello')
    await h.server.drained()
    if (i % 10 === 0 || i === 1) {
      gc?.()
      samples.push(rssMb())
      console.log(`  reload ${String(i).padStart(2)}: rss ${fmt(rssMb(), 1)} MB, heap ${fmt(process.memoryUsage().heapUsed / 1048576, 1)} MB`)
    }
  }
  console.log(`reloads: rss after 1 → 50: ${fmt(samples[0], 1)} → ${fmt(samples[samples.length - 1], 1)} MB${gc ? '' : ' (run with --expose-gc for steadier numbers)'}`)

  await bare.close()
  for (const fn of cleanups.reverse()) await fn()

  // 4. Queue throughput: the port's Redis adapter against bare BullMQ, same run.
  if (process.env.TEST_REDIS_URL) {
    const q = await benchQueue({ redisUrl: process.env.TEST_REDIS_URL, jobs: 20_000, rounds: 3 })
    console.log(`\nqueue, 20k no-op jobs, concurrency 50: port ${Math.round(q.portJobsPerSec)} jobs/s, bare BullMQ ${Math.round(q.bareBullmqJobsPerSec)} jobs/s, ratio ${fmt(q.ratio)}`)
  } else {
    console.log('\nqueue: skipped (set TEST_REDIS_URL to compare the Redis adapter with bare BullMQ)')
  }
}
