import type { FastifyInstance } from 'fastify'
import { AppError } from '../errors.ts'

// A \u0000 escape not itself escaped (an odd run of backslashes before "u0000").
const NUL_ESCAPE = /(^|[^\\])(\\\\)*\\u0000/i

/**
 * Fastify's own JSON parser (prototype-poisoning checks included), refusing NUL characters:
 * Postgres cannot store U+0000 in text or jsonb, so one would turn a user's typo into a 500.
 */
export function installJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (typeof body === 'string' && NUL_ESCAPE.test(body)) {
      return done(new AppError(400, 'invalid_characters', 'Text may not contain NUL (\\u0000) characters'), undefined)
    }
    parse(req, body as string, done)
  })
}
