/**
 * A streaming reader for the first worksheet of an untrusted .xlsx: the zip's entries are found
 * through its central directory and inflated on demand, a slice at a time, and the sheet XML goes
 * through a SAX parser in pieces, so neither the sheet's XML nor all its rows are ever in memory at
 * once. `rows()` is a generator: it inflates and parses only as far as its consumer pulls, and it
 * can be run again for a second pass.
 *
 * Values are those read-excel-file gave (the import was built on it): strings trimmed (empty → null),
 * numbers, booleans, Dates for numbers in a date format (its rules, 1900 and 1904 date systems), null.
 * Names from the file (elements, attributes, text) never become object keys: Maps and arrays only.
 */
import { Inflate } from 'fflate'
import { SaxesParser, type SaxesTagPlain } from 'saxes'

export type Cell = string | number | boolean | Date | null
/** A row as [its row number in the sheet (1-based), its cells by column, gaps null]. */
export type SheetRow = [number, Cell[]]

export class XlsxError extends Error {
  constructor(readonly code: 'invalid_xlsx' | 'file_too_large', message: string) {
    super(message)
  }
}

export interface XlsxOptions {
  /** The most the parts read may inflate to, counted on the bytes actually inflated (a zip's declared sizes can lie). */
  maxUnpackedBytes: number
}

const invalid = (message: string) => new XlsxError('invalid_xlsx', message)

/** Compressed bytes pushed to the inflater per step, and inflated bytes parsed per step. */
const SLICE = 16 * 1024
const PIECE = 64 * 1024
/** Excel's own bounds: 16,384 columns (XFD), 1,048,576 rows. */
const MAX_COLUMN = 16_384
const MAX_ROW = 1_048_576

// ---------------------------------------------------------------------------------------------
// The zip: central directory, one entry's bytes inflated in slices.

interface Entry {
  name: string
  method: number
  flags: number
  compressedSize: number
  offset: number
}

const partKey = (name: string) => name.replace(/\\/g, '/').replace(/^\/+/, '').toLowerCase()

function readDirectory(data: Uint8Array): Map<string, Entry> {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const u16 = (at: number) => view.getUint16(at, true)
  const u32 = (at: number) => view.getUint32(at, true)
  const u64 = (at: number) => u32(at) + u32(at + 4) * 2 ** 32
  let eocd = -1
  for (let i = data.length - 22; i >= 0 && i >= data.length - 22 - 0xffff; i--) {
    if (u32(i) === 0x06054b50) {
      eocd = i
      break
    }
  }
  if (eocd < 0) throw invalid('it is not a zip archive (no central directory)')
  let count = u16(eocd + 10)
  let at = u32(eocd + 16)
  if ((count === 0xffff || at === 0xffffffff) && eocd >= 20 && u32(eocd - 20) === 0x07064b50) {
    const zip64 = u64(eocd - 12)
    if (zip64 + 56 > data.length || u32(zip64) !== 0x06064b50) throw invalid('its zip64 directory is damaged')
    count = u64(zip64 + 32)
    at = u64(zip64 + 48)
  }
  const names = new TextDecoder('utf-8')
  const entries = new Map<string, Entry>()
  for (let i = 0; i < count; i++) {
    if (at + 46 > data.length || u32(at) !== 0x02014b50) throw invalid('its zip directory is damaged')
    const nameLength = u16(at + 28)
    const extraLength = u16(at + 30)
    const end = at + 46 + nameLength + extraLength + u16(at + 32)
    if (end > data.length) throw invalid('its zip directory is damaged')
    const name = names.decode(data.subarray(at + 46, at + 46 + nameLength))
    let compressedSize = u32(at + 20)
    let offset = u32(at + 42)
    if (compressedSize === 0xffffffff || offset === 0xffffffff) {
      // Zip64: the 64-bit values are in extra field 1, in this order, each only when its 32-bit field is full.
      for (let e = at + 46 + nameLength; e + 4 <= at + 46 + nameLength + extraLength;) {
        const id = u16(e)
        const size = u16(e + 2)
        if (id === 1) {
          let f = e + 4
          if (u32(at + 24) === 0xffffffff) f += 8
          if (compressedSize === 0xffffffff && f + 8 <= e + 4 + size) (compressedSize = u64(f)), (f += 8)
          if (offset === 0xffffffff && f + 8 <= e + 4 + size) offset = u64(f)
          break
        }
        e += 4 + size
      }
    }
    const key = partKey(name)
    if (!entries.has(key)) entries.set(key, { name, method: u16(at + 10), flags: u16(at + 8), compressedSize, offset })
    at = end
  }
  return entries
}

