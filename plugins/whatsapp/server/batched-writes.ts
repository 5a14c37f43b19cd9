import { createBatcher, preparedQuery, type PluginContext } from '@sapa/sdk'
import type { DeliveryStatus } from './drivers/port.ts'
import { STATUS_RANK } from './status.ts'
import type { MessageRow } from './models.ts'

/**
 * The statements every message goes through, batched (group commit, see createBatcher): under load
 * one round trip carries hundreds of messages instead of one. Each batch is one statement, so it is
 * all-or-nothing; a batch that fails is retried message by message by the batcher.
 * Items travel as one JSON parameter (`jsonb_to_recordset`), the same SQL for Postgres and PGlite.
 */
/** A new message row as the pipelines write it (payload as JSON text). */
export interface MessageInsert {
  tenant_id: string
  id: string
  session_id: string
  direction: 'in' | 'out'
  provider_id?: string | null
  peer: string
  peer_name?: string | null
  type: string
  text?: string | null
  media_id?: string | null
  payload?: string | null
  reply_to?: string | null
  status: string
  status_rank: number
  idempotency_key?: string | null
  created_at: Date
  updated_at: Date
}

const COLUMN_TYPES: Record<keyof MessageInsert, string> = {
  tenant_id: 'uuid', id: 'uuid', session_id: 'uuid', direction: 'text', provider_id: 'text', peer: 'text', peer_name: 'text',
  type: 'text', text: 'text', media_id: 'uuid', payload: 'text', reply_to: 'text', status: 'text', status_rank: 'int',
  idempotency_key: 'text', created_at: 'timestamptz', updated_at: 'timestamptz',
}

/**
 * Strings as Postgres' JSON accepts them: a lone UTF-16 surrogate (half an emoji cut by a client)
 * is an error in JSON, where as a text parameter it used to become U+FFFD; now it does so here.
 */
function wellFormed(row: MessageInsert): MessageInsert {
  let copy: Record<string, unknown> | null = null
  for (const key in row) {
    const value = (row as unknown as Record<string, unknown>)[key]
    if (typeof value === 'string' && !(value as any).isWellFormed()) (copy ??= { ...row })[key] = (value as any).toWellFormed()
  }
  return (copy ?? row) as MessageInsert
}

/** The stored row: the one given plus what the table fills in for a new row (see the migration). */
function storedRow(r: MessageInsert): MessageRow {
  return {
    tenant_id: r.tenant_id, id: r.id, session_id: r.session_id, direction: r.direction, provider_id: r.provider_id ?? null,
    peer: r.peer, peer_name: r.peer_name ?? null, type: r.type, text: r.text ?? null, media_id: r.media_id ?? null,
    payload: r.payload == null ? null : JSON.parse(r.payload), reply_to: r.reply_to ?? null, status: r.status,
    status_rank: r.status_rank, error: null, attempts: 0, idempotency_key: r.idempotency_key ?? null,
    sent_at: null, delivered_at: null, read_at: null, created_at: r.created_at, updated_at: r.updated_at,
  }
}

