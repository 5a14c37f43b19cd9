import type { Knex } from 'knex'
import { newId, type PluginContext, type QueueJob } from '@sapa/sdk'
import { ContactImport, ContactImportError, ContactLabel } from '../models.ts'
import { importView } from '../views.ts'
import type { Contacts } from '../contacts.ts'
import type { ContactsSettings } from '../settings.ts'
import type { AttributeDef } from '../values.ts'
import type { ParsedRow, PreparedRow } from './prepare.ts'
import { DEFAULT_PARSE_LIMITS, ImportFailure, parseInWorker, type ParseLimits } from './parse.ts'

export const IMPORT_LIMITS = {
  maxBytes: 20 * 1024 * 1024,
  maxRows: 200_000,
  /** An XLSX may unpack to at most this much (the sum of its parts). */
  maxUnpackedBytes: 400 * 1024 * 1024,
  /** Rows written per INSERT … ON CONFLICT (and per transaction). */
  batchSize: 1000,
  /** Row errors kept per import; the rest are only counted. */
  maxStoredErrors: 1000,
  /** Imports a tenant may have queued or running at once. */
  maxActivePerTenant: 3,
}

export const IMPORT_ATTEMPTS = 3
export const importJobId = (importId: string) => `import-${importId}`
export const importStorageKey = (tenantId: string, importId: string) => `contacts-imports/${tenantId}/${importId}`

interface Counts {
  imported: number
  updated: number
  skipped: number
  errors: { row: number; reason: string }[]
}

/** A row group: the same phone more than once in one batch collapses to one write. */
interface Group {
  first: PreparedRow
  merged: PreparedRow
  rows: PreparedRow[]
}

