import t from 'tap'
import { newId } from '@sapa/sdk'
import { createBatchedWrites, type MessageInsert } from '../server/batched-writes.ts'
import { createInbound } from '../server/inbound.ts'
import { createMediaStore } from '../server/media.ts'
import { sandboxNumber } from './support/kernel.ts'

/** What batching must not change: one winner per unique key, receipts forward only, items kept apart. */
t.test('batched writes', async (t) => {
  const { h, tenant, session } = await sandboxNumber(t)
  const ctx = h.services.plugins.get('whatsapp')!.ctx
  const writes = createBatchedWrites(ctx)
  const inbound = createInbound(ctx, createMediaStore(ctx), writes)
  const db = h.services.db
  const now = new Date()
  const row = (over: Partial<MessageInsert>): MessageInsert => ({
    tenant_id: tenant.id, id: newId(), session_id: session.id, direction: 'out', peer: '+6281234567890', type: 'text', text: 'hi',
    status: 'sent', status_rank: 2, created_at: now, updated_at: now, ...over,
  })

  await t.test('the same provider id five times in one batch: one row, one winner', async (t) => {
    const rows = Array.from({ length: 5 }, () => row({ direction: 'in', provider_id: 'wamid.same', status: 'received', status_rank: 0 }))
    const results = await Promise.all(rows.map((r) => writes.insertInbound(r)))
    t.equal(results.filter(Boolean).length, 1, 'exactly one call gets the stored row')
    t.equal(results.find(Boolean)!.id, rows[results.findIndex(Boolean)].id, 'and it is that call’s own row')
    t.equal(Number((await db('whatsapp_messages').where({ provider_id: 'wamid.same' }).count('* as c'))[0].c), 1)
  })

  await t.test('the row handed back is the row as stored, defaults included', async (t) => {
    const given = row({ direction: 'in', provider_id: 'wamid.shape', status: 'received', status_rank: 0, payload: JSON.stringify({ location: { lat: -6.2, lng: 106.8 } }), reply_to: 'wamid.x', text: 'héllo 👋 \u200f' })
    const returned = await writes.insertInbound(given)
    const stored = await db('whatsapp_messages').where({ tenant_id: tenant.id, id: given.id }).first()
    t.same(returned, stored, 'every column, same values')
    t.same(Object.keys(returned!).sort(), Object.keys(stored).sort())
  })

  await t.test('a lone surrogate (half an emoji) is stored as U+FFFD, not refused', async (t) => {
    const given = row({ direction: 'in', provider_id: 'wamid.half', status: 'received', status_rank: 0, text: 'cut \ud83d', peer_name: '\udc4b name' })
    const returned = await writes.insertInbound(given)
    const stored = await db('whatsapp_messages').where({ tenant_id: tenant.id, id: given.id }).first()
    t.equal(stored.text, 'cut \ufffd')
    t.equal(stored.peer_name, '\ufffd name')
    t.equal(returned!.text, stored.text, 'and handed back as stored')
  })

  await t.test('a bad row in a batch fails alone', async (t) => {
    const good = row({ provider_id: 'wamid.good' })
    const bad = row({ provider_id: 'wamid.bad', type: 'x'.repeat(100) }) // longer than the column
    const [a, b] = await Promise.allSettled([writes.insertOutbound(good), writes.insertOutbound(bad)])
    t.equal(a.status, 'fulfilled')
    t.equal(b.status, 'rejected')
    t.ok(await db('whatsapp_messages').where({ provider_id: 'wamid.good' }).first())
  })

  await t.test('receipts for one message in one batch are judged in order, forward only', async (t) => {
    const first = row({ provider_id: 'wamid.r1' })
    const second = row({ provider_id: 'wamid.r2' })
    await db('whatsapp_messages').insert([first, second])
    const at = new Date(Date.now() + 1000)
    // delivered then read, together: both apply
    const r1 = await Promise.all([
      inbound.ack(tenant.id, session.id, { providerId: 'wamid.r1', status: 'delivered', at }, false),
      inbound.ack(tenant.id, session.id, { providerId: 'wamid.r1', status: 'read', at }, false),
    ])
    t.same(r1, [true, true])
    const one = await db('whatsapp_messages').where({ provider_id: 'wamid.r1' }).first()
    t.match(one, { status: 'read', status_rank: 4 })
    t.ok(one.delivered_at && one.read_at, 'both times kept')
    // read then a late delivered, together: the late one never downgrades
    const r2 = await Promise.all([
      inbound.ack(tenant.id, session.id, { providerId: 'wamid.r2', status: 'read', at }, false),
      inbound.ack(tenant.id, session.id, { providerId: 'wamid.r2', status: 'delivered', at }, false),
      inbound.ack(tenant.id, session.id, { providerId: 'wamid.r1', status: 'failed', at, error: 'late failure' }, false),
    ])
    t.same(r2, [true, false, false])
    t.match(await db('whatsapp_messages').where({ provider_id: 'wamid.r2' }).first(), { status: 'read' })
    t.match(await db('whatsapp_messages').where({ provider_id: 'wamid.r1' }).first(), { status: 'read', error: null })
  })

  await t.test('claim: several messages at once, each claimed once', async (t) => {
    const rows = Array.from({ length: 4 }, () => row({ status: 'queued', status_rank: 0 }))
    await db('whatsapp_messages').insert(rows)
    const claims = await Promise.all(rows.map((r) => writes.claim({ tenantId: tenant.id, id: r.id, peer: r.peer })))
    t.ok(claims.every((c) => c.own?.status === 'sending'), 'every one claimed')
    t.same(claims.map((c) => c.own.id), rows.map((r) => r.id), 'each its own row')
    const again = await writes.claim({ tenantId: tenant.id, id: rows[3].id, peer: rows[3].peer })
    t.same(again.earlier.map((r: any) => r.id), rows.slice(0, 3).map((r) => r.id), 'a later claim sees the earlier ones still sending, oldest first')
    const sent = await Promise.all(rows.map((r, i) => writes.markSent({ tenantId: tenant.id, id: r.id, providerId: `wamid.c${i}`, countAttempt: false })))
    t.ok(sent.every((s, i) => s.status === 'sent' && s.provider_id === `wamid.c${i}`))
  })
})
