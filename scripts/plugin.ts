// npm run plugin -- install <dir> | reload <name> | remove <name> | list
//
// Manages plugin code on a running Sapa server through its HTTP API (an embedded server holds an
// exclusive lock on its database, so this cannot open it). Needs a platform operator's credentials.
//
//   SAPA_URL       server address (default http://127.0.0.1:3000)
//   SAPA_EMAIL     operator email     (or --email)
//   SAPA_PASSWORD  operator password  (or --password; the environment keeps it out of `ps`)
//   SAPA_TENANT    workspace slug to log in to (or --tenant; default: the operator's first)
import path from 'node:path'
import { parseArgs } from 'node:util'

const USAGE =
  'usage: npm run plugin -- install <dir> | reload <name> | remove <name> | list  [--url <url>] [--email <email>] [--password <password>] [--tenant <slug>]'

class CliError extends Error {}

function fail(message: string, code = 1): never {
  process.stderr.write(`plugin: ${message}\n`)
  process.exit(code)
}

interface Session {
  base: string
  cookie: string
  csrfToken: string
}

/** The server's `{ error: { message } }` when it sent one, else the status line. */
async function errorOf(res: Response): Promise<string> {
  const text = await res.text().catch(() => '')
  try {
    const message = JSON.parse(text)?.error?.message
    if (typeof message === 'string' && message) return message
  } catch {
    // not JSON
  }
  return `the server answered ${res.status} ${res.statusText}`.trim()
}

async function request(base: string, method: string, urlPath: string, init: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', ...init.headers }
  if (init.body !== undefined) headers['content-type'] = 'application/json'
  try {
    return await fetch(new URL(urlPath, base), {
      method,
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(init.timeoutMs ?? 30_000),
      redirect: 'manual',
    })
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } }
    if (e.name === 'TimeoutError') throw new CliError(`no answer from ${base} in ${Math.round((init.timeoutMs ?? 30_000) / 1000)} s`)
    throw new CliError(`cannot reach ${base} (${e.cause?.code ?? e.cause?.message ?? e.message}): is the server running? Set SAPA_URL`)
  }
}

async function login(base: string, email: string, password: string, tenant: string | undefined): Promise<Session> {
  const res = await request(base, 'POST', '/api/auth/login', { body: { email, password, ...(tenant ? { tenant } : {}) } })
  if (!res.ok) throw new CliError(`login failed: ${await errorOf(res)}`)
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c.startsWith('sapa_session='))
  const csrfToken = ((await res.json()) as { csrfToken?: string }).csrfToken
  if (!cookie || !csrfToken) throw new CliError(`login failed: ${base} did not answer like a Sapa server`)
  return { base, cookie, csrfToken }
}

async function call(s: Session, method: string, urlPath: string, body?: unknown, timeoutMs?: number): Promise<Response> {
  const headers: Record<string, string> = { cookie: s.cookie }
  if (method !== 'GET') headers['x-csrf-token'] = s.csrfToken
  const res = await request(s.base, method, urlPath, { headers, body, timeoutMs })
  if (!res.ok) throw new CliError(await errorOf(res))
  return res
}

async function logout(s: Session): Promise<void> {
  await request(s.base, 'POST', '/api/auth/logout', { headers: { cookie: s.cookie }, body: {}, timeoutMs: 5_000 }).catch(() => {})
}

type Parsed = { command: 'install'; dir: string } | { command: 'reload' | 'remove'; name: string } | { command: 'list' }

function parseCommand(positionals: string[], cwd: string): Parsed {
  const [command, arg, ...extra] = positionals
  if (extra.length > 0) throw new CliError(`too many arguments (${USAGE})`)
  switch (command) {
    case 'install':
      if (!arg) throw new CliError(`install needs the plugin folder (${USAGE})`)
      // The server resolves paths from its own working folder: send an absolute one.
      return { command, dir: path.resolve(cwd, arg) }
    case 'reload':
    case 'remove':
      if (!arg) throw new CliError(`${command} needs a plugin name (${USAGE})`)
      return { command, name: arg }
    case 'list':
      if (arg) throw new CliError(`list takes no argument (${USAGE})`)
      return { command }
    default:
      throw new CliError(command ? `unknown command "${command}" (${USAGE})` : USAGE)
  }
}

async function main(): Promise<void> {
  let parsed
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      options: { url: { type: 'string' }, email: { type: 'string' }, password: { type: 'string' }, tenant: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    })
  } catch (err) {
    fail(`${(err as Error).message} (${USAGE})`, 2)
  }
  const { values, positionals } = parsed
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
    return
  }
  let cmd: Parsed
  try {
    // `npm run` moves to the package root; a relative folder means relative to where it was typed.
    cmd = parseCommand(positionals, process.env.INIT_CWD ?? process.cwd())
  } catch (err) {
    fail((err as Error).message, 2)
  }

  const base = values.url ?? process.env.SAPA_URL ?? 'http://127.0.0.1:3000'
  try {
    new URL(base)
  } catch {
    fail(`"${base}" is not a URL (SAPA_URL or --url)`)
  }
  const email = values.email ?? process.env.SAPA_EMAIL
  const password = values.password ?? process.env.SAPA_PASSWORD
  if (!email || !password) fail('set SAPA_EMAIL and SAPA_PASSWORD (or --email and --password) to a platform operator')

  const session = await login(base, email, password, values.tenant ?? process.env.SAPA_TENANT)
  try {
    switch (cmd.command) {
      case 'install': {
        // Installing runs the plugin's migrations and builds a new app generation: allow it time.
        const r = (await (await call(session, 'POST', '/api/plugins/install', { dir: cmd.dir }, 300_000)).json()) as { name: string; version: string; replaced: string | null }
        process.stdout.write(`installed ${r.name} ${r.version}${r.replaced ? ` (replaced ${r.replaced})` : ''}\n`)
        break
      }
      case 'reload': {
        const r = (await (await call(session, 'POST', `/api/plugins/${encodeURIComponent(cmd.name)}/reload`, {}, 300_000)).json()) as { name: string; version: string; codeChanged: boolean }
        process.stdout.write(`reloaded ${r.name} ${r.version} (${r.codeChanged ? 'code changed' : 'code unchanged'})\n`)
        break
      }
      case 'remove':
        await call(session, 'DELETE', `/api/plugins/${encodeURIComponent(cmd.name)}`, undefined, 120_000)
        process.stdout.write(`removed ${cmd.name}\n`)
        break
      case 'list': {
        const r = (await (await call(session, 'GET', '/api/plugins')).json()) as { items: { name: string; version: string; enabled: boolean }[] }
        if (r.items.length === 0) process.stdout.write('no plugins\n')
        for (const p of r.items) process.stdout.write(`${p.name} ${p.version} ${p.enabled ? 'enabled' : 'disabled'}\n`)
        break
      }
    }
  } finally {
    await logout(session)
  }
}

main().catch((err: unknown) => fail(err instanceof CliError ? err.message : `unexpected error: ${err instanceof Error ? err.message : String(err)}`))
