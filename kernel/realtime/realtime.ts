import websocket from '@fastify/websocket'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { RawData, WebSocket } from 'ws'
import type { Fanout } from '../bus/fanout.ts'
import type { Logger } from '../bus/logger.ts'
import { Connection, Flusher } from './connection.ts'
import { byteLength, parseClientMessage, toText } from './protocol.ts'
import { parseTopic, TopicRegistry } from './topics.ts'
import { CloseCode, type RealtimeAuthenticate, type RealtimeIdentity, type TopicDefinition } from './types.ts'

export { CloseCode }
export type { ClientMessage, RealtimeAuthenticate, RealtimeErrorCode, RealtimeIdentity, ServerMessage, TopicDefinition } from './types.ts'

export interface RealtimeOptions {
  fanout: Fanout
  logger: Logger
  authenticate: RealtimeAuthenticate
  /** Server ping interval; a socket that has not answered the previous ping is terminated. */
  heartbeatMs?: number
  /** Default `/api/realtime`. */
  path?: string
  /** Subscriptions one socket may hold. Default 200. */
  maxSubscriptions?: number
  /** Larger client messages are answered with `bad_message`. Default 4096 bytes. */
  maxMessageBytes?: number
  /** A socket whose send buffer grows past this is dropped (the client reconnects). Default 1 MiB. */
  maxBufferedBytes?: number
  /**
   * When given, a request carrying an `Origin` header must name one of these (e.g. the public URL's
   * origin): protects cookie sessions against cross-site websocket hijacking. Requests without
   * Origin (non-browser clients) are let through to authentication.
   */
  allowedOrigins?: string[]
  /** Longest wait for the fan-out to confirm a new subscription before answering `subscribed`. */
  subscribeReadyTimeoutMs?: number
  /** Under load, a socket is written at most this often; its events go together. Default 10 ms. */
  flushGapMs?: number
}

/** Any Fastify app, whatever its logger or type provider (FastifyInstance is invariant in them). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFastifyInstance = FastifyInstance<any, any, any, any, any>

export interface Realtime {
  /** Topics are `kind` or `kind:<id>`. `tenant` is built in: any authenticated member. */
  defineTopic(kind: string, definition: TopicDefinition): void
  undefineTopic(kind: string): void
  /** Sends `{ topic, event, data }` to every socket of `tenantId` subscribed to `topic`, on every node. */
  publish(tenantId: string, topic: string, event: string, data: unknown): Promise<void>
  /**
   * Adds the websocket route to `app` (call it on the root instance; routes are absolute). Registers
   * @fastify/websocket (maxPayload 64 KiB) unless the app already has it: if the kernel wants to
   * register @fastify/websocket itself, it must do so before calling this.
   */
  register(app: AnyFastifyInstance): void
  /** Closes every socket of the user, on every node (code 4401). */
  closeUser(userId: string): Promise<void>
  /** Re-authenticates every socket of the user on every node; closes or trims what is no longer allowed. */
  recheckUser(userId: string): Promise<void>
  /** Tells every socket on this node to reconnect (`{ type: 'reconnect' }`, then close 4000). */
  reconnectAll(): void
  /** Sockets open on this node. */
  readonly connectionCount: number
  close(): Promise<void>
}

const CONTROL_CHANNEL = 'realtime.control'
const EVENT_NAME = /^[A-Za-z0-9_.:-]{1,200}$/
const MAX_AUTH_ATTEMPTS = 3

type ControlMessage = { type: 'closeUser'; userId: string } | { type: 'recheckUser'; userId: string }

/**
 * On the fan-out, a realtime channel carries the frames sockets receive, `{"topic","event","data"}`,
 * encoded once by the publishing node; several published in one turn travel as one message, one
 * frame per line (JSON text never holds a raw newline). Receiving nodes hand the bytes to their
 * sockets as they are: no parse and no new encoding per node.
 */
const NEWLINE = 0x0a

interface ChannelEntry {
  channel: string
  tenantId: string
  topic: string
  /** How each of its frames begins. */
  framePrefix: Buffer
  connections: Set<Connection>
  unsubscribe: () => void
}

/** Tenants are part of the channel, so two tenants' `tenant` topics never share one. */
function channelFor(tenantId: string, topic: string): string {
  return `realtime:${encodeURIComponent(tenantId)}:${topic}`
}

function isIdentity(value: unknown): value is RealtimeIdentity {
  const identity = value as RealtimeIdentity | null
  return (
    identity !== null &&
    typeof identity === 'object' &&
    typeof identity.tenantId === 'string' &&
    identity.tenantId.length > 0 &&
    typeof identity.can === 'function'
  )
}

