/**
 * The one port every WhatsApp driver implements (sandbox, baileys, cloud). The pipelines above it
 * never know which driver runs: they send OutboundMessages and receive InboundMessages,
 * StatusUpdates and session status changes through DriverEvents.
 */

export type SessionStatus = 'disconnected' | 'connecting' | 'qr' | 'pairing_code' | 'connected' | 'reconnecting' | 'logged_out' | 'failed'

export type MessageType = 'text' | 'image' | 'document' | 'audio' | 'video' | 'sticker' | 'location' | 'reaction' | 'contacts' | 'template' | 'unknown'

export type DeliveryStatus = 'queued' | 'sending' | 'sent' | 'delivered' | 'read' | 'failed'

export interface Location {
  latitude: number
  longitude: number
  name?: string
  address?: string
}

export interface OutboundMedia {
  data: Buffer
  /** Sniffed by the pipeline from the bytes, never taken from the client. */
  mime: string
  filename?: string
  caption?: string
}

export interface OutboundMessage {
  /** Our message id: drivers that support it pass it on as an idempotency key. */
  id: string
  /** E.164, e.g. +6281234567890. */
  to: string
  type: Exclude<MessageType, 'unknown' | 'contacts' | 'sticker'>
  text?: string
  media?: OutboundMedia
  location?: Location
  /** Reaction to a message: the provider id of the target and an emoji ('' removes it). */
  reaction?: { providerId: string; emoji: string }
  template?: { name: string; language: string; components?: unknown[] }
  /** Provider id of the message this one replies to. */
  replyTo?: string
}

export interface SendResult {
  providerId: string
}

export interface InboundMedia {
  mime?: string
  filename?: string
  size?: number
  caption?: string
  /** Fetches the bytes (from the provider, or from memory for the sandbox). */
  download(): Promise<Buffer>
}

export interface InboundMessage {
  /** Unique per (number, provider): the dedup key. */
  providerId: string
  /** E.164 when the sender's phone is known; the provider's raw address otherwise. */
  from: string
  fromName?: string
  /** WhatsApp's LID for the sender, when the provider hides the phone number behind one. */
  fromLid?: string
  timestamp: Date
  type: MessageType
  text?: string
  media?: InboundMedia
  location?: Location
  reaction?: { providerId: string; emoji: string }
  /** vCards as sent. */
  contacts?: string[]
  replyTo?: string
}

export interface StatusUpdate {
  providerId: string
  status: Extract<DeliveryStatus, 'sent' | 'delivered' | 'read' | 'failed'>
  at: Date
  error?: string
}

export interface SessionStatusDetail {
  qr?: string
  pairingCode?: string
  /** The connected account's own number (E.164). */
  phone?: string
  error?: string
}

/** What a driver reports. The pipeline handles ordering, dedup and persistence. */
export interface DriverEvents {
  status(status: SessionStatus, detail?: SessionStatusDetail): void
  inbound(message: InboundMessage): Promise<void>
  ack(update: StatusUpdate): Promise<void>
}

/** A failure to send. `retryable` decides between a retry with backoff and a final failure. */
export class DriverError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly retryable: boolean,
    /** When the provider says how long to wait (rate limits). */
    readonly retryAfterMs?: number,
  ) {
    super(message)
    this.name = 'DriverError'
  }
}

/** Small key/value store for a driver's own state (Baileys' auth state), sealed with the kernel's secrets. */
export interface DriverStateStore {
  get(key: string): Promise<string | null>
  getMany(keys: string[]): Promise<Record<string, string>>
  set(entries: Record<string, string | null>): Promise<void>
  clear(): Promise<void>
}

export interface DriverLogger {
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
  debug(obj: object, msg?: string): void
}

export interface DriverContext<Config = Record<string, unknown>> {
  tenantId: string
  sessionId: string
  /** The number's driver config (decrypted). */
  config: Config
  events: DriverEvents
  state: DriverStateStore
  logger: DriverLogger
  now(): Date
}

export interface DriverCapabilities {
  qr: boolean
  pairingCode: boolean
  templates: boolean
  reactions: boolean
  typingPresence: boolean
}

export interface WhatsAppDriver {
  readonly capabilities: DriverCapabilities
  /** Start connecting; progress arrives through events.status. Resolves once started, not connected. */
  connect(options?: { pairingPhone?: string }): Promise<void>
  /** Stop, keeping credentials (a later connect resumes without a new QR). */
  disconnect(): Promise<void>
  /** Stop and forget the credentials (WhatsApp-side logout where the provider supports it). */
  logout(): Promise<void>
  /** Throws DriverError. Resolves with the provider's message id once the provider accepted it. */
  send(message: OutboundMessage): Promise<SendResult>
}

export type DriverFactory<Config = Record<string, unknown>> = (ctx: DriverContext<Config>) => WhatsAppDriver
