import type { Knex } from 'knex'

// The inbox: conversations (one per tenant, number and contact), their thread, per-agent read marks,
// teams and their members, agent presence and quick replies. Every table leads with tenant_id; ids
// are UUIDv7. Other plugins' tables (whatsapp_sessions, contacts) are referenced by id only: no
// foreign keys across plugins, so each plugin's tables can come and go on their own.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('inbox_conversations', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id')
    t.uuid('id').notNullable()
    t.uuid('session_id').notNullable() // the WhatsApp number
    t.uuid('contact_id').notNullable()
    t.string('peer', 32).notNullable() // the customer's address on that number (E.164)
    // The contact's name and phone as the contacts plugin last told us (created, inbound, contacts.contact.updated,
    // merged): the list shows them without asking the contacts plugin for every page.
    t.string('contact_name', 255)
    t.string('contact_phone', 32)
    t.string('status', 10).notNullable().defaultTo('open') // open | pending | snoozed | resolved
    t.timestamp('snoozed_until', { useTz: true })
    t.smallint('priority').notNullable().defaultTo(0) // 0 none, 1 low, 2 medium, 3 high, 4 urgent
    t.uuid('assignee_id')
    t.uuid('team_id')
    t.specificType('labels', 'text[]').notNullable().defaultTo('{}')
    t.integer('version').notNullable().defaultTo(1) // bumped by every change: optimistic checks
    t.integer('inbound_seq').notNullable().defaultTo(0) // inbound messages so far (unread = this - read mark)
    t.jsonb('last_message') // preview: {id, kind, type, text, status, at}
    t.timestamp('last_message_at', { useTz: true }).notNullable()
    t.timestamp('last_inbound_at', { useTz: true })
    t.timestamp('last_outbound_at', { useTz: true })
    t.timestamp('waiting_since', { useTz: true }) // oldest customer message not answered yet
    t.timestamp('opened_at', { useTz: true }).notNullable() // start of the current open cycle
    t.timestamp('assigned_at', { useTz: true })
    t.timestamp('first_response_at', { useTz: true })
    t.integer('first_response_seconds')
    t.timestamp('resolved_at', { useTz: true })
    t.integer('resolution_seconds') // of the last resolution: resolved_at - opened_at
    t.integer('resolved_count').notNullable().defaultTo(0)
    t.timestamp('created_at', { useTz: true }).notNullable()
    t.timestamp('updated_at', { useTz: true }).notNullable()
    t.primary(['tenant_id', 'id'])
    // One conversation per (number, contact): concurrent first messages upsert into the same row.
    t.unique(['tenant_id', 'session_id', 'contact_id'])
    t.index(['tenant_id', 'contact_id'])
    t.index(['tenant_id', 'session_id', 'peer'])
  })
  // The list is ordered by last activity (keyset on last_message_at, id), with or without these filters.
  await knex.raw('create index inbox_conversations_activity on inbox_conversations (tenant_id, last_message_at desc, id desc)')
  await knex.raw('create index inbox_conversations_status_activity on inbox_conversations (tenant_id, status, last_message_at desc, id desc)')
  await knex.raw('create index inbox_conversations_assignee_activity on inbox_conversations (tenant_id, assignee_id, last_message_at desc, id desc)')
  await knex.raw('create index inbox_conversations_team_activity on inbox_conversations (tenant_id, team_id, last_message_at desc, id desc)')
  await knex.raw('create index inbox_conversations_labels on inbox_conversations using gin (labels)')
  await knex.raw(`create index inbox_conversations_snoozed on inbox_conversations (tenant_id, snoozed_until) where status = 'snoozed'`)

  await knex.schema.createTable('inbox_messages', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id')
    t.uuid('id').notNullable()
    t.uuid('conversation_id').notNullable()
    t.string('kind', 8).notNullable() // inbound | outbound | system | note
    t.uuid('wa_message_id') // the whatsapp plugin's message
    t.string('provider_id', 128) // WhatsApp's id: replies and reactions name their target by it
    t.string('type', 16).notNullable() // text, image, …, note, system
    t.text('text')
    t.specificType('search_vector', "tsvector generated always as (to_tsvector('simple', coalesce(text, ''))) stored")
    t.jsonb('media') // {id, url, mime, size, filename}
    t.jsonb('payload') // location, contacts, system details
    t.string('status', 16) // received | queued | sending | sent | delivered | read | failed
    t.smallint('status_rank').notNullable().defaultTo(0)
    t.text('error')
    t.uuid('reply_to_id') // the item this one answers
    t.string('reply_to_provider', 128) // … or its provider id while the target is unknown to the inbox
    t.jsonb('reactions') // [{emoji, by: customer|agent, userId?, at}]
    t.uuid('author_id') // the agent (outbound, note, system actor)
    t.jsonb('mentions') // note: user ids
    t.timestamp('sent_at', { useTz: true })
    t.timestamp('delivered_at', { useTz: true })
    t.timestamp('read_at', { useTz: true })
    t.timestamp('created_at', { useTz: true }).notNullable()
    t.timestamp('updated_at', { useTz: true }).notNullable()
    t.primary(['tenant_id', 'id'])
    t.index(['tenant_id', 'conversation_id', 'id'])
  })
  // One thread item per WhatsApp message, whoever gets there first (the event handler or our own send).
  await knex.raw('create unique index inbox_messages_wa on inbox_messages (tenant_id, wa_message_id) where wa_message_id is not null')
  await knex.raw('create index inbox_messages_provider on inbox_messages (tenant_id, conversation_id, provider_id) where provider_id is not null')
  // Full-text search ('simple': no stemming, works for Bahasa Indonesia and English alike). pg_trgm
  // is not loaded in embedded PGlite, so full text is the one search that behaves the same on both.
  // A stored tsvector: the index and the planner's statistics come from it, and checking a row costs no parsing.
  await knex.raw(`create index inbox_messages_search on inbox_messages using gin (search_vector) where kind <> 'system'`)

  await knex.schema.createTable('inbox_reads', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id')
    t.uuid('user_id').notNullable()
    t.uuid('conversation_id').notNullable()
    t.integer('read_seq').notNullable()
    t.timestamp('read_at', { useTz: true }).notNullable()
    t.primary(['tenant_id', 'user_id', 'conversation_id'])
    t.index(['tenant_id', 'conversation_id'])
  })

  await knex.schema.createTable('inbox_teams', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id')
    t.uuid('id').notNullable()
    t.string('name', 80).notNullable()
    t.string('description', 500).notNullable().defaultTo('')
    t.boolean('auto_assign').notNullable().defaultTo(false)
    t.integer('capacity').notNullable().defaultTo(10) // open conversations per agent for auto-assignment
    t.jsonb('session_ids').notNullable().defaultTo('[]') // numbers whose new conversations go to this team
    t.timestamp('created_at', { useTz: true }).notNullable()
    t.timestamp('updated_at', { useTz: true }).notNullable()
    t.primary(['tenant_id', 'id'])
    t.unique(['tenant_id', 'name'])
  })

  await knex.schema.createTable('inbox_team_members', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id')
    t.uuid('team_id').notNullable()
    t.uuid('user_id').notNullable()
    t.timestamp('last_assigned_at', { useTz: true }) // round-robin: the longest waiting agent goes next
    t.timestamp('created_at', { useTz: true }).notNullable()
    t.primary(['tenant_id', 'team_id', 'user_id'])
    t.index(['tenant_id', 'user_id'])
    t.foreign(['tenant_id', 'team_id']).references(['tenant_id', 'id']).inTable('inbox_teams').onDelete('CASCADE')
  })

  await knex.schema.createTable('inbox_presence', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id')
    t.uuid('user_id').notNullable()
    t.string('status', 8).notNullable() // online | away | offline
    t.boolean('auto').notNullable().defaultTo(false) // set by the auto-away sweep, not chosen
    t.timestamp('last_seen_at', { useTz: true }).notNullable()
    t.timestamp('changed_at', { useTz: true }).notNullable()
    t.primary(['tenant_id', 'user_id'])
  })
  await knex.raw(`create index inbox_presence_online on inbox_presence (tenant_id, last_seen_at) where status = 'online'`)

  await knex.schema.createTable('inbox_quick_replies', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id')
    t.uuid('id').notNullable()
    t.string('shortcut', 40).notNullable() // typed as /shortcut
    t.string('title', 120).notNullable()
    t.string('category', 60).notNullable().defaultTo('')
    t.text('text').notNullable()
    t.uuid('created_by')
    t.timestamp('created_at', { useTz: true }).notNullable()
    t.timestamp('updated_at', { useTz: true }).notNullable()
    t.primary(['tenant_id', 'id'])
    t.unique(['tenant_id', 'shortcut'])
    t.index(['tenant_id', 'category', 'shortcut'])
  })
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['inbox_quick_replies', 'inbox_presence', 'inbox_team_members', 'inbox_teams', 'inbox_reads', 'inbox_messages', 'inbox_conversations']) {
    await knex.schema.dropTableIfExists(table)
  }
}
