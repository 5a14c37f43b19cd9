import type { FastifyInstance } from 'fastify'
import { AppError, decodeCursor, idParams, newId, page, pageQuery, str, uuid, type PluginContext } from '@sapa/sdk'
import type { Contacts, ContactInput, ContactPatch } from '../contacts.ts'
import { ContactConsentEvent, ContactNote } from '../models.ts'
import { decodeSortCursor, sortedPage, SORTS, type ContactSort } from '../sort.ts'
import { consentView, noteView } from '../views.ts'
import { actorOf, auditor, filterQuery, resolveFilters, TAG, tenantOf, type FilterParams } from './common.ts'

const nullable = (schema: Record<string, unknown>) => ({ anyOf: [schema, { type: 'null' }] })
const attributesBody = {
  type: 'object',
  maxProperties: 100,
  additionalProperties: { anyOf: [{ type: 'string', maxLength: 1000 }, { type: 'number' }, { type: 'boolean' }, { type: 'null' }] },
  description: 'Attribute key → value (typed by the attribute); null removes a value',
} as const
const labelIds = { type: 'array', maxItems: 50, uniqueItems: true, items: uuid } as const

const contactFields = {
  name: nullable(str(255)),
  phone: { ...str(40, 1), description: 'Any format: 0812…, +62 812-…, 62812… (stored as E.164)' },
  email: nullable(str(254)),
  attributes: attributesBody,
  labelIds,
  optedOut: { type: 'boolean' },
} as const

const subParams = (name: string) => ({ type: 'object', additionalProperties: false, required: ['id', name], properties: { id: uuid, [name]: uuid } }) as const

