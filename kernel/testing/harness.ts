import type { FastifyInstance, InjectOptions } from 'fastify'
import type { Response as InjectResponse } from 'light-my-request'
import { pino } from 'pino'
import { loadConfig, type Config } from '../config.ts'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createKernel, migrateKernel, type Kernel, type KernelServices } from '../kernel.ts'
import type { AppOptions } from '../app.ts'
import { createKernelServer } from '../start-server.ts'
import type { GenerationServer } from '../server.ts'
import { kernelMigrationsDir, migrateFolder } from '../db/migrate.ts'
import { readDescriptor, sortByDependencies, type PluginDescriptor } from '../plugins/descriptor.ts'
import { ManualClock } from '../clock.ts'
import { newId } from '../db/ids.ts'
import { hashPassword } from '../auth/passwords.ts'
import { openTestDatabase, type TemplateSpec } from './database.ts'

/** What a test needs from its runner: somewhere to hang clean-up (tap's `t` fits). */
export interface TestLike {
  teardown(fn: () => unknown): void
}

export interface TestTenant {
  id: string
  slug: string
  name: string
}

export interface TestUser {
  id: string
  email: string
  password: string
  role: string
}

export type Injector = (opts: InjectOptions) => Promise<InjectResponse>

export interface TestSession {
  user: TestUser
  tenant: TestTenant
  cookie: string
  csrfToken: string
  /** inject() as this user: adds the session cookie and, on mutations, the CSRF header. */
  inject: Injector
}

export interface TestKernelOptions {
  /** Plugin folders to load (each with a package.json `sapa` key). Default: none — kernel only. */
  plugins?: string[]
  config?: Partial<Config>
  app?: Omit<AppOptions, 'serverFactory'>
  clock?: ManualClock
}

/** The template for a plugin set: kernel migrations, then each plugin's in dependency order. */
export function templateFor(plugins: PluginDescriptor[]): TemplateSpec {
  const sorted = sortByDependencies(plugins)
  return {
    migrationDirs: [kernelMigrationsDir, ...sorted.map((p) => path.join(p.dir, 'migrations'))],
    async migrate(db) {
      await migrateKernel(db)
      for (const p of sorted) await migrateFolder(db, p.name, path.join(p.dir, 'migrations'))
    },
  }
}

/** Everything this test kernel left in a shared Redis (queues, rate limits) goes with it. */
async function dropRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 })
  try {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      cursor = next
      if (keys.length) await redis.del(...keys)
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}

export const TEST_PASSWORD = 'correct horse battery staple'
let passwordHash: Promise<string> | undefined

export interface TestKernel {
  kernel: Kernel
  services: KernelServices
  server: GenerationServer
  /** The current app generation (changes when plugins are installed or reloaded). */
  readonly app: FastifyInstance
  clock: ManualClock
  inject: Injector
  createTenant(slug?: string): Promise<TestTenant>
  createUser(tenant: TestTenant, role: string, extra?: { email?: string; isOperator?: boolean; active?: boolean }): Promise<TestUser>
  login(tenant: TestTenant, role: string, extra?: { isOperator?: boolean }): Promise<TestSession>
  loginAs(user: TestUser, tenant: TestTenant): Promise<TestSession>
  apiKey(tenant: TestTenant, role: string): Promise<{ id: string; token: string; inject: Injector }>
}

let counter = 0

/**
 * Boots a whole kernel on a private copy of the migrated database (real Postgres when
 * TEST_DATABASE_URL is set, PGlite otherwise) with a manual clock; closes it on teardown.
 */
export async function createTestKernel(t: TestLike, options: TestKernelOptions = {}): Promise<TestKernel> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sapa-test-'))
  const config: Config = {
    ...loadConfig({ APP_SECRET: 'test-secret-test-secret-test-secret-0123', LOG_LEVEL: 'silent', DATA_DIR: dataDir }),
    redisUrl: process.env.TEST_REDIS_URL || undefined,
    redisPrefix: `sapa-test-${randomBytes(4).toString('hex')}`,
    loginRateLimit: { max: 1000, windowMs: 60_000 },
    ...options.config,
  }
  const clock = options.clock ?? new ManualClock(new Date())
  const plugins = (options.plugins ?? []).map((dir) => readDescriptor(path.resolve(dir), 'dirs'))
  const dbHandle = await openTestDatabase(templateFor(plugins))
  const kernel = await createKernel(config, { clock, dbHandle, migrate: false, logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), plugins })
  const server = await createKernelServer(kernel, options.app)
  t.teardown(async () => {
    await server.close()
    await kernel.close()
    rmSync(dataDir, { recursive: true, force: true })
    if (config.redisUrl) await dropRedisKeys(config.redisUrl, config.redisPrefix)
  })
  const { db } = kernel.services
  const inject: Injector = (opts) => server.app.inject(opts)
  const app = { inject: (opts: InjectOptions) => server.app.inject(opts) }

  async function createTenant(slug = `t${++counter}-${newId().slice(-6)}`): Promise<TestTenant> {
    const row = { id: newId(), name: `Tenant ${slug}`, slug, timezone: 'Asia/Jakarta', locale: 'id', status: 'active' }
    await db('tenants').insert(row)
    return { id: row.id, slug, name: row.name }
  }

  async function createUser(tenant: TestTenant, role: string, extra: { email?: string; isOperator?: boolean; active?: boolean } = {}): Promise<TestUser> {
    passwordHash ??= hashPassword(TEST_PASSWORD)
    const id = newId()
    const email = extra.email ?? `${role}-${++counter}-${id.slice(-8)}@test.sapa`
    await db('users').insert({ id, email, name: `${role} user`, password_hash: await passwordHash, is_operator: extra.isOperator ?? false })
    await db('memberships').insert({ tenant_id: tenant.id, user_id: id, role, active: extra.active ?? true })
    return { id, email, password: TEST_PASSWORD, role }
  }

  async function loginAs(user: TestUser, tenant: TestTenant): Promise<TestSession> {
    const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: user.email, password: user.password, tenant: tenant.slug } })
    if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`)
    const cookie = res.cookies.find((c) => c.name === 'sapa_session')!
    const csrfToken = res.json().csrfToken as string
    const cookieHeader = `sapa_session=${cookie.value}`
    return {
      user,
      tenant,
      cookie: cookieHeader,
      csrfToken,
      inject: (opts) =>
        app.inject({
          ...opts,
          headers: {
            cookie: cookieHeader,
            ...(opts.method && opts.method !== 'GET' ? { 'x-csrf-token': csrfToken } : {}),
            ...(opts.headers ?? {}),
          },
        }),
    }
  }

  async function login(tenant: TestTenant, role: string, extra: { isOperator?: boolean } = {}): Promise<TestSession> {
    return loginAs(await createUser(tenant, role, extra), tenant)
  }

  async function apiKey(tenant: TestTenant, role: string) {
    const admin = await login(tenant, 'super_admin')
    const res = await admin.inject({ method: 'POST', url: '/api/api-keys', payload: { name: `key for ${role}`, role } })
    if (res.statusCode !== 201) throw new Error(`api key failed: ${res.statusCode} ${res.body}`)
    const { id, key } = res.json()
    return {
      id,
      token: key as string,
      inject: ((opts) => app.inject({ ...opts, headers: { authorization: `Bearer ${key}`, ...(opts.headers ?? {}) } })) as Injector,
    }
  }

  return {
    kernel,
    services: kernel.services,
    server,
    get app() {
      return server.app
    },
    clock,
    inject,
    createTenant,
    createUser,
    login,
    loginAs,
    apiKey,
  }
}
