import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import t from 'tap'
import WebSocket from 'ws'
import { createMemoryFanout, createRedisFanout, type Fanout } from '../../kernel/bus/fanout.ts'
import type { Logger } from '../../kernel/bus/logger.ts'
import { createRealtime, type Realtime, type RealtimeOptions } from '../../kernel/realtime/realtime.ts'
import type { RealtimeIdentity } from '../../kernel/realtime/types.ts'
import { readFrame } from '../../kernel/realtime/protocol.ts'

const REDIS_URL = process.env.TEST_REDIS_URL
const quiet: Logger = { error: () => {}, warn: () => {}, debug: () => {} }
const TENANT_A = randomUUID()
const TENANT_B = randomUUID()

// ---- fake auth: `Authorization: Bearer <token>` → a mutable identity --------------------------

interface Person {
  userId: string
  tenantId: string
  permissions: Set<string>
  valid: boolean
}
const people = new Map<string, Person>()

function person(tenantId: string, permissions: string[] = []): { token: string; person: Person } {
  const token = randomUUID()
  const p: Person = { userId: randomUUID(), tenantId, permissions: new Set(permissions), valid: true }
  people.set(token, p)
  return { token, person: p }
}

const authenticate: RealtimeOptions['authenticate'] = async (req) => {
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
  const p = token ? people.get(token) : undefined
  if (!p || !p.valid) return null
  const identity: RealtimeIdentity = {
    userId: p.userId,
    apiKeyId: null,
    tenantId: p.tenantId,
    role: 'agent',
    can: (permission) => p.permissions.has(permission),
  }
  return identity
}

// ---- a node: a Fastify app listening on 127.0.0.1 with realtime --------------------------------

interface Node {
  realtime: Realtime
  url: string
  close(): Promise<void>
}

async function startNode(fanout: Fanout, options: Partial<RealtimeOptions> = {}): Promise<Node> {
  const app = Fastify()
  const realtime = createRealtime({ fanout, logger: quiet, authenticate, ...options })
  realtime.defineTopic('conversation', { permission: 'inbox.conversation.view', id: 'required' })
  realtime.defineTopic('campaign', { authorize: async (_identity, id) => id === 'allowed' })
  realtime.defineTopic('flaky', {
    authorize: () => {
      throw new Error('db down')
    },
  })
  realtime.register(app)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  return {
    realtime,
    url: `ws://127.0.0.1:${port}/api/realtime`,
    async close() {
      await realtime.close()
      await app.close()
    },
  }
}

// ---- a test client ------------------------------------------------------------------------------

type Message = Record<string, unknown>

class Client {
  readonly messages: Message[] = []
  private waiters: Array<() => void> = []
  readonly closed: Promise<{ code: number; reason: string }>

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.messages.push(...(readFrame(data) as Message[]))
      this.waiters.splice(0).forEach((wake) => wake())
    })
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  }

  static async open(url: string, token?: string, options: WebSocket.ClientOptions = {}): Promise<Client> {
    const ws = new WebSocket(url, { ...options, headers: token ? { authorization: `Bearer ${token}` } : {} })
    const client = new Client(ws)
    await new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
    })
    return client
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message))
  }

  /** The first not yet taken message matching `match` (waiting for it if needed). */
  async next(match: (m: Message) => boolean = () => true, ms = 3000): Promise<Message> {
    const deadline = Date.now() + ms
    for (;;) {
      const index = this.messages.findIndex(match)
      if (index !== -1) return this.messages.splice(index, 1)[0]!
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no matching message; have ${JSON.stringify(this.messages)}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => (clearTimeout(timer), resolve()))
      })
    }
  }

  async subscribe(topic: string): Promise<Message> {
    this.send({ type: 'subscribe', topic })
    return this.next((m) => m.topic === topic && (m.type === 'subscribed' || m.type === 'error'))
  }

  /** Everything received so far for `topic` that is an event. */
  eventsOf(topic: string): Message[] {
    return this.messages.filter((m) => m.topic === topic && m.event !== undefined)
  }

  close(): void {
    this.ws.close()
  }
}

