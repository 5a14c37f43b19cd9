import { test } from 'tap'
import { validate, version } from 'uuid'
import { isUuid, newId } from '../../kernel/db/ids.ts'

test('newId gives valid, unique UUIDv7s in creation order, also many in one millisecond', async (t) => {
  const ids = Array.from({ length: 20_000 }, () => newId())
  t.ok(ids.every((id) => validate(id) && version(id) === 7 && isUuid(id)), 'all valid v7')
  t.equal(new Set(ids).size, ids.length, 'no duplicates (the random pool is never handed out twice)')
  t.ok(ids.every((id, i) => i === 0 || ids[i - 1] < id), 'strictly increasing, as a sort key')
  // The time part is the wall clock's millisecond.
  const ms = parseInt(newId().replace(/-/g, '').slice(0, 12), 16)
  t.ok(Math.abs(ms - Date.now()) < 1000, 'time-ordered on the wall clock')
})
