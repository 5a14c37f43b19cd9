/**
 * Checks a route's input schemas at registration: every object closes its properties,
 * every string and array is bounded. A route that breaks the rule fails the boot, so
 * the rule holds for plugin routes written tomorrow, not only for the ones reviewed today.
 */
const BOUNDED_FORMATS = new Set(['uuid', 'date-time', 'date', 'time', 'email', 'uri', 'ipv4', 'ipv6'])

export function lintSchema(schema: unknown, where: string, problems: string[] = []): string[] {
  if (!schema || typeof schema !== 'object') return problems
  const s = schema as Record<string, any>
  const types = Array.isArray(s.type) ? s.type : [s.type]
  if (types.includes('object') || s.properties) {
    if (s.additionalProperties !== false && !(typeof s.additionalProperties === 'object' && typeof s.maxProperties === 'number')) {
      problems.push(`${where}: objects need additionalProperties: false (or a schema with maxProperties)`)
    }
    for (const [name, child] of Object.entries(s.properties ?? {})) lintSchema(child, `${where}.${name}`, problems)
    if (typeof s.additionalProperties === 'object') lintSchema(s.additionalProperties, `${where}.*`, problems)
  }
  if (types.includes('string') && s.maxLength === undefined && s.enum === undefined && s.const === undefined && !BOUNDED_FORMATS.has(s.format)) {
    problems.push(`${where}: strings need maxLength, enum or a bounded format`)
  }
  if (types.includes('array')) {
    if (s.maxItems === undefined) problems.push(`${where}: arrays need maxItems`)
    lintSchema(s.items, `${where}[]`, problems)
  }
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    if (Array.isArray(s[key])) s[key].forEach((child: unknown, i: number) => lintSchema(child, `${where}.${key}[${i}]`, problems))
  }
  return problems
}
