import type { Knex } from 'knex'

// Each ping is remembered per tenant; the job counts them. Tenant tables lead with tenant_id.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('hello_pings', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id')
    t.uuid('id').notNullable()
    t.string('by', 254)
    t.timestamp('created_at', { useTz: true }).notNullable()
    t.boolean('greeted').notNullable().defaultTo(false)
    t.primary(['tenant_id', 'id'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('hello_pings')
}
