import t from 'tap'
import { assertError } from '@sapa/sdk/testing'
import { until, workspace } from './support/kernel.ts'

t.test('inbound: contact, conversation and item; unread; a resolved conversation reopens', async (t) => {
  const w = await workspace(t)
  const { admin, h } = w
  await w.inbound('0812-1111-2222', 'Halo, saya mau pesan', { name: 'Budi Santoso' })
  const c = await w.conversationOf('+6281211112222')
  t.match(c, { status: 'open', contact: { name: 'Budi Santoso', phone: '+6281211112222' }, assignee: null, unread: 1, lastMessage: { kind: 'inbound', text: 'Halo, saya mau pesan' } })
  t.equal(c.sessionId, w.session.id)

  const thread = await w.thread(c.id)
  t.equal(thread.length, 1)
  t.match(thread[0], { kind: 'inbound', type: 'text', text: 'Halo, saya mau pesan', status: 'received' })
  t.ok(thread[0].whatsappMessageId, 'the whatsapp message id is kept')

  // A second message: same conversation, unread 2; reading clears it for this agent only.
  await w.inbound('+62 812 1111 2222', 'Ada warna merah?')
  const again = await w.conversationOf('+6281211112222', (x) => x.unread === 2)
  t.equal(again.id, c.id)
  t.equal((await w.post(admin, `/api/inbox/conversations/${c.id}/read`)).status, 204)
  t.equal((await w.get(admin, `/api/inbox/conversations/${c.id}`)).body.unread, 0)
  const other = await h.login(w.tenant, 'team_lead')
  t.equal((await w.get(other, `/api/inbox/conversations/${c.id}`)).body.unread, 2, 'unread is per agent')

  // Resolve, then the customer writes again: reopened.
  const resolved = await w.post(admin, `/api/inbox/conversations/${c.id}/status`, { status: 'resolved' })
  t.equal(resolved.status, 200)
  t.equal(resolved.body.status, 'resolved')
  await w.inbound('081211112222', 'Halo lagi')
  const reopened = await w.conversationOf('+6281211112222', (x) => x.status === 'open')
  t.equal(reopened.id, c.id, 'the same conversation, reopened')
  const items = await w.thread(c.id)
  // Newest first: "reopened" (recorded as the message was processed), the new message, "resolved", the first two.
  t.same(items.map((i: any) => i.kind), ['system', 'inbound', 'system', 'inbound', 'inbound'])
  t.match(items[0], { kind: 'system', system: { event: 'status', from: 'resolved', to: 'open', reason: 'inbound' } })
  t.match(items[1], { kind: 'inbound', text: 'Halo lagi' })
  t.equal((await h.services.db('inbox_conversations').where({ tenant_id: w.tenant.id }).count('* as n'))[0].n, 1)
})

t.test('concurrent first messages of a new contact make one conversation', async (t) => {
  const w = await workspace(t)
  await Promise.all(Array.from({ length: 8 }, (_, i) => w.inbound('0813-5555-0000', `pesan ${i}`)))
  const c = await w.conversationOf('+6281355550000', (x) => x.unread === 8)
  t.equal(c.unread, 8)
  await w.idle()
  const rows = await w.h.services.db('inbox_conversations').where({ tenant_id: w.tenant.id })
  t.equal(rows.length, 1, 'one conversation')
  t.equal((await w.thread(c.id)).length, 8, 'eight items')
})

t.test('a message delivered twice is one item', async (t) => {
  const w = await workspace(t)
  await w.inbound('0814-0000-1111', 'sekali', { id: 'wamid.dup' })
  await w.inbound('0814-0000-1111', 'sekali', { id: 'wamid.dup' })
  const c = await w.conversationOf('+6281400001111')
  await w.idle()
  t.equal((await w.thread(c.id)).length, 1)
  // The receive job run again for the same message changes nothing (at-least-once delivery).
  const [item] = await w.thread(c.id)
  await w.h.services.queue.add('inbox.receive', 'receive', { tenantId: w.tenant.id, messageId: item.id })
  await w.idle()
  t.equal((await w.thread(c.id)).length, 1)
  t.equal((await w.get(w.admin, `/api/inbox/conversations/${c.id}`)).body.unread, 1)
})

