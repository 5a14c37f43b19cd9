import t from 'tap'
import { assertError } from '@sapa/sdk/testing'
import { workspace } from './support/kernel.ts'
import { portOf, realtimeClient } from '@sapa/sdk/testing'

/**
 * Teams A and B. Five conversations:
 *   c1 no team, unassigned        c2 team A, unassigned       c3 team A, assigned to a2
 *   c4 team B, assigned to b      c5 no team, assigned to a1
 * a1 and a2 are agents in A, b an agent in B, lone an agent in no team, lead a team lead (view_all).
 */
t.test('visibility per role and team: list, get, thread, search, realtime', async (t) => {
  const w = await workspace(t)
  const { admin, h } = w
  const teamA = await w.team('Team A', [])
  const teamB = await w.team('Team B', [])
  const a1 = await w.agent('agent', [teamA.id])
  const a2 = await w.agent('agent', [teamA.id])
  const b = await w.agent('agent', [teamB.id])
  const lone = await w.agent('agent')
  const lead = await w.agent('team_lead')

  const phones = ['081200000001', '081200000002', '081200000003', '081200000004', '081200000005']
  for (const [i, phone] of phones.entries()) await w.inbound(phone, `pesanan nomor kata${i + 1}`)
  const c: any[] = []
  for (const phone of phones) c.push(await w.conversationOf(`+62${phone.slice(1)}`))
  const assign = async (id: string, body: object) => {
    const res = await w.post(admin, `/api/inbox/conversations/${id}/assign`, body)
    if (res.status !== 200) throw new Error(JSON.stringify(res.body))
  }
  await assign(c[1].id, { teamId: teamA.id })
  await assign(c[2].id, { teamId: teamA.id, userId: a2.user.id })
  await assign(c[3].id, { teamId: teamB.id, userId: b.user.id })
  await assign(c[4].id, { userId: a1.user.id })
  await w.idle()

  const ids = (list: any) => list.items.map((x: any) => x.id).sort()
  const expected = (...n: number[]) => n.map((i) => c[i - 1].id).sort()
  const sees: [string, any, number[]][] = [
    ['a1: own, team A', a1, [2, 3, 5]],
    ['a2: team A', a2, [2, 3]],
    ['b: team B', b, [4]],
    ['lone: nothing', lone, []],
    ['lead: all', lead, [1, 2, 3, 4, 5]],
  ]
  for (const [label, who, visible] of sees) {
    t.same(ids((await w.get(who, '/api/inbox/conversations')).body), expected(...visible), `${label}: list`)
    for (const [i, conv] of c.entries()) {
      const can = visible.includes(i + 1)
      const one = await who.inject({ method: 'GET', url: `/api/inbox/conversations/${conv.id}` })
      const thread = await who.inject({ method: 'GET', url: `/api/inbox/conversations/${conv.id}/messages` })
      if (can) {
        t.equal(one.statusCode, 200, `${label}: get c${i + 1}`)
        t.equal(thread.statusCode, 200, `${label}: thread c${i + 1}`)
      } else {
        assertError(t, one, 404, 'conversation_not_found', `${label}: get c${i + 1}`)
        assertError(t, thread, 404, 'conversation_not_found', `${label}: thread c${i + 1}`)
      }
    }
    for (const probe of ['1000', '1']) {
      process.env.SAPA_INBOX_SEARCH_PROBE = probe // both search plans
      const found = (await w.get(who, '/api/inbox/search?q=pesanan')).body
      t.same(found.messages.map((m: any) => m.conversationId).sort(), expected(...visible), `${label}: search (probe ${probe})`)
    }
    delete process.env.SAPA_INBOX_SEARCH_PROBE
    // Mutations follow the same rule.
    const hidden = c.find((_, i) => !visible.includes(i + 1))
    if (hidden) assertError(t, await who.inject({ method: 'POST', url: `/api/inbox/conversations/${hidden.id}/notes`, payload: { text: 'x' } }), 404, 'conversation_not_found', `${label}: note on a hidden one`)
  }

  // Filters.
  t.same(ids((await w.get(a1, '/api/inbox/conversations?assignee=me')).body), expected(5))
  t.same(ids((await w.get(a1, '/api/inbox/conversations?assignee=none')).body), expected(2))
  t.same(ids((await w.get(lead, `/api/inbox/conversations?team=${teamB.id}`)).body), expected(4))
  t.same(ids((await w.get(lead, '/api/inbox/conversations?team=none')).body), expected(1, 5))
  t.same(ids((await w.get(a2, `/api/inbox/conversations?team=${teamB.id}`)).body), [], 'a filter never widens what one sees')
  await w.post(admin, `/api/inbox/conversations/${c[2].id}/status`, { status: 'resolved' })
  t.same(ids((await w.get(a1, '/api/inbox/conversations?status=open')).body), expected(2, 5))
  await admin.inject({ method: 'PATCH', url: `/api/inbox/conversations/${c[1].id}`, payload: { addLabels: ['vip', 'order'], priority: 'high' } })
  t.same(ids((await w.get(lead, '/api/inbox/conversations?label=vip')).body), expected(2))
  t.same(ids((await w.get(lead, '/api/inbox/conversations?priority=high')).body), expected(2))
  t.same(ids((await w.get(b, '/api/inbox/conversations?label=vip')).body), [])

  // Realtime: the same rule decides who may subscribe.
  const port = await portOf(h)
  const ra1 = await realtimeClient(t, port, a1)
  t.match(await ra1.subscribe(`conversation:${c[1].id}`), { type: 'subscribed' }, 'a1 may watch a team A conversation')
  t.match(await ra1.subscribe(`conversation:${c[3].id}`), { type: 'error', code: 'forbidden' }, 'not team B')
  t.match(await ra1.subscribe(`conversation:${c[0].id}`), { type: 'error', code: 'forbidden' }, 'not an unassigned one outside the teams')
  t.match(await ra1.subscribe('inbox:all'), { type: 'error', code: 'forbidden' }, 'inbox:all needs view_all')
  t.match(await ra1.subscribe(`inbox:user.${a2.user.id}`), { type: 'error', code: 'forbidden' }, "not another agent's inbox")
  t.match(await ra1.subscribe(`inbox:user.${a1.user.id}`), { type: 'subscribed' })
  const rlead = await realtimeClient(t, port, lead)
  t.match(await rlead.subscribe('inbox:all'), { type: 'subscribed' })
  t.match(await rlead.subscribe(`conversation:${c[3].id}`), { type: 'subscribed' })

  // Another tenant's conversation is not even visible to its view_all holders.
  const other = await h.createTenant()
  const otherLead = await h.login(other, 'super_admin')
  assertError(t, await otherLead.inject({ method: 'GET', url: `/api/inbox/conversations/${c[0].id}` }), 404, 'conversation_not_found')
  t.same((await w.get(otherLead, '/api/inbox/conversations')).body.items, [])
  t.same((await w.get(otherLead, '/api/inbox/search?q=pesanan')).body.messages, [])
  const rother = await realtimeClient(t, port, otherLead)
  t.match(await rother.subscribe(`conversation:${c[0].id}`), { type: 'error', code: 'forbidden' })
})

