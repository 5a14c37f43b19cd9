import type { FastifyInstance } from 'fastify'
import { AppError, idParams, newId, str, type PluginContext } from '@sapa/sdk'
import { ContactAttribute, type AttributeType } from '../models.ts'
import { ATTRIBUTE_TYPES } from '../values.ts'
import { attributeView } from '../views.ts'
import { auditor, TAG, tenantOf } from './common.ts'

export const MAX_ATTRIBUTES = 100
const RESERVED = new Set(['__proto__', 'constructor', 'prototype', 'id', 'name', 'phone', 'email', 'labels'])
const options = { type: 'array', minItems: 1, maxItems: 100, uniqueItems: true, items: str(100, 1) } as const

interface AttributeBody {
  key: string
  label: string
  type: AttributeType
  options?: string[]
  required?: boolean
}

function checkOptions(type: AttributeType, list: string[] | undefined | null): string[] | null {
  if (type !== 'select') {
    if (list?.length) throw new AppError(400, 'options_not_allowed', 'Only attributes of type "select" have options', { field: 'options' })
    return null
  }
  const clean = (list ?? []).map((o) => o.trim()).filter(Boolean)
  if (!clean.length) throw new AppError(400, 'options_required', 'An attribute of type "select" needs at least one option', { field: 'options' })
  if (new Set(clean.map((o) => o.toLowerCase())).size !== clean.length) throw new AppError(400, 'options_duplicate', 'Options must differ (case-insensitively)', { field: 'options' })
  return clean
}

/**
 * Custom attributes: the tenant's own typed fields on contacts. The key and type are fixed once
 * created (stored values depend on them); label, options and `required` can change. Deleting an
 * attribute removes its values from every contact.
 */
export function attributeRoutes(ctx: PluginContext<any>) {
  const audit = auditor(ctx)

  return async (app: FastifyInstance) => {
    app.get('/attributes', {
      schema: { tags: TAG },
      config: { permission: 'contacts.contact.view' },
    }, async (req) => ({ items: (await ContactAttribute.of(tenantOf(req)).orderBy('created_at').orderBy('key').limit(MAX_ATTRIBUTES)).map(attributeView) }))

    app.post<{ Body: AttributeBody }>('/attributes', {
      schema: {
        tags: TAG,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['key', 'label', 'type'],
          properties: {
            key: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,39}$', maxLength: 40, description: 'lower-case letters, digits and _, starting with a letter' },
            label: str(120, 1),
            type: { type: 'string', enum: ATTRIBUTE_TYPES as unknown as string[] },
            options,
            required: { type: 'boolean' },
          },
        },
      },
      config: { permission: 'contacts.attribute.manage' },
    }, async (req, reply) => {
      const tenantId = tenantOf(req)
      const { key, type } = req.body
      if (RESERVED.has(key)) throw new AppError(400, 'reserved_attribute_key', `"${key}" is reserved`, { field: 'key' })
      const label = req.body.label.trim()
      if (!label) throw new AppError(400, 'invalid_attribute_label', 'An attribute needs a label', { field: 'label' })
      const opts = checkOptions(type, req.body.options)
      const at = ctx.clock.now()
      const row = { id: newId(), key, label, type, options: opts, required: req.body.required ?? false, created_at: at, updated_at: at }
      await ctx.db.transaction(async (trx) => {
        const count = Number(((await ContactAttribute.of(tenantId, trx).count('* as c')) as any)[0].c)
        if (count >= MAX_ATTRIBUTES) throw new AppError(409, 'too_many_attributes', `A workspace has at most ${MAX_ATTRIBUTES} attributes`)
        if (await ContactAttribute.of(tenantId, trx).where('key', key).first()) throw new AppError(409, 'attribute_key_taken', `An attribute "${key}" already exists`, { field: 'key' })
        await ContactAttribute.of(tenantId, trx).insert(row as any)
      })
      await audit(req, 'attribute.created', 'contact_attribute', row.id, { key, type })
      return reply.status(201).send(attributeView(row as ContactAttribute))
    })

    app.patch<{ Params: { id: string }; Body: Partial<AttributeBody> }>('/attributes/:id', {
      schema: {
        tags: TAG,
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: {
            label: str(120, 1),
            options,
            required: { type: 'boolean' },
            // Accepted only to say clearly that they cannot change.
            key: { type: 'string', maxLength: 40 },
            type: { type: 'string', maxLength: 16 },
          },
        },
      },
      config: { permission: 'contacts.attribute.manage' },
    }, async (req) => {
      const tenantId = tenantOf(req)
      const attr = await ContactAttribute.of(tenantId).findById(req.params.id)
      if (!attr) throw new AppError(404, 'attribute_not_found', 'Attribute not found')
      if (req.body.key !== undefined && req.body.key !== attr.key) throw new AppError(400, 'attribute_key_immutable', 'The key of an attribute cannot change', { field: 'key' })
      if (req.body.type !== undefined && req.body.type !== attr.type) throw new AppError(400, 'attribute_type_immutable', 'The type of an attribute cannot change: create a new attribute', { field: 'type' })
      const changes: Record<string, unknown> = { updated_at: ctx.clock.now() }
      if (req.body.label !== undefined) {
        changes.label = req.body.label.trim()
        if (!changes.label) throw new AppError(400, 'invalid_attribute_label', 'An attribute needs a label', { field: 'label' })
      }
      if (req.body.options !== undefined) changes.options = checkOptions(attr.type, req.body.options)
      if (req.body.required !== undefined) changes.required = req.body.required
      await ContactAttribute.of(tenantId).findById(attr.id).patch(changes as any)
      await audit(req, 'attribute.updated', 'contact_attribute', attr.id, { fields: Object.keys(req.body) })
      return attributeView({ ...attr, ...changes } as ContactAttribute)
    })

    app.delete<{ Params: { id: string } }>('/attributes/:id', {
      schema: { tags: TAG, params: idParams },
      config: { permission: 'contacts.attribute.manage' },
    }, async (req, reply) => {
      const tenantId = tenantOf(req)
      await ctx.db.transaction(async (trx) => {
        const attr = await ContactAttribute.of(tenantId, trx).findById(req.params.id)
        if (!attr) throw new AppError(404, 'attribute_not_found', 'Attribute not found')
        await ContactAttribute.of(tenantId, trx).findById(attr.id).delete()
        await trx('contacts').where('tenant_id', tenantId).whereRaw('jsonb_exists(attributes, ?)', [attr.key]).update({ attributes: trx.raw('attributes - ?::text', [attr.key]) })
      })
      await audit(req, 'attribute.deleted', 'contact_attribute', req.params.id)
      return reply.status(204).send()
    })
  }
}
