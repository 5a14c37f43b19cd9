import path from 'node:path'
import { createTestKernel, type TestKernel, type TestSession, type TestTenant } from '@sapa/sdk/testing'

export const INBOX = path.resolve(import.meta.dirname, '../..')
export const WHATSAPP = path.resolve(INBOX, '../whatsapp')
export const CONTACTS = path.resolve(INBOX, '../contacts')

export async function until<T>(fn: () => Promise<T | undefined | null | false>, ms = 8000, step = 20): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await fn()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`)
    await new Promise((r) => setTimeout(r, step))
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export interface Workspace {
  h: TestKernel
  tenant: TestTenant
  /** admin: every inbox permission, including view_all. */
  admin: TestSession
  session: { id: string }
  /** A customer writes in through the sandbox number. */
  inbound(from: string, text: string, extra?: Record<string, unknown>): Promise<string>
  /** The conversation of a phone, as the admin sees it (waits for it). */
  conversationOf(phone: string, match?: (c: any) => boolean): Promise<any>
  thread(conversationId: string, as?: TestSession): Promise<any[]>
  team(name: string, members: string[], extra?: Record<string, unknown>): Promise<any>
  agent(role: string, teamIds?: string[]): Promise<TestSession>
  get(who: TestSession, url: string): Promise<any>
  post(who: TestSession, url: string, payload?: unknown): Promise<any>
  /** Runs the inbox's maintenance job now (auto-away, snooze wake-up) and waits for it. */
  maintenance(): Promise<void>
  /** Waits until the inbox's queues are empty and the bus delivered everything. */
  idle(): Promise<void>
}

/** A kernel with whatsapp, contacts and inbox; a tenant with an admin and a connected sandbox number. */
export async function workspace(t: Parameters<typeof createTestKernel>[0], existing?: TestKernel): Promise<Workspace> {
  const h = existing ?? (await createTestKernel(t, { plugins: [WHATSAPP, CONTACTS, INBOX] }))
  const tenant = await h.createTenant()
  const admin = await h.login(tenant, 'admin')
  const created = await admin.inject({ method: 'POST', url: '/api/whatsapp/sessions', payload: { name: 'Sales', driver: 'sandbox', config: { ackDelays: { deliveredMs: 20, readMs: 40 } } } })
  if (created.statusCode !== 201) throw new Error(created.body)
  const session = created.json()
  await admin.inject({ method: 'POST', url: `/api/whatsapp/sessions/${session.id}/connect` })
  await until(async () => (await admin.inject({ method: 'GET', url: `/api/whatsapp/sessions/${session.id}` })).json().status === 'connected')

  const get = async (who: TestSession, url: string) => {
    const res = await who.inject({ method: 'GET', url })
    return { status: res.statusCode, body: res.body ? res.json() : null }
  }
  const post = async (who: TestSession, url: string, payload?: unknown) => {
    const res = await who.inject({ method: 'POST', url, payload: payload as any })
    return { status: res.statusCode, body: res.body ? res.json() : null }
  }
  const ws: Workspace = {
    h,
    tenant,
    admin,
    session,
    get,
    post,
    async inbound(from, text, extra = {}) {
      const res = await admin.inject({ method: 'POST', url: `/api/whatsapp/sandbox/${session.id}/inbound`, payload: { from, type: 'text', text, ...extra } })
      if (res.statusCode !== 202) throw new Error(res.body)
      return res.json().providerId
    },
    async conversationOf(phone, match = () => true) {
      return until(async () => {
        const list = (await get(admin, '/api/inbox/conversations?limit=100')).body
        return list.items.find((c: any) => c.contact.phone === phone && match(c))
      })
    },
    async thread(conversationId, as = admin) {
      const res = await get(as, `/api/inbox/conversations/${conversationId}/messages?limit=100`)
      if (res.status !== 200) throw new Error(JSON.stringify(res.body))
      return res.body.items
    },
    async team(name, members, extra = {}) {
      const res = await post(admin, '/api/inbox/teams', { name, ...extra })
      if (res.status !== 201) throw new Error(JSON.stringify(res.body))
      for (const userId of members) {
        const added = await post(admin, `/api/inbox/teams/${res.body.id}/members`, { userId })
        if (added.status !== 201) throw new Error(JSON.stringify(added.body))
      }
      return res.body
    },
    async agent(role, teamIds = []) {
      const who = await h.login(tenant, role)
      for (const teamId of teamIds) {
        const added = await post(admin, `/api/inbox/teams/${teamId}/members`, { userId: who.user.id })
        if (added.status !== 201) throw new Error(JSON.stringify(added.body))
      }
      return who
    },
    async maintenance() {
      await h.services.queue.add('inbox.maintenance', 'maintenance', { tenantId: tenant.id })
      await ws.idle()
    },
    async idle() {
      for (let round = 0; round < 3; round++) {
        await h.services.bus.drain()
        await until(async () => {
          const counts = await h.services.queue.counts()
          return Object.entries(counts).every(([q, c]) => !q.startsWith('inbox.') || (c.waiting === 0 && c.active === 0))
        })
      }
      await h.services.bus.drain()
    },
  }
  return ws
}
