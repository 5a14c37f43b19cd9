// @sapa/sdk — everything a plugin author imports on the server side.
export * from './plugin.ts'
export { TenantModel, UnscopedTenantQueryError } from '../kernel/db/tenant-model.ts'
export { AppError, notFound, forbidden, conflict, badRequest, isUniqueViolation } from '../kernel/errors.ts'
export { newId, isUuid } from '../kernel/db/ids.ts'
export { emptyBody, idParams, noQuery, pageQuery, str, uuid } from '../kernel/http/schemas.ts'
export { encodeCursor, decodeCursor, encodeKeysetCursor, decodeKeysetCursor, page } from '../kernel/http/cursor.ts'
export { createBatcher, type Batcher, type BatcherOptions } from '../kernel/db/batcher.ts'
export { preparedQuery } from '../kernel/db/prepared.ts'
