import type { FastifyInstance } from 'fastify'
import { decodeCursor, encodeCursor, idParams, str, uuid } from '@sapa/sdk'
import type { Deps } from '../deps.ts'
import { addMember, createTeam, deleteTeam, getTeam, listTeams, removeMember, updateTeam, type TeamInput } from '../teams.ts'
import { auditor, limitQuery, tenantOf } from './common.ts'

const tags = ['inbox']
const teamProps = {
  name: { type: 'string', minLength: 1, maxLength: 80, pattern: '\\S' },
  description: str(500),
  autoAssign: { type: 'boolean' },
  capacity: { type: 'integer', minimum: 1, maximum: 1000 },
  sessionIds: { type: 'array', maxItems: 100, uniqueItems: true, items: uuid },
} as const
const memberParams = { type: 'object', additionalProperties: false, required: ['id', 'userId'], properties: { id: uuid, userId: uuid } } as const

export function teamRoutes(deps: Deps) {
  const { ctx } = deps
  const audit = auditor(ctx, 'inbox_team')

  return async (app: FastifyInstance) => {
    app.get<{ Querystring: { limit: number; cursor?: string } }>('/teams', {
      schema: { tags, querystring: { type: 'object', additionalProperties: false, properties: { limit: limitQuery(200, 50), cursor: str(200, 1) } } },
      config: { permission: 'inbox.conversation.view' },
    }, async (req) => {
      const { items, last } = await listTeams(deps, tenantOf(req), { limit: req.query.limit, cursor: decodeCursor(req.query.cursor) })
      return { items, nextCursor: last ? encodeCursor(last) : null }
    })

    app.post<{ Body: TeamInput & { name: string } }>('/teams', {
      schema: { tags, body: { type: 'object', additionalProperties: false, required: ['name'], properties: teamProps } },
      config: { permission: 'inbox.team.manage' },
    }, async (req, reply) => {
      const team = await createTeam(deps, tenantOf(req), req.body)
      await audit(req, 'inbox.team.created', team.id, { name: team.name })
      return reply.status(201).send(team)
    })

    app.get<{ Params: { id: string } }>('/teams/:id', {
      schema: { tags, params: idParams },
      config: { permission: 'inbox.conversation.view' },
    }, async (req) => getTeam(deps, tenantOf(req), req.params.id))

    app.patch<{ Params: { id: string }; Body: TeamInput }>('/teams/:id', {
      schema: { tags, params: idParams, body: { type: 'object', additionalProperties: false, properties: teamProps } },
      config: { permission: 'inbox.team.manage' },
    }, async (req) => {
      const team = await updateTeam(deps, tenantOf(req), req.params.id, req.body)
      await audit(req, 'inbox.team.updated', req.params.id, { ...req.body })
      return team
    })

    app.delete<{ Params: { id: string } }>('/teams/:id', {
      schema: { tags, params: idParams },
      config: { permission: 'inbox.team.manage' },
    }, async (req, reply) => {
      await deleteTeam(deps, tenantOf(req), req.params.id)
      await audit(req, 'inbox.team.deleted', req.params.id)
      return reply.status(204).send()
    })

    app.post<{ Params: { id: string }; Body: { userId: string } }>('/teams/:id/members', {
      schema: { tags, params: idParams, body: { type: 'object', additionalProperties: false, required: ['userId'], properties: { userId: uuid } } },
      config: { permission: 'inbox.team.manage' },
    }, async (req, reply) => {
      const team = await addMember(deps, tenantOf(req), req.params.id, req.body.userId)
      await audit(req, 'inbox.team.member_added', req.params.id, { userId: req.body.userId })
      return reply.status(201).send(team)
    })

    app.delete<{ Params: { id: string; userId: string } }>('/teams/:id/members/:userId', {
      schema: { tags, params: memberParams },
      config: { permission: 'inbox.team.manage' },
    }, async (req, reply) => {
      await removeMember(deps, tenantOf(req), req.params.id, req.params.userId)
      await audit(req, 'inbox.team.member_removed', req.params.id, { userId: req.params.userId })
      return reply.status(204).send()
    })
  }
}
