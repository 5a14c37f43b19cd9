import t from 'tap'
import { createTestKernel } from '../../kernel/testing/harness.ts'
import { preparedQuery } from '../../kernel/db/prepared.ts'

// On Postgres a named prepared statement, on PGlite a plain query: the same answers either way.
t.test('preparedQuery', async (t) => {
  const h = await createTestKernel(t)
  const db = h.services.db
  await db.raw('create table prepared_probe (id int primary key, label text not null)')
  t.teardown(() => db.raw('drop table if exists prepared_probe'))
  const insert = 'insert into prepared_probe (id, label) select * from jsonb_to_recordset(cast($1 as jsonb)) as q(id int, label text) on conflict (id) do nothing returning id'

  t.same(await preparedQuery(db, insert, [JSON.stringify([{ id: 1, label: 'a' }, { id: 2, label: 'b' }])]), [{ id: 1 }, { id: 2 }])
  t.same(await preparedQuery(db, insert, [JSON.stringify([{ id: 2, label: 'again' }, { id: 3, label: 'c' }])]), [{ id: 3 }], 'the same statement again, new values')
  t.same(await preparedQuery(db, 'select label from prepared_probe where id = $1 or id = $2 order by id', [1, 3]), [{ label: 'a' }, { label: 'c' }], 'another statement, two parameters')
  t.same(
    await preparedQuery(db, 'select label from prepared_probe where id = $2 or (id > $2 and id < $1) order by id', [3, 1]),
    [{ label: 'a' }, { label: 'b' }],
    'a parameter used twice, and out of order',
  )

  // A failing call rejects and gives its connection back: many more calls than the pool has connections still work.
  await t.rejects(preparedQuery(db, insert, [JSON.stringify([{ id: 9, label: null }])]), 'a not-null violation rejects')
  for (let i = 0; i < 20; i++) await t.rejects(preparedQuery(db, insert, [JSON.stringify([{ id: 9, label: null }])]))
  t.same(await preparedQuery(db, 'select count(*)::int as n from prepared_probe', []), [{ n: 3 }], 'nothing partial was written, and the pool still serves')
})
