/** Small building blocks for route schemas, so every route stays strict without repeating itself. */
// ajv-formats' "uuid" also accepts a "urn:uuid:" prefix, which Postgres refuses (a 500): pin the plain form.
export const uuid = { type: 'string', format: 'uuid', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' } as const
export const idParams = { type: 'object', additionalProperties: false, required: ['id'], properties: { id: uuid } } as const
export const noQuery = { type: 'object', additionalProperties: false, properties: {} } as const
export const emptyBody = { type: ['object', 'null'], additionalProperties: false, properties: {} } as const
export const str = (maxLength: number, minLength = 0) => ({ type: 'string', minLength, maxLength }) as const
export const pageQuery = {
  limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
  cursor: { type: 'string', maxLength: 200 },
} as const
