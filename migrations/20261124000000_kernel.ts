import type { Knex } from 'knex'

// Kernel tables: tenants, users and their memberships, custom roles, sessions, API keys,
// the append-only audit log. Every tenant-owned table leads its indexes with tenant_id.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('tenants', (t) => {
    t.uuid('id').primary()
    t.string('name', 120).notNullable()
    t.string('slug', 63).notNullable().unique()
    t.string('timezone', 64).notNullable().defaultTo('Asia/Jakarta')
    t.string('locale', 10).notNullable().defaultTo('id')
    t.string('status', 16).notNullable().defaultTo('active')
    t.timestamps(true, true)
  })

  await knex.schema.createTable('users', (t) => {
    t.uuid('id').primary()
    t.string('email', 254).notNullable().unique() // stored lower-cased
    t.string('name', 120).notNullable()
    t.string('password_hash', 255).notNullable()
    t.boolean('is_operator').notNullable().defaultTo(false)
    t.timestamps(true, true)
  })

  await knex.schema.createTable('memberships', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id')
    t.uuid('user_id').notNullable().references('users.id')
    t.string('role', 64).notNullable() // a predefined role key or a custom role id
    t.boolean('active').notNullable().defaultTo(true)
    t.timestamps(true, true)
    t.primary(['tenant_id', 'user_id'])
    t.index(['user_id'])
  })

  await knex.schema.createTable('custom_roles', (t) => {
    t.uuid('id').primary()
    t.uuid('tenant_id').notNullable().references('tenants.id')
    t.string('name', 64).notNullable()
    t.string('description', 500).notNullable().defaultTo('')
    t.integer('level').notNullable()
    t.jsonb('permissions').notNullable().defaultTo('[]')
    t.timestamps(true, true)
    t.unique(['tenant_id', 'name'])
  })

  await knex.schema.createTable('sessions', (t) => {
    t.string('id', 64).primary() // sha256 of the cookie token: a stolen table leaks no sessions
    t.uuid('user_id').notNullable().references('users.id')
    t.uuid('tenant_id').notNullable().references('tenants.id')
    t.string('csrf_token', 64).notNullable()
    t.string('ip', 64)
    t.string('user_agent', 512)
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('expires_at', { useTz: true }).notNullable()
    t.index(['user_id'])
    t.index(['expires_at'])
  })

  await knex.schema.createTable('api_keys', (t) => {
    t.uuid('id').primary()
    t.uuid('tenant_id').notNullable().references('tenants.id')
    t.string('name', 120).notNullable()
    t.string('prefix', 16).notNullable() // shown in lists so a key can be recognised
    t.string('key_hash', 64).notNullable().unique()
    t.string('role', 64).notNullable()
    t.uuid('created_by').references('users.id')
    t.timestamp('last_used_at', { useTz: true })
    t.timestamp('expires_at', { useTz: true })
    t.timestamp('revoked_at', { useTz: true })
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.index(['tenant_id', 'id'])
  })

  await knex.schema.createTable('audit_log', (t) => {
    t.uuid('id').primary()
    t.uuid('tenant_id').references('tenants.id') // null only for platform-level events
    t.string('actor_type', 16).notNullable() // user | api_key | system | anonymous
    t.uuid('actor_id')
    t.string('actor_label', 254)
    t.string('action', 96).notNullable()
    t.string('target_type', 64)
    t.string('target_id', 64)
    t.string('ip', 64)
    t.string('user_agent', 512)
    t.jsonb('summary')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.index(['tenant_id', 'id'])
    t.index(['tenant_id', 'action', 'id'])
  })
  // Append-only by construction: the database refuses to change or remove history.
  // (One statement per raw call: PGlite runs them as prepared statements.)
  await knex.raw(`create function audit_log_append_only() returns trigger language plpgsql as $$
    begin raise exception 'audit_log is append-only'; end $$`)
  await knex.raw(`create trigger audit_log_no_update before update or delete on audit_log
    for each row execute function audit_log_append_only()`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop trigger if exists audit_log_no_update on audit_log')
  await knex.raw('drop function if exists audit_log_append_only()')
  for (const table of ['audit_log', 'api_keys', 'sessions', 'custom_roles', 'memberships', 'users', 'tenants']) {
    await knex.schema.dropTableIfExists(table)
  }
}
