import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify'
import { AppError, type ErrorBody } from '../errors.ts'

// Fastify's own errors mapped to stable codes; anything unknown becomes a bare 500.
const FASTIFY_CODES: Record<string, [number, string, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'payload_too_large', 'The request body is too large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type', 'Send the body as application/json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'invalid_content_length', 'The Content-Length header does not match the body'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'invalid_json', 'The JSON body is empty'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'invalid_json', 'The body is not valid JSON'],
  FST_ERR_CTP_INVALID_TYPE: [415, 'unsupported_media_type', 'The Content-Type header is not valid'],
}

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } }
}

/**
 * The answer for a path that does not exist, also given where a route must not reveal that it
 * exists (the SPA fallback's reserved paths, the queue dashboard to non-operators).
 */
export const routeNotFoundBody = (req: Pick<FastifyRequest, 'method' | 'url'>): ErrorBody =>
  errorBody('route_not_found', routeNotFoundMessage(req))

/** The same answer, thrown from a hook. */
export const routeNotFoundError = (req: Pick<FastifyRequest, 'method' | 'url'>): AppError => new AppError(404, 'route_not_found', routeNotFoundMessage(req))

const routeNotFoundMessage = (req: Pick<FastifyRequest, 'method' | 'url'>) => `No route ${req.method} ${req.url.split('?')[0]}`

/** Anything unexpected: the cause goes to the log, never to the client. */
export const internalErrorBody = (): ErrorBody => errorBody('internal_error', 'Something went wrong on our side')

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError & { validationContext?: string }, req, reply) => {
    if (err instanceof AppError) {
      return reply.status(err.statusCode).send(errorBody(err.code, err.message, err.details))
    }
    if (err.validation) {
      const details = err.validation.map((v) => {
        // A missing or unknown property is reported on its parent object: name the property
        // itself (admin.email, not admin), so nested mistakes are as clear as top-level ones.
        const property = (v.params as any)?.missingProperty ?? (v.params as any)?.additionalProperty
        const path = (v.instancePath || '').replace(/^\//, '').split('/').filter(Boolean)
        if (property !== undefined && (v.keyword === 'required' || v.keyword === 'additionalProperties' || v.keyword === 'dependencies')) path.push(property)
        return {
          in: err.validationContext,
          field: path.join('.'),
          problem: v.keyword === 'additionalProperties' ? `unknown field "${(v.params as any).additionalProperty}"` : v.message,
        }
      })
      return reply.status(400).send(errorBody('validation_failed', 'The request is not valid', details))
    }
    const known = err.code ? FASTIFY_CODES[err.code] : undefined
    if (known) return reply.status(known[0]).send(errorBody(known[1], known[2]))
    // JSON parse errors from secure-json-parse (__proto__ / constructor keys) and bad JSON.
    if (err instanceof SyntaxError || /prototype|constructor/i.test(err.message ?? '') && (err.statusCode ?? 500) === 400) {
      return reply.status(400).send(errorBody('invalid_json', 'The body is not valid JSON or contains a forbidden key'))
    }
    if (err.statusCode === 429) return reply.status(429).send(errorBody('rate_limited', 'Too many attempts, try again in a minute'))
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.status(err.statusCode).send(errorBody('bad_request', 'The request could not be processed'))
    }
    req.log.error({ err }, 'unhandled error')
    return reply.status(500).send(internalErrorBody())
  })

  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send(routeNotFoundBody(req))
  })
}
