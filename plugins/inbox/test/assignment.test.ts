import t from 'tap'
import { assertError } from '@sapa/sdk/testing'
import { workspace } from './support/kernel.ts'

t.test('two agents claim one conversation at once: exactly one wins', async (t) => {
  const w = await workspace(t)
  const { admin } = w
  const team = await w.team('Support', [])
  const a1 = await w.agent('agent', [team.id])
  const a2 = await w.agent('agent', [team.id])
  for (let round = 0; round < 5; round++) {
    const phone = `08121000000${round}`
    await w.inbound(phone, 'halo')
    const c = await w.conversationOf(`+62${phone.slice(1)}`)
    await w.post(admin, `/api/inbox/conversations/${c.id}/assign`, { teamId: team.id })
    const [r1, r2] = await Promise.all([
      a1.inject({ method: 'POST', url: `/api/inbox/conversations/${c.id}/assign`, payload: { userId: a1.user.id } }),
      a2.inject({ method: 'POST', url: `/api/inbox/conversations/${c.id}/assign`, payload: { userId: a2.user.id } }),
    ])
    const statuses = [r1.statusCode, r2.statusCode].sort()
    t.same(statuses, [200, 409], `round ${round}: one 200, one 409`)
    const loser = r1.statusCode === 409 ? r1 : r2
    const winner = r1.statusCode === 200 ? a1 : a2
    assertError(t, loser, 409, 'already_assigned')
    t.equal(loser.json().error.details.assigneeId, winner.user.id, 'the 409 names who has it')
    const now = (await w.get(admin, `/api/inbox/conversations/${c.id}`)).body
    t.equal(now.assignee.id, winner.user.id)
    // Claiming again what one already has is fine.
    t.equal((await w.post(winner, `/api/inbox/conversations/${c.id}/assign`, { userId: winner.user.id })).status, 200)
  }
  const systemLines = await w.h.services.db('inbox_messages').where({ tenant_id: w.tenant.id, kind: 'system' }).whereRaw(`payload->>'event' = 'assigned'`).whereRaw(`payload->>'assigneeId' is not null`)
  t.equal(systemLines.length, 5, 'one "assigned" line per conversation: the loser wrote nothing')
})

