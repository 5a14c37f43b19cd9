import type { FastifyInstance } from 'fastify'
import { idParams, str, uuid } from '@sapa/sdk'
import { viewerOf } from '../access.ts'
import type { Deps } from '../deps.ts'
import { createQuickReply, deleteQuickReply, getQuickReply, listQuickReplies, renderQuickReply, updateQuickReply, type QuickReplyInput } from '../quick-replies.ts'
import { quickReplyView } from '../views.ts'
import { actorOf, auditor, decodeText, encodeText, limitQuery, tenantOf } from './common.ts'

const tags = ['inbox']
const SHORTCUT = '^/?[A-Za-z0-9_-]{1,40}$'
const props = {
  shortcut: { type: 'string', maxLength: 41, pattern: SHORTCUT },
  title: { type: 'string', minLength: 1, maxLength: 120, pattern: '\\S' },
  category: str(60),
  text: { type: 'string', minLength: 1, maxLength: 4096, pattern: '\\S' },
} as const

export function quickReplyRoutes(deps: Deps) {
  const { ctx } = deps
  const audit = auditor(ctx, 'inbox_quick_reply')

  return async (app: FastifyInstance) => {
    app.get<{ Querystring: { q?: string; category?: string; limit: number; cursor?: string } }>('/quick-replies', {
      schema: { tags, querystring: { type: 'object', additionalProperties: false, properties: { q: str(100, 1), category: str(60), limit: limitQuery(200, 50), cursor: str(200, 1) } } },
      config: { permission: 'inbox.conversation.view' },
    }, async (req) => {
      const { items, last } = await listQuickReplies(tenantOf(req), { ...req.query, cursor: decodeText(req.query.cursor, /^[a-z0-9_-]{1,40}$/) })
      return { items, nextCursor: last ? encodeText(last) : null }
    })

    app.post<{ Body: Required<Pick<QuickReplyInput, 'shortcut' | 'title' | 'text'>> & QuickReplyInput }>('/quick-replies', {
      schema: { tags, body: { type: 'object', additionalProperties: false, required: ['shortcut', 'title', 'text'], properties: props } },
      config: { permission: 'inbox.quickreply.manage' },
    }, async (req, reply) => {
      const created = await createQuickReply(deps, tenantOf(req), actorOf(req), req.body)
      await audit(req, 'inbox.quick_reply.created', created.id, { shortcut: created.shortcut })
      return reply.status(201).send(created)
    })

    app.get<{ Params: { id: string } }>('/quick-replies/:id', {
      schema: { tags, params: idParams },
      config: { permission: 'inbox.conversation.view' },
    }, async (req) => quickReplyView(await getQuickReply(tenantOf(req), req.params.id)))

    app.patch<{ Params: { id: string }; Body: QuickReplyInput }>('/quick-replies/:id', {
      schema: { tags, params: idParams, body: { type: 'object', additionalProperties: false, properties: props } },
      config: { permission: 'inbox.quickreply.manage' },
    }, async (req) => {
      const updated = await updateQuickReply(deps, tenantOf(req), req.params.id, req.body)
      await audit(req, 'inbox.quick_reply.updated', req.params.id, { shortcut: updated.shortcut })
      return updated
    })

    app.delete<{ Params: { id: string } }>('/quick-replies/:id', {
      schema: { tags, params: idParams },
      config: { permission: 'inbox.quickreply.manage' },
    }, async (req, reply) => {
      await deleteQuickReply(tenantOf(req), req.params.id)
      await audit(req, 'inbox.quick_reply.deleted', req.params.id)
      return reply.status(204).send()
    })

    app.post<{ Params: { id: string }; Body: { conversationId: string } }>('/quick-replies/:id/render', {
      schema: { tags, params: idParams, body: { type: 'object', additionalProperties: false, required: ['conversationId'], properties: { conversationId: uuid } } },
      config: { permission: 'inbox.conversation.reply' },
    }, async (req) => {
      const user = req.principal!.user
      return renderQuickReply(deps, await viewerOf(req), { name: user?.name ?? null, email: user?.email ?? null }, req.principal!.tenant.name, req.params.id, req.body.conversationId)
    })
  }
}
