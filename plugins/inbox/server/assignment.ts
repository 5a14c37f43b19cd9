import type { Knex } from 'knex'
import { AppError } from '@sapa/sdk'
import { findVisible, teamsOf, visibleTo, type Viewer } from './access.ts'
import { announce, viewOf } from './conversations.ts'
import type { Actor, Deps } from './deps.ts'
import { Conversation, Team, TeamMember } from './models.ts'
import { activeMembers, isActiveMember, peopleById } from './people.ts'
import { insertSystem } from './system.ts'

/**
 * Assignment. Every change is one conditional UPDATE: `assign` only takes a conversation nobody has
 * (`WHERE assignee_id IS NULL`), `transfer` and `unassign` only change the state the caller saw (the
 * version, when given, or the assignee they act as). So two agents claiming one conversation at the
 * same moment: one update matches, the other matches nothing and answers 409 `already_assigned`.
 */

export interface AssignInput {
  userId?: string
  teamId?: string
  version?: number
}

export interface Powers {
  /** inbox.conversation.assign: may assign others, move between teams, take over. */
  assign: boolean
  /** inbox.conversation.reply: may claim a conversation for themself. */
  reply: boolean
}

/** Roles that may answer customers: only they are given conversations. */
export const repliers = (deps: Deps, tenantId: string) => deps.ctx.rolesWith(tenantId, 'inbox.conversation.reply')

async function checkTarget(deps: Deps, tenantId: string, input: AssignInput, trx?: Knex.Transaction) {
  if (input.teamId && !(await Team.of(tenantId, trx).findById(input.teamId))) throw new AppError(404, 'team_not_found', 'Team not found', { field: 'teamId' })
  if (input.userId) {
    if (!(await isActiveMember(trx ?? deps.ctx.db, tenantId, input.userId))) throw new AppError(400, 'user_not_member', 'That user is not an active member of this workspace', { field: 'userId' })
    if (!(await activeMembers(trx ?? deps.ctx.db, tenantId, [input.userId], repliers(deps, tenantId))).length) {
      throw new AppError(400, 'user_cannot_reply', 'That user’s role cannot answer conversations', { field: 'userId' })
    }
    if (input.teamId && !(await TeamMember.of(tenantId, trx).findById([input.teamId, input.userId]))) {
      throw new AppError(400, 'not_team_member', 'That user is not a member of the team', { field: 'userId' })
    }
  }
}

/** A user's name for a system line. Inside a transaction pass it: embedded mode has one connection. */
async function nameOf(db: Knex | Knex.Transaction, tenantId: string, userId: string | null): Promise<string> {
  if (!userId) return 'nobody'
  return (await peopleById(db, tenantId, [userId])).get(userId)?.name ?? 'a former member'
}

async function afterChange(deps: Deps, tenantId: string, actor: Actor, before: Conversation, row: Conversation, how: 'assigned' | 'transferred' | 'unassigned' | 'auto') {
  await announce(deps, row, { assignee_id: before.assignee_id, team_id: before.team_id })
  await deps.ctx.events.publish('inbox.conversation.assigned', {
    tenantId,
    conversationId: row.id,
    how,
    assigneeId: row.assignee_id,
    teamId: row.team_id,
    previousAssigneeId: before.assignee_id,
    previousTeamId: before.team_id,
    by: actor.userId,
  })
}

/** Take an unassigned conversation (for yourself, or for someone else with the assign permission). */
export async function assign(deps: Deps, viewer: Viewer, actor: Actor, powers: Powers, id: string, input: AssignInput) {
  const tenantId = viewer.tenantId
  if (!input.userId && !input.teamId) throw new AppError(400, 'assignee_required', 'Give userId, teamId or both', { field: 'userId' })
  const self = input.userId !== undefined && input.userId === actor.userId && !input.teamId
  if (self ? !powers.reply : !powers.assign) throw new AppError(403, 'forbidden', self ? 'You need the inbox.conversation.reply permission' : 'You need the inbox.conversation.assign permission', { permission: self ? 'inbox.conversation.reply' : 'inbox.conversation.assign' })
  const before = await findVisible(viewer, id)
  await checkTarget(deps, tenantId, input)
  const now = deps.now()
  const result = await deps.ctx.db.transaction(async (trx) => {
    const q = Conversation.of(tenantId, trx).where('id', id).whereNull('assignee_id').modify(visibleTo(viewer))
    if (input.version !== undefined) q.where('version', input.version)
    const patch: Record<string, unknown> = { version: trx.raw('version + 1'), updated_at: now }
    if (input.userId) Object.assign(patch, { assignee_id: input.userId, assigned_at: now })
    if (input.teamId) patch.team_id = input.teamId
    const [row] = (await q.patch(patch as any).returning('*')) as unknown as Conversation[]
    if (!row) return null
    const text = input.userId ? `Assigned to ${await nameOf(trx, tenantId, input.userId)} by ${actor.name ?? 'an agent'}` : `Moved to a team by ${actor.name ?? 'an agent'}`
    await insertSystem(deps, trx, tenantId, id, { event: 'assigned', assigneeId: row.assignee_id, teamId: row.team_id, by: actor.userId }, text, actor.userId)
    return row
  })
  if (!result) {
    const now = await findVisible(viewer, id)
    // Asking again for what is already so is not a conflict.
    if (input.userId && now.assignee_id === input.userId && (!input.teamId || now.team_id === input.teamId)) return viewOf(deps, tenantId, now)
    if (!input.userId && input.teamId && now.team_id === input.teamId && !now.assignee_id) return viewOf(deps, tenantId, now)
    if (now.assignee_id) throw new AppError(409, 'already_assigned', 'Someone else has this conversation: transfer it instead', { assigneeId: now.assignee_id, version: now.version })
    throw new AppError(409, 'version_conflict', 'The conversation changed meanwhile: reload it', { version: now.version })
  }
  await afterChange(deps, tenantId, actor, before, result, 'assigned')
  if (!result.assignee_id && result.team_id) deps.autoAssignLater(tenantId, [result.team_id])
  return viewOf(deps, tenantId, result)
}

