import type { AttributeType } from './models.ts'

/** What validation needs to know about an attribute (also shipped to the import worker). */
export interface AttributeDef {
  key: string
  label: string
  type: AttributeType
  options: string[] | null
  required: boolean
}

export type AttributeValue = string | number | boolean
export type Coerced = { ok: true; value: AttributeValue | null } | { ok: false; reason: string }

export const ATTRIBUTE_TYPES: readonly AttributeType[] = ['text', 'number', 'date', 'select', 'boolean']
export const MAX_TEXT_VALUE = 1000
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/

const show = (raw: unknown) => JSON.stringify(typeof raw === 'string' ? raw.slice(0, 40) : raw)

function isoDate(y: number, m: number, d: number): string | null {
  const date = new Date(Date.UTC(y, m - 1, d))
  if (y < 1000 || y > 9999 || date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null
  return date.toISOString().slice(0, 10)
}

/** Excel's day numbers (1900 date system, including its phantom 29 Feb 1900) to a calendar date. */
export function excelSerialToDate(serial: number): string | null {
  if (!Number.isFinite(serial) || serial < 1 || serial > 2958465) return null
  const ms = Date.UTC(1899, 11, 30) + Math.floor(serial) * 86_400_000
  return new Date(ms).toISOString().slice(0, 10)
}

/** Spreadsheet-ish dates: ISO, day-first D/M/Y (Indonesian convention), an Excel serial, a Date. */
function lenientDate(raw: unknown): string | null {
  if (raw instanceof Date) return Number.isNaN(raw.getTime()) ? null : raw.toISOString().slice(0, 10)
  if (typeof raw === 'number') return excelSerialToDate(raw)
  if (typeof raw !== 'string') return null
  const text = raw.trim()
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(text)
  if (m) return isoDate(+m[1], +m[2], +m[3])
  m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(text)
  if (m) return isoDate(+m[3], +m[2], +m[1])
  if (/^\d{1,7}(\.\d+)?$/.test(text)) return excelSerialToDate(Number(text))
  return null
}

/** "1.234,5" and "1,234.5" and "12,5": the last separator is the decimal one. */
function lenientNumber(raw: unknown): number | null {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : null
  if (typeof raw !== 'string') return null
  let text = raw.replace(/[\s\u00a0]/g, '')
  if (!/^[-+]?[\d.,]+$/.test(text)) return null
  const lastDot = text.lastIndexOf('.')
  const lastComma = text.lastIndexOf(',')
  if (lastComma > lastDot) text = text.replace(/\./g, '').replace(',', '.')
  else text = text.replace(/,/g, '')
  if (!/^[-+]?\d+(\.\d+)?$/.test(text)) return null
  const value = Number(text)
  return Number.isFinite(value) ? value : null
}

const TRUE = new Set(['true', 'yes', 'y', '1', 'ya', 'benar'])
const FALSE = new Set(['false', 'no', 'n', '0', 'tidak', 'salah'])

/**
 * A value for an attribute. `strict` is the JSON API (the type must be exact); `lenient` is an
 * import cell (text that reads as the type is accepted). Empty means "no value" (null).
 */
export function coerceAttribute(def: AttributeDef, raw: unknown, mode: 'strict' | 'lenient'): Coerced {
  if (raw === null || raw === undefined || (typeof raw === 'string' && raw.trim() === '')) return { ok: true, value: null }
  switch (def.type) {
    case 'text': {
      const value = mode === 'strict' ? (typeof raw === 'string' ? raw : null) : raw instanceof Date ? raw.toISOString().slice(0, 10) : String(raw)
      if (value === null) return { ok: false, reason: 'must be text' }
      if (value.length > MAX_TEXT_VALUE) return { ok: false, reason: `must be at most ${MAX_TEXT_VALUE} characters` }
      return { ok: true, value: value.trim() }
    }
    case 'number': {
      const value = mode === 'strict' ? (typeof raw === 'number' && Number.isFinite(raw) ? raw : null) : lenientNumber(raw)
      return value === null ? { ok: false, reason: `${show(raw)} is not a number` } : { ok: true, value }
    }
    case 'date': {
      const value = mode === 'strict' ? (typeof raw === 'string' && DATE.test(raw) ? isoDate(...(DATE.exec(raw)!.slice(1).map(Number) as [number, number, number])) : null) : lenientDate(raw)
      return value === null ? { ok: false, reason: `${show(raw)} is not a date (use YYYY-MM-DD)` } : { ok: true, value }
    }
    case 'select': {
      const text = typeof raw === 'string' ? raw.trim() : mode === 'lenient' && (typeof raw === 'number' || typeof raw === 'boolean') ? String(raw) : null
      const options = def.options ?? []
      const value = text === null ? undefined : options.find((o) => o === text) ?? options.find((o) => o.toLowerCase() === text.toLowerCase())
      return value === undefined ? { ok: false, reason: `${show(raw)} is not one of ${options.map((o) => JSON.stringify(o)).join(', ')}` } : { ok: true, value }
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return { ok: true, value: raw }
      if (mode === 'lenient' && (typeof raw === 'string' || typeof raw === 'number')) {
        const text = String(raw).trim().toLowerCase()
        if (TRUE.has(text)) return { ok: true, value: true }
        if (FALSE.has(text)) return { ok: true, value: false }
      }
      return { ok: false, reason: `${show(raw)} is not true or false` }
    }
  }
}

const EMAIL = /^[^\s@"<>()[\]\\,;:]+@[^\s@"<>()[\]\\,;:]+\.[^\s@"<>()[\]\\,;:]{2,}$/

/** A plausible address, lower-cased domain; null when it is not one. */
export function normalizeEmail(raw: unknown): string | null {
  if (typeof raw !== 'string') return null
  const text = raw.trim()
  if (text.length > 254 || !EMAIL.test(text)) return null
  const at = text.lastIndexOf('@')
  return text.slice(0, at) + '@' + text.slice(at + 1).toLowerCase()
}
