import { Zip, ZipDeflate, strToU8 } from 'fflate'

/**
 * A streaming writer for one-sheet .xlsx files: rows go in page by page and zipped bytes come out,
 * so memory stays flat whatever the row count. Strings are written inline (`t="inlineStr"`), so no
 * shared-string table keyed by cell text exists (write-excel-file keys one with a plain object and
 * writes a corrupt cell for text such as "constructor" or "__proto__").
 */
export type XlsxCell = string | number | boolean | null | undefined

// XML 1.0 has no place for most control characters; lone surrogates are replaced when encoded.
const INVALID_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g
const escapeXml = (text: string) =>
  text.replace(INVALID_XML, '\ufffd').replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'))

function columnName(index: number): string {
  let name = ''
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name
  return name
}

function cellXml(value: XlsxCell, ref: string): string {
  if (value === null || value === undefined || value === '') return ''
  if (typeof value === 'number') return Number.isFinite(value) ? `<c r="${ref}"><v>${value}</v></c>` : ''
  if (typeof value === 'boolean') return `<c r="${ref}" t="b"><v>${value ? 1 : 0}</v></c>`
  const text = escapeXml(value.length > 32767 ? value.slice(0, 32767) : value) // Excel's cell limit
  const space = /^\s|\s$/.test(text) ? ' xml:space="preserve"' : ''
  return `<c r="${ref}" t="inlineStr"><is><t${space}>${text}</t></is></c>`
}

const FILES: Record<string, string> = {
  '[Content_Types].xml':
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>' +
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
  '_rels/.rels':
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
  'xl/_rels/workbook.xml.rels':
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
}

const workbook = (sheetName: string) =>
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ' +
  'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>' +
  `<sheet name="${escapeXml(sheetName.slice(0, 31))}" sheetId="1" r:id="rId1"/></sheets></workbook>`

const SHEET_HEAD =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' +
  '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetData>'
const SHEET_TAIL = '</sheetData></worksheet>'

/** Yields the .xlsx bytes while consuming `pages` (each an array of rows; the first row is the header). */
export async function* writeXlsx(pages: AsyncIterable<XlsxCell[][]>, sheetName = 'Sheet1'): AsyncGenerator<Uint8Array> {
  const out: Uint8Array[] = []
  let failure: Error | null = null
  const zip = new Zip((err, chunk) => {
    if (err) failure = err
    else out.push(chunk)
  })
  const add = (name: string, text: string) => {
    const file = new ZipDeflate(name, { level: 6 })
    zip.add(file)
    file.push(strToU8(text), true)
  }
  const drain = function* () {
    if (failure) throw failure
    while (out.length) yield out.shift()!
  }
  for (const [name, text] of Object.entries(FILES)) add(name, text)
  add('xl/workbook.xml', workbook(sheetName))
  const sheet = new ZipDeflate('xl/worksheets/sheet1.xml', { level: 6 })
  zip.add(sheet)
  sheet.push(strToU8(SHEET_HEAD))
  let rowNumber = 0
  for await (const rows of pages) {
    let xml = ''
    for (const row of rows) {
      rowNumber++
      xml += `<row r="${rowNumber}">${row.map((value, i) => cellXml(value, columnName(i) + rowNumber)).join('')}</row>`
    }
    sheet.push(strToU8(xml))
    yield* drain()
  }
  sheet.push(strToU8(SHEET_TAIL), true)
  zip.end()
  yield* drain()
}
