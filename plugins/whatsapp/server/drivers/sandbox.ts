import { randomInt } from 'node:crypto'
import { DriverError, type DriverContext, type InboundMessage, type WhatsAppDriver } from './port.ts'

/**
 * A simulated WhatsApp network for demos, tests and benchmarks: the number "connects" (instantly or
 * through a fake QR), acks arrive sent → delivered → read after configurable delays, failures and
 * disconnects can be injected, and customers' messages are injected through the API.
 */
export interface SandboxConfig {
  /** The number this sandbox line pretends to be (E.164); generated when absent. */
  phone?: string
  /** Show a QR first and wait for `scan()` (the QR-style pairing demo). */
  qr?: boolean
  /** With `qr`: a new QR value every this many ms until scanned, as WhatsApp rotates its QR codes. */
  qrRefreshMs?: number
  connectDelayMs?: number
  ackDelays?: { deliveredMs?: number; readMs?: number }
  /** 0..1: share of sends that fail with a retryable error. */
  failureRate?: number
}

export const sandboxConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    phone: { type: 'string', maxLength: 20, pattern: '^\\+[1-9]\\d{6,14}$' },
    qr: { type: 'boolean' },
    qrRefreshMs: { type: 'integer', minimum: 100, maximum: 600_000 },
    connectDelayMs: { type: 'integer', minimum: 0, maximum: 10_000 },
    ackDelays: {
      type: 'object',
      additionalProperties: false,
      properties: { deliveredMs: { type: 'integer', minimum: 0, maximum: 600_000 }, readMs: { type: 'integer', minimum: 0, maximum: 600_000 } },
    },
    failureRate: { type: 'number', minimum: 0, maximum: 1 },
  },
} as const

export interface SandboxDriver extends WhatsAppDriver {
  /** A customer's message arriving on this number. */
  inject(message: InboundMessage): Promise<void>
  /** Complete the fake QR pairing. */
  scan(): void
  /** Drop the connection; it comes back after `connectDelayMs` like a real reconnect. */
  simulateDisconnect(): void
}

export function createSandboxDriver(ctx: DriverContext<SandboxConfig>): SandboxDriver {
  const config = ctx.config
  const phone = config.phone ?? `+6285${String(parseInt(ctx.sessionId.replace(/-/g, '').slice(-8), 16) % 10 ** 8).padStart(8, '0')}`
  const timers = new Set<NodeJS.Timeout>()
  let connected = false
  let stopped = true
  let awaitingScan = false
  let qrRound = 0

  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer)
      fn()
    }, ms)
    timer.unref?.()
    timers.add(timer)
  }
  const clearTimers = () => {
    for (const timer of timers) clearTimeout(timer)
    timers.clear()
  }
  const open = () => {
    if (stopped) return
    connected = true
    ctx.events.status('connected', { phone })
  }
  // The round makes every value distinct, even two within one millisecond.
  const showQr = () => {
    if (stopped || connected || !awaitingScan) return
    ctx.events.status('qr', { qr: `sandbox:${ctx.sessionId}:${Date.now()}:${++qrRound}` })
    if (config.qrRefreshMs) later(config.qrRefreshMs, showQr)
  }

  return {
    capabilities: { qr: true, pairingCode: true, templates: true, reactions: true, typingPresence: false },

    async connect(options) {
      stopped = false
      ctx.events.status('connecting')
      if (options?.pairingPhone) {
        ctx.events.status('pairing_code', { pairingCode: String(randomInt(10 ** 7, 10 ** 8)) })
        later(config.connectDelayMs ?? 300, open)
      } else if (config.qr) {
        awaitingScan = true
        showQr()
      } else {
        later(config.connectDelayMs ?? 50, open)
      }
    },

    scan() {
      awaitingScan = false
      if (!stopped && !connected) later(config.connectDelayMs ?? 50, open)
    },

    simulateDisconnect() {
      if (!connected) return
      connected = false
      ctx.events.status('reconnecting', { error: 'simulated disconnect' })
      later(config.connectDelayMs ?? 500, open)
    },

    async disconnect() {
      stopped = true
      connected = false
      awaitingScan = false
      clearTimers()
      ctx.events.status('disconnected')
    },

    async logout() {
      stopped = true
      connected = false
      awaitingScan = false
      clearTimers()
      await ctx.state.clear()
      ctx.events.status('logged_out')
    },

    async send(message) {
      if (!connected) throw new DriverError('The sandbox number is not connected', 'not_connected', true)
      if (config.failureRate && Math.random() < config.failureRate) {
        throw new DriverError('Simulated network failure', 'sandbox_failure', true)
      }
      // Our id makes the provider id: sending the same message twice is one message.
      const providerId = `sbx-${message.id}`
      const delivered = config.ackDelays?.deliveredMs ?? 200
      const read = config.ackDelays?.readMs ?? 1000
      later(delivered, () => void ctx.events.ack({ providerId, status: 'delivered', at: ctx.now() }))
      later(Math.max(read, delivered), () => void ctx.events.ack({ providerId, status: 'read', at: ctx.now() }))
      return { providerId }
    },

    async inject(message) {
      await ctx.events.inbound(message)
    },
  }
}
