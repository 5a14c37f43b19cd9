// npm run bench -- contacts [--rows=N]     (also part `import` of `npm run bench -- inbox`)
//
// A 100k-row XLSX contacts import through the whole path (upload, the parse worker, phone
// normalisation, dedup, the writes, progress), timed, with the process's peak RSS sampled every
// 50 ms, against the goal (< 15 s, peak RSS < 500 MB) and against a baseline in the same run: the
// same file only read by read-excel-file (a whole-sheet reader; the import streams the sheet instead).
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { readSheet } from 'read-excel-file/node'
import { createTestKernel } from '../../kernel/testing/harness.ts'
import { writeXlsx, type XlsxCell } from '../../plugins/contacts/server/xlsx-writer.ts'
import { fmt, rssMb, table } from './report.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const arg = process.argv.find((a) => a.startsWith('--rows='))
const ROWS = Number(arg?.split('=')[1] ?? 100_000)

async function spreadsheet(rows: number): Promise<Buffer> {
  const cities = ['Jakarta', 'Bandung', 'Surabaya', 'Medan', 'Makassar']
  async function* pages(): AsyncGenerator<XlsxCell[][]> {
    yield [['Nama', 'Nomor HP', 'Email', 'Kota', 'Belanja', 'Label']]
    for (let start = 0; start < rows; start += 5000) {
      const page: XlsxCell[][] = []
      for (let i = start; i < Math.min(rows, start + 5000); i++) {
        page.push([`Pelanggan ${i}`, `0812${String(i).padStart(8, '0')}`, `p${i}@contoh.id`, cities[i % 5], (i % 1000) * 1.5, i % 10 === 0 ? 'VIP' : 'Reguler'])
      }
      yield page
    }
  }
  const chunks: Uint8Array[] = []
  for await (const chunk of writeXlsx(pages())) chunks.push(chunk)
  return Buffer.concat(chunks)
}

function multipart(file: Buffer, filename: string): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----sapa${Date.now()}`
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n`)
  return { payload: Buffer.concat([head, file, Buffer.from(`\r\n--${boundary}--\r\n`)]), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }
}

export async function run(): Promise<void> {
  const cleanups: (() => unknown)[] = []
  const t = { teardown: (fn: () => unknown) => cleanups.push(fn) }
  const postgres = Boolean(process.env.TEST_DATABASE_URL)
  console.log(`contacts import bench — database: ${postgres ? 'postgres' : 'pglite'}, queue: ${process.env.TEST_REDIS_URL ? 'redis' : 'inline'}, node ${process.version}`)
  const h = await createTestKernel(t, { plugins: [path.join(ROOT, 'plugins/contacts')] })
  try {
    const tenant = await h.createTenant('import-bench')
    const manager = await h.login(tenant, 'manager')
    for (const attribute of [{ key: 'kota', label: 'Kota', type: 'text' }, { key: 'belanja', label: 'Belanja', type: 'number' }]) {
      const res = await manager.inject({ method: 'POST', url: '/api/contacts/attributes', payload: attribute })
      if (res.statusCode !== 201) throw new Error(res.body)
    }
    const file = await spreadsheet(ROWS)
    console.log(`file: ${ROWS.toLocaleString('en')} rows, ${(file.length / 1048576).toFixed(1)} MB .xlsx\n`)

    ;(globalThis as { gc?: () => void }).gc?.()
    const before = rssMb()
    let peak = before
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb())), 50)
    const started = performance.now()
    const body = multipart(file, 'pelanggan.xlsx')
    const res = await manager.inject({ method: 'POST', url: '/api/contacts/imports', payload: body.payload, headers: body.headers })
    if (res.statusCode !== 202) throw new Error(`upload → ${res.statusCode} ${res.body}`)
    const { id } = res.json()
    let state: any
    for (;;) {
      state = (await manager.inject({ method: 'GET', url: `/api/contacts/imports/${id}` })).json()
      if (state.status === 'completed' || state.status === 'failed') break
      await new Promise((r) => setTimeout(r, 100))
    }
    const seconds = (performance.now() - started) / 1000
    clearInterval(sampler)
    if (state.status !== 'completed' || state.imported !== ROWS) throw new Error(`import ended ${JSON.stringify(state).slice(0, 400)}`)

    // Baseline, after the import so its memory does not count there: the library alone reading the same file.
    const readStarted = performance.now()
    const sheet = (await readSheet(file)) as unknown[][]
    const readSeconds = (performance.now() - readStarted) / 1000
    if (sheet.length !== ROWS + 1) throw new Error(`read-excel-file read ${sheet.length} rows`)
    sheet.length = 0

    table([
      { side: 'read-excel-file reading the file (baseline)', seconds: fmt(readSeconds, 1), 'rows/s': Math.round(ROWS / readSeconds), 'peak RSS MB': '—', goal: '—' },
      { side: 'import through the API (parse worker, writes)', seconds: fmt(seconds, 1), 'rows/s': Math.round(ROWS / seconds), 'peak RSS MB': `${Math.round(peak)} (idle before: ${Math.round(before)})`, goal: '< 15 s, < 500 MB' },
    ])
    console.log(`\n   import vs reading alone: ${fmt(seconds / readSeconds)}×; goal met: time ${seconds < 15 ? 'yes' : 'NO'}, memory ${peak < 500 ? 'yes' : 'NO'} (peak RSS of the whole process${postgres ? '' : ', PGlite included'})`)
  } finally {
    for (const fn of cleanups.reverse()) await fn()
  }
}
