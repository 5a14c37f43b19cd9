import t from 'tap'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { freePort } from '../../kernel/testing/free-port.ts'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'

/** `npm start` as a user runs it: no environment but a data dir and a port. */
const ROOT = path.resolve(import.meta.dirname, '../..')

function run(env: Record<string, string>, until: RegExp | null, timeoutMs = 60_000) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', SAPA_BUILD_UI: 'false', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const done = new Promise<{ output: string; code: number | null; matched: boolean }>((resolve) => {
    const timer = setTimeout(() => resolve({ output, code: null, matched: false }), timeoutMs)
    const onData = (chunk: Buffer) => {
      output += chunk
      if (until && until.test(output)) {
        clearTimeout(timer)
        resolve({ output, code: null, matched: true })
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ output, code, matched: false })
    })
  })
  return { child, done }
}

const stop = (child: ReturnType<typeof spawn>) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })

t.test('embedded mode: first start seeds a demo, a second process is refused, a restart reuses the data', async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sapa-embedded-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const port = String(await freePort())
  const env = { DATA_DIR: dataDir, PORT: port, SAPA_DEMO_ADMIN_EMAIL: 'owner@demo.test', SAPA_DEMO_ADMIN_PASSWORD: 'demo password 1' }

  const first = run(env, /password:\s+\S+/)
  const started = await first.done
  t.ok(started.matched, 'ready, with credentials printed')
  t.match(started.output, new RegExp(`Sapa is ready at http://127.0.0.1:${port}`))
  t.match(started.output, /email:\s+owner@demo.test/)
  t.match(started.output, /password:\s+demo password 1/)

  const login = await fetch(`http://127.0.0.1:${port}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'owner@demo.test', password: 'demo password 1' }) })
  t.equal(login.status, 200, 'the printed credentials work')
  const me = await fetch(`http://127.0.0.1:${port}/api/me`, { headers: { cookie: login.headers.get('set-cookie')!.split(';')[0] } }).then((r) => r.json())
  t.match(me, { tenant: { name: 'Demo', slug: 'demo', timezone: 'Asia/Jakarta' }, role: { key: 'super_admin' }, isOperator: true })

  const second = run({ ...env, PORT: String(await freePort()) }, null, 20_000)
  const began = Date.now()
  const refused = await second.done
  t.not(refused.code, 0, 'a second process on the same data dir exits non-zero')
  t.ok(Date.now() - began < 15_000, `within seconds (${Date.now() - began} ms)`)
  t.match(refused.output, /data dir .* is locked/i, 'and says the data dir is locked')
  t.equal((await fetch(`http://127.0.0.1:${port}/health/live`)).status, 200, 'the first keeps running')

  await stop(first.child)
  const again = run(env, /Sapa is ready/)
  const restarted = await again.done
  t.ok(restarted.matched, 'restarts')
  t.notMatch(restarted.output, /password:/, 'no new demo: the data was reused')
  const relog = await fetch(`http://127.0.0.1:${port}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'owner@demo.test', password: 'demo password 1' }) })
  t.equal(relog.status, 200, 'the same account still signs in')
  await stop(again.child)
})

t.test('bad configuration: one line naming the variable, exit non-zero', async (t) => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ DATABASE_URL: 'postgres://127.0.0.1:1/nope' }, /^sapa: APP_SECRET: is required/m],
    [{ PORT: 'eighty' }, /^sapa: PORT: must be a whole number/m],
    [{ DATABASE_URL: 'mysql://x' }, /^sapa: DATABASE_URL: must start with postgres:\/\//m],
    [{ REDIS_URL: 'nope' }, /^sapa: REDIS_URL: is not a valid URL/m],
    [{ APP_SECRET: 'short' }, /^sapa: APP_SECRET: must be at least 32 characters/m],
  ]
  for (const [env, message] of cases) {
    const { done } = run({ DATA_DIR: mkdtempSync(path.join(tmpdir(), 'sapa-cfg-')), ...env }, null, 20_000)
    const result = await done
    t.equal(result.code, 1, `${Object.keys(env).join(',')} → exit 1`)
    t.match(result.output, message)
    t.equal(result.output.trim().split('\n').filter((l) => l.startsWith('sapa:')).length, 1, 'one line')
  }
})
