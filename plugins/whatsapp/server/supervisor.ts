import type { PluginContext } from '@sapa/sdk'
import { createDriver, drivers, type DriverName } from './drivers/registry.ts'
import type { SessionStatus, SessionStatusDetail, WhatsAppDriver } from './drivers/port.ts'
import { WaSession } from './models.ts'
import { createStateStore } from './state-store.ts'
import { sessionView } from './views.ts'
import { sendQueue, type Outbound } from './outbound.ts'
import type { Inbound } from './inbound.ts'

interface Live {
  tenantId: string
  sessionId: string
  driver: WhatsAppDriver
  status: SessionStatus
  processing: boolean
  /** Status writes of this number, one after another (see events.status below). */
  statusWrites: Promise<void>
}

export const WAKE_CHANNEL = 'whatsapp.sessions.wake'

/**
 * Runs the numbers this worker owns. Each number is owned by exactly one worker through a lease
 * in its row, renewed every third of its TTL; a worker that dies stops renewing and another claims
 * the number once the lease runs out. Cross-tenant by nature (it serves every tenant's numbers),
 * so it reads `whatsapp_sessions` directly; everything it writes goes to the one row it owns.
 */
export function createSupervisor(ctx: PluginContext<any>, deps: { outbound: Outbound; inbound: Inbound; leaseMs: number }) {
  const live = new Map<string, Live>()
  const me = ctx.nodeId
  let timer: NodeJS.Timeout | null = null
  let running: Promise<void> | null = null
  let again = false
  let stopped = false

  const leaseUntil = () => new Date(Date.now() + deps.leaseMs)

  async function setStatus(l: Live, status: SessionStatus, detail: SessionStatusDetail = {}) {
    const changes: Record<string, unknown> = { status, status_detail: JSON.stringify(detail), updated_at: new Date() }
    if (detail.phone) changes.phone = detail.phone
    const rows = await ctx.db('whatsapp_sessions').where({ tenant_id: l.tenantId, id: l.sessionId, owner: me }).update(changes).returning('*')
    // A number stopped meanwhile (disconnect, release) must not get its queue back.
    if (status === 'connected' && live.get(l.sessionId) === l) await startProcessing(l)
    else await stopProcessing(l)
    if (!rows.length) return
    const view = sessionView(WaSession.fromJson(rows[0], { skipValidation: true }) as WaSession)
    await ctx.realtime.publish(l.tenantId, `session:${l.sessionId}`, 'status', view)
    await ctx.events.publish('whatsapp.session.status', { tenantId: l.tenantId, sessionId: l.sessionId, status, phone: view.phone, error: view.error })
  }

  async function startProcessing(l: Live) {
    if (l.processing) return
    const row = await WaSession.of(l.tenantId).findById(l.sessionId)
    const rate = row?.settings?.ratePerSecond ?? drivers.get(row?.driver as DriverName)?.defaultRatePerSecond ?? 10
    l.processing = true
    // One queue per number: its limiter slows this number only. Concurrency > 1 keeps throughput;
    // the per-recipient mutex in the processor keeps each conversation in order.
    await ctx.jobs.define(sendQueue(l.sessionId), (job) => deps.outbound.process(job, () => (live.get(l.sessionId)?.status === 'connected' ? l.driver : null)), {
      concurrency: 64,
      // A send held by a worker that died comes back within ~15 s, not BullMQ's default minute.
      lockDurationMs: 10_000,
      stalledIntervalMs: 5_000,
      ...(rate > 0 ? { limiter: { max: rate, duration: 1000 } } : {}),
    })
  }

  async function stopProcessing(l: Live) {
    if (!l.processing) return
    l.processing = false
    // Queued messages stay in the queue and go out when the number is back.
    await ctx.jobs.undefine(sendQueue(l.sessionId))
  }

  async function start(row: WaSession) {
    const tenantId = row.tenant_id
    let config: Record<string, unknown>
    try {
      config = JSON.parse(ctx.secrets.decryptString(row.config_sealed))
    } catch {
      await ctx.db('whatsapp_sessions').where({ id: row.id, owner: me }).update({ status: 'failed', status_detail: JSON.stringify({ error: 'Its configuration cannot be decrypted (was APP_SECRET changed?)' }), desired: 'disconnected' })
      return
    }
    const l: Live = { tenantId, sessionId: row.id, driver: null as unknown as WhatsAppDriver, status: 'disconnected', processing: false, statusWrites: Promise.resolve() }
    l.driver = createDriver(row.driver, {
      tenantId,
      sessionId: row.id,
      config,
      logger: ctx.logger as any,
      now: () => ctx.clock.now(),
      state: createStateStore(ctx.db, ctx.secrets, tenantId, row.id),
      events: {
        // Drivers report statuses back to back (connecting, then qr at once): written concurrently on
        // two pool connections the older one could land last and the row would show "connecting"
        // under a live QR, with realtime out of order too. So they are written one after another;
        // the in-memory status (what sends check) changes at once.
        status: (status, detail) => {
          l.status = status
          l.statusWrites = l.statusWrites
            .then(() => setStatus(l, status, detail))
            .catch((err) => ctx.logger.error({ err, sessionId: row.id }, 'session status not saved'))
        },
        inbound: async (message) => void (await deps.inbound.message(tenantId, row.id, message)),
        // Drivers fire receipts from timers and sockets without waiting: a failure is logged here,
        // never left as an unhandled rejection (one arriving during shutdown ended the process).
        ack: async (update) => {
          try {
            await deps.inbound.ack(tenantId, row.id, update)
          } catch (err) {
            ctx.logger.warn({ err, sessionId: row.id, providerId: update.providerId }, 'delivery receipt not applied')
          }
        },
      },
    })
    live.set(row.id, l)
    const pairingPhone = (row.status_detail as { pairingPhone?: string } | null)?.pairingPhone
    await l.driver.connect(pairingPhone ? { pairingPhone } : undefined)
  }

  async function stop(sessionId: string, how: 'disconnect' | 'logout' | 'release') {
    const l = live.get(sessionId)
    if (!l) return
    live.delete(sessionId)
    await stopProcessing(l)
    if (how === 'logout') await l.driver.logout().catch((err) => ctx.logger.warn({ err, sessionId }, 'logout failed'))
    else if (how === 'disconnect') await l.driver.disconnect().catch((err) => ctx.logger.warn({ err, sessionId }, 'disconnect failed'))
    else await l.driver.disconnect().catch(() => {})
    if (how !== 'release') {
      const status = how === 'logout' ? 'logged_out' : 'disconnected'
      const rows = await ctx.db('whatsapp_sessions').where({ id: sessionId, owner: me }).update({ status, status_detail: '{}', owner: null, lease_until: null, desired: 'disconnected', updated_at: new Date() }).returning('*')
      if (rows.length) {
        const view = sessionView(WaSession.fromJson(rows[0], { skipValidation: true }) as WaSession)
        await ctx.realtime.publish(l.tenantId, `session:${sessionId}`, 'status', view)
        await ctx.events.publish('whatsapp.session.status', { tenantId: l.tenantId, sessionId, status })
      }
    }
  }

  async function tick() {
    const now = new Date()
    // 1. Renew what we hold. What we could not renew was taken over (let it go here) or deleted:
    //    a deleted number's row, and with it its "logout" request, is gone, so it is logged out here.
    if (live.size) {
      const renewed = new Set(
        await ctx.db('whatsapp_sessions').whereIn('id', [...live.keys()]).andWhere({ owner: me }).update({ lease_until: leaseUntil() }).returning('id').then((rows: any[]) => rows.map((r) => r.id)),
      )
      const lost = [...live.keys()].filter((id) => !renewed.has(id))
      const remaining = lost.length ? new Set((await ctx.db('whatsapp_sessions').whereIn('id', lost).select('id')).map((r: any) => r.id)) : new Set()
      for (const id of lost) await stop(id, remaining.has(id) ? 'release' : 'logout')
    }
    // 2. Do what owners were asked: disconnect or log out.
    const asked = await ctx.db('whatsapp_sessions').where({ owner: me }).whereIn('desired', ['disconnected', 'logout']).select('id', 'desired')
    for (const row of asked) await stop(row.id, row.desired === 'logout' ? 'logout' : 'disconnect')
    // A logout of a number nobody runs: forget its credentials here.
    const orphanLogouts = await ctx.db('whatsapp_sessions').where({ desired: 'logout' }).andWhere((q) => q.whereNull('owner').orWhere('lease_until', '<', now)).select('*')
    for (const row of orphanLogouts) {
      await ctx.db('whatsapp_driver_state').where({ tenant_id: row.tenant_id, session_id: row.id }).delete()
      await ctx.db('whatsapp_sessions').where({ id: row.id }).update({ desired: 'disconnected', status: 'logged_out', owner: null, lease_until: null, status_detail: '{}' })
    }
    // 3. Claim numbers that should run and have no live owner (new, or their worker died).
    const candidates = await ctx
      .db('whatsapp_sessions')
      .where({ desired: 'connected' })
      .andWhere((q) => q.whereNull('owner').orWhere('lease_until', '<', now))
      .orderBy('updated_at')
      .limit(50)
      .select('id')
    for (const { id } of candidates) {
      const [claimed] = await ctx
        .db('whatsapp_sessions')
        .where({ id, desired: 'connected' })
        .andWhere((q) => q.whereNull('owner').orWhere('lease_until', '<', now))
        .update({ owner: me, lease_until: leaseUntil() })
        .returning('*')
      if (claimed && !live.has(id)) {
        await start(WaSession.fromJson(claimed, { skipValidation: true }) as WaSession).catch((err) => ctx.logger.error({ err, sessionId: id }, 'number failed to start'))
      }
    }
    // 4. Messages waiting too long for a number that is not connected fail with a clear reason.
    // A number's own holdMinutes, else its tenant's default (plugin settings), decides.
    const waitingFor = (tenantId: string | null) => {
      const q = ctx
        .db('whatsapp_messages as m')
        .join('whatsapp_sessions as s', function () {
          this.on('s.id', '=', 'm.session_id').andOn('s.tenant_id', '=', 'm.tenant_id')
        })
        .where('m.status', 'queued')
        .andWhere('m.direction', 'out')
        .whereNull('m.sent_at') // implied by queued; matches the partial index of unsent messages
        .whereNot('s.status', 'connected')
      return tenantId ? q.where('m.tenant_id', tenantId) : q
    }
    // The cast matters: an untyped parameter minus an interval is read as interval - interval,
    // and "timestamptz < interval" failed the whole tick, so nothing ever timed out.
    const olderThan = (minutes: string | number) => ctx.db.raw(`?::timestamptz - (${minutes} * interval '1 minute')`, [ctx.clock.now()])
    const tenants = await waitingFor(null).andWhere('m.created_at', '<', olderThan(1)).distinct('m.tenant_id').limit(100)
    const waiting: { tenant_id: string; id: string }[] = []
    for (const { tenant_id: tenantId } of tenants) {
      const { holdMinutes } = await ctx.settings(tenantId)
      // Validated on save; checked again because it is written into the SQL below.
      const hold = Number.isInteger(holdMinutes) ? holdMinutes : 60
      waiting.push(...(await waitingFor(tenantId).andWhere('m.created_at', '<', olderThan(`coalesce((s.settings->>'holdMinutes')::int, ${hold})`)).limit(500).select('m.tenant_id', 'm.id')))
    }
    for (const m of waiting) await deps.outbound.fail(m.tenant_id, m.id, 'The WhatsApp number stayed disconnected past the hold time')
    // 5. Rows of our connected numbers left queued with no job behind them go back in the queue.
    const stale = new Date(ctx.clock.now().getTime() - 2 * 60_000)
    for (const l of live.values()) {
      if (l.status === 'connected') await deps.outbound.reconcile(l.tenantId, l.sessionId, stale)
    }
  }

  /** Run a tick now (coalescing: a request during a tick runs one more right after it). */
  function kick(): Promise<void> {
    if (stopped) return Promise.resolve()
    if (running) {
      again = true
      return running
    }
    running = (async () => {
      do {
        again = false
        await tick().catch((err) => ctx.logger.error({ err }, 'whatsapp supervisor tick failed'))
      } while (again && !stopped)
    })().finally(() => {
      running = null
    })
    return running
  }

  return {
    start() {
      stopped = false
      ctx.nodes.subscribe(WAKE_CHANNEL, () => void kick())
      timer = setInterval(() => void kick(), Math.max(250, Math.floor(deps.leaseMs / 3)))
      timer.unref()
      return kick()
    },
    kick,
    driverOf: (sessionId: string) => live.get(sessionId)?.driver ?? null,
    /** Shutdown: stop the drivers and hand the leases back so another worker takes over at once. */
    async close() {
      stopped = true
      if (timer) clearInterval(timer)
      await running
      const ids = [...live.keys()]
      for (const id of ids) await stop(id, 'release')
      if (ids.length) await ctx.db('whatsapp_sessions').whereIn('id', ids).andWhere({ owner: me }).update({ owner: null, lease_until: null })
    },
  }
}

export type Supervisor = ReturnType<typeof createSupervisor>
