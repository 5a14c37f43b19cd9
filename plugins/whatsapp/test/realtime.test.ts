import t from 'tap'
import { sandboxNumber, until } from './support/kernel.ts'
import { multipart, PNG } from './support/multipart.ts'
import { portOf, realtimeClient } from '@sapa/sdk/testing'

/** Tenants apart: the `session:<id>` realtime topic, and every whatsapp route called with another tenant's ids. */

t.test('tenants apart', async (t) => {
  const { h, admin, session, tenant } = await sandboxNumber(t)
  const port = await portOf(h)
  const other = await h.createTenant()
  const stranger = await h.login(other, 'admin')
  const theirs = (await stranger.inject({ method: 'POST', url: '/api/whatsapp/sessions', payload: { name: 'B', driver: 'sandbox' } })).json()

  // Tenant A: one of everything (a sent message, a received one, an uploaded file).
  const sent = (await admin.inject({ method: 'POST', url: '/api/whatsapp/messages', payload: { sessionId: session.id, to: '081234567890', type: 'text', text: 'dari A' } })).json()
  await until(async () => (await admin.inject({ method: 'GET', url: `/api/whatsapp/messages/${sent.id}` })).json().status === 'read')
  const injected = await admin.inject({ method: 'POST', url: `/api/whatsapp/sandbox/${session.id}/inbound`, payload: { from: '081234567890', type: 'image', media: { data: PNG.toString('base64') }, id: 'wamid.a.1' } })
  t.equal(injected.statusCode, 202)
  const received = await until(async () => (await admin.inject({ method: 'GET', url: `/api/whatsapp/messages?direction=in` })).json().items[0])
  t.ok(received.media?.id, 'the received image has a file')
  const uploaded = (await admin.inject({ method: 'POST', url: '/api/whatsapp/media', ...multipart([{ name: 'file', filename: 'a.png', type: 'image/png', data: PNG }]) })).json()

  await t.test('realtime: session:<id> is for members who may view numbers, of that tenant only', async (t) => {
    const topic = `session:${session.id}`
    const mine = await realtimeClient(t, port, admin)
    t.match(await mine.subscribe(topic), { type: 'subscribed' }, "A's admin subscribes")
    const junior = await h.login(tenant, 'junior_agent')
    const j = await realtimeClient(t, port, junior)
    t.match(await j.subscribe(topic), { type: 'subscribed' }, 'a junior agent (whatsapp.session.view) subscribes')

    const s = await realtimeClient(t, port, stranger)
    t.match(await s.subscribe(topic), { type: 'error', code: 'forbidden' }, "another tenant's admin is refused A's number")
    t.match(await s.subscribe(`session:${theirs.id}`), { type: 'subscribed' }, 'but may follow its own')
    const guest = await h.login(tenant, 'guest')
    const g = await realtimeClient(t, port, guest)
    t.match(await g.subscribe(topic), { type: 'error', code: 'forbidden' }, 'a guest lacks whatsapp.session.view')
    t.match(await mine.subscribe('session:not-a-uuid'), { type: 'error' }, 'a malformed id is refused, not a crash')
    t.match(await mine.subscribe('session:01a20f3d-015c-700c-a543-b446c6de3bed'), { type: 'error', code: 'forbidden' }, 'an unknown number is refused')
    t.match(await mine.subscribe('session'), { type: 'error' }, 'the topic needs an id')

    // Traffic on A's number reaches A's sockets and nobody else's.
    const res = await admin.inject({ method: 'POST', url: '/api/whatsapp/messages', payload: { sessionId: session.id, to: '081234567890', type: 'text', text: 'rahasia A' } })
    const id = res.json().id
    t.ok(await mine.waitFor((m) => m.topic === topic && m.event === 'message.queued' && m.data.id === id), 'message.queued pushed')
    const statuses = await until(async () => {
      const seen = mine.events(topic, 'message.status').filter((m) => m.data.id === id).map((m) => m.data.status)
      return seen.includes('read') && seen
    })
    t.same(statuses, ['sent', 'delivered', 'read'], 'message.status: sent, delivered, read')
    await admin.inject({ method: 'POST', url: `/api/whatsapp/sandbox/${session.id}/inbound`, payload: { from: '081234567890', type: 'text', text: 'balasan', id: 'wamid.a.2' } })
    t.ok(await j.waitFor((m) => m.event === 'message.received' && m.data.providerId === 'wamid.a.2'), 'message.received pushed to the junior agent')
    await new Promise((r) => setTimeout(r, 200))
    t.notOk([...s.messages, ...g.messages].some((m) => JSON.stringify(m).includes('rahasia') || JSON.stringify(m).includes('balasan')), 'the stranger and the guest saw nothing')

    // Losing the permission ends the subscription.
    const demoted = await admin.inject({ method: 'PATCH', url: `/api/users/${junior.user.id}`, payload: { role: 'guest' } })
    t.equal(demoted.statusCode, 200, demoted.body)
    const dropped = await j.waitFor((m) => m.topic === topic && m.type === 'error' && m.code === 'forbidden')
    t.ok(dropped, 'a demoted user is told the subscription is forbidden')
    const count = j.events(topic).length
    await admin.inject({ method: 'POST', url: `/api/whatsapp/sandbox/${session.id}/inbound`, payload: { from: '081234567890', type: 'text', text: 'setelah', id: 'wamid.a.3' } })
    t.ok(await mine.waitFor((m) => m.event === 'message.received' && m.data.providerId === 'wamid.a.3'))
    await new Promise((r) => setTimeout(r, 200))
    t.equal(j.events(topic).length, count, 'and gets no further events')
  })

  await t.test("every whatsapp route: tenant B's admin gets 404 for A's ids", async (t) => {
    const { db } = h.services
    const stable = async () => ({
      sessions: await db('whatsapp_sessions').where({ tenant_id: tenant.id }).orderBy('id').select('id', 'name', 'settings', 'desired', 'driver', 'config_sealed'),
      messages: await db('whatsapp_messages').where({ tenant_id: tenant.id }).orderBy('id').select('id', 'text', 'peer', 'type', 'media_id', 'idempotency_key'),
      media: await db('whatsapp_media').where({ tenant_id: tenant.id }).orderBy('id').select('id', 'mime', 'filename', 'sha256'),
      state: await db('whatsapp_driver_state').where({ tenant_id: tenant.id }).orderBy('key').select('key'),
    })
    const before = await stable()
    const aIds: [string, string][] = [
      ['session', session.id],
      ['sent message', sent.id],
      ['received message', received.id],
      ['received media', received.media.id],
      ['uploaded media', uploaded.id],
    ]
    const routes = h.app.sapaRoutes.filter((r) => r.url.startsWith('/api/whatsapp') && !r.config.public)
    t.ok(routes.length >= 12, `enumerated ${routes.length} whatsapp routes`)
    // A body each route accepts, so the lookup (not the schema) answers.
    const bodies: Record<string, unknown> = {
      'POST /api/whatsapp/sandbox/:sessionId/inbound': { from: '081234567890', type: 'text', text: 'x' },
      'PATCH /api/whatsapp/sessions/:id': { name: 'stolen' },
      'POST /api/whatsapp/sessions/:id/connect': { pairingPhone: '081234567890' },
    }
    let calls = 0
    for (const route of routes) {
      const params = [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1])
      if (!params.length) continue
      for (const [label, id] of aIds) {
        const url = params.reduce((u, name) => u.replace(`:${name}`, id), route.url)
        const key = `${route.method} ${route.url}`
        const payload = ['POST', 'PUT', 'PATCH'].includes(route.method) ? (bodies[key] ?? {}) : undefined
        const res = await stranger.inject({ method: route.method as any, url, ...(payload !== undefined ? { payload: payload as any } : {}) })
        calls++
        t.equal(res.statusCode, 404, `${key} with A's ${label} → ${res.statusCode}`, { body: res.body })
        t.notMatch(res.body, new RegExp(aIds.map(([, i]) => i).join('|')), `${key}: no id of A in the answer`)
      }
    }
    t.ok(calls >= 40, `${calls} calls with A's ids in the path`)

    // Ids in bodies and queries.
    const bSession = theirs.id
    const cases: [string, any, number][] = [
      ['send on A\'s number', { method: 'POST', url: '/api/whatsapp/messages', payload: { sessionId: session.id, to: '081234567890', type: 'text', text: 'x' } }, 404],
      ["send A's media", { method: 'POST', url: '/api/whatsapp/messages', payload: { sessionId: bSession, to: '081234567890', type: 'image', mediaId: uploaded.id } }, 404],
      ["send A's received media as a document", { method: 'POST', url: '/api/whatsapp/messages', payload: { sessionId: bSession, to: '081234567890', type: 'document', mediaId: received.media.id } }, 404],
    ]
    for (const [label, req, status] of cases) {
      const res = await stranger.inject(req)
      t.equal(res.statusCode, status, `${label} → ${res.statusCode}`)
    }
    const reply = await stranger.inject({ method: 'POST', url: '/api/whatsapp/messages', payload: { sessionId: bSession, to: '081234567890', type: 'text', text: 'x', replyTo: sent.id } })
    t.ok([400, 404].includes(reply.statusCode), `a reply to A's message is refused (${reply.statusCode})`)
    t.notMatch(reply.body, new RegExp(sent.providerId), "and does not reveal A's provider id")
    const react = await stranger.inject({ method: 'POST', url: '/api/whatsapp/messages', payload: { sessionId: bSession, to: '081234567890', type: 'reaction', reaction: { messageId: sent.id, emoji: '👍' } } })
    t.ok([400, 404].includes(react.statusCode), `a reaction to A's message is refused (${react.statusCode})`)
    for (const query of [`sessionId=${session.id}`, 'direction=in', 'direction=out', `peer=081234567890`, '']) {
      const list = await stranger.inject({ method: 'GET', url: `/api/whatsapp/messages?${query}` })
      t.equal(list.statusCode, 200)
      t.same(list.json().items, [], `messages?${query}: nothing of A`)
    }
    const sessions = (await stranger.inject({ method: 'GET', url: '/api/whatsapp/sessions' })).json()
    t.same(sessions.items.map((s: any) => s.id), [bSession], 'sessions: only its own')

    t.same(await stable(), before, "A's rows are untouched")
    t.equal((await admin.inject({ method: 'GET', url: `/api/whatsapp/sessions/${session.id}` })).json().status, 'connected', "A's number still runs")
  })
})