/** Counts inflated bytes against the cap. */
class Budget {
  used = 0
  constructor(readonly max: number) {}
  add(bytes: number) {
    this.used += bytes
    if (this.used > this.max) throw new XlsxError('file_too_large', `its parts unpack to more than ${this.max} bytes`)
  }
}

/** An entry's inflated bytes, in pieces of at most PIECE bytes (more only from one slice of a highly compressed entry, cut up here). */
function* inflateEntry(data: Uint8Array, entry: Entry, budget: Budget): Generator<Uint8Array> {
  const at = entry.offset
  if (at + 30 > data.length || new DataView(data.buffer, data.byteOffset + at, 30).getUint32(0, true) !== 0x04034b50) {
    throw invalid(`${entry.name} is damaged (no local header)`)
  }
  if (entry.flags & 1) throw invalid(`${entry.name} is encrypted`)
  const header = new DataView(data.buffer, data.byteOffset + at, 30)
  const start = at + 30 + header.getUint16(26, true) + header.getUint16(28, true)
  if (start + entry.compressedSize > data.length) throw invalid(`${entry.name} is cut off`)
  const raw = data.subarray(start, start + entry.compressedSize)
  if (entry.method === 0) {
    for (let i = 0; i < raw.length; i += PIECE) {
      const piece = raw.subarray(i, i + PIECE)
      budget.add(piece.length)
      yield piece
    }
    return
  }
  if (entry.method !== 8) throw invalid(`${entry.name} uses compression method ${entry.method}, which is not supported`)
  const out: Uint8Array[] = []
  const inflater = new Inflate((chunk) => {
    if (chunk.length) out.push(chunk)
  })
  let i = 0
  do {
    const end = Math.min(raw.length, i + SLICE)
    try {
      inflater.push(raw.subarray(i, end), end === raw.length)
    } catch (err) {
      throw invalid(`${entry.name} is damaged (${(err as Error).message})`)
    }
    i = end
    for (let c = 0; c < out.length; c++) {
      const chunk = out[c]
      out[c] = EMPTY
      for (let j = 0; j < chunk.length; j += PIECE) {
        const piece = chunk.subarray(j, j + PIECE)
        budget.add(piece.length)
        yield piece
      }
    }
    out.length = 0
  } while (i < raw.length)
}
const EMPTY = new Uint8Array(0)

/** Bytes → text, a piece at a time (UTF-8; UTF-16 when the part starts with its byte order mark). */
function* decode(pieces: Iterable<Uint8Array>): Generator<string> {
  let decoder: TextDecoder | null = null
  for (const piece of pieces) {
    if (!decoder) {
      const encoding = piece[0] === 0xff && piece[1] === 0xfe ? 'utf-16le' : piece[0] === 0xfe && piece[1] === 0xff ? 'utf-16be' : 'utf-8'
      decoder = new TextDecoder(encoding)
    }
    const text = decoder.decode(piece, { stream: true })
    if (text) yield text
  }
  const rest = decoder?.decode() ?? ''
  if (rest) yield rest
}

// ---------------------------------------------------------------------------------------------
// XML.

/** An element's name without its namespace prefix (`x:row` → `row`). */
function local(name: string): string {
  const colon = name.indexOf(':')
  return colon < 0 ? name : name.slice(colon + 1)
}

/** An attribute by local name (`r:id` → `id`); the tag's attributes are a null-prototype record. */
function attribute(tag: SaxesTagPlain, name: string): string | undefined {
  const plain = tag.attributes[name]
  if (plain !== undefined) return plain
  for (const key in tag.attributes) if (local(key) === name) return tag.attributes[key]
  return undefined
}

interface Handlers {
  open(name: string, tag: SaxesTagPlain): void
  close?(name: string): void
  text?(text: string): void
}

