// POST /imports/preview: the import wizard's first step (columns, guessed targets, sample values).
import t from 'tap'
import writeXlsxFile from 'write-excel-file/node'
import { assertError } from '@sapa/sdk/testing'
import { writeXlsx, type XlsxCell } from '../server/xlsx-writer.ts'
import { contactsKernel, importFile, multipart, ok } from './support/kernel.ts'
import type { TestSession } from '@sapa/sdk/testing'

const xlsx = (rows: unknown[][]) => writeXlsxFile(rows as any).toBuffer() as Promise<Buffer>
async function ownXlsx(rows: XlsxCell[][]): Promise<Buffer> {
  const chunks: Uint8Array[] = []
  for await (const chunk of writeXlsx((async function* () { yield rows })())) chunks.push(chunk)
  return Buffer.concat(chunks)
}

function preview(session: TestSession, data: Buffer | string, filename = 'contacts.csv') {
  const body = multipart([{ name: 'file', filename, type: 'application/octet-stream', data: Buffer.from(data) }])
  return session.inject({ method: 'POST', url: '/api/contacts/imports/preview', payload: body.payload, headers: body.headers })
}

t.test('a CSV: every column with its guessed target and first values; the mapping built from it imports', async (t) => {
  const { h, manager } = await contactsKernel(t)
  await ok(manager, 'POST', '/api/contacts/attributes', { key: 'city', label: 'Kota', type: 'text' })
  const csv = ['Nama;No HP;Kota;Catatan;Telepon kantor', 'Budi;0812 0000 0001;Bandung;x;', ';;;;', 'Siti;0812 0000 0002;Jakarta;;021 555', 'Bad;abc;;;'].join('\r\n')
  const res = await preview(manager, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv)]))
  t.equal(res.statusCode, 200, res.body)
  const body = res.json()
  t.same(body, {
    format: 'csv',
    totalRows: null,
    columns: [
      { header: 'Nama', target: 'name', samples: ['Budi', 'Siti', 'Bad'] },
      { header: 'No HP', target: 'phone', samples: ['0812 0000 0001', '0812 0000 0002', 'abc'] },
      { header: 'Kota', target: 'attributes.city', samples: ['Bandung', 'Jakarta', ''] },
      { header: 'Catatan', target: 'ignore', samples: ['x', '', ''] },
      { header: 'Telepon kantor', target: 'ignore', samples: ['', '021 555', ''] },
    ],
  }, 'BOM and ";" handled, empty rows skipped, an attribute found by its label')

  // What the wizard sends: the columns it kept, by header.
  const mapping = Object.fromEntries(body.columns.filter((c: any) => c.target !== 'ignore').map((c: any) => [c.header, c.target]))
  const done = await importFile(manager, { data: csv }, { mapping: JSON.stringify(mapping) })
  t.match(done, { status: 'completed', imported: 2, errorCount: 1 })
  t.equal(Number((await h.services.db('contact_imports').count('* as c'))[0].c), 1, 'the preview stored no import of its own')
})

t.test('an XLSX is read in the worker: header, first five rows and the row count', async (t) => {
  const { manager } = await contactsKernel(t)
  const rows: unknown[][] = [['Name', 'WhatsApp', 'Joined']]
  for (let i = 0; i < 8; i++) rows.push([`P${i}`, `0812 0000 10${10 + i}`, i === 0 ? { type: Date, value: new Date(Date.UTC(2024, 0, 2)), format: 'dd/mm/yyyy' } : null])
  rows.push([null, null, null])
  const res = await preview(manager, await xlsx(rows), 'people.xlsx')
  t.equal(res.statusCode, 200, res.body)
  const body = res.json()
  t.equal(body.format, 'xlsx')
  t.equal(body.totalRows, 8, 'empty rows are not counted')
  t.same(body.columns.map((c: any) => [c.header, c.target]), [['Name', 'name'], ['WhatsApp', 'phone'], ['Joined', 'ignore']])
  t.same(body.columns[0].samples, ['P0', 'P1', 'P2', 'P3', 'P4'])
  t.equal(body.columns[2].samples[0], '2024-01-02', 'a date cell reads as YYYY-MM-DD')
})

t.test('refused previews', async (t) => {
  const { h, tenant, manager } = await contactsKernel(t)
  const agent = await h.login(tenant, 'agent')
  const csv = 'name,phone\nA,0812 1111 1111\n'
  const both = multipart([{ name: 'file', filename: 'a.csv', data: csv }, { name: 'file', filename: 'b.csv', data: csv }])
  const field = multipart([{ name: 'file', filename: 'a.csv', data: csv }, { name: 'mapping', value: '{}' }])
  const cases: [Promise<any>, number, string, string][] = [
    [preview(agent, csv), 403, 'forbidden', 'agents do not import'],
    [preview(manager, '__proto__,phone\nx,0812\n'), 400, 'invalid_header', '__proto__ header'],
    [preview(manager, await ownXlsx([['constructor', 'phone'], ['x', '0812']]), 'evil.xlsx'), 400, 'invalid_header', 'constructor header in a spreadsheet'],
    [preview(manager, Buffer.from('PK\x03\x04 not really a zip'), 'x.xlsx'), 400, 'invalid_xlsx', 'a broken spreadsheet'],
    [preview(manager, ''), 400, 'empty_file', 'empty'],
    [preview(manager, Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0])), 415, 'unsupported_file_type', '.xls'],
    [manager.inject({ method: 'POST', url: '/api/contacts/imports/preview', payload: both.payload, headers: both.headers }), 400, 'too_many_parts', 'two files'],
    [manager.inject({ method: 'POST', url: '/api/contacts/imports/preview', payload: field.payload, headers: field.headers }), 400, 'unexpected_field', 'a field besides the file'],
    [manager.inject({ method: 'POST', url: '/api/contacts/imports/preview', payload: { file: 'x' } }), 415, 'multipart_required', 'JSON instead of a file'],
  ]
  for (const [res, status, code, label] of cases) assertError(t, await res, status, code, label)
})