t.test('assign, transfer, unassign: who may do what', async (t) => {
  const w = await workspace(t)
  const { admin, h } = w
  const sales = await w.team('Sales', [])
  const support = await w.team('Support', [])
  const junior = await w.agent('junior_agent', [sales.id])
  const agent = await w.agent('agent', [sales.id])
  const senior = await w.agent('senior_agent', [sales.id])
  const helper = await w.agent('agent', [support.id])
  await w.inbound('081230000001', 'halo')
  const c = await w.conversationOf('+6281230000001')
  await w.post(admin, `/api/inbox/conversations/${c.id}/assign`, { teamId: sales.id })

  // Agents may claim for themselves, not for others.
  assertError(t, await agent.inject({ method: 'POST', url: `/api/inbox/conversations/${c.id}/assign`, payload: { userId: junior.user.id } }), 403, 'forbidden')
  t.equal((await w.post(junior, `/api/inbox/conversations/${c.id}/assign`, { userId: junior.user.id })).status, 200, 'junior agents reply, so they claim')
  // The assignee hands over to a colleague.
  const handed = await w.post(junior, `/api/inbox/conversations/${c.id}/transfer`, { userId: agent.user.id })
  t.equal(handed.status, 200, JSON.stringify(handed.body))
  t.equal(handed.body.assignee.id, agent.user.id)
  // Not the assignee and no assign permission: refused.
  assertError(t, await junior.inject({ method: 'POST', url: `/api/inbox/conversations/${c.id}/transfer`, payload: { userId: junior.user.id } }), 403, 'forbidden')
  assertError(t, await junior.inject({ method: 'POST', url: `/api/inbox/conversations/${c.id}/unassign` }), 403, 'forbidden')
  // Senior agents take over, with the version they saw: a stale one is refused.
  const seen = (await w.get(senior, `/api/inbox/conversations/${c.id}`)).body
  await w.post(agent, `/api/inbox/conversations/${c.id}/notes`, { text: 'notes do not change the version' })
  t.equal((await w.get(senior, `/api/inbox/conversations/${c.id}`)).body.version, seen.version)
  await w.post(admin, `/api/inbox/conversations/${c.id}/status`, { status: 'pending' })
  assertError(t, await senior.inject({ method: 'POST', url: `/api/inbox/conversations/${c.id}/transfer`, payload: { userId: senior.user.id, version: seen.version } }), 409, 'version_conflict')
  const fresh = (await w.get(senior, `/api/inbox/conversations/${c.id}`)).body
  t.equal((await w.post(senior, `/api/inbox/conversations/${c.id}/transfer`, { userId: senior.user.id, version: fresh.version })).status, 200)
  // Transfer to another team: unassigned there; the old team no longer sees it.
  const moved = await w.post(senior, `/api/inbox/conversations/${c.id}/transfer`, { teamId: support.id })
  t.equal(moved.status, 200)
  t.match(moved.body, { assignee: null, teamId: support.id })
  assertError(t, await agent.inject({ method: 'GET', url: `/api/inbox/conversations/${c.id}` }), 404, 'conversation_not_found')
  t.equal((await w.get(helper, `/api/inbox/conversations/${c.id}`)).status, 200)
  // Assign to a user of the team; unassign.
  t.equal((await w.post(admin, `/api/inbox/conversations/${c.id}/assign`, { userId: helper.user.id, teamId: support.id })).status, 200)
  assertError(t, await admin.inject({ method: 'POST', url: `/api/inbox/conversations/${c.id}/assign`, payload: { userId: agent.user.id } }), 409, 'already_assigned')
  const un = await w.post(helper, `/api/inbox/conversations/${c.id}/unassign`)
  t.equal(un.status, 200)
  t.equal(un.body.assignee, null)

  // Bad targets.
  const stranger = await h.login(await h.createTenant(), 'agent')
  assertError(t, await admin.inject({ method: 'POST', url: `/api/inbox/conversations/${c.id}/assign`, payload: { userId: stranger.user.id } }), 400, 'user_not_member')
  assertError(t, await admin.inject({ method: 'POST', url: `/api/inbox/conversations/${c.id}/assign`, payload: { userId: agent.user.id, teamId: support.id } }), 400, 'not_team_member')
  assertError(t, await admin.inject({ method: 'POST', url: `/api/inbox/conversations/${c.id}/assign`, payload: { teamId: '01a20f3d-015c-700c-a543-b446c6de3bed' } }), 404, 'team_not_found')
  assertError(t, await admin.inject({ method: 'POST', url: `/api/inbox/conversations/${c.id}/assign`, payload: {} }), 400, 'assignee_required')
  // Resolving needs inbox.conversation.resolve: junior agents lack it.
  assertError(t, await junior.inject({ method: 'POST', url: `/api/inbox/conversations/${c.id}/status`, payload: { status: 'resolved' } }), 403, 'forbidden')
  // The audit log has the assignments.
  const audit = await h.services.db('audit_log').where({ tenant_id: w.tenant.id }).where('action', 'like', 'inbox.conversation.%').count('* as n')
  t.ok(Number(audit[0].n) > 0, 'assignments are audited')
})

