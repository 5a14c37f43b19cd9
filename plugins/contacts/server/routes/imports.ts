import type { FastifyInstance, FastifyRequest } from 'fastify'
import multipart, { type MultipartValue } from '@fastify/multipart'
import { parse } from 'csv-parse/sync'
import { stringify } from 'csv-stringify/sync'
import { AppError, decodeCursor, idParams, newId, page, pageQuery, type PluginContext } from '@sapa/sdk'
import { ContactImport } from '../models.ts'
import { importView } from '../views.ts'
import type { Contacts } from '../contacts.ts'
import { escapeCell } from '../export.ts'
import { decodeText, detectFormat, sniffDelimiter } from '../import/sniff.ts'
import { FORBIDDEN_HEADERS, MappingError, parseTarget, resolveColumns } from '../import/mapping.ts'
import { ImportFailure } from '../import/parse.ts'
import { PreviewError, previewImport } from '../import/preview.ts'
import { IMPORT_ATTEMPTS, IMPORT_LIMITS, importJobId, importStorageKey, type Importer } from '../import/importer.ts'
import type { AttributeDef } from '../values.ts'
import { auditor, TAG, tenantOf } from './common.ts'

const MAX_MAPPING_BYTES = 16 * 1024
const MAX_MAPPING_ENTRIES = 200

const mappingError = (err: unknown) => {
  if (err instanceof MappingError) return new AppError(400, err.code, err.message, err.details)
  return err
}

/** The `mapping` field: a JSON object `{ "<column header>": "name" | "phone" | "email" | "labels" | "attributes.<key>" | "ignore" }`. */
function parseMapping(text: string, attributes: Map<string, AttributeDef>): [string, string][] {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new AppError(400, 'invalid_mapping', 'mapping must be a JSON object of column header → field', { field: 'mapping' })
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AppError(400, 'invalid_mapping', 'mapping must be a JSON object of column header → field', { field: 'mapping' })
  }
  // Own keys only, as pairs: a "__proto__" key is refused, never assigned anywhere.
  const entries = Object.entries(value as Record<string, unknown>)
  if (entries.length === 0 || entries.length > MAX_MAPPING_ENTRIES) {
    throw new AppError(400, 'invalid_mapping', `mapping needs 1 to ${MAX_MAPPING_ENTRIES} columns`, { field: 'mapping' })
  }
  for (const [header, target] of entries) {
    if (FORBIDDEN_HEADERS.has(header.trim().toLowerCase())) throw new AppError(400, 'invalid_mapping', `"${header}" cannot be a column name`, { field: 'mapping' })
    if (header.length > 200 || typeof target !== 'string' || target.length > 120) {
      throw new AppError(400, 'invalid_mapping', 'mapping values are field names (name, phone, email, labels, attributes.<key>, ignore)', { field: 'mapping' })
    }
    try {
      parseTarget(target, attributes)
    } catch (err) {
      throw mappingError(err)
    }
  }
  return entries as [string, string][]
}

/**
 * The upload both import routes take: one part named `file`, read whole (the multipart limits cap
 * it), its format from its bytes. Any other field goes to `field`, which throws for what the route
 * does not take. The errors are the same on both routes but for the wording they give about fields.
 */
async function readUpload(req: FastifyRequest, options: { wrongFileCode: string; tooManyParts: string; field(part: MultipartValue): void }) {
  if (!req.isMultipart()) throw new AppError(415, 'multipart_required', 'Upload the file as multipart/form-data with a "file" field')
  let file: { data: Buffer; filename: string } | null = null
  try {
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file' || file) {
          await part.toBuffer().catch(() => {})
          throw new AppError(400, options.wrongFileCode, 'Send one file, in the "file" field', { field: part.fieldname.slice(0, 40) })
        }
        file = { data: await part.toBuffer(), filename: (part.filename || 'upload').slice(0, 255) }
      } else {
        options.field(part)
      }
    }
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw new AppError(413, 'import_file_too_large', `Import files may be at most ${IMPORT_LIMITS.maxBytes / 1048576} MB`)
    if (code === 'FST_PARTS_LIMIT' || code === 'FST_FILES_LIMIT' || code === 'FST_FIELDS_LIMIT') throw new AppError(400, 'too_many_parts', options.tooManyParts)
    throw err
  }
  if (!file) throw new AppError(400, 'file_required', 'Send the file in a "file" field', { field: 'file' })
  if (file.data.length === 0) throw new AppError(400, 'empty_file', 'The file is empty', { field: 'file' })
  const format = detectFormat(file.data)
  if (format === 'xls') throw new AppError(415, 'unsupported_file_type', 'Old .xls workbooks are not supported: save the sheet as .xlsx or CSV', { field: 'file' })
  if (format === 'binary') throw new AppError(415, 'unsupported_file_type', 'Upload a CSV or an .xlsx spreadsheet', { field: 'file' })
  return { ...file, format }
}

