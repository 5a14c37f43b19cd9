import type { FastifyRequest } from 'fastify'
import type { Knex } from 'knex'
import { AppError, type RealtimeIdentity } from '@sapa/sdk'
import { Conversation, TeamMember } from './models.ts'

export const VIEW_ALL = 'inbox.conversation.view_all'

/**
 * Who is looking, and what they may see. An agent sees the conversations assigned to them and those
 * of their teams (assigned to a teammate or waiting unassigned in the team); `inbox.conversation.view_all`
 * sees every conversation of the tenant. An API key has no user: it sees everything with view_all and
 * nothing without it.
 */
export interface Viewer {
  tenantId: string
  userId: string | null
  all: boolean
  /** The teams the user belongs to (empty for `all` viewers: not needed). */
  teamIds: string[]
}

/** The teams a user is in. */
export async function teamsOf(tenantId: string, userId: string, trx?: Knex | Knex.Transaction): Promise<string[]> {
  const rows = await TeamMember.of(tenantId, trx).where('user_id', userId).select('team_id')
  return rows.map((r) => r.team_id)
}

export async function viewerOf(req: FastifyRequest, trx?: Knex.Transaction): Promise<Viewer> {
  const principal = req.principal!
  const all = req.can(VIEW_ALL)
  const userId = principal.user?.id ?? null
  return { tenantId: principal.tenant.id, userId, all, teamIds: !all && userId ? await teamsOf(principal.tenant.id, userId, trx) : [] }
}

export async function viewerOfIdentity(identity: RealtimeIdentity): Promise<Viewer> {
  const all = identity.can(VIEW_ALL) === true
  return { tenantId: identity.tenantId, userId: identity.userId, all, teamIds: !all && identity.userId ? await teamsOf(identity.tenantId, identity.userId) : [] }
}

/**
 * The visibility rule as a WHERE group on inbox_conversations: applied in SQL by every query that
 * reads conversations or their items (list, get, thread, search, realtime authorisation).
 */
export function visibleTo(viewer: Viewer, table = 'inbox_conversations') {
  return (q: Knex.QueryBuilder | any) => {
    if (viewer.all) return
    if (!viewer.userId) {
      q.whereRaw('false')
      return
    }
    q.where((w: Knex.QueryBuilder) => {
      w.where(`${table}.assignee_id`, viewer.userId)
      if (viewer.teamIds.length) w.orWhereIn(`${table}.team_id`, viewer.teamIds)
    })
  }
}

/** A conversation the viewer may see, or 404 (another tenant's id, or one outside their scope, is not found). */
export async function findVisible(viewer: Viewer, id: string, trx?: Knex.Transaction, opts: { forUpdate?: boolean } = {}): Promise<Conversation> {
  const q = Conversation.of(viewer.tenantId, trx).where('inbox_conversations.id', id).modify(visibleTo(viewer))
  if (opts.forUpdate) q.forUpdate()
  const conversation = await q.first()
  if (!conversation) throw new AppError(404, 'conversation_not_found', 'Conversation not found')
  return conversation
}

export async function canSee(viewer: Viewer, id: string): Promise<boolean> {
  return Boolean(await Conversation.of(viewer.tenantId).where('inbox_conversations.id', id).modify(visibleTo(viewer)).select('id').first())
}

/** Whether the viewer may see a conversation with this assignee and team (no query: for fan-out decisions). */
export function sees(viewer: Viewer, c: { assignee_id: string | null; team_id: string | null }): boolean {
  if (viewer.all) return true
  if (!viewer.userId) return false
  return c.assignee_id === viewer.userId || (c.team_id !== null && viewer.teamIds.includes(c.team_id))
}
