import type { Knex } from 'knex'

// The row trigger does not fire on TRUNCATE; a statement trigger closes that way around the
// append-only rule too.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`create trigger audit_log_no_truncate before truncate on audit_log
    for each statement execute function audit_log_append_only()`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop trigger if exists audit_log_no_truncate on audit_log')
}
