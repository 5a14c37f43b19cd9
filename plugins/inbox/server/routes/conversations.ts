import type { FastifyInstance } from 'fastify'
import { decodeCursor, idParams, str, uuid, emptyBody } from '@sapa/sdk'
import { viewerOf } from '../access.ts'
import { assign, transfer, unassign, type AssignInput } from '../assignment.ts'
import { changeDetails, changeStatus, getConversation, listConversations, markRead, openWithContact } from '../conversations.ts'
import type { Deps } from '../deps.ts'
import { PRIORITIES, type ConversationStatus } from '../models.ts'
import { addNote, listThread, send, type SendBody } from '../thread.ts'
import { actorOf, auditor, limitQuery, versionProp } from './common.ts'

const STATUSES = ['open', 'pending', 'snoozed', 'resolved'] as const
const label = { type: 'string', minLength: 1, maxLength: 50, pattern: '^\\S(.*\\S)?$' } as const
const tags = ['inbox']

export function conversationRoutes(deps: Deps) {
  const { ctx } = deps
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: { status?: ConversationStatus; assignee?: string; team?: string; label?: string; priority?: (typeof PRIORITIES)[number]; limit: number; cursor?: string } }>('/conversations', {
      schema: {
        tags,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: STATUSES },
            assignee: { anyOf: [{ type: 'string', enum: ['me', 'none'] }, uuid] },
            team: { anyOf: [{ type: 'string', enum: ['none'] }, uuid] },
            label,
            priority: { type: 'string', enum: PRIORITIES },
            limit: limitQuery(100, 50),
            cursor: str(200, 1),
          },
        },
      },
      config: { permission: 'inbox.conversation.view' },
    }, async (req) => {
      const { priority, ...rest } = req.query
      return listConversations(deps, await viewerOf(req), { ...rest, priority: priority ? PRIORITIES.indexOf(priority) : undefined })
    })

    app.post<{ Body: { sessionId: string; contactId: string } }>('/conversations', {
      schema: { tags, body: { type: 'object', additionalProperties: false, required: ['sessionId', 'contactId'], properties: { sessionId: uuid, contactId: uuid } } },
      config: { permission: 'inbox.conversation.reply' },
    }, async (req, reply) => {
      const { view, created } = await openWithContact(deps, await viewerOf(req), actorOf(req), req.body)
      return reply.status(created ? 201 : 200).send(view)
    })

    app.get<{ Params: { id: string } }>('/conversations/:id', {
      schema: { tags, params: idParams },
      config: { permission: 'inbox.conversation.view' },
    }, async (req) => getConversation(deps, await viewerOf(req), req.params.id))

    app.post<{ Params: { id: string }; Body: { status: ConversationStatus; snoozedUntil?: string; version?: number } }>('/conversations/:id/status', {
      schema: {
        tags,
        params: idParams,
        body: { type: 'object', additionalProperties: false, required: ['status'], properties: { status: { type: 'string', enum: STATUSES }, snoozedUntil: { type: 'string', format: 'date-time' }, version: versionProp } },
      },
      config: { permission: 'inbox.conversation.resolve' },
    }, async (req) => changeStatus(deps, await viewerOf(req), actorOf(req), req.params.id, req.body))

    app.patch<{ Params: { id: string }; Body: { priority?: (typeof PRIORITIES)[number]; addLabels?: string[]; removeLabels?: string[] } }>('/conversations/:id', {
      schema: {
        tags,
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            priority: { type: 'string', enum: PRIORITIES },
            addLabels: { type: 'array', maxItems: 20, items: label },
            removeLabels: { type: 'array', maxItems: 20, items: label },
          },
        },
      },
      config: { permission: 'inbox.conversation.reply' },
    }, async (req) => {
      const { priority, ...labels } = req.body
      return changeDetails(deps, await viewerOf(req), actorOf(req), req.params.id, { ...labels, priority: priority ? PRIORITIES.indexOf(priority) : undefined })
    })

    app.post<{ Params: { id: string } }>('/conversations/:id/read', {
      schema: { tags, params: idParams, body: emptyBody },
      config: { permission: 'inbox.conversation.view' },
    }, async (req, reply) => {
      await markRead(deps, await viewerOf(req), req.params.id)
      return reply.status(204).send()
    })

    // ---- the thread ----

    app.get<{ Params: { id: string }; Querystring: { before?: string; limit: number } }>('/conversations/:id/messages', {
      schema: { tags, params: idParams, querystring: { type: 'object', additionalProperties: false, properties: { before: str(200, 1), limit: limitQuery(100, 50) } } },
      config: { permission: 'inbox.conversation.view' },
    }, async (req) => listThread(deps, await viewerOf(req), req.params.id, { before: decodeCursor(req.query.before), limit: req.query.limit }))

    app.post<{ Params: { id: string }; Body: SendBody }>('/conversations/:id/messages', {
      schema: {
        tags,
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['type'],
          properties: {
            type: { type: 'string', enum: ['text', 'image', 'document', 'audio', 'video', 'sticker', 'reaction'] },
            text: str(4096, 1),
            mediaId: uuid,
            replyTo: uuid,
            emoji: str(16, 1),
            idempotencyKey: str(100, 1),
          },
        },
      },
      config: { permission: 'inbox.conversation.reply' },
    }, async (req, reply) => reply.status(202).send(await send(deps, await viewerOf(req), actorOf(req), req.params.id, req.body)))

    app.post<{ Params: { id: string }; Body: { text: string } }>('/conversations/:id/notes', {
      schema: { tags, params: idParams, body: { type: 'object', additionalProperties: false, required: ['text'], properties: { text: str(4096, 1) } } },
      config: { permission: 'inbox.conversation.note' },
    }, async (req, reply) => reply.status(201).send(await addNote(deps, await viewerOf(req), actorOf(req), req.params.id, req.body.text)))

    // ---- assignment ----

    const assignBody = { type: 'object', additionalProperties: false, properties: { userId: uuid, teamId: uuid, version: versionProp } } as const
    const powersOf = (req: { can(p: string): boolean }) => ({ assign: req.can('inbox.conversation.assign'), reply: req.can('inbox.conversation.reply') })
    const audit = auditor(ctx, 'inbox_conversation')

    app.post<{ Params: { id: string }; Body: AssignInput }>('/conversations/:id/assign', {
      schema: { tags, params: idParams, body: assignBody },
      config: { permission: 'inbox.conversation.reply' },
    }, async (req) => {
      const view = await assign(deps, await viewerOf(req), actorOf(req), powersOf(req), req.params.id, req.body)
      await audit(req, 'inbox.conversation.assigned', req.params.id, { userId: req.body.userId ?? null, teamId: req.body.teamId ?? null })
      return view
    })

    app.post<{ Params: { id: string }; Body: AssignInput }>('/conversations/:id/transfer', {
      schema: { tags, params: idParams, body: assignBody },
      config: { permission: 'inbox.conversation.reply' },
    }, async (req) => {
      const view = await transfer(deps, await viewerOf(req), actorOf(req), powersOf(req), req.params.id, req.body)
      await audit(req, 'inbox.conversation.transferred', req.params.id, { userId: req.body.userId ?? null, teamId: req.body.teamId ?? null })
      return view
    })

    app.post<{ Params: { id: string }; Body: { version?: number } | null }>('/conversations/:id/unassign', {
      schema: { tags, params: idParams, body: { type: ['object', 'null'], additionalProperties: false, properties: { version: versionProp } } },
      config: { permission: 'inbox.conversation.reply' },
    }, async (req) => {
      const view = await unassign(deps, await viewerOf(req), actorOf(req), powersOf(req), req.params.id, req.body ?? {})
      await audit(req, 'inbox.conversation.unassigned', req.params.id, {})
      return view
    })
  }
}
