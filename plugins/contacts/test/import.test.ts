import t from 'tap'
import writeXlsxFile from 'write-excel-file/node'
import { assertError } from '@sapa/sdk/testing'
import { writeXlsx, type XlsxCell } from '../server/xlsx-writer.ts'
import { contactsKernel, importFile, ok, upload } from './support/kernel.ts'

/** Fixtures from an independent writer (real Excel-style date cells: a number with a date format). */
const xlsx = (rows: unknown[][]) => writeXlsxFile(rows as any).toBuffer() as Promise<Buffer>
/** Our own writer: write-excel-file cannot write a cell whose text is "__proto__". */
async function ownXlsx(rows: XlsxCell[][]): Promise<Buffer> {
  const chunks: Uint8Array[] = []
  for await (const chunk of writeXlsx((async function* () { yield rows })())) chunks.push(chunk)
  return Buffer.concat(chunks)
}

t.test('CSV import: BOM, ";" delimiter, mapping, Excel dates, empty rows, duplicates in the file, bad rows', async (t) => {
  const { h, tenant, manager } = await contactsKernel(t)
  await ok(manager, 'POST', '/api/contacts/attributes', { key: 'city', label: 'Kota', type: 'text' })
  await ok(manager, 'POST', '/api/contacts/attributes', { key: 'joined', label: 'Joined', type: 'date' })
  await ok(manager, 'POST', '/api/contacts/attributes', { key: 'spend', label: 'Spend', type: 'number' })
  await ok(manager, 'POST', '/api/contacts/attributes', { key: 'member', label: 'Member', type: 'boolean' })
  const existing = await ok(manager, 'POST', '/api/contacts', { phone: '0812 0000 0009', name: 'Old Name', attributes: { city: 'Medan' } })

  const csv = [
    'Nama Lengkap;No HP;Email;Kota;Joined;Spend;Member;Tag',
    'Budi;0812-0000-0001;budi@x.id;Bandung;45292;1.250,50;ya;VIP, Lead',
    ';;;;;;;',
    '',
    'Siti;+62 812 0000 0002;;Jakarta;31/12/2023;7;no;vip',
    'Broken;abc;;;;;;',
    'Budi Again;6281200000001;;Surabaya;;;;Reseller',
    'Bad email;0812 0000 0003;not-mail;;;;;',
    'Bad date;0812 0000 0004;;;2023-02-30;;;',
    'New Name;0812 0000 0009;;;2024-03-01;;;',
    'No phone;;a@b.co;;;;;',
    'Formula;0812 0000 0005;;\'=1+1;;;;',
  ].join('\r\n')
  const mapping = JSON.stringify({ 'Nama Lengkap': 'name', 'No HP': 'phone', Email: 'email', Kota: 'attributes.city', Joined: 'attributes.joined', Spend: 'attributes.spend', Member: 'attributes.member', Tag: 'labels' })
  const done = await importFile(manager, { data: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv)]) }, { mapping, onDuplicate: 'update' })
  t.match(done, { status: 'completed', format: 'csv', onDuplicate: 'update', totalRows: 9, processed: 9, imported: 3, updated: 2, skipped: 0, errorCount: 4 })
  t.same(done.errors, [
    { row: 6, reason: '"abc" is not a valid phone number' },
    { row: 8, reason: '"not-mail" is not a valid email address' },
    { row: 9, reason: 'joined: "2023-02-30" is not a date (use YYYY-MM-DD)' },
    { row: 11, reason: 'phone is missing' },
  ], 'row numbers as in the spreadsheet (header = row 1), empty rows ignored')

  const get = async (q: string) => (await ok(manager, 'GET', `/api/contacts?q=${encodeURIComponent(q)}`)).items[0]
  const budi = await get('0812 0000 0001')
  t.match(budi, { name: 'Budi Again', phone: '+6281200000001', email: 'budi@x.id' }, 'the later row updated the earlier one')
  t.same(budi.attributes, { city: 'Surabaya', joined: '2024-01-01', spend: 1250.5, member: true }, 'Excel serial 45292 is 2024-01-01; 1.250,50 is 1250.5')
  t.same(budi.labels.map((l: any) => l.name), ['Lead', 'Reseller', 'VIP'], 'labels added up, created on the fly')
  t.same((await get('Siti')).attributes, { city: 'Jakarta', joined: '2023-12-31', spend: 7, member: false }, 'day-first dates')
  t.same((await get('Siti')).labels.map((l: any) => l.name), ['VIP'], 'label names match case-insensitively')
  const old = await ok(manager, 'GET', `/api/contacts/${existing.id}`)
  t.match(old, { name: 'New Name' })
  t.same(old.attributes, { city: 'Medan', joined: '2024-03-01' }, 'update mode: empty cells keep stored values')
  t.equal((await get('Formula')).attributes.city, '=1+1', 'our export’s leading apostrophe is taken off again')
  t.equal((await ok(manager, 'GET', '/api/contacts/labels')).items.length, 3)

  // The error report.
  const report = await manager.inject({ method: 'GET', url: `/api/contacts/imports/${done.id}/errors.csv` })
  t.equal(report.statusCode, 200)
  t.match(report.headers['content-type'], /text\/csv/)
  t.match(report.headers['content-disposition'], /attachment/)
  t.equal(report.body, '\ufeffrow,reason\n6,"""abc"" is not a valid phone number"\n8,"""not-mail"" is not a valid email address"\n9,"joined: ""2023-02-30"" is not a date (use YYYY-MM-DD)"\n11,phone is missing\n')

  // Skip mode: existing phones and later duplicates are skipped, counted.
  const skip = await importFile(manager, { data: 'phone,name\n0812 0000 0001,Should Not Change\n0812 0000 0006,Fresh\n+62 812 0000 0006,Dup In File\n' }, { onDuplicate: 'skip' })
  t.match(skip, { status: 'completed', processed: 3, imported: 1, updated: 0, skipped: 2, errorCount: 0 })
  t.equal((await get('0812 0000 0001')).name, 'Budi Again', 'skipped: unchanged')
  t.equal((await get('0812 0000 0006')).name, 'Fresh', 'the first row of a duplicate wins in skip mode')

  // Required attributes are required for new contacts only.
  const city = (await ok(manager, 'GET', '/api/contacts/attributes')).items.find((a: any) => a.key === 'city')
  await ok(manager, 'PATCH', `/api/contacts/attributes/${city.id}`, { required: true })
  const req = await importFile(manager, { data: 'phone,name,attributes.city\n0812 0000 0001,Budi Third,\n0812 0000 0077,Nobody,\n0812 0000 0078,Somebody,Bogor\n' })
  t.match(req, { imported: 1, updated: 1, errorCount: 1, errors: [{ row: 3, reason: /Kota \(city\) is required/ }] })

  const others = await h.createTenant()
  const stranger = await h.login(others, 'manager')
  assertError(t, await stranger.inject({ method: 'GET', url: `/api/contacts/imports/${done.id}` }), 404, 'import_not_found')
  assertError(t, await stranger.inject({ method: 'GET', url: `/api/contacts/imports/${done.id}/errors.csv` }), 404, 'import_not_found')
  t.same((await ok(stranger, 'GET', '/api/contacts/imports')).items, [])
  t.equal(Number((await h.services.db('contacts').where({ tenant_id: others.id }).count('* as c'))[0].c), 0)
  t.ok(tenant)
})

