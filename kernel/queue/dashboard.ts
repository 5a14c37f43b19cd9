import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Redis } from 'ioredis'
import type { Queue } from 'bullmq'
import type { Authenticate, Principal } from '../auth/principal.ts'
import { internalErrorBody, routeNotFoundBody } from '../http/error-handler.ts'
import { JOB_STATES, type JobState, type QueueLogger, type QueuePort } from './port.ts'

/**
 * The platform operator's queue dashboard, at /admin/queues.
 *
 * - Redis adapter: bull-board (@bull-board/fastify + the BullMQ adapter), read-only: no retry,
 *   clean, pause or delete buttons, and its mutating API answers 405 here. Retrying failed jobs
 *   goes through `POST /api/queues/:queue/retry-failed`, which has the kernel's permission and CSRF
 *   checks and is audited.
 * - Inline adapter (embedded mode): a small HTML table of `queue.counts()`.
 *
 * bull-board's routes carry no `config.permission`, so the context is marked `sapaTrustedPublic`
 * and guarded here instead: anyone but an authenticated operator gets the same 404 as a path that
 * does not exist, so the dashboard does not reveal itself.
 */
export const DASHBOARD_PATH = '/admin/queues'

export interface DashboardDeps {
  queue: QueuePort
  authenticate: Authenticate
  logger: QueueLogger
  /** Set with the Redis adapter: the dashboard opens its own connection to read BullMQ's keys. */
  redisUrl?: string
  /** The Redis key prefix the queue port uses (config.redisPrefix). */
  redisPrefix: string
}

/**
 * onRequest guard for the whole dashboard context. It answers itself rather than throwing: bull-board
 * installs its own error handler in its context, which would echo internal error messages.
 */
export function operatorOnly(authenticate: Authenticate, afterAuth?: () => Promise<void>) {
  return async function dashboardGuard(req: FastifyRequest, reply: FastifyReply) {
    let principal: Principal | null
    try {
      principal = await authenticate(req)
    } catch (err) {
      req.log.error({ err }, 'queue dashboard: authentication failed')
      return reply.status(500).send(internalErrorBody())
    }
    if (principal?.user?.isOperator !== true) return reply.status(404).send(routeNotFoundBody(req))
    req.principal = principal
    reply.header('cache-control', 'no-store')
    reply.header('x-robots-tag', 'noindex')
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      // Read-only, and a cookie session's mutations would need the CSRF header bull-board does not send.
      return reply.status(405).send({
        error: { code: 'dashboard_read_only', message: 'The queue dashboard is read-only: retry failed jobs with POST /api/queues/:queue/retry-failed' },
      })
    }
    try {
      await afterAuth?.()
    } catch (err) {
      req.log.error({ err }, 'queue dashboard: refreshing the queue list failed')
      return reply.status(503).send({ error: { code: 'queues_unavailable', message: 'The queue store is not reachable right now' } })
    }
  }
}

export async function registerQueueDashboard(app: FastifyInstance, deps: DashboardDeps): Promise<void> {
  await app.register(async (scope) => {
    scope.decorate('sapaTrustedPublic', true)
    if (deps.queue.kind === 'redis' && deps.redisUrl) await mountBullBoard(scope, deps)
    else mountCountsPage(scope, deps)
  })
}

// --- Redis: bull-board ---------------------------------------------------------------------------

/** How long a list of queue names is reused before asking Redis again (bull-board polls). */
const REFRESH_MS = 2_000

