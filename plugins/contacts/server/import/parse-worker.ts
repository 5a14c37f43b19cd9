/**
 * Runs in a worker thread: parses an untrusted CSV or XLSX, maps columns, normalises every row and
 * hands the rows to the main thread in chunks, one chunk per `next` request (so a 200k-row file
 * never sits in memory twice). The main thread bounds its time and heap; this side bounds rows and
 * the unpacked size of a spreadsheet before unpacking it.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { Readable } from 'node:stream'
import { parse } from 'csv-parse'
import { unzipSync } from 'fflate'
import type { CountryCode } from 'libphonenumber-js'
import { decodeText, sniffDelimiter } from './sniff.ts'
import { MappingError, resolveColumns, type Target } from './mapping.ts'
import { XlsxError, XlsxReader, type Cell, type SheetRow } from './xlsx-stream.ts'
import { cellText, prepareRow, type ParsedRow, type PrepareContext } from './prepare.ts'
import type { WorkerInput, WorkerMessage } from './protocol.ts'
import type { AttributeDef } from '../values.ts'

const input = workerData as WorkerInput
const port = parentPort!

class Fatal extends Error {
  constructor(readonly code: string, message: string) {
    super(message)
  }
}

// One message out per `next` in: the main thread paces the worker.
let credits = 0
let wake: (() => void) | null = null
port.on('message', (message) => {
  if (message === 'next') {
    credits++
    wake?.()
  }
})
async function send(message: WorkerMessage): Promise<void> {
  while (credits === 0) await new Promise<void>((resolve) => (wake = resolve))
  wake = null
  credits--
  port.postMessage(message)
}

const attributes = new Map<string, AttributeDef>(input.attributes.map((a) => [a.key, a]))
const isEmpty = (cells: readonly unknown[]) => cells.every((c) => cellText(c) === '')

function tooMany(): never {
  throw new Fatal('too_many_rows', `The file has more than ${input.maxRows.toLocaleString('en')} rows; split it into smaller files`)
}

function columnsFor(header: readonly unknown[]): (Target | null)[] {
  return resolveColumns(header.map((h) => cellText(h)), input.mapping, attributes)
}

/** Rows to the main thread in chunks; `rows` yields [file row number, cells]. */
async function emit(rows: AsyncIterable<[number, readonly unknown[]]> | Iterable<[number, readonly unknown[]]>, ctx: PrepareContext) {
  let chunk: ParsedRow[] = []
  let lastRow = input.startAfterRow
  for await (const [row, cells] of rows) {
    lastRow = row
    if (row <= input.startAfterRow) continue
    const prepared = prepareRow(cells, row, ctx)
    if (prepared) chunk.push(prepared)
    if (chunk.length >= input.chunkSize) {
      await send({ type: 'rows', rows: chunk, lastRow, done: false })
      chunk = []
    }
  }
  await send({ type: 'rows', rows: chunk, lastRow, done: true })
}

function csvParser(text: string, delimiter: string) {
  const parser = parse({ delimiter, relax_column_count: true, relax_quotes: true, skip_empty_lines: false, max_record_size: 1 << 20 })
  // Fed in slices so the parser never copies the whole text at once.
  Readable.from((function* () {
    for (let i = 0; i < text.length; i += 1 << 16) yield text.slice(i, i + (1 << 16))
  })()).pipe(parser)
  return parser as AsyncIterable<string[]>
}

async function runCsv() {
  const text = decodeText(input.file)
  ;(input as { file: Uint8Array | null }).file = null
  const delimiter = sniffDelimiter(text)
  // Pass 1: the header and the row count (a file over the cap fails before anything is written).
  let columns: (Target | null)[] | null = null
  let total = 0
  try {
    for await (const record of csvParser(text, delimiter)) {
      if (!columns) columns = columnsFor(record)
      else if (!isEmpty(record) && ++total > input.maxRows) tooMany()
    }
  } catch (err) {
    if (err instanceof Fatal || err instanceof MappingError) throw err
    throw new Fatal('invalid_csv', `The CSV file cannot be read: ${(err as Error).message.slice(0, 200)}`)
  }
  if (!columns) throw new Fatal('empty_file', 'The file is empty')
  await send({ type: 'start', totalRows: total })
  const ctx: PrepareContext = { columns, attributes, region: input.region as CountryCode }
  // Pass 2: the rows. A record is numbered like a spreadsheet row (the header is row 1).
  async function* numbered() {
    let row = 0
    for await (const record of csvParser(text, delimiter)) {
      row++
      if (row > 1) yield [row, record] as [number, string[]]
    }
  }
  await emit(numbered(), ctx)
}

