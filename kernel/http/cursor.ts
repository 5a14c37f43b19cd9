import { badRequest } from '../errors.ts'
import { isUuid } from '../db/ids.ts'

/**
 * Opaque cursors for keyset pagination. Lists order by a UUIDv7 id (time-ordered), so the
 * cursor is just the last id seen, wrapped so clients treat it as opaque.
 */
export const encodeCursor = (value: string): string => Buffer.from(value).toString('base64url')

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined
  const value = Buffer.from(cursor, 'base64url').toString()
  // A real uuid, not just 36 hex-or-dash characters: anything else reaches Postgres' uuid cast as a 500.
  if (!isUuid(value)) throw badRequest('invalid_cursor', 'The cursor is not valid')
  return value
}

type CursorValue = string | number | boolean | null

/**
 * A keyset cursor for an order other than the id alone: the last row's values in that order (and
 * whatever else the list needs to check, e.g. which sort it was made for), e.g.
 * `[sort, key, id]`, as opaque base64url JSON.
 */
export const encodeKeysetCursor = (values: readonly CursorValue[]): string => encodeCursor(JSON.stringify(values))

/**
 * The values of a keyset cursor. `valid` checks them (their number, types, ranges, the sort they were
 * made for): a cursor that is not base64url JSON, not an array, or refused by `valid` is a 400
 * `invalid_cursor`, never a database error. Values reaching SQL as uuids must be checked with isUuid.
 */
export function decodeKeysetCursor<T extends CursorValue[]>(cursor: string, valid: (values: unknown[]) => values is T): T {
  let values: unknown
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString())
  } catch {
    values = null
  }
  if (!Array.isArray(values) || !valid(values)) throw badRequest('invalid_cursor', 'The cursor is not valid')
  return values
}

/** Fetch limit+1 rows, return limit and the cursor to the next page (null at the end). */
export function page<T extends { id: string }>(rows: T[], limit: number): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit)
  return { items, nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1].id) : null }
}
