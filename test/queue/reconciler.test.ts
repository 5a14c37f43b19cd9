import tap from 'tap'
import { randomBytes, randomUUID } from 'node:crypto'
import knex, { type Knex } from 'knex'
import ClientPgLite from 'knex-pglite'
import { createInlineQueue } from '../../kernel/queue/inline.ts'
import { reconcileQueued } from '../../kernel/queue/reconciler.ts'

/** Postgres from TEST_DATABASE_URL when set, otherwise PGlite in memory. */
function openDb(): Knex {
  const url = process.env.TEST_DATABASE_URL
  if (url) return knex({ client: 'pg', connection: url, pool: { min: 0, max: 2 } })
  return knex({ client: ClientPgLite, dialect: 'postgres', connection: {} })
}

tap.test('reconcileQueued re-enqueues rows left queued, oldest first, deduped by jobId', async (t) => {
  const db = openDb()
  const table = `reconcile_test_${randomBytes(4).toString('hex')}`
  const custom = `${table}_custom`
  const port = createInlineQueue()
  t.teardown(async () => {
    await port.close()
    await db.schema.dropTableIfExists(table)
    await db.schema.dropTableIfExists(custom)
    await db.destroy()
  })
  await db.schema.createTable(table, (tb) => {
    tb.uuid('id').primary()
    tb.uuid('tenant_id').notNullable()
    tb.text('status').notNullable()
    tb.text('body')
    tb.timestamp('updated_at', { useTz: true }).notNullable()
  })
  const now = new Date('2030-01-01T00:00:00Z')
  const ago = (ms: number) => new Date(now.getTime() - ms)
  const tenantA = randomUUID()
  const tenantB = randomUUID()
  const row = (status: string, age: number, tenant = tenantA) => ({ id: randomUUID(), tenant_id: tenant, status, body: 'hi', updated_at: ago(age) })
  const old10 = row('queued', 10 * 60_000)
  const recent = row('queued', 10_000)
  const sentOld = row('sent', 30 * 60_000)
  const old20 = row('queued', 20 * 60_000)
  const old5b = row('queued', 5 * 60_000, tenantB)
  await db(table).insert([old10, recent, sentOld, old20, old5b])

  const q = 'test.reconcile'
  const seen: Record<string, unknown>[] = []
  const enqueue = async (r: Record<string, unknown>) => {
    seen.push(r)
    await port.add(q, 'send', { tenantId: String(r.tenant_id), rowId: String(r.id) }, { jobId: `row-${String(r.id)}` })
  }

  const n = await reconcileQueued({ db, table, olderThanMs: 60_000, now, enqueue })
  t.equal(n, 3, 'the three queued rows older than a minute')
  t.same(seen.map((r) => r.id), [old20.id, old10.id, old5b.id], 'oldest first; recent and sent rows left alone')
  t.same(Object.keys(seen[0]).sort(), ['id', 'tenant_id', 'updated_at'], 'id, tenant_id and updated_at selected')
  t.equal(seen[2].tenant_id, tenantB)
  t.equal((await port.counts(q))[q].waiting, 3)

  seen.length = 0
  t.equal(await reconcileQueued({ db, table, olderThanMs: 60_000, now, enqueue }), 3, 'a second pass hands the rows over again')
  t.equal((await port.counts(q))[q].waiting, 3, 'but their jobs still exist, so nothing is added twice')

  seen.length = 0
  t.equal(await reconcileQueued({ db, table, olderThanMs: 60_000, now, enqueue, limit: 2 }), 2)
  t.same(seen.map((r) => r.id), [old20.id, old10.id], 'limit keeps the oldest')

  // a failing enqueue does not stop the pass
  const failed: unknown[] = []
  const flaky = async (r: Record<string, unknown>) => {
    if (r.id === old10.id) throw new Error('redis down')
  }
  t.equal(await reconcileQueued({ db, table, olderThanMs: 60_000, now, enqueue: flaky, onError: (r) => failed.push(r.id) }), 2)
  t.same(failed, [old10.id])
  await t.rejects(reconcileQueued({ db, table, olderThanMs: 60_000, now, enqueue: flaky }), /1 of 3 rows could not be enqueued \(2 were\)/)

  // custom column names and values
  await db.schema.createTable(custom, (tb) => {
    tb.text('id').primary()
    tb.text('tenant_id').notNullable()
    tb.text('state').notNullable()
    tb.timestamp('changed_at', { useTz: true }).notNullable()
  })
  await db(custom).insert([
    { id: 'c1', tenant_id: 't', state: 'pending', changed_at: ago(120_000) },
    { id: 'c2', tenant_id: 't', state: 'queued', changed_at: ago(120_000) },
  ])
  const ids: unknown[] = []
  const m = await reconcileQueued({
    db,
    table: custom,
    olderThanMs: 60_000,
    now,
    statusColumn: 'state',
    queuedValue: 'pending',
    updatedAtColumn: 'changed_at',
    columns: ['id', 'tenant_id'],
    enqueue: async (r) => void ids.push(r),
  })
  t.equal(m, 1)
  t.same(ids, [{ id: 'c1', tenant_id: 't' }])
})
