import t from 'tap'
import { createBus, type BusEvent, type BusGate } from '../../kernel/bus/bus.ts'
import type { Logger } from '../../kernel/bus/logger.ts'

function recordingLogger() {
  const errors: Array<{ obj: Record<string, unknown>; msg?: string }> = []
  const logger: Logger = {
    error: (obj, msg) => errors.push({ obj: obj as Record<string, unknown>, msg }),
    warn: () => {},
    debug: () => {},
  }
  return { logger, errors }
}

const TENANT = 'tenant-a'

t.test('patterns: exact name, prefix.* and *', async (t) => {
  const bus = createBus({ logger: recordingLogger().logger })
  const seen: Record<string, string[]> = { exact: [], prefix: [], all: [], deep: [] }
  bus.on('inbox.message.created', (e) => void seen.exact!.push(e.name))
  bus.on('inbox.*', (e) => void seen.prefix!.push(e.name))
  bus.on('inbox.message.*', (e) => void seen.deep!.push(e.name))
  bus.on('*', (e) => void seen.all!.push(e.name))
  for (const name of ['inbox.message.created', 'inbox.conversation.assigned', 'inboxes.x.y', 'whatsapp.message.status', 'inbox']) {
    await bus.publish(name, { tenantId: TENANT })
  }
  await bus.drain()
  t.same(seen.exact, ['inbox.message.created'])
  t.same(seen.prefix, ['inbox.message.created', 'inbox.conversation.assigned'], 'prefix.* needs the dot, any depth')
  t.same(seen.deep, ['inbox.message.created'])
  t.same(seen.all, ['inbox.message.created', 'inbox.conversation.assigned', 'inboxes.x.y', 'whatsapp.message.status', 'inbox'])
  for (const bad of ['inbox*', 'inbox.*.created', '', '**', 'a b']) t.throws(() => bus.on(bad, () => {}), `pattern "${bad}" refused`)
})

t.test('handlers run once, after publish returns, outside its call stack', async (t) => {
  const bus = createBus({ logger: recordingLogger().logger })
  const order: string[] = []
  let event: BusEvent | undefined
  bus.on('contacts.contact.created', (e) => {
    order.push('handler')
    event = e
  })
  const payload = { tenantId: TENANT, contactId: 'c1', tags: ['a'] }
  const publishing = bus.publish('contacts.contact.created', payload)
  order.push('after publish call')
  await publishing
  order.push('publish resolved')
  payload.tags.push('changed later')
  await bus.drain()
  t.same(order, ['after publish call', 'publish resolved', 'handler'])
  t.ok(event)
  t.equal(event!.name, 'contacts.contact.created')
  t.equal(event!.tenantId, TENANT)
  t.same(event!.payload, { tenantId: TENANT, contactId: 'c1', tags: ['a'] }, 'payload copied at publish')
  t.match(event!.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'UUIDv7 id')
  t.equal(new Date(event!.at).toISOString(), event!.at, 'ISO time')
  t.ok(Object.isFrozen(event!.payload) && Object.isFrozen(event!.payload.tags), 'payload frozen')
})

t.test('a failing handler is logged and breaks neither the publisher nor other handlers', async (t) => {
  const { logger, errors } = recordingLogger()
  const bus = createBus({ logger })
  const ran: string[] = []
  bus.on('x.y', () => {
    throw new Error('sync boom')
  })
  bus.on('x.y', async () => {
    await new Promise((resolve) => setTimeout(resolve, 5))
    throw new Error('async boom')
  })
  bus.on('x.y', (e) => {
    ;(e.payload as { tenantId: string }).tenantId = 'mutated' // frozen: throws in strict mode, logged
  })
  bus.on('x.*', () => void ran.push('other'))
  bus.onAny(() => {
    throw new Error('listener boom')
  })
  await bus.publish('x.y', { tenantId: TENANT })
  await bus.publish('x.z', { tenantId: TENANT })
  await bus.drain()
  t.same(ran, ['other', 'other'])
  t.equal(errors.length, 5, 'three handler failures on x.y, the listener twice')
  t.equal(errors.filter((e) => e.msg === 'bus handler failed').length, 3)
  t.equal(errors.filter((e) => e.msg === 'bus listener failed').length, 2)
  t.ok(errors.some((e) => (e.obj.err as Error).message === 'sync boom' && e.obj.event === 'x.y' && e.obj.tenantId === TENANT))
  t.ok(errors.some((e) => (e.obj.err as Error).message === 'async boom'))
})

