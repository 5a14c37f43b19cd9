import type { FastifyInstance } from 'fastify'
import { AppError, idParams, isUniqueViolation, newId, str, type PluginContext } from '@sapa/sdk'
import { affected, ContactLabel, ContactLabelLink } from '../models.ts'
import { labelView } from '../views.ts'
import { auditor, TAG, tenantOf } from './common.ts'

export const MAX_LABELS = 1000
const color = { type: 'string', pattern: '^#[0-9a-fA-F]{6}$', maxLength: 7 } as const

/** Labels are a tenant's tags for contacts: names are unique per tenant, case-insensitively. */
export function labelRoutes(ctx: PluginContext<any>) {
  const audit = auditor(ctx)
  const taken = (name: string) => new AppError(409, 'label_name_taken', `A label named "${name}" already exists`, { field: 'name' })

  return async (app: FastifyInstance) => {
    app.get('/labels', {
      schema: { tags: TAG },
      config: { permission: 'contacts.contact.view' },
    }, async (req) => {
      const tenantId = tenantOf(req)
      const rows = await ContactLabel.of(tenantId).orderBy('name').limit(MAX_LABELS)
      const counts = await ctx.db('contact_label_links').where('tenant_id', tenantId).groupBy('label_id').select('label_id').count('* as count')
      const byId = new Map(counts.map((c: any) => [c.label_id, Number(c.count)]))
      return { items: rows.map((l) => ({ ...labelView(l), contacts: byId.get(l.id) ?? 0 })) }
    })

    app.post<{ Body: { name: string; color?: string | null } }>('/labels', {
      schema: { tags: TAG, body: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: str(60, 1), color: { anyOf: [color, { type: 'null' }] } } } },
      config: { permission: 'contacts.contact.update' },
    }, async (req, reply) => {
      const tenantId = tenantOf(req)
      const name = req.body.name.trim()
      if (!name) throw new AppError(400, 'invalid_label_name', 'A label needs a name', { field: 'name' })
      const count = Number(((await ContactLabel.of(tenantId).count('* as c')) as any)[0].c)
      if (count >= MAX_LABELS) throw new AppError(409, 'too_many_labels', `A workspace has at most ${MAX_LABELS} labels`)
      const at = ctx.clock.now()
      const row = { id: newId(), name, color: req.body.color ?? null, created_at: at, updated_at: at }
      try {
        await ContactLabel.of(tenantId).insert(row as any)
      } catch (err) {
        if (isUniqueViolation(err)) throw taken(name)
        throw err
      }
      await audit(req, 'label.created', 'contact_label', row.id, { name })
      return reply.status(201).send(labelView(row as ContactLabel))
    })

    app.patch<{ Params: { id: string }; Body: { name?: string; color?: string | null } }>('/labels/:id', {
      schema: { tags: TAG, params: idParams, body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { name: str(60, 1), color: { anyOf: [color, { type: 'null' }] } } } },
      config: { permission: 'contacts.contact.update' },
    }, async (req) => {
      const tenantId = tenantOf(req)
      const label = await ContactLabel.of(tenantId).findById(req.params.id)
      if (!label) throw new AppError(404, 'label_not_found', 'Label not found')
      const changes: Record<string, unknown> = { updated_at: ctx.clock.now() }
      if (req.body.name !== undefined) {
        changes.name = req.body.name.trim()
        if (!changes.name) throw new AppError(400, 'invalid_label_name', 'A label needs a name', { field: 'name' })
      }
      if (req.body.color !== undefined) changes.color = req.body.color
      try {
        await ContactLabel.of(tenantId).findById(label.id).patch(changes as any)
      } catch (err) {
        if (isUniqueViolation(err)) throw taken(String(changes.name))
        throw err
      }
      await audit(req, 'label.updated', 'contact_label', label.id, req.body)
      return labelView({ ...label, ...changes } as ContactLabel)
    })

    // Deleting a label takes it off every contact: a manager's call.
    app.delete<{ Params: { id: string } }>('/labels/:id', {
      schema: { tags: TAG, params: idParams },
      config: { permission: 'contacts.contact.delete' },
    }, async (req, reply) => {
      const tenantId = tenantOf(req)
      const deleted = await ctx.db.transaction(async (trx) => {
        const n = affected(await ContactLabel.of(tenantId, trx).findById(req.params.id).delete())
        if (n) await ContactLabelLink.of(tenantId, trx).where('label_id', req.params.id).delete()
        return n
      })
      if (!deleted) throw new AppError(404, 'label_not_found', 'Label not found')
      await audit(req, 'label.deleted', 'contact_label', req.params.id)
      return reply.status(204).send()
    })
  }
}
