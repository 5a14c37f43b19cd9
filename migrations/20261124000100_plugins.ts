import type { Knex } from 'knex'

// Plugin state: which plugin code is installed on this deployment (and from where, so a
// hot-installed plugin comes back after a restart), and each tenant's enablement and settings.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('installed_plugins', (t) => {
    t.string('name', 64).primary()
    t.string('version', 64).notNullable()
    t.string('source_dir', 1024) // null for plugins discovered at boot (plugins/, SAPA_PLUGIN_DIRS, packages)
    t.timestamp('installed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
  await knex.schema.createTable('tenant_plugins', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id')
    t.string('plugin', 64).notNullable()
    t.boolean('enabled').notNullable()
    t.jsonb('settings').notNullable().defaultTo('{}')
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.primary(['tenant_id', 'plugin'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('tenant_plugins')
  await knex.schema.dropTableIfExists('installed_plugins')
}