export function createBatchedWrites(ctx: PluginContext<any>) {
  const db = ctx.db
  const json = (items: unknown[]) => JSON.stringify(items)
  const rowsOf = (result: any): any[] => result.rows ?? result

  /** Each (tenant, number)'s driver, or null where there is no such number. */
  const sessionDriver = createBatcher(async (items: { tenantId: string; id: string }[]) => {
    const found = (await db('whatsapp_sessions').whereIn(['tenant_id', 'id'], items.map((i) => [i.tenantId, i.id])).select('tenant_id', 'id', 'driver')) as any[]
    const drivers = new Map<string, string>(found.map((r) => [`${r.tenant_id}/${r.id}`, r.driver]))
    return items.map((i) => drivers.get(`${i.tenantId}/${i.id}`) ?? null)
  })

  /**
   * Inserts rows, skipping the ones that collide with a unique key (an inbound provider id, an
   * idempotency key) — also with each other. Each item gets its stored row, or null if it was skipped.
   * Only the ids come back: the stored row is the one given plus the columns' defaults, so Postgres
   * does not send, nor Node parse, every column of every row (most of the insert's cost on the hot path).
   */
  function insertIgnoring(conflict: string) {
    return createBatcher(async (given: MessageInsert[]): Promise<(MessageRow | null)[]> => {
      const rows = given.map(wellFormed)
      const columns = Object.keys(rows[0]) as (keyof MessageInsert)[]
      const values = columns.map((c) => (c === 'payload' ? 'payload::jsonb' : c)).join(', ')
      const types = columns.map((c) => `${c} ${COLUMN_TYPES[c]}`).join(', ')
      const inserted = await preparedQuery<{ id: string }>(db,
        `insert into whatsapp_messages (${columns.join(', ')}) select ${values} from jsonb_to_recordset(cast($1 as jsonb)) as q(${types})
         on conflict ${conflict} do nothing returning id`,
        [json(rows)],
      )
      const stored = new Set(inserted.map((r) => r.id))
      return rows.map((r) => (stored.has(r.id) ? storedRow(r) : null))
    })
  }

  /**
   * The send job's claim: marks the message "sending" if it still waits (queued, or left sending),
   * and finds earlier messages to the same recipient on the same number still "sending".
   */
  const claim = createBatcher(async (items: { tenantId: string; id: string; peer: string }[]) => {
    const now = ctx.clock.now()
    const result = await db.raw(
      `with q as (select * from jsonb_to_recordset(cast(:items as jsonb)) as q(tenant_id uuid, id uuid, peer text)),
       claimed as (
         update whatsapp_messages m set status = 'sending', status_rank = :sending, attempts = m.attempts + 1, updated_at = :now
         from q where m.tenant_id = q.tenant_id and m.id = q.id and m.status_rank <= :sending
         returning m.*)
       select true as claimed, c.id as for_id, c.* from claimed c
       union all
       select false as claimed, q.id as for_id, e.*
       from q join claimed c on c.tenant_id = q.tenant_id and c.id = q.id
       cross join lateral (
         select * from whatsapp_messages m
         where m.tenant_id = q.tenant_id and m.session_id = c.session_id and m.peer = q.peer and m.id < q.id
           and m.direction = 'out' and m.sent_at is null and m.status = 'sending'
         order by m.id limit 50) e`,
      { items: json(items.map((i) => ({ tenant_id: i.tenantId, id: i.id, peer: i.peer }))), sending: STATUS_RANK.sending, now },
    )
    const byItem = new Map<string, { own: any | null; earlier: any[] }>(items.map((i) => [i.id, { own: null, earlier: [] }]))
    for (const { claimed, for_id, ...row } of rowsOf(result)) {
      const entry = byItem.get(for_id)!
      if (claimed) entry.own = row
      else entry.earlier.push(row)
    }
    for (const entry of byItem.values()) entry.earlier.sort((a, b) => (a.id < b.id ? -1 : 1))
    return items.map((i) => byItem.get(i.id)!)
  })

  /** The provider took the message: "sent" unless an ack already moved it further. */
  const markSent = createBatcher(async (items: { tenantId: string; id: string; providerId: string; countAttempt: boolean }[]) => {
    const now = ctx.clock.now()
    const result = await db.raw(
      `update whatsapp_messages m set provider_id = q.provider_id,
         status = case when m.status_rank < :sent then 'sent' else m.status end,
         status_rank = greatest(m.status_rank, :sent), sent_at = :now, error = null, updated_at = :now,
         attempts = m.attempts + q.extra
       from jsonb_to_recordset(cast(:items as jsonb)) as q(tenant_id uuid, id uuid, provider_id text, extra int)
       where m.tenant_id = q.tenant_id and m.id = q.id
       returning m.*`,
      { items: json(items.map((i) => ({ tenant_id: i.tenantId, id: i.id, provider_id: i.providerId, extra: i.countAttempt ? 1 : 0 }))), sent: STATUS_RANK.sent, now },
    )
    const byId = new Map(rowsOf(result).map((r: any) => [r.id, r]))
    return items.map((i) => byId.get(i.id) ?? null)
  })

  /**
   * Delivery receipts, forward only: each applies when it ranks above the stored status. Receipts
   * for one message in the same batch (delivered and read together) go in successive statements, in
   * arrival order, so each is judged against the other's result.
   */
  const applyStatus = createBatcher(async (items: { tenantId: string; sessionId: string; providerId: string; status: DeliveryStatus; at: Date; error: string | null }[]) => {
    const results: (any | null)[] = new Array(items.length).fill(null)
    let pending = items.map((item, index) => ({ item, index }))
    while (pending.length) {
      const round: typeof pending = []
      const later: typeof pending = []
      const keys = new Set<string>()
      for (const p of pending) {
        const key = `${p.item.tenantId}/${p.item.sessionId}/${p.item.providerId}`
        ;(keys.has(key) ? later : round).push(p)
        keys.add(key)
      }
      const result = await db.raw(
        `update whatsapp_messages m set status = q.status, status_rank = q.rank, updated_at = :now,
           sent_at = case when q.status = 'sent' then q.at else m.sent_at end,
           delivered_at = case when q.status = 'delivered' then q.at else m.delivered_at end,
           read_at = case when q.status = 'read' then q.at else m.read_at end,
           error = case when q.status = 'failed' then q.error else m.error end
         from jsonb_to_recordset(cast(:items as jsonb)) as q(tenant_id uuid, session_id uuid, provider_id text, status text, rank int, at timestamptz, error text)
         where m.tenant_id = q.tenant_id and m.session_id = q.session_id and m.direction = 'out'
           and m.provider_id = q.provider_id and m.status_rank < q.rank
         returning m.*`,
        {
          now: ctx.clock.now(),
          items: json(round.map(({ item }) => ({ tenant_id: item.tenantId, session_id: item.sessionId, provider_id: item.providerId, status: item.status, rank: STATUS_RANK[item.status], at: item.at, error: item.error }))),
        },
      )
      const byKey = new Map(rowsOf(result).map((r: any) => [`${r.tenant_id}/${r.session_id}/${r.provider_id}`, r]))
      for (const { item, index } of round) results[index] = byKey.get(`${item.tenantId}/${item.sessionId}/${item.providerId}`) ?? null
      pending = later
    }
    return results
  })

  return {
    sessionDriver,
    insertOutbound: insertIgnoring('(tenant_id, idempotency_key) where idempotency_key is not null'),
    insertInbound: insertIgnoring('(tenant_id, session_id, direction, provider_id) where provider_id is not null'),
    claim,
    markSent,
    applyStatus,
  }
}

export type BatchedWrites = ReturnType<typeof createBatchedWrites>
