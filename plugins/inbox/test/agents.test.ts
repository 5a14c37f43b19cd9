import t from 'tap'
import { assertError } from '@sapa/sdk/testing'
import { workspace } from './support/kernel.ts'

t.test('agents: the active members who may answer, with presence, tenant-scoped and paged', async (t) => {
  const w = await workspace(t)
  const { admin, h, tenant } = w
  const agent = await w.agent('agent')
  const viewer = await w.agent('viewer')
  const gone = await h.createUser(tenant, 'agent', { active: false })
  const other = await h.createTenant()
  const stranger = await h.login(other, 'admin')

  t.equal((await w.post(agent, '/api/inbox/presence/heartbeat')).status, 200)
  const list = await w.get(viewer, '/api/inbox/agents')
  t.equal(list.status, 200, 'a viewer may list them (they see assignees anyway)')
  const ids = list.body.items.map((a: any) => a.id)
  t.ok(ids.includes(admin.user.id) && ids.includes(agent.user.id), 'the active members who may answer')
  t.notOk(ids.includes(viewer.user.id), 'not a viewer: their role cannot answer customers')
  t.notOk(ids.includes(gone.id), 'not a deactivated member')
  t.notOk(ids.includes(stranger.user.id), 'not another tenant’s users')
  t.same(Object.keys(list.body.items[0]).sort(), ['id', 'name', 'presence'], 'no email')
  t.equal(list.body.items.find((a: any) => a.id === agent.user.id).presence, 'online')
  t.equal(list.body.items.find((a: any) => a.id === admin.user.id).presence, 'offline', 'no presence row: offline')
  t.same(ids, [...ids].sort(), 'ordered by id')

  const first = await w.get(admin, '/api/inbox/agents?limit=1')
  t.equal(first.body.items.length, 1)
  t.ok(first.body.nextCursor)
  const second = await w.get(admin, `/api/inbox/agents?limit=1&cursor=${first.body.nextCursor}`)
  t.equal(second.body.items.length, 1)
  t.not(second.body.items[0].id, first.body.items[0].id, 'the next page')

  const found = await w.get(admin, `/api/inbox/agents?q=${encodeURIComponent(list.body.items.find((a: any) => a.id === agent.user.id).name.toUpperCase())}`)
  t.same(found.body.items.map((a: any) => a.id), [agent.user.id], 'q matches the name, any case')
  t.same((await w.get(admin, '/api/inbox/agents?q=%25')).body.items, [], 'a % is a character, not a wildcard')

  assertError(t, await admin.inject({ method: 'GET', url: '/api/inbox/agents?cursor=bm9wZQ' }), 400, 'invalid_cursor')

  // Nor can a conversation be handed to them.
  await w.inbound('0812-3000-7000', 'Halo', { name: 'Rudi' })
  const c = await w.conversationOf('+6281230007000')
  assertError(t, await admin.inject({ method: 'POST', url: `/api/inbox/conversations/${c.id}/assign`, payload: { userId: viewer.user.id } }), 400, 'user_cannot_reply')
  t.equal((await w.post(admin, `/api/inbox/conversations/${c.id}/assign`, { userId: agent.user.id })).status, 200, 'an agent can be given it')
})
