import type { Knex } from 'knex'
import { newId } from '../db/ids.ts'
import { watchCommit, type CommitWatch } from './after-commit.ts'
import type { Logger } from './logger.ts'

/**
 * Domain events between plugins, on the node that published them.
 *
 * - Handlers run once, asynchronously after `publish` returns, never inside the publisher's call
 *   stack. Durable work belongs in a queue: a handler that must not be lost enqueues a job.
 * - With `opts.trx`, delivery waits for that transaction to commit and is dropped if it rolls back.
 * - A handler that throws or rejects is logged and affects nobody else.
 * - A handler registered for a plugin is skipped for tenants where the gate says the plugin is off.
 * - The payload is copied when published (later changes by the publisher are not seen) and frozen:
 *   handlers share it and must not change it.
 */

export interface BusPayload {
  tenantId: string
  [key: string]: unknown
}

export interface BusEvent<P extends BusPayload = BusPayload> {
  readonly name: string
  readonly tenantId: string
  readonly payload: Readonly<P>
  /** UUIDv7 */
  readonly id: string
  /** ISO 8601 time of publication */
  readonly at: string
}

export type BusHandler = (event: BusEvent) => Promise<void> | void

/** Whether `plugin` is enabled for `tenantId`. */
export type BusGate = (plugin: string, tenantId: string) => boolean | Promise<boolean>

export interface PublishOptions {
  /** Deliver only after this transaction commits; drop the event if it rolls back. */
  trx?: Knex.Transaction
}

export interface OnOptions {
  /** The plugin owning the handler: it is not called for tenants that have the plugin disabled. */
  plugin?: string
}

export interface Bus {
  publish(name: string, payload: BusPayload, opts?: PublishOptions): Promise<void>
  /** `pattern` is an exact event name, `prefix.*` (any name under `prefix.`) or `*`. Returns `off`. */
  on(pattern: string, handler: BusHandler, opts?: OnOptions): () => void
  /** Sees every event delivered on this node, ungated (e.g. for realtime or metrics). Returns `off`. */
  onAny(listener: BusHandler): () => void
  /**
   * Resolves when every event ready for delivery has been delivered and its handlers have finished
   * (including events whose transaction has ended but whose outcome is still settling). Events
   * waiting for a transaction that is still open are not waited for. For tests and shutdown.
   */
  drain(): Promise<void>
}

export interface BusOptions {
  logger: Logger
  gate?: BusGate
}

const NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/
const MAX_NAME_LENGTH = 200

type Matcher = (name: string) => boolean

function compilePattern(pattern: string): Matcher {
  if (typeof pattern !== 'string' || pattern.length > MAX_NAME_LENGTH) throw new TypeError('bus pattern must be a string')
  if (pattern === '*') return () => true
  if (pattern.endsWith('.*')) {
    const base = pattern.slice(0, -2)
    if (!NAME.test(base)) throw new TypeError(`invalid bus pattern "${pattern}"`)
    const prefix = base + '.'
    return (name) => name.startsWith(prefix)
  }
  if (!NAME.test(pattern)) throw new TypeError(`invalid bus pattern "${pattern}" (exact name, "prefix.*" or "*")`)
  return (name) => name === pattern
}

function deepFreeze<T>(value: T): T {
  // Typed arrays (a Buffer in the payload) cannot be frozen; they are left as they are.
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value) && !ArrayBuffer.isView(value)) {
    Object.freeze(value)
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key])
  }
  return value
}

interface Registration {
  pattern: string
  matches: Matcher
  handler: BusHandler
  plugin?: string
  active: boolean
}

interface AwaitingCommit {
  watch: CommitWatch
  /** Settles once the outcome is known and the event is scheduled or dropped. */
  settled: Promise<void>
}

