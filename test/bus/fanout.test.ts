import { randomUUID } from 'node:crypto'
import t from 'tap'
import { createMemoryFanout, createRedisFanout, type Fanout } from '../../kernel/bus/fanout.ts'
import type { Logger } from '../../kernel/bus/logger.ts'

const REDIS_URL = process.env.TEST_REDIS_URL

function recordingLogger() {
  const errors: Array<{ obj: object; msg?: string }> = []
  const logger: Logger = { error: (obj, msg) => errors.push({ obj, msg }), warn: () => {}, debug: () => {} }
  return { logger, errors }
}

/** Collects what one subscriber receives. */
function collector() {
  const received: unknown[] = []
  const waiters: Array<{ count: number; resolve: () => void }> = []
  const handler = (message: unknown) => {
    received.push(message)
    for (const waiter of waiters.filter((w) => received.length >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1)
      waiter.resolve()
    }
  }
  const waitFor = (count: number, ms = 3000) =>
    new Promise<void>((resolve, reject) => {
      if (received.length >= count) return resolve()
      const timer = setTimeout(() => reject(new Error(`got ${received.length} of ${count} messages`)), ms)
      waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) })
    })
  return { received, handler, waitFor }
}

/** Runs the shared contract against two "nodes" (a and b) of one fan-out implementation. */
function contract(name: string, makeNodes: () => Promise<{ a: Fanout; b: Fanout; other?: Fanout }>) {
  t.test(name, async (t) => {
    const { a, b, other } = await makeNodes()
    t.teardown(async () => {
      await Promise.all([a.close(), b.close(), other?.close()])
    })

    t.test('a message published on one node reaches every subscriber on every node, once, in order', async (t) => {
      const channel = `c-${randomUUID()}`
      const onA1 = collector()
      const onA2 = collector()
      const onB = collector()
      const offs = [a.subscribe(channel, onA1.handler), a.subscribe(channel, onA2.handler), b.subscribe(channel, onB.handler)]
      await Promise.all([a.ready(), b.ready()])
      await a.publish(channel, { n: 1 })
      await a.publish(channel, { n: 2 })
      await b.publish(channel, { n: 3, at: new Date('2024-01-01T00:00:00Z'), gone: undefined })
      await Promise.all([onA1.waitFor(3), onA2.waitFor(3), onB.waitFor(3)])
      // A sentinel after the three: anything duplicated would have arrived before it.
      await a.publish(channel, 'end')
      await Promise.all([onA1.waitFor(4), onA2.waitFor(4), onB.waitFor(4)])
      const expected = [{ n: 1 }, { n: 2 }, { n: 3, at: '2024-01-01T00:00:00.000Z' }, 'end']
      t.same(onA1.received, expected, 'JSON semantics, in order, once')
      t.same(onA2.received, expected)
      t.same(onB.received, expected)
      offs.forEach((off) => off())
    })

    t.test('delivery is asynchronous', async (t) => {
      const channel = `c-${randomUUID()}`
      const got = collector()
      const off = a.subscribe(channel, got.handler)
      await a.ready()
      const publishing = a.publish(channel, 1)
      t.equal(got.received.length, 0, 'not delivered inside publish')
      await publishing
      await got.waitFor(1)
      off()
    })

    t.test('unsubscribe stops delivery; others on the channel keep theirs', async (t) => {
      const channel = `c-${randomUUID()}`
      const stays = collector()
      const leaves = collector()
      a.subscribe(channel, stays.handler)
      const off = b.subscribe(channel, leaves.handler)
      await Promise.all([a.ready(), b.ready()])
      await a.publish(channel, 1)
      await Promise.all([stays.waitFor(1), leaves.waitFor(1)])
      off()
      off()
      await b.ready()
      await a.publish(channel, 2)
      await stays.waitFor(2)
      // b's subscriber would have received 2 by now (it is delivered in the same round on one node,
      // and b was unsubscribed in Redis before the publish).
      await new Promise((resolve) => setTimeout(resolve, 50))
      t.same(leaves.received, [1])
    })

    t.test('a throwing subscriber does not stop the others', async (t) => {
      const channel = `c-${randomUUID()}`
      const got = collector()
      a.subscribe(channel, () => {
        throw new Error('boom')
      })
      a.subscribe(channel, got.handler)
      await a.ready()
      await a.publish(channel, 'x')
      await got.waitFor(1)
      t.same(got.received, ['x'])
    })

    t.test('published text reaches raw subscribers as its bytes and the others parsed; text that is not JSON only the raw ones', async (t) => {
      const channel = `c-${randomUUID()}`
      const rawA = collector()
      const rawB = collector()
      const parsed = collector()
      const offs = [a.subscribeRaw(channel, rawA.handler), b.subscribeRaw(channel, rawB.handler), b.subscribe(channel, parsed.handler)]
      await Promise.all([a.ready(), b.ready()])
      const text = '{"n":1,"s":"é 👋 \\u0000"}\n{"n":2}'
      await a.publishText(channel, text) // two lines: not JSON as a whole
      await a.publishText(channel, '{"n":3,"s":"é"}')
      await Promise.all([rawA.waitFor(2), rawB.waitFor(2), parsed.waitFor(1)])
      for (const raw of [rawA, rawB]) {
        t.ok(Buffer.isBuffer(raw.received[0]), 'a Buffer')
        t.same((raw.received as Buffer[]).map((bytes) => bytes.toString()), [text, '{"n":3,"s":"é"}'], 'the bytes as published (UTF-8)')
      }
      t.same(parsed.received, [{ n: 3, s: 'é' }], 'the parsing subscriber skipped the text that is not JSON')
      await t.rejects(a.publishText(channel, 5 as unknown as string), TypeError)
      offs.forEach((off) => off())
    })

    t.test('a message that is not JSON-serialisable is refused', async (t) => {
      await t.rejects(a.publish(`c-${randomUUID()}`, 10n))
      await t.rejects(a.publish(`c-${randomUUID()}`, undefined))
      t.throws(() => a.subscribe('', () => {}))
    })

    if (other) {
      t.test('another prefix is another namespace', async (t) => {
        const channel = `c-${randomUUID()}`
        const here = collector()
        const there = collector()
        a.subscribe(channel, here.handler)
        other.subscribe(channel, there.handler)
        await Promise.all([a.ready(), other.ready()])
        await other.publish(channel, 'other')
        await a.publish(channel, 'mine')
        await Promise.all([here.waitFor(1), there.waitFor(1)])
        await new Promise((resolve) => setTimeout(resolve, 50))
        t.same(here.received, ['mine'])
        t.same(there.received, ['other'])
      })
    }
  })
}

