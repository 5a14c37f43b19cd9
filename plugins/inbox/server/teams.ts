import { AppError, isUniqueViolation, newId } from '@sapa/sdk'
import type { Deps } from './deps.ts'
import { Conversation, Team, TeamMember } from './models.ts'
import { isActiveMember, peopleById } from './people.ts'
import { teamView } from './views.ts'

export interface TeamInput {
  name?: string
  description?: string
  autoAssign?: boolean
  capacity?: number
  sessionIds?: string[]
}

export async function listTeams(deps: Deps, tenantId: string, opts: { limit: number; cursor?: string }) {
  const q = Team.of(tenantId).orderBy('id').limit(opts.limit + 1)
  if (opts.cursor) q.where('id', '>', opts.cursor)
  const rows = await q
  const items = rows.slice(0, opts.limit)
  const counts = items.length
    ? ((await TeamMember.of(tenantId).whereIn('team_id', items.map((t) => t.id)).groupBy('team_id').select('team_id').count('* as n')) as unknown as { team_id: string; n: string | number }[])
    : []
  const n = new Map(counts.map((c) => [c.team_id, Number(c.n)]))
  return { items: items.map((t) => ({ ...teamView(t), memberCount: n.get(t.id) ?? 0 })), last: rows.length > opts.limit ? items[items.length - 1].id : null }
}

export async function getTeam(deps: Deps, tenantId: string, id: string) {
  const team = await Team.of(tenantId).findById(id)
  if (!team) throw new AppError(404, 'team_not_found', 'Team not found')
  const members = await TeamMember.of(tenantId).where('team_id', id).orderBy('created_at').limit(1000)
  const people = await peopleById(deps.ctx.db, tenantId, members.map((m) => m.user_id))
  return teamView(team, members.map((m) => ({ userId: m.user_id, name: people.get(m.user_id)?.name ?? null, email: people.get(m.user_id)?.email ?? null })))
}

export async function createTeam(deps: Deps, tenantId: string, input: TeamInput & { name: string }) {
  const now = deps.now()
  try {
    const team = await Team.of(tenantId).insert({
      id: newId(),
      name: input.name.trim(),
      description: input.description ?? '',
      auto_assign: input.autoAssign ?? false,
      capacity: input.capacity ?? 10,
      session_ids: [...new Set(input.sessionIds ?? [])],
      created_at: now,
      updated_at: now,
    } as Partial<Team>)
    return teamView(team, [])
  } catch (err) {
    if (isUniqueViolation(err)) throw new AppError(409, 'team_name_taken', 'A team with this name exists', { field: 'name' })
    throw err
  }
}

export async function updateTeam(deps: Deps, tenantId: string, id: string, input: TeamInput) {
  const patch: Record<string, unknown> = { updated_at: deps.now() }
  if (input.name !== undefined) patch.name = input.name.trim()
  if (input.description !== undefined) patch.description = input.description
  if (input.autoAssign !== undefined) patch.auto_assign = input.autoAssign
  if (input.capacity !== undefined) patch.capacity = input.capacity
  if (input.sessionIds !== undefined) patch.session_ids = [...new Set(input.sessionIds)]
  try {
    const [row] = (await Team.of(tenantId).where('id', id).patch(patch as any).returning('*')) as unknown as Team[]
    if (!row) throw new AppError(404, 'team_not_found', 'Team not found')
    // More capacity or auto-assignment switched on: the waiting conversations may go now.
    if (row.auto_assign) deps.autoAssignLater(tenantId, [row.id])
    return getTeam(deps, tenantId, id)
  } catch (err) {
    if (isUniqueViolation(err)) throw new AppError(409, 'team_name_taken', 'A team with this name exists', { field: 'name' })
    throw err
  }
}

/** The team goes; its conversations stay with their assignees (and view_all holders), without a team. */
export async function deleteTeam(deps: Deps, tenantId: string, id: string) {
  await deps.ctx.db.transaction(async (trx) => {
    const team = await Team.of(tenantId, trx).findById(id).forUpdate()
    if (!team) throw new AppError(404, 'team_not_found', 'Team not found')
    await Conversation.of(tenantId, trx).where('team_id', id).patch({ team_id: null, version: trx.raw('version + 1'), updated_at: deps.now() } as any)
    await TeamMember.of(tenantId, trx).where('team_id', id).delete()
    await Team.of(tenantId, trx).where('id', id).delete()
  })
}

export async function addMember(deps: Deps, tenantId: string, teamId: string, userId: string) {
  if (!(await Team.of(tenantId).findById(teamId))) throw new AppError(404, 'team_not_found', 'Team not found')
  // Users are the kernel's: only an active member of this tenant can join one of its teams.
  if (!(await isActiveMember(deps.ctx.db, tenantId, userId))) throw new AppError(400, 'user_not_member', 'That user is not an active member of this workspace', { field: 'userId' })
  await deps.ctx
    .db('inbox_team_members')
    .insert({ tenant_id: tenantId, team_id: teamId, user_id: userId, created_at: deps.now() })
    .onConflict(['tenant_id', 'team_id', 'user_id'])
    .ignore()
  deps.autoAssignLater(tenantId, [teamId])
  return getTeam(deps, tenantId, teamId)
}

export async function removeMember(deps: Deps, tenantId: string, teamId: string, userId: string) {
  if (!(await Team.of(tenantId).findById(teamId))) throw new AppError(404, 'team_not_found', 'Team not found')
  const n = await TeamMember.of(tenantId).where({ team_id: teamId, user_id: userId }).delete()
  if (!n) throw new AppError(404, 'member_not_found', 'That user is not in the team')
}