t.test('the gate keeps a disabled plugin\'s handlers from a tenant\'s events', async (t) => {
  const { logger, errors } = recordingLogger()
  const enabled = new Set(['tenant-a:broadcast', 'tenant-b:analytics'])
  const calls: Array<[string, string]> = []
  const gate: BusGate = async (plugin, tenantId) => {
    calls.push([plugin, tenantId])
    if (plugin === 'broken') throw new Error('gate down')
    return enabled.has(`${tenantId}:${plugin}`)
  }
  const bus = createBus({ logger, gate })
  const seen: string[] = []
  bus.on('whatsapp.message.status', (e) => void seen.push(`broadcast:${e.tenantId}`), { plugin: 'broadcast' })
  bus.on('whatsapp.message.status', (e) => void seen.push(`broadcast2:${e.tenantId}`), { plugin: 'broadcast' })
  bus.on('whatsapp.*', (e) => void seen.push(`analytics:${e.tenantId}`), { plugin: 'analytics' })
  bus.on('whatsapp.*', (e) => void seen.push(`broken:${e.tenantId}`), { plugin: 'broken' })
  bus.on('whatsapp.*', (e) => void seen.push(`kernel:${e.tenantId}`))
  const anyCalls: string[] = []
  bus.onAny((e) => void anyCalls.push(e.tenantId))
  await bus.publish('whatsapp.message.status', { tenantId: 'tenant-a' })
  await bus.drain()
  await bus.publish('whatsapp.message.status', { tenantId: 'tenant-b' })
  await bus.drain()
  t.same(seen.sort(), ['analytics:tenant-b', 'broadcast2:tenant-a', 'broadcast:tenant-a', 'kernel:tenant-a', 'kernel:tenant-b'])
  t.same(anyCalls, ['tenant-a', 'tenant-b'], 'onAny is not gated')
  t.equal(calls.filter(([p, tn]) => p === 'broadcast' && tn === 'tenant-a').length, 1, 'gate asked once per plugin per event')
  t.equal(errors.filter((e) => e.msg === 'bus gate failed; handler skipped').length, 2, 'a failing gate skips the handler and is logged')

  const syncBus = createBus({ logger, gate: (plugin) => plugin !== 'off' })
  const syncSeen: string[] = []
  syncBus.on('a.b', () => void syncSeen.push('on'), { plugin: 'on' })
  syncBus.on('a.b', () => void syncSeen.push('off'), { plugin: 'off' })
  await syncBus.publish('a.b', { tenantId: TENANT })
  await syncBus.drain()
  t.same(syncSeen, ['on'], 'a synchronous gate works too')
})

t.test('off, onAny and validation', async (t) => {
  const bus = createBus({ logger: recordingLogger().logger })
  const seen: string[] = []
  const off = bus.on('a.b', () => void seen.push('handler'))
  const offAny = bus.onAny((e) => void seen.push(`any:${e.name}`))
  await bus.publish('a.b', { tenantId: TENANT })
  await bus.drain()
  off()
  offAny()
  await bus.publish('a.b', { tenantId: TENANT })
  await bus.drain()
  t.same(seen.sort(), ['any:a.b', 'handler'])

  await t.rejects(bus.publish('a.b', {} as never), /tenantId/)
  await t.rejects(bus.publish('a.b', { tenantId: '' }), /tenantId/)
  await t.rejects(bus.publish('bad name', { tenantId: TENANT }), /invalid/)
  await t.rejects(bus.publish('a.*', { tenantId: TENANT }), /invalid/)
  await t.rejects(bus.publish('a.b', { tenantId: TENANT, fn: () => {} }), /plain data/)
  await t.rejects(bus.publish('a.b', { tenantId: TENANT }, { trx: {} as never }), /knex transaction/)
  t.throws(() => bus.on('a.b', () => {}, { plugin: '' }))
})

t.test('a handler added or removed before delivery follows delivery time', async (t) => {
  const bus = createBus({ logger: recordingLogger().logger })
  const seen: string[] = []
  const off = bus.on('a.b', () => void seen.push('removed'))
  await bus.publish('a.b', { tenantId: TENANT })
  off()
  await bus.drain()
  t.same(seen, [])
})
