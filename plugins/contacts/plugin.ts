import { definePlugin, isUuid, type QueueJob } from '@sapa/sdk'
import { createContacts } from './server/contacts.ts'
import { createDirectory } from './server/directory.ts'
import { createImporter } from './server/import/importer.ts'
import { ContactImport } from './server/models.ts'
import { normalizePhone } from './server/phone.ts'
import { matchesKeyword, settingsSchema, type ContactsSettings } from './server/settings.ts'
import { contactRoutes } from './server/routes/contacts.ts'
import { labelRoutes } from './server/routes/labels.ts'
import { attributeRoutes } from './server/routes/attributes.ts'
import { segmentRoutes } from './server/routes/segments.ts'
import { importRoutes } from './server/routes/imports.ts'
import { exportRoutes } from './server/routes/export.ts'

/** A contact as other plugins see it (`ctx.use('contacts.directory')`). */
export interface ContactSummary {
  id: string
  name: string | null
  /** E.164 */
  phone: string
  email: string | null
  /** Label names. */
  labels: string[]
  optedOut: boolean
  /** ISO 8601, or null when the contact never wrote in. */
  lastContactedAt: string | null
}

/** What other plugins get with `ctx.use<ContactsDirectory>('contacts.directory')`. */
export interface ContactsDirectory {
  /** Find by E.164 phone or create; `name` only fills an empty name. Any phone format is accepted (tenant region); an invalid one throws AppError 400 invalid_phone. */
  upsertByPhone(tenantId: string, phone: string, fields?: { name?: string | null }): Promise<ContactSummary>
  get(tenantId: string, id: string): Promise<ContactSummary | null>
  /** In the order asked; unknown ids (and other tenants') are left out. At most 1000 ids. */
  getMany(tenantId: string, ids: string[]): Promise<ContactSummary[]>
  /** Ids of contacts matching a text query (name, phone, email), for other plugins' search. Newest first; limit ≤ 1000. */
  search(tenantId: string, q: string, limit: number): Promise<string[]>
  /** Contacts of a segment (broadcast): cursor pages of ids, oldest first, never opted-out contacts. Throws AppError 404 segment_not_found. */
  segmentMembers(tenantId: string, segmentId: string, cursor: string | null, limit: number): Promise<{ ids: string[]; nextCursor: string | null }>
}

interface InboundJob {
  tenantId: string
  messageId: string
  from: string
  fromName: string | null
  type: string
  text: string | null
  at: string
  [key: string]: unknown
}

let sweeper: NodeJS.Timeout | null = null

export default definePlugin<ContactsSettings>({
  name: 'contacts',
  version: '1.0.0',
  kernel: '^1',
  description: 'CRM contacts: attributes, labels, notes, opt-out, segments, CSV/XLSX import and export, merge',
  permissions: {
    'contacts.contact.view': 'See contacts, labels, attributes and segments',
    'contacts.contact.create': 'Create contacts',
    'contacts.contact.update': 'Edit contacts, their labels, notes and opt-in/opt-out; create and rename labels',
    'contacts.contact.delete': 'Delete contacts and labels',
    'contacts.contact.import': 'Import contacts from CSV or XLSX',
    'contacts.contact.export': 'Export contacts to CSV or XLSX',
    'contacts.contact.merge': 'Merge two contacts into one',
    'contacts.attribute.manage': 'Define custom contact attributes',
    'contacts.segment.manage': 'Create, change and delete segments',
  },
  grants: {
    viewer: ['contacts.contact.view'],
    agent: ['contacts.contact.create', 'contacts.contact.update'],
    team_lead: ['contacts.contact.import', 'contacts.contact.export', 'contacts.contact.merge'],
    manager: ['contacts.contact.delete', 'contacts.attribute.manage', 'contacts.segment.manage'],
  },
  settings: settingsSchema,
  provides: ['directory'],
  ui: {
    nav: [{ id: 'contacts', path: '/contacts', label: { en: 'Contacts', id: 'Kontak' }, icon: 'contacts', permission: 'contacts.contact.view', order: 20 }],
  },

  async register(ctx) {
    const contacts = createContacts(ctx)
    const importer = createImporter(ctx, contacts)

    ctx.realtime.defineTopic('contacts-import', {
      permission: 'contacts.contact.import',
      id: 'required',
      authorize: async (identity, id) => Boolean(isUuid(id) && (await ContactImport.of(identity.tenantId).findById(id))),
    })

    // Static paths (labels, attributes, segments, imports, export) win over /:id in Fastify's router.
    ctx.routes(labelRoutes(ctx))
    ctx.routes(attributeRoutes(ctx))
    ctx.routes(segmentRoutes(ctx, contacts))
    ctx.routes(importRoutes(ctx, contacts, importer))
    ctx.routes(exportRoutes(ctx, contacts))
    ctx.routes(contactRoutes(ctx, contacts))

    await ctx.jobs.define('import', (job) => importer.process(job as QueueJob<{ tenantId: string; importId: string }>), { concurrency: 2 })

    // Inbound WhatsApp messages: the sender becomes (or stays) a contact, last contacted now, and
    // STOP / BERHENTI / … opt them out. Queued (retried, deduplicated by message id), not done inline.
    ctx.events.on('whatsapp.message.received', async (event) => {
      const p = event.payload as Record<string, unknown>
      if (typeof p.from !== 'string' || typeof p.messageId !== 'string') return
      await ctx.jobs.add<InboundJob>('inbound', {
        tenantId: event.tenantId,
        messageId: p.messageId,
        from: p.from,
        fromName: typeof p.fromName === 'string' ? p.fromName : null,
        type: typeof p.type === 'string' ? p.type : 'unknown',
        text: typeof p.text === 'string' ? p.text.slice(0, 200) : null,
        at: ctx.clock.now().toISOString(),
      }, { jobId: `inbound-${p.messageId}` })
    })
    await ctx.jobs.define('inbound', async (job) => {
      const data = job.data as InboundJob
      const settings = await ctx.settings(data.tenantId)
      const region = settings.defaultRegion
      if (!normalizePhone(data.from, region)) return // a provider address that is not a phone number
      const text = data.type === 'text' ? data.text : null
      await contacts.inbound(data.tenantId, { from: data.from, fromName: data.fromName, text, messageId: data.messageId, at: new Date(data.at) }, {
        optOut: matchesKeyword(text, settings.optOutKeywords),
        optIn: matchesKeyword(text, settings.optInKeywords),
      })
    }, { concurrency: 5 })

    ctx.provide<ContactsDirectory>('directory', createDirectory(ctx, contacts))

    // Imports left queued or running (a crash between the row and the job, a worker that died).
    if (process.env.SAPA_ROLE !== 'web') {
      if (sweeper) clearInterval(sweeper)
      sweeper = setInterval(() => void importer.sweep().catch((err) => ctx.logger.error({ err }, 'import sweep failed')), 60_000)
      sweeper.unref()
    }
  },

  lifecycle: {
    dispose() {
      if (sweeper) clearInterval(sweeper)
      sweeper = null
    },
  },
})
