// The streaming .xlsx reader the import's parse worker uses (server/import/xlsx-stream.ts).
import t from 'tap'
import { strToU8, zipSync, type Zippable } from 'fflate'
import writeXlsxFile from 'write-excel-file/node'
import { readSheet } from 'read-excel-file/node'
import { XlsxError, XlsxReader, isDateFormatCode, type Cell, type SheetRow } from '../server/import/xlsx-stream.ts'
import { parseInWorker, previewXlsxInWorker } from '../server/import/parse.ts'
import { writeXlsx, type XlsxCell } from '../server/xlsx-writer.ts'

const MB = 1024 * 1024
const read = (file: Uint8Array, maxUnpackedBytes = 50 * MB): SheetRow[] => [...new XlsxReader(file, { maxUnpackedBytes }).rows()]
const fails = (file: Uint8Array, code: string, pattern: RegExp, maxUnpackedBytes = 50 * MB) => {
  try {
    read(file, maxUnpackedBytes)
  } catch (err) {
    return err instanceof XlsxError && err.code === code && pattern.test(err.message) ? true : (err as Error).message
  }
  return 'no error'
}

const NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'
const rels = (items: [id: string, type: string, target: string][]) =>
  `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${items
    .map(([id, type, target]) => `<Relationship Id="${id}" Type="${REL}/${type}" Target="${target}"/>`).join('')}</Relationships>`
const sheetXml = (rows: string) => `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet ${NS}><dimension ref="A1:C3"/><sheetData>${rows}</sheetData><mergeCells count="0"/></worksheet>`
const sharedXml = (items: string[]) => `<sst ${NS} count="${items.length}" uniqueCount="${items.length}">${items.map((i) => `<si>${i}</si>`).join('')}</sst>`
const stylesXml = (numFmts: [number, string][], xfs: number[]) =>
  `<styleSheet ${NS}><numFmts count="${numFmts.length}">${numFmts.map(([id, code]) => `<numFmt numFmtId="${id}" formatCode="${code.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"/>`).join('')}</numFmts>` +
  `<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs><cellXfs count="${xfs.length}">${xfs.map((id) => `<xf numFmtId="${id}" xfId="0" applyNumberFormat="1"/>`).join('')}</cellXfs></styleSheet>`

/** A workbook by hand: one sheet (or the given parts), sharedStrings/styles when given. */
function book(sheet: string, parts: { shared?: string; styles?: string; workbook?: string; rels?: string; sheetPath?: string; extra?: Zippable; level?: 0 | 6 } = {}): Uint8Array {
  const sheetPath = parts.sheetPath ?? 'worksheets/sheet1.xml'
  const files: Zippable = {
    '[Content_Types].xml': strToU8('<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'),
    '_rels/.rels': strToU8(rels([['rId1', 'officeDocument', 'xl/workbook.xml']])),
    'xl/workbook.xml': strToU8(parts.workbook ?? `<workbook ${NS}><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>`),
    'xl/_rels/workbook.xml.rels': strToU8(parts.rels ?? rels([['rId1', 'worksheet', sheetPath], ['rId2', 'sharedStrings', 'sharedStrings.xml'], ['rId3', 'styles', 'styles.xml']])),
    [`xl/${sheetPath}`]: strToU8(sheet),
    ...(parts.shared === undefined ? {} : { 'xl/sharedStrings.xml': strToU8(parts.shared) }),
    ...(parts.styles === undefined ? {} : { 'xl/styles.xml': strToU8(parts.styles) }),
    ...parts.extra,
  }
  return zipSync(files, { level: parts.level ?? 6 })
}

/** Cells as the reader gives them, dates as ISO text (tap's same() would not compare Dates by value in nested arrays reliably). */
const plain = (rows: SheetRow[]) => rows.map(([n, cells]) => [n, cells.map((c) => (c instanceof Date ? c.toISOString() : c))])

