import {
  makeEventBuffer,
  proto,
  type AnyMessageContent,
  type BaileysEventMap,
  type MiscMessageGenerationOptions,
  type UserFacingSocketConfig,
  type WAMessage,
  type WAPresence,
} from '@whiskeysockets/baileys'
import type { DriverContext, DriverEvents, DriverLogger, DriverStateStore, InboundMessage, SessionStatus, SessionStatusDetail, StatusUpdate } from '../../server/drivers/port.ts'
import { createBaileysDriver, type BaileysDriverDeps, type BaileysSocket } from '../../server/drivers/baileys/driver.ts'
import type { BaileysConfig } from '../../server/drivers/baileys/config.ts'

/** Lets every pending promise chain and immediate run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

interface FakeTimer {
  at: number
  seq: number
  fn: () => void
}

/** A manual clock: timers fire only when the test advances time, in due order. */
export class FakeClock {
  private timers: FakeTimer[] = []
  private seq = 0

  constructor(public t = Date.UTC(2026, 0, 5, 9, 0, 0)) {}

  now = (): Date => new Date(this.t)

  setTimer = (fn: () => void, ms: number): unknown => {
    const timer: FakeTimer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn }
    this.timers.push(timer)
    return timer
  }

  clearTimer = (handle: unknown): void => {
    this.timers = this.timers.filter((t) => t !== handle)
  }

  /** Delays (from now) of the timers still pending, soonest first. */
  pending(): number[] {
    return this.timers.map((t) => t.at - this.t).sort((a, b) => a - b)
  }

  async advance(ms: number): Promise<void> {
    const target = this.t + ms
    for (;;) {
      await settle()
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0]
      if (!due) break
      this.timers = this.timers.filter((t) => t !== due)
      this.t = due.at
      due.fn()
    }
    this.t = target
    await settle()
  }
}

/** DriverStateStore in memory, with the calls it received. */
export class MemoryStateStore implements DriverStateStore {
  readonly data = new Map<string, string>()
  sets = 0
  clears = 0

  async get(key: string) {
    return this.data.get(key) ?? null
  }

  async getMany(keys: string[]) {
    const out: Record<string, string> = {}
    for (const key of keys) {
      const value = this.data.get(key)
      if (value !== undefined) out[key] = value
    }
    return out
  }

  async set(entries: Record<string, string | null>) {
    this.sets += 1
    for (const [key, value] of Object.entries(entries)) {
      if (value === null) this.data.delete(key)
      else this.data.set(key, value)
    }
  }

  async clear() {
    this.clears += 1
    this.data.clear()
  }
}

export const silentLogger: DriverLogger = { info() {}, warn() {}, error() {}, debug() {} }

export function recordingLogger() {
  const lines: { level: string; obj: object; msg?: string }[] = []
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg })
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') } as DriverLogger }
}

export function recordingEvents() {
  const statuses: { status: SessionStatus; detail?: SessionStatusDetail }[] = []
  const inbound: InboundMessage[] = []
  const acks: StatusUpdate[] = []
  const events: DriverEvents = {
    status: (status, detail) => void statuses.push(detail === undefined ? { status } : { status, detail }),
    inbound: async (message) => void inbound.push(message),
    ack: async (update) => void acks.push(update),
  }
  return { events, statuses, inbound, acks, names: () => statuses.map((s) => s.status) }
}

/** A Boom-shaped error, as Baileys throws and reports in lastDisconnect. */
export function boom(message: string, statusCode: number): Error {
  return Object.assign(new Error(message), { isBoom: true, output: { statusCode, payload: { statusCode, message } } })
}

export interface FakeSocketBehaviour {
  /** After "connecting": open by itself when the creds are paired, otherwise show `qr`. */
  auto?: boolean
  qr?: string
  pairingCode?: string
  /** Own JID when the fake pairs (`open()` without arguments). */
  meId?: string
  send?: (jid: string, content: AnyMessageContent, options: MiscMessageGenerationOptions | undefined, socket: FakeSocket) => Promise<WAMessage | undefined>
  onWhatsApp?: (jids: string[]) => Promise<{ jid: string; exists: boolean }[] | undefined>
  /** LID → PN JID known to Baileys' own signal repository. */
  lidStore?: Record<string, string>
}

