import { DriverError } from '../port.ts'

export type CircuitState = 'closed' | 'open' | 'half_open'

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number
  /** How long it stays open before letting one trial through. */
  cooldownMs: number
  /** Milliseconds since the epoch. */
  now: () => number
}

/**
 * One number's circuit breaker around sends.
 *
 * closed    → every send passes; `failureThreshold` consecutive failures open it.
 * open      → sends fail fast with DriverError('circuit_open', retryable, retryAfterMs = remaining cool-down).
 * half_open → after the cool-down one trial send passes (others still fail fast); its success closes
 *             the circuit, its failure opens it again for a fresh cool-down.
 *
 * Usage: `acquire()` before the attempt (throws when it may not pass), then exactly one of
 * `success()`, `failure()` or `release()` (an outcome that says nothing about the number's health,
 * e.g. a recipient not on WhatsApp, or a send refused by pacing before it was tried).
 */
export class CircuitBreaker {
  private failures = 0
  private openedAt = 0
  private trialInFlight = false
  private current: CircuitState = 'closed'

  constructor(private readonly options: CircuitBreakerOptions) {}

  get state(): CircuitState {
    if (this.current === 'open' && this.options.now() - this.openedAt >= this.options.cooldownMs) return 'half_open'
    return this.current
  }

  get consecutiveFailures(): number {
    return this.failures
  }

  /** Time until a trial is let through (0 when sends pass now). */
  retryAfterMs(): number {
    if (this.current === 'closed') return 0
    if (this.current === 'open') return Math.max(0, this.openedAt + this.options.cooldownMs - this.options.now())
    // half-open with a trial running: its outcome decides; ask again after a cool-down at most.
    return this.trialInFlight ? this.options.cooldownMs : 0
  }

  acquire(): void {
    const state = this.state
    if (state === 'closed') return
    if (state === 'half_open' && !this.trialInFlight) {
      this.current = 'half_open'
      this.trialInFlight = true
      return
    }
    const wait = this.retryAfterMs()
    throw new DriverError(
      `Sending is paused for this number after ${this.failures} failed sends in a row (circuit open; next try in ${Math.ceil(wait / 1000)} s)`,
      'circuit_open',
      true,
      Math.max(1, wait),
    )
  }

  success(): void {
    this.failures = 0
    this.trialInFlight = false
    this.current = 'closed'
  }

  failure(): void {
    this.failures += 1
    const trial = this.current === 'half_open'
    this.trialInFlight = false
    if (trial || this.failures >= this.options.failureThreshold) {
      this.current = 'open'
      this.openedAt = this.options.now()
    }
  }

  /** Neither success nor failure: a half-open trial slot is handed back, counters are untouched. */
  release(): void {
    this.trialInFlight = false
  }
}
