import type { FastifyInstance } from 'fastify'
import { decodeCursor, encodeCursor, str, uuid, emptyBody } from '@sapa/sdk'
import type { Deps } from '../deps.ts'
import type { PresenceStatus } from '../models.ts'
import { listPresence, setPresence } from '../presence.ts'
import { limitQuery, tenantOf } from './common.ts'

const tags = ['inbox']

export function presenceRoutes(deps: Deps) {
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: { teamId?: string; limit: number; cursor?: string } }>('/presence', {
      schema: { tags, querystring: { type: 'object', additionalProperties: false, properties: { teamId: uuid, limit: limitQuery(200, 100), cursor: str(200, 1) } } },
      config: { permission: 'inbox.conversation.view' },
    }, async (req) => {
      const { items, last } = await listPresence(deps, tenantOf(req), { teamId: req.query.teamId, limit: req.query.limit, cursor: decodeCursor(req.query.cursor) })
      return { items, nextCursor: last ? encodeCursor(last) : null }
    })

    app.put<{ Body: { status: PresenceStatus } }>('/presence', {
      schema: { tags, body: { type: 'object', additionalProperties: false, required: ['status'], properties: { status: { type: 'string', enum: ['online', 'away', 'offline'] } } } },
      config: { permission: 'inbox.conversation.view' },
    }, async (req) => setPresence(deps, tenantOf(req), req.principal!.user?.id ?? null, req.body.status))

    app.post('/presence/heartbeat', {
      schema: { tags, body: emptyBody },
      config: { permission: 'inbox.conversation.view' },
    }, async (req) => setPresence(deps, tenantOf(req), req.principal!.user?.id ?? null, 'heartbeat'))
  }
}