t.test('auto-assignment: round robin among online agents, within capacity', async (t) => {
  const w = await workspace(t)
  const { admin, h } = w
  const team = await w.team('Auto', [], { autoAssign: true, capacity: 2, sessionIds: [w.session.id] })
  const a = await w.agent('agent', [team.id])
  const b = await w.agent('agent', [team.id])
  const c = await w.agent('agent', [team.id])
  for (const who of [a, b]) t.equal((await who.inject({ method: 'PUT', url: '/api/inbox/presence', payload: { status: 'online' } })).statusCode, 200)
  const names = new Map([[a.user.id, 'Ayu'], [b.user.id, 'Budi']])
  for (const [id, name] of names) await h.services.db('users').where({ id }).update({ name })
  await c.inject({ method: 'PUT', url: '/api/inbox/presence', payload: { status: 'away' } })

  const phones = ['081240000001', '081240000002', '081240000003', '081240000004', '081240000005']
  for (const phone of phones) {
    await w.inbound(phone, 'halo')
    await w.conversationOf(`+62${phone.slice(1)}`)
    await w.idle()
  }
  const list = (await w.get(admin, '/api/inbox/conversations?limit=10')).body.items.reverse() // oldest first
  const owners = list.map((x: any) => x.assignee?.id ?? null)
  const [first, second] = [owners[0], owners[1]]
  t.ok([a.user.id, b.user.id].includes(first) && [a.user.id, b.user.id].includes(second) && first !== second, 'the first two go to the two online agents')
  t.same(owners.slice(0, 4), [first, second, first, second], 'round robin')
  t.equal(owners[4], null, 'both at capacity (2): the fifth waits')
  t.notOk(owners.includes(c.user.id), 'the away agent gets nothing')
  const autoLines = await h.services.db('inbox_messages').where({ tenant_id: w.tenant.id, kind: 'system' }).whereRaw(`payload->>'auto' = 'true'`).select('text', 'payload')
  t.equal(autoLines.length, 4, 'a system line per automatic assignment')
  for (const line of autoLines) {
    t.equal(line.text, `Assigned automatically to ${names.get(line.payload.assigneeId)}`, 'naming the agent it went to')
  }

  // Capacity frees up when one is resolved: the waiting one goes to that agent.
  await w.post(admin, `/api/inbox/conversations/${list[0].id}/status`, { status: 'resolved' })
  await w.idle()
  t.equal((await w.get(admin, `/api/inbox/conversations/${list[4].id}`)).body.assignee?.id, first)

  // An agent coming online picks up waiting work.
  await w.inbound('081240000006', 'halo')
  await w.conversationOf('+6281240000006')
  await w.idle()
  const sixth = (await w.get(admin, '/api/inbox/conversations?assignee=none')).body.items
  t.equal(sixth.length, 1, 'waits: everyone online is full')
  await c.inject({ method: 'PUT', url: '/api/inbox/presence', payload: { status: 'online' } })
  await w.idle()
  t.equal((await w.get(admin, `/api/inbox/conversations/${sixth[0].id}`)).body.assignee?.id, c.user.id)

  // Agents without a heartbeat for autoAwayMinutes are away: no work for them.
  h.clock.advance(6 * 60_000)
  await c.inject({ method: 'POST', url: '/api/inbox/presence/heartbeat' })
  await w.post(admin, `/api/inbox/conversations/${sixth[0].id}/status`, { status: 'resolved' }) // c has room for 2 again
  await w.post(admin, `/api/inbox/conversations/${list[1].id}/status`, { status: 'resolved' }) // so has `second`, but it is away
  await w.inbound('081240000007', 'halo')
  await w.conversationOf('+6281240000007')
  await w.idle()
  const seventh = (await w.get(admin, '/api/inbox/conversations?limit=1')).body.items[0]
  t.equal(seventh.assignee?.id, c.user.id, 'only the agent with a heartbeat gets new work')
})

t.test('presence: set, heartbeat, auto-away', async (t) => {
  const w = await workspace(t)
  const { h } = w
  const agent = await w.agent('agent')
  const put = (status: string) => agent.inject({ method: 'PUT', url: '/api/inbox/presence', payload: { status } })
  const mine = async () => (await w.get(w.admin, '/api/inbox/presence')).body.items.find((p: any) => p.userId === agent.user.id)
  t.equal((await put('online')).json().status, 'online')
  t.equal((await mine()).status, 'online')
  assertError(t, await put('busy'), 400, 'validation_failed')

  // Five minutes (the default) without a heartbeat: away at once for readers, and in the table after the sweep.
  h.clock.advance(4 * 60_000)
  t.equal((await mine()).status, 'online')
  await agent.inject({ method: 'POST', url: '/api/inbox/presence/heartbeat' })
  h.clock.advance(5 * 60_000 + 1000)
  t.equal((await mine()).status, 'away', 'no heartbeat for 5 minutes: away')
  await w.maintenance()
  t.equal((await h.services.db('inbox_presence').where({ tenant_id: w.tenant.id, user_id: agent.user.id }).first()).status, 'away', 'the sweep wrote it')
  // A heartbeat brings them back; a chosen "away" is not undone by heartbeats.
  t.equal((await agent.inject({ method: 'POST', url: '/api/inbox/presence/heartbeat' })).json().status, 'online')
  t.equal((await put('away')).json().status, 'away')
  t.equal((await agent.inject({ method: 'POST', url: '/api/inbox/presence/heartbeat' })).json().status, 'away')
  t.equal((await put('offline')).json().status, 'offline')

  // Settings: a shorter auto-away.
  const res = await w.admin.inject({ method: 'PUT', url: '/api/plugins/inbox/settings', payload: { autoAwayMinutes: 1 } })
  if (res.statusCode === 200) {
    await put('online')
    h.clock.advance(61_000)
    t.equal((await mine()).status, 'away', 'the tenant setting applies')
  } else t.comment(`settings route: ${res.statusCode} ${res.body}`)

  // API keys have no presence.
  const key = await h.apiKey(w.tenant, 'agent')
  assertError(t, await key.inject({ method: 'PUT', url: '/api/inbox/presence', payload: { status: 'online' } }), 400, 'user_required')
})