t.test('strings: shared, inline, rich text runs, phonetic runs left out, whitespace, _xHHHH_ escapes', async (t) => {
  const shared = sharedXml([
    '<t>plain</t>',
    '<r><rPr><b/></rPr><t>Rich </t></r><r><t xml:space="preserve">text </t></r><r><t>runs</t></r><rPh sb="0" eb="1"><t>フリガナ</t></rPh>',
    '<t xml:space="preserve">  padded  </t>',
    '<t>   </t>',
    '<t>A&amp;B &lt;c&gt; _x0041_</t>',
    '<t><![CDATA[<cdata>]]></t>',
  ])
  const rows = read(book(sheetXml(
    '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>' +
    '<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" t="s"><v>4</v></c><c r="C2" t="s"><v>5</v></c></row>' +
    '<row r="3"><c r="A3" t="inlineStr"><is><t>inline</t></is></c><c r="B3" t="inlineStr"><is><r><t>in</t></r><r><t>line runs</t></r></is></c>' +
    '<c r="C3" t="str"><f>A3&amp;"!"</f><v>formula result</v></c><c r="D3" t="inlineStr"><is><t> </t></is></c></row>',
  ), { shared }))
  t.same(rows, [
    [1, ['plain', 'Rich text runs', 'padded']],
    [2, [null, 'A&B <c> A', '<cdata>']],
    [3, ['inline', 'inline runs', 'formula result']],
  ], 'strings trimmed (empty → null), runs joined, the formula’s text not taken for a value')
})

t.test('numbers, booleans, errors, ISO dates', async (t) => {
  const rows = read(book(sheetXml(
    '<row r="1"><c r="A1"><v>42</v></c><c r="B1" t="n"><v>-1.5E3</v></c><c r="C1" t="b"><v>1</v></c><c r="D1" t="b"><v>0</v></c>' +
    '<c r="E1" t="e"><v>#DIV/0!</v></c><c r="F1" t="d"><v>2024-03-05T00:00:00Z</v></c><c r="G1"/><c r="H1"><v></v></c><c r="I1" t="s"/></row>',
  )))
  t.same(plain(rows), [[1, [42, -1500, true, false, null, '2024-03-05T00:00:00.000Z']]], 'an error cell and cells without a value are empty')
})

t.test('dates: built-in and custom formats, the 1904 system, number formats that are not dates', async (t) => {
  const styles = stylesXml([[164, 'dd/mm/yyyy'], [165, '[$-409]mmmm\\ yyyy;@'], [166, '0.00'], [167, '#,##0 "days"'], [168, 'yyyy-mm-dd hh:mm:ss']], [0, 14, 164, 165, 166, 167, 168, 22, 2])
  const cells = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((s, i) => `<c r="${String.fromCharCode(65 + i)}1" s="${s}"><v>45292.75</v></c>`).join('')
  const expected = [45292.75, '2024-01-01T18:00:00.000Z', '2024-01-01T18:00:00.000Z', '2024-01-01T18:00:00.000Z', 45292.75, 45292.75, '2024-01-01T18:00:00.000Z', '2024-01-01T18:00:00.000Z', 45292.75]
  t.same(plain(read(book(sheetXml(`<row r="1">${cells}</row>`), { styles }))), [[1, expected]])
  const date1904 = `<workbook ${NS}><workbookPr date1904="1"/><sheets><sheet name="Mac" sheetId="1" r:id="rId1"/></sheets></workbook>`
  t.same(plain(read(book(sheetXml('<row r="1"><c r="A1" s="1"><v>43830</v></c><c r="B1"><v>43830</v></c></row>'), { styles, workbook: date1904 }))),
    [[1, ['2024-01-01T00:00:00.000Z', 43830]]], '1904 system: serial 43830 is 2024-01-01')
  t.ok(isDateFormatCode('d mmmm yyyy "г."') && isDateFormatCode('[h]:mm:ss') && isDateFormatCode('mm:ss.0'))
  t.notOk(isDateFormatCode('0.00%') || isDateFormatCode('General') || isDateFormatCode('"Date"') || isDateFormatCode('[Red]#,##0'))
})

t.test('gaps: cells and rows keep their positions; missing references follow the previous one', async (t) => {
  const rows = read(book(sheetXml(
    '<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c><c r="C1"><v>3</v></c></row>' +
    '<row r="2"><c r="A2" t="inlineStr"><is><t> </t></is></c></row>' + // no value: not a row at all
    '<row r="5"><c r="B5"><v>5</v></c></row>' +
    '<row><c><v>6</v></c><c><v>7</v></c><c r="E6"><v>8</v></c><c><v>9</v></c></row>' + // row 6, columns A, B, E, F
    '<row><c r="C9"><v>9</v></c></row>' + // no r on the row: its cells tell
    '<row r="12" spans="1:2"/>' +
    '<row><c r="A13"><v>13</v></c></row>',
  )))
  t.same(rows, [
    [1, ['a', null, 3]],
    [5, [null, 5]],
    [6, [6, 7, null, null, 8, 9]],
    [9, [null, null, 9]],
    [13, [13]],
  ])
})

