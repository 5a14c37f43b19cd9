import { DriverError } from '../port.ts'
import type { ResolvedCloudConfig } from './config.ts'

/** What a Graph call may be given instead of the global fetch (tests, proxies). */
export interface GraphDeps {
  fetch?: typeof fetch
}

/** Graph's error object: `{ error: { code, error_subcode, message, error_data } }`. */
export interface GraphErrorBody {
  code?: number
  error_subcode?: number
  message?: string
  type?: string
  error_user_title?: string
  error_user_msg?: string
  error_data?: { details?: string } | string
  fbtrace_id?: string
}

export type RateLimitKind = 'throughput' | 'pair' | 'app' | 'http'

/** A Graph call that did not succeed, before it becomes a DriverError. */
export class GraphFailure extends Error {
  constructor(
    message: string,
    /** HTTP status; 0 when no answer came (network error or timeout). */
    readonly status: number,
    readonly error?: GraphErrorBody,
    /** From a Retry-After header. */
    readonly retryAfterMs?: number,
    readonly timedOut = false,
  ) {
    super(message)
    this.name = 'GraphFailure'
  }
}

/** JSON answers are small; anything bigger is not Graph talking. */
const MAX_JSON_BYTES = 1024 * 1024

export interface GraphRequest {
  method: 'GET' | 'POST' | 'DELETE'
  /** Path after the version, e.g. `123/messages`. Segments are the caller's to encode. */
  path: string
  query?: Record<string, string>
  json?: unknown
  form?: FormData
  timeoutMs?: number
}

/** One authenticated Graph API call; resolves with the parsed JSON, throws GraphFailure. */
export async function graphRequest<T = Record<string, unknown>>(config: ResolvedCloudConfig, deps: GraphDeps, req: GraphRequest): Promise<T> {
  const url = new URL(`${config.graphBaseUrl}/${config.apiVersion}/${req.path}`)
  for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v)
  const headers: Record<string, string> = { authorization: `Bearer ${config.accessToken}`, accept: 'application/json' }
  let body: string | FormData | undefined
  if (req.json !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(req.json)
  } else if (req.form) {
    body = req.form // fetch sets the multipart boundary
  }
  const timeoutMs = req.timeoutMs ?? config.timeoutMs
  const signal = AbortSignal.timeout(timeoutMs)
  let res: Response
  let bytes: Buffer
  try {
    res = await (deps.fetch ?? fetch)(url, { method: req.method, headers, body, signal, redirect: 'error' })
    bytes = await readCapped(res, MAX_JSON_BYTES)
  } catch (err) {
    throw transportFailure(err, timeoutMs)
  }
  let parsed: unknown
  try {
    parsed = bytes.length ? JSON.parse(bytes.toString('utf8')) : {}
  } catch {
    parsed = undefined
  }
  if (res.ok && parsed && typeof parsed === 'object' && !('error' in parsed)) return parsed as T
  const error = parsed && typeof parsed === 'object' && 'error' in parsed && isObject((parsed as { error: unknown }).error) ? ((parsed as { error: GraphErrorBody }).error) : undefined
  const status = res.ok ? 502 : res.status // a 200 we cannot read is the provider's fault
  throw new GraphFailure(error?.message ?? `Graph answered HTTP ${res.status}${parsed === undefined ? ' without JSON' : ''}`, status, sanitizeError(error), parseRetryAfter(res.headers.get('retry-after')))
}

/** A network error or a timeout as a GraphFailure. */
export function transportFailure(err: unknown, timeoutMs: number): GraphFailure {
  if (err instanceof GraphFailure) return err
  const e = err as Error & { cause?: { code?: string } }
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return new GraphFailure(`No answer from Meta within ${timeoutMs} ms`, 0, undefined, undefined, true)
  const detail = e?.cause?.code ?? e?.message ?? String(err)
  return new GraphFailure(`Could not reach Meta's Graph API (${detail})`, 0)
}

