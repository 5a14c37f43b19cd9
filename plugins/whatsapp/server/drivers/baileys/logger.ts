import type { SocketConfig } from '@whiskeysockets/baileys'
import type { DriverLogger } from '../port.ts'

export type BaileysLogger = SocketConfig['logger']

/**
 * Baileys wants a pino-like logger (level, child, trace). This adapts the driver's logger to it.
 * Baileys is chatty at info (pre-keys, offline batches, every reconnect), so its info goes to debug
 * and only its warnings and errors reach the session's log at their own level.
 */
export function toBaileysLogger(logger: DriverLogger, bindings: Record<string, unknown> = {}): BaileysLogger {
  const shape = (obj: unknown): [object, string | undefined] => {
    if (typeof obj === 'string') return [{ ...bindings }, obj]
    if (obj instanceof Error) return [{ ...bindings, err: obj }, undefined]
    return [{ ...bindings, ...(obj && typeof obj === 'object' ? obj : { value: obj }) }, undefined]
  }
  const at = (fn: (o: object, m?: string) => void) => (obj: unknown, msg?: string) => {
    const [o, m] = shape(obj)
    fn.call(logger, { baileys: true, ...o }, msg ?? m)
  }
  return {
    level: 'info',
    child: (more) => toBaileysLogger(logger, { ...bindings, ...more }),
    trace: () => {},
    debug: at(logger.debug),
    info: at(logger.debug),
    warn: at(logger.warn),
    error: at(logger.error),
  }
}