t.test('the first worksheet in workbook order, wherever it is; prefixed elements; stored entries', async (t) => {
  const workbook = `<workbook ${NS}><sheets><sheet name="Chart" sheetId="3" r:id="rId9"/><sheet name="Kontak" sheetId="2" r:id="rId7"/><sheet name="Other" sheetId="1" r:id="rId1"/></sheets></workbook>`
  const relsXml = rels([['rId1', 'worksheet', 'worksheets/sheet1.xml'], ['rId7', 'worksheet', '/xl/worksheets/../data/kontak.xml'], ['rId9', 'chartsheet', 'chartsheets/sheet1.xml']])
  const file = book(sheetXml('<row r="1"><c r="A1"><v>1</v></c></row>'), {
    workbook, rels: relsXml,
    extra: { 'xl/data/kontak.xml': strToU8(`<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData><x:row r="2"><x:c r="B2" t="inlineStr"><x:is><x:t>found</x:t></x:is></x:c></x:row></x:sheetData></x:worksheet>`) },
  })
  t.same(read(file), [[2, [null, 'found']]], 'rId7 (the first worksheet), not sheet1.xml')
  t.same(read(book(sheetXml('<row r="1"><c r="A1"><v>1</v></c></row>'), { rels: '<Relationships/>' })), [[1, [1]]], 'no relationship for the sheet: xl/worksheets/sheet1.xml')
  t.same(read(book(sheetXml('<row r="1"><c r="A1"><v>1</v></c></row>'), { level: 0 })), [[1, [1]]], 'stored (not deflated) entries')
  t.match(fails(zipSync({ 'word/document.xml': strToU8('<w/>') }), 'invalid_xlsx', /no worksheet/), true, 'a zip that is no workbook')
})

t.test('__proto__ and constructor are only text', async (t) => {
  const shared = sharedXml(['<t>__proto__</t>', '<t>constructor</t>', '<t>prototype</t>'])
  const rows = read(book(sheetXml('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>__proto__</t></is></c><c r="D1" t="s"><v>2</v></c></row>'), { shared }))
  t.same(rows, [[1, ['__proto__', 'constructor', '__proto__', 'prototype']]])
  t.equal(Object.getPrototypeOf(rows[0][1]), Array.prototype)
  t.equal(({} as Record<string, unknown>).polluted, undefined)
  // Attribute names from the file: a cell whose attributes are named like Object's own.
  t.same(read(book(sheetXml('<row r="1" __proto__="x" constructor="y"><c r="A1" hasOwnProperty="z" toString="1"><v>1</v></c></row>'))), [[1, [1]]])
})

