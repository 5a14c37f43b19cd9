import { drivers } from '../../server/drivers/registry.ts'
import type { DriverContext, OutboundMessage } from '../../server/drivers/port.ts'

export interface SendRecord {
  seq: number
  sessionId: string
  message: OutboundMessage
  /** Date.now() when the driver was called. */
  at: number
  ok?: boolean
  providerId?: string
  error?: string
}

/**
 * Wraps the sandbox driver factory of this process (the kernel imports the same registry module),
 * so a test sees every call to `send` in the order the driver received it, and every driver's
 * context (to report acks and inbound messages the way a driver does). Undone on teardown.
 */
export function spySandbox(t: { teardown(fn: () => unknown): void }) {
  const entry = drivers.get('sandbox')!
  const original = entry.create
  const sends: SendRecord[] = []
  const contexts = new Map<string, DriverContext<any>>()
  let seq = 0
  entry.create = (ctx) => {
    contexts.set(ctx.sessionId, ctx)
    const driver = original(ctx)
    const send = driver.send.bind(driver)
    driver.send = async (message) => {
      const record: SendRecord = { seq: ++seq, sessionId: ctx.sessionId, message, at: Date.now() }
      sends.push(record)
      try {
        const result = await send(message)
        record.ok = true
        record.providerId = result.providerId
        return result
      } catch (err) {
        record.ok = false
        record.error = (err as Error).message
        throw err
      }
    }
    return driver
  }
  t.teardown(() => {
    entry.create = original
  })
  return {
    sends,
    contexts,
    /** Successful sends of one number, in the order the driver received them. */
    delivered: (sessionId: string) => sends.filter((s) => s.sessionId === sessionId && s.ok),
  }
}
