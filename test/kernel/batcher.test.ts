import t from 'tap'
import { createBatcher } from '../../kernel/db/batcher.ts'

const tick = () => new Promise((r) => setImmediate(r))

t.test('a lone call runs at once, alone', async (t) => {
  const batches: number[][] = []
  const double = createBatcher(async (items: number[]) => (batches.push(items), items.map((n) => n * 2)))
  t.equal(await double(4), 8)
  t.same(batches, [[4]])
})

t.test('calls arriving while batches run go together, in order, capped at maxSize', async (t) => {
  const batches: number[][] = []
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  const echo = createBatcher(
    async (items: number[]) => {
      batches.push(items)
      await gate
      return items.map((n) => `#${n}`)
    },
    { maxSize: 3, maxInFlight: 1 },
  )
  const first = echo(0)
  await tick()
  const rest = [1, 2, 3, 4, 5].map((n) => echo(n))
  await tick()
  t.same(batches, [[0]], 'the others wait while the only slot is busy')
  release()
  t.same(await Promise.all([first, ...rest]), ['#0', '#1', '#2', '#3', '#4', '#5'], 'each call gets its own result')
  t.same(batches, [[0], [1, 2, 3], [4, 5]], 'then they go in batches of at most maxSize, in arrival order')
})

t.test('a synchronous burst shares the first batch', async (t) => {
  const sizes: number[] = []
  const id = createBatcher(async (items: number[]) => (sizes.push(items.length), items))
  await Promise.all(Array.from({ length: 10 }, (_, i) => id(i)))
  t.same(sizes, [10])
})

t.test('a failing batch is retried item by item, so one bad item fails only its own call', async (t) => {
  const batches: number[][] = []
  const check = createBatcher(async (items: number[]) => {
    batches.push(items)
    if (items.includes(13)) throw new Error('unlucky')
    return items
  })
  const results = await Promise.allSettled([check(1), check(13), check(2)])
  t.same(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled'])
  t.match((results[1] as PromiseRejectedResult).reason.message, 'unlucky')
  t.same(batches, [[1, 13, 2], [1], [13], [2]])
})

t.test('a batch that returns the wrong number of results fails its calls', async (t) => {
  const broken = createBatcher(async (items: number[]) => items.slice(1))
  await t.rejects(broken(1), /0 results for 1 items/)
})
