import type { Knex } from 'knex'
import type { CountryCode } from 'libphonenumber-js'
import { AppError } from '@sapa/sdk'
import { phoneSearchForms } from './phone.ts'
import { coerceAttribute, type AttributeDef, type AttributeValue } from './values.ts'
import type { AttributeType } from './models.ts'

export type AttributeOp = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'contains' | 'in' | 'set' | 'unset'

export interface AttributeCondition {
  key: string
  op: AttributeOp
  value?: AttributeValue | AttributeValue[]
}

/** A segment: every part that is present must hold (AND). */
export interface SegmentFilter {
  labels?: { any?: string[]; all?: string[]; none?: string[] }
  attributes?: AttributeCondition[]
  optedOut?: boolean
  lastContacted?: { withinDays?: number; olderThanDays?: number; never?: boolean }
  createdWithinDays?: number
  q?: string
}

const OPS_BY_TYPE: Record<AttributeType, AttributeOp[]> = {
  text: ['eq', 'neq', 'contains', 'in', 'set', 'unset'],
  number: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'set', 'unset'],
  date: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'set', 'unset'],
  select: ['eq', 'neq', 'in', 'set', 'unset'],
  boolean: ['eq', 'set', 'unset'],
}

const uuidList = { type: 'array', maxItems: 50, uniqueItems: true, items: { type: 'string', format: 'uuid', maxLength: 36 } } as const
const scalar = [{ type: 'string', maxLength: 1000 }, { type: 'number' }, { type: 'boolean' }] as const
const days = { type: 'integer', minimum: 0, maximum: 36500 } as const

/** The JSON schema of a segment filter (routes). Types and ops are checked against the tenant's attributes in code. */
export const segmentFilterSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    labels: { type: 'object', additionalProperties: false, properties: { any: uuidList, all: uuidList, none: uuidList } },
    attributes: {
      type: 'array',
      maxItems: 20,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'op'],
        properties: {
          key: { type: 'string', minLength: 1, maxLength: 40 },
          op: { type: 'string', enum: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'contains', 'in', 'set', 'unset'] },
          value: { anyOf: [...scalar, { type: 'array', maxItems: 50, items: { anyOf: scalar } }] },
        },
      },
    },
    optedOut: { type: 'boolean' },
    lastContacted: { type: 'object', additionalProperties: false, properties: { withinDays: days, olderThanDays: days, never: { type: 'boolean' } } },
    createdWithinDays: days,
    q: { type: 'string', maxLength: 200 },
  },
} as const

const invalid = (message: string, field: string) => new AppError(400, 'invalid_segment_filter', message, { field })

/**
 * Checks a filter against the tenant's attributes and labels, and returns it with values in their
 * stored form (select options canonical, dates YYYY-MM-DD). Throws 400 with the offending field.
 */
export function checkSegmentFilter(filter: SegmentFilter, attributes: Map<string, AttributeDef>, labelIds: Set<string>): SegmentFilter {
  const out: SegmentFilter = { ...filter }
  for (const kind of ['any', 'all', 'none'] as const) {
    for (const id of filter.labels?.[kind] ?? []) {
      if (!labelIds.has(id)) throw new AppError(400, 'unknown_label', `There is no label ${id}`, { field: `filter.labels.${kind}` })
    }
  }
  out.attributes = (filter.attributes ?? []).map((condition, i) => {
    const field = `filter.attributes.${i}`
    const def = attributes.get(condition.key)
    if (!def) throw new AppError(400, 'unknown_attribute', `There is no contact attribute "${condition.key}"`, { field: `${field}.key` })
    if (!OPS_BY_TYPE[def.type].includes(condition.op)) {
      throw invalid(`"${condition.op}" does not apply to an attribute of type "${def.type}" (use ${OPS_BY_TYPE[def.type].join(', ')})`, `${field}.op`)
    }
    if (condition.op === 'set' || condition.op === 'unset') {
      if (condition.value !== undefined) throw invalid(`"${condition.op}" takes no value`, `${field}.value`)
      return { key: def.key, op: condition.op }
    }
    const one = (raw: unknown) => {
      if (condition.op === 'contains') {
        if (typeof raw !== 'string' || raw.trim() === '') throw invalid('"contains" needs some text', `${field}.value`)
        return raw.trim()
      }
      const coerced = coerceAttribute(def, raw, 'strict')
      if (!coerced.ok || coerced.value === null) throw invalid(`${def.key}: ${coerced.ok ? 'a value is needed' : coerced.reason}`, `${field}.value`)
      return coerced.value
    }
    if (condition.op === 'in') {
      if (!Array.isArray(condition.value) || condition.value.length === 0) throw invalid('"in" needs a list of values', `${field}.value`)
      return { key: def.key, op: 'in', value: condition.value.map(one) }
    }
    if (Array.isArray(condition.value)) throw invalid(`"${condition.op}" takes one value`, `${field}.value`)
    return { key: def.key, op: condition.op, value: one(condition.value) }
  })
  if (!out.attributes.length) delete out.attributes
  if (out.q !== undefined && out.q.trim() === '') delete out.q
  return out
}

export const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => '\\' + c)