const isEvent = (topic: string, event: string) => (m: Message) => m.topic === topic && m.event === event

// ---- single node ----------------------------------------------------------------------------------

t.test('one node (memory fan-out)', async (t) => {
  const node = await startNode(createMemoryFanout({ logger: quiet }))
  t.teardown(() => node.close())
  const clients: Client[] = []
  const open = async (token?: string, options?: WebSocket.ClientOptions) => {
    const client = await Client.open(node.url, token, options)
    clients.push(client)
    return client
  }
  t.afterEach(() => {
    clients.splice(0).forEach((c) => c.close())
  })

  t.test('without a credential the socket is closed with 4401', async (t) => {
    const anonymous = await open()
    t.equal((await anonymous.closed).code, 4401)
    const wrong = await open('not-a-token')
    t.equal((await wrong.closed).code, 4401)
  })

  t.test('subscribe, then receive events of that topic', async (t) => {
    const { token } = person(TENANT_A, ['inbox.conversation.view'])
    const client = await open(token)
    t.same(await client.subscribe('tenant'), { type: 'subscribed', topic: 'tenant' })
    t.same(await client.subscribe('conversation:c-1'), { type: 'subscribed', topic: 'conversation:c-1' })
    t.same(await client.subscribe('tenant'), { type: 'subscribed', topic: 'tenant' }, 'subscribing twice is fine')
    await node.realtime.publish(TENANT_A, 'conversation:c-1', 'inbox.message.created', { text: 'hi' })
    await node.realtime.publish(TENANT_A, 'tenant', 'kernel.plugin.toggled', { plugin: 'broadcast' })
    await node.realtime.publish(TENANT_A, 'conversation:c-2', 'inbox.message.created', { text: 'not for you' })
    t.same(await client.next(isEvent('conversation:c-1', 'inbox.message.created')), {
      topic: 'conversation:c-1',
      event: 'inbox.message.created',
      data: { text: 'hi' },
    })
    t.same(await client.next(isEvent('tenant', 'kernel.plugin.toggled')), {
      topic: 'tenant',
      event: 'kernel.plugin.toggled',
      data: { plugin: 'broadcast' },
    })
    client.send({ type: 'ping' })
    t.same(await client.next((m) => m.type === 'pong'), { type: 'pong' })
    t.same(client.eventsOf('conversation:c-2'), [], 'no event of a topic it did not subscribe to')
  })

  t.test('a topic needing a permission the identity lacks is refused', async (t) => {
    const { token } = person(TENANT_A, [])
    const client = await open(token)
    t.same(await client.subscribe('conversation:c-1'), { type: 'error', topic: 'conversation:c-1', code: 'forbidden' })
    t.same(await client.subscribe('campaign:other'), { type: 'error', topic: 'campaign:other', code: 'forbidden' }, 'authorize said no')
    t.same(await client.subscribe('campaign:allowed'), { type: 'subscribed', topic: 'campaign:allowed' }, 'authorize said yes')
    t.same(await client.subscribe('flaky'), { type: 'error', topic: 'flaky', code: 'forbidden' }, 'a throwing authorize refuses')
    await node.realtime.publish(TENANT_A, 'conversation:c-1', 'inbox.message.created', {})
    await node.realtime.publish(TENANT_A, 'campaign:allowed', 'end', {})
    await client.next(isEvent('campaign:allowed', 'end'))
    t.same(client.eventsOf('conversation:c-1'), [])
  })

  t.test('another tenant\'s events never arrive, even on the same topic string', async (t) => {
    const a = await open(person(TENANT_A, ['inbox.conversation.view']).token)
    const b = await open(person(TENANT_B, ['inbox.conversation.view']).token)
    for (const client of [a, b]) {
      await client.subscribe('tenant')
      await client.subscribe('conversation:shared-id')
    }
    await node.realtime.publish(TENANT_B, 'tenant', 'secret', { of: 'b' })
    await node.realtime.publish(TENANT_B, 'conversation:shared-id', 'secret', { of: 'b' })
    await node.realtime.publish(TENANT_A, 'tenant', 'end', { of: 'a' })
    await node.realtime.publish(TENANT_A, 'conversation:shared-id', 'end', { of: 'a' })
    await a.next(isEvent('tenant', 'end'))
    await a.next(isEvent('conversation:shared-id', 'end'))
    await b.next(isEvent('conversation:shared-id', 'secret'))
    t.same(a.messages.filter((m) => m.event === 'secret'), [], 'tenant A saw none of B\'s events')
    t.same(b.messages.filter((m) => m.event === 'end'), [], 'tenant B saw none of A\'s events')
  })

  t.test('unknown topics, bad JSON and oversized messages get an error; the socket stays usable', async (t) => {
    const client = await open(person(TENANT_A).token)
    t.same(await client.subscribe('nope:1'), { type: 'error', topic: 'nope:1', code: 'unknown_topic' })
    t.same(await client.subscribe('tenant:x'), { type: 'error', topic: 'tenant:x', code: 'unknown_topic' })
    t.same(await client.subscribe('conversation'), { type: 'error', topic: 'conversation', code: 'unknown_topic' }, 'id required')
    t.same(await client.subscribe('conversation:../x'), { type: 'error', topic: 'conversation:../x', code: 'bad_message' })
    client.send('{not json')
    t.same(await client.next((m) => m.type === 'error'), { type: 'error', code: 'bad_message' })
    client.send({ type: 'dance' })
    t.same(await client.next((m) => m.type === 'error'), { type: 'error', code: 'bad_message' })
    client.send({ type: 'subscribe', topic: 42 })
    t.same(await client.next((m) => m.type === 'error'), { type: 'error', code: 'bad_message' })
    client.send(JSON.stringify({ type: 'subscribe', topic: 'tenant', padding: 'x'.repeat(5000) }))
    t.same(await client.next((m) => m.type === 'error'), { type: 'error', code: 'bad_message' }, 'over 4 KB')
    client.ws.send(Buffer.from([1, 2, 3]), { binary: true })
    t.same(await client.next((m) => m.type === 'error'), { type: 'error', code: 'bad_message' }, 'binary')
    client.send({ type: 'ping' })
    t.same(await client.next(), { type: 'pong' })
  })

  t.test('unsubscribe stops events of that topic', async (t) => {
    const client = await open(person(TENANT_A).token)
    await client.subscribe('tenant')
    await client.subscribe('campaign:allowed')
    client.send({ type: 'unsubscribe', topic: 'tenant' })
    t.same(await client.next((m) => m.type === 'unsubscribed'), { type: 'unsubscribed', topic: 'tenant' })
    await node.realtime.publish(TENANT_A, 'tenant', 'after', {})
    await node.realtime.publish(TENANT_A, 'campaign:allowed', 'end', {})
    await client.next(isEvent('campaign:allowed', 'end'))
    t.same(client.eventsOf('tenant'), [])
  })

  t.test('closeUser closes every socket of that user and no other', async (t) => {
    const { token, person: p } = person(TENANT_A)
    const first = await open(token)
    const second = await open(token)
    const other = await open(person(TENANT_A).token)
    await Promise.all([first.subscribe('tenant'), second.subscribe('tenant'), other.subscribe('tenant')])
    await node.realtime.closeUser(p.userId)
    t.equal((await first.closed).code, 4401)
    t.equal((await second.closed).code, 4401)
    other.send({ type: 'ping' })
    t.same(await other.next(), { type: 'pong' }, 'the other user is still connected')
  })

  t.test('recheckUser drops subscriptions no longer allowed, and closes a socket whose credential died', async (t) => {
    const { token, person: p } = person(TENANT_A, ['inbox.conversation.view'])
    const client = await open(token)
    await client.subscribe('tenant')
    await client.subscribe('conversation:c-9')
    p.permissions.delete('inbox.conversation.view')
    await node.realtime.recheckUser(p.userId)
    t.same(await client.next((m) => m.type === 'error'), { type: 'error', topic: 'conversation:c-9', code: 'forbidden' })
    await node.realtime.publish(TENANT_A, 'conversation:c-9', 'inbox.message.created', {})
    await node.realtime.publish(TENANT_A, 'tenant', 'end', {})
    await client.next(isEvent('tenant', 'end'))
    t.same(client.eventsOf('conversation:c-9'), [], 'the dropped topic sends nothing more')
    t.same(await client.subscribe('conversation:c-9'), { type: 'error', topic: 'conversation:c-9', code: 'forbidden' })

    p.valid = false
    await node.realtime.recheckUser(p.userId)
    t.equal((await client.closed).code, 4401)
  })

  t.test('reconnectAll tells every socket to reconnect', async (t) => {
    const a = await open(person(TENANT_A).token)
    const b = await open(person(TENANT_B).token)
    await Promise.all([a.subscribe('tenant'), b.subscribe('tenant')])
    node.realtime.reconnectAll()
    for (const client of [a, b]) {
      t.same(await client.next((m) => m.type === 'reconnect'), { type: 'reconnect' })
      t.equal((await client.closed).code, 4000)
    }
  })

  t.test('events of one channel in one turn go to the fan-out as one message, in order, as published', async (t) => {
    const fanout = createMemoryFanout({ logger: quiet })
    const published: string[] = []
    const publishText = fanout.publishText.bind(fanout)
    fanout.publishText = (channel, text) => (published.push(text), publishText(channel, text))
    const batching = await startNode(fanout)
    t.teardown(() => batching.close())
    const { token } = person(TENANT_A, ['inbox.conversation.view'])
    const client = await Client.open(batching.url, token)
    t.teardown(() => client.close())
    await client.subscribe('conversation:c-9')
    const data = { n: 0 }
    const sent = [1, 2, 3].map((n) => {
      data.n = n
      return batching.realtime.publish(TENANT_A, 'conversation:c-9', 'inbox.message.created', data)
    })
    data.n = 99 // after publishing: not seen
    await Promise.all(sent)
    await client.next(isEvent('conversation:c-9', 'inbox.message.created'))
    await client.next(isEvent('conversation:c-9', 'inbox.message.created'))
    await client.next(isEvent('conversation:c-9', 'inbox.message.created'))
    t.equal(published.filter((j) => j.includes('c-9')).length, 1, 'one fan-out message for three events')
    const lines = published.find((j) => j.includes('c-9'))!.split('\n').map((line) => JSON.parse(line))
    t.same(lines.map((m) => m.data.n), [1, 2, 3], 'one frame per line, in order, each as it was when published')
    t.same(lines[0], { topic: 'conversation:c-9', event: 'inbox.message.created', data: { n: 1 } }, 'each line is the frame the sockets get')

    // A message with a malformed or foreign line (another node's bug): only that line is dropped.
    const channel = `realtime:${encodeURIComponent(TENANT_A)}:conversation:c-9`
    const frame = (topic: string, event: string, data: unknown) => JSON.stringify({ topic, event, data })
    await fanout.publishText(channel, [frame('conversation:c-9', 'ok.one', 1), '{"nonsense":true}', frame('conversation:c-10', 'other.topic', 0), 'not json', frame('conversation:c-9', 'ok.two', 2)].join('\n'))
    t.equal((await client.next(isEvent('conversation:c-9', 'ok.one'))).data, 1)
    t.equal((await client.next(isEvent('conversation:c-9', 'ok.two'))).data, 2)
    await batching.realtime.publish(TENANT_A, 'conversation:c-9', 'last', null)
    await client.next(isEvent('conversation:c-9', 'last'))
    t.same(client.eventsOf('conversation:c-9'), [], 'nothing else of the topic reached the socket')
    t.same(client.eventsOf('conversation:c-10'), [], 'nor the foreign line')
    t.notOk(client.messages.some((m) => 'nonsense' in m), 'nor the malformed one')
  })

  t.test('the route is public with an empty querystring schema', async (t) => {
    const app = Fastify()
    const routes: Array<{ url: string; config: unknown; schema: unknown }> = []
    app.addHook('onRoute', (route) => {
      routes.push({ url: route.url, config: route.config, schema: route.schema })
    })
    const realtime = createRealtime({ fanout: createMemoryFanout(), logger: quiet, authenticate })
    realtime.register(app)
    await app.ready()
    const route = routes.find((r) => r.url === '/api/realtime')
    t.match(route, { config: { public: true }, schema: { querystring: { type: 'object', additionalProperties: false, properties: {} } } })
    await realtime.close()
    await app.close()
  })
})

