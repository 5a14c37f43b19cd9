import { createHash } from 'node:crypto'
import makeWASocket, {
  downloadMediaMessage,
  isJidBroadcast,
  isJidGroup,
  isJidNewsletter,
  isJidStatusBroadcast,
  proto,
  type AnyMessageContent,
  type BaileysEventMap,
  type Contact,
  type MiscMessageGenerationOptions,
  type UserFacingSocketConfig,
  type WAMessage,
  type WAMessageKey,
  type WAPresence,
} from '@whiskeysockets/baileys'
import {
  DriverError,
  type DriverContext,
  type InboundMessage,
  type OutboundMessage,
  type SendResult,
  type SessionStatus,
  type SessionStatusDetail,
  type StatusUpdate,
  type WhatsAppDriver,
} from '../port.ts'
import { useSealedAuthState, type SealedAuthState } from './auth-store.ts'
import { backoffDelay } from '../backoff.ts'
import { CircuitBreaker, type CircuitState } from './circuit-breaker.ts'
import { resolveBaileysConfig, type BaileysConfig } from './config.ts'
import { e164ToJid, isLidJid, normaliseLid, pnJidToE164 } from './jid.ts'
import { toBaileysLogger } from './logger.ts'
import { LruMap } from '../lru.ts'
import { deliveryStatus, normaliseContent, receiptStatus, timestampOf } from './messages.ts'
import { Pacer } from './pacing.ts'

export { baileysConfigSchema, type BaileysConfig } from './config.ts'

/**
 * The part of Baileys' socket (`ReturnType<typeof makeWASocket>`) this driver uses. The real socket
 * satisfies it; tests inject a fake through `deps.makeSocket`.
 */
export interface BaileysSocket {
  ev: {
    on<T extends keyof BaileysEventMap>(event: T, listener: (arg: BaileysEventMap[T]) => void): void
    off<T extends keyof BaileysEventMap>(event: T, listener: (arg: BaileysEventMap[T]) => void): void
  }
  readonly user: Contact | undefined
  requestPairingCode(phoneNumber: string, customPairingCode?: string): Promise<string>
  logout(msg?: string): Promise<void>
  end(error: Error | undefined): Promise<void> | void
  sendMessage(jid: string, content: AnyMessageContent, options?: MiscMessageGenerationOptions): Promise<WAMessage | undefined>
  sendPresenceUpdate(type: WAPresence, toJid?: string): Promise<void>
  onWhatsApp(...phoneNumber: string[]): Promise<{ jid: string; exists: boolean }[] | undefined>
  updateMediaMessage(message: WAMessage): Promise<WAMessage>
  signalRepository?: { lidMapping?: { getPNForLID(lid: string): Promise<string | null> } }
}

export type MakeBaileysSocket = (config: UserFacingSocketConfig) => BaileysSocket

export interface BaileysDriverDeps {
  /** Baileys' makeWASocket unless a test injects a fake. */
  makeSocket?: MakeBaileysSocket
  /** 0..1 for backoff and pacing jitter. */
  random?: () => number
  /** Timers for backoff, health checks and pacing waits (default: unref'd setTimeout). */
  setTimer?: (fn: () => void, ms: number) => unknown
  clearTimer?: (handle: unknown) => void
  /** Fetches an inbound message's media (default: Baileys' downloadMediaMessage, with re-upload through the socket). */
  downloadMedia?: (message: WAMessage, socket: BaileysSocket | null) => Promise<Buffer>
  /** Extra socket options (tests: short timeouts). `auth`, `logger` and `getMessage` are always the driver's. */
  socketOptions?: Partial<UserFacingSocketConfig>
}

export interface BaileysDiagnostics {
  phase: Phase
  connected: boolean
  phone: string | null
  reconnectAttempt: number
  circuit: CircuitState
  consecutiveFailures: number
  sentLastMinute: number
  sentLastDay: number
}

export interface BaileysDriver extends WhatsAppDriver {
  diagnostics(): BaileysDiagnostics
}

type Phase = 'stopped' | 'connecting' | 'qr' | 'open' | 'waiting'

