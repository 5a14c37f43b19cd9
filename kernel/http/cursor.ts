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

/** Fetch limit+1 rows, return limit and the cursor to the next page (null at the end). */
export function page<T extends { id: string }>(rows: T[], limit: number): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit)
  return { items, nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1].id) : null }
}
