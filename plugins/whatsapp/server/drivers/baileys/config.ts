/**
 * A Baileys number's driver config: what `POST /api/whatsapp/sessions {driver:'baileys', config}`
 * accepts (validated with `baileysConfigSchema`) and the defaults that fill the gaps.
 * Everything is optional: `{}` is a sensible, cautious number.
 */
export interface BaileysConfig {
  /** Anti-ban pacing for this number's sends. */
  pacing?: {
    /** Sends in any sliding 60 s window (default 20). */
    perMinute?: number
    /** Sends in any sliding 24 h window (default 1000; counted in hour buckets, kept across restarts). */
    perDay?: number
    /** Random gap between two sends, lower bound (default 1000 ms). */
    minGapMs?: number
    /** Random gap between two sends, upper bound (default 3000 ms). */
    maxGapMs?: number
    /** A send that would wait longer than this for its slot fails with `pacing_busy` instead (default 15000 ms). */
    maxQueueMs?: number
    /** Show "typing…" before a text (default true). */
    typing?: boolean
    /** Typing time per character of text (default 40 ms). */
    typingMsPerChar?: number
    /** Typing time cap (default 4000 ms). */
    typingMaxMs?: number
  }
  circuitBreaker?: {
    /** Consecutive failed sends that open the circuit (default 5). */
    failureThreshold?: number
    /** How long the circuit stays open before one trial send (default 30000 ms). */
    cooldownMs?: number
  }
  reconnect?: {
    /** First backoff delay (default 1000 ms); doubles per attempt. */
    initialDelayMs?: number
    /** Backoff cap (default 60000 ms). */
    maxDelayMs?: number
    /** ± share of random jitter on each delay (default 0.2). */
    jitter?: number
  }
  /** Health monitor: a socket still "connecting" after this long is torn down and retried (default 60000 ms). */
  connectingTimeoutMs?: number
  /** Rounds of QR codes / pairing codes shown without a scan before giving up (default 3). */
  pairingRounds?: number
  /** Ask WhatsApp whether a recipient has an account before the first send to it (default true; cached). */
  verifyRecipients?: boolean
  /** A send that has not been accepted by WhatsApp after this long fails with a retryable `timeout` (default 60000 ms). */
  sendTimeoutMs?: number
  /** Recent message keys kept in memory for replies and reactions (default 1000). */
  recentMessages?: number
}

const int = (minimum: number, maximum: number) => ({ type: 'integer', minimum, maximum }) as const

/** Strict JSON schema of BaileysConfig (no unknown keys, every number bounded). */
export const baileysConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    pacing: {
      type: 'object',
      additionalProperties: false,
      properties: {
        perMinute: int(1, 120),
        perDay: int(1, 20_000),
        minGapMs: int(0, 60_000),
        maxGapMs: int(0, 60_000),
        maxQueueMs: int(0, 120_000),
        typing: { type: 'boolean' },
        typingMsPerChar: int(0, 200),
        typingMaxMs: int(0, 15_000),
      },
    },
    circuitBreaker: {
      type: 'object',
      additionalProperties: false,
      properties: {
        failureThreshold: int(1, 100),
        cooldownMs: int(1_000, 3_600_000),
      },
    },
    reconnect: {
      type: 'object',
      additionalProperties: false,
      properties: {
        initialDelayMs: int(100, 60_000),
        maxDelayMs: int(1_000, 3_600_000),
        jitter: { type: 'number', minimum: 0, maximum: 1 },
      },
    },
    connectingTimeoutMs: int(5_000, 600_000),
    pairingRounds: int(1, 20),
    verifyRecipients: { type: 'boolean' },
    sendTimeoutMs: int(5_000, 300_000),
    recentMessages: int(100, 20_000),
  },
} as const

export interface ResolvedBaileysConfig {
  pacing: Required<NonNullable<BaileysConfig['pacing']>>
  circuitBreaker: Required<NonNullable<BaileysConfig['circuitBreaker']>>
  reconnect: Required<NonNullable<BaileysConfig['reconnect']>>
  connectingTimeoutMs: number
  pairingRounds: number
  verifyRecipients: boolean
  sendTimeoutMs: number
  recentMessages: number
}

export const BAILEYS_DEFAULTS: ResolvedBaileysConfig = {
  pacing: { perMinute: 20, perDay: 1000, minGapMs: 1000, maxGapMs: 3000, maxQueueMs: 15_000, typing: true, typingMsPerChar: 40, typingMaxMs: 4000 },
  circuitBreaker: { failureThreshold: 5, cooldownMs: 30_000 },
  reconnect: { initialDelayMs: 1000, maxDelayMs: 60_000, jitter: 0.2 },
  connectingTimeoutMs: 60_000,
  pairingRounds: 3,
  verifyRecipients: true,
  sendTimeoutMs: 60_000,
  recentMessages: 1000,
}

/** Defaults filled in; a config that skipped validation is still made sane (swapped gaps, non-negative numbers). */
export function resolveBaileysConfig(config: BaileysConfig | undefined | null): ResolvedBaileysConfig {
  const c = config ?? {}
  const num = (value: unknown, fallback: number, min = 0) => (typeof value === 'number' && Number.isFinite(value) ? Math.max(min, value) : fallback)
  const d = BAILEYS_DEFAULTS
  const minGap = num(c.pacing?.minGapMs, d.pacing.minGapMs)
  const maxGap = num(c.pacing?.maxGapMs, Math.max(d.pacing.maxGapMs, minGap))
  const initialDelayMs = num(c.reconnect?.initialDelayMs, d.reconnect.initialDelayMs, 1)
  return {
    pacing: {
      perMinute: num(c.pacing?.perMinute, d.pacing.perMinute, 1),
      perDay: num(c.pacing?.perDay, d.pacing.perDay, 1),
      minGapMs: Math.min(minGap, maxGap),
      maxGapMs: Math.max(minGap, maxGap),
      maxQueueMs: num(c.pacing?.maxQueueMs, d.pacing.maxQueueMs),
      typing: typeof c.pacing?.typing === 'boolean' ? c.pacing.typing : d.pacing.typing,
      typingMsPerChar: num(c.pacing?.typingMsPerChar, d.pacing.typingMsPerChar),
      typingMaxMs: num(c.pacing?.typingMaxMs, d.pacing.typingMaxMs),
    },
    circuitBreaker: {
      failureThreshold: num(c.circuitBreaker?.failureThreshold, d.circuitBreaker.failureThreshold, 1),
      cooldownMs: num(c.circuitBreaker?.cooldownMs, d.circuitBreaker.cooldownMs),
    },
    reconnect: {
      initialDelayMs,
      maxDelayMs: Math.max(initialDelayMs, num(c.reconnect?.maxDelayMs, d.reconnect.maxDelayMs, 1)),
      jitter: Math.min(1, num(c.reconnect?.jitter, d.reconnect.jitter)),
    },
    connectingTimeoutMs: num(c.connectingTimeoutMs, d.connectingTimeoutMs, 1),
    pairingRounds: num(c.pairingRounds, d.pairingRounds, 1),
    verifyRecipients: typeof c.verifyRecipients === 'boolean' ? c.verifyRecipients : d.verifyRecipients,
    sendTimeoutMs: num(c.sendTimeoutMs, d.sendTimeoutMs, 1),
    recentMessages: Math.floor(num(c.recentMessages, d.recentMessages, 1)),
  }
}