t.test('limits, heartbeat and close', async (t) => {
  const node = await startNode(createMemoryFanout({ logger: quiet }), { maxSubscriptions: 3 })
  t.teardown(() => node.close())

  t.test('subscriptions per socket are capped', async (t) => {
    const client = await Client.open(node.url, person(TENANT_A, ['inbox.conversation.view']).token)
    t.teardown(() => client.close())
    t.equal((await client.subscribe('flaky')).code, 'forbidden', 'a refused subscription takes no place')
    for (const id of ['1', '2', '3']) t.equal((await client.subscribe(`conversation:${id}`)).type, 'subscribed')
    t.same(await client.subscribe('conversation:4'), { type: 'error', topic: 'conversation:4', code: 'too_many_subscriptions' })
    t.same(await client.subscribe('conversation:3'), { type: 'subscribed', topic: 'conversation:3' }, 'one already held is fine')
    client.send({ type: 'unsubscribe', topic: 'conversation:1' })
    await client.next((m) => m.type === 'unsubscribed')
    t.same(await client.subscribe('conversation:4'), { type: 'subscribed', topic: 'conversation:4' })
  })

  t.test('a socket that stops answering pings is terminated; a live one stays', async (t) => {
    const beating = await startNode(createMemoryFanout({ logger: quiet }), { heartbeatMs: 200 })
    t.teardown(() => beating.close())
    const live = await Client.open(beating.url, person(TENANT_A).token)
    const dead = await Client.open(beating.url, person(TENANT_A).token, { autoPong: false })
    t.teardown(() => live.close())
    const { code } = await dead.closed
    t.equal(code, 1006, 'terminated without a close frame')
    await new Promise((resolve) => setTimeout(resolve, 500))
    t.equal(live.ws.readyState, WebSocket.OPEN)
    live.send({ type: 'ping' })
    t.same(await live.next(), { type: 'pong' })
  })

  t.test('close() closes the sockets with 1001', async (t) => {
    const client = await Client.open(node.url, person(TENANT_A).token)
    await client.subscribe('tenant')
    await node.realtime.close()
    t.equal((await client.closed).code, 1001)
    t.equal(node.realtime.connectionCount, 0)
    await t.rejects(node.realtime.publish(TENANT_A, 'tenant', 'x', {}), /closed/)
  })
})

