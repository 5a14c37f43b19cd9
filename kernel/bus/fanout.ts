import { Redis, type RedisOptions } from 'ioredis'
import { consoleLogger, type Logger } from './logger.ts'

/**
 * Node-wide messaging: a message published on any node reaches every subscriber of that channel on
 * every node (the publishing node included), once per subscriber. Messages travel as JSON, in both
 * implementations, so a subscriber sees the same thing embedded and in production (a Date arrives as
 * its ISO string, `undefined` fields vanish). Delivery is always asynchronous and at-most-once: a
 * node that is disconnected from Redis when a message is published does not get it later.
 */
export interface Fanout {
  publish(channel: string, message: unknown): Promise<void>
  /** Publishes a message its caller has already encoded as JSON (e.g. joined from parts it encoded one by one). */
  publishJson(channel: string, json: string): Promise<void>
  /** Returns the function that unsubscribes this handler (calling it twice is harmless). */
  subscribe(channel: string, handler: (message: unknown) => void): () => void
  /** Resolves once every subscription made so far is active (for Redis: acknowledged by the server). */
  ready(): Promise<void>
  close(): Promise<void>
}

interface Subscriber {
  handler: (message: unknown) => void
  active: boolean
}

const MAX_CHANNEL_LENGTH = 512

function checkChannel(channel: string): void {
  if (typeof channel !== 'string' || channel.length === 0 || channel.length > MAX_CHANNEL_LENGTH) {
    throw new TypeError(`fanout channel must be a string of 1 to ${MAX_CHANNEL_LENGTH} characters`)
  }
}

function encode(message: unknown): string {
  const text = JSON.stringify(message)
  if (typeof text !== 'string') throw new TypeError('fanout message must be JSON-serialisable')
  return text
}

/** Calls each subscriber, so that one throwing never stops the others. */
function dispatch(subscribers: Subscriber[], message: unknown, channel: string, logger: Logger): void {
  for (const subscriber of subscribers) {
    if (!subscriber.active) continue
    try {
      subscriber.handler(message)
    } catch (err) {
      logger.error({ err, channel }, 'fanout subscriber failed')
    }
  }
}

/** Keeps the handlers of each channel; tells the caller when a channel gains or loses its first one. */
class SubscriberRegistry {
  readonly channels = new Map<string, Set<Subscriber>>()

  add(channel: string, handler: (message: unknown) => void, onFirst: () => void, onLast: () => void): () => void {
    let set = this.channels.get(channel)
    if (!set) {
      set = new Set()
      this.channels.set(channel, set)
      onFirst()
    }
    const subscriber: Subscriber = { handler, active: true }
    set.add(subscriber)
    const owner = set
    return () => {
      if (!subscriber.active) return
      subscriber.active = false
      owner.delete(subscriber)
      if (owner.size === 0 && this.channels.get(channel) === owner) {
        this.channels.delete(channel)
        onLast()
      }
    }
  }

  snapshot(channel: string): Subscriber[] {
    const set = this.channels.get(channel)
    return set ? [...set] : []
  }

  clear(): void {
    for (const set of this.channels.values()) for (const subscriber of set) subscriber.active = false
    this.channels.clear()
  }
}

export interface MemoryFanoutOptions {
  logger?: Logger
}

/** In-process fan-out for embedded mode (one process is the whole deployment). */
export function createMemoryFanout(options: MemoryFanoutOptions = {}): Fanout {
  const logger = options.logger ?? consoleLogger
  const registry = new SubscriberRegistry()
  let closed = false

  return {
    async publish(channel, message) {
      await this.publishJson(channel, encode(message))
    },

    async publishJson(channel, text) {
      checkChannel(channel)
      if (closed) throw new Error('fanout is closed')
      // Like Redis: who receives is decided when the message is published.
      const subscribers = registry.snapshot(channel)
      if (subscribers.length === 0) return
      setImmediate(() => dispatch(subscribers, JSON.parse(text), channel, logger))
    },

    subscribe(channel, handler) {
      checkChannel(channel)
      if (closed) throw new Error('fanout is closed')
      return registry.add(channel, handler, () => {}, () => {})
    },

    async ready() {},

    async close() {
      closed = true
      registry.clear()
    },
  }
}

