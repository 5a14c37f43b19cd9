import type { DriverContext, DriverFactory, WhatsAppDriver } from './port.ts'
import { createSandboxDriver, sandboxConfigSchema } from './sandbox.ts'
import { cloudDriverEntry } from './cloud/index.ts'
import { baileysDriverEntry } from './baileys/index.ts'

export type DriverName = 'sandbox' | 'baileys' | 'cloud'

export interface DriverEntry {
  create: DriverFactory<any>
  /** JSON schema of the number's driver config (strict). */
  configSchema: object
  /** Config keys holding secrets: never returned by the API. */
  secretKeys: string[]
  /** Sends per second on a new number unless its settings say otherwise. */
  defaultRatePerSecond: number
}

/** The drivers this build knows. Baileys and Cloud register here from their own folders. */
export const drivers = new Map<DriverName, DriverEntry>([
  ['sandbox', { create: createSandboxDriver as DriverFactory<any>, configSchema: sandboxConfigSchema, secretKeys: [], defaultRatePerSecond: 10 }],
])

/**
 * The Graph API address is the operator's setting (SAPA_WHATSAPP_GRAPH_URL, for a proxy or a test
 * server), never a workspace's: the access token is sent there, so a tenant must not be able to
 * point it at an internal address.
 */
const { graphBaseUrl: _operatorOnly, ...tenantCloudProperties } = (cloudDriverEntry.configSchema as { properties: Record<string, unknown> }).properties
drivers.set('cloud', {
  ...cloudDriverEntry,
  configSchema: { ...cloudDriverEntry.configSchema, properties: tenantCloudProperties },
  create: (ctx) => cloudDriverEntry.create({ ...ctx, config: { ...ctx.config, graphBaseUrl: process.env.SAPA_WHATSAPP_GRAPH_URL || undefined } }),
})

drivers.set('baileys', baileysDriverEntry)

export function createDriver(name: DriverName, ctx: DriverContext<any>): WhatsAppDriver {
  const entry = drivers.get(name)
  if (!entry) throw new Error(`No WhatsApp driver "${name}" in this build`)
  return entry.create(ctx)
}