export function importRoutes(ctx: PluginContext<any>, contacts: Contacts, importer: Importer) {
  const audit = auditor(ctx)

  async function find(tenantId: string, id: string) {
    const row = await ContactImport.of(tenantId).findById(id)
    if (!row) throw new AppError(404, 'import_not_found', 'Import not found')
    return row
  }

  return async (app: FastifyInstance) => {
    await app.register(multipart, { limits: { files: 1, fileSize: IMPORT_LIMITS.maxBytes, fields: 4, fieldSize: MAX_MAPPING_BYTES, parts: 6 } })

    // Upload a CSV or XLSX: multipart `file`, optional `mapping` (JSON) and `onDuplicate` (update | skip).
    // The file is stored, then the import row written, then the job queued: a crash loses nothing.
    app.post('/imports', {
      schema: { tags: TAG, consumes: ['multipart/form-data'] },
      config: { permission: 'contacts.contact.import', rawBody: true },
    }, async (req, reply) => {
      const fields: { mappingText: string | null; onDuplicate: 'update' | 'skip' } = { mappingText: null, onDuplicate: 'update' }
      const file = await readUpload(req, {
        wrongFileCode: 'unexpected_file',
        tooManyParts: 'Send one file, and at most the mapping and onDuplicate fields',
        field(part) {
          if (part.fieldname === 'mapping') {
            if (part.valueTruncated) throw new AppError(400, 'invalid_mapping', `mapping may be at most ${MAX_MAPPING_BYTES / 1024} KB`, { field: 'mapping' })
            fields.mappingText = String(part.value)
          } else if (part.fieldname === 'onDuplicate') {
            const value = String(part.value)
            if (value !== 'update' && value !== 'skip') throw new AppError(400, 'invalid_on_duplicate', 'onDuplicate is "update" or "skip"', { field: 'onDuplicate' })
            fields.onDuplicate = value
          } else {
            throw new AppError(400, 'unknown_field', `Unknown field "${part.fieldname.slice(0, 40)}" (send file, mapping, onDuplicate)`, { field: part.fieldname.slice(0, 40) })
          }
        },
      })
      const { mappingText, onDuplicate } = fields
      const { format } = file
      const tenantId = tenantOf(req)

      const attributes = await contacts.attributeDefs(tenantId)
      const mapping = mappingText === null || mappingText.trim() === '' ? null : parseMapping(mappingText, attributes)
      // A CSV's header is checked now (cheap), so a wrong file or mapping is a 400, not a failed import.
      // A spreadsheet's header is checked by the import job, in its worker.
      if (format === 'csv') {
        const text = decodeText(file.data)
        let header: string[]
        try {
          header = (parse(text.slice(0, 1 << 20), { delimiter: sniffDelimiter(text), to: 1, relax_quotes: true, relax_column_count: true }) as string[][])[0] ?? []
        } catch {
          throw new AppError(400, 'invalid_csv', 'The first line of the file is not a CSV header', { field: 'file' })
        }
        try {
          resolveColumns(header, mapping, attributes)
        } catch (err) {
          throw mappingError(err)
        }
      }

      const active = Number(((await ContactImport.of(tenantId).whereIn('status', ['queued', 'running']).count('* as c')) as any)[0].c)
      if (active >= IMPORT_LIMITS.maxActivePerTenant) {
        throw new AppError(429, 'too_many_imports', `At most ${IMPORT_LIMITS.maxActivePerTenant} imports can run at once; wait for one to finish`)
      }
      const id = newId()
      const storageKey = importStorageKey(tenantId, id)
      await ctx.storage.put(storageKey, file.data)
      const at = ctx.clock.now()
      await ContactImport.of(tenantId).insert({
        id, status: 'queued', filename: file.filename, format, size: file.data.length, storage_key: storageKey,
        options: { mapping, onDuplicate }, created_by: req.principal!.user?.id ?? null, created_at: at, updated_at: at,
      } as any)
      await ctx.jobs.add('import', { tenantId, importId: id }, { jobId: importJobId(id), attempts: IMPORT_ATTEMPTS })
      await audit(req, 'import.started', 'contact_import', id, { filename: file.filename, format, size: file.data.length, onDuplicate })
      return reply.status(202).send({ id, status: 'queued' })
    })

    // The wizard's first step: a file's columns, what each maps to by its header, and a few values.
    // Nothing is stored; the import itself uploads the file again with the chosen mapping.
    app.post('/imports/preview', {
      schema: { tags: TAG, consumes: ['multipart/form-data'] },
      config: { permission: 'contacts.contact.import', rawBody: true },
    }, async (req) => {
      const { data, format } = await readUpload(req, {
        wrongFileCode: 'unexpected_field',
        tooManyParts: 'Send one file, in the "file" field',
        field(part) {
          throw new AppError(400, 'unexpected_field', 'Send one file, in the "file" field', { field: part.fieldname.slice(0, 40) })
        },
      })
      try {
        return { format, ...(await previewImport(data, format, await contacts.attributeDefs(tenantOf(req)), IMPORT_LIMITS.maxUnpackedBytes)) }
      } catch (err) {
        if (err instanceof PreviewError || err instanceof ImportFailure || err instanceof MappingError) throw new AppError(400, err.code, err.message, { field: 'file' })
        throw err
      }
    })

    app.get<{ Querystring: { limit: number; cursor?: string } }>('/imports', {
      schema: { tags: TAG, querystring: { type: 'object', additionalProperties: false, properties: { ...pageQuery } } },
      config: { permission: 'contacts.contact.import' },
    }, async (req) => {
      const after = decodeCursor(req.query.cursor)
      const q = ContactImport.of(tenantOf(req)).orderBy('id', 'desc').limit(req.query.limit + 1)
      if (after) q.where('id', '<', after)
      const result = page(await q, req.query.limit)
      return { items: result.items.map((i) => importView(i)), nextCursor: result.nextCursor }
    })

    app.get<{ Params: { id: string } }>('/imports/:id', {
      schema: { tags: TAG, params: idParams },
      config: { permission: 'contacts.contact.import' },
    }, async (req) => {
      const tenantId = tenantOf(req)
      const row = await find(tenantId, req.params.id)
      return importView(row, await importer.errors(tenantId, row.id))
    })

    // The row errors as a CSV to fix the file with (the stored ones; a last line counts the rest).
    app.get<{ Params: { id: string } }>('/imports/:id/errors.csv', {
      schema: { tags: TAG, params: idParams },
      config: { permission: 'contacts.contact.import' },
    }, async (req, reply) => {
      const tenantId = tenantOf(req)
      const row = await find(tenantId, req.params.id)
      const errors = await importer.errors(tenantId, row.id)
      const lines: (string | number)[][] = [['row', 'reason'], ...errors.map((e) => [e.row, escapeCell(e.reason)])]
      if (row.error_count > errors.length) lines.push(['', `… and ${row.error_count - errors.length} more errors (only the first ${errors.length} are kept)`])
      if (row.failure) lines.push(['', escapeCell(`The import failed: ${row.failure.message}`)])
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="import-${row.id}-errors.csv"`)
        .header('x-content-type-options', 'nosniff')
        .send('\ufeff' + stringify(lines))
    })
  }
}