t.test('damaged, hostile and oversized files fail cleanly', async (t) => {
  const good = book(sheetXml('<row r="1"><c r="A1"><v>1</v></c></row>'))
  t.equal(fails(good.subarray(0, good.length - 30), 'invalid_xlsx', /zip/), true, 'truncated: no central directory')
  t.equal(fails(new Uint8Array(500).fill(7), 'invalid_xlsx', /not a zip/), true, 'garbage')
  // The sheet's deflated bytes damaged in the middle.
  const damaged = zipSync({ 'xl/worksheets/sheet1.xml': strToU8(sheetXml('<row r="1"><c r="A1"><v>1</v></c></row>'.repeat(1))) }, { level: 6 })
  const at = Buffer.from(damaged).indexOf('xl/worksheets/sheet1.xml') + 'xl/worksheets/sheet1.xml'.length + 5
  damaged.fill(0xff, at, at + 20)
  t.equal(fails(damaged, 'invalid_xlsx', /damaged|not valid XML/), true, 'damaged deflate data')
  const cases: [string, RegExp][] = [
    [sheetXml('<row r="1"><c r="A1"><v>1</v></c></row>').replace('</sheetData>', ''), /not valid XML/],
    [`<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]>${sheetXml('<row r="1"><c r="A1" t="inlineStr"><is><t>&a;</t></is></c></row>')}`, /DOCTYPE/],
    [sheetXml('<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row>'), /not valid XML/],
    [sheetXml('<row r="3"><c r="A3"><v>1</v></c></row><row r="2"><c r="A2"><v>1</v></c></row>'), /row 2 comes after row 3/],
    [sheetXml('<row r="1"><c r="B1"><v>1</v></c><c r="A1"><v>1</v></c></row>'), /out of order/],
    [sheetXml('<row r="1"><c r="A1" t="s"><v>7</v></c></row>'), /shared string 7 does not exist/],
    [sheetXml('<row r="1"><c r="A1"><v>abc</v></c></row>'), /A1: "abc" is not a number/],
    [sheetXml('<row r="1"><c r="A1" t="b"><v>2</v></c></row>'), /not a boolean/],
    [sheetXml('<row r="1"><c r="A1" t="zz"><v>2</v></c></row>'), /unknown cell type/],
    [sheetXml('<row r="1"><c r="XFE1"><v>1</v></c></row>'), /beyond column XFD/],
    [sheetXml('<row r="1"><c r="1A"><v>1</v></c></row>'), /not a cell reference/],
    [sheetXml('<row r="1048577"><c><v>1</v></c></row>'), /beyond row/],
    [sheetXml('<c r="A1"><v>1</v></c>'), /outside a row/],
  ]
  for (const [xml, pattern] of cases) t.equal(fails(book(xml), 'invalid_xlsx', pattern), true, pattern.source)
  t.equal(fails(book(sheetXml('<row r="1"><c r="A1"><v>1</v></c></row>'), { shared: '<sst><si><t>unclosed</sst>' }), 'invalid_xlsx', /sharedStrings.xml is not valid XML/), true)

  // Declared sizes that lie: the central directory says 100 bytes, the sheet inflates to 8 MB.
  const big = sheetXml(`<row r="1"><c r="A1"><v>1</v></c></row>${' '.repeat(8 * MB)}`)
  const liar = lie(book(big), 'xl/worksheets/sheet1.xml', 100)
  t.equal(fails(liar, 'file_too_large', /unpack to more than/, 2 * MB), true, 'stopped by the bytes actually inflated')
  t.same(read(liar, 50 * MB), [[1, [1]]], 'under the cap it is read')
  const sharedBig = sharedXml(Array.from({ length: 5000 }, (_, i) => `<t>${'s'.repeat(200)}${i}</t>`))
  t.equal(fails(book(sheetXml(''), { shared: sharedBig }), 'file_too_large', /shared strings/, 1.2 * MB), true, 'the shared-string table has its own cap')
})

t.test('the same values and row numbers as read-excel-file', async (t) => {
  const date = (d: string, format = 'dd/mm/yyyy') => ({ type: Date, value: new Date(d), format })
  const files: [string, unknown[][]][] = [
    ['mixed', [
      ['Name', 'Phone', 'Joined', 'Member', 'Spend', 'Note'],
      ['Ani', '0812-3333-0001', date('2024-01-15T00:00:00Z'), true, 12.5, '  spaced  '],
      [null, null, null, null, null, null],
      ['Dedi', 81233330002, date('1999-12-31T00:00:00Z', 'yyyy-mm-dd'), false, -3, null],
      [null, 'gap before', null, null, null, 'x'],
      ['Üñíçødé ✓', '+62 812', date('2024-02-29T12:30:00Z', 'dd/mm/yyyy hh:mm'), null, 0, 'a & b'],
      [null, null, null, null, null, null],
      [null, null, null, null, null, null],
      ['after gap', '1', null, null, 1e15, 'x < y'],
    ]],
    ['wide', Array.from({ length: 300 }, (_, r) => Array.from({ length: 30 }, (_, c) => ((r * 7 + c) % 11 === 0 ? null : (r + c) % 3 === 0 ? `t${r}:${c}` : (r + c) % 3 === 1 ? r * c + 0.25 : c % 2 === 0))) as unknown[][]],
  ]
  for (const [name, rows] of files) {
    const file = (await writeXlsxFile(rows as any).toBuffer()) as Buffer
    const theirs = (await readSheet(file)) as unknown[][]
    const expected: SheetRow[] = []
    theirs.forEach((cells, i) => {
      const values = cells as Cell[]
      let width = values.length
      while (width > 0 && values[width - 1] === null) width--
      if (width) expected.push([i + 1, values.slice(0, width)])
    })
    t.same(plain(read(file)), plain(expected), `${name}: ${expected.length} rows`)
  }
  // Our own writer (inline strings) too.
  const chunks: Uint8Array[] = []
  const ours: XlsxCell[][] = [['a', 1, true], [null, null, null], ['  b ', -2.5, false], ['', 0, null]]
  for await (const chunk of writeXlsx((async function* () { yield ours })())) chunks.push(chunk)
  const file = Buffer.concat(chunks)
  const theirs = (await readSheet(file)) as unknown[][]
  t.same(read(file), [[1, theirs[0]], [3, theirs[2]], [4, theirs[3].slice(0, 2)]])
})

