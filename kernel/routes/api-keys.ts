import type { FastifyInstance } from 'fastify'
import type { KernelServices } from '../kernel.ts'
import { AppError, notFound } from '../errors.ts'
import { idParams, pageQuery, str } from '../http/schemas.ts'
import { decodeCursor, page } from '../http/cursor.ts'
import { newId } from '../db/ids.ts'
import { newApiKey, sha256 } from '../auth/tokens.ts'
import { assertGrantable } from '../services/roles.ts'
import { ApiKey } from '../models.ts'

const view = (key: ApiKey) => ({
  id: key.id,
  name: key.name,
  prefix: key.prefix,
  role: key.role,
  createdBy: key.created_by,
  lastUsedAt: key.last_used_at,
  expiresAt: key.expires_at,
  revokedAt: key.revoked_at,
  createdAt: key.created_at,
})

export default async function apiKeyRoutes(app: FastifyInstance, k: KernelServices) {
  const { db, rbac, audit, clock } = k

  app.get<{ Querystring: { limit: number; cursor?: string; revoked?: boolean } }>('/api/api-keys', {
    schema: { tags: ['api-keys'], querystring: { type: 'object', additionalProperties: false, properties: { ...pageQuery, revoked: { type: 'boolean' } } } },
    config: { permission: 'kernel.apikeys.manage' },
  }, async (req) => {
    const after = decodeCursor(req.query.cursor)
    const q = ApiKey.of(req.principal!.tenant.id).orderBy('id', 'desc').limit(req.query.limit + 1)
    if (after) q.where('id', '<', after)
    if (req.query.revoked === true) q.whereNotNull('revoked_at')
    if (req.query.revoked === false) q.whereNull('revoked_at')
    const result = page(await q, req.query.limit)
    return { items: result.items.map(view), nextCursor: result.nextCursor }
  })

  app.post<{ Body: { name: string; role: string; expiresAt?: string } }>('/api/api-keys', {
    schema: {
      tags: ['api-keys'],
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'role'],
        properties: { name: str(120, 1), role: str(64, 1), expiresAt: { type: 'string', format: 'date-time' } },
      },
    },
    config: { permission: 'kernel.apikeys.manage' },
  }, async (req, reply) => {
    const p = req.principal!
    assertGrantable(rbac, p, req.body.role)
    const expiresAt = req.body.expiresAt ? new Date(req.body.expiresAt) : null
    if (expiresAt && expiresAt <= clock.now()) throw new AppError(400, 'expiry_in_past', 'expiresAt must be in the future', { field: 'expiresAt' })
    const key = newApiKey()
    const id = newId()
    await db.transaction(async (trx) => {
      await ApiKey.of(p.tenant.id, trx).insert({
        id,
        name: req.body.name.trim(),
        prefix: key.slice(0, 12),
        key_hash: sha256(key),
        role: req.body.role,
        // A key made with a key answers to the member behind that key: it dies with their membership.
        created_by: p.user?.id ?? p.createdBy ?? null,
        expires_at: expiresAt,
        created_at: clock.now(),
      } as any)
      await audit.record(trx, req, { tenantId: p.tenant.id, action: 'kernel.apikey.created', targetType: 'api_key', targetId: id, summary: { name: req.body.name, role: req.body.role } })
    })
    const row = (await ApiKey.of(p.tenant.id).findById(id))!
    // The only time the key is ever shown: we keep its hash.
    return reply.status(201).send({ ...view(row), key })
  })

  app.delete<{ Params: { id: string } }>('/api/api-keys/:id', {
    schema: { tags: ['api-keys'], params: idParams },
    config: { permission: 'kernel.apikeys.manage' },
  }, async (req, reply) => {
    const p = req.principal!
    await db.transaction(async (trx) => {
      const key = await ApiKey.of(p.tenant.id, trx).findById(req.params.id)
      if (!key) throw notFound('api_key')
      if (!key.revoked_at) {
        await ApiKey.of(p.tenant.id, trx).findById(key.id).patch({ revoked_at: clock.now() } as any)
        await audit.record(trx, req, { tenantId: p.tenant.id, action: 'kernel.apikey.revoked', targetType: 'api_key', targetId: key.id, summary: { name: key.name } })
      }
    })
    await k.authenticate.invalidate({ apiKeyId: req.params.id })
    return reply.status(204).send()
  })
}