export interface RedisFanoutOptions {
  url: string
  /** Prepended to every channel name in Redis, e.g. `sapa:`; separates deployments (and tests) sharing a Redis. */
  prefix: string
  logger?: Logger
  /** Extra ioredis options for both connections. */
  redisOptions?: RedisOptions
}

const ERROR_LOG_INTERVAL_MS = 10_000

/**
 * Fan-out over Redis pub/sub: one connection publishes, one subscribes. Each channel is subscribed in
 * Redis once per node however many local handlers it has; ioredis resubscribes after a reconnect.
 */
export function createRedisFanout(options: RedisFanoutOptions): Fanout {
  const { url, prefix } = options
  if (typeof prefix !== 'string' || prefix.length === 0) throw new TypeError('createRedisFanout needs a non-empty prefix')
  const logger = options.logger ?? consoleLogger
  const registry = new SubscriberRegistry()
  const pending = new Set<Promise<unknown>>()
  let closed = false

  // Auto-pipelining: the PUBLISHes of one event-loop turn leave in one write (a realtime burst is
  // hundreds of them; here a syscall costs more than Redis's work).
  const publisher = new Redis(url, { ...options.redisOptions, connectionName: 'sapa-fanout-pub', enableAutoPipelining: true })
  // Subscribe commands wait for the connection instead of failing after a few retries: a failed
  // SUBSCRIBE would not be replayed by ioredis' resubscription and the channel would stay silent.
  const subscriber = new Redis(url, { ...options.redisOptions, connectionName: 'sapa-fanout-sub', maxRetriesPerRequest: null })

  for (const [role, connection] of [['publisher', publisher], ['subscriber', subscriber]] as const) {
    let lastLogged = 0
    connection.on('error', (err: Error) => {
      const now = Date.now()
      if (now - lastLogged < ERROR_LOG_INTERVAL_MS) return
      lastLogged = now
      logger.warn({ err, role }, 'fanout redis connection error')
    })
  }

  subscriber.on('message', (fullChannel: string, text: string) => {
    if (closed || !fullChannel.startsWith(prefix)) return
    const channel = fullChannel.slice(prefix.length)
    const subscribers = registry.snapshot(channel)
    if (subscribers.length === 0) return
    let message: unknown
    try {
      message = JSON.parse(text)
    } catch (err) {
      logger.warn({ err, channel }, 'fanout dropped a message that is not JSON')
      return
    }
    dispatch(subscribers, message, channel, logger)
  })

  const track = (command: Promise<unknown>, what: string, channel: string): void => {
    const settled = command.then(
      () => {},
      (err: unknown) => {
        if (!closed) logger.error({ err, channel }, `fanout redis ${what} failed`)
      },
    )
    pending.add(settled)
    void settled.then(() => pending.delete(settled))
  }

  return {
    async publish(channel, message) {
      await this.publishJson(channel, encode(message))
    },

    async publishJson(channel, text) {
      checkChannel(channel)
      if (closed) throw new Error('fanout is closed')
      await publisher.publish(prefix + channel, text)
    },

    subscribe(channel, handler) {
      checkChannel(channel)
      if (closed) throw new Error('fanout is closed')
      return registry.add(
        channel,
        handler,
        () => track(subscriber.subscribe(prefix + channel), 'subscribe', channel),
        () => {
          if (!closed) track(subscriber.unsubscribe(prefix + channel), 'unsubscribe', channel)
        },
      )
    },

    async ready() {
      while (pending.size > 0) await Promise.all([...pending])
    },

    async close() {
      if (closed) return
      closed = true
      registry.clear()
      const quitting = Promise.allSettled([publisher.quit(), subscriber.quit()])
      const timer = new Promise<void>((resolve) => setTimeout(resolve, 1000).unref())
      await Promise.race([quitting, timer])
      publisher.disconnect()
      subscriber.disconnect()
    },
  }
}