t.test('messages sent while authentication is still running are handled after it, in order', async (t) => {
  const slow: RealtimeOptions['authenticate'] = async (req) => {
    await new Promise((resolve) => setTimeout(resolve, 100))
    return authenticate(req)
  }
  const node = await startNode(createMemoryFanout({ logger: quiet }), { authenticate: slow })
  t.teardown(() => node.close())
  const client = await Client.open(node.url, person(TENANT_A).token)
  client.send({ type: 'subscribe', topic: 'tenant' })
  client.send({ type: 'ping' })
  client.send({ type: 'subscribe', topic: 'nope' })
  t.same(await client.next(), { type: 'subscribed', topic: 'tenant' })
  t.same(await client.next(), { type: 'pong' })
  t.same(await client.next(), { type: 'error', topic: 'nope', code: 'unknown_topic' })
  client.close()
})

t.test('allowed origins', async (t) => {
  const node = await startNode(createMemoryFanout({ logger: quiet }), { allowedOrigins: ['https://sapa.example'] })
  t.teardown(() => node.close())
  const { token } = person(TENANT_A)
  const foreign = await Client.open(node.url, token, { origin: 'https://evil.example' })
  t.equal((await foreign.closed).code, 4403)
  const own = await Client.open(node.url, token, { origin: 'https://sapa.example' })
  t.same(await own.subscribe('tenant'), { type: 'subscribed', topic: 'tenant' })
  own.close()
})

