/**
 * Postgres text and jsonb cannot hold U+0000. Outgoing messages with one are refused (hasNul);
 * incoming ones are stored without it (noNul): one NUL from the network failed the insert, so the
 * message was lost.
 */
export function hasNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000')
  if (value === null || typeof value !== 'object' || value instanceof Date) return false
  for (const key in value) if (hasNul((value as Record<string, unknown>)[key])) return true
  return false
}

/** `value` without NULs in any of its strings; a value without one is returned as it is (no copy on the hot path). */
export function noNul<T>(value: T): T {
  if (typeof value === 'string') return (value.includes('\u0000') ? value.replace(/\u0000/g, '') : value) as T
  if (!hasNul(value)) return value
  if (Array.isArray(value)) return value.map(noNul) as T
  return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, noNul(v)])) as T
}
