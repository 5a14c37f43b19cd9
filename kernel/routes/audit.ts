import type { FastifyInstance } from 'fastify'
import type { KernelServices } from '../kernel.ts'
import { pageQuery, str, uuid } from '../http/schemas.ts'
import { decodeCursor, page } from '../http/cursor.ts'
import { AuditRecord } from '../models.ts'

interface AuditQuery {
  limit: number
  cursor?: string
  action?: string
  actorId?: string
  targetType?: string
  targetId?: string
  from?: string
  to?: string
}

export default async function auditRoutes(app: FastifyInstance, k: KernelServices) {
  app.get<{ Querystring: AuditQuery }>('/api/audit', {
    schema: {
      tags: ['audit'],
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          ...pageQuery,
          action: { ...str(96, 1), description: 'Exact action, or a prefix ending in * (kernel.user.*)' },
          actorId: uuid,
          targetType: str(64, 1),
          targetId: str(64, 1),
          from: { type: 'string', format: 'date-time' },
          to: { type: 'string', format: 'date-time' },
        },
      },
    },
    config: { permission: 'kernel.audit.view' },
  }, async (req) => {
    const f = req.query
    const after = decodeCursor(f.cursor)
    // Newest first; ids are UUIDv7 so id order is time order and the index (tenant_id, id) serves it.
    const q = AuditRecord.of(req.principal!.tenant.id).orderBy('id', 'desc').limit(f.limit + 1)
    if (after) q.where('id', '<', after)
    if (f.action) f.action.endsWith('*') ? q.whereLike('action', f.action.slice(0, -1).replace(/[\\%_]/g, (c) => '\\' + c) + '%') : q.where('action', f.action)
    if (f.actorId) q.where('actor_id', f.actorId)
    if (f.targetType) q.where('target_type', f.targetType)
    if (f.targetId) q.where('target_id', f.targetId)
    if (f.from) q.where('created_at', '>=', new Date(f.from))
    if (f.to) q.where('created_at', '<', new Date(f.to))
    const result = page((await q) as any[], f.limit)
    return {
      items: result.items.map((r) => ({
        id: r.id,
        action: r.action,
        actor: { type: r.actor_type, id: r.actor_id, label: r.actor_label },
        target: r.target_type ? { type: r.target_type, id: r.target_id } : null,
        ip: r.ip,
        userAgent: r.user_agent,
        summary: r.summary,
        createdAt: r.created_at,
      })),
      nextCursor: result.nextCursor,
    }
  })
}
