import t from 'tap'
import { assertError, portOf, realtimeClient } from '@sapa/sdk/testing'
import { until, workspace } from './support/kernel.ts'

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64')

t.test('send from the inbox: a whatsapp message, then its ticks on the item', async (t) => {
  const w = await workspace(t)
  const { admin, h } = w
  await w.inbound('0812-3000-4000', 'Halo', { name: 'Sari' })
  const c = await w.conversationOf('+6281230004000')

  const sent = await w.post(admin, `/api/inbox/conversations/${c.id}/messages`, { type: 'text', text: 'Halo Sari 👋' })
  t.equal(sent.status, 202)
  t.match(sent.body, { kind: 'outbound', type: 'text', text: 'Halo Sari 👋', authorId: admin.user.id, conversationId: c.id })
  t.ok(['queued', 'sending', 'sent', 'delivered', 'read'].includes(sent.body.status))

  // The same message in the whatsapp plugin, to the conversation's contact on its number.
  const wa = (await w.get(admin, `/api/whatsapp/messages/${sent.body.whatsappMessageId}`)).body
  t.match(wa, { direction: 'out', peer: '+6281230004000', sessionId: w.session.id, text: 'Halo Sari 👋' })

  // The sandbox acks: sent → delivered → read reach the inbox item.
  const read = await until(async () => {
    const items = await w.thread(c.id)
    const item = items.find((i: any) => i.id === sent.body.id)
    return item?.status === 'read' && item
  })
  t.ok(read.sentAt && read.deliveredAt && read.readAt, 'each tick has its time')
  const list = (await w.get(admin, '/api/inbox/conversations')).body.items[0]
  t.match(list.lastMessage, { id: sent.body.id, status: 'read' }, 'the list preview shows the ticks')
  t.equal(list.unread, 0, 'replying marks the conversation read for the agent')

  // A reply quoting the customer's message, and the customer's reply to ours.
  const [firstIn] = (await w.thread(c.id)).filter((i: any) => i.kind === 'inbound')
  const quoted = await w.post(admin, `/api/inbox/conversations/${c.id}/messages`, { type: 'text', text: 'Siap', replyTo: firstIn.id })
  t.equal(quoted.status, 202)
  t.match(quoted.body.replyTo, { id: firstIn.id, kind: 'inbound', text: 'Halo' })
  const ours = await until(async () => (await w.get(admin, `/api/whatsapp/messages/${sent.body.whatsappMessageId}`)).body.providerId)
  await w.inbound('0812-3000-4000', 'Terima kasih', { replyTo: ours })
  const answer = await until(async () => (await w.thread(c.id)).find((i: any) => i.text === 'Terima kasih'))
  t.match(answer.replyTo, { id: sent.body.id, kind: 'outbound', text: 'Halo Sari 👋' })

  // Reactions: the customer's and ours, shown on the message they react to.
  await w.inbound('0812-3000-4000', '', { type: 'reaction', text: undefined, reaction: { providerId: ours, emoji: '❤️' } })
  const reacted = await until(async () => (await w.thread(c.id)).find((i: any) => i.id === sent.body.id && i.reactions.length))
  t.match(reacted.reactions, [{ emoji: '❤️', by: 'customer' }])
  const rt = await realtimeClient(t, await portOf(h), admin)
  t.match(await rt.subscribe(`conversation:${c.id}`), { type: 'subscribed' })
  const react = await w.post(admin, `/api/inbox/conversations/${c.id}/messages`, { type: 'reaction', replyTo: firstIn.id, emoji: '👍' })
  t.equal(react.status, 202, JSON.stringify(react.body))
  const target = (await w.thread(c.id)).find((i: any) => i.id === firstIn.id)
  t.match(target.reactions, [{ emoji: '👍', by: 'agent', userId: admin.user.id }])
  t.match(await rt.waitFor((m) => m.topic === `conversation:${c.id}` && m.event === 'message.reaction' && m.data.id === firstIn.id), { data: { reactions: [{ emoji: '👍', by: 'agent' }] } }, 'announced to everyone on the conversation')

  // Bad input: the whatsapp plugin's own checks answer.
  assertError(t, await admin.inject({ method: 'POST', url: `/api/inbox/conversations/${c.id}/messages`, payload: { type: 'text', text: '   ' } }), 400, 'text_required')
  assertError(t, await admin.inject({ method: 'POST', url: `/api/inbox/conversations/${c.id}/messages`, payload: { type: 'image' } }), 400, 'media_required')
  assertError(t, await admin.inject({ method: 'POST', url: `/api/inbox/conversations/${c.id}/messages`, payload: { type: 'text', text: 'x', replyTo: '01a20f3d-015c-700c-a543-b446c6de3bed' } }), 400, 'reply_target_not_found')
  assertError(t, await admin.inject({ method: 'POST', url: `/api/inbox/conversations/${c.id}/messages`, payload: { type: 'text', text: 'x', colour: 'red' } }), 400, 'validation_failed')

  // Idempotent retries.
  const once = await w.post(admin, `/api/inbox/conversations/${c.id}/messages`, { type: 'text', text: 'sekali saja', idempotencyKey: 'k1' })
  const twice = await w.post(admin, `/api/inbox/conversations/${c.id}/messages`, { type: 'text', text: 'sekali saja', idempotencyKey: 'k1' })
  t.equal(once.body.id, twice.body.id, 'the same key sends once')
  await w.idle()
  t.equal((await w.thread(c.id)).filter((i: any) => i.text === 'sekali saja').length, 1)

  // Another tenant: 404 for everything about this conversation.
  const other = await w.h.createTenant()
  const stranger = await h.login(other, 'admin')
  for (const [method, url, payload] of [
    ['GET', `/api/inbox/conversations/${c.id}`],
    ['GET', `/api/inbox/conversations/${c.id}/messages`],
    ['POST', `/api/inbox/conversations/${c.id}/messages`, { type: 'text', text: 'hi' }],
    ['POST', `/api/inbox/conversations/${c.id}/notes`, { text: 'hi' }],
    ['POST', `/api/inbox/conversations/${c.id}/assign`, { userId: stranger.user.id }],
    ['POST', `/api/inbox/conversations/${c.id}/status`, { status: 'resolved' }],
    ['POST', `/api/inbox/conversations/${c.id}/read`],
  ] as const) {
    assertError(t, await stranger.inject({ method, url, payload: payload as any }), 404, 'conversation_not_found')
  }
})

