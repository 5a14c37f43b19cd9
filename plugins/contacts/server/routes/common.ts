import type { FastifyRequest } from 'fastify'
import { AppError, isUuid, str, uuid, type PluginContext } from '@sapa/sdk'
import { ContactLabel, ContactSegment } from '../models.ts'
import type { Actor, ListQuery } from '../contacts.ts'

export const TAG = ['contacts']

export const tenantOf = (req: FastifyRequest) => req.principal!.tenant.id
export const actorOf = (req: FastifyRequest): Actor => ({ userId: req.principal!.user?.id ?? null })

/** The filters the list and the export share. */
export const filterQuery = {
  q: { ...str(200), description: 'Name, email or phone in any format (0812 3456 finds +628123456…)' },
  label: { ...str(60, 1), description: 'A label id or name' },
  segment: { ...uuid, description: 'Only contacts of this segment' },
  optedOut: { type: 'boolean' },
} as const

export interface FilterParams {
  q?: string
  label?: string
  segment?: string
  optedOut?: boolean
}

// A label that matches nothing: an unknown label name filters everything out rather than nothing.
const NO_LABEL = '00000000-0000-7000-8000-000000000000'

export async function resolveFilters(tenantId: string, query: FilterParams): Promise<ListQuery> {
  const filters: ListQuery = { q: query.q?.trim() || undefined, optedOut: query.optedOut }
  if (query.label) {
    const label = query.label
    if (isUuid(label)) filters.labelId = label
    else {
      const found = await ContactLabel.of(tenantId).whereRaw('lower(name) = ?', [String(label).trim().toLowerCase()]).first()
      filters.labelId = found?.id ?? NO_LABEL
    }
  }
  if (query.segment) {
    const segment = await ContactSegment.of(tenantId).findById(query.segment)
    if (!segment) throw new AppError(404, 'segment_not_found', 'Segment not found')
    filters.segment = segment.filter
  }
  return filters
}

export function auditor(ctx: PluginContext<any>) {
  return (req: FastifyRequest, action: string, targetType: string, targetId: string | undefined, summary?: Record<string, unknown>) =>
    ctx.audit.record(ctx.db, req, { tenantId: tenantOf(req), action: `contacts.${action}`, targetType, targetId, summary })
}