const RESTART_REQUIRED = 515
const LOGGED_OUT = 401
const CONNECTION_REPLACED = 440
const FORBIDDEN = 403
const MULTIDEVICE_MISMATCH = 411
/** Immediate restarts (515) in a row before falling back to backoff. */
const MAX_IMMEDIATE_RESTARTS = 3
const LOGOUT_TIMEOUT_MS = 10_000
const PACING_KEY = 'pacing:day'
const PACING_PERSIST_MS = 5_000
const RECIPIENT_OK_TTL = 24 * 3_600_000
const RECIPIENT_MISSING_TTL = 3_600_000
const lidKey = (lid: string) => `lid:${lid}`

interface Recent {
  key: WAMessageKey
  message?: proto.IMessage | null
}

export function createBaileysDriver(ctx: DriverContext<BaileysConfig>, deps: BaileysDriverDeps = {}): BaileysDriver {
  const config = resolveBaileysConfig(ctx.config)
  const makeSocket: MakeBaileysSocket = deps.makeSocket ?? makeWASocket
  const random = deps.random ?? Math.random
  const setTimer =
    deps.setTimer ??
    ((fn: () => void, ms: number) => {
      const t = setTimeout(fn, ms)
      t.unref?.()
      return t
    })
  const clearTimer = deps.clearTimer ?? ((handle: unknown) => clearTimeout(handle as NodeJS.Timeout))
  const baileysLogger = toBaileysLogger(ctx.logger, { sessionId: ctx.sessionId })
  const downloadMedia =
    deps.downloadMedia ??
    ((message: WAMessage, socket: BaileysSocket | null) =>
      downloadMediaMessage(message, 'buffer', {}, socket ? { reuploadRequest: (m) => socket.updateMediaMessage(m), logger: baileysLogger } : undefined))
  const nowMs = () => ctx.now().getTime()
  const sleep = (ms: number) => (ms > 0 ? new Promise<void>((resolve) => setTimer(resolve, ms)) : Promise.resolve())

  const breaker = new CircuitBreaker({ ...config.circuitBreaker, now: nowMs })
  const pacer = new Pacer(config.pacing, nowMs, random)
  const recent = new LruMap<string, Recent>(config.recentMessages, nowMs)
  const recipients = new LruMap<string, string | null>(5000, nowMs)
  const lids = new LruMap<string, string>(10_000, nowMs)

  let phase: Phase = 'stopped'
  let stopped = true
  let auth: SealedAuthState | null = null
  let sock: BaileysSocket | null = null
  let detach: (() => void) | null = null
  let generation = 0
  let connected = false
  let phone: string | null = null
  let attempt = 0
  let immediateRestarts = 0
  let pairingPhone: string | undefined
  let pairingRounds = 0
  let shownPairing = false
  let reconnectTimer: unknown = null
  let healthTimer: unknown = null
  let pacingTimer: unknown = null
  let pacingLoaded = false
  let connectToken = 0
  let work: Promise<void> = Promise.resolve()

  const status = (s: SessionStatus, detail?: SessionStatusDetail) => {
    try {
      ctx.events.status(s, detail)
    } catch (err) {
      ctx.logger.error({ err, status: s }, 'session status handler failed')
    }
  }
  /** Inbound messages and acks are reported one at a time, in the order Baileys emitted them. */
  const enqueue = (task: () => Promise<void>) => {
    work = work.then(task).catch((err) => ctx.logger.error({ err }, 'baileys event handling failed'))
  }
  const cancel = (timer: unknown) => {
    if (timer != null) clearTimer(timer)
    return null
  }

  // ---------------------------------------------------------------- connection

  function isPaired(): boolean {
    const creds = auth?.state.creds
    return !!(creds?.me?.id && creds.account)
  }

  function openSocket() {
    reconnectTimer = cancel(reconnectTimer)
    if (stopped || !auth) return
    const creds = auth.state.creds
    if (!isPaired() && creds.me) {
      // A pairing code was requested but never entered: start over with a fresh registration,
      // or Baileys would try to log in as a device WhatsApp never linked.
      creds.me = undefined
      creds.pairingCode = undefined
      creds.registered = false
    }
    const gen = ++generation
    let s: BaileysSocket
    try {
      s = makeSocket({
        ...deps.socketOptions,
        auth: auth.state,
        logger: baileysLogger,
        markOnlineOnConnect: false,
        syncFullHistory: false,
        getMessage: async (key) => (key.id ? (recent.get(key.id)?.message ?? undefined) : undefined),
      })
    } catch (err) {
      ctx.logger.error({ err }, 'could not create the Baileys socket')
      status('reconnecting', { error: errorText(err) })
      scheduleReconnect()
      return
    }
    sock = s
    connected = false
    shownPairing = false
    phase = 'connecting'
    detach = listen(s, gen)
    healthTimer = cancel(healthTimer)
    healthTimer = setTimer(() => onConnectingTimeout(gen), config.connectingTimeoutMs)
  }

  function listen(s: BaileysSocket, gen: number): () => void {
    const offs: (() => void)[] = []
    const on = <T extends keyof BaileysEventMap>(event: T, handler: (arg: BaileysEventMap[T]) => void) => {
      const guarded = (arg: BaileysEventMap[T]) => {
        if (gen !== generation) return
        try {
          handler(arg)
        } catch (err) {
          ctx.logger.error({ err, event }, 'baileys event handler failed')
        }
      }
      s.ev.on(event, guarded)
      offs.push(() => s.ev.off(event, guarded))
    }
    const a = auth!
    on('creds.update', () => {
      a.saveCreds().catch((err) => ctx.logger.error({ err }, 'saving WhatsApp credentials failed'))
    })
    on('connection.update', (update) => onConnectionUpdate(s, gen, update))
    on('messages.upsert', ({ messages, type }) => {
      if (type !== 'notify' && type !== 'append') return
      enqueue(() => onMessages(messages))
    })
    on('messages.update', (updates) => enqueue(() => onMessageUpdates(updates)))
    on('message-receipt.update', (receipts) => enqueue(() => onReceipts(receipts)))
    on('lid-mapping.update', ({ lid, pn }) => learnPair(lid, pn))
    on('contacts.upsert', (contacts) => contacts.forEach(learnContact))
    on('contacts.update', (contacts) => contacts.forEach(learnContact))
    on('messaging-history.set', ({ contacts, lidPnMappings }) => {
      for (const m of lidPnMappings ?? []) learnPair(m.lid, m.pn)
      for (const c of contacts ?? []) learnContact(c)
    })
    return () => offs.forEach((off) => off())
  }

  function onConnectionUpdate(s: BaileysSocket, gen: number, update: BaileysEventMap['connection.update']) {
    if (update.qr) {
      phase = 'qr'
      healthTimer = cancel(healthTimer)
      if (pairingPhone && !isPaired()) {
        if (shownPairing) return // the code stays valid while Baileys rotates QR refs
        shownPairing = true
        const digits = pairingPhone
        s.requestPairingCode(digits).then(
          (pairingCode) => {
            if (gen === generation && !stopped) status('pairing_code', { pairingCode })
          },
          (err) => ctx.logger.warn({ err }, 'requesting a pairing code failed'),
        )
      } else {
        shownPairing = true
        status('qr', { qr: update.qr })
      }
    }
    if (update.connection === 'open') {
      phase = 'open'
      connected = true
      attempt = 0
      immediateRestarts = 0
      pairingRounds = 0
      pairingPhone = undefined
      healthTimer = cancel(healthTimer)
      phone = pnJidToE164(s.user?.id) ?? phone
      status('connected', phone ? { phone } : undefined)
    } else if (update.connection === 'close') {
      void onClose(gen, update.lastDisconnect?.error)
    }
  }

  async function onClose(gen: number, error: Error | undefined) {
    if (gen !== generation) return
    const code = statusCodeOf(error)
    const wasShowingPairing = shownPairing
    teardown(false)
    if (stopped) return
    ctx.logger.info({ code, error: error?.message }, 'WhatsApp connection closed')

    if (code === LOGGED_OUT) {
      stopped = true
      phase = 'stopped'
      await auth?.clear().catch((err) => ctx.logger.error({ err }, 'clearing WhatsApp credentials failed'))
      status('logged_out')
      return
    }
    if (code === CONNECTION_REPLACED || code === FORBIDDEN || code === MULTIDEVICE_MISMATCH) {
      stopped = true
      phase = 'stopped'
      const reason =
        code === CONNECTION_REPLACED
          ? 'Connection replaced: this number was opened by another WhatsApp Web session (is it running elsewhere?)'
          : code === FORBIDDEN
            ? 'WhatsApp refused this number (403 forbidden: it may be banned or restricted)'
            : 'WhatsApp asked for a newer multi-device client (411)'
      status('failed', { error: reason })
      return
    }
    if (code === RESTART_REQUIRED && immediateRestarts < MAX_IMMEDIATE_RESTARTS) {
      immediateRestarts += 1
      status('connecting')
      phase = 'waiting'
      const token = generation
      queueMicrotask(() => {
        if (!stopped && token === generation && !sock) openSocket()
      })
      return
    }
    if (!isPaired() && wasShowingPairing) {
      pairingRounds += 1
      if (pairingRounds >= config.pairingRounds) {
        stopped = true
        phase = 'stopped'
        status('disconnected', { error: `Pairing timed out: no QR scan or pairing code entered after ${pairingRounds} round(s); connect again for a new code` })
        return
      }
    }
    status('reconnecting', { error: error?.message ?? `connection closed (${code ?? 'no status'})` })
    scheduleReconnect()
  }

  function onConnectingTimeout(gen: number) {
    if (gen !== generation || stopped || phase !== 'connecting') return
    ctx.logger.warn({ afterMs: config.connectingTimeoutMs }, 'WhatsApp connection stuck connecting; restarting it')
    teardown(true)
    status('reconnecting', { error: `still connecting after ${Math.round(config.connectingTimeoutMs / 1000)} s` })
    scheduleReconnect()
  }

  function scheduleReconnect() {
    if (stopped) return
    const delay = backoffDelay(attempt, config.reconnect, random)
    attempt += 1
    phase = 'waiting'
    reconnectTimer = cancel(reconnectTimer)
    reconnectTimer = setTimer(() => {
      reconnectTimer = null
      openSocket()
    }, delay)
    ctx.logger.debug({ delay, attempt }, 'WhatsApp reconnect scheduled')
  }

  /** Forget the current socket; `end` closes it too (its close event is no longer listened to). */
  function teardown(end: boolean) {
    healthTimer = cancel(healthTimer)
    detach?.()
    detach = null
    const s = sock
    sock = null
    connected = false
    generation += 1
    if (end && s) {
      try {
        Promise.resolve(s.end(undefined)).catch((err) => ctx.logger.debug({ err }, 'closing the Baileys socket failed'))
      } catch (err) {
        ctx.logger.debug({ err }, 'closing the Baileys socket failed')
      }
    }
  }

  function stopAll() {
    stopped = true
    phase = 'stopped'
    reconnectTimer = cancel(reconnectTimer)
  }

  // ---------------------------------------------------------------- LID ↔ phone

  function learnPair(a: string | undefined | null, b: string | undefined | null) {
    if (!a || !b) return
    const [lid, pn] = isLidJid(a) ? [a, b] : [b, a]
    if (!isLidJid(lid)) return
    const e164 = pnJidToE164(pn)
    if (!e164) return
    const key = normaliseLid(lid)
    if (lids.get(key) === e164) return
    lids.set(key, e164)
    ctx.state.set({ [lidKey(key)]: e164 }).catch((err) => ctx.logger.warn({ err }, 'storing a LID mapping failed'))
  }

  function learnContact(contact: Partial<Contact>) {
    const id = contact.id
    if (!id) return
    if (isLidJid(id)) learnPair(id, contact.phoneNumber)
    else learnPair(contact.lid, id)
  }

  async function phoneForLid(lid: string): Promise<string | null> {
    const key = normaliseLid(lid)
    const known = lids.get(key)
    if (known) return known
    const stored = await ctx.state.get(lidKey(key)).catch(() => null)
    if (stored) {
      lids.set(key, stored)
      return stored
    }
    const pn = await sock?.signalRepository?.lidMapping?.getPNForLID(key).catch(() => null)
    if (pn) {
      learnPair(key, pn)
      return pnJidToE164(pn)
    }
    return null
  }

  /** Who wrote a 1:1 message: E.164 whenever the phone is known, the LID alongside when there is one. */
  async function sender(key: WAMessageKey): Promise<{ from: string; lid?: string }> {
    const jid = key.remoteJid!
    const alt = key.remoteJidAlt
    if (isLidJid(jid)) {
      const lid = normaliseLid(jid)
      if (alt && pnJidToE164(alt)) learnPair(lid, alt)
      const e164 = await phoneForLid(lid)
      return { from: e164 ?? lid, lid }
    }
    const e164 = pnJidToE164(jid)
    if (alt && isLidJid(alt)) {
      learnPair(alt, jid)
      return { from: e164 ?? jid, lid: normaliseLid(alt) }
    }
    return { from: e164 ?? jid }
  }

  // ---------------------------------------------------------------- inbound

  function remember(message: { key?: WAMessageKey | null; message?: proto.IMessage | null }) {
    const id = message.key?.id
    if (id && message.key) recent.set(id, { key: message.key, message: message.message })
  }

  async function onMessages(messages: WAMessage[]) {
    for (const msg of messages) {
      const key = msg.key
      if (!key?.id || !key.remoteJid) continue
      if (key.fromMe) {
        remember(msg) // our own sends (this or another device): targets for replies and reactions
        continue
      }
      const chat = key.remoteJid
      if (isJidStatusBroadcast(chat) || isJidBroadcast(chat) || isJidNewsletter(chat)) continue
      if (isJidGroup(chat)) {
        ctx.logger.debug({ chat }, 'group message skipped (groups are not supported yet)')
        continue
      }
      const content = normaliseContent(msg.message)
      if (!content) continue
      remember(msg)
      const who = await sender(key)
      const inbound: InboundMessage = {
        providerId: key.id,
        from: who.from,
        timestamp: timestampOf(msg.messageTimestamp) ?? ctx.now(),
        type: content.type,
      }
      if (who.lid) inbound.fromLid = who.lid
      if (msg.pushName) inbound.fromName = msg.pushName
      if (content.text !== undefined) inbound.text = content.text
      if (content.location) inbound.location = content.location
      if (content.reaction) inbound.reaction = content.reaction
      if (content.contacts) inbound.contacts = content.contacts
      if (content.replyTo) inbound.replyTo = content.replyTo
      if (content.media) {
        inbound.media = { ...content.media, download: () => downloadMedia(msg, sock) }
      }
      try {
        await ctx.events.inbound(inbound)
      } catch (err) {
        ctx.logger.error({ err, providerId: key.id }, 'inbound message handler failed')
      }
    }
  }

  async function onMessageUpdates(updates: BaileysEventMap['messages.update']) {
    for (const { key, update } of updates) {
      if (!key?.id || !key.fromMe || update?.status == null) continue
      const s = deliveryStatus(update.status)
      if (!s) continue
      const at = s !== 'failed' ? timestampOf(update.messageTimestamp) : null
      const ack: StatusUpdate = { providerId: key.id, status: s, at: at ?? ctx.now() }
      if (s === 'failed') {
        const params: unknown[] = Array.isArray(update.messageStubParameters) ? update.messageStubParameters : []
        ack.error = `WhatsApp did not deliver the message${params.length ? ` (${params.map(String).join(': ')})` : ''}`
      }
      await reportAck(ack)
    }
  }

  async function onReceipts(receipts: BaileysEventMap['message-receipt.update']) {
    for (const { key, receipt } of receipts) {
      if (!key?.id || !key.fromMe) continue
      const r = receiptStatus(receipt)
      if (r) await reportAck({ providerId: key.id, status: r.status, at: new Date(r.atMs) })
    }
  }

  async function reportAck(ack: StatusUpdate) {
    try {
      await ctx.events.ack(ack)
    } catch (err) {
      ctx.logger.error({ err, providerId: ack.providerId }, 'status update handler failed')
    }
  }

  // ---------------------------------------------------------------- pacing state

  async function loadPacing() {
    if (pacingLoaded) return
    pacingLoaded = true
    try {
      const text = await ctx.state.get(PACING_KEY)
      if (text) pacer.restore(JSON.parse(text))
    } catch (err) {
      ctx.logger.warn({ err }, 'could not read the pacing window; starting a fresh one')
    }
  }

  function schedulePacingSave() {
    if (pacingTimer != null) return
    pacingTimer = setTimer(() => {
      pacingTimer = null
      void savePacing()
    }, PACING_PERSIST_MS)
  }

  async function savePacing() {
    pacingTimer = cancel(pacingTimer)
    await ctx.state.set({ [PACING_KEY]: JSON.stringify(pacer.snapshot()) }).catch((err) => ctx.logger.warn({ err }, 'saving the pacing window failed'))
  }

  // ---------------------------------------------------------------- send

  function live(): BaileysSocket {
    if (!sock || !connected) throw new DriverError('The WhatsApp number is not connected', 'not_connected', true)
    return sock
  }

  async function recipientJid(s: BaileysSocket, jid: string): Promise<string> {
    if (!config.verifyRecipients) return jid
    const cached = recipients.get(jid)
    if (cached === null) throw notOnWhatsApp()
    if (cached) return cached
    const result = await withTimeout(s.onWhatsApp(jid), config.sendTimeoutMs, 'checking the recipient')
    if (result === undefined) return jid // no answer: send to the number as given
    const found = result.find((r) => r.exists)
    if (!found) {
      recipients.set(jid, null, RECIPIENT_MISSING_TTL)
      throw notOnWhatsApp()
    }
    recipients.set(jid, found.jid, RECIPIENT_OK_TTL)
    return found.jid
  }

  function typingTime(message: OutboundMessage): number {
    if (message.type !== 'text' || !config.pacing.typing || !message.text) return 0
    return Math.min(config.pacing.typingMaxMs, message.text.length * config.pacing.typingMsPerChar)
  }

  async function typing(s: BaileysSocket, jid: string, ms: number) {
    await s.sendPresenceUpdate('composing', jid).catch((err) => ctx.logger.debug({ err }, 'typing presence failed'))
    await sleep(ms)
    await s.sendPresenceUpdate('paused', jid).catch((err) => ctx.logger.debug({ err }, 'typing presence failed'))
  }

  function content(message: OutboundMessage, jid: string): AnyMessageContent {
    switch (message.type) {
      case 'text':
        return { text: message.text! }
      case 'image':
      case 'video':
      case 'audio':
      case 'document': {
        const m = message.media!
        if (message.type === 'image') return { image: m.data, mimetype: m.mime, ...(m.caption ? { caption: m.caption } : {}) }
        if (message.type === 'video') return { video: m.data, mimetype: m.mime, ...(m.caption ? { caption: m.caption } : {}) }
        // Ogg/Opus is what WhatsApp plays as a voice note; anything else arrives as an audio file.
        if (message.type === 'audio') return { audio: m.data, mimetype: m.mime, ptt: /^audio\/ogg\b/i.test(m.mime) }
        return { document: m.data, mimetype: m.mime, fileName: m.filename || 'file', ...(m.caption ? { caption: m.caption } : {}) }
      }
      case 'location': {
        const l = message.location!
        return { location: { degreesLatitude: l.latitude, degreesLongitude: l.longitude, ...(l.name ? { name: l.name } : {}), ...(l.address ? { address: l.address } : {}) } }
      }
      case 'reaction': {
        const target = message.reaction!
        // Unknown target (older than the recent-message memory, or from before a restart): assume the
        // common case, a reaction to the customer's message in this chat.
        const key = recent.get(target.providerId)?.key ?? { remoteJid: jid, id: target.providerId, fromMe: false }
        if (!recent.has(target.providerId)) ctx.logger.debug({ target: target.providerId }, 'reaction target not in recent messages; assuming an inbound message')
        return { react: { text: target.emoji, key } }
      }
      default:
        throw new DriverError(`Baileys cannot send a ${message.type} message`, 'unsupported', false)
    }
  }

  function validate(message: OutboundMessage): string {
    const jid = e164ToJid(message.to)
    if (!jid) throw new DriverError(`"${String(message.to).slice(0, 40)}" is not a phone number in E.164 form`, 'invalid_recipient', false)
    const invalid = (why: string) => new DriverError(why, 'invalid_message', false)
    switch (message.type) {
      case 'text':
        if (typeof message.text !== 'string' || !message.text.trim()) throw invalid('A text message needs text')
        break
      case 'image':
      case 'video':
      case 'audio':
      case 'document':
        if (!message.media || !Buffer.isBuffer(message.media.data) || !message.media.data.length) throw invalid(`A ${message.type} message needs its file`)
        if (!message.media.mime) throw invalid(`A ${message.type} message needs a MIME type`)
        break
      case 'location': {
        const l = message.location
        if (!l || !(Math.abs(l.latitude) <= 90) || !(Math.abs(l.longitude) <= 180)) throw invalid('A location needs a latitude (±90) and a longitude (±180)')
        break
      }
      case 'reaction':
        if (!message.reaction?.providerId || typeof message.reaction.emoji !== 'string') throw invalid('A reaction needs the target message and an emoji')
        break
      case 'template':
        throw new DriverError('WhatsApp Web (Baileys) numbers cannot send templates; templates need the Cloud API', 'unsupported', false)
      default:
        throw invalid(`Unknown message type "${String((message as { type?: unknown }).type)}"`)
    }
    return jid
  }

  /** Our message id → a WhatsApp message id in Baileys' own format, the same on every retry. */
  const providerIdFor = (id: string) => '3EB0' + createHash('sha256').update(`${ctx.sessionId}:${id}`).digest('hex').toUpperCase().slice(0, 18)

  async function send(message: OutboundMessage): Promise<SendResult> {
    const target = validate(message)
    live()
    breaker.acquire()
    let outcome: 'success' | 'failure' | 'release' = 'release'
    try {
      const hold = typingTime(message)
      const { waitMs } = pacer.reserve(hold)
      schedulePacingSave()
      await sleep(waitMs)
      const s = live()
      const jid = await recipientJid(s, target)
      if (hold > 0) await typing(s, jid, hold)
      const options: MiscMessageGenerationOptions = { messageId: providerIdFor(message.id) }
      if (message.replyTo) {
        const quoted = recent.get(message.replyTo)
        if (quoted?.message) options.quoted = { key: quoted.key, message: quoted.message }
        else ctx.logger.warn({ replyTo: message.replyTo }, 'reply target not in recent messages; sending without the quote')
      }
      const sent = await withTimeout(live().sendMessage(jid, content(message, jid), options), config.sendTimeoutMs, 'sending')
      const providerId = sent?.key?.id
      if (!providerId) throw new DriverError('WhatsApp accepted the message but Baileys returned no message id', 'bad_response', false)
      remember(sent!)
      outcome = 'success'
      return { providerId }
    } catch (err) {
      const e = toDriverError(err)
      if (e.retryable && e.code !== 'not_connected' && e.code !== 'pacing_cap' && e.code !== 'pacing_busy') outcome = 'failure'
      throw e
    } finally {
      breaker[outcome]()
    }
  }

  // ---------------------------------------------------------------- the port

  return {
    capabilities: { qr: true, pairingCode: true, templates: false, reactions: true, typingPresence: true },

    async connect(options) {
      const wanted = options?.pairingPhone !== undefined ? pairingDigits(options.pairingPhone) : undefined
      if (!stopped) {
        if (wanted && !isPaired()) pairingPhone = wanted
        return
      }
      stopped = false
      const token = ++connectToken
      phase = 'connecting'
      attempt = 0
      immediateRestarts = 0
      pairingRounds = 0
      pairingPhone = wanted
      status('connecting')
      try {
        // Fresh from the store every time: another worker may have owned the number meanwhile.
        auth = await useSealedAuthState(ctx.state, { logger: baileysLogger })
        await loadPacing()
      } catch (err) {
        if (token !== connectToken) return
        stopped = true
        phase = 'stopped'
        status('failed', { error: `Could not read the stored WhatsApp session: ${errorText(err)}` })
        throw err
      }
      // Disconnected (or disconnected and connected again) while loading: that later call owns the number.
      if (stopped || token !== connectToken) return
      openSocket()
    },

    async disconnect() {
      stopAll()
      teardown(true)
      status('disconnected')
      await savePacing()
      await auth?.flush()
    },

    async logout() {
      const s = sock
      const wasConnected = connected
      stopAll()
      if (s && wasConnected) {
        detach?.()
        detach = null
        await withTimeout(s.logout(), LOGOUT_TIMEOUT_MS, 'logging out').catch((err) => ctx.logger.warn({ err }, 'WhatsApp logout failed; forgetting the credentials anyway'))
      }
      teardown(true)
      pacingTimer = cancel(pacingTimer)
      if (auth) await auth.clear()
      else await ctx.state.clear()
      auth = null
      phone = null
      status('logged_out')
    },

    send,

    diagnostics() {
      const counts = pacer.counts()
      return {
        phase,
        connected,
        phone,
        reconnectAttempt: attempt,
        circuit: breaker.state,
        consecutiveFailures: breaker.consecutiveFailures,
        sentLastMinute: counts.minute,
        sentLastDay: counts.day,
      }
    },
  }

  function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let done = false
      const timer = setTimer(() => {
        if (done) return
        done = true
        reject(new DriverError(`WhatsApp did not answer in time (${what}, ${Math.round(ms / 1000)} s)`, 'timeout', true))
      }, ms)
      promise.then(
        (value) => {
          if (done) return
          done = true
          clearTimer(timer)
          resolve(value)
        },
        (err) => {
          if (done) return
          done = true
          clearTimer(timer)
          reject(err)
        },
      )
    })
  }
}

