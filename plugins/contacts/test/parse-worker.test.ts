import t from 'tap'
import { strToU8, zipSync } from 'fflate'
import { parseInWorker, ImportFailure, DEFAULT_PARSE_LIMITS } from '../server/import/parse.ts'
import { normalizePhone, phoneSearchForms } from '../server/phone.ts'
import { decodeText, detectFormat, sniffDelimiter } from '../server/import/sniff.ts'
import { keywordOf, matchesKeyword } from '../server/settings.ts'

const base = { mapping: null, attributes: [], region: 'ID', startAfterRow: 0, chunkSize: 1000, maxRows: 200_000, maxUnpackedBytes: 50 * 1024 * 1024 }

async function drain(input: Parameters<typeof parseInWorker>[0], limits = DEFAULT_PARSE_LIMITS) {
  const out: any[] = []
  for await (const m of parseInWorker(input, limits)) out.push(m)
  return out
}

t.test('phones: every way a number is written, and what is refused', async (t) => {
  const id: [unknown, string | null][] = [
    ['0812-3456-7890', '+6281234567890'], ['+62 812-3456-7890', '+6281234567890'], ['6281234567890', '+6281234567890'],
    ['81234567890', '+6281234567890'], [81234567890, '+6281234567890'], ['0062 812 3456 7890', '+6281234567890'],
    ["'+6281234567890", '+6281234567890'], ['(021) 555-1234', '+62215551234'], ['+1 415 555 2671', '+14155552671'],
    ['abc', null], ['0812', null], ['', null], ['+62 812 3456 7890 12345', null],
    ['０８１２３４５６７８９０', null], ['0812\u200b34567890', null], [null, null], [1.5, null], ['+', null],
  ]
  for (const [input, expected] of id) t.equal(normalizePhone(input, 'ID'), expected, JSON.stringify(input))
  t.equal(normalizePhone('(415) 555-2671', 'US'), '+14155552671', 'the tenant’s region decides national numbers')
  t.equal(normalizePhone('14155552671', 'US'), '+14155552671')
  t.equal(normalizePhone('14155552671', 'ID'), '+6214155552671', 'bare digits that are a valid national number stay national (write + for abroad)')
  t.same(phoneSearchForms('0812 3456', 'ID'), { digits: '08123456', prefix: '+628123456' })
  t.same(phoneSearchForms('+62 812', 'ID'), { digits: '62812', prefix: '+62812' })
  t.equal(phoneSearchForms('budi', 'ID'), null)
  t.equal(phoneSearchForms('12', 'ID'), null)
})

t.test('keywords: whole message, any case, punctuation around ignored', async (t) => {
  const list = ['STOP', 'BERHENTI', 'UNSUBSCRIBE']
  for (const text of ['stop', ' STOP ', 'Berhenti.', 'berhenti!!', '"Unsubscribe"', 'STOP\n']) t.ok(matchesKeyword(text, list), JSON.stringify(text))
  for (const text of ['stop please', 'STOPS', 'jangan berhenti', '', null]) t.notOk(matchesKeyword(text, list), JSON.stringify(text))
  t.equal(keywordOf('ｓｔｏｐ'), 'STOP', 'full-width letters normalise')
})

t.test('sniffing: formats, encodings, delimiters', async (t) => {
  t.equal(detectFormat(Buffer.from('a,b\n1,2')), 'csv')
  t.equal(detectFormat(Buffer.from('PK\x03\x04rest')), 'xlsx')
  t.equal(detectFormat(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 1, 2, 3, 4])), 'xls')
  t.equal(detectFormat(Buffer.from([1, 0, 2])), 'binary')
  t.equal(decodeText(Buffer.from([0xef, 0xbb, 0xbf, 0x61])), 'a', 'UTF-8 BOM dropped')
  t.equal(decodeText(Buffer.from('\ufeffnama', 'utf16le').subarray(0)), 'nama', 'UTF-16 LE with BOM')
  t.equal(decodeText(Buffer.from([0x4a, 0x6f, 0x73, 0xe9])), 'José', 'Windows-1252 when not UTF-8')
  t.equal(sniffDelimiter('a;b;c\n1;2;3'), ';')
  t.equal(sniffDelimiter('"a;b",c,d\n'), ',', 'quoted delimiters do not count')
  t.equal(sniffDelimiter('a\tb\tc'), '\t')
  t.equal(sniffDelimiter('phone'), ',')
})

t.test('the worker: chunks on demand, resume point, limits', async (t) => {
  const lines = ['phone,name', ...Array.from({ length: 2500 }, (_, i) => `0812${String(i).padStart(8, '0')},N${i}`)].join('\n')
  const messages = await drain({ ...base, format: 'csv', file: Buffer.from(lines) })
  t.same(messages[0], { type: 'start', totalRows: 2500 })
  t.same(messages.slice(1).map((m) => m.rows.length), [1000, 1000, 500])
  t.same(messages.slice(1).map((m) => m.done), [false, false, true])
  t.same(messages[1].rows[0], { row: 2, phone: '+6281200000000', name: 'N0', email: null, attributes: null, labels: null })

  const resumed = await drain({ ...base, format: 'csv', file: Buffer.from(lines), startAfterRow: 2001 })
  t.same(resumed.slice(1).flatMap((m) => m.rows).map((r: any) => r.row)[0], 2002, 'rows up to the resume point are skipped')
  t.equal(resumed.slice(1).flatMap((m) => m.rows).length, 500)

  await t.rejects(drain({ ...base, format: 'csv', file: Buffer.from(lines), maxRows: 100 }), { code: 'too_many_rows' })
  await t.rejects(drain({ ...base, format: 'csv', file: Buffer.from('phone\n"0812') }), { code: 'invalid_csv' })
  await t.rejects(drain({ ...base, format: 'csv', file: Buffer.from('') }), { code: 'empty_file' })
  await t.rejects(drain({ ...base, format: 'csv', file: Buffer.from('prototype,phone\n') }), { code: 'invalid_header' })

  // Time: a worker that does not answer in time is ended.
  await t.rejects(drain({ ...base, format: 'csv', file: Buffer.from(lines) }, { ...DEFAULT_PARSE_LIMITS, firstAnswerMs: 5 }), { code: 'parse_timeout' })

  // Size: a zip bomb is refused from its declared sizes, before anything is inflated.
  const bomb = zipSync({ '[Content_Types].xml': strToU8('<Types/>'), 'xl/worksheets/sheet1.xml': new Uint8Array(60 * 1024 * 1024) }, { level: 9 })
  t.ok(bomb.length < 200 * 1024, `the bomb is ${Math.round(bomb.length / 1024)} KB`)
  await t.rejects(drain({ ...base, format: 'xlsx', file: bomb }), { code: 'file_too_large' })

  // Memory: a worker over its heap cap dies alone, and the import fails cleanly.
  const big = ['phone,name', ...Array.from({ length: 150_000 }, (_, i) => `0812${String(i).padStart(8, '0')},${'x'.repeat(60)}`)].join('\n')
  const err = await drain({ ...base, format: 'csv', file: Buffer.from(big), chunkSize: 200_000 }, { ...DEFAULT_PARSE_LIMITS, maxHeapMb: 24 }).catch((e) => e)
  t.ok(err instanceof ImportFailure, 'fails with an ImportFailure')
  t.match(err, { code: /file_too_complex|parse_failed/ })
})
