import t from 'tap'
import { createTestKernel, type TestSession } from '@sapa/sdk/testing'
import { until, WHATSAPP } from './support/kernel.ts'
import { multipart, PDF, PNG } from './support/multipart.ts'
import { spySandbox } from './support/sandbox-spy.ts'

// Read by the plugin when it registers: retries 20/40/80 ms apart instead of 2/4/8 s, and a
// supervisor tick every 500 ms (a third of the lease) so the hold timeout is seen quickly.
process.env.SAPA_WHATSAPP_SEND_BACKOFF_MS = '20'
process.env.SAPA_WHATSAPP_LEASE_MS = '1500'

const FAST_ACKS = { ackDelays: { deliveredMs: 20, readMs: 40 } }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

t.test('the send pipeline', async (t) => {
  const spy = spySandbox(t)
  const h = await createTestKernel(t, { plugins: [WHATSAPP] })
  const { db, bus } = h.services
  const statusEvents: { messageId: string; status: string }[] = []
  bus.on('whatsapp.message.status', (e) => void statusEvents.push(e.payload as any))

  async function tenantAdmin() {
    return h.login(await h.createTenant(), 'admin')
  }
  async function number(admin: TestSession, config: Record<string, unknown> = FAST_ACKS, settings: Record<string, number> = {}) {
    const res = await admin.inject({ method: 'POST', url: '/api/whatsapp/sessions', payload: { name: 'Sales', driver: 'sandbox', config, settings } })
    if (res.statusCode !== 201) throw new Error(res.body)
    const session = res.json()
    await admin.inject({ method: 'POST', url: `/api/whatsapp/sessions/${session.id}/connect` })
    await until(async () => (await admin.inject({ method: 'GET', url: `/api/whatsapp/sessions/${session.id}` })).json().status === 'connected')
    return session as { id: string }
  }
  const send = (admin: TestSession, body: Record<string, unknown>) => admin.inject({ method: 'POST', url: '/api/whatsapp/messages', payload: body })
  const message = async (admin: TestSession, id: string) => (await admin.inject({ method: 'GET', url: `/api/whatsapp/messages/${id}` })).json()
  const reaches = (admin: TestSession, id: string, statuses: string[], ms = 5000) =>
    until(async () => {
      const m = await message(admin, id)
      return statuses.includes(m.status) && m
    }, ms)
  const sendsOf = (messageId: string) => spy.sends.filter((s) => s.message.id === messageId)

  const admin = await tenantAdmin()
  const main = await number(admin)

  await t.test('202 queued; every way of typing a number becomes E.164', async (t) => {
    const ids: string[] = []
    for (const to of ['0812-3456-7890', '+62 812-3456-7890', '6281234567890', '081234567890', '(0812) 3456.7890', '+6281234567890']) {
      const res = await send(admin, { sessionId: main.id, to, type: 'text', text: `to ${to}` })
      t.equal(res.statusCode, 202, `${to} → 202`)
      t.match(res.json(), { status: 'queued', direction: 'out', peer: '+6281234567890', sentAt: null }, `${to} → +6281234567890`)
      ids.push(res.json().id)
    }
    for (const id of ids) await reaches(admin, id, ['read'])
    t.same(new Set(ids.flatMap((id) => sendsOf(id).map((s) => s.message.to))), new Set(['+6281234567890']), 'the driver got E.164')
    const other = await send(admin, { sessionId: main.id, to: '+1 (415) 555-2671', type: 'text', text: 'hi' })
    t.equal(other.json().peer, '+14155552671', 'a foreign number keeps its country')

    const nul = await send(admin, { sessionId: main.id, to: '081234567890', type: 'text', text: 'nul\u0000byte' })
    t.equal(nul.statusCode, 400, 'a NUL in the text is a 400, not a 500 from the database')
    t.equal(nul.json().error.code, 'invalid_characters')
    const nulLocation = await send(admin, { sessionId: main.id, to: '081234567890', type: 'location', location: { latitude: 1, longitude: 2, name: 'a\u0000b' } })
    t.equal(nulLocation.statusCode, 400, 'anywhere in the message')
    const literal = await send(admin, { sessionId: main.id, to: '081234567890', type: 'text', text: 'the escape \\u0000 typed out is fine' })
    t.equal(literal.statusCode, 202)
    t.equal(literal.json().text, 'the escape \\u0000 typed out is fine')
  })

  await t.test('sent → delivered → read, each with its time, announced in order', async (t) => {
    const res = await send(admin, { sessionId: main.id, to: '081200000001', type: 'text', text: 'status please' })
    const id = res.json().id
    const read = await reaches(admin, id, ['read'])
    t.ok(read.sentAt && read.deliveredAt && read.readAt, 'sentAt, deliveredAt and readAt are set')
    t.ok(new Date(read.sentAt) <= new Date(read.deliveredAt) && new Date(read.deliveredAt) <= new Date(read.readAt), 'in order')
    t.match(read.providerId, /^sbx-/)
    t.equal(read.attempts, 1)
    await bus.drain()
    t.same(statusEvents.filter((e) => e.messageId === id).map((e) => e.status), ['sent', 'delivered', 'read'], 'whatsapp.message.status: sent, delivered, read')
  })

  await t.test('idempotency key: the same key is the same message, sent once', async (t) => {
    const body = { sessionId: main.id, to: '081200000002', type: 'text', text: 'order #42 confirmed', idempotencyKey: 'order-42' }
    const first = await send(admin, body)
    const second = await send(admin, body)
    t.equal(first.statusCode, 202)
    t.equal(second.statusCode, 200, 'the repeat is a 200')
    t.equal(second.json().id, first.json().id, 'with the same message')

    const burst = await Promise.all([1, 2, 3, 4, 5].map(() => send(admin, { ...body, idempotencyKey: 'order-43' })))
    t.same(burst.map((r) => r.statusCode).sort(), [200, 200, 200, 200, 202], 'five at once: one created')
    t.equal(new Set(burst.map((r) => r.json().id)).size, 1, 'all answer with one message')

    for (const id of [first.json().id, burst[0].json().id]) await reaches(admin, id, ['read'])
    await sleep(150)
    t.equal(sendsOf(first.json().id).length, 1, 'order-42 reached the driver once')
    t.equal(sendsOf(burst[0].json().id).length, 1, 'order-43 reached the driver once')
    t.equal((await db('whatsapp_messages').whereIn('idempotency_key', ['order-42', 'order-43'])).length, 2, 'two rows in all')

    // Keys are per tenant: another tenant's "order-42" is its own message.
    const otherAdmin = await tenantAdmin()
    const theirs = await number(otherAdmin)
    const own = await send(otherAdmin, { ...body, sessionId: theirs.id })
    t.equal(own.statusCode, 202)
    t.not(own.json().id, first.json().id)
  })

  await t.test('forward only: a late delivered never downgrades read', async (t) => {
    const res = await send(admin, { sessionId: main.id, to: '081200000003', type: 'text', text: 'forward only' })
    const read = await reaches(admin, res.json().id, ['read'])
    await bus.drain()
    const eventsBefore = statusEvents.filter((e) => e.messageId === read.id).length
    const events = spy.contexts.get(main.id)!.events
    // What a driver reports when acks arrive out of order.
    await events.ack({ providerId: read.providerId, status: 'delivered', at: new Date(Date.now() + 60_000) })
    await events.ack({ providerId: read.providerId, status: 'sent', at: new Date() })
    await events.ack({ providerId: read.providerId, status: 'failed', at: new Date(), error: 'late failure' })
    const after = await message(admin, read.id)
    t.equal(after.status, 'read', 'still read')
    t.equal(after.deliveredAt, read.deliveredAt, 'deliveredAt untouched')
    t.equal(after.error, null, 'a failure after delivery is ignored')
    await sleep(400) // the ack path looks again once after 300 ms when nothing matched
    await bus.drain()
    t.equal((await message(admin, read.id)).status, 'read')
    t.equal(statusEvents.filter((e) => e.messageId === read.id).length, eventsBefore, 'nothing announced for ignored acks')

    // A failure before delivery wins over "sent".
    const slow = await number(admin, { ackDelays: { deliveredMs: 600_000, readMs: 600_000 } })
    const pending = await send(admin, { sessionId: slow.id, to: '081200000004', type: 'text', text: 'will bounce' })
    const sent = await reaches(admin, pending.json().id, ['sent'])
    await spy.contexts.get(slow.id)!.events.ack({ providerId: sent.providerId, status: 'failed', at: new Date(), error: 'recipient not on WhatsApp' })
    t.match(await message(admin, sent.id), { status: 'failed', error: 'recipient not on WhatsApp' })

    // Acks that overtake the send's own bookkeeping still land.
    const instant = await number(admin, { ackDelays: { deliveredMs: 0, readMs: 0 } })
    const quick = await send(admin, { sessionId: instant.id, to: '081200000005', type: 'text', text: 'instant acks' })
    const done = await reaches(admin, quick.json().id, ['read'], 3000)
    t.ok(done.readAt && done.sentAt, 'read, even though the acks came before the send returned')
  })

  await t.test('retries: a failing network fails after 4 attempts with the reason stored', async (t) => {
    const flaky = await number(admin, { failureRate: 1 })
    const started = Date.now()
    const res = await send(admin, { sessionId: flaky.id, to: '081200000006', type: 'text', text: 'never arrives' })
    t.equal(res.statusCode, 202)
    const failed = await reaches(admin, res.json().id, ['failed'], 10_000)
    t.equal(failed.attempts, 4, '4 attempts recorded')
    t.equal(failed.error, 'Simulated network failure', 'the reason is stored')
    t.equal(failed.sentAt, null)
    const tries = sendsOf(failed.id)
    t.equal(tries.length, 4, 'the driver was tried 4 times')
    const gaps = tries.slice(1).map((s, i) => s.at - tries[i].at)
    t.ok(gaps.every((g, i) => g >= 20 * 2 ** i * 0.7), `backoff grows (${gaps.join(', ')} ms)`)
    t.ok(Date.now() - started < 5000, 'SAPA_WHATSAPP_SEND_BACKOFF_MS made it quick')
    await sleep(200)
    t.equal(sendsOf(failed.id).length, 4, 'and no fifth try')
    await bus.drain()
    t.equal(statusEvents.filter((e) => e.messageId === failed.id).at(-1)?.status, 'failed', 'failure announced')
  })

  await t.test('a dropped number holds its messages and sends them when it is back', async (t) => {
    const drop = await number(admin, { ...FAST_ACKS, connectDelayMs: 700 })
    t.equal((await admin.inject({ method: 'POST', url: `/api/whatsapp/sandbox/${drop.id}/disconnect` })).statusCode, 202)
    await until(async () => (await admin.inject({ method: 'GET', url: `/api/whatsapp/sessions/${drop.id}` })).json().status === 'reconnecting')
    const ids: string[] = []
    for (let i = 1; i <= 3; i++) ids.push((await send(admin, { sessionId: drop.id, to: '081200000007', type: 'text', text: `held ${i}` })).json().id)
    await sleep(200)
    for (const id of ids) t.equal((await message(admin, id)).status, 'queued', 'held while the line is down')
    t.equal(ids.flatMap(sendsOf).filter((s) => s.ok).length, 0, 'nothing reached the network')
    for (const id of ids) await reaches(admin, id, ['sent', 'delivered', 'read'], 5000)
    t.same(spy.delivered(drop.id).filter((s) => ids.includes(s.message.id)).map((s) => s.message.text), ['held 1', 'held 2', 'held 3'], 'sent on reconnect, in order')

    // The same through the API: disconnect, queue, connect.
    await admin.inject({ method: 'POST', url: `/api/whatsapp/sessions/${drop.id}/disconnect` })
    await until(async () => (await admin.inject({ method: 'GET', url: `/api/whatsapp/sessions/${drop.id}` })).json().status === 'disconnected')
    const waiting = (await send(admin, { sessionId: drop.id, to: '081200000007', type: 'text', text: 'after disconnect' })).json().id
    await sleep(300)
    t.equal((await message(admin, waiting)).status, 'queued', 'held while disconnected')
    await admin.inject({ method: 'POST', url: `/api/whatsapp/sessions/${drop.id}/connect` })
    await reaches(admin, waiting, ['sent', 'delivered', 'read'], 5000)
    t.pass('sent once connected again')
  })

  await t.test('order per recipient: 20 messages arrive at the network in the order they were queued', async (t) => {
    const fast = await number(admin, FAST_ACKS, { ratePerSecond: 0 })
    const ids: string[] = []
    for (let i = 1; i <= 20; i++) {
      for (const to of ['081211111111', '081222222222']) {
        const res = await send(admin, { sessionId: fast.id, to, type: 'text', text: `${to.slice(-1)}-${String(i).padStart(2, '0')}` })
        ids.push(res.json().id)
      }
    }
    await until(async () => ids.every((id) => sendsOf(id).some((s) => s.ok)) || undefined, 10_000)
    for (const peer of ['+6281211111111', '+6281222222222']) {
      const order = spy.delivered(fast.id).filter((s) => s.message.to === peer).map((s) => s.message.text)
      const expected = Array.from({ length: 20 }, (_, i) => `${peer.slice(-1)}-${String(i + 1).padStart(2, '0')}`)
      t.same(order, expected, `${peer}: 20 in order`)
    }
  })

  await t.test('the limiter: 5 per second sends 15 messages over at least ~2 s', async (t) => {
    const limited = await number(admin, FAST_ACKS, { ratePerSecond: 5 })
    const ids = await Promise.all(
      Array.from({ length: 15 }, (_, i) => send(admin, { sessionId: limited.id, to: `0812300000${String(i).padStart(2, '0')}`, type: 'text', text: `rate ${i}` }).then((r) => r.json().id as string)),
    )
    await until(async () => ids.every((id) => sendsOf(id).some((s) => s.ok)) || undefined, 10_000)
    const times = spy.delivered(limited.id).map((s) => s.at).sort((a, b) => a - b)
    t.equal(times.length, 15)
    const span = times.at(-1)! - times[0]
    t.ok(span >= 1900, `15 sends took ${span} ms (≥ ~2000)`)
    t.ok(times.filter((x) => x < times[0] + 950).length <= 5, 'at most 5 in the first second')
    t.ok(times.filter((x) => x < times[0] + 1950).length <= 10, 'at most 10 in the first two seconds')
  })

  await t.test('media: upload an image and send it; a PDF is not an image', async (t) => {
    const upload = await admin.inject({ method: 'POST', url: '/api/whatsapp/media', ...multipart([{ name: 'kind', value: 'image' }, { name: 'file', filename: 'dot.png', type: 'image/png', data: PNG }]) })
    t.equal(upload.statusCode, 201, upload.body)
    t.match(upload.json(), { mime: 'image/png', size: PNG.length, filename: 'dot.png', url: /^\/api\/whatsapp\/media\// })
    const res = await send(admin, { sessionId: main.id, to: '081200000008', type: 'image', mediaId: upload.json().id, caption: 'Katalog 🖼️' })
    t.equal(res.statusCode, 202)
    t.match(res.json().media, { id: upload.json().id, url: `/api/whatsapp/media/${upload.json().id}`, mime: 'image/png' })
    t.equal(res.json().text, 'Katalog 🖼️', 'the caption is the text')
    await reaches(admin, res.json().id, ['sent', 'delivered', 'read'])
    const [driven] = sendsOf(res.json().id)
    t.equal(driven.message.type, 'image')
    t.equal(driven.message.media?.mime, 'image/png')
    t.equal(driven.message.media?.caption, 'Katalog 🖼️')
    t.ok(driven.message.media?.data.equals(PNG), 'the driver got the stored bytes')

    const pdf = await admin.inject({ method: 'POST', url: '/api/whatsapp/media', ...multipart([{ name: 'file', filename: 'invoice.pdf', type: 'application/pdf', data: PDF }]) })
    t.equal(pdf.statusCode, 201)
    t.equal(pdf.json().mime, 'application/pdf')
    const asImage = await send(admin, { sessionId: main.id, to: '081200000008', type: 'image', mediaId: pdf.json().id })
    t.equal(asImage.statusCode, 415)
    t.equal(asImage.json().error.code, 'media_type_not_allowed')
    const asDocument = await send(admin, { sessionId: main.id, to: '081200000008', type: 'document', mediaId: pdf.json().id })
    t.equal(asDocument.statusCode, 202, 'as a document it goes')
    const missing = await send(admin, { sessionId: main.id, to: '081200000008', type: 'image', mediaId: '01a20f3d-015c-700c-a543-b446c6de3bed' })
    t.equal(missing.json().error?.code, 'media_not_found')
    const otherAdmin = await tenantAdmin()
    const theirs = await otherAdmin.inject({ method: 'POST', url: '/api/whatsapp/media', ...multipart([{ name: 'file', filename: 'x.png', type: 'image/png', data: PNG }]) })
    const foreign = await send(admin, { sessionId: main.id, to: '081200000008', type: 'image', mediaId: theirs.json().id })
    t.equal(foreign.statusCode, 404, "another tenant's media id is not found")
  })

  await t.test('replies, reactions and locations carry through to the driver', async (t) => {
    const original = await send(admin, { sessionId: main.id, to: '081200000009', type: 'text', text: 'first' })
    const sent = await reaches(admin, original.json().id, ['sent', 'delivered', 'read'])
    const reply = await send(admin, { sessionId: main.id, to: '081200000009', type: 'text', text: 'a reply', replyTo: sent.id })
    t.equal(reply.json().replyTo, sent.providerId, 'our id resolves to the provider id')
    const reaction = await send(admin, { sessionId: main.id, to: '081200000009', type: 'reaction', reaction: { messageId: sent.id, emoji: '👍' } })
    t.equal(reaction.statusCode, 202)
    const location = await send(admin, { sessionId: main.id, to: '081200000009', type: 'location', location: { latitude: -6.2, longitude: 106.8, name: 'Monas' } })
    for (const r of [reply, reaction, location]) await reaches(admin, r.json().id, ['sent', 'delivered', 'read'])
    t.equal(sendsOf(reply.json().id)[0].message.replyTo, sent.providerId)
    t.same(sendsOf(reaction.json().id)[0].message.reaction, { providerId: sent.providerId, emoji: '👍' })
    t.same(sendsOf(location.json().id)[0].message.location, { latitude: -6.2, longitude: 106.8, name: 'Monas' })

    const unsent = await send(admin, { sessionId: (await number(admin, { failureRate: 1 })).id, to: '081200000009', type: 'text', text: 'stuck' })
    const bad = await send(admin, { sessionId: main.id, to: '081200000009', type: 'text', text: 'x', replyTo: unsent.json().id })
    t.equal(bad.statusCode, 400, 'a reply to a message of another number (or not sent) is refused')
    t.equal(bad.json().error.code, 'reply_target_not_found')
  })

  // Last: it moves the clock.
  await t.test('the hold timeout fails messages a disconnected number kept too long', async (t) => {
    const held = await number(admin)
    const patched = await admin.inject({ method: 'PATCH', url: `/api/whatsapp/sessions/${held.id}`, payload: { settings: { holdMinutes: 1 } } })
    t.equal(patched.json().settings.holdMinutes, 1)
    await admin.inject({ method: 'POST', url: `/api/whatsapp/sessions/${held.id}/disconnect` })
    await until(async () => (await admin.inject({ method: 'GET', url: `/api/whatsapp/sessions/${held.id}` })).json().status === 'disconnected')
    const ids = [] as string[]
    for (const text of ['wait 1', 'wait 2']) ids.push((await send(admin, { sessionId: held.id, to: '081200000010', type: 'text', text })).json().id)
    await sleep(700) // a tick or more passes: not yet past the hold time
    for (const id of ids) t.equal((await message(admin, id)).status, 'queued', 'held within the hold time')

    h.clock.advance(61_000)
    for (const id of ids) {
      const failed = await reaches(admin, id, ['failed'], 4000)
      t.match(failed.error, /hold time/, 'failed with the reason')
    }
    const fresh = (await send(admin, { sessionId: held.id, to: '081200000010', type: 'text', text: 'after the timeout' })).json().id
    await admin.inject({ method: 'POST', url: `/api/whatsapp/sessions/${held.id}/connect` })
    await reaches(admin, fresh, ['sent', 'delivered', 'read'], 5000)
    await sleep(200)
    t.same(ids.flatMap(sendsOf), [], 'the timed-out messages never went out')
    t.equal((await message(admin, ids[0])).status, 'failed', 'and stay failed')

    // A number without its own holdMinutes follows the workspace's default (the plugin's settings).
    const plain = await number(admin)
    const settings = await admin.inject({ method: 'PUT', url: '/api/plugins/whatsapp/settings', payload: { maxNumbers: 10, holdMinutes: 3 } })
    t.equal(settings.statusCode, 200, settings.body)
    await admin.inject({ method: 'POST', url: `/api/whatsapp/sessions/${plain.id}/disconnect` })
    await until(async () => (await admin.inject({ method: 'GET', url: `/api/whatsapp/sessions/${plain.id}` })).json().status === 'disconnected')
    const kept = (await send(admin, { sessionId: plain.id, to: '081200000011', type: 'text', text: 'wait for the default' })).json().id
    h.clock.advance(121_000)
    await sleep(1200)
    t.equal((await message(admin, kept)).status, 'queued', 'still held after 2 of the default 3 minutes')
    h.clock.advance(60_000)
    t.match((await reaches(admin, kept, ['failed'], 4000)).error, /hold time/, 'failed once past the workspace default')
  })
})
