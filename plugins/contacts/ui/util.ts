import { createSignal, onCleanup } from 'solid-js'
import { errorText as sdkErrorText, isApiError, type UiHost } from '@sapa/sdk/ui'
import type { ListFilters } from './types.ts'

/** Our wording for codes we can say better, else the server's message (it is already specific). */
export const errorText = (host: UiHost, err: unknown): string => sdkErrorText(host, err, 'contacts')

/** The field a 400 names (`details.field`), e.g. `phone` or `attributes.city`. */
export function errorField(err: unknown): string | null {
  if (!isApiError(err)) return null
  const d = err.details as { field?: unknown } | { field?: unknown }[] | undefined
  const field = Array.isArray(d) ? d[0]?.field : d?.field
  return typeof field === 'string' ? field : null
}

export function formatDate(host: UiHost, iso: string | null | undefined, withTime = true): string {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return '—'
  const options: Intl.DateTimeFormatOptions = withTime ? { dateStyle: 'medium', timeStyle: 'short' } : { dateStyle: 'medium' }
  try {
    return new Intl.DateTimeFormat(host.locale() === 'id' ? 'id-ID' : 'en-GB', { ...options, timeZone: host.tenant().timezone || undefined }).format(d)
  } catch {
    return d.toISOString().slice(0, 16).replace('T', ' ')
  }
}

export const formatNumber = (host: UiHost, n: number) => new Intl.NumberFormat(host.locale() === 'id' ? 'id-ID' : 'en-US').format(n)

/** A value that follows `source` once it has been still for `ms` (search as you type). */
export function debounced<T>(initial: T, ms: number) {
  const [value, setValue] = createSignal<T>(initial)
  let timer: ReturnType<typeof setTimeout> | undefined
  onCleanup(() => clearTimeout(timer))
  return {
    value,
    set(next: T) {
      clearTimeout(timer)
      timer = setTimeout(() => setValue(() => next), ms)
    },
    /** At once (Enter, clearing the box). */
    now(next: T) {
      clearTimeout(timer)
      setValue(() => next)
    },
  }
}

/** The list / export query for the table's filters (empty ones left out). */
export function filterQuery(f: ListFilters): Record<string, string> {
  const out: Record<string, string> = {}
  if (f.q.trim()) out.q = f.q.trim()
  if (f.label) out.label = f.label
  if (f.segment) out.segment = f.segment
  if (f.optedOut) out.optedOut = f.optedOut
  return out
}

export function exportUrl(f: ListFilters, format: 'csv' | 'xlsx'): string {
  return `/api/contacts/export?${new URLSearchParams({ format, ...filterQuery(f) })}`
}

export const contactTitle = (c: { name: string | null; phone: string }) => c.name?.trim() || c.phone