t.test('XLSX import: dates as dates, numeric phones, the header checked in the worker', async (t) => {
  const { h, manager } = await contactsKernel(t)
  await ok(manager, 'POST', '/api/contacts/attributes', { key: 'joined', label: 'Joined', type: 'date' })
  await ok(manager, 'POST', '/api/contacts/attributes', { key: 'tier', label: 'Tier', type: 'select', options: ['Gold', 'Silver'] })
  const file = await xlsx([
    ['Name', 'Phone', 'Joined', 'Tier'],
    ['Ani', '0812-3333-0001', { type: Date, value: new Date(Date.UTC(2024, 0, 15)), format: 'dd/mm/yyyy' }, 'gold'],
    ['Dedi', 81233330002, 45658, 'Silver'],
    [null, null, null, null],
    ['Eka', 'abc', null, null],
    ['Fajar', '6281233330004', '2024-05-06', 'Platinum'],
  ])
  const done = await importFile(manager, { data: file, filename: 'contacts.xlsx', type: 'application/octet-stream' })
  t.match(done, { status: 'completed', format: 'xlsx', totalRows: 4, processed: 4, imported: 2, errorCount: 2 })
  t.same(done.errors.map((e: any) => e.row), [5, 6])
  t.match(done.errors[1].reason, /tier: "Platinum" is not one of/)
  const list = (await ok(manager, 'GET', '/api/contacts?limit=10')).items
  const byName = Object.fromEntries(list.map((c: any) => [c.name, c]))
  t.match(byName.Ani, { phone: '+6281233330001', attributes: { joined: '2024-01-15', tier: 'Gold' } })
  t.match(byName.Dedi, { phone: '+6281233330002', attributes: { joined: '2025-01-01', tier: 'Silver' } }, 'a number cell that lost its 0; a date serial')

  const proto = await importFile(manager, { data: await ownXlsx([['__proto__', 'phone'], ['x', '0812 0000 1111']]), filename: 'evil.xlsx' })
  t.match(proto, { status: 'failed', failure: { code: 'invalid_header' }, processed: 0 })
  t.equal(({} as any).x, undefined, 'no prototype was touched')
  const noPhone = await importFile(manager, { data: await xlsx([['name', 'email'], ['x', 'x@y.co']]), filename: 'nophone.xlsx' })
  t.match(noPhone, { status: 'failed', failure: { code: 'phone_column_missing' } })
  const broken = await importFile(manager, { data: Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(200, 7)]), filename: 'broken.xlsx' })
  t.match(broken, { status: 'failed', failure: { code: 'invalid_xlsx' } })
  const report = await manager.inject({ method: 'GET', url: `/api/contacts/imports/${broken.id}/errors.csv` })
  t.match(report.body, /The import failed: The file is not a readable .xlsx spreadsheet/)
  t.equal(Number((await h.services.db('contacts').count('* as c'))[0].c), 2, 'failed imports wrote nothing')
  // The stored upload is removed once the import is over.
  t.same(await h.services.db('contact_imports').whereNotNull('storage_key').pluck('id'), [])
})

