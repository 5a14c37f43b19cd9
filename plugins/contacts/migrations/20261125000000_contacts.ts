import type { Knex } from 'knex'

// Contacts and everything hanging off them. Every table leads with tenant_id; ids are UUIDv7.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('contacts', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id')
    t.uuid('id').notNullable()
    t.string('name', 255)
    t.string('phone', 20).notNullable() // E.164
    t.string('email', 254)
    t.jsonb('attributes').notNullable().defaultTo('{}') // { <attribute key>: value }, typed by contact_attributes
    t.boolean('opted_out').notNullable().defaultTo(false)
    t.timestamp('opted_out_at', { useTz: true })
    t.timestamp('last_contacted_at', { useTz: true })
    t.timestamp('created_at', { useTz: true }).notNullable()
    t.timestamp('updated_at', { useTz: true }).notNullable()
    t.primary(['tenant_id', 'id'])
    t.unique(['tenant_id', 'phone'])
    t.index(['tenant_id', 'last_contacted_at'])
    t.index(['tenant_id', 'opted_out', 'id'])
  })
  // Search. A phone typed in national form (`0812 3456`) becomes a prefix (`+628123456%`): a b-tree
  // with text_pattern_ops serves it on every backend.
  await knex.raw('create index contacts_phone_pattern on contacts (tenant_id, phone text_pattern_ops)')
  // Substring search (`%budi%` in name, email or phone) is served by trigram GIN indexes where pg_trgm
  // can be installed (PostgreSQL: a trusted extension). The kernel opens embedded PGlite without
  // extensions, so there the same queries scan the tenant's rows (fine at embedded sizes; they use
  // these indexes as soon as the kernel loads pg_trgm into PGlite). A refusal (no privilege) is not fatal.
  const available = await knex.raw("select 1 from pg_available_extensions where name = 'pg_trgm'")
  if (available.rows.length > 0) {
    await knex.raw('savepoint contacts_trgm')
    try {
      await knex.raw('create extension if not exists pg_trgm')
      await knex.raw('create index contacts_name_trgm on contacts using gin (lower(name) gin_trgm_ops)')
      await knex.raw('create index contacts_email_trgm on contacts using gin (lower(email) gin_trgm_ops)')
      await knex.raw('create index contacts_phone_trgm on contacts using gin (phone gin_trgm_ops)')
      await knex.raw('release savepoint contacts_trgm')
    } catch {
      await knex.raw('rollback to savepoint contacts_trgm')
    }
  }

  await knex.schema.createTable('contact_labels', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id')
    t.uuid('id').notNullable()
    t.string('name', 60).notNullable()
    t.string('color', 7)
    t.timestamp('created_at', { useTz: true }).notNullable()
    t.timestamp('updated_at', { useTz: true }).notNullable()
    t.primary(['tenant_id', 'id'])
  })
  await knex.raw('create unique index contact_labels_name on contact_labels (tenant_id, lower(name))')

  await knex.schema.createTable('contact_label_links', (t) => {
    t.uuid('tenant_id').notNullable()
    t.uuid('contact_id').notNullable()
    t.uuid('label_id').notNullable()
    t.primary(['tenant_id', 'contact_id', 'label_id'])
    t.index(['tenant_id', 'label_id', 'contact_id'])
    // No foreign keys here or on notes: the checks against contacts made bulk imports slow down
    // with every batch (measured: 0.3 s → 2 s per 1000 links). Deletes clean up in code instead.
  })

  await knex.schema.createTable('contact_attributes', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id')
    t.uuid('id').notNullable()
    t.string('key', 40).notNullable()
    t.string('label', 120).notNullable()
    t.string('type', 16).notNullable() // text | number | date | select | boolean
    t.jsonb('options') // select: the allowed values
    t.boolean('required').notNullable().defaultTo(false)
    t.timestamp('created_at', { useTz: true }).notNullable()
    t.timestamp('updated_at', { useTz: true }).notNullable()
    t.primary(['tenant_id', 'id'])
    t.unique(['tenant_id', 'key'])
  })

  await knex.schema.createTable('contact_notes', (t) => {
    t.uuid('tenant_id').notNullable()
    t.uuid('id').notNullable()
    t.uuid('contact_id').notNullable()
    t.text('body').notNullable()
    t.uuid('author_id')
    t.timestamp('created_at', { useTz: true }).notNullable()
    t.primary(['tenant_id', 'id'])
    t.index(['tenant_id', 'contact_id', 'id'])
  })

  // Consent history is kept by phone as well as by contact: deleting an opted-out contact and
  // importing the number again must not opt it back in.
  await knex.schema.createTable('contact_consent_events', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id')
    t.uuid('id').notNullable()
    t.uuid('contact_id')
    t.string('phone', 20).notNullable()
    t.string('status', 12).notNullable() // opted_in | opted_out
    t.string('source', 16).notNullable() // api | keyword | merge | import
    t.string('detail', 255)
    t.uuid('actor_id')
    t.timestamp('created_at', { useTz: true }).notNullable()
    t.primary(['tenant_id', 'id'])
    t.index(['tenant_id', 'contact_id', 'id'])
    t.index(['tenant_id', 'phone', 'id'])
  })

  await knex.schema.createTable('contact_segments', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id')
    t.uuid('id').notNullable()
    t.string('name', 120).notNullable()
    t.jsonb('filter').notNullable()
    t.timestamp('created_at', { useTz: true }).notNullable()
    t.timestamp('updated_at', { useTz: true }).notNullable()
    t.primary(['tenant_id', 'id'])
  })

  // A merged-away contact leaves its phone behind as an alias of the surviving one.
  await knex.schema.createTable('contact_merges', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id')
    t.uuid('id').notNullable()
    t.uuid('from_id').notNullable()
    t.uuid('into_id').notNullable()
    t.string('from_phone', 20).notNullable()
    t.uuid('actor_id')
    t.timestamp('created_at', { useTz: true }).notNullable()
    t.primary(['tenant_id', 'id'])
    t.index(['tenant_id', 'from_phone'])
    t.index(['tenant_id', 'from_id'])
  })

  await knex.schema.createTable('contact_imports', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id')
    t.uuid('id').notNullable()
    t.string('status', 12).notNullable() // queued | running | completed | failed
    t.string('filename', 255).notNullable()
    t.string('format', 8).notNullable() // csv | xlsx
    t.integer('size').notNullable()
    t.string('storage_key', 255)
    t.jsonb('options').notNullable() // { mapping, onDuplicate }
    t.integer('total_rows')
    t.integer('cursor_row').notNullable().defaultTo(0) // last file row whose batch committed (resume point)
    t.integer('processed').notNullable().defaultTo(0)
    t.integer('imported').notNullable().defaultTo(0)
    t.integer('updated').notNullable().defaultTo(0)
    t.integer('skipped').notNullable().defaultTo(0)
    t.integer('error_count').notNullable().defaultTo(0)
    t.jsonb('failure') // { code, message } when the whole import failed
    t.integer('attempts').notNullable().defaultTo(0)
    t.uuid('created_by')
    t.timestamp('created_at', { useTz: true }).notNullable()
    t.timestamp('updated_at', { useTz: true }).notNullable()
    t.timestamp('started_at', { useTz: true })
    t.timestamp('finished_at', { useTz: true })
    t.primary(['tenant_id', 'id'])
    t.index(['tenant_id', 'status'])
    t.index(['status', 'updated_at']) // the sweeper: imports left queued or running
  })

  await knex.schema.createTable('contact_import_errors', (t) => {
    t.uuid('tenant_id').notNullable()
    t.uuid('import_id').notNullable()
    t.integer('row').notNullable()
    t.string('reason', 300).notNullable()
    t.primary(['tenant_id', 'import_id', 'row'])
  })
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'contact_import_errors', 'contact_imports', 'contact_merges', 'contact_segments', 'contact_consent_events',
    'contact_notes', 'contact_attributes', 'contact_label_links', 'contact_labels', 'contacts',
  ]) await knex.schema.dropTableIfExists(table)
}