function saxParser(part: string, handlers: Handlers): SaxesParser {
  const parser = new SaxesParser({ fileName: part })
  parser.on('doctype', () => {
    throw invalid(`${part} declares a DOCTYPE`)
  })
  parser.on('opentag', (tag) => handlers.open(local(tag.name), tag as SaxesTagPlain))
  if (handlers.close) {
    const close = handlers.close
    parser.on('closetag', (tag) => close(local(tag.name)))
  }
  if (handlers.text) {
    parser.on('text', handlers.text)
    parser.on('cdata', handlers.text)
  }
  return parser
}

const xmlError = (part: string, err: unknown) => (err instanceof XlsxError ? err : invalid(`${part} is not valid XML (${(err as Error).message.slice(0, 120)})`))

/** Writes a whole (small) part through a SAX parser. */
function parsePart(texts: Iterable<string>, part: string, handlers: Handlers) {
  const parser = saxParser(part, handlers)
  try {
    for (const text of texts) parser.write(text)
    parser.close()
  } catch (err) {
    throw xmlError(part, err)
  }
}

/** `_xHHHH_` escapes of ST_Xstring (characters XML 1.0 cannot hold). */
function unescapeXlsx(text: string): string {
  return text.indexOf('_x') < 0 ? text : text.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
}

// ---------------------------------------------------------------------------------------------
// Date formats: read-excel-file's rules (built-in ids, and a custom format whose tokens are all date tokens).

const BUILT_IN_DATE_FORMATS = new Set([
  14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47, // locale-independent
  27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 50, 51, 52, 53, 54, 55, 56, 57, 58, // Chinese, Japanese, Korean
  71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, // Thai
])
const DATE_TOKENS = new Set(['s', 'ss', 'm', 'mm', 'h', 'hh', 'am', 'pm', 'a', 'p', 'd', 'dd', 'ddd', 'dddd', 'aaa', 'aaaa', 'aaaaa',
  'mmm', 'mmmm', 'mmmmm', 'y', 'yy', 'yyyy', 'e', 'ee', 'eeee'])

