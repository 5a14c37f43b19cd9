import path from 'node:path'
import { createTestKernel, type TestKernel, type TestSession } from '@sapa/sdk/testing'

export const WHATSAPP = path.resolve(import.meta.dirname, '../..')

export async function until<T>(fn: () => Promise<T | undefined | null | false>, ms = 5000, step = 25): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await fn()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`)
    await new Promise((r) => setTimeout(r, step))
  }
}

/** A kernel with the whatsapp plugin, a tenant, an admin session and a connected sandbox number. */
export async function sandboxNumber(t: Parameters<typeof createTestKernel>[0], config: Record<string, unknown> = { ackDelays: { deliveredMs: 30, readMs: 60 } }) {
  const h: TestKernel = await createTestKernel(t, { plugins: [WHATSAPP] })
  const tenant = await h.createTenant()
  const admin: TestSession = await h.login(tenant, 'admin')
  const created = await admin.inject({ method: 'POST', url: '/api/whatsapp/sessions', payload: { name: 'Sales', driver: 'sandbox', config } })
  if (created.statusCode !== 201) throw new Error(created.body)
  const session = created.json()
  await admin.inject({ method: 'POST', url: `/api/whatsapp/sessions/${session.id}/connect` })
  await until(async () => (await admin.inject({ method: 'GET', url: `/api/whatsapp/sessions/${session.id}` })).json().status === 'connected')
  return { h, tenant, admin, session }
}
