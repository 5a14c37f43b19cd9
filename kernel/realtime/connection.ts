import type { FastifyRequest } from 'fastify'
import type { WebSocket } from 'ws'
import type { Logger } from '../bus/logger.ts'
import type { RealtimeErrorCode, RealtimeIdentity, ServerMessage } from './types.ts'

const OPEN = 1

/**
 * Frames for one socket within one event-loop turn leave in one write: the socket is corked at the
 * first frame and uncorked once the turn is over. A burst of events (a broadcast's acks, a busy
 * inbox) would otherwise cost a syscall per frame per socket. `_socket` is ws's own net.Socket;
 * ws has no public cork, and its per-frame cork/uncork nests inside ours.
 */
const corked = new Set<{ uncork(): void }>()
function flushCorked(): void {
  for (const socket of corked) socket.uncork()
  corked.clear()
}
function corkForThisTurn(socket: WebSocket): void {
  const raw = (socket as unknown as { _socket?: { cork(): void; uncork(): void } })._socket
  if (!raw || corked.has(raw)) return
  if (corked.size === 0) setImmediate(flushCorked)
  raw.cork()
  corked.add(raw)
}

/** Most client messages waiting to be handled on one socket; a client sending faster is cut off. */
export const MAX_QUEUED_TASKS = 64

/**
 * One realtime socket: who it is, what it listens to, and a serial task queue so that its messages,
 * its authentication and its re-checks are handled one at a time, in order.
 */
export class Connection {
  identity: RealtimeIdentity | null = null
  /** The first authentication is still running. */
  authenticating = true
  /** A control message for some user arrived while authenticating: authenticate once more. */
  authStale = false
  /** topic → fan-out channel */
  readonly topics = new Map<string, string>()
  /** Answered the last heartbeat ping (or said anything since). */
  alive = true
  closed = false

  private chain: Promise<void> = Promise.resolve()
  private queued = 0

  constructor(
    readonly socket: WebSocket,
    readonly req: FastifyRequest,
    private readonly logger: Logger,
    private readonly maxBufferedBytes: number,
    private readonly onClosed: (connection: Connection) => void,
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

  /** A text frame; a Buffer must hold UTF-8 (sent as text, not binary). */
  sendText(text: string | Buffer): void {
    if (this.closed || this.socket.readyState !== OPEN) return
    if (this.socket.bufferedAmount > this.maxBufferedBytes) {
      this.logger.warn({ userId: this.identity?.userId, buffered: this.socket.bufferedAmount }, 'realtime client too slow; dropped')
      this.terminate()
      return
    }
    corkForThisTurn(this.socket)
    this.socket.send(text, { binary: false })
  }

  send(message: ServerMessage): void {
    this.sendText(JSON.stringify(message))
  }

  sendError(code: RealtimeErrorCode, topic?: string): void {
    this.send(topic === undefined ? { type: 'error', code } : { type: 'error', topic, code })
  }

  close(code: number, reason: string): void {
    if (this.closed) return
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
