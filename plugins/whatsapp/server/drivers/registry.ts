import type { DriverContext, DriverFactory, WhatsAppDriver } from './port.ts'
import { createSandboxDriver, sandboxConfigSchema } from './sandbox.ts'
import { cloudDriverEntry } from './cloud/index.ts'
import { baileysDriverEntry } from './baileys/index.ts'

export type DriverName = 'sandbox' | 'baileys' | 'cloud'

export interface DriverEntry {
  create: DriverFactory<any>
  /** JSON schema of the number's driver config (strict). */
  configSchema: object
  /** Sends per second on a new number unless its settings say otherwise. */
  defaultRatePerSecond: number
}

/** The drivers this build knows. Baileys and Cloud register here from their own folders. */
export const drivers = new Map<DriverName, DriverEntry>([
  ['sandbox', { create: createSandboxDriver as DriverFactory<any>, configSchema: sandboxConfigSchema, defaultRatePerSecond: 10 }],
  ['cloud', cloudDriverEntry],
  ['baileys', baileysDriverEntry],
])

export function createDriver(name: DriverName, ctx: DriverContext<any>): WhatsAppDriver {
  const entry = drivers.get(name)
  if (!entry) throw new Error(`No WhatsApp driver "${name}" in this build`)
  return entry.create(ctx)
}
