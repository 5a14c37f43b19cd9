import type { Knex } from 'knex'
import type { PluginSecrets } from '@sapa/sdk'
import type { DriverStateStore } from './drivers/port.ts'

/**
 * A driver's private state (Baileys' auth keys) in Postgres, each value sealed with the kernel's
 * secrets (AES-256-GCM): never in files, never readable from a database dump alone.
 */
export function createStateStore(db: Knex, secrets: PluginSecrets, tenantId: string, sessionId: string): DriverStateStore {
  const scope = { tenant_id: tenantId, session_id: sessionId }
  return {
    async get(key) {
      const row = await db('whatsapp_driver_state').where({ ...scope, key }).first('value')
      return row ? secrets.decryptString(row.value) : null
    },
    async getMany(keys) {
      if (!keys.length) return {}
      const rows = await db('whatsapp_driver_state').where(scope).whereIn('key', keys).select('key', 'value')
      return Object.fromEntries(rows.map((r) => [r.key, secrets.decryptString(r.value)]))
    },
    async set(entries) {
      const writes = Object.entries(entries)
      if (!writes.length) return
      await db.transaction(async (trx) => {
        const removed = writes.filter(([, v]) => v === null).map(([k]) => k)
        const upserts = writes.filter(([, v]) => v !== null).map(([key, value]) => ({ ...scope, key, value: secrets.encrypt(value as string) }))
        if (removed.length) await trx('whatsapp_driver_state').where(scope).whereIn('key', removed).delete()
        if (upserts.length) await trx('whatsapp_driver_state').insert(upserts).onConflict(['tenant_id', 'session_id', 'key']).merge(['value'])
      })
    },
    async clear() {
      await db('whatsapp_driver_state').where(scope).delete()
    },
  }
}
