import { existsSync, readFileSync, statSync } from 'node:fs'
import { createHash } from 'node:crypto'
import path from 'node:path'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { KernelServices } from '../kernel.ts'
import { AppError } from '../errors.ts'
import { routeNotFoundBody } from '../http/error-handler.ts'

/** The built web shell (scripts/build-ui.ts writes it). */
export const SHELL_DIST = path.resolve(import.meta.dirname, '..', '..', 'ui', 'dist')

// Paths the SPA never owns: an unknown /api/… must stay a JSON 404, not the app's HTML.
const RESERVED = /^\/(api|ui|assets|docs|health|metrics|admin)(\/|$)/

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
}

// Client routes may carry a query string (`/login?next=/inbox`): allow a few bounded parameters.
const shellQuery = { type: 'object', additionalProperties: { type: 'string', maxLength: 2048 }, maxProperties: 20, properties: {} } as const

interface Index {
  mtime: number
  html: Buffer
  /** 'sha256-…' of each inline script (the import map), allowed by the page's CSP. */
  scriptHashes: string[]
}
let cachedIndex: Index | null = null

function readIndex(): Index | null {
  const file = path.join(SHELL_DIST, 'index.html')
  if (!existsSync(file)) return null
  const mtime = statSync(file).mtimeMs
  if (cachedIndex?.mtime === mtime) return cachedIndex
  const html = readFileSync(file)
  const scriptHashes = [...html.toString('utf8').matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map(
    (m) => `'sha256-${createHash('sha256').update(m[1], 'utf8').digest('base64')}'`,
  )
  cachedIndex = { mtime, html, scriptHashes }
  return cachedIndex
}

/** The kernel's CSP with the import map's hash added to script-src (an inline script needs it). */
function withScriptHashes(csp: string | undefined, hashes: string[]): string | undefined {
  if (!csp || !hashes.length) return csp
  const extra = hashes.join(' ')
  if (/(^|;)\s*script-src\s/.test(csp)) return csp.replace(/((?:^|;)\s*script-src\s[^;]*)/, `$1 ${extra}`)
  return `${csp};script-src 'self' ${extra}`
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Sapa</title>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem">
<h1>The Sapa web app is not built yet</h1>
<p>Run <code>npm run build</code> (or restart with <code>npm start</code>, which builds it when missing), then reload this page.</p>
<p>The API is running: see <a href="/docs">/docs</a>.</p></body>`

function sendIndex(req: FastifyRequest, reply: FastifyReply) {
  if (RESERVED.test(req.url.split('?')[0])) return reply.status(404).send(routeNotFoundBody(req))
  const index = readIndex()
  reply.header('cache-control', 'no-cache')
  if (!index) return reply.status(503).type('text/html; charset=utf-8').send(NOT_BUILT)
  const csp = withScriptHashes(reply.getHeader('content-security-policy') as string | undefined, index.scriptHashes)
  if (csp) reply.header('content-security-policy', csp)
  return reply.type('text/html; charset=utf-8').send(index.html)
}

/**
 * Serves the web shell: `/` and every client route (the SPA fallback) answer index.html, and
 * `/assets/…` the built files (content-hashed: cached for a year; gzip when the browser takes it),
 * including the one copy of Solid that the import map points the shell and every plugin at.
 */
export default async function shellRoutes(app: FastifyInstance, _k: KernelServices) {
  app.get('/', { schema: { hide: true, querystring: shellQuery }, config: { public: true } }, async (req, reply) => sendIndex(req, reply))

  app.get<{ Params: { '*': string } }>('/assets/*', {
    schema: {
      hide: true,
      params: { type: 'object', additionalProperties: false, required: ['*'], properties: { '*': { type: 'string', maxLength: 200, pattern: '^[\\w-]+(/[\\w-]+)*(\\.[\\w-]+)+$' } } },
    },
    config: { public: true },
  }, async (req, reply) => {
    const assets = path.join(SHELL_DIST, 'assets')
    const file = path.resolve(assets, req.params['*'])
    if (!file.startsWith(assets + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
      throw new AppError(404, 'asset_not_found', 'No such file')
    }
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream'
    reply.header('cache-control', 'public, max-age=31536000, immutable')
    reply.header('vary', 'accept-encoding')
    const accepts = String(req.headers['accept-encoding'] ?? '')
    if (/\bgzip\b/.test(accepts) && existsSync(`${file}.gz`)) {
      reply.header('content-encoding', 'gzip')
      return reply.type(type).send(readFileSync(`${file}.gz`))
    }
    return reply.type(type).send(readFileSync(file))
  })

  // Client-side routes (/settings/users, /inbox/…): the app decides what to show.
  app.get<{ Params: { '*': string } }>('/*', {
    schema: {
      hide: true,
      querystring: shellQuery,
      params: { type: 'object', additionalProperties: false, properties: { '*': { type: 'string', maxLength: 1024 } } },
    },
    config: { public: true },
  }, async (req, reply) => sendIndex(req, reply))
}
