import type { FastifyInstance } from 'fastify'
import { decodeCursor, page, str } from '@sapa/sdk'
import type { Deps } from '../deps.ts'
import { Presence } from '../models.ts'
import { repliers } from '../assignment.ts'
import { listMembers } from '../people.ts'
import { effectiveStatus } from '../presence.ts'
import { limitQuery, tenantOf } from './common.ts'

/**
 * `GET /agents`: who a conversation can be assigned or transferred to — the tenant's active members
 * whose role may answer customers, with their presence. The kernel's `/api/users` needs `kernel.users.view` (team leads and up), but
 * an assignee hands a conversation over too, so the inbox answers this itself.
 */
export function agentRoutes(deps: Deps) {
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: { q?: string; limit: number; cursor?: string } }>('/agents', {
      schema: { tags: ['inbox'], querystring: { type: 'object', additionalProperties: false, properties: { q: str(100, 1), limit: limitQuery(200, 100), cursor: str(200, 1) } } },
      config: { permission: 'inbox.conversation.view' },
    }, async (req) => {
      const tenantId = tenantOf(req)
      const rows = await listMembers(deps.ctx.db, tenantId, { q: req.query.q, limit: req.query.limit + 1, after: decodeCursor(req.query.cursor), roles: repliers(deps, tenantId) })
      const { items: members, nextCursor } = page(rows, req.query.limit)
      const presence = members.length ? await Presence.of(tenantId).whereIn('user_id', members.map((m) => m.id)) : []
      const byUser = new Map(presence.map((p) => [p.user_id, p]))
      const { autoAwayMinutes } = await deps.ctx.settings(tenantId)
      const now = deps.now()
      return {
        items: members.map((m) => {
          const p = byUser.get(m.id)
          return { id: m.id, name: m.name, presence: p ? effectiveStatus(p, now, autoAwayMinutes) : 'offline' }
        }),
        nextCursor,
      }
    })
  }
}
