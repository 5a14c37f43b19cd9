import { randomUUID } from 'node:crypto'
import knex, { type Knex } from 'knex'
import ClientPgLite from 'knex-pglite'
import t from 'tap'
import { createBus, type BusEvent } from '../../kernel/bus/bus.ts'
import type { Logger } from '../../kernel/bus/logger.ts'

// A real Postgres when TEST_DATABASE_URL is set, PGlite otherwise.
const url = process.env.TEST_DATABASE_URL
const db: Knex = url
  ? knex({ client: 'pg', connection: url, pool: { min: 0, max: 4 } })
  : knex({ client: ClientPgLite, dialect: 'postgres', connection: {} } as Knex.Config)
const table = `bus_test_${randomUUID().replaceAll('-', '')}`
t.comment(`after-commit tests on ${url ? 'PostgreSQL (TEST_DATABASE_URL)' : 'PGlite'}`)

t.before(async () => {
  await db.schema.createTable(table, (table) => {
    table.text('id').primary()
  })
})
t.teardown(async () => {
  await db.schema.dropTableIfExists(table)
  await db.destroy()
})

const logger: Logger = { error: () => {}, warn: () => {}, debug: () => {} }
const TENANT = 'tenant-a'
const tick = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms))

function setup() {
  const bus = createBus({ logger })
  const seen: BusEvent[] = []
  bus.on('*', (event) => void seen.push(event))
  const names = () => seen.map((e) => e.payload.step as string)
  return { bus, seen, names }
}

t.test('delivers after commit, and the handler sees the committed row', async (t) => {
  const bus = createBus({ logger })
  const rows: unknown[] = []
  bus.on('test.row.created', async (event) => {
    rows.push(await db(table).where({ id: event.payload.id }).first())
  })
  const id = randomUUID()
  await db.transaction(async (trx) => {
    await trx(table).insert({ id })
    await bus.publish('test.row.created', { tenantId: TENANT, id }, { trx })
    await tick()
    t.same(rows, [], 'nothing delivered while the transaction is open')
  })
  await bus.drain()
  t.same(rows, [{ id }])
})

t.test('dropped when the transaction rolls back, whichever way', async (t) => {
  const { bus, names } = setup()

  // knex's container: the callback throws
  await t.rejects(
    db.transaction(async (trx) => {
      await trx(table).insert({ id: randomUUID() })
      await bus.publish('test.step', { tenantId: TENANT, step: 'container throws' }, { trx })
      throw new Error('fail')
    }),
  )
  // explicit rollback() inside the container: knex resolves executionPromise as for a commit
  await db.transaction(async (trx) => {
    await bus.publish('test.step', { tenantId: TENANT, step: 'container rollback()' }, { trx })
    await trx.rollback()
  })
  // transaction provider, rollback() without an error: resolves executionPromise too
  {
    const trx = await db.transaction()
    await bus.publish('test.step', { tenantId: TENANT, step: 'provider rollback()' }, { trx })
    await trx.rollback()
  }
  // transaction provider, rollback(err)
  {
    const trx = await db.transaction()
    await bus.publish('test.step', { tenantId: TENANT, step: 'provider rollback(err)' }, { trx })
    await trx.rollback(new Error('no')).catch(() => {})
    await trx.executionPromise.catch(() => {})
  }
  // a failing statement makes knex roll back
  await t.rejects(
    db.transaction(async (trx) => {
      await bus.publish('test.step', { tenantId: TENANT, step: 'sql error' }, { trx })
      await trx.raw('select * from no_such_table_here')
    }),
  )
  // the one that commits, last: every rollback above was settled before it
  {
    const trx = await db.transaction()
    await bus.publish('test.step', { tenantId: TENANT, step: 'provider commit()' }, { trx })
    await trx.commit()
  }
  await bus.drain()
  t.same(names(), ['provider commit()'])
})

t.test('nested transactions count only when every enclosing one commits', async (t) => {
  const { bus, names } = setup()

  // savepoint released, then the outer transaction rolls back: dropped
  await t.rejects(
    db.transaction(async (trx) => {
      await trx.transaction(async (inner) => {
        await inner(table).insert({ id: randomUUID() })
        await bus.publish('test.step', { tenantId: TENANT, step: 'inner of rolled-back outer' }, { trx: inner })
      })
      await bus.drain() // must not wait for the still open outer transaction
      throw new Error('outer fails')
    }),
  )
  // inner rolled back to its savepoint, outer commits: inner dropped, outer delivered
  await db.transaction(async (trx) => {
    await bus.publish('test.step', { tenantId: TENANT, step: 'outer' }, { trx })
    await trx
      .transaction(async (inner) => {
        await bus.publish('test.step', { tenantId: TENANT, step: 'rolled-back inner' }, { trx: inner })
        throw new Error('inner fails')
      })
      .catch(() => {})
    await trx.transaction(async (inner) => {
      await bus.publish('test.step', { tenantId: TENANT, step: 'committed inner' }, { trx: inner })
    })
  })
  await bus.drain()
  t.same(names().sort(), ['committed inner', 'outer'])
})

t.test('drain does not wait for an open transaction; publishing on an ended one is refused', async (t) => {
  const { bus, names } = setup()
  const trx = await db.transaction()
  await bus.publish('test.step', { tenantId: TENANT, step: 'open' }, { trx })
  await bus.drain()
  t.same(names(), [], 'drain returned while the transaction is open')
  await trx.commit()
  await bus.drain()
  t.same(names(), ['open'])
  await t.rejects(bus.publish('test.step', { tenantId: TENANT }, { trx }), /already ended/)
})

t.test('events of one transaction keep their order and go without one are not held', async (t) => {
  const { bus, names } = setup()
  const trx = await db.transaction()
  await bus.publish('test.step', { tenantId: TENANT, step: 'trx 1' }, { trx })
  await bus.publish('test.step', { tenantId: TENANT, step: 'no trx' })
  await bus.publish('test.step', { tenantId: TENANT, step: 'trx 2' }, { trx })
  await tick()
  t.same(names(), ['no trx'])
  await trx.commit()
  await bus.drain()
  t.same(names(), ['no trx', 'trx 1', 'trx 2'])
})
