import type { AttributeDef } from '../values.ts'

/** Where a file column goes. */
export type Target = 'name' | 'phone' | 'email' | 'labels' | 'ignore' | `attributes.${string}`

/** Header names that would reach object prototypes if a parser keyed rows by header: refused outright. */
export const FORBIDDEN_HEADERS = new Set(['__proto__', 'constructor', 'prototype'])

export class MappingError extends Error {
  constructor(readonly code: string, message: string, readonly details?: Record<string, unknown>) {
    super(message)
  }
}

export const normalizeHeader = (header: string) => header.trim().toLowerCase().replace(/[\s_\-.]+/g, ' ')

// Headers recognised without a mapping (English and Bahasa Indonesia, and what our export writes).
const ALIASES = new Map<string, Target>([
  ...['name', 'nama', 'full name', 'nama lengkap', 'contact name', 'contact', 'contacts name', 'customer', 'pelanggan', 'kontak'].map((h) => [h, 'name'] as const),
  ...['phone', 'phone number', 'phone no', 'mobile', 'mobile number', 'whatsapp', 'whatsapp number', 'wa', 'no wa', 'nomor wa', 'nomor whatsapp',
    'hp', 'no hp', 'nomor hp', 'nomor', 'nomor telepon', 'no telepon', 'telepon', 'telp', 'no telp', 'handphone', 'msisdn'].map((h) => [h, 'phone'] as const),
  ...['email', 'e mail', 'email address', 'alamat email', 'surel'].map((h) => [h, 'email'] as const),
  ...['labels', 'label', 'tags', 'tag', 'label kontak'].map((h) => [h, 'labels'] as const),
])

/** A mapping value as the API takes it: a fixed field, `attributes.<key>` or `ignore`. */
export function parseTarget(value: string, attributes: Map<string, AttributeDef>): Target {
  if (value === 'name' || value === 'phone' || value === 'email' || value === 'labels' || value === 'ignore') return value
  if (value.startsWith('attributes.')) {
    const key = value.slice('attributes.'.length)
    if (!attributes.has(key)) throw new MappingError('unknown_attribute', `There is no contact attribute "${key.slice(0, 40)}"`, { field: 'mapping', value })
    return `attributes.${key}`
  }
  throw new MappingError('invalid_mapping', `"${value.slice(0, 60)}" is not a field (name, phone, email, labels, attributes.<key> or ignore)`, { field: 'mapping', value })
}

/**
 * What recognised headers (`nama`, `no hp`, `attributes.city`, an attribute's key or label) map to,
 * the first column of each kind winning; null for the rest. The import wizard offers this as its
 * starting mapping, and an upload without a mapping uses it.
 */
export function guessColumns(headers: string[], attributes: Map<string, AttributeDef>): (Target | null)[] {
  const byLabel = new Map<string, string>()
  for (const def of attributes.values()) byLabel.set(normalizeHeader(def.label), def.key)
  const columns = headers.map((raw): Target | null => {
    const header = (raw ?? '').toString().trim()
    const normal = normalizeHeader(header)
    if (!normal) return null
    const alias = ALIASES.get(normal)
    if (alias) return alias
    if (normal.startsWith('attributes ') && attributes.has(header.slice('attributes.'.length))) return `attributes.${header.slice('attributes.'.length)}`
    if (attributes.has(header)) return `attributes.${header}`
    if (byLabel.has(normal)) return `attributes.${byLabel.get(normal)}`
    return null
  })
  // A second "phone" column is ignored rather than an error.
  const seen = new Set<string>()
  columns.forEach((target, i) => {
    if (target && target !== 'labels') {
      if (seen.has(target)) columns[i] = null
      seen.add(target)
    }
  })
  return columns
}

/** Throws MappingError for a header that is refused outright (`__proto__`, …). */
export function checkHeaders(headers: string[]): void {
  for (const header of headers) {
    const text = (header ?? '').toString().trim()
    if (FORBIDDEN_HEADERS.has(text.toLowerCase())) throw new MappingError('invalid_header', `The column header "${text}" is not allowed`, { header: text })
  }
}

/**
 * Each column's target, from an explicit mapping (used exactly: unmapped columns are ignored) or
 * from recognised headers (`nama`, `no hp`, `attributes.city`, an attribute's key or label).
 * Throws MappingError for a forbidden or missing header, a target used twice, or no phone column.
 */
export function resolveColumns(headers: string[], mapping: [string, string][] | null, attributes: Map<string, AttributeDef>): (Target | null)[] {
  const trimmed = headers.map((h) => (h ?? '').toString().trim())
  checkHeaders(trimmed)
  let columns: (Target | null)[] = trimmed.map(() => null)
  if (mapping) {
    for (const [header, value] of mapping) {
      const target = parseTarget(value, attributes)
      let index = trimmed.indexOf(header.trim())
      if (index === -1) index = trimmed.findIndex((h) => normalizeHeader(h) === normalizeHeader(header))
      if (index === -1) throw new MappingError('mapping_unknown_column', `The file has no column "${header.slice(0, 60)}"`, { column: header.slice(0, 200) })
      columns[index] = target === 'ignore' ? null : target
    }
  } else {
    columns = guessColumns(trimmed, attributes)
  }
  const used = new Set<string>()
  for (const target of columns) {
    if (!target || target === 'labels') continue
    if (used.has(target)) throw new MappingError('mapping_duplicate_target', `Two columns are mapped to ${target}`, { target })
    used.add(target)
  }
  if (!used.has('phone')) {
    throw new MappingError('phone_column_missing', 'No column holds the phone number: name it "phone" (or "nomor", "no hp", "whatsapp") or map one to phone', { headers: trimmed.slice(0, 50) })
  }
  return columns
}
