import type { Knex } from 'knex'

// Numbers (sessions), their drivers' sealed state, messages in both directions, and media.
// Every table leads with tenant_id; ids are UUIDv7.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('whatsapp_sessions', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id')
    t.uuid('id').notNullable()
    t.string('name', 120).notNullable()
    t.string('driver', 16).notNullable()
    t.string('status', 20).notNullable().defaultTo('disconnected')
    t.jsonb('status_detail').notNullable().defaultTo('{}') // qr, pairingCode, error
    t.string('phone', 20)
    t.text('config_sealed').notNullable() // driver config, encrypted with the kernel's secrets
    t.jsonb('settings').notNullable().defaultTo('{}') // rate limit, hold timeout
    t.string('desired', 16).notNullable().defaultTo('disconnected') // connected | disconnected | logout
    t.string('owner', 64) // the worker holding the lease
    t.timestamp('lease_until', { useTz: true })
    t.timestamps(true, true)
    t.primary(['tenant_id', 'id'])
    t.unique(['id'])
    t.index(['desired', 'lease_until'])
  })

  await knex.schema.createTable('whatsapp_driver_state', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id')
    t.uuid('session_id').notNullable()
    t.string('key', 255).notNullable()
    t.text('value').notNullable() // sealed
    t.primary(['tenant_id', 'session_id', 'key'])
  })

  await knex.schema.createTable('whatsapp_media', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id')
    t.uuid('id').notNullable()
    t.string('mime', 127).notNullable()
    t.bigInteger('size').notNullable()
    t.string('filename', 255).notNullable()
    t.string('sha256', 64).notNullable()
    t.string('storage_key', 255).notNullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.primary(['tenant_id', 'id'])
  })

  await knex.schema.createTable('whatsapp_messages', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id')
    t.uuid('id').notNullable()
    t.uuid('session_id').notNullable()
    t.string('direction', 3).notNullable() // in | out
    t.string('provider_id', 128)
    t.string('peer', 32).notNullable() // the customer: E.164, or the provider's address if unknown
    t.string('peer_name', 255)
    t.string('type', 16).notNullable()
    t.text('text')
    t.uuid('media_id')
    t.jsonb('payload') // location, reaction, contacts, template
    t.string('reply_to', 128)
    t.string('status', 16).notNullable()
    t.smallint('status_rank').notNullable().defaultTo(0)
    t.text('error')
    t.integer('attempts').notNullable().defaultTo(0)
    t.string('idempotency_key', 128)
    t.timestamp('sent_at', { useTz: true })
    t.timestamp('delivered_at', { useTz: true })
    t.timestamp('read_at', { useTz: true })
    t.timestamp('created_at', { useTz: true }).notNullable()
    t.timestamp('updated_at', { useTz: true }).notNullable()
    t.primary(['tenant_id', 'id'])
    t.index(['tenant_id', 'session_id', 'id'])
    t.index(['tenant_id', 'status', 'updated_at'])
  })
  // The same provider message, delivered twice or at the same moment, is stored once.
  await knex.raw('create unique index whatsapp_messages_provider on whatsapp_messages (tenant_id, session_id, direction, provider_id) where provider_id is not null')
  await knex.raw('create unique index whatsapp_messages_idempotency on whatsapp_messages (tenant_id, idempotency_key) where idempotency_key is not null')
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['whatsapp_messages', 'whatsapp_media', 'whatsapp_driver_state', 'whatsapp_sessions']) await knex.schema.dropTableIfExists(table)
}
