import type { CountryCode } from 'libphonenumber-js'
import { normalizePhone } from '../phone.ts'
import { coerceAttribute, normalizeEmail, type AttributeDef, type AttributeValue } from '../values.ts'
import type { Target } from './mapping.ts'

/** A file row ready to write (phone normalised, values typed), or why it cannot be. */
export interface PreparedRow {
  row: number
  phone: string
  name: string | null
  email: string | null
  attributes: Record<string, AttributeValue> | null
  labels: string[] | null
}
export interface RowError {
  row: number
  error: string
}
export type ParsedRow = PreparedRow | RowError

export const MAX_LABELS_PER_ROW = 20
export const MAX_LABEL_LENGTH = 60
export const MAX_NAME_LENGTH = 255

/** Our export (and careful spreadsheet users) prefix formula-like text with '; take it off again. */
const ESCAPED = /^'[=+\-@\t\r']/

export function cellText(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString().slice(0, 10)
  if (typeof value === 'string') {
    const text = value.trim()
    return ESCAPED.test(text) ? text.slice(1) : text
  }
  return String(value)
}

const show = (text: string) => JSON.stringify(text.length > 40 ? text.slice(0, 40) + '…' : text)

export interface PrepareContext {
  columns: (Target | null)[]
  attributes: Map<string, AttributeDef>
  region: CountryCode
}

/**
 * One data row → a PreparedRow, a RowError, or null when every mapped cell is empty (empty rows are
 * ignored). `cells` is the row as the parser gave it (strings, numbers, Dates); values are read by
 * column index, so no header ever becomes an object key.
 */
export function prepareRow(cells: readonly unknown[], row: number, ctx: PrepareContext): ParsedRow | null {
  const { columns } = ctx
  let phoneRaw: unknown = null
  let name: string | null = null
  let email: string | null = null
  let attributes: Record<string, AttributeValue> | null = null
  const labels: string[] = []
  let empty = true
  for (let i = 0; i < columns.length; i++) {
    const target = columns[i]
    if (!target) continue
    const raw = cells[i]
    const text = cellText(raw)
    if (text === '') continue
    empty = false
    if (target === 'phone') phoneRaw = typeof raw === 'number' ? raw : text
    else if (target === 'name') name = text
    else if (target === 'email') email = text
    else if (target === 'labels') labels.push(...text.split(/[,;|]/).map((l) => l.trim()).filter(Boolean))
    else if (target.startsWith('attributes.')) {
      const def = ctx.attributes.get(target.slice('attributes.'.length))!
      const coerced = coerceAttribute(def, typeof raw === 'string' ? text : raw, 'lenient')
      if (!coerced.ok) return { row, error: `${def.key}: ${coerced.reason}` }
      if (coerced.value !== null) {
        attributes ??= Object.create(null) as Record<string, AttributeValue>
        attributes[def.key] = coerced.value
      }
    }
  }
  if (empty) return null
  if (phoneRaw === null) return { row, error: 'phone is missing' }
  const phone = normalizePhone(phoneRaw, ctx.region)
  if (!phone) return { row, error: `${show(cellText(phoneRaw))} is not a valid phone number` }
  if (name !== null && name.length > MAX_NAME_LENGTH) return { row, error: `name is longer than ${MAX_NAME_LENGTH} characters` }
  if (email !== null) {
    const normal = normalizeEmail(email)
    if (!normal) return { row, error: `${show(email)} is not a valid email address` }
    email = normal
  }
  let uniqueLabels: string[] | null = null
  if (labels.length) {
    const seen = new Map<string, string>()
    for (const label of labels) {
      if (label.length > MAX_LABEL_LENGTH) return { row, error: `label ${show(label)} is longer than ${MAX_LABEL_LENGTH} characters` }
      if (!seen.has(label.toLowerCase())) seen.set(label.toLowerCase(), label)
    }
    if (seen.size > MAX_LABELS_PER_ROW) return { row, error: `more than ${MAX_LABELS_PER_ROW} labels` }
    uniqueLabels = [...seen.values()]
  }
  // Plain object for the trip to the main thread; its keys are attribute keys checked above.
  const plainAttributes = attributes ? Object.fromEntries(Object.entries(attributes)) : null
  return { row, phone, name, email, attributes: plainAttributes, labels: uniqueLabels }
}