/** Name, email or phone (any format: `0812 3456` finds `+628123456…`) contains the text. */
export function applySearch(qb: Knex.QueryBuilder, q: string, region: CountryCode): void {
  const text = q.trim().toLowerCase()
  if (!text) return
  const like = `%${escapeLike(text)}%`
  const phone = phoneSearchForms(text, region)
  qb.where((w) => {
    w.whereRaw('lower(contacts.name) like ?', [like]).orWhereRaw('lower(contacts.email) like ?', [like])
    if (phone) {
      w.orWhere('contacts.phone', 'like', `%${phone.digits}%`)
      if (phone.prefix) w.orWhere('contacts.phone', 'like', `${phone.prefix}%`)
    }
  })
}

const SQL_OP: Record<string, string> = { eq: '=', gt: '>', gte: '>=', lt: '<', lte: '<=' }

function applyAttribute(qb: Knex.QueryBuilder, c: AttributeCondition, type: AttributeType): void {
  const text = 'contacts.attributes ->> ?'
  if (c.op === 'set') return void qb.whereRaw(`(${text}) is not null`, [c.key])
  if (c.op === 'unset') return void qb.whereRaw(`(${text}) is null`, [c.key])
  if (type === 'boolean') return void qb.whereRaw('(contacts.attributes -> ?) = ?::jsonb', [c.key, JSON.stringify(c.value)])
  if (type === 'number') {
    const num = `(case when jsonb_typeof(contacts.attributes -> ?) = 'number' then (${text})::numeric end)`
    if (c.op === 'in') {
      const values = c.value as number[]
      return void qb.whereRaw(`${num} in (${values.map(() => '?').join(', ')})`, [c.key, c.key, ...values])
    }
    if (c.op === 'neq') return void qb.whereRaw(`${num} is distinct from ?`, [c.key, c.key, c.value as number])
    return void qb.whereRaw(`${num} ${SQL_OP[c.op]} ?`, [c.key, c.key, c.value as number])
  }
  // text, select and date values are stored as strings; text compares case-insensitively.
  const column = type === 'text' ? `lower(${text})` : `(${text})`
  const value = (v: unknown) => (type === 'text' ? String(v).toLowerCase() : String(v))
  if (c.op === 'contains') return void qb.whereRaw(`${column} like ?`, [c.key, `%${escapeLike(value(c.value))}%`])
  if (c.op === 'in') {
    const values = (c.value as AttributeValue[]).map(value)
    return void qb.whereRaw(`${column} in (${values.map(() => '?').join(', ')})`, [c.key, ...values])
  }
  if (c.op === 'neq') return void qb.whereRaw(`${column} is distinct from ?`, [c.key, value(c.value)])
  qb.whereRaw(`${column} ${SQL_OP[c.op]} ?`, [c.key, value(c.value)])
}

/** A subquery for `where exists`: the contact has one of these labels (built on knex, compiled into the outer query). */
export function labelLinks(knex: Knex, ids: string[]): Knex.QueryBuilder {
  return knex('contact_label_links as cl')
    .select(knex.raw('1'))
    .whereRaw('cl.tenant_id = contacts.tenant_id and cl.contact_id = contacts.id')
    .whereIn('cl.label_id', ids)
}

export interface FilterContext {
  knex: Knex
  now: Date
  region: CountryCode
  attributes: Map<string, AttributeDef>
}

/** Adds a segment filter's conditions (all ANDed, ORs grouped) to a contacts query. */
export function applySegment(qb: Knex.QueryBuilder, filter: SegmentFilter, fc: FilterContext): void {
  const { labels } = filter
  if (labels?.any?.length) qb.whereExists(labelLinks(fc.knex, labels.any))
  for (const id of labels?.all ?? []) qb.whereExists(labelLinks(fc.knex, [id]))
  if (labels?.none?.length) qb.whereNotExists(labelLinks(fc.knex, labels.none))
  for (const condition of filter.attributes ?? []) {
    const def = fc.attributes.get(condition.key)
    // An attribute deleted since the segment was saved: nobody has a value for it any more.
    if (!def) {
      if (condition.op !== 'unset') qb.whereRaw('false')
      continue
    }
    applyAttribute(qb, condition, def.type)
  }
  if (filter.optedOut !== undefined) qb.where('contacts.opted_out', filter.optedOut)
  const day = 86_400_000
  const lc = filter.lastContacted
  if (lc?.withinDays !== undefined) qb.where('contacts.last_contacted_at', '>=', new Date(fc.now.getTime() - lc.withinDays * day))
  if (lc?.olderThanDays !== undefined) {
    const cutoff = new Date(fc.now.getTime() - lc.olderThanDays * day)
    qb.where((w) => w.where('contacts.last_contacted_at', '<', cutoff).orWhereNull('contacts.last_contacted_at'))
  }
  if (lc?.never === true) qb.whereNull('contacts.last_contacted_at')
  if (lc?.never === false) qb.whereNotNull('contacts.last_contacted_at')
  if (filter.createdWithinDays !== undefined) qb.where('contacts.created_at', '>=', new Date(fc.now.getTime() - filter.createdWithinDays * day))
  if (filter.q) applySearch(qb, filter.q, fc.region)
}