contract('memory fan-out', async () => {
  const fanout = createMemoryFanout({ logger: recordingLogger().logger })
  // One process is the whole deployment: both "nodes" share the one fan-out.
  return { a: fanout, b: fanout }
})

if (REDIS_URL) {
  contract('redis fan-out', async () => {
    const prefix = `sapa-test:${randomUUID()}:`
    const logger = recordingLogger().logger
    return {
      a: createRedisFanout({ url: REDIS_URL, prefix, logger }),
      b: createRedisFanout({ url: REDIS_URL, prefix, logger }),
      other: createRedisFanout({ url: REDIS_URL, prefix: `sapa-test:${randomUUID()}:`, logger }),
    }
  })
} else {
  t.test('redis fan-out', { skip: 'TEST_REDIS_URL is not set' }, async () => {})
}

t.test('memory fan-out logs a throwing subscriber and refuses use after close', async (t) => {
  const { logger, errors } = recordingLogger()
  const fanout = createMemoryFanout({ logger })
  const got = collector()
  fanout.subscribe('ch', () => {
    throw new Error('boom')
  })
  fanout.subscribe('ch', got.handler)
  await fanout.publish('ch', 1)
  await got.waitFor(1)
  t.equal(errors.length, 1)
  t.equal(errors[0]!.msg, 'fanout subscriber failed')
  await fanout.close()
  await t.rejects(fanout.publish('ch', 1), /closed/)
  t.throws(() => fanout.subscribe('ch', () => {}), /closed/)
})

t.test('redis fan-out needs a prefix', async (t) => {
  t.throws(() => createRedisFanout({ url: 'redis://127.0.0.1:1', prefix: '' }), /prefix/)
})
