import { errorText as sdkErrorText, isApiError, type UiHost } from '@sapa/sdk/ui'

/** A message for an error: ours for codes we can say better (with details filled in), else the server's. */
export const errorText = (host: UiHost, err: unknown): string => sdkErrorText(host, err, 'whatsapp')

/** Field-level problems of a 400 (`details: [{ field, problem }]` or `{ field }`), keyed by field. */
export function fieldErrors(err: unknown): Record<string, string> {
  if (!isApiError(err)) return {}
  const d = err.details
  const list = Array.isArray(d) ? d : d && typeof d === 'object' && 'field' in d ? [d] : []
  const out: Record<string, string> = {}
  for (const item of list as { field?: unknown; problem?: unknown }[]) {
    if (typeof item?.field === 'string') out[item.field] = typeof item.problem === 'string' ? item.problem : err.message
  }
  return out
}
