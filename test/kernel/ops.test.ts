import t from 'tap'
import { createTestKernel } from '../../kernel/testing/harness.ts'

t.test('health, metrics and the OpenAPI document', async (t) => {
  const h = await createTestKernel(t)
  const tenant = await h.createTenant()
  const admin = await h.login(tenant, 'admin')
  t.same((await h.inject({ method: 'GET', url: '/health/live' })).json(), { status: 'ok' })
  const ready = await h.inject({ method: 'GET', url: '/health/ready' })
  t.equal(ready.statusCode, 200)
  t.equal(ready.json().checks.db, 'ok')
  if (process.env.TEST_REDIS_URL) t.equal(ready.json().checks.redis, 'ok', 'Redis checked when configured')

  await admin.inject({ method: 'GET', url: '/api/users' })
  await admin.inject({ method: 'GET', url: `/api/users/${tenant.id}` })
  const metrics = await h.inject({ method: 'GET', url: '/metrics' })
  t.equal(metrics.statusCode, 200)
  t.match(metrics.body, /sapa_http_request_duration_seconds_count\{method="GET",route="\/api\/users",status="200"\} 1/, 'by route pattern and status')
  t.notMatch(metrics.body, new RegExp(tenant.id), 'never the raw URL (ids would explode the label set)')
  t.match(metrics.body, /process_cpu_user_seconds_total/, 'process metrics')

  const docs = await h.inject({ method: 'GET', url: '/docs/json' })
  t.equal(docs.statusCode, 200)
  const spec = docs.json()
  t.equal(spec.openapi.slice(0, 2), '3.')
  t.ok(spec.paths['/api/users'].post.requestBody, 'request bodies come from the route schemas')
  t.ok(spec.paths['/api/auth/login'], 'login is documented')
  t.equal((await h.inject({ method: 'GET', url: '/docs/' })).statusCode, 200, 'the docs UI is served')

  const headers = (await h.inject({ method: 'GET', url: '/health/live' })).headers
  t.equal(headers['x-content-type-options'], 'nosniff', 'security headers on every response')
  t.match(String(headers['content-security-policy']), /default-src 'self'/)
})
