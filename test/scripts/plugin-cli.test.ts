import t, { type Test } from 'tap'
import { execFile } from 'node:child_process'
import path from 'node:path'
import { Redis } from 'ioredis'
import { createTestKernel, TEST_PASSWORD } from '@sapa/sdk/testing'

const root = path.resolve(import.meta.dirname, '../..')

interface Run {
  code: number
  stdout: string
  stderr: string
}

/** Runs the CLI as `npm run plugin` would (from the repository root), with only the env given here. */
function cli(args: string[], env: Record<string, string>): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(TAP|_TAPJS_|SAPA_)/.test(key) || key === 'NODE_OPTIONS' || key === 'INIT_CWD') continue
    childEnv[key] = value
  }
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/plugin.ts', ...args], { cwd: root, env: { ...childEnv, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}

const oneLine = (t: Test, r: Run, pattern: RegExp, what: string) => {
  t.equal(r.code, 1, `${what}: exit 1`)
  t.match(r.stderr, pattern, what)
  t.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line`)
}

t.test('install, reload, list and remove a plugin on a running server', async (t) => {
  const h = await createTestKernel(t)
  const redisUrl = h.services.config.redisUrl
  if (redisUrl) {
    // The hello plugin's jobs leave keys under this kernel's prefix: drop them once it has closed.
    t.teardown(async () => {
      const redis = new Redis(redisUrl)
      const keys = await redis.keys(`${h.services.config.redisPrefix}:*`)
      if (keys.length) await redis.del(...keys)
      await redis.quit()
    })
  }
  const port = await h.server.listen(0, '127.0.0.1')
  const tenant = await h.createTenant()
  const operator = await h.createUser(tenant, 'super_admin', { isOperator: true })
  const env = { SAPA_URL: `http://127.0.0.1:${port}`, SAPA_EMAIL: operator.email, SAPA_PASSWORD: TEST_PASSWORD }
  const session = await h.loginAs(operator, tenant)
  const ping = () => session.inject({ method: 'GET', url: '/api/hello/ping' })

  t.equal((await ping()).statusCode, 404, 'not installed yet')

  // Relative to where the command is typed: the CLI sends the absolute path.
  const installed = await cli(['install', 'sdk/examples/hello'], env)
  t.equal(installed.code, 0, installed.stderr)
  t.equal(installed.stdout, 'installed hello 1.0.0\n')
  const pong = await ping()
  t.equal(pong.statusCode, 200, 'the new route answers on the running server')
  t.same(pong.json(), { pong: true, tenant: tenant.slug })

  const listed = await cli(['list'], env)
  t.equal(listed.code, 0, listed.stderr)
  t.match(listed.stdout, /^hello 1\.0\.0 enabled$/m)

  const reloaded = await cli(['reload', 'hello'], env)
  t.equal(reloaded.code, 0, reloaded.stderr)
  t.match(reloaded.stdout, /^reloaded hello 1\.0\.0 \(code (un)?changed\)\n$/)
  t.equal((await ping()).statusCode, 200, 'still answers after the reload')

  const removed = await cli(['remove', 'hello'], env)
  t.equal(removed.code, 0, removed.stderr)
  t.equal(removed.stdout, 'removed hello\n')
  t.equal((await ping()).statusCode, 404, 'gone after the removal')

  // Failures: the server's message, one line, exit 1.
  oneLine(t, await cli(['install', 'no/such/folder'], env), /^plugin: .*no package\.json in .*no\/such\/folder/, 'a folder without a plugin')
  oneLine(t, await cli(['reload', 'hello'], env), /^plugin: No plugin "hello"/, 'reloading a plugin that is not loaded')
  oneLine(t, await cli(['remove', 'nope'], env), /^plugin: No plugin "nope"/, 'removing an unknown plugin')
  oneLine(t, await cli(['list'], { ...env, SAPA_PASSWORD: 'wrong password' }), /^plugin: login failed: Email or password is wrong\n$/, 'a wrong password')

  const admin = await h.createUser(tenant, 'super_admin')
  oneLine(t, await cli(['install', 'sdk/examples/hello'], { ...env, SAPA_EMAIL: admin.email }), /^plugin: You need the kernel\.plugins\.install permission\n$/, 'a super_admin who is not the operator')
  t.equal((await ping()).statusCode, 404, 'nothing was installed')

  // Flags instead of the environment.
  const flags = await cli(['list', '--url', env.SAPA_URL, '--email', operator.email, '--password', TEST_PASSWORD], {})
  t.equal(flags.code, 0, flags.stderr)
  t.equal(flags.stdout, 'no plugins\n')
})

t.test('usage and environment mistakes', async (t) => {
  const env = { SAPA_URL: 'http://127.0.0.1:9', SAPA_EMAIL: 'op@test.sapa', SAPA_PASSWORD: 'x' }
  const usage = await cli(['frobnicate'], env)
  t.equal(usage.code, 2)
  t.match(usage.stderr, /^plugin: unknown command "frobnicate" \(usage:/)
  t.equal((await cli([], env)).code, 2)
  t.equal((await cli(['install'], env)).code, 2)
  oneLine(t, await cli(['list'], { SAPA_URL: env.SAPA_URL }), /SAPA_EMAIL and SAPA_PASSWORD/, 'no credentials')
  oneLine(t, await cli(['list'], env), /^plugin: cannot reach http:\/\/127\.0\.0\.1:9 .*is the server running/, 'no server there')
})
