import http from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A fake Meta Graph API on 127.0.0.1: records every request (method, path, query, headers, raw body,
 * parsed JSON or multipart form) and answers from scripted routes. Unmatched requests get Graph's
 * 404-style error so a missing script shows up as a failing test, not a hang.
 */

export interface RecordedFile {
  filename: string
  type: string
  data: Buffer
}

export interface RecordedRequest {
  method: string
  path: string
  query: Record<string, string>
  headers: http.IncomingHttpHeaders
  body: Buffer
  json?: unknown
  /** multipart/form-data: text fields and files. */
  form?: { fields: Record<string, string>; files: Record<string, RecordedFile> }
}

export interface FakeResponse {
  status?: number
  headers?: Record<string, string>
  json?: unknown
  body?: Buffer | string
  /** Never answer (timeout tests). */
  hang?: boolean
  /** Stream `body` in chunks of this size (size-cap tests). */
  chunkSize?: number
}

type Handler = FakeResponse | ((req: RecordedRequest) => FakeResponse | Promise<FakeResponse>)

interface Route {
  method: string
  path: string | RegExp
  handler: Handler
  once: boolean
}

export interface FakeGraph {
  /** http://127.0.0.1:<port> — the graphBaseUrl. */
  url: string
  requests: RecordedRequest[]
  /** A standing answer for method + path (exact, or a RegExp on the path). */
  on(method: string, path: string | RegExp, handler: Handler): void
  /** A one-shot answer, used before standing ones, in the order queued. */
  once(method: string, path: string | RegExp, handler: Handler): void
  /** Graph's error body: `{ error: { message, type, code, error_subcode, error_data, fbtrace_id } }`. */
  error(status: number, code: number, message: string, extra?: { subcode?: number; details?: string; headers?: Record<string, string>; userMsg?: string }): FakeResponse
  reset(): void
  close(): Promise<void>
}

export async function startFakeGraph(): Promise<FakeGraph> {
  const routes: Route[] = []
  const requests: RecordedRequest[] = []

  const match = (r: Route, method: string, path: string) => r.method === method && (typeof r.path === 'string' ? r.path === path : r.path.test(path))

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks)
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
    }
    const type = req.headers['content-type'] ?? ''
    if (type.startsWith('application/json')) {
      try {
        recorded.json = JSON.parse(body.toString('utf8'))
      } catch {
        recorded.json = undefined
      }
    } else if (type.startsWith('multipart/form-data')) {
      // undici parses multipart for us.
      const form = await new Response(body, { headers: { 'content-type': type } }).formData()
      const fields: Record<string, string> = {}
      const files: Record<string, RecordedFile> = {}
      for (const [name, value] of form.entries()) {
        if (typeof value === 'string') fields[name] = value
        else files[name] = { filename: (value as File).name, type: value.type, data: Buffer.from(await value.arrayBuffer()) }
      }
      recorded.form = { fields, files }
    }
    requests.push(recorded)

    const index = routes.findIndex((r) => r.once && match(r, recorded.method, recorded.path))
    const route = index >= 0 ? routes.splice(index, 1)[0] : routes.find((r) => !r.once && match(r, recorded.method, recorded.path))
    let answer: FakeResponse
    try {
      answer = route ? (typeof route.handler === 'function' ? await route.handler(recorded) : route.handler) : fake.error(404, 100, `Unsupported ${recorded.method} request to ${recorded.path}`, { subcode: 33 })
    } catch (err) {
      answer = { status: 500, json: { error: { message: String(err), code: 1 } } }
    }
    if (answer.hang) return
    const payload = answer.json !== undefined ? Buffer.from(JSON.stringify(answer.json)) : Buffer.from(answer.body ?? '')
    const headers: Record<string, string> = { ...(answer.json !== undefined ? { 'content-type': 'application/json' } : {}), ...answer.headers }
    if (answer.chunkSize) {
      res.writeHead(answer.status ?? 200, headers) // chunked: no content-length
      for (let i = 0; i < payload.length; i += answer.chunkSize) {
        if (!res.write(payload.subarray(i, i + answer.chunkSize))) await new Promise((r) => res.once('drain', r))
        if (res.destroyed) return
      }
      res.end()
    } else {
      res.writeHead(answer.status ?? 200, { ...headers, 'content-length': String(payload.length) })
      res.end(payload)
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  const fake: FakeGraph = {
    url: `http://127.0.0.1:${port}`,
    requests,
    on(method, path, handler) {
      routes.push({ method, path, handler, once: false })
    },
    once(method, path, handler) {
      routes.push({ method, path, handler, once: true })
    },
    error(status, code, message, extra = {}) {
      return {
        status,
        headers: extra.headers,
        json: {
          error: {
            message,
            type: code === 190 ? 'OAuthException' : 'GraphMethodException',
            code,
            ...(extra.subcode ? { error_subcode: extra.subcode } : {}),
            ...(extra.details ? { error_data: { messaging_product: 'whatsapp', details: extra.details } } : {}),
            ...(extra.userMsg ? { error_user_msg: extra.userMsg } : {}),
            fbtrace_id: 'AbCdEf123',
          },
        },
      }
    },
    reset() {
      routes.length = 0
      requests.length = 0
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  return fake
}