const QUERY_SCHEMA = { type: 'object', additionalProperties: false, properties: {} } as const

export function createRealtime(options: RealtimeOptions): Realtime {
  const { fanout, logger, authenticate } = options
  const heartbeatMs = options.heartbeatMs ?? 25_000
  if (!Number.isFinite(heartbeatMs) || heartbeatMs < 10) throw new RangeError('heartbeatMs must be a number of at least 10')
  const path = options.path ?? '/api/realtime'
  const maxSubscriptions = options.maxSubscriptions ?? 200
  const maxMessageBytes = options.maxMessageBytes ?? 4096
  const maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024
  const subscribeReadyTimeoutMs = options.subscribeReadyTimeoutMs ?? 5000
  const allowedOrigins = options.allowedOrigins ? new Set(options.allowedOrigins) : undefined
  const flusher = new Flusher(options.flushGapMs ?? 10)

  const topics = new TopicRegistry(logger)
  topics.define('tenant', { id: 'none' })

  const connections = new Set<Connection>()
  const authenticating = new Set<Connection>()
  const byUser = new Map<string, Set<Connection>>()
  const channels = new Map<string, ChannelEntry>()
  let closed = false

  // ---- indexes ------------------------------------------------------------------------------

  function indexUser(connection: Connection): void {
    const userId = connection.identity?.userId
    if (!userId) return
    let set = byUser.get(userId)
    if (!set) byUser.set(userId, (set = new Set()))
    set.add(connection)
  }

  function unindexUser(connection: Connection): void {
    const userId = connection.identity?.userId
    if (!userId) return
    const set = byUser.get(userId)
    if (!set) return
    set.delete(connection)
    if (set.size === 0) byUser.delete(userId)
  }

  function join(connection: Connection, topic: string, channel: string): void {
    let entry = channels.get(channel)
    if (!entry) {
      const created: ChannelEntry = {
        channel,
        tenantId: connection.identity!.tenantId,
        topic,
        framePrefix: Buffer.from(`{"topic":${JSON.stringify(topic)},`),
        connections: new Set(),
        unsubscribe: () => {},
      }
      created.unsubscribe = fanout.subscribeRaw(channel, (bytes) => onChannelMessage(created, bytes))
      channels.set(channel, (entry = created))
    }
    entry.connections.add(connection)
    connection.topics.set(topic, channel)
  }

  function leave(connection: Connection, topic: string): void {
    const channel = connection.topics.get(topic)
    if (channel === undefined) return
    connection.topics.delete(topic)
    const entry = channels.get(channel)
    if (!entry) return
    entry.connections.delete(connection)
    if (entry.connections.size === 0) {
      channels.delete(channel)
      entry.unsubscribe()
    }
  }

  function forget(connection: Connection): void {
    for (const topic of [...connection.topics.keys()]) leave(connection, topic)
    unindexUser(connection)
    authenticating.delete(connection)
    connections.delete(connection)
  }

  // ---- fan-out ------------------------------------------------------------------------------

  function onChannelMessage(entry: ChannelEntry, bytes: Buffer): void {
    const { channel } = entry
    if (channels.get(channel) !== entry) return
    const frames: Buffer[] = []
    for (let start = 0; start < bytes.length; ) {
      const end = bytes.indexOf(NEWLINE, start)
      const frame = bytes.subarray(start, end === -1 ? bytes.length : end)
      start = end === -1 ? bytes.length : end + 1
      // Belt and braces: a frame names its topic first, and it must be this channel's.
      if (frame.length > entry.framePrefix.length && frame.compare(entry.framePrefix, 0, entry.framePrefix.length, 0, entry.framePrefix.length) === 0) frames.push(frame)
      else logger.warn({ topic: entry.topic }, 'realtime dropped a malformed fan-out message')
    }
    if (!frames.length) return
    for (const connection of entry.connections) {
      // The channel already carries the tenant; a socket whose identity changed is not sent to.
      if (connection.identity?.tenantId !== entry.tenantId) continue
      if (connection.topics.get(entry.topic) !== channel) continue
      for (const frame of frames) connection.sendText(frame)
    }
  }

  /**
   * Events published to one channel in one event-loop turn go to the fan-out together, as one
   * message: one Redis PUBLISH, one delivery and one parse per node instead of one per event (a busy
   * number's inbound stream or a broadcast's receipts are hundreds per turn). Each event is encoded
   * when it is published (later changes to its data are not seen); order within a channel is kept.
   */
  const outbox = new Map<string, { frames: string[]; sent: Promise<void> }>()
  function send(channel: string, frame: string): Promise<void> {
    const waiting = outbox.get(channel)
    if (waiting) {
      waiting.frames.push(frame)
      return waiting.sent
    }
    const frames = [frame]
    const sent = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      outbox.delete(channel)
      return fanout.publishText(channel, frames.join('\n'))
    })
    outbox.set(channel, { frames, sent })
    return sent
  }

  async function subscriptionsReady(): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, subscribeReadyTimeoutMs)
    })
    try {
      await Promise.race([fanout.ready(), timeout])
    } catch (err) {
      logger.warn({ err }, 'realtime fan-out subscription not confirmed')
    } finally {
      clearTimeout(timer)
    }
  }

  function onControl(raw: unknown): void {
    const message = raw as Partial<ControlMessage> | null
    if (!message || typeof message.userId !== 'string') return
    const { userId } = message
    // A socket still authenticating may have read the credential before it changed: read it again.
    for (const connection of authenticating) connection.authStale = true
    const sockets = [...(byUser.get(userId) ?? [])]
    if (message.type === 'closeUser') {
      for (const connection of sockets) connection.close(CloseCode.unauthenticated, 'session closed')
    } else if (message.type === 'recheckUser') {
      for (const connection of sockets) connection.enqueue(() => recheck(connection))
    }
  }

  const unsubscribeControl = fanout.subscribe(CONTROL_CHANNEL, onControl)

  // ---- per socket ---------------------------------------------------------------------------

  async function readIdentity(connection: Connection): Promise<RealtimeIdentity | null> {
    try {
      const identity = await authenticate(connection.req)
      if (identity === null) return null
      if (!isIdentity(identity)) {
        logger.error({}, 'realtime authenticate returned something that is not an identity')
        return null
      }
      return identity
    } catch (err) {
      logger.error({ err }, 'realtime authenticate failed')
      return null
    }
  }

  async function authenticateConnection(connection: Connection): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      connection.authStale = false
      const identity = await readIdentity(connection)
      if (connection.closed) return
      if (!identity) {
        connection.close(CloseCode.unauthenticated, 'unauthenticated')
        return
      }
      if (connection.authStale && attempt < MAX_AUTH_ATTEMPTS) continue
      connection.identity = identity
      authenticating.delete(connection)
      indexUser(connection)
      return
    }
  }

  async function subscribe(connection: Connection, topic: string): Promise<void> {
    const identity = connection.identity
    if (!identity) return
    const parsed = parseTopic(topic)
    if (!parsed) return connection.sendError('bad_message', topic)
    if (connection.topics.has(topic)) return connection.send({ type: 'subscribed', topic })
    if (connection.topics.size >= maxSubscriptions) return connection.sendError('too_many_subscriptions', topic)
    const verdict = await topics.check(identity, parsed)
    if (connection.closed) return
    if (verdict !== 'allowed') return connection.sendError(verdict, topic)
    join(connection, topic, channelFor(identity.tenantId, topic))
    await subscriptionsReady()
    if (connection.topics.has(topic)) connection.send({ type: 'subscribed', topic })
  }

  async function recheck(connection: Connection): Promise<void> {
    const before = connection.identity
    if (!before) return
    const identity = await readIdentity(connection)
    if (connection.closed) return
    if (!identity) {
      connection.close(CloseCode.unauthenticated, 'unauthenticated')
      return
    }
    if (identity.tenantId !== before.tenantId || identity.userId !== before.userId) {
      connection.send({ type: 'reconnect' })
      connection.close(CloseCode.reconnect, 'identity changed')
      return
    }
    connection.identity = identity
    for (const topic of [...connection.topics.keys()]) {
      const parsed = parseTopic(topic)
      const verdict = parsed ? await topics.check(identity, parsed) : 'unknown_topic'
      if (connection.closed) return
      if (verdict !== 'allowed') {
        leave(connection, topic)
        connection.sendError('forbidden', topic)
      }
    }
  }

  function onMessage(connection: Connection, data: RawData, isBinary: boolean): void {
    connection.alive = true
    if (isBinary || byteLength(data) > maxMessageBytes) {
      connection.enqueue(() => connection.sendError('bad_message'))
      return
    }
    const text = toText(data)
    connection.enqueue(async () => {
      if (!connection.identity) return
      const parsed = parseClientMessage(text)
      if (!parsed.ok) return connection.sendError('bad_message', parsed.topic)
      const { message } = parsed
      switch (message.type) {
        case 'ping':
          return connection.send({ type: 'pong' })
        case 'subscribe':
          return subscribe(connection, message.topic)
        case 'unsubscribe':
          leave(connection, message.topic)
          return connection.send({ type: 'unsubscribed', topic: message.topic })
      }
    })
  }

  function onConnection(socket: WebSocket, req: FastifyRequest): void {
    const connection = new Connection(socket, req, logger, maxBufferedBytes, forget, flusher)
    // Listeners first, synchronously: messages sent right after the upgrade must not be lost.
    socket.on('message', (data, isBinary) => onMessage(connection, data, isBinary))
    socket.on('pong', () => {
      connection.alive = true
    })
    socket.on('close', () => {
      connection.closed = true
      forget(connection)
    })
    if (closed) {
      connection.close(CloseCode.goingAway, 'server shutting down')
      return
    }
    connections.add(connection)
    const origin = req.headers.origin
    if (allowedOrigins && origin !== undefined && !allowedOrigins.has(origin)) {
      connection.close(CloseCode.forbiddenOrigin, 'origin not allowed')
      return
    }
    authenticating.add(connection)
    connection.enqueue(() => authenticateConnection(connection))
  }

  // ---- heartbeat ----------------------------------------------------------------------------

  const heartbeat = setInterval(() => {
    for (const connection of connections) {
      if (!connection.alive) {
        connection.terminate()
        continue
      }
      connection.alive = false
      try {
        connection.socket.ping()
      } catch (err) {
        logger.debug({ err }, 'realtime ping failed')
      }
    }
  }, heartbeatMs)
  heartbeat.unref()

  // ---- service ------------------------------------------------------------------------------

  function checkUserId(userId: string): void {
    if (typeof userId !== 'string' || userId.length === 0) throw new TypeError('userId must be a non-empty string')
  }

  return {
    defineTopic(kind, definition) {
      topics.define(kind, definition)
    },

    undefineTopic(kind) {
      topics.undefine(kind)
    },

    async publish(tenantId, topic, event, data) {
      if (closed) throw new Error('realtime is closed')
      if (typeof tenantId !== 'string' || tenantId.length === 0) throw new TypeError('tenantId must be a non-empty string')
      if (!parseTopic(topic)) throw new TypeError(`invalid realtime topic "${String(topic)}"`)
      if (typeof event !== 'string' || !EVENT_NAME.test(event)) throw new TypeError(`invalid realtime event name "${String(event)}"`)
      await send(channelFor(tenantId, topic), JSON.stringify({ topic, event, data }))
    },

    register(app) {
      const config = { public: true }
      const root = app as FastifyInstance
      root.register(async (instance) => {
        if (!instance.hasDecorator('websocketServer')) {
          await instance.register(websocket, { options: { maxPayload: 64 * 1024 } })
        }
        instance.get(path, { websocket: true, config, schema: { querystring: QUERY_SCHEMA } }, onConnection)
      })
    },

    async closeUser(userId) {
      checkUserId(userId)
      await fanout.publish(CONTROL_CHANNEL, { type: 'closeUser', userId } satisfies ControlMessage)
    },

    async recheckUser(userId) {
      checkUserId(userId)
      await fanout.publish(CONTROL_CHANNEL, { type: 'recheckUser', userId } satisfies ControlMessage)
    },

    reconnectAll() {
      for (const connection of [...connections]) {
        connection.send({ type: 'reconnect' })
        connection.close(CloseCode.reconnect, 'reconnect')
      }
    },

    get connectionCount() {
      return connections.size
    },

    async close() {
      if (closed) return
      closed = true
      clearInterval(heartbeat)
      unsubscribeControl()
      const sockets = [...connections].map((connection) => connection.socket)
      for (const connection of [...connections]) connection.close(CloseCode.goingAway, 'server shutting down')
      const allClosed = Promise.all(
        sockets.map((socket) => (socket.readyState === 3 ? undefined : new Promise((resolve) => socket.once('close', resolve)))),
      )
      let timer: NodeJS.Timeout | undefined
      await Promise.race([allClosed, new Promise((resolve) => (timer = setTimeout(resolve, 1000)))])
      clearTimeout(timer)
      for (const socket of sockets) if (socket.readyState !== 3) socket.terminate()
      for (const entry of channels.values()) entry.unsubscribe()
      channels.clear()
    },
  }
}
