import type { Knex } from 'knex'
import { newId } from '../db/ids.ts'
import { AppError } from '../errors.ts'
import { hashPassword } from '../auth/passwords.ts'

export const SLUG = '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$'

/** The IANA name as Intl spells it (`asia/jakarta` → `Asia/Jakarta`); 400 when unknown. */
export function canonicalTimezone(timezone: string): string {
  try {
    return new Intl.DateTimeFormat('en', { timeZone: timezone }).resolvedOptions().timeZone
  } catch {
    throw new AppError(400, 'invalid_timezone', `Unknown time zone "${timezone}"`, { field: 'timezone' })
  }
}

export interface NewTenant {
  name: string
  slug: string
  timezone?: string
  locale?: string
}

export async function createTenant(trx: Knex.Transaction, input: NewTenant) {
  const timezone = input.timezone ? canonicalTimezone(input.timezone) : 'Asia/Jakarta'
  const exists = await trx('tenants').where({ slug: input.slug }).first('id')
  if (exists) throw new AppError(409, 'tenant_slug_taken', `A tenant with slug "${input.slug}" already exists`, { field: 'slug' })
  const [row] = await trx('tenants')
    .insert({ id: newId(), name: input.name, slug: input.slug, timezone, locale: input.locale ?? 'id', status: 'active' })
    .returning('*')
  return row
}

/**
 * Adds a user to a tenant with a role, creating the user when the email is new.
 * An existing user keeps their password; a new one needs one.
 */
export async function addMember(
  trx: Knex.Transaction,
  tenantId: string,
  input: { email: string; name: string; password?: string; role: string; isOperator?: boolean },
) {
  const email = input.email.trim().toLowerCase()
  let user = await trx('users').where({ email }).first('id', 'email', 'name', 'is_operator')
  if (!user) {
    if (!input.password) throw new AppError(400, 'password_required', 'A new user needs a password', { field: 'password' })
    ;[user] = await trx('users')
      .insert({ id: newId(), email, name: input.name, password_hash: await hashPassword(input.password), is_operator: input.isOperator ?? false })
      .returning(['id', 'email', 'name', 'is_operator'])
  } else if (input.isOperator && !user.is_operator) {
    await trx('users').where({ id: user.id }).update({ is_operator: true })
  }
  const member = await trx('memberships').where({ tenant_id: tenantId, user_id: user.id }).first('user_id')
  if (member) throw new AppError(409, 'user_already_member', `${email} is already a member of this workspace`, { field: 'email' })
  await trx('memberships').insert({ tenant_id: tenantId, user_id: user.id, role: input.role, active: true })
  return user as { id: string; email: string; name: string; is_operator: boolean }
}
