import type { Knex } from 'knex'
import { decodeCursor, decodeKeysetCursor, encodeCursor, encodeKeysetCursor, isUuid } from '@sapa/sdk'

/**
 * The orders of the contacts list. `created` is newest first (by the UUIDv7 id, the cursor is the
 * last id, as before). The others are keyset-paginated on (key, id): the cursor carries the sort,
 * the last row's key (the raw name, compared through the database's lower(), or the timestamp) and
 * its id as the tie-breaker. Contacts without a name, or never contacted, come last in every order.
 * The indexes for them: migrations/20261126000000_contacts_sort.ts.
 */
export const SORTS = ['created', 'name', '-name', 'last_contacted'] as const
export type ContactSort = (typeof SORTS)[number]

export interface SortAfter {
  key: string | null
  id: string
}

/** The cursor of `?cursor=` for this sort; one made for another sort is a 400 invalid_cursor. */
export function decodeSortCursor(sort: ContactSort, cursor: string | undefined): SortAfter | undefined {
  if (cursor === undefined) return undefined
  if (sort === 'created') return { key: null, id: decodeCursor(cursor)! }
  const [, key, id] = decodeKeysetCursor(cursor, (v): v is [ContactSort, string | null, string] => {
    const [s, key, id] = v
    if (v.length !== 3 || s !== sort || typeof id !== 'string' || !isUuid(id)) return false
    if (key === null) return true
    if (typeof key !== 'string' || key.length > 255) return false
    return sort !== 'last_contacted' || !Number.isNaN(Date.parse(key))
  })
  return { key, id }
}

interface SortRow {
  id: string
  name: string | null
  last_contacted_at: Date | string | null
}

export function encodeSortCursor(sort: ContactSort, row: SortRow): string {
  if (sort === 'created') return encodeCursor(row.id)
  const at = row.last_contacted_at
  const key = sort === 'last_contacted' ? (at === null ? null : new Date(at).toISOString()) : row.name
  return encodeKeysetCursor([sort, key, row.id])
}

/** Fetch limit+1 rows, return limit and the cursor to the next page (null at the end). */
export function sortedPage<T extends SortRow>(sort: ContactSort, rows: T[], limit: number): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit)
  return { items, nextCursor: rows.length > limit ? encodeSortCursor(sort, items[items.length - 1]) : null }
}

/**
 * Orders a contacts query by `sort` and keeps one of the two parts of that order after the last row
 * seen: the rows that have a key (`keyed`), then the ones without (`unkeyed`, by id), which come
 * last. Each part is one range of the sort's index (a row comparison for the keyed part), so a deep
 * page starts where the cursor points instead of filtering every row before it, as one condition
 * joining both parts with OR did.
 */
export function applySort(qb: Knex.QueryBuilder, sort: Exclude<ContactSort, 'created'>, after: SortAfter | undefined, part: 'keyed' | 'unkeyed'): void {
  const desc = sort !== 'name'
  const dir = desc ? 'desc' : 'asc'
  const cmp = desc ? '<' : '>'
  // The expressions of the index (migrations/20261126000000_contacts_sort.ts), so it serves these.
  const [keyExpr, param] = sort === 'last_contacted' ? ['contacts.last_contacted_at', '?'] : ['lower(contacts.name)', 'lower(?)']
  // The index's own order, `nulls last` included, in both parts (a part has one kind of key, but
  // the planner serves an ORDER BY from an index only if it names the index's order).
  qb.orderByRaw(`${keyExpr} ${dir} nulls last, contacts.id ${dir}`)
  if (part === 'unkeyed') {
    qb.whereRaw(`${keyExpr} is null`)
    if (after && after.key === null) qb.where('contacts.id', cmp, after.id)
    return
  }
  qb.whereRaw(`${keyExpr} is not null`)
  if (after && after.key !== null) {
    const key = sort === 'last_contacted' ? new Date(after.key) : after.key
    qb.whereRaw(`(${keyExpr}, contacts.id) ${cmp} (${param}, ?)`, [key, after.id])
  }
}