interface Call {
  method: string
  args: unknown[]
  at: number
}

const quietBaileysLogger: any = { level: 'silent', child: () => quietBaileysLogger, trace() {}, debug() {}, info() {}, warn() {}, error() {} }

/**
 * A stand-in for rc14's socket: the real Baileys event buffer as `ev` (on/off/emit/process/buffer/flush),
 * `user` read from the auth creds, `creds.update` merged into the creds by the socket's own first
 * listener (as makeSocket does), "connecting" emitted on the next tick, and `end()` emitting the close
 * with its error then dropping the connection.update listeners — all as Baileys does.
 */
export class FakeSocket implements BaileysSocket {
  readonly ev = makeEventBuffer(quietBaileysLogger)
  readonly calls: Call[] = []
  closed = false
  readonly signalRepository: { lidMapping: { getPNForLID(lid: string): Promise<string | null> } }

  constructor(
    readonly config: UserFacingSocketConfig,
    private readonly behaviour: FakeSocketBehaviour,
    private readonly clock: { now(): Date },
  ) {
    this.ev.on('creds.update', (update) => Object.assign(this.config.auth.creds, update))
    this.signalRepository = {
      lidMapping: {
        getPNForLID: async (lid: string) => behaviour.lidStore?.[lid] ?? null,
      },
    }
    process.nextTick(() => {
      if (this.closed) return
      this.ev.emit('connection.update', { connection: 'connecting', receivedPendingNotifications: false, qr: undefined })
      if (!behaviour.auto) return
      const creds = this.config.auth.creds
      if (creds.me?.id && creds.account) this.open(creds.me.id)
      else this.emitQr(behaviour.qr ?? 'qr-1')
    })
  }

  get user() {
    return this.config.auth.creds.me
  }

  private record(method: string, args: unknown[]) {
    this.calls.push({ method, args, at: this.clock.now().getTime() })
  }

  callsOf(method: string): Call[] {
    return this.calls.filter((c) => c.method === method)
  }

  // ---- what the driver calls

  async requestPairingCode(phoneNumber: string): Promise<string> {
    this.record('requestPairingCode', [phoneNumber])
    // Baileys stores the code and a provisional `me` in the creds.
    const code = this.behaviour.pairingCode ?? 'ABCD1234'
    this.ev.emit('creds.update', { pairingCode: code, me: { id: `${phoneNumber}@s.whatsapp.net`, name: '~' } })
    return code
  }

  async logout(msg?: string): Promise<void> {
    this.record('logout', [msg])
    await this.end(boom(msg || 'Intentional Logout', 401))
  }

  async end(error: Error | undefined): Promise<void> {
    this.record('end', [error])
    if (this.closed) return
    this.closed = true
    this.ev.emit('connection.update', { connection: 'close', lastDisconnect: { error, date: this.clock.now() } })
    this.ev.removeAllListeners('connection.update')
  }

  async sendMessage(jid: string, content: AnyMessageContent, options?: MiscMessageGenerationOptions): Promise<WAMessage | undefined> {
    this.record('sendMessage', [jid, content, options])
    if (this.behaviour.send) return this.behaviour.send(jid, content, options, this)
    return {
      key: { remoteJid: jid, fromMe: true, id: options?.messageId ?? `3EB0${this.calls.length}` },
      message: 'text' in content ? { extendedTextMessage: { text: (content as { text: string }).text } } : {},
      status: proto.WebMessageInfo.Status.PENDING,
    }
  }

  async sendPresenceUpdate(type: WAPresence, toJid?: string): Promise<void> {
    this.record('sendPresenceUpdate', [type, toJid])
  }

