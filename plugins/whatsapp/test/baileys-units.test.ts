import t from 'tap'
import { Ajv } from 'ajv'
import { proto } from '@whiskeysockets/baileys'
import { DriverError } from '../server/drivers/port.ts'
import { CircuitBreaker } from '../server/drivers/baileys/circuit-breaker.ts'
import { Pacer } from '../server/drivers/baileys/pacing.ts'
import { backoffDelay } from '../server/drivers/backoff.ts'
import { baileysConfigSchema, resolveBaileysConfig, BAILEYS_DEFAULTS } from '../server/drivers/baileys/config.ts'
import { deliveryStatus, normaliseContent, receiptStatus } from '../server/drivers/baileys/messages.ts'
import { e164ToJid, pnJidToE164 } from '../server/drivers/baileys/jid.ts'
import { toDriverError } from '../server/drivers/baileys/driver.ts'
import { LruMap } from '../server/drivers/lru.ts'
import { boom } from './support/baileys-fake-socket.ts'

function thrown(fn: () => unknown): DriverError {
  try {
    fn()
  } catch (err) {
    if (err instanceof DriverError) return err
    throw err
  }
  throw new Error('expected a DriverError')
}

t.test('CircuitBreaker', async (t) => {
  let now = 0
  const b = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 30_000, now: () => now })
  b.acquire()
  b.failure()
  b.acquire()
  b.success()
  t.equal(b.consecutiveFailures, 0, 'a success resets the streak')
  for (let i = 0; i < 3; i++) {
    b.acquire()
    b.failure()
  }
  t.equal(b.state, 'open')
  now = 12_000
  const err = thrown(() => b.acquire())
  t.match(err, { code: 'circuit_open', retryable: true, retryAfterMs: 18_000 })
  now = 30_000
  t.equal(b.state, 'half_open')
  b.acquire() // the trial
  t.match(thrown(() => b.acquire()), { code: 'circuit_open', retryAfterMs: 30_000 }, 'only one trial at a time')
  b.release()
  b.acquire() // released trial slot is free again
  b.failure()
  t.equal(b.state, 'open', 'failed trial reopens')
  t.equal(b.retryAfterMs(), 30_000)
  now = 60_000
  b.acquire()
  b.success()
  t.equal(b.state, 'closed')
  b.acquire()
  b.release()
  t.equal(b.state, 'closed')
})

t.test('Pacer', async (t) => {
  let now = 1_000_000_000
  const p = new Pacer({ perMinute: 2, perDay: 5, minGapMs: 1000, maxGapMs: 3000, maxQueueMs: 10_000 }, () => now, () => 0)
  t.same(p.reserve(), { waitMs: 0, at: now })
  t.same(p.reserve(500), { waitMs: 1000, at: now + 1000 }, 'min gap with random 0')
  t.match(thrown(() => p.reserve()), { code: 'pacing_cap', retryAfterMs: 60_000 })
  now += 60_000
  t.equal(p.reserve().waitMs, 0, 'the first slot left the window')
  t.same(p.counts(), { minute: 2, day: 3 })
  now += 120_000
  p.reserve()
  p.reserve()
  now += 120_000
  const day = thrown(() => p.reserve())
  t.match(day, { code: 'pacing_cap', retryable: true })
  t.ok(day.retryAfterMs! <= 24 * 3_600_000 && day.retryAfterMs! > 23 * 3_600_000)
  const snap = p.snapshot()
  t.ok(snap.length >= 1)
  const q = new Pacer({ perMinute: 2, perDay: 5, minGapMs: 0, maxGapMs: 0, maxQueueMs: 0 }, () => now, () => 0)
  q.restore(snap)
  q.restore([['bad'], [1.5, 2], 'x', [0, -1]])
  t.equal(q.counts().day, 5, 'restored day window')
  now += 24 * 3_600_000
  t.equal(q.counts().day, 0, 'old buckets drop out')

  const busy = new Pacer({ perMinute: 100, perDay: 100, minGapMs: 2000, maxGapMs: 2000, maxQueueMs: 3000 }, () => now, () => 0.5)
  busy.reserve()
  busy.reserve()
  t.match(thrown(() => busy.reserve()), { code: 'pacing_busy', retryAfterMs: 1000 })
})

t.test('backoffDelay', async (t) => {
  const o = { initialDelayMs: 1000, maxDelayMs: 60_000, jitter: 0.2 }
  t.same(
    [0, 1, 2, 3, 4, 5, 6, 7, 50].map((n) => backoffDelay(n, o, () => 0.5)),
    [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000],
  )
  t.equal(backoffDelay(0, o, () => 0), 800)
  t.equal(backoffDelay(0, o, () => 1), 1200)
  t.equal(backoffDelay(10, o, () => 1), 72_000)
  t.equal(backoffDelay(0, o, () => NaN), 1000)
})