function pairingDigits(input: string): string {
  const digits = String(input ?? '').replace(/[\s\-().+]/g, '')
  if (!/^[1-9]\d{6,14}$/.test(digits)) {
    throw new DriverError(`"${String(input).slice(0, 40)}" is not a phone number for pairing (use the international form, e.g. +62812…)`, 'invalid_pairing_phone', false)
  }
  return digits
}

function notOnWhatsApp(): DriverError {
  return new DriverError('This phone number has no WhatsApp account', 'not_on_whatsapp', false)
}

/** Baileys errors are Boom errors: the status code sits in `output.statusCode`. */
export function statusCodeOf(error: unknown): number | undefined {
  const e = error as { output?: { statusCode?: unknown }; statusCode?: unknown } | null | undefined
  const code = e?.output?.statusCode ?? e?.statusCode
  return typeof code === 'number' ? code : undefined
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** Any failure while sending → a DriverError the send pipeline can act on. */
export function toDriverError(err: unknown): DriverError {
  if (err instanceof DriverError) return err
  const message = errorText(err).slice(0, 300)
  const code = statusCodeOf(err)
  if (code === 428 || /connection closed/i.test(message)) return new DriverError(`The WhatsApp connection dropped while sending: ${message}`, 'not_connected', true)
  if (code === 408 || /timed? ?out/i.test(message)) return new DriverError(`WhatsApp did not answer in time: ${message}`, 'timeout', true)
  if (code === 429) return new DriverError(`WhatsApp is rate limiting this number: ${message}`, 'rate_limited', true, 60_000)
  if (code === 401) return new DriverError(`This number was logged out of WhatsApp: ${message}`, 'logged_out', false)
  if (code === 403) return new DriverError(`WhatsApp refused the message: ${message}`, 'forbidden', false)
  if (code === 400 || code === 404 || code === 406) return new DriverError(`WhatsApp rejected the message: ${message}`, 'rejected', false)
  return new DriverError(`Sending through WhatsApp failed: ${message}`, 'send_failed', true)
}
