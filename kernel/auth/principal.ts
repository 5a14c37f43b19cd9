import type {} from '@fastify/cookie'
import type { FastifyRequest } from 'fastify'
import type { Db } from '../db/connect.ts'
import type { Clock } from '../clock.ts'
import { API_KEY_PREFIX, sha256 } from './tokens.ts'

export const SESSION_COOKIE = 'sapa_session'

export interface TenantInfo {
  id: string
  name: string
  slug: string
  timezone: string
  locale: string
  status: 'active' | 'suspended'
}

/** Who is calling, in which tenant, with which role: resolved from the credential alone. */
export interface Principal {
  kind: 'session' | 'api_key'
  user: { id: string; email: string; name: string; isOperator: boolean } | null
  apiKey: { id: string; name: string } | null
  tenant: TenantInfo
  role: string
  sessionId?: string
  csrfToken?: string
}

const tenantColumns = ['t.id as tenant_id', 't.name as tenant_name', 't.slug as tenant_slug', 't.timezone as tenant_timezone', 't.locale as tenant_locale', 't.status as tenant_status']

const tenantOf = (row: Record<string, any>): TenantInfo => ({
  id: row.tenant_id,
  name: row.tenant_name,
  slug: row.tenant_slug,
  timezone: row.tenant_timezone,
  locale: row.tenant_locale,
  status: row.tenant_status,
})

function bearer(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization
  if (!header) return undefined
  const match = /^Bearer\s+(\S+)$/i.exec(header)
  return match?.[1]
}

/**
 * One query per request, every time: a deactivated member, a revoked key or a changed role
 * is seen on the very next request on every node, with no cache to invalidate.
 */
export function createAuthenticator(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps
  const keyTouchedAt = new Map<string, number>()

  async function fromSession(token: string): Promise<Principal | null> {
    const row = await db('sessions as s')
      .join('users as u', 'u.id', 's.user_id')
      .join('memberships as m', function () {
        this.on('m.user_id', '=', 's.user_id').andOn('m.tenant_id', '=', 's.tenant_id')
      })
      .join('tenants as t', 't.id', 's.tenant_id')
      .where('s.id', sha256(token))
      .andWhere('s.expires_at', '>', clock.now())
      .andWhere('m.active', true)
      .first('s.id as session_id', 's.csrf_token', 'u.id as user_id', 'u.email', 'u.name', 'u.is_operator', 'm.role', ...tenantColumns)
    if (!row) return null
    return {
      kind: 'session',
      user: { id: row.user_id, email: row.email, name: row.name, isOperator: row.is_operator },
      apiKey: null,
      tenant: tenantOf(row),
      role: row.role,
      sessionId: row.session_id,
      csrfToken: row.csrf_token,
    }
  }

  async function fromApiKey(token: string): Promise<Principal | null> {
    const now = clock.now()
    const row = await db('api_keys as k')
      .join('tenants as t', 't.id', 'k.tenant_id')
      // A key dies with its creator's membership: deactivating a member stops their keys too.
      .leftJoin('memberships as m', function () {
        this.on('m.user_id', '=', 'k.created_by').andOn('m.tenant_id', '=', 'k.tenant_id')
      })
      .where('k.key_hash', sha256(token))
      .whereNull('k.revoked_at')
      .andWhere((q) => q.whereNull('k.expires_at').orWhere('k.expires_at', '>', now))
      .andWhere((q) => q.whereNull('k.created_by').orWhere('m.active', true))
      .first('k.id as key_id', 'k.name as key_name', 'k.role', ...tenantColumns)
    if (!row) return null
    const last = keyTouchedAt.get(row.key_id) ?? 0
    if (now.getTime() - last > 60_000) {
      // Coarse last-used time, written at most once a minute per key and never awaited.
      keyTouchedAt.set(row.key_id, now.getTime())
      db('api_keys').where({ id: row.key_id }).update({ last_used_at: now }).catch(() => {})
    }
    return { kind: 'api_key', user: null, apiKey: { id: row.key_id, name: row.key_name }, tenant: tenantOf(row), role: row.role }
  }

  return async function authenticate(req: FastifyRequest): Promise<Principal | null> {
    const key = bearer(req)
    if (key !== undefined) return key.startsWith(API_KEY_PREFIX) && key.length < 200 ? fromApiKey(key) : null
    const token = req.cookies?.[SESSION_COOKIE]
    if (token && token.length < 200) return fromSession(token)
    return null
  }
}

export type Authenticate = ReturnType<typeof createAuthenticator>
