import { AppError } from '@sapa/sdk'
import type { Deps } from './deps.ts'
import { Presence, TeamMember, type PresenceStatus } from './models.ts'
import { teamsOf } from './access.ts'

/**
 * Agent presence: online | away | offline, set by the agent (`PUT /presence`, which also counts as a
 * heartbeat) and kept alive by heartbeats. An online agent without a heartbeat for `autoAwayMinutes`
 * is away: at once for every reader (the effective status is computed from last_seen_at) and in the
 * table at the next maintenance sweep, which also tells the browsers. A heartbeat brings an agent the
 * sweep made away back online; an agent who chose "away" stays away.
 */

export const PRESENCE_TOPIC = 'presence'

export function effectiveStatus(p: Pick<Presence, 'status' | 'last_seen_at'>, now: Date, autoAwayMinutes: number): PresenceStatus {
  if (p.status === 'online' && now.getTime() - new Date(p.last_seen_at).getTime() > autoAwayMinutes * 60_000) return 'away'
  return p.status
}

export function presenceView(p: Presence, now: Date, autoAwayMinutes: number) {
  return { userId: p.user_id, status: effectiveStatus(p, now, autoAwayMinutes), lastSeenAt: new Date(p.last_seen_at).toISOString(), changedAt: new Date(p.changed_at).toISOString() }
}

async function announce(deps: Deps, tenantId: string, p: Presence, autoAwayMinutes: number) {
  try {
    await deps.ctx.realtime.publish(tenantId, PRESENCE_TOPIC, 'presence.changed', presenceView(p, deps.now(), autoAwayMinutes))
  } catch (err) {
    deps.ctx.logger.warn({ err }, 'presence publish failed')
  }
}

export async function setPresence(deps: Deps, tenantId: string, userId: string | null, status: PresenceStatus | 'heartbeat') {
  if (!userId) throw new AppError(400, 'user_required', 'Presence belongs to a user: sign in as one (API keys have none)')
  const now = deps.now()
  const { autoAwayMinutes } = await deps.ctx.settings(tenantId)
  const previous = await Presence.of(tenantId).findById(userId)
  const before = previous ? effectiveStatus(previous, now, autoAwayMinutes) : 'offline'
  let next: PresenceStatus
  let auto = false
  if (status !== 'heartbeat') next = status
  else if (!previous || (previous.status === 'away' && previous.auto)) next = 'online' // back from an automatic "away"
  else {
    next = previous.status // a chosen status stays as it was
    auto = previous.auto
  }
  const [row] = (await deps.ctx
    .db('inbox_presence')
    .insert({ tenant_id: tenantId, user_id: userId, status: next, auto, last_seen_at: now, changed_at: now })
    .onConflict(['tenant_id', 'user_id'])
    .merge({
      status: next,
      auto,
      last_seen_at: now,
      changed_at: deps.ctx.db.raw('case when inbox_presence.status = excluded.status then inbox_presence.changed_at else excluded.changed_at end'),
    })
    .returning('*')) as Presence[]
  await deps.ensureMaintenance(tenantId)
  if (before !== next) {
    await announce(deps, tenantId, row, autoAwayMinutes)
    if (next === 'online') deps.autoAssignLater(tenantId, await teamsOf(tenantId, userId))
  }
  return presenceView(row, now, autoAwayMinutes)
}

export async function listPresence(deps: Deps, tenantId: string, opts: { teamId?: string; limit: number; cursor?: string }) {
  const now = deps.now()
  const { autoAwayMinutes } = await deps.ctx.settings(tenantId)
  const q = Presence.of(tenantId).orderBy('user_id').limit(opts.limit + 1)
  if (opts.cursor) q.where('user_id', '>', opts.cursor)
  if (opts.teamId) q.whereIn('user_id', TeamMember.of(tenantId).where('team_id', opts.teamId).select('user_id'))
  const rows = await q
  const items = rows.slice(0, opts.limit)
  return { items: items.map((p) => presenceView(p, now, autoAwayMinutes)), last: rows.length > opts.limit ? items[items.length - 1].user_id : null }
}

/** The sweep: online agents without a heartbeat for too long become away (and the browsers hear it). */
export async function sweepPresence(deps: Deps, tenantId: string): Promise<number> {
  const now = deps.now()
  const { autoAwayMinutes } = await deps.ctx.settings(tenantId)
  const cutoff = new Date(now.getTime() - autoAwayMinutes * 60_000)
  const rows = (await Presence.of(tenantId)
    .where('status', 'online')
    .where('last_seen_at', '<', cutoff)
    .patch({ status: 'away', auto: true, changed_at: now } as any)
    .returning('*')) as unknown as Presence[]
  for (const row of rows) await announce(deps, tenantId, row, autoAwayMinutes)
  return rows.length
}