function checkZip(data: Uint8Array) {
  let unpacked = 0
  let entries = 0
  try {
    unzipSync(data, {
      filter(file) {
        entries++
        unpacked += file.originalSize
        return false // sizes only: nothing is inflated here
      },
    })
  } catch {
    throw new Fatal('invalid_xlsx', 'The file is not a readable .xlsx spreadsheet')
  }
  if (entries > 10_000 || unpacked > input.maxUnpackedBytes) throw tooLarge()
}

const tooLarge = () => new Fatal('file_too_large', `The spreadsheet unpacks to more than ${Math.round(input.maxUnpackedBytes / 1048576)} MB; save it as CSV or split it`)

/** The first worksheet, streamed (see xlsx-stream.ts); its errors become Fatal. */
function openXlsx(): XlsxReader {
  checkZip(input.file)
  try {
    return new XlsxReader(input.file, { maxUnpackedBytes: input.maxUnpackedBytes })
  } catch (err) {
    throw xlsxFatal(err)
  }
}

function xlsxFatal(err: unknown): Fatal {
  if (err instanceof XlsxError && err.code === 'file_too_large') return tooLarge()
  return new Fatal('invalid_xlsx', `The spreadsheet cannot be read: ${(err as Error).message.slice(0, 200)}`)
}

/** One pass over the sheet's non-empty rows; a damaged sheet found on the way is a Fatal. */
function* sheetRows(reader: XlsxReader): Generator<SheetRow> {
  try {
    yield* reader.rows()
  } catch (err) {
    throw xlsxFatal(err)
  }
}

/**
 * The header is row 1 of the sheet (empty when row 1 is), as when the sheet was read whole; rows are
 * numbered as the spreadsheet numbers them. Rows without any value are not read at all.
 */
const headerOf = (first: SheetRow | undefined) => (first?.[0] === 1 ? first[1] : [])

/** The header, the first non-empty rows as text (as wide as the header) and the row count. */
async function previewXlsx(limit: number) {
  const reader = openXlsx()
  let first: SheetRow | undefined
  const rows: Cell[][] = []
  let width = 0
  let total = 0
  for (const row of sheetRows(reader)) {
    first ??= row
    width = Math.max(width, row[1].length)
    if (row === first && row[0] === 1) continue
    if (isEmpty(row[1])) continue
    if (++total <= limit) rows.push(row[1])
  }
  if (!first) throw new Fatal('empty_file', 'The spreadsheet is empty')
  // As wide as the widest row, as read-excel-file padded every row of a sheet.
  const header = Array.from({ length: width }, (_, c) => cellText(headerOf(first)[c]))
  await send({ type: 'preview', header, rows: rows.map((cells) => header.map((_, c) => cellText(cells[c]))), totalRows: total })
}

async function runXlsx() {
  const reader = openXlsx()
  // Pass 1: the header and the row count (a file over the cap fails before anything is written).
  let columns: (Target | null)[] | null = null
  let total = 0
  for (const [row, cells] of sheetRows(reader)) {
    if (!columns) {
      columns = columnsFor(headerOf([row, cells]))
      if (row === 1) continue
    }
    if (!isEmpty(cells) && ++total > input.maxRows) tooMany()
  }
  if (!columns) throw new Fatal('empty_file', 'The spreadsheet is empty')
  await send({ type: 'start', totalRows: total })
  // Pass 2: the rows, read as the main thread asks for them.
  function* data() {
    for (const row of sheetRows(reader)) if (row[0] > 1) yield row
  }
  await emit(data(), { columns, attributes, region: input.region as CountryCode })
}

try {
  if (input.preview !== undefined) await previewXlsx(input.preview)
  else await (input.format === 'xlsx' ? runXlsx() : runCsv())
} catch (err) {
  const fatal = err instanceof Fatal || err instanceof MappingError
    ? { code: (err as Fatal).code, message: err.message }
    : { code: 'parse_failed', message: 'The file could not be parsed' }
  await send({ type: 'fatal', ...fatal })
}