/**
 * Hand a conversation over: to a user, to a team (unassigned there, for its agents or its
 * auto-assignment), or both. The current assignee may hand over their own conversation; anyone else
 * needs the assign permission. With `version`, only if nothing changed since the caller looked.
 */
export async function transfer(deps: Deps, viewer: Viewer, actor: Actor, powers: Powers, id: string, input: AssignInput) {
  const tenantId = viewer.tenantId
  if (!input.userId && !input.teamId) throw new AppError(400, 'assignee_required', 'Give userId, teamId or both', { field: 'userId' })
  const before = await findVisible(viewer, id)
  if (!powers.assign && !(actor.userId && before.assignee_id === actor.userId && powers.reply)) {
    throw new AppError(403, 'forbidden', 'Only the assignee or someone with inbox.conversation.assign may transfer this conversation', { permission: 'inbox.conversation.assign' })
  }
  await checkTarget(deps, tenantId, input)
  const now = deps.now()
  const result = await deps.ctx.db.transaction(async (trx) => {
    const q = Conversation.of(tenantId, trx).where('id', id).modify(visibleTo(viewer))
    // Without a version: only from the assignee the caller saw.
    if (input.version !== undefined) q.where('version', input.version)
    else if (before.assignee_id) q.where('assignee_id', before.assignee_id)
    else q.whereNull('assignee_id')
    const patch: Record<string, unknown> = { version: trx.raw('version + 1'), updated_at: now }
    if (input.teamId) patch.team_id = input.teamId
    patch.assignee_id = input.userId ?? null
    patch.assigned_at = input.userId ? now : null
    const [row] = (await q.patch(patch as any).returning('*')) as unknown as Conversation[]
    if (!row) return null
    const text = input.userId ? `Transferred to ${await nameOf(trx, tenantId, input.userId)} by ${actor.name ?? 'an agent'}` : `Transferred to a team by ${actor.name ?? 'an agent'}`
    await insertSystem(deps, trx, tenantId, id, { event: 'transferred', from: before.assignee_id, assigneeId: row.assignee_id, teamId: row.team_id, by: actor.userId }, text, actor.userId)
    return row
  })
  if (!result) {
    const current = await findVisible(viewer, id)
    throw new AppError(409, 'version_conflict', 'The conversation changed meanwhile: reload it', { version: current.version, assigneeId: current.assignee_id })
  }
  await afterChange(deps, tenantId, actor, before, result, 'transferred')
  deps.autoAssignLater(tenantId, [result.assignee_id ? null : result.team_id, ...(before.assignee_id ? await teamsOf(tenantId, before.assignee_id) : [])])
  return viewOf(deps, tenantId, result)
}

export async function unassign(deps: Deps, viewer: Viewer, actor: Actor, powers: Powers, id: string, input: { version?: number }) {
  const tenantId = viewer.tenantId
  const before = await findVisible(viewer, id)
  if (!before.assignee_id) return viewOf(deps, tenantId, before)
  if (!powers.assign && before.assignee_id !== actor.userId) {
    throw new AppError(403, 'forbidden', 'Only the assignee or someone with inbox.conversation.assign may unassign', { permission: 'inbox.conversation.assign' })
  }
  const result = await deps.ctx.db.transaction(async (trx) => {
    const q = Conversation.of(tenantId, trx).where('id', id).where('assignee_id', before.assignee_id!)
    if (input.version !== undefined) q.where('version', input.version)
    const [row] = (await q.patch({ assignee_id: null, assigned_at: null, version: trx.raw('version + 1'), updated_at: deps.now() } as any).returning('*')) as unknown as Conversation[]
    if (!row) return null
    await insertSystem(deps, trx, tenantId, id, { event: 'unassigned', from: before.assignee_id, by: actor.userId }, `Unassigned by ${actor.name ?? 'an agent'}`, actor.userId)
    return row
  })
  if (!result) throw new AppError(409, 'version_conflict', 'The conversation changed meanwhile: reload it')
  await afterChange(deps, tenantId, actor, before, result, 'unassigned')
  deps.autoAssignLater(tenantId, [result.team_id, ...(await teamsOf(tenantId, before.assignee_id))])
  return viewOf(deps, tenantId, result)
}