t.test('snooze until a time; the customer or the clock wakes it', async (t) => {
  const w = await workspace(t)
  const { admin, h } = w
  await w.inbound('0815-1234-0000', 'tolong hubungi saya besok')
  const c = await w.conversationOf('+6281512340000')
  const until1 = new Date(h.clock.now().getTime() + 3600_000).toISOString()
  t.equal((await w.post(admin, `/api/inbox/conversations/${c.id}/status`, { status: 'snoozed', snoozedUntil: new Date(h.clock.now().getTime() - 1000).toISOString() })).body.error.code, 'snooze_in_past')
  const snoozed = await w.post(admin, `/api/inbox/conversations/${c.id}/status`, { status: 'snoozed', snoozedUntil: until1 })
  t.equal(snoozed.status, 200)
  t.match(snoozed.body, { status: 'snoozed', snoozedUntil: until1 })
  t.equal((await w.get(admin, '/api/inbox/conversations?status=snoozed')).body.items.length, 1)

  // Not yet.
  await w.maintenance()
  t.equal((await w.get(admin, `/api/inbox/conversations/${c.id}`)).body.status, 'snoozed')
  // An hour later the sweep opens it again.
  h.clock.advance(3600_000 + 1000)
  await w.maintenance()
  const woke = (await w.get(admin, `/api/inbox/conversations/${c.id}`)).body
  t.match(woke, { status: 'open', snoozedUntil: null })
  t.match((await w.thread(c.id))[0], { kind: 'system', system: { event: 'status', from: 'snoozed', to: 'open' } })

  // Snoozed again, and the customer writes: open at once.
  await w.post(admin, `/api/inbox/conversations/${c.id}/status`, { status: 'snoozed', snoozedUntil: new Date(h.clock.now().getTime() + 86400_000).toISOString() })
  await w.inbound('0815-1234-0000', 'halo?')
  await until(async () => (await w.get(admin, `/api/inbox/conversations/${c.id}`)).body.status === 'open')
  t.pass('inbound woke it')
})

t.test('first response and resolution times', async (t) => {
  const w = await workspace(t)
  const { admin, h } = w
  const responded: any[] = []
  const resolvedEvents: any[] = []
  h.services.bus.on('inbox.conversation.responded', (e) => void responded.push(e.payload))
  h.services.bus.on('inbox.conversation.resolved', (e) => void resolvedEvents.push(e.payload))
  await w.inbound('0816-2222-3333', 'Halo?')
  const c = await w.conversationOf('+6281622223333')
  t.equal(c.firstResponseSeconds, null)
  h.clock.advance(90_000)
  const sent = await w.post(admin, `/api/inbox/conversations/${c.id}/messages`, { type: 'text', text: 'Halo kak, ada yang bisa dibantu?' })
  t.equal(sent.status, 202, JSON.stringify(sent.body))
  let now = (await w.get(admin, `/api/inbox/conversations/${c.id}`)).body
  t.equal(now.firstResponseSeconds, 90, 'first response: 90 s after the first message')
  t.equal(now.waitingSince, null)

  // A later answer does not change the first response time.
  await w.inbound('0816-2222-3333', 'Mau tanya harga')
  await w.conversationOf('+6281622223333', (x) => x.waitingSince !== null)
  h.clock.advance(30_000)
  await w.post(admin, `/api/inbox/conversations/${c.id}/messages`, { type: 'text', text: 'Harganya 100rb' })
  now = (await w.get(admin, `/api/inbox/conversations/${c.id}`)).body
  t.equal(now.firstResponseSeconds, 90)

  h.clock.advance(600_000)
  const resolved = await w.post(admin, `/api/inbox/conversations/${c.id}/status`, { status: 'resolved' })
  t.equal(resolved.body.resolutionSeconds, 90 + 30 + 600, 'resolution: from opening to resolving')
  const row = await h.services.db('inbox_conversations').where({ id: c.id }).first()
  t.equal(row.first_response_seconds, 90)
  t.equal(row.resolution_seconds, 720)
  await h.services.bus.drain()
  t.same(responded.map((e) => [e.responseSeconds, e.first]), [[90, true], [30, false]])
  t.match(resolvedEvents, [{ conversationId: c.id, resolutionSeconds: 720, firstResponseSeconds: 90 }])
})

t.test('the conversation list pages by (last message, id): a page at a time is the whole list; a bad cursor is a 400', async (t) => {
  const w = await workspace(t)
  const { admin } = w
  for (const phone of ['081250000001', '081250000002', '081250000003']) {
    await w.inbound(phone, 'halo')
    await w.conversationOf(`+62${phone.slice(1)}`)
  }
  const all = (await w.get(admin, '/api/inbox/conversations?limit=10')).body
  t.equal(all.items.length, 3)
  t.equal(all.nextCursor, null)
  const paged: string[] = []
  let cursor: string | null = null
  do {
    const res: any = (await w.get(admin, `/api/inbox/conversations?limit=1${cursor ? `&cursor=${cursor}` : ''}`)).body
    paged.push(...res.items.map((c: any) => c.id))
    cursor = res.nextCursor
  } while (cursor && paged.length < 10)
  t.same(paged, all.items.map((c: any) => c.id), 'one at a time, the same conversations in the same order')

  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  for (const bad of ['bm9wZQ', b64(['not a date', '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b']), b64([new Date().toISOString(), 'not-a-uuid']), b64({ at: 1 })]) {
    assertError(t, await admin.inject({ method: 'GET', url: `/api/inbox/conversations?cursor=${bad}` }), 400, 'invalid_cursor')
  }
})