async function mountBullBoard(scope: FastifyInstance, deps: DashboardDeps): Promise<void> {
  // Loaded only in server mode: embedded installs never pay for bull-board.
  const [{ createBullBoard }, { BullMQAdapter }, { FastifyAdapter }, { Queue }, { Redis }] = await Promise.all([
    import('@bull-board/api'),
    import('@bull-board/api/bullMQAdapter'),
    import('@bull-board/fastify'),
    import('bullmq'),
    import('ioredis'),
  ])
  const serverAdapter = new FastifyAdapter()
  serverAdapter.setBasePath(DASHBOARD_PATH)
  const board = createBullBoard({ queues: [], serverAdapter, options: { uiConfig: { boardTitle: 'Sapa queues' } } })

  // One connection and one BullMQ Queue per queue name, made on the first operator request and
  // closed with this app generation. The port's own connections stay the port's.
  let connection: Redis | null = null
  const open = new Map<string, Queue>()
  let refreshedAt = 0
  let refreshing: Promise<void> | null = null

  const refresh = async () => {
    connection ??= new Redis(deps.redisUrl!, { maxRetriesPerRequest: 3 }).on('error', (err) => deps.logger.warn({ err: err.message }, 'queue dashboard: redis error'))
    const names = new Set(await deps.queue.queues())
    for (const name of names) {
      if (open.has(name)) continue
      const queue = new Queue(name, { connection, prefix: deps.redisPrefix })
      queue.on('error', (err) => deps.logger.warn({ queue: name, err: err.message }, 'queue dashboard: queue error'))
      open.set(name, queue)
      board.addQueue(new BullMQAdapter(queue, { readOnlyMode: true, allowRetries: false }))
    }
    for (const [name, queue] of open) {
      if (names.has(name)) continue
      board.removeQueue(name)
      open.delete(name)
      await queue.close().catch(() => {})
    }
  }

  const afterAuth = async () => {
    if (Date.now() - refreshedAt < REFRESH_MS) return
    refreshing ??= refresh()
      .then(() => {
        refreshedAt = Date.now()
      })
      .finally(() => {
        refreshing = null
      })
    await refreshing
  }

  scope.addHook('onRequest', operatorOnly(deps.authenticate, afterAuth))
  scope.addHook('onClose', async () => {
    await Promise.allSettled([...open.values()].map((q) => q.close()))
    open.clear()
    await connection?.quit().catch(() => connection?.disconnect())
  })
  await scope.register(serverAdapter.registerPlugin(), { prefix: DASHBOARD_PATH })
}

// --- Inline: a table of counts -------------------------------------------------------------------

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** The queues and their counts per state as a self-contained HTML page (no scripts). */
export function countsPage(counts: Record<string, Record<JobState, number>>, kind: QueuePort['kind']): string {
  const names = Object.keys(counts).sort()
  const total = Object.fromEntries(JOB_STATES.map((s) => [s, names.reduce((sum, n) => sum + counts[n][s], 0)])) as Record<JobState, number>
  const cells = (c: Record<JobState, number>) => JOB_STATES.map((s) => `<td>${c[s]}</td>`).join('')
  const rows = names.map((n) => `<tr><th scope="row">${escapeHtml(n)}</th>${cells(counts[n])}</tr>`).join('\n')
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="robots" content="noindex">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sapa queues</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #1f2328; }
table { border-collapse: collapse; }
th, td { padding: .35rem .8rem; border-bottom: 1px solid #d0d7de; text-align: right; }
th[scope="row"], thead th:first-child { text-align: left; font-family: ui-monospace, monospace; font-weight: normal; }
thead th { font-weight: 600; }
tfoot th, tfoot td { font-weight: 600; }
p { color: #59636e; max-width: 60rem; }
</style>
</head>
<body>
<h1>Queues</h1>
<p>${kind === 'inline' ? 'Embedded mode: jobs run in this process (inline queue), so there is no job browser — only counts.' : 'Counts per queue.'}
Retry failed jobs with <code>POST /api/queues/&lt;queue&gt;/retry-failed</code> (optionally <code>{"tenantId": "…"}</code>).</p>
${
  names.length === 0
    ? '<p>No queues yet.</p>'
    : `<table>
<thead><tr><th scope="col">queue</th>${JOB_STATES.map((s) => `<th scope="col">${s}</th>`).join('')}</tr></thead>
<tbody>
${rows}
</tbody>
<tfoot><tr><th scope="row">total</th>${cells(total)}</tr></tfoot>
</table>`
}
</body>
</html>
`
}

function mountCountsPage(scope: FastifyInstance, deps: DashboardDeps): void {
  scope.addHook('onRequest', operatorOnly(deps.authenticate))
  scope.get(DASHBOARD_PATH, { schema: { hide: true } }, async (_req, reply) => {
    const counts = await deps.queue.counts()
    return reply.type('text/html; charset=utf-8').send(countsPage(counts, deps.queue.kind))
  })
}
