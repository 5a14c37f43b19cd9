// The API client: JSON in and out, the session cookie, the CSRF header on mutations, typed errors.
import type { ApiError as ApiErrorShape } from '@sapa/sdk/ui'

export class ApiError extends Error implements ApiErrorShape {
  override readonly name = 'ApiError' as const
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
  }
}

export interface ApiInit {
  method?: string
  body?: unknown
  query?: Record<string, string | number | boolean | undefined | null>
}

// Kept in localStorage (read on every request), so every tab uses the token of the latest sign-in.
const CSRF_KEY = 'sapa.csrf'
let onSessionLost: (code: string) => void = () => {}

export function setCsrfToken(token: string | null): void {
  if (token) localStorage.setItem(CSRF_KEY, token)
  else localStorage.removeItem(CSRF_KEY)
}

/** Called when a request shows the session is gone (401) or its CSRF token is stale. */
export function onUnauthorized(handler: (code: string) => void): void {
  onSessionLost = handler
}

export function withQuery(path: string, query?: ApiInit['query']): string {
  if (!query) return path
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value))
  }
  const qs = params.toString()
  return qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path
}

export async function api<T = unknown>(path: string, init: ApiInit = {}): Promise<T> {
  const method = (init.method ?? (init.body !== undefined ? 'POST' : 'GET')).toUpperCase()
  const headers: Record<string, string> = { accept: 'application/json' }
  // A FormData body (file uploads) goes as multipart: fetch writes its content type and boundary.
  const form = typeof FormData !== 'undefined' && init.body instanceof FormData
  if (init.body !== undefined && !form) headers['content-type'] = 'application/json'
  const csrfToken = method !== 'GET' && method !== 'HEAD' ? localStorage.getItem(CSRF_KEY) : null
  if (csrfToken) headers['x-csrf-token'] = csrfToken
  let res: Response
  try {
    res = await fetch(withQuery(path, init.query), {
      method,
      headers,
      credentials: 'same-origin',
      body: init.body === undefined ? undefined : form ? (init.body as FormData) : JSON.stringify(init.body),
    })
  } catch (err) {
    throw new ApiError(0, 'network_error', err instanceof Error ? err.message : 'The server cannot be reached')
  }
  if (res.status === 204) return undefined as T
  const isJson = (res.headers.get('content-type') ?? '').includes('json')
  const data: any = isJson ? await res.json().catch(() => null) : null
  if (!res.ok) {
    const e = data?.error
    const error = new ApiError(res.status, typeof e?.code === 'string' ? e.code : `http_${res.status}`, typeof e?.message === 'string' ? e.message : res.statusText || `HTTP ${res.status}`, e?.details)
    const lost = res.status === 401 || error.code === 'csrf_token_invalid'
    if (lost && !path.startsWith('/api/auth/login')) onSessionLost(error.code)
    throw error
  }
  return data as T
}
