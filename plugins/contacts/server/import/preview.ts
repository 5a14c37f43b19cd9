import { parse } from 'csv-parse/sync'
import type { AttributeDef } from '../values.ts'
import { checkHeaders, guessColumns, type Target } from './mapping.ts'
import { previewXlsxInWorker, type ParseLimits, type SheetPreview } from './parse.ts'
import { decodeText, sniffDelimiter } from './sniff.ts'

export const PREVIEW_ROWS = 5

export class PreviewError extends Error {
  constructor(readonly code: string, message: string) {
    super(message)
  }
}

export interface ImportPreview {
  /** Rows after the header (empty rows not counted); null for a CSV, which is only read as far as the preview needs. */
  totalRows: number | null
  /** Every file column in order, with what it maps to without a mapping, and its first values. */
  columns: { header: string; target: Target | 'ignore'; samples: string[] }[]
}

const blank = (cells: string[]) => cells.every((c) => c.trim() === '')

/** The first MB of a CSV is plenty for a header and a few rows; the main thread never reads more. */
function previewCsv(data: Uint8Array): SheetPreview {
  const text = decodeText(data).slice(0, 1 << 20)
  let records: string[][]
  try {
    records = parse(text, { delimiter: sniffDelimiter(text), to: 100, relax_quotes: true, relax_column_count: true, skip_empty_lines: true }) as string[][]
  } catch {
    throw new PreviewError('invalid_csv', 'The first lines of the file are not CSV')
  }
  if (!records.length) throw new PreviewError('empty_file', 'The file is empty')
  const header = records[0].map((h) => h.trim())
  const rows = records.slice(1).filter((r) => !blank(r)).slice(0, PREVIEW_ROWS).map((r) => header.map((_, i) => (r[i] ?? '').trim()))
  return { header, rows, totalRows: -1 }
}

/** What the import wizard shows before the mapping step. Throws PreviewError, MappingError or ImportFailure. */
export async function previewImport(data: Uint8Array, format: 'csv' | 'xlsx', attributes: Map<string, AttributeDef>, maxUnpackedBytes: number, limits?: ParseLimits): Promise<ImportPreview> {
  const sheet = format === 'xlsx' ? await previewXlsxInWorker(data, PREVIEW_ROWS, maxUnpackedBytes, limits) : previewCsv(data)
  checkHeaders(sheet.header)
  const guessed = guessColumns(sheet.header, attributes)
  return {
    totalRows: sheet.totalRows < 0 ? null : sheet.totalRows,
    columns: sheet.header.map((header, i) => ({ header, target: guessed[i] ?? 'ignore', samples: sheet.rows.map((r) => r[i] ?? '') })),
  }
}
