import type { FastifyRequest } from 'fastify'
import type { WebSocket } from 'ws'
import type { Logger } from '../bus/logger.ts'
import type { RealtimeErrorCode, RealtimeIdentity, ServerMessage } from './types.ts'

const OPEN = 1

const OPEN_BRACKET = Buffer.from('[')
const COMMA = Buffer.from(',')
const CLOSE_BRACKET = Buffer.from(']')

/**
 * What a socket is sent within one event-loop turn leaves as ONE websocket message: the message
 * itself, or a JSON array of them when there are several (clients read either; see readFrame in
 * protocol.ts). A burst of events (a busy inbox, a broadcast's receipts) to 100 sockets otherwise
 * cost a frame, a write and a client-side parse per event per socket, which capped what one node
 * could deliver well below what it could store.
 *
 * Under load, sockets are written at most every `gapMs`: a write to a socket costs more than its
 * bytes. Idle, the first event goes at once (end of the turn); a steady stream waits at most gapMs.
 */
export class Flusher {
  private readonly waiting = new Set<Connection>()
  private last = 0
  constructor(private readonly gapMs: number) {}

  /** `connection` has something to send: it goes with the next flush. */
  add(connection: Connection): void {
    if (this.waiting.size === 0) {
      const wait = this.last + this.gapMs - performance.now()
      if (wait <= 0) setImmediate(this.flush)
      else setTimeout(this.flush, wait)
    }
    this.waiting.add(connection)
  }

  private readonly flush = (): void => {
    this.last = performance.now()
    // Sockets on the same topics wait for the same messages, in the same order (they are added in
    // subscription order): the joined array is built once and sent to each of them, instead of
    // copying every message once per socket (at 10k events/s to 100 sockets, most of the CPU).
    let shared: { messages: Buffer[]; frame: Buffer } | null = null
    for (const connection of this.waiting) {
      const messages = connection.take()
      if (!messages) continue
      if (!shared || !sameMessages(shared.messages, messages)) shared = { messages, frame: join(messages) }
      connection.write(shared.frame)
    }
    this.waiting.clear()
  }
}

function sameMessages(a: Buffer[], b: Buffer[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** One message alone, several as one JSON array. */
function join(messages: Buffer[]): Buffer {
  if (messages.length === 1) return messages[0]
  const parts: Buffer[] = [OPEN_BRACKET]
  messages.forEach((m, i) => parts.push(...(i ? [COMMA, m] : [m])))
  parts.push(CLOSE_BRACKET)
  return Buffer.concat(parts)
}

/** Most client messages waiting to be handled on one socket; a client sending faster is cut off. */
export const MAX_QUEUED_TASKS = 64

/**
 * One realtime socket: who it is, what it listens to, and a serial task queue so that its messages,
 * its authentication and its re-checks are handled one at a time, in order.
 */
export class Connection {
  identity: RealtimeIdentity | null = null
  /** A control message for some user arrived while authenticating: authenticate once more. */
  authStale = false
  /** topic → fan-out channel */
  readonly topics = new Map<string, string>()
  /** Answered the last heartbeat ping (or said anything since). */
  alive = true
  closed = false

  private chain: Promise<void> = Promise.resolve()
  private queued = 0
  /** Messages for the next flush (see Flusher). */
  private pending: Buffer[] = []

  constructor(
    readonly socket: WebSocket,
    readonly req: FastifyRequest,
    private readonly logger: Logger,
    private readonly maxBufferedBytes: number,
    private readonly onClosed: (connection: Connection) => void,
    private readonly flusher: Flusher,
  ) {}

  /** Runs `task` after the ones before it. False (and the socket closed) if too many are waiting. */
  enqueue(task: () => Promise<void> | void): boolean {
    if (this.closed) return false
    if (this.queued >= MAX_QUEUED_TASKS) {
      this.close(1008, 'too many messages')
      return false
    }
    this.queued++
    this.chain = this.chain
      .then(async () => {
        if (!this.closed) await task()
      })
      .catch((err: unknown) => this.logger.error({ err }, 'realtime socket task failed'))
      .finally(() => {
        this.queued--
      })
    return true
  }

  /** One JSON message (a Buffer must hold UTF-8), sent at the end of this event-loop turn. */
  sendText(text: string | Buffer): void {
    if (this.closed || this.socket.readyState !== OPEN) return
    if (this.socket.bufferedAmount > this.maxBufferedBytes) {
      this.logger.warn({ userId: this.identity?.userId, buffered: this.socket.bufferedAmount }, 'realtime client too slow; dropped')
      this.terminate()
      return
    }
    this.pending.push(typeof text === 'string' ? Buffer.from(text) : text)
    if (this.pending.length === 1) this.flusher.add(this)
  }

  /** What waits to be sent (null if nothing, or the socket is no longer open); it is no longer pending. */
  take(): Buffer[] | null {
    const messages = this.pending
    if (!messages.length) return null
    this.pending = []
    return this.socket.readyState === OPEN ? messages : null
  }

  write(frame: Buffer): void {
    this.socket.send(frame, { binary: false })
  }

  /** Sends what waits now (see join). */
  flush(): void {
    const messages = this.take()
    if (messages) this.write(join(messages))
  }

  send(message: ServerMessage): void {
    this.sendText(JSON.stringify(message))
  }

  sendError(code: RealtimeErrorCode, topic?: string): void {
    this.send(topic === undefined ? { type: 'error', code } : { type: 'error', topic, code })
  }

  close(code: number, reason: string): void {
    if (this.closed) return
    this.flush() // what was said before the close (an error, "reconnect") still arrives
    this.closed = true
    this.onClosed(this)
    try {
      this.socket.close(code, reason)
    } catch (err) {
      this.logger.debug({ err }, 'realtime close failed')
      this.socket.terminate()
    }
  }

  terminate(): void {
    if (!this.closed) {
      this.closed = true
      this.onClosed(this)
    }
    this.socket.terminate()
  }
}