export function contactRoutes(ctx: PluginContext<any>, contacts: Contacts) {
  const audit = auditor(ctx)

  return async (app: FastifyInstance) => {
    app.get<{ Querystring: FilterParams & { limit: number; cursor?: string; sort: ContactSort } }>('/', {
      schema: {
        tags: TAG,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...filterQuery,
            ...pageQuery,
            // A name-sorted cursor carries the name (up to 255 characters).
            cursor: { type: 'string', maxLength: 1500 },
            sort: {
              type: 'string',
              enum: SORTS,
              default: 'created',
              description: 'created: newest first; name: A→Z, -name: Z→A (case-insensitive, no name last); last_contacted: most recent first, never last',
            },
          },
        },
      },
      config: { permission: 'contacts.contact.view' },
    }, async (req) => {
      const tenantId = tenantOf(req)
      const sort = req.query.sort
      const afterKey = decodeSortCursor(sort, req.query.cursor)
      const filters = await resolveFilters(tenantId, req.query)
      const rows = await contacts.list(tenantId, filters, { sort, afterKey, limit: req.query.limit + 1 })
      const result = sortedPage(sort, rows, req.query.limit)
      return { items: await contacts.views(tenantId, result.items), nextCursor: result.nextCursor }
    })

    app.post<{ Body: ContactInput }>('/', {
      schema: { tags: TAG, body: { type: 'object', additionalProperties: false, required: ['phone'], properties: contactFields } },
      config: { permission: 'contacts.contact.create' },
    }, async (req, reply) => {
      const view = await contacts.create(tenantOf(req), req.body, actorOf(req))
      await audit(req, 'contact.created', 'contact', view.id, { phone: view.phone })
      return reply.status(201).send(view)
    })

    app.get<{ Params: { id: string } }>('/:id', {
      schema: { tags: TAG, params: idParams },
      config: { permission: 'contacts.contact.view' },
    }, async (req) => contacts.view(tenantOf(req), req.params.id))

    app.patch<{ Params: { id: string }; Body: ContactPatch }>('/:id', {
      schema: { tags: TAG, params: idParams, body: { type: 'object', additionalProperties: false, minProperties: 1, properties: contactFields } },
      config: { permission: 'contacts.contact.update' },
    }, async (req) => {
      const view = await contacts.update(tenantOf(req), req.params.id, req.body, actorOf(req))
      await audit(req, 'contact.updated', 'contact', view.id, { fields: Object.keys(req.body) })
      return view
    })

    app.delete<{ Params: { id: string } }>('/:id', {
      schema: { tags: TAG, params: idParams },
      config: { permission: 'contacts.contact.delete' },
    }, async (req, reply) => {
      const row = await contacts.remove(tenantOf(req), req.params.id)
      await audit(req, 'contact.deleted', 'contact', row.id, { phone: row.phone })
      return reply.status(204).send()
    })

    // Labels on one contact.
    app.post<{ Params: { id: string }; Body: { labelIds: string[] } }>('/:id/labels', {
      schema: { tags: TAG, params: idParams, body: { type: 'object', additionalProperties: false, required: ['labelIds'], properties: { labelIds: { ...labelIds, minItems: 1 } } } },
      config: { permission: 'contacts.contact.update' },
    }, async (req) => contacts.addLabels(tenantOf(req), req.params.id, req.body.labelIds))

    app.delete<{ Params: { id: string; labelId: string } }>('/:id/labels/:labelId', {
      schema: { tags: TAG, params: subParams('labelId') },
      config: { permission: 'contacts.contact.update' },
    }, async (req) => contacts.removeLabel(tenantOf(req), req.params.id, req.params.labelId))

    // Notes.
    app.get<{ Params: { id: string }; Querystring: { limit: number; cursor?: string } }>('/:id/notes', {
      schema: { tags: TAG, params: idParams, querystring: { type: 'object', additionalProperties: false, properties: { ...pageQuery } } },
      config: { permission: 'contacts.contact.view' },
    }, async (req) => {
      const tenantId = tenantOf(req)
      await contacts.find(tenantId, req.params.id)
      const after = decodeCursor(req.query.cursor)
      const q = ContactNote.of(tenantId).where('contact_id', req.params.id).orderBy('id', 'desc').limit(req.query.limit + 1)
      if (after) q.where('id', '<', after)
      const result = page(await q, req.query.limit)
      return { items: result.items.map(noteView), nextCursor: result.nextCursor }
    })

    app.post<{ Params: { id: string }; Body: { body: string } }>('/:id/notes', {
      schema: { tags: TAG, params: idParams, body: { type: 'object', additionalProperties: false, required: ['body'], properties: { body: str(10_000, 1) } } },
      config: { permission: 'contacts.contact.update' },
    }, async (req, reply) => {
      const tenantId = tenantOf(req)
      const body = req.body.body.trim()
      if (!body) throw new AppError(400, 'note_empty', 'A note needs some text', { field: 'body' })
      await contacts.find(tenantId, req.params.id)
      const note = { id: newId(), contact_id: req.params.id, body, author_id: req.principal!.user?.id ?? null, created_at: ctx.clock.now() }
      await ContactNote.of(tenantId).insert(note as any)
      return reply.status(201).send(noteView(note as ContactNote))
    })

    app.delete<{ Params: { id: string; noteId: string } }>('/:id/notes/:noteId', {
      schema: { tags: TAG, params: subParams('noteId') },
      config: { permission: 'contacts.contact.update' },
    }, async (req, reply) => {
      const tenantId = tenantOf(req)
      const note = await ContactNote.of(tenantId).findById(req.params.noteId).where('contact_id', req.params.id)
      if (!note) throw new AppError(404, 'note_not_found', 'Note not found')
      // Your own notes; anyone's with the right to delete contacts.
      if (note.author_id !== req.principal!.user?.id && !req.can('contacts.contact.delete')) {
        throw new AppError(403, 'forbidden', 'Only the author (or someone who may delete contacts) can delete this note', { permission: 'contacts.contact.delete' })
      }
      await ContactNote.of(tenantId).findById(note.id).delete()
      return reply.status(204).send()
    })

    // Consent: the history, and an explicit opt-in or opt-out.
    app.get<{ Params: { id: string }; Querystring: { limit: number; cursor?: string } }>('/:id/consent', {
      schema: { tags: TAG, params: idParams, querystring: { type: 'object', additionalProperties: false, properties: { ...pageQuery } } },
      config: { permission: 'contacts.contact.view' },
    }, async (req) => {
      const tenantId = tenantOf(req)
      const contact = await contacts.find(tenantId, req.params.id)
      const after = decodeCursor(req.query.cursor)
      const q = ContactConsentEvent.of(tenantId).where('contact_id', req.params.id).orderBy('id', 'desc').limit(req.query.limit + 1)
      if (after) q.where('id', '<', after)
      const result = page(await q, req.query.limit)
      return { optedOut: contact.opted_out, items: result.items.map(consentView), nextCursor: result.nextCursor }
    })

    app.post<{ Params: { id: string }; Body: { status: 'opted_in' | 'opted_out'; note?: string } }>('/:id/consent', {
      schema: {
        tags: TAG,
        params: idParams,
        body: { type: 'object', additionalProperties: false, required: ['status'], properties: { status: { type: 'string', enum: ['opted_in', 'opted_out'] }, note: str(255) } },
      },
      config: { permission: 'contacts.contact.update' },
    }, async (req) => {
      const view = await contacts.setConsent(tenantOf(req), req.params.id, req.body.status, 'api', req.body.note?.trim() || null, actorOf(req))
      await audit(req, `contact.${req.body.status}`, 'contact', view.id)
      return view
    })

    // Merge: `fromId` folds into `:id` and is gone afterwards.
    app.post<{ Params: { id: string }; Body: { fromId: string } }>('/:id/merge', {
      schema: { tags: TAG, params: idParams, body: { type: 'object', additionalProperties: false, required: ['fromId'], properties: { fromId: uuid } } },
      config: { permission: 'contacts.contact.merge' },
    }, async (req) => {
      const view = await contacts.merge(tenantOf(req), req.params.id, req.body.fromId, actorOf(req))
      await audit(req, 'contact.merged', 'contact', view.id, { fromId: req.body.fromId })
      return view
    })
  }
}
