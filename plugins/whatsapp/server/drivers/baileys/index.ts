import type { DriverFactory } from '../port.ts'
import type { DriverEntry } from '../registry.ts'
import { baileysConfigSchema, type BaileysConfig } from './config.ts'
import { createBaileysDriver } from './driver.ts'

export { baileysConfigSchema, resolveBaileysConfig, BAILEYS_DEFAULTS, type BaileysConfig, type ResolvedBaileysConfig } from './config.ts'
export {
  createBaileysDriver,
  toDriverError,
  statusCodeOf,
  type BaileysDriver,
  type BaileysDriverDeps,
  type BaileysDiagnostics,
  type BaileysSocket,
  type MakeBaileysSocket,
} from './driver.ts'
export { useSealedAuthState, serialise, deserialise, CREDS_KEY, signalKey, type SealedAuthState } from './auth-store.ts'
export { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './circuit-breaker.ts'
export { Pacer, type PacerOptions } from './pacing.ts'
export { backoffDelay } from '../backoff.ts'
export { normaliseContent, deliveryStatus, receiptStatus } from './messages.ts'
export { e164ToJid, pnJidToE164 } from './jid.ts'

/**
 * The registry entry (drivers/registry.ts). The driver paces itself
 * (per-minute and per-day caps, 1–3 s between sends, typing time) and answers sends it cannot take
 * yet with a retryable DriverError carrying retryAfterMs; the queue's own limiter only has to keep
 * the backlog small, so 1 per second.
 */
export const baileysDriverEntry: DriverEntry = {
  create: ((ctx) => createBaileysDriver(ctx)) as DriverFactory<BaileysConfig>,
  configSchema: baileysConfigSchema,
  defaultRatePerSecond: 1,
}