t.test('publish validates its arguments', async (t) => {
  const realtime = createRealtime({ fanout: createMemoryFanout(), logger: quiet, authenticate })
  t.teardown(() => realtime.close())
  await t.rejects(realtime.publish('', 'tenant', 'x', {}), /tenantId/)
  await t.rejects(realtime.publish(TENANT_A, 'bad topic', 'x', {}), /topic/)
  await t.rejects(realtime.publish(TENANT_A, 'tenant', '', {}), /event/)
  t.throws(() => realtime.defineTopic('tenant', {}), /already defined/)
  t.throws(() => realtime.defineTopic('Bad:Kind', {}), /invalid/)
})

// ---- two nodes over Redis ------------------------------------------------------------------------

t.test('two nodes on one Redis', { skip: REDIS_URL ? false : 'TEST_REDIS_URL is not set' }, async (t) => {
  const prefix = `sapa-test:${randomUUID()}:`
  const fanoutA = createRedisFanout({ url: REDIS_URL!, prefix, logger: quiet })
  const fanoutB = createRedisFanout({ url: REDIS_URL!, prefix, logger: quiet })
  const nodeA = await startNode(fanoutA)
  const nodeB = await startNode(fanoutB)
  t.teardown(async () => {
    await Promise.all([nodeA.close(), nodeB.close()])
    await Promise.all([fanoutA.close(), fanoutB.close()])
  })

  t.test('an event published on A reaches a client on B (and on A), only in its tenant', async (t) => {
    const onB = await Client.open(nodeB.url, person(TENANT_A, ['inbox.conversation.view']).token)
    const onA = await Client.open(nodeA.url, person(TENANT_A, ['inbox.conversation.view']).token)
    const otherTenantOnB = await Client.open(nodeB.url, person(TENANT_B, ['inbox.conversation.view']).token)
    t.teardown(() => [onA, onB, otherTenantOnB].forEach((c) => c.close()))
    for (const client of [onA, onB, otherTenantOnB]) t.equal((await client.subscribe('conversation:c-1')).type, 'subscribed')
    await nodeA.realtime.publish(TENANT_A, 'conversation:c-1', 'inbox.message.created', { n: 1 })
    await nodeB.realtime.publish(TENANT_B, 'conversation:c-1', 'end', {})
    const expected = { topic: 'conversation:c-1', event: 'inbox.message.created', data: { n: 1 } }
    t.same(await onB.next(isEvent('conversation:c-1', 'inbox.message.created')), expected)
    t.same(await onA.next(isEvent('conversation:c-1', 'inbox.message.created')), expected)
    await otherTenantOnB.next(isEvent('conversation:c-1', 'end'))
    t.same(otherTenantOnB.eventsOf('conversation:c-1'), [], 'the other tenant got nothing')
    await nodeA.realtime.publish(TENANT_A, 'conversation:c-1', 'end', {})
    await onB.next(isEvent('conversation:c-1', 'end'))
    t.same(onB.eventsOf('conversation:c-1'), [], 'exactly once')
  })

  t.test('closeUser and recheckUser called on A act on B', async (t) => {
    const closing = person(TENANT_A)
    const rechecked = person(TENANT_A, ['inbox.conversation.view'])
    const closedClient = await Client.open(nodeB.url, closing.token)
    const recheckedClient = await Client.open(nodeB.url, rechecked.token)
    t.teardown(() => recheckedClient.close())
    await closedClient.subscribe('tenant')
    await recheckedClient.subscribe('conversation:c-2')
    await nodeA.realtime.closeUser(closing.person.userId)
    t.equal((await closedClient.closed).code, 4401)
    rechecked.person.permissions.clear()
    await nodeA.realtime.recheckUser(rechecked.person.userId)
    t.same(await recheckedClient.next((m) => m.type === 'error'), { type: 'error', topic: 'conversation:c-2', code: 'forbidden' })
  })
})
