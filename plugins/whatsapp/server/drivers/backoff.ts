/**
 * Exponential backoff with jitter: initial · 2^attempt, capped at max, then ±jitter (a share, 0.2 = ±20 %).
 * `random` is 0..1. The result never exceeds max·(1+jitter) and is at least 1 ms.
 */
export function backoffDelay(attempt: number, options: { initialDelayMs: number; maxDelayMs: number; jitter: number }, random: () => number): number {
  const base = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.min(Math.max(0, attempt), 30))
  const factor = 1 + options.jitter * (2 * clamp01(random()) - 1)
  return Math.max(1, Math.round(base * factor))
}

function clamp01(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0.5
}