export function isDateFormatCode(code: string): boolean {
  const template = code.toLowerCase().replace(/;@$/, '').replace(/\\./g, ' ')
  return template.split(';').some((part) => {
    const tokens = part
      .replace(/"[^"]*"/g, ' ')
      .replace(/(\[?[smhd]{1,2}\]?)[.,]00?0?/g, '$1')
      .replace(/\[([smhd]{1,2})\]/g, '$1')
      .replace(/\[[^\]]*\]/g, '')
      .split(/[^a-z0#?%]+/)
      .filter(Boolean)
    return tokens.length > 0 && tokens.every((token) => DATE_TOKENS.has(token))
  })
}

/** Days of an Excel serial date → a Date (UTC), as read-excel-file computes it. */
export function excelDate(serial: number, date1904: boolean): Date {
  const days = date1904 ? serial + 1462 : serial
  return new Date(Math.floor((days - 25569) * 86_400_000))
}

// ---------------------------------------------------------------------------------------------
// The workbook.

const RELATIONSHIP = /\/relationships\/(worksheet|sharedStrings|styles|officeDocument)$/

interface Relationship {
  type: string
  target: string
}

/** A part's path from a relationship target (relative to the source part's folder, or absolute). */
function resolvePath(folder: string, target: string): string {
  const path = target.startsWith('/') ? target : folder + target
  const out: string[] = []
  for (const segment of path.replace(/\\/g, '/').split('/')) {
    if (segment === '..') out.pop()
    else if (segment && segment !== '.') out.push(segment)
  }
  return out.join('/')
}

export class XlsxReader {
  private readonly entries: Map<string, Entry>
  private readonly budget: Budget
  /** Bytes the workbook's small parts inflated to (each pass over the sheet counts from here). */
  private readonly metaBytes: number
  private date1904 = false
  /** Per cell format (`<c s>`): whether its numbers are dates. */
  private dateStyles: boolean[] = []
  /** Shared strings, trimmed; null where empty. */
  private sharedStrings: (string | null)[] = []
  readonly sheetPath: string

  constructor(private readonly data: Uint8Array, options: XlsxOptions) {
    this.budget = new Budget(options.maxUnpackedBytes)
    this.entries = readDirectory(data)
    const rootRels = this.relationships('_rels/.rels', '')
    const workbookPath = [...rootRels.values()].find((r) => r.type === 'officeDocument')?.target ?? 'xl/workbook.xml'
    const folder = workbookPath.includes('/') ? workbookPath.slice(0, workbookPath.lastIndexOf('/') + 1) : ''
    const rels = this.relationships(`${folder}_rels/${workbookPath.slice(folder.length)}.rels`, folder)
    const sheetIds = this.workbook(workbookPath)
    let sheet = sheetIds.map((id) => rels.get(id)).find((r) => r?.type === 'worksheet' && this.entry(r.target))?.target
    if (!sheet && this.entry('xl/worksheets/sheet1.xml')) sheet = 'xl/worksheets/sheet1.xml'
    if (!sheet) throw invalid('it has no worksheet')
    this.sheetPath = sheet
    const relOf = (type: string, fallback: string) => [...rels.values()].find((r) => r.type === type && this.entry(r.target))?.target ?? fallback
    this.styles(relOf('styles', `${folder}styles.xml`))
    this.strings(relOf('sharedStrings', `${folder}sharedStrings.xml`))
    this.metaBytes = this.budget.used
  }

  private entry(path: string): Entry | undefined {
    const key = partKey(path)
    const found = this.entries.get(key)
    if (found) return found
    try {
      return this.entries.get(partKey(decodeURIComponent(path)))
    } catch {
      return undefined
    }
  }

  private texts(path: string): Generator<string> | null {
    const entry = this.entry(path)
    return entry ? decode(inflateEntry(this.data, entry, this.budget)) : null
  }

  private relationships(path: string, folder: string): Map<string, Relationship> {
    const rels = new Map<string, Relationship>()
    const texts = this.texts(path)
    if (!texts) return rels
    parsePart(texts, path, {
      open(name, tag) {
        if (name !== 'Relationship') return
        const id = attribute(tag, 'Id')
        const type = RELATIONSHIP.exec(attribute(tag, 'Type') ?? '')?.[1]
        const target = attribute(tag, 'Target')
        if (!id || !type || !target || attribute(tag, 'TargetMode') === 'External' || rels.has(id)) return
        rels.set(id, { type, target: resolvePath(folder, target) })
      },
    })
    return rels
  }

  /** The date system, and the relationship ids of the sheets in workbook order. */
  private workbook(path: string): string[] {
    const ids: string[] = []
    const texts = this.texts(path)
    if (!texts) return ids
    parsePart(texts, path, {
      open: (name, tag) => {
        if (name === 'workbookPr') {
          const value = attribute(tag, 'date1904')
          this.date1904 = value === '1' || value === 'true'
        } else if (name === 'sheet') {
          const id = attribute(tag, 'id')
          if (id) ids.push(id)
        }
      },
    })
    return ids
  }

  /** Which cell formats are dates: cellXfs' numFmtId (a custom format's code from numFmts), as read-excel-file decides. */
  private styles(path: string) {
    const texts = this.texts(path)
    if (!texts) return
    const codes = new Map<number, string>()
    const base: (number | undefined)[] = []
    const xfs: { format: number | undefined; parent: number }[] = []
    let section: 'numFmts' | 'cellStyleXfs' | 'cellXfs' | null = null
    const id = (value: string | undefined) => (value !== undefined && /^\d+$/.test(value.trim()) ? Number(value) : undefined)
    parsePart(texts, path, {
      open(name, tag) {
        if (name === 'numFmts' || name === 'cellStyleXfs' || name === 'cellXfs') section = name
        else if (name === 'numFmt' && section === 'numFmts') {
          const format = id(attribute(tag, 'numFmtId'))
          const code = attribute(tag, 'formatCode')
          if (format !== undefined && format >= 100 && code !== undefined) codes.set(format, code)
        } else if (name === 'xf' && section === 'cellStyleXfs') base.push(id(attribute(tag, 'numFmtId')))
        else if (name === 'xf' && section === 'cellXfs') xfs.push({ format: id(attribute(tag, 'numFmtId')), parent: id(attribute(tag, 'xfId')) ?? 0 })
      },
      close(name) {
        if (name === section) section = null
      },
    })
    const cache = new Map<number, boolean>()
    const isDate = (format: number, code: string | undefined) => {
      if (BUILT_IN_DATE_FORMATS.has(format)) return true
      if (code === undefined) return false
      if (!cache.has(format)) cache.set(format, isDateFormatCode(code))
      return cache.get(format)!
    }
    this.dateStyles = xfs.map((xf) => {
      if (xf.format !== undefined) return isDate(xf.format, codes.get(xf.format))
      // A format without its own number format takes its parent cell style's (by id only, as read-excel-file does).
      const inherited = xf.parent > 0 ? base[xf.parent] : undefined
      return inherited !== undefined && isDate(inherited, undefined)
    })
  }

  private strings(path: string) {
    const texts = this.texts(path)
    if (!texts) return
    const strings: (string | null)[] = []
    let size = 0
    let inItem = false
    let inText = false
    let phonetic = 0
    let text = ''
    const max = this.budget.max
    parsePart(texts, path, {
      open(name) {
        if (name === 'si') (inItem = true), (text = '')
        else if (!inItem) return
        else if (name === 't') inText = true
        else if (name === 'rPh') phonetic++
      },
      close(name) {
        if (name === 'si' && inItem) {
          const value = unescapeXlsx(text).trim()
          strings.push(value || null)
          // The table is held for the whole import: its own cap, whatever the XML's size.
          size += value.length * 2 + 16
          if (size > max) throw new XlsxError('file_too_large', `its shared strings take more than ${max} bytes`)
          inItem = inText = false
          phonetic = 0
        } else if (name === 't') inText = false
        else if (name === 'rPh' && phonetic > 0) phonetic--
      },
      text(chunk) {
        if (inText && phonetic === 0) text += chunk
      },
    })
    this.sharedStrings = strings
  }

  // -------------------------------------------------------------------------------------------
  // The sheet.

  /**
   * The sheet's rows that hold at least one value, in order, as [row number, cells]. Lazy: the sheet
   * is inflated and parsed only as far as the consumer pulls. Each call is a new pass over the sheet.
   */
  *rows(): Generator<SheetRow> {
    const entry = this.entry(this.sheetPath)
    if (!entry) throw invalid(`${this.sheetPath} is missing`)
    // Each pass counts what it inflates on top of the small parts read once.
    const budget = new Budget(this.budget.max)
    budget.add(this.metaBytes)
    const part = this.sheetPath
    const { sharedStrings, dateStyles, date1904 } = this
    // Completed rows, sparse (a cell far to the right costs nothing until its row is handed out).
    const ready: [number, number[], Cell[]][] = []
    let inSheetData = false
    let done = false
    let previousRow = 0
    let inRow = false
    let rowNumber = 0
    let columns: number[] = []
    let values: Cell[] = []
    let lastColumn = 0
    let inCell = false
    let cellColumn = 0
    let cellType = ''
    let cellStyle: string | undefined
    let cellRef = ''
    let value: string | undefined
    let inline: string | undefined
    let inValue = false
    let inInline = false
    let inText = false
    let phonetic = 0

    const where = () => cellRef || `row ${rowNumber || previousRow + 1}`
    const cellError = (message: string) => invalid(`cell ${where()}: ${message}`)

    const cellValue = (): Cell => {
      switch (cellType || 'n') {
        case 'n': {
          if (!value) return null
          const number = Number(value)
          if (Number.isNaN(number)) throw cellError(`"${value.slice(0, 20)}" is not a number`)
          const style = cellStyle === undefined ? 0 : Number(cellStyle)
          if (cellStyle !== undefined && dateStyles[style]) return excelDate(number, date1904)
          return number
        }
        case 's': {
          if (!value) return null
          const index = Number(value)
          if (!Number.isInteger(index) || index < 0 || index >= sharedStrings.length) throw cellError(`shared string ${value.slice(0, 20)} does not exist`)
          return sharedStrings[index]
        }
        case 'str':
          return value ? unescapeXlsx(value).trim() || null : null
        case 'inlineStr':
          return inline === undefined ? null : unescapeXlsx(inline).trim() || null
        case 'b':
          if (!value) return null
          if (value === '1' || value === 'true') return true
          if (value === '0' || value === 'false') return false
          throw cellError(`"${value.slice(0, 20)}" is not a boolean`)
        case 'e':
          return null // a formula's error (#N/A, #DIV/0!): an empty cell
        case 'd': {
          if (!value) return null
          const date = new Date(value)
          if (Number.isNaN(date.getTime())) throw cellError(`"${value.slice(0, 30)}" is not a date`)
          return date
        }
        default:
          throw cellError(`unknown cell type "${cellType.slice(0, 20)}"`)
      }
    }

    const parser = saxParser(part, {
      open(name, tag) {
        if (!inSheetData) {
          if (name === 'sheetData' && !done) inSheetData = true
          return
        }
        if (inCell) {
          if (name === 'v') (inValue = true), (value = '')
          else if (name === 'is') (inInline = true), (inline = '')
          else if (inInline && name === 't') inText = true
          else if (inInline && name === 'rPh') phonetic++
        } else if (name === 'c') {
          if (!inRow) throw invalid(`${part}: a cell outside a row`)
          const ref = tag.attributes.r
          let column = lastColumn + 1
          cellRef = ''
          if (ref) {
            // Letters then digits (`C5`; the digits may be left out): the column, and the row if the row did not say.
            let i = 0
            column = 0
            for (let code = ref.charCodeAt(0); i < 3 && ((code >= 65 && code <= 90) || (code >= 97 && code <= 122)); code = ref.charCodeAt(++i)) {
              column = column * 26 + (code & 0x1f)
            }
            let digits = 0
            for (let j = i; j < ref.length; j++) {
              const code = ref.charCodeAt(j)
              if (code < 48 || code > 57 || j - i > 7) throw invalid(`${part}: "${ref.slice(0, 20)}" is not a cell reference`)
              digits = digits * 10 + code - 48
            }
            if (i === 0) throw invalid(`${part}: "${ref.slice(0, 20)}" is not a cell reference`)
            if (!rowNumber) rowNumber = digits
            cellRef = ref
          }
          if (column > MAX_COLUMN) throw invalid(`${part}: cell ${ref ?? `#${column}`} is beyond column XFD`)
          if (column <= lastColumn) throw invalid(`${part}: cell ${ref} is out of order in row ${rowNumber || previousRow + 1}`)
          lastColumn = cellColumn = column
          cellType = tag.attributes.t ?? ''
          cellStyle = tag.attributes.s
          value = inline = undefined
          inCell = true
        } else if (name === 'row') {
          if (inRow) throw invalid(`${part}: a row inside a row`)
          const r = tag.attributes.r
          rowNumber = 0
          if (r) {
            if (!/^\d+$/.test(r)) throw invalid(`${part}: "${r.slice(0, 20)}" is not a row number`)
            rowNumber = Number(r)
          }
          inRow = true
          columns = []
          values = []
          lastColumn = 0
        }
      },
      close(name) {
        if (!inSheetData) return
        if (inCell) {
          if (name === 'c') {
            inCell = inValue = inInline = inText = false
            phonetic = 0
            const cell = cellValue()
            if (cell !== null) columns.push(cellColumn), values.push(cell)
            cellRef = ''
          } else if (name === 'v') inValue = false
          else if (name === 'is') inInline = false
          else if (name === 't') inText = false
          else if (name === 'rPh' && phonetic > 0) phonetic--
        } else if (name === 'row') {
          const number = rowNumber || previousRow + 1
          if (number <= previousRow) throw invalid(`${part}: row ${number} comes after row ${previousRow}`)
          if (number > MAX_ROW) throw invalid(`${part}: row ${number} is beyond row ${MAX_ROW}`)
          previousRow = number
          if (values.length) ready.push([number, columns, values])
          inRow = false
          rowNumber = 0
        } else if (name === 'sheetData') {
          inSheetData = false
          done = true
        }
      },
      text(chunk) {
        if (inValue) value += chunk
        else if (inText && phonetic === 0) inline += chunk
      },
    })

    for (const text of decode(inflateEntry(this.data, entry, budget))) {
      try {
        parser.write(text)
      } catch (err) {
        throw xmlError(part, err)
      }
      for (let i = 0; i < ready.length; i++) {
        const [number, cols, vals] = ready[i]
        const cells: Cell[] = new Array<Cell>(cols[cols.length - 1]).fill(null)
        for (let c = 0; c < cols.length; c++) cells[cols[c] - 1] = vals[c]
        yield [number, cells]
      }
      ready.length = 0
      if (done) return // nothing after </sheetData> is a row
    }
    try {
      parser.close()
    } catch (err) {
      throw xmlError(part, err)
    }
  }
}
