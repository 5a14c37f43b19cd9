import t, { type Test } from 'tap'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { loadConfig, ConfigError } from '../../kernel/config.ts'

const SECRET = 'x'.repeat(32)

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sapa-config-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** loadConfig must throw a ConfigError whose `variable` (and message) names `variable`. */
function refuses(t: Test, env: Record<string, string>, variable: string, label: string) {
  let error: unknown
  try {
    loadConfig(env)
  } catch (err) {
    error = err
  }
  t.ok(error instanceof ConfigError, `${label}: a ConfigError`)
  t.equal((error as ConfigError)?.variable, variable, `${label}: names ${variable}`)
  t.match((error as Error)?.message, new RegExp(`^${variable}: `), `${label}: message starts with the variable`)
  return error as ConfigError | undefined
}

t.test('server mode needs APP_SECRET', async (t) => {
  const dir = tempDir(t)
  const err = refuses(t, { DATABASE_URL: 'postgres://u@db:5432/sapa', DATA_DIR: dir }, 'APP_SECRET', 'no APP_SECRET')
  t.match(err?.message, /DATABASE_URL/, 'says why it is needed')
  t.notOk(existsSync(path.join(dir, 'app-secret')), 'server mode never writes a secret file')
  refuses(t, { DATABASE_URL: 'postgres://u@db:5432/sapa', APP_SECRET: '' }, 'APP_SECRET', 'empty APP_SECRET')
  refuses(t, { DATABASE_URL: 'postgres://u@db:5432/sapa', APP_SECRET: 'short' }, 'APP_SECRET', 'short APP_SECRET')
  refuses(t, { APP_SECRET: 'x'.repeat(31), DATA_DIR: dir }, 'APP_SECRET', 'short APP_SECRET in embedded mode too')

  const ok = loadConfig({ DATABASE_URL: 'postgresql://u:p@db:5432/sapa', REDIS_URL: 'rediss://cache:6380', APP_SECRET: SECRET, PORT: '8080' })
  t.match(ok, { mode: 'server', databaseUrl: 'postgresql://u:p@db:5432/sapa', redisUrl: 'rediss://cache:6380', appSecret: SECRET, port: 8080, host: '0.0.0.0' })
})

t.test('bad values name their variable', async (t) => {
  const base = { APP_SECRET: SECRET, DATA_DIR: tempDir(t) }
  for (const value of ['not a url', 'mysql://u@db/sapa', 'http://db:5432/sapa', 'postgres//missing-colon']) {
    refuses(t, { ...base, DATABASE_URL: value }, 'DATABASE_URL', `DATABASE_URL=${value}`)
  }
  for (const value of ['abc', '-1', '65536', '99999', '80.5', '0x50', ' 80', '8080 ']) {
    refuses(t, { ...base, PORT: value }, 'PORT', `PORT=${JSON.stringify(value)}`)
  }
  for (const value of ['localhost:6379', 'http://cache:6379', 'not a url']) {
    refuses(t, { ...base, REDIS_URL: value }, 'REDIS_URL', `REDIS_URL=${value}`)
  }
  refuses(t, { ...base, PUBLIC_URL: 'ftp://x' }, 'PUBLIC_URL', 'PUBLIC_URL')
  refuses(t, { ...base, LOG_LEVEL: 'loud' }, 'LOG_LEVEL', 'LOG_LEVEL')
  refuses(t, { ...base, BODY_LIMIT_BYTES: '10' }, 'BODY_LIMIT_BYTES', 'BODY_LIMIT_BYTES below the minimum')
  refuses(t, { ...base, SESSION_TTL_HOURS: '0' }, 'SESSION_TTL_HOURS', 'SESSION_TTL_HOURS 0')
  refuses(t, { ...base, LOGIN_RATE_LIMIT: 'many' }, 'LOGIN_RATE_LIMIT', 'LOGIN_RATE_LIMIT')
  refuses(t, { ...base, SAPA_REALTIME_FLUSH_GAP_MS: 'soon' }, 'SAPA_REALTIME_FLUSH_GAP_MS', 'SAPA_REALTIME_FLUSH_GAP_MS')
  t.equal(loadConfig(base).realtimeFlushGapMs, 10, 'realtime flush gap defaults to 10 ms')

  t.equal(loadConfig({ ...base, PORT: '' }).port, 3000, 'empty PORT means the default')
  t.equal(loadConfig({ ...base, PORT: '0' }).port, 0, 'PORT 0 (any free port) is allowed')
  t.equal(loadConfig({ ...base, PORT: '65535' }).port, 65535)
  const defaults = loadConfig(base)
  t.match(defaults, { mode: 'embedded', port: 3000, host: '127.0.0.1', bodyLimit: 1024 * 1024, logLevel: 'info', sessionTtlMs: 7 * 24 * 3600_000, cookieSecure: false })
  t.equal(defaults.databaseUrl, undefined)
  t.equal(loadConfig({ ...base, PUBLIC_URL: 'https://crm.example.com' }).cookieSecure, true, 'https public URL → secure cookies')
})

t.test('embedded mode generates APP_SECRET once, then reuses it', async (t) => {
  const dir = path.join(tempDir(t), 'nested', 'data')
  const first = loadConfig({ DATA_DIR: dir })
  t.equal(first.mode, 'embedded')
  t.equal(first.dataDir, dir)
  t.ok(first.appSecret.length >= 32, 'a strong secret')
  const file = path.join(dir, 'app-secret')
  t.equal(readFileSync(file, 'utf8').trim(), first.appSecret, 'kept in DATA_DIR/app-secret')
  if (process.platform !== 'win32') t.equal(statSync(file).mode & 0o777, 0o600, 'readable by the owner only')

  const second = loadConfig({ DATA_DIR: dir })
  t.equal(second.appSecret, first.appSecret, 'a restart reuses it')
  t.equal(readFileSync(file, 'utf8').trim(), first.appSecret, 'the file is not rewritten')

  const other = loadConfig({ DATA_DIR: tempDir(t) })
  t.not(other.appSecret, first.appSecret, 'another data dir, another secret')

  const given = loadConfig({ DATA_DIR: dir, APP_SECRET: SECRET })
  t.equal(given.appSecret, SECRET, 'an explicit APP_SECRET wins')

  // A damaged secret file must stop the boot, not quietly become an empty or weak key.
  writeFileSync(file, '\n')
  refuses(t, { DATA_DIR: dir }, 'APP_SECRET', 'empty app-secret file')
  writeFileSync(file, 'short\n')
  refuses(t, { DATA_DIR: dir }, 'APP_SECRET', 'truncated app-secret file')
  t.equal(readFileSync(file, 'utf8'), 'short\n', 'a damaged file is left for the operator, not replaced')
})
