import { v7 } from 'uuid'

/** Ids are UUIDv7: time-ordered, so indexes stay compact and ids double as a stable sort key. */
export const newId = (): string => v7()

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value)