  async onWhatsApp(...jids: string[]) {
    this.record('onWhatsApp', jids)
    if (this.behaviour.onWhatsApp) return this.behaviour.onWhatsApp(jids)
    return jids.map((jid) => ({ jid, exists: true }))
  }

  async updateMediaMessage(message: WAMessage): Promise<WAMessage> {
    this.record('updateMediaMessage', [message])
    return message
  }

  // ---- what the test drives

  emitQr(qr: string) {
    this.ev.emit('connection.update', { qr })
  }

  /** Pair (if not yet) and open, as after a scan and the 515 restart. */
  open(meId = this.behaviour.meId ?? '6281234567890:7@s.whatsapp.net') {
    const creds = this.config.auth.creds
    if (!creds.account) {
      this.ev.emit('creds.update', {
        me: { id: meId, name: 'Toko Sapa', lid: '99887766554433:7@lid' },
        account: { details: Buffer.from('details'), accountSignatureKey: Buffer.alloc(32, 1), accountSignature: Buffer.alloc(64, 2), deviceSignature: Buffer.alloc(64, 3) },
        platform: 'smba',
      })
    }
    this.ev.emit('connection.update', { connection: 'open' })
  }

  close(statusCode: number, message = `closed ${statusCode}`) {
    return this.end(boom(message, statusCode))
  }

  emit<T extends keyof BaileysEventMap>(event: T, data: BaileysEventMap[T]) {
    this.ev.emit(event, data)
  }
}

export function fakeSocketFactory(behaviour: FakeSocketBehaviour = {}, clock: { now(): Date } = { now: () => new Date() }) {
  const sockets: FakeSocket[] = []
  return {
    sockets,
    behaviour,
    get last(): FakeSocket {
      const s = sockets[sockets.length - 1]
      if (!s) throw new Error('no socket was created')
      return s
    },
    make: (config: UserFacingSocketConfig): BaileysSocket => {
      const socket = new FakeSocket(config, behaviour, clock)
      sockets.push(socket)
      return socket
    },
  }
}

/** A Baileys driver wired to a fake socket, a manual clock and an in-memory store. */
export function setupDriver(
  options: {
    config?: BaileysConfig
    behaviour?: FakeSocketBehaviour
    store?: MemoryStateStore
    clock?: FakeClock
    random?: () => number
    deps?: Partial<BaileysDriverDeps>
    logger?: DriverLogger
  } = {},
) {
  const clock = options.clock ?? new FakeClock()
  const store = options.store ?? new MemoryStateStore()
  const recorded = recordingEvents()
  const factory = fakeSocketFactory(options.behaviour ?? {}, clock)
  const ctx: DriverContext<BaileysConfig> = {
    tenantId: 'tenant-1',
    sessionId: 'session-1',
    config: options.config ?? {},
    events: recorded.events,
    state: store,
    logger: options.logger ?? silentLogger,
    now: clock.now,
  }
  const driver = createBaileysDriver(ctx, {
    makeSocket: factory.make,
    random: options.random ?? (() => 0.5),
    setTimer: clock.setTimer,
    clearTimer: clock.clearTimer,
    ...options.deps,
  })
  return { driver, clock, store, factory, ctx, ...recorded }
}

/** Config that takes pacing and recipient checks out of the way. */
export const FAST: BaileysConfig = {
  pacing: { perMinute: 120, perDay: 20_000, minGapMs: 0, maxGapMs: 0, typing: false },
  verifyRecipients: false,
}

/** An inbound WAMessage as Baileys upserts it. */
export function waMessage(partial: { id: string; from: string; alt?: string; message: proto.IMessage; pushName?: string; t?: number; fromMe?: boolean }): WAMessage {
  return {
    key: { remoteJid: partial.from, remoteJidAlt: partial.alt, fromMe: partial.fromMe ?? false, id: partial.id, addressingMode: partial.from.endsWith('@lid') ? 'lid' : 'pn' },
    message: partial.message,
    messageTimestamp: partial.t ?? 1_767_600_000,
    pushName: partial.pushName,
  } as WAMessage
}
