import type { FastifyInstance } from 'fastify'
import type { KernelServices } from '../kernel.ts'
import { AppError, badRequest } from '../errors.ts'
import { pageQuery, str, uuid } from '../http/schemas.ts'
import { DASHBOARD_PATH, registerQueueDashboard } from '../queue/dashboard.ts'
import { isQueueName, MAX_QUEUE_NAME_LENGTH, QUEUE_NAME_PATTERN } from '../queue/options.ts'

const queueName = { type: 'string', pattern: QUEUE_NAME_PATTERN, maxLength: MAX_QUEUE_NAME_LENGTH } as const

const encodeCursor = (name: string) => Buffer.from(name).toString('base64url')
function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined
  const name = Buffer.from(cursor, 'base64url').toString()
  if (!isQueueName(name)) throw badRequest('invalid_cursor', 'The cursor is not valid')
  return name
}

/**
 * Platform operator only (`kernel.queues.view` is a platform permission): the queues of every
 * tenant. JSON for tools and the web app; the dashboard at /admin/queues for people.
 */
export default async function queueRoutes(app: FastifyInstance, k: KernelServices) {
  const { queue, audit, db } = k

  app.get<{ Querystring: { limit: number; cursor?: string; prefix?: string } }>('/api/queues', {
    schema: {
      tags: ['queues'],
      description: 'Job counts per queue and state, queues in name order. `prefix` narrows to names starting with it (e.g. `whatsapp.send.`).',
      querystring: { type: 'object', additionalProperties: false, properties: { ...pageQuery, prefix: str(200) } },
    },
    config: { permission: 'kernel.queues.view' },
  }, async (req) => {
    const { limit, prefix } = req.query
    const after = decodeCursor(req.query.cursor)
    const names = (await queue.queues()).filter((n) => (!prefix || n.startsWith(prefix)) && (after === undefined || n > after))
    const pageNames = names.slice(0, limit)
    const counts = await Promise.all(pageNames.map(async (name) => (await queue.counts(name))[name]))
    return {
      adapter: queue.kind,
      dashboard: DASHBOARD_PATH,
      items: pageNames.map((name, i) => ({ name, counts: counts[i] })),
      nextCursor: names.length > limit ? encodeCursor(pageNames[pageNames.length - 1]) : null,
    }
  })

  app.post<{ Params: { queue: string }; Body: { tenantId?: string } | null }>('/api/queues/:queue/retry-failed', {
    schema: {
      tags: ['queues'],
      description: 'Moves the failed jobs of a queue (optionally only one tenant\'s) back to waiting with fresh attempts.',
      params: { type: 'object', additionalProperties: false, required: ['queue'], properties: { queue: queueName } },
      body: { type: ['object', 'null'], additionalProperties: false, properties: { tenantId: uuid } },
    },
    config: { permission: 'kernel.queues.view' },
  }, async (req) => {
    const name = req.params.queue
    const tenantId = req.body?.tenantId
    if (!(await queue.queues()).includes(name)) throw new AppError(404, 'queue_not_found', `No queue "${name}"`)
    const retried = await queue.retryFailed(name, tenantId !== undefined ? { tenantId } : {})
    await audit.record(db, req, {
      tenantId: req.principal!.tenant.id,
      action: 'kernel.queue.retried',
      targetType: 'queue',
      targetId: name.slice(0, 64),
      summary: { queue: name, retried, ...(tenantId !== undefined ? { forTenant: tenantId } : {}) },
    })
    return { queue: name, retried, ...(tenantId !== undefined ? { tenantId } : {}) }
  })

  await registerQueueDashboard(app, {
    queue,
    authenticate: k.authenticate,
    logger: k.logger,
    redisUrl: k.config.redisUrl,
    redisPrefix: k.config.redisPrefix,
  })
}
