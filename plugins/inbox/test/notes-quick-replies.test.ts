import t from 'tap'
import { assertError } from '@sapa/sdk/testing'
import { workspace } from './support/kernel.ts'
import { renderTemplate } from '../server/quick-replies.ts'

t.test('private notes with @mentions', async (t) => {
  const w = await workspace(t)
  const { admin, h } = w
  const mentioned: any[] = []
  h.services.bus.on('inbox.note.mentioned', (e) => void mentioned.push(e.payload))
  const team = await w.team('Ops', [])
  const author = await w.agent('junior_agent', [team.id])
  const sari = await h.createUser(w.tenant, 'agent', { email: 'sari@example.com' })
  const budi = await w.agent('agent')
  const outsider = await h.createUser(await h.createTenant(), 'agent', { email: 'luar@example.com' })
  await w.inbound('081250000001', 'Pesanan saya belum sampai')
  const c = await w.conversationOf('+6281250000001')
  await w.post(admin, `/api/inbox/conversations/${c.id}/assign`, { teamId: team.id })

  const note = await w.post(author, `/api/inbox/conversations/${c.id}/notes`, { text: `@sari@example.com tolong cek resi. cc @${budi.user.id} (bukan @luar@example.com, bukan @${outsider.id})` })
  t.equal(note.status, 201, JSON.stringify(note.body))
  t.match(note.body, { kind: 'note', type: 'note', authorId: author.user.id })
  t.same([...note.body.mentions].sort(), [sari.id, budi.user.id].sort(), 'members of this tenant only')
  await h.services.bus.drain()
  t.same(mentioned.map((m) => m.userId).sort(), [sari.id, budi.user.id].sort())
  t.match(mentioned[0], { tenantId: w.tenant.id, conversationId: c.id, noteId: note.body.id })

  // In the thread for those who see the conversation; never sent to WhatsApp.
  const [item] = await w.thread(c.id, author)
  t.match(item, { id: note.body.id, kind: 'note' })
  t.equal((await w.get(admin, `/api/whatsapp/messages?sessionId=${w.session.id}&direction=out`)).body.items.length, 0)
  // Notes do not move the conversation in the list.
  t.equal((await w.get(admin, `/api/inbox/conversations/${c.id}`)).body.lastMessage.kind, 'inbound')

  // Needs inbox.conversation.note; viewers lack it.
  const viewer = await w.agent('viewer', [team.id])
  assertError(t, await viewer.inject({ method: 'POST', url: `/api/inbox/conversations/${c.id}/notes`, payload: { text: 'hi' } }), 403, 'forbidden')
  t.equal((await w.get(viewer, `/api/inbox/conversations/${c.id}/messages`)).status, 200, 'viewers read their team conversations')
  assertError(t, await author.inject({ method: 'POST', url: `/api/inbox/conversations/${c.id}/notes`, payload: { text: '   ' } }), 400, 'text_required')
})

t.test('quick replies: CRUD, categories, /shortcut, render with variables', async (t) => {
  const w = await workspace(t)
  const { admin, h } = w
  const agent = await w.agent('agent')
  const create = (payload: object, who = admin) => who.inject({ method: 'POST', url: '/api/inbox/quick-replies', payload })
  const r1 = await create({ shortcut: '/salam', title: 'Salam', category: 'Umum', text: 'Halo {{contact.first_name | Kak}}, saya {{agent.name}}. Ada yang bisa dibantu?' })
  t.equal(r1.statusCode, 201, r1.body)
  t.equal(r1.json().shortcut, 'salam', 'stored without the slash, lower-case')
  t.equal((await create({ shortcut: 'promo', title: 'Promo', category: 'Sales', text: 'Diskon {{contact.nama}} untuk {{contact.phone}}' })).statusCode, 201)
  assertError(t, await create({ shortcut: 'SALAM', title: 'x', text: 'y' }), 409, 'shortcut_taken')
  assertError(t, await create({ shortcut: 'bad shortcut', title: 'x', text: 'y' }), 400, 'validation_failed')
  assertError(t, await create({ shortcut: 'x', title: 'x', text: 'y' }, agent), 403, 'forbidden')

  const list = (await w.get(agent, '/api/inbox/quick-replies')).body
  t.same(list.items.map((q: any) => q.shortcut), ['promo', 'salam'])
  t.same((await w.get(agent, '/api/inbox/quick-replies?q=/sal')).body.items.map((q: any) => q.shortcut), ['salam'], 'typing /sal finds /salam')
  t.same((await w.get(agent, '/api/inbox/quick-replies?category=Sales')).body.items.map((q: any) => q.shortcut), ['promo'])
  const paged = (await w.get(agent, '/api/inbox/quick-replies?limit=1')).body
  t.equal(paged.items.length, 1)
  t.same((await w.get(agent, `/api/inbox/quick-replies?limit=1&cursor=${paged.nextCursor}`)).body.items.map((q: any) => q.shortcut), ['salam'])

  await w.inbound('081260000001', 'halo', { name: 'Dewi Lestari' })
  const c = await w.conversationOf('+6281260000001')
  const rendered = await w.post(admin, `/api/inbox/quick-replies/${r1.json().id}/render`, { conversationId: c.id })
  t.equal(rendered.status, 200)
  t.equal(rendered.body.text, `Halo Dewi, saya admin user. Ada yang bisa dibantu?`)
  t.same(rendered.body.missing, [])
  const promo = list.items.find((q: any) => q.shortcut === 'promo')
  const r2 = await w.post(admin, `/api/inbox/quick-replies/${promo.id}/render`, { conversationId: c.id })
  t.equal(r2.body.text, 'Diskon {{contact.nama}} untuk +6281260000001', 'unknown variables stay as written')
  t.same(r2.body.unknown, ['contact.nama'])
  // The render follows visibility: an agent without the conversation gets 404.
  assertError(t, await agent.inject({ method: 'POST', url: `/api/inbox/quick-replies/${promo.id}/render`, payload: { conversationId: c.id } }), 404, 'conversation_not_found')

  const patched = await admin.inject({ method: 'PATCH', url: `/api/inbox/quick-replies/${promo.id}`, payload: { text: 'Diskon untuk {{ contact.name }}!' } })
  t.equal(patched.statusCode, 200)
  t.equal((await w.post(admin, `/api/inbox/quick-replies/${promo.id}/render`, { conversationId: c.id })).body.text, 'Diskon untuk Dewi Lestari!')
  t.equal((await admin.inject({ method: 'DELETE', url: `/api/inbox/quick-replies/${promo.id}` })).statusCode, 204)
  assertError(t, await admin.inject({ method: 'GET', url: `/api/inbox/quick-replies/${promo.id}` }), 404, 'quick_reply_not_found')
  const stranger = await h.login(await h.createTenant(), 'admin')
  assertError(t, await stranger.inject({ method: 'GET', url: `/api/inbox/quick-replies/${r1.json().id}` }), 404, 'quick_reply_not_found')
})

t.test('renderTemplate', async (t) => {
  const v = { 'contact.name': 'Budi', 'contact.first_name': 'Budi', 'agent.name': null }
  t.same(renderTemplate('Hi {{contact.name}}', v), { text: 'Hi Budi', missing: [], unknown: [] })
  t.same(renderTemplate('Hi {{ agent.name }}!', v), { text: 'Hi !', missing: ['agent.name'], unknown: [] })
  t.same(renderTemplate('Hi {{agent.name|tim kami}}', v), { text: 'Hi tim kami', missing: [], unknown: [] })
  t.same(renderTemplate('{{x}} {{ {{contact.name}} }}', v).text, '{{x}} {{ Budi }}')
})