export function createBus(options: BusOptions): Bus {
  const { logger, gate } = options
  const handlers = new Set<Registration>()
  const listeners = new Set<{ listener: BusHandler; active: boolean }>()
  /** Scheduled deliveries and running handlers. */
  const inFlight = new Set<Promise<void>>()
  const awaitingCommit = new Set<AwaitingCommit>()

  const keep = (work: Promise<void>): void => {
    inFlight.add(work)
    void work.then(() => inFlight.delete(work))
  }

  async function runHandler(registration: Registration, event: BusEvent, allowed: (plugin: string) => Promise<boolean>) {
    const { plugin } = registration
    try {
      if (plugin !== undefined && !(await allowed(plugin))) return
      if (!registration.active) return
      await registration.handler(event)
    } catch (err) {
      logger.error(
        { err, event: event.name, eventId: event.id, tenantId: event.tenantId, plugin, pattern: registration.pattern },
        'bus handler failed',
      )
    }
  }

  async function runListener(entry: { listener: BusHandler; active: boolean }, event: BusEvent) {
    try {
      if (entry.active) await entry.listener(event)
    } catch (err) {
      logger.error({ err, event: event.name, eventId: event.id, tenantId: event.tenantId }, 'bus listener failed')
    }
  }

  async function deliver(event: BusEvent): Promise<void> {
    const gateAnswers = new Map<string, Promise<boolean>>()
    const allowed = (plugin: string): Promise<boolean> => {
      let answer = gateAnswers.get(plugin)
      if (!answer) {
        answer = (async () => (gate ? (await gate(plugin, event.tenantId)) === true : true))().catch((err: unknown) => {
          logger.error({ err, plugin, tenantId: event.tenantId, event: event.name }, 'bus gate failed; handler skipped')
          return false
        })
        gateAnswers.set(plugin, answer)
      }
      return answer
    }
    const calls: Promise<void>[] = []
    for (const registration of handlers) {
      if (registration.matches(event.name)) calls.push(runHandler(registration, event, allowed))
    }
    for (const entry of listeners) calls.push(runListener(entry, event))
    await Promise.all(calls)
  }

  function schedule(event: BusEvent): void {
    keep(new Promise<void>((resolve) => setImmediate(() => void deliver(event).then(resolve))))
  }

  return {
    async publish(name, payload, opts) {
      if (typeof name !== 'string' || name.length > MAX_NAME_LENGTH || !NAME.test(name)) {
        throw new TypeError(`invalid bus event name "${String(name)}"`)
      }
      if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
        throw new TypeError('bus payload must be an object')
      }
      const { tenantId } = payload
      if (typeof tenantId !== 'string' || tenantId.length === 0) throw new TypeError('bus payload needs a tenantId')
      let copy: BusPayload
      try {
        copy = structuredClone(payload)
      } catch (err) {
        throw new TypeError(`bus payload of "${name}" must be plain data: ${(err as Error).message}`)
      }
      const event: BusEvent = deepFreeze({ name, tenantId, payload: copy, id: newId(), at: new Date().toISOString() })

      const trx = opts?.trx
      if (!trx) {
        schedule(event)
        return
      }
      // Synchronously, before the publisher can reach commit or rollback.
      const watch = watchCommit(trx)
      const entry: AwaitingCommit = {
        watch,
        settled: watch.committed.then((committed) => {
          awaitingCommit.delete(entry)
          if (committed) schedule(event)
          else logger.debug({ event: name, eventId: event.id, tenantId }, 'bus event dropped: its transaction rolled back')
        }),
      }
      awaitingCommit.add(entry)
    },

    on(pattern, handler, opts) {
      if (typeof handler !== 'function') throw new TypeError('bus handler must be a function')
      const plugin = opts?.plugin
      if (plugin !== undefined && (typeof plugin !== 'string' || plugin.length === 0)) {
        throw new TypeError('opts.plugin must be a non-empty string')
      }
      const registration: Registration = { pattern, matches: compilePattern(pattern), handler, plugin, active: true }
      handlers.add(registration)
      return () => {
        registration.active = false
        handlers.delete(registration)
      }
    },

    onAny(listener) {
      if (typeof listener !== 'function') throw new TypeError('bus listener must be a function')
      const entry = { listener, active: true }
      listeners.add(entry)
      return () => {
        entry.active = false
        listeners.delete(entry)
      }
    },

    async drain() {
      for (;;) {
        const waits: Promise<unknown>[] = [...inFlight]
        for (const entry of awaitingCommit) {
          const current = entry.watch.current()
          if (!current.trx.isCompleted()) continue
          waits.push(current.outermost ? entry.settled : current.ended)
        }
        if (waits.length === 0) return
        await Promise.all(waits)
      }
    },
  }
}