// ---- auto-assignment ----------------------------------------------------------------------------------

/**
 * Round robin within a team: the team's unassigned open (or pending) conversations, oldest first, go to
 * its online agents below the team's capacity, each time to the one who got a conversation longest ago.
 * The team row is locked for the run, so two runs for one team (two nodes, two triggers) never hand
 * out the same capacity twice.
 */
export async function autoAssign(deps: Deps, tenantId: string, teamId: string): Promise<Conversation[]> {
  const now = deps.now()
  const { autoAwayMinutes } = await deps.ctx.settings(tenantId)
  const cutoff = new Date(now.getTime() - autoAwayMinutes * 60_000)
  const assigned = await deps.ctx.db.transaction(async (trx) => {
    const team = await Team.of(tenantId, trx).findById(teamId).forUpdate()
    if (!team || !team.auto_assign) return []
    const online = (await TeamMember.of(tenantId, trx)
      .where('inbox_team_members.team_id', teamId)
      .join('inbox_presence as p', (j) => {
        j.on('p.tenant_id', 'inbox_team_members.tenant_id').andOn('p.user_id', 'inbox_team_members.user_id')
      })
      .where('p.status', 'online')
      .where('p.last_seen_at', '>=', cutoff)
      .select('inbox_team_members.user_id', 'inbox_team_members.last_assigned_at')) as TeamMember[]
    if (!online.length) return []
    const members = new Set((await activeMembers(trx, tenantId, online.map((m) => m.user_id), repliers(deps, tenantId))).map((p) => p.id))
    const agents = online.filter((m) => members.has(m.user_id))
    if (!agents.length) return []
    const loads = (await Conversation.of(tenantId, trx)
      .whereIn('assignee_id', agents.map((a) => a.user_id))
      .whereIn('status', ['open', 'pending'])
      .groupBy('assignee_id')
      .select('assignee_id')
      .count('* as n')) as unknown as { assignee_id: string; n: string | number }[]
    const load = new Map(loads.map((l) => [l.assignee_id, Number(l.n)]))
    // Rotation: whoever was given a conversation longest ago (never = first) goes next.
    const queue = agents
      .map((a) => ({ userId: a.user_id, last: a.last_assigned_at ? new Date(a.last_assigned_at).getTime() : 0, load: load.get(a.user_id) ?? 0 }))
      .filter((a) => a.load < team.capacity)
      .sort((a, b) => a.last - b.last || a.userId.localeCompare(b.userId))
    const free = queue.reduce((sum, a) => sum + (team.capacity - a.load), 0)
    if (!free) return []
    const waiting = await Conversation.of(tenantId, trx)
      .where('team_id', teamId)
      .whereNull('assignee_id')
      .whereIn('status', ['open', 'pending'])
      .orderBy([{ column: 'opened_at' }, { column: 'id' }])
      .limit(free)
      .forUpdate()
    const done: Conversation[] = []
    let tick = 0
    const names = await peopleById(trx, tenantId, queue.map((a) => a.userId)) // once, not per conversation
    for (const c of waiting) {
      const agent = queue.shift()
      if (!agent) break
      const at = new Date(now.getTime() + tick++) // distinct times keep the rotation's order
      const [row] = (await Conversation.of(tenantId, trx)
        .where('id', c.id)
        .whereNull('assignee_id')
        .patch({ assignee_id: agent.userId, assigned_at: at, version: trx.raw('version + 1'), updated_at: now } as any)
        .returning('*')) as unknown as Conversation[]
      if (!row) {
        queue.unshift(agent)
        continue
      }
      await TeamMember.of(tenantId, trx).where({ team_id: teamId, user_id: agent.userId }).patch({ last_assigned_at: at } as any)
      await insertSystem(deps, trx, tenantId, c.id, { event: 'assigned', assigneeId: agent.userId, teamId, by: null, auto: true }, `Assigned automatically to ${names.get(agent.userId)?.name ?? 'a former member'}`)
      done.push(row)
      agent.load++
      agent.last = at.getTime()
      if (agent.load < team.capacity) queue.push(agent)
    }
    return done
  })
  const actor = { userId: null, name: null }
  for (const row of assigned) await afterChange(deps, tenantId, actor, { ...row, assignee_id: null } as Conversation, row, 'auto')
  return assigned
}
