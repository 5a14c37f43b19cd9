import type { FastifyRequest } from 'fastify'
import type { Knex } from 'knex'
import { newId } from '../db/ids.ts'
import { createBatcher, type Batcher } from '../db/batcher.ts'
import type { Clock } from '../clock.ts'

export interface AuditEntry {
  tenantId: string | null
  action: string // '<area>.<thing>.<verb>', e.g. 'kernel.user.invited'
  targetType?: string
  targetId?: string
  summary?: Record<string, unknown>
}

export interface Actor {
  type: 'user' | 'api_key' | 'system' | 'anonymous'
  id: string | null
  label: string | null
  ip: string | null
  userAgent: string | null
}

export function actorOf(req: FastifyRequest): Actor {
  const p = req.principal
  const base = { ip: req.ip ?? null, userAgent: (req.headers['user-agent'] ?? '').slice(0, 512) || null }
  if (p?.user) return { type: 'user', id: p.user.id, label: p.user.email, ...base }
  if (p?.apiKey) return { type: 'api_key', id: p.apiKey.id, label: p.apiKey.name, ...base }
  return { type: 'anonymous', id: null, label: null, ...base }
}

export const systemActor: Actor = { type: 'system', id: null, label: 'system', ip: null, userAgent: null }

/**
 * The audit log is append-only (a trigger refuses UPDATE and DELETE). Write the entry with
 * the same transaction as the change it describes, so there is never one without the other.
 * Entries written outside a transaction at the same moment (a burst of API calls, each waiting
 * for its own entry) go in together, as one multi-row insert: one round trip and one commit for
 * many (see createBatcher), instead of one each.
 */
export function createAudit(deps: { clock: Clock }) {
  const batchers = new WeakMap<Knex, Batcher<Record<string, unknown>, void>>()
  const batcherFor = (db: Knex): Batcher<Record<string, unknown>, void> => {
    let batcher = batchers.get(db)
    if (!batcher) {
      batcher = createBatcher(async (rows: Record<string, unknown>[]) => {
        await db('audit_log').insert(rows)
        return rows.map(() => undefined)
      })
      batchers.set(db, batcher)
    }
    return batcher
  }

  return {
    async record(db: Knex | Knex.Transaction, actor: Actor | FastifyRequest, entry: AuditEntry): Promise<void> {
      const who = 'headers' in actor ? actorOf(actor) : actor
      const row = {
        id: newId(),
        tenant_id: entry.tenantId,
        actor_type: who.type,
        actor_id: who.id,
        actor_label: who.label,
        action: entry.action,
        target_type: entry.targetType ?? null,
        target_id: entry.targetId ?? null,
        ip: who.ip,
        user_agent: who.userAgent,
        summary: entry.summary ? JSON.stringify(entry.summary) : null,
        created_at: deps.clock.now(),
      }
      if ((db as Knex.Transaction).isTransaction) await db('audit_log').insert(row)
      else await batcherFor(db as Knex)(row)
    },
  }
}

export type Audit = ReturnType<typeof createAudit>