t.test('realtime: agents who may see a conversation get its changes, others do not', async (t) => {
  const w = await workspace(t)
  const { admin, h } = w
  const teamA = await w.team('Team A', [])
  const teamB = await w.team('Team B', [])
  await admin.inject({ method: 'PATCH', url: `/api/inbox/teams/${teamA.id}`, payload: { sessionIds: [w.session.id] } })
  const a1 = await w.agent('agent', [teamA.id])
  const a2 = await w.agent('agent', [teamA.id])
  const b = await w.agent('agent', [teamB.id])
  const port = await portOf(h)
  const tabs = { a1: await realtimeClient(t, port, a1), a1second: await realtimeClient(t, port, a1), a2: await realtimeClient(t, port, a2), b: await realtimeClient(t, port, b) }
  for (const [name, tab] of Object.entries(tabs)) {
    const who = name.startsWith('a1') ? a1 : name === 'a2' ? a2 : b
    t.match(await tab.subscribe(`inbox:user.${who.user.id}`), { type: 'subscribed' })
  }

  // A new conversation on the number: routed to team A (the team claims the number).
  await w.inbound('081255556666', 'Halo tim A')
  const c = await w.conversationOf('+6281255556666')
  t.equal(c.teamId, teamA.id, 'routed to the team that claims the number')
  for (const name of ['a1', 'a1second', 'a2'] as const) {
    t.ok(await tabs[name].waitFor((m) => m.event === 'conversation.updated' && m.data.id === c.id), `${name} hears about it`)
  }
  t.match(await tabs.a1.subscribe(`conversation:${c.id}`), { type: 'subscribed' })
  t.match(await tabs.a1second.subscribe(`conversation:${c.id}`), { type: 'subscribed' })

  // Two browsers of a1 see the same new message and the same assignment.
  await w.inbound('081255556666', 'Ada yang bisa bantu?')
  for (const tab of [tabs.a1, tabs.a1second]) {
    const m = await tab.waitFor((x) => x.topic === `conversation:${c.id}` && x.event === 'message.created' && x.data.text === 'Ada yang bisa bantu?')
    t.ok(m, 'message.created on the conversation topic')
  }
  const claimed = await w.post(a1, `/api/inbox/conversations/${c.id}/assign`, { userId: a1.user.id })
  t.equal(claimed.status, 200)
  for (const tab of [tabs.a1, tabs.a1second, tabs.a2]) {
    t.ok(await tab.waitFor((m) => m.event === 'conversation.updated' && m.data.id === c.id && m.data.assignee?.id === a1.user.id), 'assignment seen')
  }
  const sent = await w.post(a1, `/api/inbox/conversations/${c.id}/messages`, { type: 'text', text: 'Bisa kak' })
  for (const tab of [tabs.a1, tabs.a1second]) {
    t.ok(await tab.waitFor((m) => m.topic === `conversation:${c.id}` && m.event === 'message.status' && m.data.id === sent.body.id && m.data.status === 'read'), 'ticks seen')
  }
  await w.idle()
  t.notOk(tabs.b.messages.some((m) => m.data?.id === c.id || m.data?.conversationId === c.id), 'team B heard nothing of it')

  // Transferred to team B: team A's agents are told it left their inbox; b hears about it.
  const moved = await w.post(admin, `/api/inbox/conversations/${c.id}/transfer`, { teamId: teamB.id })
  t.equal(moved.status, 200, JSON.stringify(moved.body))
  t.ok(await tabs.a2.waitFor((m) => m.event === 'conversation.hidden' && m.data.id === c.id), 'a2: hidden')
  t.ok(await tabs.b.waitFor((m) => m.event === 'conversation.updated' && m.data.id === c.id), 'b: now in their inbox')
  assertError(t, await a2.inject({ method: 'GET', url: `/api/inbox/conversations/${c.id}` }), 404, 'conversation_not_found')
})
