import type { Knex } from 'knex'

/**
 * The kernel's users, read-only: whether a user is an active member of the tenant, and names for
 * display. Always with the tenant: a user of another tenant is unknown here.
 */
export interface Person {
  id: string
  name: string
  email: string
}

/** `roles`: only members with one of these roles (e.g. those who may answer: `ctx.rolesWith`). */
export async function activeMembers(db: Knex | Knex.Transaction, tenantId: string, userIds: string[], roles?: string[]): Promise<Person[]> {
  if (!userIds.length || roles?.length === 0) return []
  const q = db('memberships as m')
    .join('users as u', 'u.id', 'm.user_id')
    .where('m.tenant_id', tenantId)
    .andWhere('m.active', true)
    .whereIn('m.user_id', [...new Set(userIds)])
    .select('u.id', 'u.name', 'u.email')
  return roles ? q.whereIn('m.role', roles) : q
}

export async function isActiveMember(db: Knex | Knex.Transaction, tenantId: string, userId: string): Promise<boolean> {
  return (await activeMembers(db, tenantId, [userId])).length === 1
}

export async function membersByEmail(db: Knex | Knex.Transaction, tenantId: string, emails: string[]): Promise<Person[]> {
  if (!emails.length) return []
  return db('memberships as m')
    .join('users as u', 'u.id', 'm.user_id')
    .where('m.tenant_id', tenantId)
    .andWhere('m.active', true)
    .whereIn('u.email', [...new Set(emails.map((e) => e.toLowerCase()))])
    .select('u.id', 'u.name', 'u.email')
}

/** Names of these users in this tenant (members only; former members keep their id, without a name). */
export async function peopleById(db: Knex | Knex.Transaction, tenantId: string, userIds: (string | null | undefined)[]): Promise<Map<string, Person>> {
  const ids = [...new Set(userIds.filter((id): id is string => typeof id === 'string'))]
  if (!ids.length) return new Map()
  const rows: Person[] = await db('memberships as m')
    .join('users as u', 'u.id', 'm.user_id')
    .where('m.tenant_id', tenantId)
    .whereIn('m.user_id', ids)
    .select('u.id', 'u.name', 'u.email')
  return new Map(rows.map((r) => [r.id, r]))
}

/**
 * The tenant's active members for an assignment picker: id and name (no email: every agent may look
 * at this list, and an address is more than choosing a colleague needs), oldest id first, keyset on id.
 */
export async function listMembers(db: Knex | Knex.Transaction, tenantId: string, opts: { q?: string; limit: number; after?: string; roles?: string[] }): Promise<{ id: string; name: string }[]> {
  if (opts.roles?.length === 0) return []
  const q = db('memberships as m')
    .join('users as u', 'u.id', 'm.user_id')
    .where('m.tenant_id', tenantId)
    .andWhere('m.active', true)
    .orderBy('u.id')
    .limit(opts.limit)
    .select('u.id', 'u.name')
  if (opts.after) q.where('u.id', '>', opts.after)
  if (opts.roles) q.whereIn('m.role', opts.roles)
  if (opts.q) {
    const like = `%${opts.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    q.where((w) => w.whereRaw('lower(u.name) like ?', [like]).orWhereRaw('lower(u.email) like ?', [like]))
  }
  return q
}