/** Reads a body up to `max` bytes; beyond that it aborts the read and throws `too_large`. */
export async function readCapped(res: Response, max: number): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel().catch(() => {})
    throw new SizeCapExceeded(max)
  }
  if (!res.body) return Buffer.alloc(0)
  const reader = res.body.getReader()
  const chunks: Buffer[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > max) {
      await reader.cancel().catch(() => {})
      throw new SizeCapExceeded(max)
    }
    chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength))
  }
  return Buffer.concat(chunks, total)
}

export class SizeCapExceeded extends Error {
  constructor(readonly max: number) {
    super(`larger than ${max} bytes`)
    this.name = 'SizeCapExceeded'
  }
}

/** Retry-After in seconds or as an HTTP date, bounded to an hour; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined
  const text = header.trim()
  let ms: number
  if (/^\d{1,10}$/.test(text)) ms = Number(text) * 1000
  else {
    const at = Date.parse(text)
    if (Number.isNaN(at)) return undefined
    ms = at - now
  }
  return Math.min(Math.max(ms, 0), 60 * 60_000)
}

export interface Classified {
  code: string
  retryable: boolean
  message: string
  rateLimit?: RateLimitKind
  retryAfterMs?: number
}

const AUTH_CODES = new Set([190, 102, 463, 467]) // token invalid, session, expired, invalid
const PERMISSION_CODES = new Set([3, 10])
const RATE_CODES: Record<number, RateLimitKind> = { 4: 'app', 80007: 'app', 130429: 'throughput', 131056: 'pair', 613: 'app', 17: 'app', 32: 'app' }
const TEMPORARY_CODES = new Set([1, 2, 131000, 131016, 133004, 133005])

/** Where Graph says what went wrong, in the order of most useful to a person. */
function metaDetail(error: GraphErrorBody | undefined, fallback: string): string {
  const details = typeof error?.error_data === 'string' ? error.error_data : error?.error_data?.details
  const text = error?.error_user_msg || details || error?.message || fallback
  const code = error?.code !== undefined ? ` [Meta ${error.code}${error.error_subcode ? `/${error.error_subcode}` : ''}]` : ''
  return `${text.slice(0, 300)}${code}`
}