t.test('refused uploads: each a clear 4xx, nothing stored or queued', async (t) => {
  const { h, tenant, manager } = await contactsKernel(t)
  const agent = await h.login(tenant, 'agent')
  const csv = 'name,phone\nA,0812 1111 1111\n'
  const cases: [Promise<any>, number, string, string][] = [
    [upload(agent, { data: csv }), 403, 'forbidden', 'agents do not import'],
    [upload(manager, { data: '__proto__,phone\nx,0812 1111 1111\n' }), 400, 'invalid_header', '__proto__ header'],
    [upload(manager, { data: 'name;constructor;phone\nx;y;0812 1111 1111\n' }), 400, 'invalid_header', 'constructor header'],
    [upload(manager, { data: 'name,email\nx,x@y.co\n' }), 400, 'phone_column_missing', 'no phone column'],
    [upload(manager, { data: csv }, { mapping: '{"__proto__":"phone"}' }), 400, 'invalid_mapping', '__proto__ in the mapping'],
    [upload(manager, { data: csv }, { mapping: '{"Nope":"phone"}' }), 400, 'mapping_unknown_column', 'mapping names a missing column'],
    [upload(manager, { data: csv }, { mapping: '{"name":"phone","phone":"phone"}' }), 400, 'mapping_duplicate_target', 'two phone columns'],
    [upload(manager, { data: csv }, { mapping: '{"phone":"attributes.nope"}' }), 400, 'unknown_attribute', 'unknown attribute'],
    [upload(manager, { data: csv }, { mapping: '{"phone":"password"}' }), 400, 'invalid_mapping', 'not a field'],
    [upload(manager, { data: csv }, { mapping: '[1,2]' }), 400, 'invalid_mapping', 'not an object'],
    [upload(manager, { data: csv }, { mapping: '{nope' }), 400, 'invalid_mapping', 'not JSON'],
    [upload(manager, { data: csv }, { onDuplicate: 'merge' }), 400, 'invalid_on_duplicate', 'onDuplicate'],
    [upload(manager, { data: csv }, { extra: '1' }), 400, 'unknown_field', 'unknown field'],
    [upload(manager, { data: '' }), 400, 'empty_file', 'empty'],
    [upload(manager, { data: Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]) }), 415, 'unsupported_file_type', '.xls'],
    [upload(manager, { data: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]) }), 415, 'unsupported_file_type', 'a PNG'],
    [upload(manager, { data: Buffer.alloc(20 * 1024 * 1024 + 1, 'a') }), 413, 'import_file_too_large', 'over 20 MB'],
    [manager.inject({ method: 'POST', url: '/api/contacts/imports', payload: { file: 'x' } }), 415, 'multipart_required', 'JSON instead of a file'],
  ]
  for (const [res, status, code, label] of cases) assertError(t, await res, status, code, label)
  t.equal(Number((await h.services.db('contact_imports').count('* as c'))[0].c), 0, 'no import rows')
  t.equal(Object.values((await h.services.queue.counts('contacts.import'))['contacts.import'] ?? {}).reduce((a: number, b) => a + (b as number), 0), 0, 'no jobs')
})

t.test('a file with more rows than the cap fails before writing anything', async (t) => {
  const { h, manager } = await contactsKernel(t)
  const { IMPORT_LIMITS } = await import('../server/import/importer.ts')
  const saved = IMPORT_LIMITS.maxRows
  IMPORT_LIMITS.maxRows = 5
  t.teardown(() => void (IMPORT_LIMITS.maxRows = saved))
  const rows = Array.from({ length: 6 }, (_, i) => `0812 5000 00${10 + i}`).join('\n')
  const done = await importFile(manager, { data: `phone\n${rows}\n` })
  t.match(done, { status: 'failed', failure: { code: 'too_many_rows' }, processed: 0 })
  t.equal(Number((await h.services.db('contacts').count('* as c'))[0].c), 0)
})
