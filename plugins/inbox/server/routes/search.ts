import type { FastifyInstance } from 'fastify'
import { decodeCursor, str } from '@sapa/sdk'
import { viewerOf } from '../access.ts'
import type { Deps } from '../deps.ts'
import { search } from '../search.ts'
import { limitQuery } from './common.ts'

export function searchRoutes(deps: Deps) {
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: { q: string; limit: number; cursor?: string } }>('/search', {
      schema: { tags: ['inbox'], querystring: { type: 'object', additionalProperties: false, required: ['q'], properties: { q: str(200, 1), limit: limitQuery(50, 20), cursor: str(200, 1) } } },
      config: { permission: 'inbox.conversation.view' },
    }, async (req) => search(deps, await viewerOf(req), { q: req.query.q, limit: req.query.limit, before: decodeCursor(req.query.cursor) }))
  }
}
