import { Ajv, type Options } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'

/**
 * Two validators: the query string and params arrive as text, so they are coerced ("5" → 5);
 * a JSON body is not — `"level": "1"` or `"name": ["x"]` is a 400, not silently converted.
 * Neither drops unknown fields: `additionalProperties: false` answers 400 instead of ignoring a typo.
 */
export function createValidators(): FastifySchemaCompiler<any> {
  const base: Options = { removeAdditional: false, useDefaults: true, allErrors: false, strict: true }
  const coercing = new Ajv({ ...base, coerceTypes: 'array' })
  const exact = new Ajv({ ...base, coerceTypes: false })
  for (const ajv of [coercing, exact]) {
    addFormats.default(ajv)
    ajv.addKeyword({ keyword: 'tags' }).addKeyword({ keyword: 'example' })
  }
  return ({ schema, httpPart }) => (httpPart === 'body' ? exact : coercing).compile(schema as object)
}