/** Graph's failure as our error classes: rate limit, temporary, auth, recipient, template, request. */
export function classify(failure: GraphFailure): Classified {
  const { status, error } = failure
  const code = typeof error?.code === 'number' ? error.code : undefined
  const detail = metaDetail(error, failure.message)
  if (status === 0) {
    return failure.timedOut
      ? { code: 'timeout', retryable: true, message: failure.message }
      : { code: 'network_error', retryable: true, message: failure.message }
  }
  if (code !== undefined && RATE_CODES[code]) {
    return { code: 'rate_limited', retryable: true, rateLimit: RATE_CODES[code], retryAfterMs: failure.retryAfterMs, message: `Meta's rate limit was reached; retrying later: ${detail}` }
  }
  if (status === 429) return { code: 'rate_limited', retryable: true, rateLimit: 'http', retryAfterMs: failure.retryAfterMs, message: `Meta's rate limit was reached; retrying later: ${detail}` }
  if ((code !== undefined && AUTH_CODES.has(code)) || status === 401) {
    return { code: 'auth_failed', retryable: false, message: `Meta refused the access token (expired, revoked or mistyped); paste a new token in the number's settings: ${detail}` }
  }
  if ((code !== undefined && (PERMISSION_CODES.has(code) || (code >= 200 && code <= 299))) || (code === undefined && status === 403)) {
    return { code: 'permission_denied', retryable: false, message: `The access token lacks a permission this needs (whatsapp_business_messaging / whatsapp_business_management): ${detail}` }
  }
  switch (code) {
    case 131026:
      return { code: 'not_on_whatsapp', retryable: false, message: `The recipient cannot receive this message (not on WhatsApp, an old app version, or they have not accepted the terms): ${detail}` }
    case 131047:
      return { code: 'window_closed', retryable: false, message: `More than 24 hours since the customer last wrote: only an approved template can be sent now: ${detail}` }
    case 131030:
      return { code: 'recipient_not_allowed', retryable: false, message: `The recipient is not in this test number's allowed list: ${detail}` }
    case 131048:
      return { code: 'spam_rate_limited', retryable: false, message: `Meta restricted this number after too many messages were blocked or reported: ${detail}` }
    case 131049:
      return { code: 'not_delivered_ecosystem', retryable: false, message: `Meta chose not to deliver this marketing message to keep the user's engagement healthy: ${detail}` }
    case 131050:
      return { code: 'recipient_opted_out', retryable: false, message: `The recipient stopped marketing messages from this business: ${detail}` }
    case 131031:
    case 368:
      return { code: 'account_restricted', retryable: false, message: `The WhatsApp Business account is locked or restricted for a policy violation: ${detail}` }
    case 131042:
      return { code: 'payment_required', retryable: false, message: `The WhatsApp Business account has a payment problem: ${detail}` }
    case 131051:
      return { code: 'unsupported_message', retryable: false, message: `WhatsApp does not support this message type: ${detail}` }
    case 131052:
    case 131053:
      return { code: 'media_error', retryable: false, message: `Meta could not process the media file: ${detail}` }
  }
  if (code !== undefined && code >= 132000 && code <= 132999) {
    return { code: 'template_error', retryable: false, message: `The template cannot be sent as given (missing, not approved, paused, or its parameters do not match): ${detail}` }
  }
  if ((code !== undefined && TEMPORARY_CODES.has(code)) || status >= 500) {
    return { code: 'provider_error', retryable: true, message: `Meta had a temporary problem: ${detail}` }
  }
  if (status === 404 || (code === 100 && error?.error_subcode === 33)) {
    return { code: 'not_found', retryable: false, message: `Meta does not know this id, or the token cannot see it: ${detail}` }
  }
  return { code: 'invalid_request', retryable: false, message: `Meta rejected the request: ${detail}` }
}

/** A classified failure as the port's DriverError, with the given wait for rate limits. */
export function toDriverError(c: Classified, retryAfterMs = c.retryAfterMs): DriverError {
  return new DriverError(c.message, c.code, c.retryable, c.retryable ? retryAfterMs : undefined)
}

/** For callers without back-off state (templates, media): Retry-After, else a fixed wait per kind. */
export function driverErrorFrom(err: unknown, timeoutMs: number): DriverError {
  if (err instanceof DriverError) return err
  const c = classify(err instanceof GraphFailure ? err : transportFailure(err, timeoutMs))
  return toDriverError(c, c.retryAfterMs ?? (c.rateLimit ? RATE_BASE_MS[c.rateLimit] : undefined))
}

/** First wait after a rate limit, by kind; doubled for each further limit in a row. */
export const RATE_BASE_MS: Record<RateLimitKind, number> = {
  throughput: 1_000, // 130429: the number's messages-per-second
  pair: 6_000, // 131056: one message per 6 s to the same user, with bursts
  app: 60_000, // 4 / 80007: app or WABA call budgets, reset on the hour
  http: 5_000,
}
export const RATE_MAX_MS = 15 * 60_000

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Only the fields we read, as the types we expect: the body came from the network. */
function sanitizeError(error: GraphErrorBody | undefined): GraphErrorBody | undefined {
  if (!error) return undefined
  const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, 1000) : undefined)
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined)
  const data = error.error_data as unknown
  return {
    code: num(error.code),
    error_subcode: num(error.error_subcode),
    message: str(error.message),
    type: str(error.type),
    error_user_title: str(error.error_user_title),
    error_user_msg: str(error.error_user_msg),
    error_data: typeof data === 'string' ? str(data) : isObject(data) ? { details: str(data.details) } : undefined,
    fbtrace_id: str(error.fbtrace_id),
  }
}
