// createPaged (sdk/ui/paged): pages appended, a row a live update brought in not added twice by
// "load more", an older reload's answer dropped.
import { test } from 'tap'
import { createPaged, type Page } from '../../sdk/ui/paged.ts'

type Row = { id: string; v: number }

/** A fetch whose answers the test hands out, in any order. */
function pending() {
  const calls: { cursor: string | undefined; answer: (p: Page<Row>) => void }[] = []
  const fetchPage = (cursor: string | undefined) => new Promise<Page<Row>>((answer) => calls.push({ cursor, answer }))
  return { calls, fetchPage }
}

const tick = () => new Promise((r) => setTimeout(r, 0))

test('load more appends the next page, skipping rows already in the list', async (t) => {
  const { calls, fetchPage } = pending()
  const list = createPaged<Row>(fetchPage)
  const first = list.reload()
  t.ok(list.loading())
  calls[0].answer({ items: [{ id: 'a', v: 1 }], nextCursor: 'c1' })
  await first
  t.ok(list.loaded())
  t.ok(list.hasMore())
  // A realtime update brings in b (which is also on the next page) before "load more" answers.
  list.setItems((items) => [...items, { id: 'b', v: 9 }])
  const more = list.more()
  t.equal(calls[1].cursor, 'c1', 'asks for the page after the cursor')
  calls[1].answer({ items: [{ id: 'b', v: 2 }, { id: 'c', v: 3 }], nextCursor: null })
  await more
  t.same(list.items(), [{ id: 'a', v: 1 }, { id: 'b', v: 9 }, { id: 'c', v: 3 }], 'b once, as the live update left it')
  t.notOk(list.hasMore())
  t.notOk(list.loading())
})

test('a reload replaces the list; an older reload answering late is dropped', async (t) => {
  const { calls, fetchPage } = pending()
  const list = createPaged<Row>(fetchPage)
  const older = list.reload()
  const newer = list.reload()
  t.equal(calls[0].cursor, undefined)
  t.equal(calls[1].cursor, undefined)
  calls[1].answer({ items: [{ id: 'new', v: 1 }], nextCursor: null })
  await newer
  calls[0].answer({ items: [{ id: 'old', v: 1 }], nextCursor: 'stale' })
  await older
  await tick()
  t.same(list.items(), [{ id: 'new', v: 1 }], 'the newer answer stays')
  t.notOk(list.hasMore(), 'and its cursor')
})

test('an error is kept for the current load only, and cleared by the next', async (t) => {
  let fail = true
  const list = createPaged<Row>(async () => {
    if (fail) throw new Error('down')
    return { items: [{ id: 'a', v: 1 }], nextCursor: null }
  })
  await list.reload()
  t.match(list.error(), { message: 'down' })
  t.notOk(list.loaded())
  t.notOk(list.loading())
  fail = false
  await list.reload()
  t.equal(list.error(), null)
  t.same(list.items(), [{ id: 'a', v: 1 }])
})
