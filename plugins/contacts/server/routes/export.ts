import type { FastifyInstance } from 'fastify'
import { Readable } from 'node:stream'
import type { PluginContext } from '@sapa/sdk'
import type { Contacts } from '../contacts.ts'
import { exportCsv, exportXlsx } from '../export.ts'
import { auditor, filterQuery, resolveFilters, TAG, tenantOf, type FilterParams } from './common.ts'

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

export function exportRoutes(ctx: PluginContext<any>, contacts: Contacts) {
  const audit = auditor(ctx)

  return async (app: FastifyInstance) => {
    // Every cell that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading '.
    app.get<{ Querystring: FilterParams & { format: 'csv' | 'xlsx' } }>('/export', {
      schema: {
        tags: TAG,
        querystring: { type: 'object', additionalProperties: false, properties: { format: { type: 'string', enum: ['csv', 'xlsx'], default: 'csv' }, ...filterQuery } },
      },
      config: { permission: 'contacts.contact.export' },
    }, async (req, reply) => {
      const tenantId = tenantOf(req)
      const { format, ...query } = req.query
      const filters = await resolveFilters(tenantId, query)
      const stamp = ctx.clock.now().toISOString().slice(0, 10)
      await audit(req, 'contact.exported', 'contact', undefined, { format, filters: query })
      reply.header('content-disposition', `attachment; filename="contacts-${stamp}.${format}"`).header('x-content-type-options', 'nosniff').header('cache-control', 'no-store')
      // Both formats stream page by page: no size cap, flat memory.
      if (format === 'xlsx') return reply.header('content-type', XLSX_TYPE).send(Readable.from(exportXlsx(contacts, tenantId, filters)))
      return reply.header('content-type', 'text/csv; charset=utf-8').send(Readable.from(exportCsv(contacts, tenantId, filters)))
    })
  }
}