export function createImporter(ctx: PluginContext<ContactsSettings>, contacts: Contacts, parseLimits: ParseLimits = DEFAULT_PARSE_LIMITS) {
  const db = ctx.db
  const publish = (tenantId: string, row: ContactImport, event: string) =>
    ctx.realtime.publish(tenantId, `contacts-import:${row.id}`, event, importView(row)).catch((err) => ctx.logger.warn({ err }, 'import progress not published'))

  /** Label names → ids, creating the ones the tenant does not have yet. */
  async function labelIds(trx: Knex.Transaction, tenantId: string, names: string[], at: Date): Promise<Map<string, string>> {
    const wanted = new Map<string, string>()
    for (const name of names) if (!wanted.has(name.toLowerCase())) wanted.set(name.toLowerCase(), name)
    const out = new Map<string, string>()
    if (!wanted.size) return out
    const lookup = async () => {
      const rows = await ContactLabel.of(tenantId, trx).whereIn(trx.raw('lower(name)') as any, [...wanted.keys()]).select('id', 'name')
      for (const r of rows) out.set(r.name.toLowerCase(), r.id)
    }
    await lookup()
    const missing = [...wanted.entries()].filter(([key]) => !out.has(key))
    if (missing.length) {
      await trx('contact_labels')
        .insert(missing.map(([, name]) => ({ tenant_id: tenantId, id: newId(), name, created_at: at, updated_at: at })))
        .onConflict(trx.raw('(tenant_id, lower(name))'))
        .ignore()
      await lookup()
    }
    return out
  }

  /** Writes one chunk of rows and the import's progress in one transaction. */
  async function writeBatch(imp: ContactImport, rows: ParsedRow[], lastRow: number, required: AttributeDef[], knownOptOuts: boolean): Promise<ContactImport> {
    const tenantId = imp.tenant_id
    const mode = imp.options.onDuplicate
    const counts: Counts = { imported: 0, updated: 0, skipped: 0, errors: [] }
    const groups = new Map<string, Group>()
    for (const row of rows) {
      if ('error' in row) {
        counts.errors.push({ row: row.row, reason: row.error })
        continue
      }
      const group = groups.get(row.phone)
      if (!group) {
        groups.set(row.phone, { first: row, merged: { ...row, labels: row.labels ? [...row.labels] : null }, rows: [row] })
        continue
      }
      // The same phone again in this batch: a later row updates the earlier one, or is skipped.
      group.rows.push(row)
      if (mode === 'skip') {
        counts.skipped++
        continue
      }
      counts.updated++
      const m = group.merged
      m.name = row.name ?? m.name
      m.email = row.email ?? m.email
      if (row.attributes) m.attributes = { ...(m.attributes ?? {}), ...row.attributes }
      if (row.labels) m.labels = [...new Set([...(m.labels ?? []), ...row.labels])]
    }

    return db.transaction(async (trx) => {
      const at = ctx.clock.now()
      const phones = [...groups.keys()]
      // New contacts must carry the required attributes; existing ones already do.
      if (required.length && phones.length) {
        const existing = new Set<string>(await trx('contacts').where('tenant_id', tenantId).whereIn('phone', phones).pluck('phone'))
        for (const [phone, group] of groups) {
          if (existing.has(phone)) continue
          const missing = required.find((def) => group.merged.attributes?.[def.key] === undefined)
          if (!missing) continue
          groups.delete(phone)
          counts.errors.push({ row: group.first.row, reason: `${missing.label} (${missing.key}) is required for a new contact` })
          // Rows merged into it were counted as updates or skips: they failed with it.
          const extra = group.rows.length - 1
          if (mode === 'skip') counts.skipped -= extra
          else counts.updated -= extra
          for (const later of group.rows.slice(1)) counts.errors.push({ row: later.row, reason: `${missing.label} (${missing.key}) is required for a new contact` })
        }
      }
      const list = [...groups.values()]
      // New contacts whose number opted out before (and was deleted since) are created opted out.
      const consent = knownOptOuts ? await contactsConsent(trx, tenantId, list.map((g) => g.merged.phone)) : new Map()
      const values = list.map((g) => {
        const prior = consent.get(g.merged.phone)
        return {
          tenant_id: tenantId,
          id: newId(),
          name: g.merged.name,
          phone: g.merged.phone,
          email: g.merged.email,
          attributes: JSON.stringify(g.merged.attributes ?? {}),
          opted_out: prior?.status === 'opted_out',
          opted_out_at: prior?.status === 'opted_out' ? prior.at : null,
          created_at: at,
          updated_at: at,
        }
      })
      const written = new Map<string, { id: string; inserted: boolean }>()
      if (values.length) {
        const insert = trx('contacts').insert(values).onConflict(['tenant_id', 'phone'])
        const returned = (await (mode === 'update'
          ? insert.merge({
              name: trx.raw('coalesce(excluded.name, contacts.name)'),
              email: trx.raw('coalesce(excluded.email, contacts.email)'),
              attributes: trx.raw('contacts.attributes || excluded.attributes'),
              updated_at: trx.raw('excluded.updated_at'),
            })
          : insert.ignore()
        ).returning(['id', 'phone', trx.raw('(xmax = 0) as inserted')])) as { id: string; phone: string; inserted: boolean }[]
        for (const r of returned) written.set(r.phone, { id: r.id, inserted: r.inserted })
      }
      for (const g of list) {
        const w = written.get(g.merged.phone)
        if (!w) counts.skipped++ // skip mode: the phone already existed
        else if (w.inserted) counts.imported++
        else counts.updated++
      }
      // Labels: added to every contact the batch wrote (never removed by an import).
      const labelled = list.filter((g) => g.merged.labels?.length && written.has(g.merged.phone))
      if (labelled.length) {
        const ids = await labelIds(trx, tenantId, labelled.flatMap((g) => g.merged.labels!), at)
        const links = labelled.flatMap((g) =>
          g.merged.labels!.map((name) => ({ tenant_id: tenantId, contact_id: written.get(g.merged.phone)!.id, label_id: ids.get(name.toLowerCase())! })).filter((l) => l.label_id),
        )
        if (links.length) await trx('contact_label_links').insert(links).onConflict(['tenant_id', 'contact_id', 'label_id']).ignore()
      }
      const room = IMPORT_LIMITS.maxStoredErrors - imp.error_count
      const stored = counts.errors.slice(0, Math.max(0, room))
      if (stored.length) {
        await trx('contact_import_errors')
          .insert(stored.map((e) => ({ tenant_id: tenantId, import_id: imp.id, row: e.row, reason: e.reason.slice(0, 300) })))
          .onConflict(['tenant_id', 'import_id', 'row'])
          .ignore()
      }
      const processed = counts.imported + counts.updated + counts.skipped + counts.errors.length
      const [row] = (await trx('contact_imports')
        .where({ tenant_id: tenantId, id: imp.id })
        .update({
          processed: trx.raw('processed + ?', [processed]),
          imported: trx.raw('imported + ?', [counts.imported]),
          updated: trx.raw('updated + ?', [counts.updated]),
          skipped: trx.raw('skipped + ?', [counts.skipped]),
          error_count: trx.raw('error_count + ?', [counts.errors.length]),
          cursor_row: lastRow,
          updated_at: at,
        })
        .returning('*')) as ContactImport[]
      return ContactImport.fromJson(row, { skipValidation: true }) as ContactImport
    })
  }

  async function contactsConsent(trx: Knex.Transaction, tenantId: string, phones: string[]) {
    const out = new Map<string, { status: string; at: Date }>()
    if (!phones.length) return out
    const rows = await trx('contact_consent_events')
      .distinctOn('phone')
      .select('phone', 'status', 'created_at')
      .where('tenant_id', tenantId)
      .whereIn('phone', phones)
      .orderBy([{ column: 'phone' }, { column: 'id', order: 'desc' }])
    for (const r of rows) out.set(r.phone, { status: r.status, at: r.created_at })
    return out
  }

  async function finish(imp: ContactImport, status: 'completed' | 'failed', failure: { code: string; message: string } | null): Promise<void> {
    const tenantId = imp.tenant_id
    const at = ctx.clock.now()
    const [row] = (await db('contact_imports')
      .where({ tenant_id: tenantId, id: imp.id })
      .whereIn('status', ['queued', 'running'])
      .update({ status, failure: failure ? JSON.stringify(failure) : null, finished_at: at, updated_at: at, storage_key: null })
      .returning('*')) as ContactImport[]
    if (!row) return
    const done = ContactImport.fromJson(row, { skipValidation: true }) as ContactImport
    // The uploaded file holds personal data: it goes once the import is over.
    if (imp.storage_key) await ctx.storage.delete(imp.storage_key).catch((err) => ctx.logger.warn({ err }, 'import file not deleted'))
    await ctx.events.publish(`contacts.import.${status}`, {
      tenantId, importId: imp.id, imported: done.imported, updated: done.updated, skipped: done.skipped, errors: done.error_count, failure,
    })
    await publish(tenantId, done, status)
  }

  /** The `contacts.import` job. Idempotent: a retry resumes after the last committed batch. */
  async function process(job: QueueJob<{ tenantId: string; importId: string }>): Promise<void> {
    const { tenantId, importId } = job.data
    let imp = await ContactImport.of(tenantId).findById(importId)
    if (!imp || imp.status === 'completed' || imp.status === 'failed') return
    const at = ctx.clock.now()
    await ContactImport.of(tenantId).findById(importId).patch({ status: 'running', started_at: imp.started_at ?? at, attempts: imp.attempts + 1, updated_at: at } as any)
    imp = (await ContactImport.of(tenantId).findById(importId))!
    await publish(tenantId, imp, 'progress')
    try {
      const file = imp.storage_key ? await ctx.storage.get(imp.storage_key) : null
      if (!file) throw new ImportFailure('file_missing', 'The uploaded file is no longer stored; upload it again')
      const settings = await ctx.settings(tenantId)
      const defs = await contacts.attributeDefs(tenantId)
      const required = [...defs.values()].filter((d) => d.required)
      const knownOptOuts = Boolean(await db('contact_consent_events').where({ tenant_id: tenantId, status: 'opted_out' }).first('id'))
      const parsed = parseInWorker({
        format: imp.format,
        file,
        mapping: imp.options.mapping,
        attributes: [...defs.values()],
        region: settings.defaultRegion,
        startAfterRow: imp.cursor_row,
        chunkSize: IMPORT_LIMITS.batchSize,
        maxRows: IMPORT_LIMITS.maxRows,
        maxUnpackedBytes: IMPORT_LIMITS.maxUnpackedBytes,
      }, parseLimits)
      for await (const message of parsed) {
        if (message.type === 'start') {
          await ContactImport.of(tenantId).findById(importId).patch({ total_rows: message.totalRows } as any)
          imp.total_rows = message.totalRows
          continue
        }
        if (message.rows.length || message.lastRow > imp.cursor_row) {
          imp = await writeBatch(imp, message.rows, message.lastRow, required, knownOptOuts)
          await publish(tenantId, imp, 'progress')
        }
      }
      await finish(imp, 'completed', null)
    } catch (err) {
      if (err instanceof ImportFailure) return finish(imp, 'failed', { code: err.code, message: err.message })
      // Anything else (the database, the storage) is retried; the last attempt fails the import.
      if (job.attemptsMade + 1 >= IMPORT_ATTEMPTS) await finish(imp, 'failed', { code: 'internal_error', message: 'The import stopped because of an error on our side; try again' })
      throw err
    }
  }

  /** Imports left queued or running (a crash between commit and enqueue, a dead worker) are queued again. */
  async function sweep(olderThanMs = 5 * 60_000): Promise<number> {
    const cutoff = new Date(ctx.clock.now().getTime() - olderThanMs)
    const stale = await db('contact_imports').whereIn('status', ['queued', 'running']).where('updated_at', '<', cutoff).select('tenant_id', 'id').limit(500)
    for (const row of stale) {
      await ctx.jobs.add('import', { tenantId: row.tenant_id, importId: row.id }, { jobId: importJobId(row.id), attempts: IMPORT_ATTEMPTS })
    }
    // A running import writes progress every batch: one silent for an hour is dead, not slow.
    const dead = await db('contact_imports').where('status', 'running').where('updated_at', '<', new Date(ctx.clock.now().getTime() - 3_600_000)).limit(100)
    for (const row of dead) {
      await finish(ContactImport.fromJson(row, { skipValidation: true }) as ContactImport, 'failed', { code: 'stalled', message: 'The import stopped making progress; upload the file again' })
    }
    return stale.length
  }

  async function errors(tenantId: string, importId: string): Promise<{ row: number; reason: string }[]> {
    return ContactImportError.of(tenantId).where('import_id', importId).orderBy('row').select('row', 'reason')
  }

  return { process, sweep, errors }
}

export type Importer = ReturnType<typeof createImporter>
