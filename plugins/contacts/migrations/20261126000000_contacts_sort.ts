import type { Knex } from 'knex'

// The sortable contacts list (server/sort.ts): keyset pages by name, A→Z and Z→A (case-insensitive,
// no name last), and by last contacted (most recent first, never last), with the id as tie-breaker.
// Each index matches its ORDER BY exactly, so a page of a 100k-contact tenant is an index range scan.
// Plain b-tree expression indexes: the same on PostgreSQL and PGlite. The existing
// (tenant_id, last_contacted_at) index stays: segment filters use it for ranges.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('create index contacts_sort_name on contacts (tenant_id, lower(name) asc nulls last, id asc)')
  await knex.raw('create index contacts_sort_name_desc on contacts (tenant_id, lower(name) desc nulls last, id desc)')
  await knex.raw('create index contacts_sort_last_contacted on contacts (tenant_id, last_contacted_at desc nulls last, id desc)')
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists contacts_sort_last_contacted')
  await knex.raw('drop index if exists contacts_sort_name_desc')
  await knex.raw('drop index if exists contacts_sort_name')
}
