import type { FastifyInstance, InjectOptions } from 'fastify'
import type { Response as InjectResponse } from 'light-my-request'
import { pino } from 'pino'
import { loadConfig, type Config } from '../config.ts'
import { createKernel, type Kernel, type KernelServices } from '../kernel.ts'
import { buildApp, type AppOptions } from '../app.ts'
import { ManualClock } from '../clock.ts'
import { newId } from '../db/ids.ts'
import { hashPassword } from '../auth/passwords.ts'
import { openTestDatabase, kernelTemplate, type TemplateSpec } from './database.ts'

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
  config?: Partial<Config>
  app?: AppOptions
  template?: TemplateSpec
  clock?: ManualClock
}

export const TEST_PASSWORD = 'correct horse battery staple'
let passwordHash: Promise<string> | undefined

export interface TestKernel {
  kernel: Kernel
  services: KernelServices
  app: FastifyInstance
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
  const config: Config = {
    ...loadConfig({ APP_SECRET: 'test-secret-test-secret-test-secret-0123', LOG_LEVEL: 'silent' }),
    loginRateLimit: { max: 1000, windowMs: 60_000 },
    ...options.config,
  }
  const clock = options.clock ?? new ManualClock(new Date())
  const dbHandle = await openTestDatabase(options.template ?? kernelTemplate)
  const kernel = await createKernel(config, { clock, dbHandle, migrate: false, logger: pino({ level: 'silent' }) })
  const app = await buildApp(kernel.services, options.app)
  await app.ready()
  t.teardown(async () => {
    await app.close()
    await kernel.close()
  })
  const { db } = kernel.services
  const inject: Injector = (opts) => app.inject(opts)

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

  return { kernel, services: kernel.services, app, clock, inject, createTenant, createUser, login, loginAs, apiKey }
}
