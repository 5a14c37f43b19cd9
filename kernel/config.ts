import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'

/** Everything the kernel reads from the environment, parsed once at boot. */
export interface Config {
  mode: 'embedded' | 'server'
  port: number
  host: string
  dataDir: string
  databaseUrl?: string
  redisUrl?: string
  /** Namespace of every Redis key and channel, so several deployments (or tests) share a Redis. */
  redisPrefix: string
  /** Extra folders holding plugins (SAPA_PLUGIN_DIRS, separated by the path delimiter). */
  pluginDirs: string[]
  appSecret: string
  publicUrl: string
  sessionTtlMs: number
  bodyLimit: number
  /** Under load, a realtime socket is written at most this often (ms; its events batched). */
  realtimeFlushGapMs: number
  logLevel: string
  demoAdminEmail?: string
  demoAdminPassword?: string
  /** Relax rate limits etc. only where tests ask for it. */
  loginRateLimit: { max: number; windowMs: number }
  cookieSecure: boolean
}

/** A configuration mistake: reported as one line naming the variable. */
export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`)
    this.name = 'ConfigError'
  }
}

type Env = Record<string, string | undefined>

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`)
  const value = Number(raw)
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`)
  return value
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = env[name]
  if (raw === undefined || raw === '') return undefined
  let parsed: URL
  try {
    parsed = new URL(raw)
  } catch {
    throw new ConfigError(name, 'is not a valid URL')
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must start with ${protocols.map((p) => p + '//').join(' or ')}`)
  }
  return raw
}

/**
 * Embedded mode keeps its APP_SECRET in the data dir so a restart can still decrypt
 * what it stored; server mode must be given one so every node agrees.
 */
function embeddedSecret(dataDir: string): string {
  const file = path.join(dataDir, 'app-secret')
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim()
    // An emptied or truncated file would otherwise become a weak (or empty) key; replacing it
    // would make everything already encrypted unreadable. Stop and let the operator decide.
    if (stored.length < 32) throw new ConfigError('APP_SECRET', `${file} is empty or damaged; restore it, or set APP_SECRET`)
    return stored
  }
  mkdirSync(dataDir, { recursive: true })
  const secret = randomBytes(32).toString('base64url')
  writeFileSync(file, secret + '\n', { mode: 0o600 })
  return secret
}

export function loadConfig(env: Env = process.env): Config {
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:'])
  const redisUrl = url(env, 'REDIS_URL', ['redis:', 'rediss:'])
  const mode = databaseUrl ? 'server' : 'embedded'
  const dataDir = path.resolve(env.DATA_DIR || './data')
  const port = int(env, 'PORT', 3000, 0, 65535)
  const host = env.HOST || (mode === 'embedded' ? '127.0.0.1' : '0.0.0.0')

  let appSecret = env.APP_SECRET
  if (appSecret !== undefined && appSecret.length < 32) {
    throw new ConfigError('APP_SECRET', 'must be at least 32 characters (try: openssl rand -base64 32)')
  }
  if (!appSecret) {
    if (mode === 'server') {
      throw new ConfigError('APP_SECRET', 'is required when DATABASE_URL is set (try: openssl rand -base64 32)')
    }
    appSecret = embeddedSecret(dataDir)
  }

  const publicUrl = url(env, 'PUBLIC_URL', ['http:', 'https:']) ?? `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`
  const logLevel = env.LOG_LEVEL || 'info'
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', 'must be one of fatal, error, warn, info, debug, trace, silent')
  }

  return {
    mode,
    port,
    host,
    dataDir,
    databaseUrl,
    redisUrl,
    redisPrefix: env.REDIS_PREFIX || 'sapa',
    pluginDirs: (env.SAPA_PLUGIN_DIRS ?? '').split(path.delimiter).filter(Boolean).map((d) => path.resolve(d)),
    appSecret,
    publicUrl,
    sessionTtlMs: int(env, 'SESSION_TTL_HOURS', 24 * 7, 1, 24 * 365) * 3600_000,
    bodyLimit: int(env, 'BODY_LIMIT_BYTES', 1024 * 1024, 1024, 100 * 1024 * 1024),
    realtimeFlushGapMs: int(env, 'SAPA_REALTIME_FLUSH_GAP_MS', 10, 0, 1000),
    logLevel,
    demoAdminEmail: env.SAPA_DEMO_ADMIN_EMAIL || undefined,
    demoAdminPassword: env.SAPA_DEMO_ADMIN_PASSWORD || undefined,
    loginRateLimit: { max: int(env, 'LOGIN_RATE_LIMIT', 10, 1, 100000), windowMs: 60_000 },
    cookieSecure: publicUrl.startsWith('https:'),
  }
}