t.test('the parse worker: row numbers as in the sheet, the preview, a lying zip', async (t) => {
  const base = { mapping: null, attributes: [], region: 'ID', startAfterRow: 0, chunkSize: 2, maxRows: 200_000, maxUnpackedBytes: 50 * MB }
  const file = book(sheetXml(
    '<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c><c r="B1" t="inlineStr"><is><t>Phone</t></is></c></row>' +
    '<row r="2"><c r="A2" t="inlineStr"><is><t>Ani</t></is></c><c r="B2" t="inlineStr"><is><t>0812 3333 0001</t></is></c></row>' +
    '<row r="4"><c r="A4" t="inlineStr"><is><t>Bad</t></is></c><c r="B4" t="inlineStr"><is><t>abc</t></is></c></row>' +
    '<row r="7"><c r="B7"><v>81233330007</v></c></row>' +
    '<row r="9"><c r="D9" t="inlineStr"><is><t>beyond the header</t></is></c></row>',
  ))
  const messages: any[] = []
  for await (const m of parseInWorker({ ...base, format: 'xlsx', file })) messages.push(m)
  t.same(messages[0], { type: 'start', totalRows: 4 })
  t.same(messages.slice(1).flatMap((m) => m.rows).map((r: any) => [r.row, r.phone ?? r.error]), [[2, '+6281233330001'], [4, '"abc" is not a valid phone number'], [7, '+6281233330007']])
  t.same(messages.slice(1).map((m) => m.lastRow), [4, 9], 'lastRow is a sheet row number')

  const resumed: any[] = []
  for await (const m of parseInWorker({ ...base, format: 'xlsx', file, startAfterRow: 4 })) resumed.push(m)
  t.same(resumed.slice(1).flatMap((m) => m.rows).map((r: any) => r.row), [7])

  t.same(await previewXlsxInWorker(file, 2, 50 * MB), { header: ['Name', 'Phone', '', ''], rows: [['Ani', '0812 3333 0001', '', ''], ['Bad', 'abc', '', '']], totalRows: 4 })
  const noHeader = book(sheetXml('<row r="3"><c r="A3"><v>1</v></c></row>'))
  t.same(await previewXlsxInWorker(noHeader, 5, 50 * MB), { header: [''], rows: [['1']], totalRows: 1 }, 'row 1 is the header, even empty')

  const liar = lie(book(sheetXml(`${'<row/>'.repeat(10)}${' '.repeat(4 * MB)}`)), 'xl/worksheets/sheet1.xml', 100)
  const drain = async (input: Parameters<typeof parseInWorker>[0]) => {
    for await (const m of parseInWorker(input)) void m
  }
  await t.rejects(drain({ ...base, format: 'xlsx', file: liar, maxUnpackedBytes: 2 * MB }), { code: 'file_too_large' })
  await t.rejects(previewXlsxInWorker(liar, 5, 2 * MB), { code: 'file_too_large' })
  await t.rejects(drain({ ...base, format: 'xlsx', file: book(sheetXml('<row r="1"><c r="A1" t="s"><v>3</v></c></row>')) }), { code: 'invalid_xlsx', message: /cannot be read: cell A1: shared string 3 does not exist/ })
  await t.rejects(drain({ ...base, format: 'xlsx', file: book(sheetXml('')) }), { code: 'empty_file' })
})

/** Rewrites an entry's uncompressed size in its local header and the central directory. */
function lie(zip: Uint8Array, name: string, size: number): Uint8Array {
  const buf = Buffer.from(zip)
  const encoded = Buffer.from(name)
  for (let at = 0; (at = buf.indexOf(encoded, at + 1)) > 0;) {
    if (buf.readUInt32LE(at - 30) === 0x04034b50) buf.writeUInt32LE(size, at - 30 + 22)
    if (at >= 46 && buf.readUInt32LE(at - 46) === 0x02014b50) buf.writeUInt32LE(size, at - 46 + 24)
  }
  return new Uint8Array(buf)
}
