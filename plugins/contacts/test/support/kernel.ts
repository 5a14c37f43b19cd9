import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { createTestKernel, type TestKernel, type TestSession, type TestTenant } from '@sapa/sdk/testing'

export const CONTACTS = path.resolve(import.meta.dirname, '../..')
export const WHATSAPP = path.resolve(import.meta.dirname, '../../../whatsapp')

type T = Parameters<typeof createTestKernel>[0]

export async function until<V>(fn: () => Promise<V | undefined | null | false>, ms = 10_000, step = 25): Promise<V> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await fn()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`)
    await new Promise((r) => setTimeout(r, step))
  }
}

/** A kernel with the contacts plugin, one tenant and a manager (who may do everything in contacts). */
export async function contactsKernel(t: T, plugins: string[] = [CONTACTS]): Promise<{ h: TestKernel; tenant: TestTenant; manager: TestSession }> {
  const h = await createTestKernel(t, { plugins })
  const tenant = await h.createTenant()
  const manager = await h.login(tenant, 'manager')
  return { h, tenant, manager }
}

/** POST and expect a status; returns the JSON body. */
export async function ok(session: TestSession, method: 'POST' | 'PATCH' | 'GET' | 'DELETE', url: string, payload?: unknown, status = method === 'POST' ? 201 : 200) {
  const res = await session.inject({ method, url, payload: payload as any })
  if (res.statusCode !== status) throw new Error(`${method} ${url} → ${res.statusCode} ${res.body}`)
  return res.body ? res.json() : null
}

export type Part = { name: string; value: string } | { name: string; filename: string; type?: string; data: Buffer | string }

/** A multipart/form-data body built by hand, so tests control every byte. */
export function multipart(parts: Part[]): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----sapa-test-${randomBytes(8).toString('hex')}`
  const chunks: Buffer[] = []
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`
    if ('filename' in part) head += `; filename="${part.filename}"\r\nContent-Type: ${part.type ?? 'application/octet-stream'}`
    chunks.push(Buffer.from(`${head}\r\n\r\n`, 'utf8'))
    chunks.push('filename' in part ? Buffer.from(part.data) : Buffer.from(part.value, 'utf8'))
    chunks.push(Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }
}

/** Upload a file to /api/contacts/imports. */
export function upload(session: TestSession, file: { data: Buffer | string; filename?: string; type?: string }, fields: Record<string, string> = {}) {
  const body = multipart([
    { name: 'file', filename: file.filename ?? 'contacts.csv', type: file.type ?? 'text/csv', data: file.data },
    ...Object.entries(fields).map(([name, value]) => ({ name, value })),
  ])
  return session.inject({ method: 'POST', url: '/api/contacts/imports', payload: body.payload, headers: body.headers })
}

/** Upload and wait for the import to finish; returns its final state. */
export async function importFile(session: TestSession, file: { data: Buffer | string; filename?: string; type?: string }, fields: Record<string, string> = {}, ms = 30_000) {
  const res = await upload(session, file, fields)
  if (res.statusCode !== 202) throw new Error(`import upload → ${res.statusCode} ${res.body}`)
  const { id } = res.json()
  return until(async () => {
    const state = (await session.inject({ method: 'GET', url: `/api/contacts/imports/${id}` })).json()
    return (state.status === 'completed' || state.status === 'failed') && state
  }, ms, 50)
}
