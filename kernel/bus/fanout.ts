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
  /**
   * Publishes text as it is: `subscribe` handlers get it parsed as JSON (skipped, with a warning, if
   * it is not), `subscribeRaw` handlers get its UTF-8 bytes.
   */
  publishText(channel: string, text: string): Promise<void>
  /** Returns the function that unsubscribes this handler (calling it twice is harmless). */
  subscribe(channel: string, handler: (message: unknown) => void): () => void
  /**
   * Like `subscribe`, but the handler gets the message's bytes unparsed: for a relay that forwards
   * what it receives (realtime hands the bytes to its sockets; a parse and an encode per message
   * were a good part of its work). The bytes are shared with other raw handlers: do not change them.
   */
  subscribeRaw(channel: string, handler: (bytes: Buffer) => void): () => void
  /** Resolves once every subscription made so far is active (for Redis: acknowledged by the server). */
  ready(): Promise<void>
  close(): Promise<void>
}

interface Subscriber {
  handler: (message: any) => void
  /** Gets the bytes, not the parsed message. */
  raw: boolean
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

/**
 * Calls each subscriber, so that one throwing never stops the others. The message is parsed (once)
 * or encoded (once) only if some subscriber wants it in that form.
 */
function dispatch(subscribers: Subscriber[], received: string | Buffer, channel: string, logger: Logger): void {
  let bytes: Buffer | undefined
  let parsed: { message: unknown } | null | undefined
  for (const subscriber of subscribers) {
    if (!subscriber.active) continue
    let message: unknown
    if (subscriber.raw) {
      message = bytes ??= typeof received === 'string' ? Buffer.from(received) : received
    } else {
      if (parsed === undefined) {
        try {
          parsed = { message: JSON.parse(received.toString()) }
        } catch (err) {
          parsed = null
          logger.warn({ err, channel }, 'fanout dropped a message that is not JSON')
        }
      }
      if (!parsed) continue
      message = parsed.message
    }
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

  add(channel: string, handler: (message: any) => void, raw: boolean, onFirst: () => void, onLast: () => void): () => void {
    let set = this.channels.get(channel)
    if (!set) {
      set = new Set()
      this.channels.set(channel, set)
      onFirst()
    }
    const subscriber: Subscriber = { handler, raw, active: true }
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

  function subscribe(channel: string, handler: (message: any) => void, raw: boolean): () => void {
    checkChannel(channel)
    if (closed) throw new Error('fanout is closed')
    return registry.add(channel, handler, raw, () => {}, () => {})
  }

  return {
    async publish(channel, message) {
      await this.publishText(channel, encode(message))
    },

    async publishText(channel, text) {
      checkChannel(channel)
      if (closed) throw new Error('fanout is closed')
      if (typeof text !== 'string') throw new TypeError('fanout text must be a string')
      // Like Redis: who receives is decided when the message is published.
      const subscribers = registry.snapshot(channel)
      if (subscribers.length === 0) return
      setImmediate(() => dispatch(subscribers, text, channel, logger))
    },

    subscribe(channel, handler) {
      return subscribe(channel, handler, false)
    },

    subscribeRaw(channel, handler) {
      return subscribe(channel, handler, true)
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

  // The bytes as Redis sent them: ioredis decodes a message to a string only for 'message' listeners.
  subscriber.on('messageBuffer', (fullChannel: Buffer, bytes: Buffer) => {
    const name = fullChannel.toString()
    if (closed || !name.startsWith(prefix)) return
    const channel = name.slice(prefix.length)
    const subscribers = registry.snapshot(channel)
    if (subscribers.length === 0) return
    dispatch(subscribers, bytes, channel, logger)
  })

  function subscribe(channel: string, handler: (message: any) => void, raw: boolean): () => void {
    checkChannel(channel)
    if (closed) throw new Error('fanout is closed')
    return registry.add(
      channel,
      handler,
      raw,
      () => track(subscriber.subscribe(prefix + channel), 'subscribe', channel),
      () => {
        if (!closed) track(subscriber.unsubscribe(prefix + channel), 'unsubscribe', channel)
      },
    )
  }

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
      await this.publishText(channel, encode(message))
    },

    async publishText(channel, text) {
      checkChannel(channel)
      if (closed) throw new Error('fanout is closed')
      if (typeof text !== 'string') throw new TypeError('fanout text must be a string')
      await publisher.publish(prefix + channel, text)
    },

    subscribe(channel, handler) {
      return subscribe(channel, handler, false)
    },

    subscribeRaw(channel, handler) {
      return subscribe(channel, handler, true)
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