t.test('config schema and defaults', async (t) => {
  const ajv = new Ajv()
  const validate = ajv.compile(baileysConfigSchema)
  t.ok(validate({}), 'empty config is valid')
  t.ok(validate({ pacing: { perMinute: 10, perDay: 500, minGapMs: 2000, maxGapMs: 5000, typing: false }, circuitBreaker: { failureThreshold: 3 }, reconnect: { jitter: 0.1 }, verifyRecipients: false }))
  t.notOk(validate({ unknown: 1 }), 'no unknown keys')
  t.notOk(validate({ pacing: { perMinute: 0 } }), 'bounded')
  t.notOk(validate({ pacing: { perMinute: 1000 } }))
  t.notOk(validate({ pacing: { nope: true } }))
  t.notOk(validate({ reconnect: { jitter: 2 } }))
  t.notOk(validate({ sendTimeoutMs: 1.5 }))
  t.same(resolveBaileysConfig({}), BAILEYS_DEFAULTS)
  t.same(resolveBaileysConfig(undefined), BAILEYS_DEFAULTS)
  const odd = resolveBaileysConfig({ pacing: { minGapMs: 5000, maxGapMs: 1000 }, reconnect: { initialDelayMs: 5000, maxDelayMs: 1000 } })
  t.same([odd.pacing.minGapMs, odd.pacing.maxGapMs], [1000, 5000], 'swapped gaps repaired')
  t.equal(odd.reconnect.maxDelayMs, 5000)
  t.equal(resolveBaileysConfig({ pacing: { minGapMs: 4000 } }).pacing.maxGapMs, 4000, 'a min above the default max lifts the max')
})

t.test('normaliseContent', async (t) => {
  t.same(normaliseContent({ conversation: 'hi' }), { type: 'text', text: 'hi' })
  t.same(normaliseContent({ viewOnceMessageV2: { message: { imageMessage: { mimetype: 'image/jpeg', caption: 'once' } } } }), { type: 'image', media: { mime: 'image/jpeg', caption: 'once' } })
  t.same(normaliseContent({ liveLocationMessage: { degreesLatitude: 1.5, degreesLongitude: 2.5 } }), { type: 'location', location: { latitude: 1.5, longitude: 2.5 } })
  t.same(normaliseContent({ ptvMessage: { mimetype: 'video/mp4' } }), { type: 'video', media: { mime: 'video/mp4' } })
  t.equal(normaliseContent(null), null)
  t.equal(normaliseContent({ senderKeyDistributionMessage: { groupId: 'g' } }), null)
  t.equal(normaliseContent({ reactionMessage: { text: '👍' } }), null, 'a reaction without a target')
  t.same(normaliseContent({ buttonsResponseMessage: { selectedDisplayText: 'Ya' } }), { type: 'unknown' })
})

t.test('status mapping', async (t) => {
  const S = proto.WebMessageInfo.Status
  t.same([S.ERROR, S.PENDING, S.SERVER_ACK, S.DELIVERY_ACK, S.READ, S.PLAYED, 99].map(deliveryStatus), ['failed', null, 'sent', 'delivered', 'read', 'read', null])
  t.same(receiptStatus({ playedTimestamp: 10 }), { status: 'read', atMs: 10_000 })
  t.equal(receiptStatus({}), null)
  t.equal(receiptStatus(null), null)
})

t.test('JIDs', async (t) => {
  t.equal(e164ToJid('+6281234567890'), '6281234567890@s.whatsapp.net')
  t.equal(e164ToJid('081234567890'), null)
  t.equal(e164ToJid('+0812'), null)
  t.equal(pnJidToE164('6281234567890:12@s.whatsapp.net'), '+6281234567890')
  t.equal(pnJidToE164('6281234567890@c.us'), '+6281234567890')
  t.equal(pnJidToE164('123456789@lid'), null)
  t.equal(pnJidToE164(undefined), null)
})

t.test('toDriverError', async (t) => {
  t.match(toDriverError(boom('Connection Closed', 428)), { code: 'not_connected', retryable: true })
  t.match(toDriverError(boom('Timed Out', 408)), { code: 'timeout', retryable: true })
  t.match(toDriverError(new Error('Query timed out')), { code: 'timeout', retryable: true })
  t.match(toDriverError(boom('rate-overlimit', 429)), { code: 'rate_limited', retryable: true, retryAfterMs: 60_000 })
  t.match(toDriverError(boom('not-authorized', 401)), { code: 'logged_out', retryable: false })
  t.match(toDriverError(boom('forbidden', 403)), { code: 'forbidden', retryable: false })
  t.match(toDriverError(boom('item-not-found', 404)), { code: 'rejected', retryable: false })
  t.match(toDriverError(boom('internal-server-error', 500)), { code: 'send_failed', retryable: true })
  t.match(toDriverError('weird'), { code: 'send_failed', retryable: true })
  const own = new DriverError('x', 'pacing_cap', true, 5)
  t.equal(toDriverError(own), own)
})

t.test('LruMap', async (t) => {
  let now = 0
  const lru = new LruMap<string, number>(2, () => now)
  lru.set('a', 1).set('b', 2)
  lru.get('a')
  lru.set('c', 3)
  t.same([lru.has('a'), lru.has('b'), lru.has('c')], [true, false, true], 'least recently used goes first')
  t.same([...lru.keys()], ['a', 'c'], 'keys oldest first')
  lru.set('d', 4, 100)
  now = 100
  t.equal(lru.get('d'), undefined, 'expired')
  t.equal(lru.size, 1)
})
