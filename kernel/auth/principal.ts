import type {} from '@fastify/cookie'
import type { FastifyRequest } from 'fastify'
import type { Db } from '../db/connect.ts'
import type { Clock } from '../clock.ts'
import type { Fanout } from '../bus/fanout.ts'
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
  /** API keys: the member who made the key (the key dies with their membership). */
  createdBy?: string | null
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

/** What changed: every cached credential it touches is dropped, on every node. */
export interface Invalidation {
  userId?: string
  tenantId?: string
  apiKeyId?: string
  sessionId?: string
}

const INVALIDATE_CHANNEL = 'kernel.auth.invalidate'
const MAX_ENTRIES = 50_000

interface CacheEntry {
  principal: Principal
  expiresAt: number // the session's or key's own expiry
  cachedAt: number
}

/**
 * Resolves the credential of a request to a Principal. The lookup (session or key → user →
 * membership → tenant) is cached per credential: every change that can affect a principal —
 * role change, deactivation, logout, key revocation, tenant suspension, tenant switch — calls
 * `invalidate`, which drops the affected entries here and, through the fan-out, on every node,
 * so the change holds from the next request on. `ttlMs` bounds staleness should a fan-out
 * message ever be lost (Redis pub/sub does not replay).
 */
export function createAuthenticator(deps: { db: Db; clock: Clock; fanout: Fanout; ttlMs?: number }) {
  const { db, clock, fanout } = deps
  const ttlMs = deps.ttlMs ?? 10_000
  const keyTouchedAt = new Map<string, number>()
  const cache = new Map<string, CacheEntry>()

  function drop(scope: Invalidation) {
    for (const [key, entry] of cache) {
      const p = entry.principal
      if (
        (scope.sessionId && p.sessionId === scope.sessionId) ||
        (scope.apiKeyId && p.apiKey?.id === scope.apiKeyId) ||
        (scope.userId && p.user?.id === scope.userId) ||
        (scope.userId && p.apiKey && p.createdBy === scope.userId) ||
        (scope.tenantId && p.tenant.id === scope.tenantId)
      ) {
        cache.delete(key)
      }
    }
  }
  fanout.subscribe(INVALIDATE_CHANNEL, (message) => drop(message as Invalidation))

  async function cached(key: string, load: () => Promise<{ principal: Principal; expiresAt: number } | null>): Promise<Principal | null> {
    const now = clock.now().getTime()
    const hit = cache.get(key)
    if (hit && hit.expiresAt > now && Date.now() - hit.cachedAt < ttlMs) return hit.principal
    const fresh = await load()
    if (!fresh) {
      cache.delete(key)
      return null
    }
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!)
    cache.set(key, { ...fresh, cachedAt: Date.now() })
    return fresh.principal
  }

  async function fromSession(tokenHash: string): Promise<{ principal: Principal; expiresAt: number } | null> {
    const row = await db('sessions as s')
      .join('users as u', 'u.id', 's.user_id')
      .join('memberships as m', function () {
        this.on('m.user_id', '=', 's.user_id').andOn('m.tenant_id', '=', 's.tenant_id')
      })
      .join('tenants as t', 't.id', 's.tenant_id')
      .where('s.id', tokenHash)
      .andWhere('s.expires_at', '>', clock.now())
      .andWhere('m.active', true)
      .first('s.id as session_id', 's.csrf_token', 's.expires_at', 'u.id as user_id', 'u.email', 'u.name', 'u.is_operator', 'm.role', ...tenantColumns)
    if (!row) return null
    return {
      expiresAt: new Date(row.expires_at).getTime(),
      principal: {
        kind: 'session',
        user: { id: row.user_id, email: row.email, name: row.name, isOperator: row.is_operator },
        apiKey: null,
        tenant: tenantOf(row),
        role: row.role,
        sessionId: row.session_id,
        csrfToken: row.csrf_token,
      },
    }
  }

  async function fromApiKey(keyHash: string): Promise<{ principal: Principal; expiresAt: number } | null> {
    const now = clock.now()
    const row = await db('api_keys as k')
      .join('tenants as t', 't.id', 'k.tenant_id')
      // A key dies with its creator's membership: deactivating a member stops their keys too.
      .leftJoin('memberships as m', function () {
        this.on('m.user_id', '=', 'k.created_by').andOn('m.tenant_id', '=', 'k.tenant_id')
      })
      .where('k.key_hash', keyHash)
      .whereNull('k.revoked_at')
      .andWhere((q) => q.whereNull('k.expires_at').orWhere('k.expires_at', '>', now))
      .andWhere((q) => q.whereNull('k.created_by').orWhere('m.active', true))
      .first('k.id as key_id', 'k.name as key_name', 'k.role', 'k.expires_at', 'k.created_by', ...tenantColumns)
    if (!row) return null
    const last = keyTouchedAt.get(row.key_id) ?? 0
    if (now.getTime() - last > 60_000) {
      // Coarse last-used time, written at most once a minute per key and never awaited.
      keyTouchedAt.set(row.key_id, now.getTime())
      db('api_keys').where({ id: row.key_id }).update({ last_used_at: now }).catch(() => {})
    }
    return {
      expiresAt: row.expires_at ? new Date(row.expires_at).getTime() : Number.MAX_SAFE_INTEGER,
      principal: { kind: 'api_key', user: null, apiKey: { id: row.key_id, name: row.key_name }, createdBy: row.created_by, tenant: tenantOf(row), role: row.role },
    }
  }

  const authenticate = async function authenticate(req: FastifyRequest): Promise<Principal | null> {
    const key = bearer(req)
    if (key !== undefined) {
      if (!key.startsWith(API_KEY_PREFIX) || key.length >= 200) return null
      const hash = sha256(key)
      return cached(`k:${hash}`, () => fromApiKey(hash))
    }
    const token = req.cookies?.[SESSION_COOKIE]
    if (token && token.length < 200) {
      const hash = sha256(token)
      return cached(`s:${hash}`, () => fromSession(hash))
    }
    return null
  }
  return Object.assign(authenticate, {
    /** Call after the change committed. */
    async invalidate(scope: Invalidation): Promise<void> {
      drop(scope)
      await fanout.publish(INVALIDATE_CHANNEL, scope)
    },
  })
}

export type Authenticate = ReturnType<typeof createAuthenticator>
