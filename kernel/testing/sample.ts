/**
 * A minimal valid value for a route's JSON schema, so a generic test can get past
 * validation and reach the handler. `uuid` supplies ids (the cross-tenant suite hands in
 * another tenant's ids here).
 */
export function sampleFromSchema(schema: any, opts: { uuid: () => string; optional?: boolean }): unknown {
  if (!schema || typeof schema !== 'object') return undefined
  if (schema.const !== undefined) return schema.const
  if (Array.isArray(schema.enum)) return schema.enum[0]
  if (schema.default !== undefined) return schema.default
  if (Array.isArray(schema.anyOf) || Array.isArray(schema.oneOf)) return sampleFromSchema((schema.anyOf ?? schema.oneOf)[0], opts)
  const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== 'null') : schema.type
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {}
      const props = Object.entries<any>(schema.properties ?? {})
      const required = new Set<string>(schema.required ?? [])
      const wanted = props.filter(([name]) => required.has(name) || opts.optional)
      // PATCH bodies say minProperties: 1; give them their first field.
      if (wanted.length < (schema.minProperties ?? 0)) wanted.push(...props.filter(([n]) => !required.has(n)).slice(0, schema.minProperties - wanted.length))
      for (const [name, child] of wanted) out[name] = sampleFromSchema(child, opts)
      return out
    }
    case 'array':
      return schema.minItems ? Array.from({ length: schema.minItems }, () => sampleFromSchema(schema.items, opts)) : []
    case 'integer':
    case 'number':
      return schema.minimum ?? 1
    case 'boolean':
      return false
    case 'string': {
      if (schema.format === 'uuid') return opts.uuid()
      if (schema.format === 'email') return `sample${Math.random().toString(36).slice(2, 8)}@example.com`
      if (schema.format === 'date-time') return new Date(Date.now() + 86_400_000).toISOString()
      if (schema.format === 'uri') return 'https://example.com/'
      if (schema.pattern) return 'sample'
      return 'sample'.padEnd(schema.minLength ?? 0, 'x').slice(0, schema.maxLength ?? 100)
    }
    default:
      return undefined
  }
}