t.test('media both ways, and messages sent outside the inbox join the thread', async (t) => {
  const w = await workspace(t)
  const { admin } = w
  await w.inbound('0812-7777-8888', '', { type: 'image', text: undefined, media: { data: PNG.toString('base64'), filename: 'foto.png', caption: 'ini fotonya' } })
  const c = await w.conversationOf('+6281277778888')
  const [item] = await w.thread(c.id)
  t.match(item, { kind: 'inbound', type: 'image', text: 'ini fotonya', media: { url: /^\/api\/whatsapp\/media\//, mime: 'image/png' } })
  const file = await admin.inject({ method: 'GET', url: item.media.url })
  t.equal(file.statusCode, 200)

  // Forward the customer's own image back (media already stored by the whatsapp plugin).
  const back = await w.post(admin, `/api/inbox/conversations/${c.id}/messages`, { type: 'image', mediaId: item.media.id, text: 'ini?' })
  t.equal(back.status, 202, JSON.stringify(back.body))
  t.match(back.body, { type: 'image', text: 'ini?', media: { id: item.media.id } })

  // Sent through the whatsapp API (not the inbox): it joins the existing conversation, without an author.
  const direct = await admin.inject({ method: 'POST', url: '/api/whatsapp/messages', payload: { sessionId: w.session.id, to: '081277778888', type: 'text', text: 'dari API' } })
  t.equal(direct.statusCode, 202)
  const joined = await until(async () => (await w.thread(c.id)).find((i: any) => i.text === 'dari API' && i.status === 'read'), 10_000)
  t.match(joined, { kind: 'outbound', authorId: null, id: direct.json().id })

  // To someone without a conversation: no conversation is opened.
  await admin.inject({ method: 'POST', url: '/api/whatsapp/messages', payload: { sessionId: w.session.id, to: '081299990000', type: 'text', text: 'promo' } })
  await new Promise((r) => setTimeout(r, 2600))
  await w.idle()
  t.equal((await w.get(admin, '/api/inbox/conversations')).body.items.length, 1)
})

t.test('"sent" reaches the item even when it comes before the item is stored', async (t) => {
  const w = await workspace(t)
  const { admin } = w
  // A number whose receipts come late, so nothing but "sent" can move the items within the window.
  const created = await admin.inject({ method: 'POST', url: '/api/whatsapp/sessions', payload: { name: 'Slow', driver: 'sandbox', config: { ackDelays: { deliveredMs: 30_000, readMs: 60_000 } } } })
  const slow = created.json()
  await admin.inject({ method: 'POST', url: `/api/whatsapp/sessions/${slow.id}/connect` })
  await until(async () => (await admin.inject({ method: 'GET', url: `/api/whatsapp/sessions/${slow.id}` })).json().status === 'connected')
  await admin.inject({ method: 'POST', url: `/api/whatsapp/sandbox/${slow.id}/inbound`, payload: { from: '0812-3000-5000', type: 'text', text: 'Halo' } })
  const c = await w.conversationOf('+6281230005000')
  // Several at once: the send is fast, so "sent" often lands while the inbox is still storing its item.
  const sent = await Promise.all(Array.from({ length: 8 }, (_, i) => w.post(admin, `/api/inbox/conversations/${c.id}/messages`, { type: 'text', text: `pesan ${i}` })))
  t.ok(sent.every((s) => s.status === 202))
  // Well before the inbox's own late look (2 s) would catch a missed event.
  const started = Date.now()
  const items = await until(async () => {
    const mine = (await w.thread(c.id)).filter((i: any) => sent.some((s) => s.body.id === i.id))
    return mine.length === 8 && mine.every((i: any) => i.status === 'sent') && mine
  }, 1500, 25)
  t.equal(items.length, 8, `every item shows "sent" after ${Date.now() - started} ms`)
})
