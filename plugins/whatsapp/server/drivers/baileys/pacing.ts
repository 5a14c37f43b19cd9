import { DriverError } from '../port.ts'

export interface PacerOptions {
  perMinute: number
  perDay: number
  minGapMs: number
  maxGapMs: number
  maxQueueMs: number
}

const MINUTE = 60_000
const HOUR = 3_600_000
const DAY = 24 * HOUR

/**
 * Anti-ban pacing for one number. `reserve()` books the next send slot or throws at once:
 * - `pacing_cap` (retryable) when the per-minute or per-day cap is reached, retryAfterMs = until the
 *   window frees a place;
 * - `pacing_busy` (retryable) when the slot is further away than `maxQueueMs` (many sends queued at once).
 * It never makes a caller wait for minutes: the caller sleeps `waitMs` (at most maxQueueMs) and sends.
 *
 * The minute window is exact (slot times); the day window counts hour buckets, so it frees up to an hour
 * late (errs on the cautious side) and is small enough to persist (`snapshot()` / `restore()`).
 * Slots are counted when booked, whether or not the send then succeeds.
 */
export class Pacer {
  private minute: number[] = []
  private hours = new Map<number, number>()
  private nextFreeAt = 0

  constructor(
    private readonly options: PacerOptions,
    private readonly now: () => number,
    private readonly random: () => number,
  ) {}

  /** Book a slot; `holdMs` is how long the send itself occupies the line (typing time). */
  reserve(holdMs = 0): { waitMs: number; at: number } {
    const t = this.now()
    this.prune(t)
    const o = this.options
    if (this.minute.length >= o.perMinute) {
      const wait = this.minute[this.minute.length - o.perMinute]! + MINUTE - t
      throw new DriverError(`This number reached its pacing cap of ${o.perMinute} messages a minute`, 'pacing_cap', true, Math.max(1, wait))
    }
    const day = this.dayCount()
    if (day >= o.perDay) {
      throw new DriverError(`This number reached its pacing cap of ${o.perDay} messages a day`, 'pacing_cap', true, Math.max(1, this.dayFreesAt(t, day - o.perDay + 1) - t))
    }
    const at = Math.max(t, this.nextFreeAt)
    const waitMs = at - t
    if (waitMs > o.maxQueueMs) {
      throw new DriverError(`Too many messages queued on this number; next free slot in ${Math.ceil(waitMs / 1000)} s`, 'pacing_busy', true, Math.max(1, waitMs - o.maxQueueMs))
    }
    const gap = o.minGapMs + Math.round((o.maxGapMs - o.minGapMs) * Math.min(1, Math.max(0, this.random())))
    this.nextFreeAt = at + Math.max(0, holdMs) + gap
    this.minute.push(at)
    const bucket = Math.floor(at / HOUR) * HOUR
    this.hours.set(bucket, (this.hours.get(bucket) ?? 0) + 1)
    return { waitMs, at }
  }

  /** Sends counted now in the minute and day windows. */
  counts(): { minute: number; day: number } {
    this.prune(this.now())
    return { minute: this.minute.length, day: this.dayCount() }
  }

  /** The day window as [hourStartMs, count] pairs, for the state store. */
  snapshot(): [number, number][] {
    this.prune(this.now())
    return [...this.hours.entries()]
  }

  restore(entries: unknown): void {
    if (!Array.isArray(entries)) return
    for (const entry of entries) {
      if (!Array.isArray(entry)) continue
      const [hour, count] = entry
      if (Number.isSafeInteger(hour) && Number.isSafeInteger(count) && count > 0 && hour % HOUR === 0) {
        this.hours.set(hour, Math.max(this.hours.get(hour) ?? 0, Math.min(count, 1_000_000)))
      }
    }
    this.prune(this.now())
  }

  private dayCount(): number {
    let total = 0
    for (const count of this.hours.values()) total += count
    return total
  }

  /** When `needed` sends will have left the day window. */
  private dayFreesAt(t: number, needed: number): number {
    let freed = 0
    for (const [hour, count] of [...this.hours.entries()].sort((a, b) => a[0] - b[0])) {
      freed += count
      if (freed >= needed) return hour + DAY
    }
    return t + DAY
  }

  private prune(t: number) {
    // Slots booked in the future stay counted; only those a full minute in the past leave.
    while (this.minute.length && this.minute[0]! <= t - MINUTE) this.minute.shift()
    for (const hour of this.hours.keys()) if (hour + DAY <= t) this.hours.delete(hour)
  }
}
