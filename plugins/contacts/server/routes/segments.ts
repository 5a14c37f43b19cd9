import type { FastifyInstance } from 'fastify'
import { AppError, decodeCursor, idParams, newId, page, pageQuery, str, type PluginContext } from '@sapa/sdk'
import { affected, ContactLabel, ContactSegment } from '../models.ts'
import { checkSegmentFilter, segmentFilterSchema, type SegmentFilter } from '../filters.ts'
import { segmentView } from '../views.ts'
import type { Contacts } from '../contacts.ts'
import { auditor, TAG, tenantOf } from './common.ts'

/**
 * Segments are saved filters over labels, attributes, opt status and activity. Counts are live
 * (computed on request); broadcast takes a segment's members through the directory service.
 */
export function segmentRoutes(ctx: PluginContext<any>, contacts: Contacts) {
  const audit = auditor(ctx)

  async function checked(tenantId: string, filter: SegmentFilter): Promise<SegmentFilter> {
    const labels = new Set((await ContactLabel.of(tenantId).select('id')).map((l) => l.id))
    return checkSegmentFilter(filter, await contacts.attributeDefs(tenantId), labels)
  }
  async function find(tenantId: string, id: string) {
    const segment = await ContactSegment.of(tenantId).findById(id)
    if (!segment) throw new AppError(404, 'segment_not_found', 'Segment not found')
    return segment
  }
  /** All matching contacts, and those a broadcast can reach (not opted out). */
  async function counts(tenantId: string, filter: SegmentFilter) {
    const [count, reachable] = await Promise.all([
      contacts.count(tenantId, { segment: filter }),
      filter.optedOut === true ? 0 : contacts.count(tenantId, { segment: filter, optedOut: false }),
    ])
    return { count, reachable }
  }

  return async (app: FastifyInstance) => {
    app.get<{ Querystring: { limit: number; cursor?: string } }>('/segments', {
      schema: { tags: TAG, querystring: { type: 'object', additionalProperties: false, properties: { ...pageQuery } } },
      config: { permission: 'contacts.contact.view' },
    }, async (req) => {
      const after = decodeCursor(req.query.cursor)
      const q = ContactSegment.of(tenantOf(req)).orderBy('id').limit(req.query.limit + 1)
      if (after) q.where('id', '>', after)
      const result = page(await q, req.query.limit)
      return { items: result.items.map(segmentView), nextCursor: result.nextCursor }
    })

    app.post<{ Body: { name: string; filter: SegmentFilter } }>('/segments', {
      schema: { tags: TAG, body: { type: 'object', additionalProperties: false, required: ['name', 'filter'], properties: { name: str(120, 1), filter: segmentFilterSchema } } },
      config: { permission: 'contacts.segment.manage' },
    }, async (req, reply) => {
      const tenantId = tenantOf(req)
      const name = req.body.name.trim()
      if (!name) throw new AppError(400, 'invalid_segment_name', 'A segment needs a name', { field: 'name' })
      const filter = await checked(tenantId, req.body.filter)
      const at = ctx.clock.now()
      const row = { id: newId(), name, filter, created_at: at, updated_at: at }
      await ContactSegment.of(tenantId).insert(row as any)
      await audit(req, 'segment.created', 'contact_segment', row.id, { name })
      return reply.status(201).send(segmentView(row as ContactSegment))
    })

    // A count for a filter before it is saved (the segment editor's live preview).
    app.post<{ Body: { filter: SegmentFilter } }>('/segments/count', {
      schema: { tags: TAG, body: { type: 'object', additionalProperties: false, required: ['filter'], properties: { filter: segmentFilterSchema } } },
      config: { permission: 'contacts.contact.view' },
    }, async (req) => {
      const tenantId = tenantOf(req)
      return counts(tenantId, await checked(tenantId, req.body.filter))
    })

    app.get<{ Params: { id: string } }>('/segments/:id', {
      schema: { tags: TAG, params: idParams },
      config: { permission: 'contacts.contact.view' },
    }, async (req) => segmentView(await find(tenantOf(req), req.params.id)))

    app.get<{ Params: { id: string } }>('/segments/:id/count', {
      schema: { tags: TAG, params: idParams },
      config: { permission: 'contacts.contact.view' },
    }, async (req) => {
      const tenantId = tenantOf(req)
      return counts(tenantId, (await find(tenantId, req.params.id)).filter)
    })

    app.patch<{ Params: { id: string }; Body: { name?: string; filter?: SegmentFilter } }>('/segments/:id', {
      schema: { tags: TAG, params: idParams, body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { name: str(120, 1), filter: segmentFilterSchema } } },
      config: { permission: 'contacts.segment.manage' },
    }, async (req) => {
      const tenantId = tenantOf(req)
      const segment = await find(tenantId, req.params.id)
      const changes: Record<string, unknown> = { updated_at: ctx.clock.now() }
      if (req.body.name !== undefined) {
        changes.name = req.body.name.trim()
        if (!changes.name) throw new AppError(400, 'invalid_segment_name', 'A segment needs a name', { field: 'name' })
      }
      if (req.body.filter !== undefined) changes.filter = await checked(tenantId, req.body.filter)
      await ContactSegment.of(tenantId).findById(segment.id).patch(changes as any)
      await audit(req, 'segment.updated', 'contact_segment', segment.id, { fields: Object.keys(req.body) })
      return segmentView({ ...segment, ...changes } as ContactSegment)
    })

    app.delete<{ Params: { id: string } }>('/segments/:id', {
      schema: { tags: TAG, params: idParams },
      config: { permission: 'contacts.segment.manage' },
    }, async (req, reply) => {
      const tenantId = tenantOf(req)
      const deleted = affected(await ContactSegment.of(tenantId).findById(req.params.id).delete())
      if (!deleted) throw new AppError(404, 'segment_not_found', 'Segment not found')
      await audit(req, 'segment.deleted', 'contact_segment', req.params.id)
      return reply.status(204).send()
    })
  }
}
