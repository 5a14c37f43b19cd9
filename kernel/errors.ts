/**
 * The one error shape every route answers with:
 * `{ "error": { "code": "campaign_not_found", "message": "…", "details"?: … } }`.
 * Throw an AppError anywhere in a handler; the error handler turns it into that body.
 */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
    this.name = 'AppError'
  }
}

export const notFound = (what: string, code = `${what}_not_found`) =>
  new AppError(404, code, `${what.replace(/_/g, ' ')} not found`)
export const forbidden = (message = 'You do not have permission to do this', details?: unknown) =>
  new AppError(403, 'forbidden', message, details)
export const conflict = (code: string, message: string, details?: unknown) => new AppError(409, code, message, details)
export const badRequest = (code: string, message: string, details?: unknown) => new AppError(400, code, message, details)
export const unauthorized = (message = 'Sign in first') => new AppError(401, 'unauthorized', message)

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown }
}

/** A unique index refused the row (raw knex errors carry the SQLSTATE; Objection wraps them). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; name?: string; nativeError?: { code?: string } }
  return e?.code === '23505' || e?.nativeError?.code === '23505' || e?.name === 'UniqueViolationError'
}
