import {
  BufferJSON,
  initAuthCreds,
  makeCacheableSignalKeyStore,
  proto,
  type AuthenticationCreds,
  type AuthenticationState,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
} from '@whiskeysockets/baileys'
import type { DriverStateStore } from '../port.ts'
import type { BaileysLogger } from './logger.ts'

/**
 * Baileys' auth state ({creds, keys}) kept in the driver's sealed DriverStateStore instead of files.
 *
 * Layout in the store (string values, JSON written with Baileys' BufferJSON so Buffers survive):
 *   `creds`             → the AuthenticationCreds
 *   `key:<type>:<id>`   → one signal key (pre-key, session, sender-key, app-state-sync-key, …)
 * Other prefixes in the same store belong to the driver (`lid:`, `pacing:`).
 */
export const CREDS_KEY = 'creds'
export const signalKey = (type: string, id: string) => `key:${type}:${id}`

export interface SealedAuthState {
  state: AuthenticationState
  /** Persist the current creds (call on every `creds.update`). */
  saveCreds(): Promise<void>
  /** Forget everything in the store (logged out). This instance writes nothing afterwards. */
  clear(): Promise<void>
  /** Resolves when every write issued so far has reached the store. */
  flush(): Promise<void>
}

export function serialise(value: unknown): string {
  return JSON.stringify(value, BufferJSON.replacer)
}

export function deserialise<T = any>(text: string): T {
  return JSON.parse(text, BufferJSON.reviver) as T
}

export async function useSealedAuthState(store: DriverStateStore, options: { logger?: BaileysLogger } = {}): Promise<SealedAuthState> {
  const stored = await store.get(CREDS_KEY)
  const creds: AuthenticationCreds = stored ? deserialise<AuthenticationCreds>(stored) : initAuthCreds()
  let cleared = false
  // Writes go through one chain, in order: a creds save issued before a clear() can never land after it.
  let chain: Promise<void> = Promise.resolve()
  const write = (work: () => Promise<void>): Promise<void> => {
    const next = chain.then(() => (cleared ? undefined : work()))
    chain = next.catch(() => {})
    return next
  }

  const raw: SignalKeyStore = {
    async get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
      const found = await store.getMany(ids.map((id) => signalKey(type, id)))
      const out: { [id: string]: SignalDataTypeMap[T] } = {}
      for (const id of ids) {
        const text = found[signalKey(type, id)]
        if (text == null) continue
        let value = deserialise(text)
        if (type === 'app-state-sync-key' && value) value = proto.Message.AppStateSyncKeyData.fromObject(value)
        out[id] = value
      }
      return out
    },
    async set(data: SignalDataSet) {
      const entries: Record<string, string | null> = {}
      for (const type of Object.keys(data) as (keyof SignalDataSet)[]) {
        const values = data[type]
        if (!values) continue
        for (const [id, value] of Object.entries(values)) {
          entries[signalKey(type, id)] = value == null ? null : serialise(value)
        }
      }
      if (Object.keys(entries).length) await write(() => store.set(entries))
    },
  }

  const keys = makeCacheableSignalKeyStore(raw, options.logger)

  return {
    state: { creds, keys },
    saveCreds: () => write(() => store.set({ [CREDS_KEY]: serialise(creds) })),
    async clear() {
      await write(async () => {
        cleared = true
        // Drops the in-memory key cache too; the raw store has no clear(), so this touches nothing else.
        await keys.clear?.()
        await store.clear()
      })
    },
    flush: () => chain,
  }
}
