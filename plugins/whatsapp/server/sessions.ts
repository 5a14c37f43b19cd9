import { Ajv } from 'ajv'
import { AppError, newId, type PluginContext } from '@sapa/sdk'
import { drivers, type DriverName } from './drivers/registry.ts'
import { WaSession, type SessionSettings } from './models.ts'
import { WAKE_CHANNEL } from './supervisor.ts'
import { sessionView } from './views.ts'

export interface WhatsAppSettings {
  maxNumbers: number
  holdMinutes: number
}

const ajv = new Ajv({ allErrors: true, useDefaults: true })
const validators = new Map<string, ReturnType<typeof ajv.compile>>()
function validateConfig(driver: DriverName, config: unknown): Record<string, unknown> {
  const entry = drivers.get(driver)!
  let validate = validators.get(driver)
  if (!validate) validators.set(driver, (validate = ajv.compile(entry.configSchema)))
  const copy = structuredClone(config ?? {})
  if (!validate(copy)) {
    const details = validate.errors!.map((e) => ({
      field: ['config', ...e.instancePath.split('/').filter(Boolean), (e.params as any).missingProperty ?? (e.params as any).additionalProperty].filter(Boolean).join('.'),
      problem: e.message,
    }))
    throw new AppError(400, 'invalid_driver_config', `The ${driver} configuration is not valid`, details)
  }
  return copy as Record<string, unknown>
}

/** Numbers as the API manages them: rows and desired states. The supervisor does the rest. */
export function createSessions(ctx: PluginContext<WhatsAppSettings>, options: { sandboxEnabled: boolean }) {
  const wake = () => ctx.nodes.publish(WAKE_CHANNEL, {})

  async function find(tenantId: string, id: string): Promise<WaSession> {
    const session = await WaSession.of(tenantId).findById(id)
    if (!session) throw new AppError(404, 'session_not_found', 'WhatsApp number not found')
    return session
  }

  async function desire(tenantId: string, id: string, desired: WaSession['desired'], extra: Record<string, unknown> = {}) {
    await find(tenantId, id)
    await WaSession.of(tenantId).findById(id).patch({ desired, updated_at: ctx.clock.now(), ...extra } as any)
    await wake()
    return (await find(tenantId, id))!
  }

  return {
    find,
    /** The drivers a new number may use here: the sandbox only where the operator allows it. */
    availableDrivers: (): DriverName[] => [...drivers.keys()].filter((name) => name !== 'sandbox' || options.sandboxEnabled),
    async create(tenantId: string, input: { name: string; driver: DriverName; config?: Record<string, unknown>; settings?: SessionSettings }) {
      if (!drivers.has(input.driver)) throw new AppError(400, 'driver_unavailable', `The ${input.driver} driver is not available in this build`, { field: 'driver' })
      if (input.driver === 'sandbox' && !options.sandboxEnabled) {
        throw new AppError(400, 'driver_unavailable', 'The sandbox driver is turned off on this server (SAPA_WHATSAPP_SANDBOX=true turns it on)', { field: 'driver' })
      }
      const config = validateConfig(input.driver, input.config)
      const { maxNumbers } = await ctx.settings(tenantId)
      const created = await ctx.db.transaction(async (trx) => {
        // Counted inside the transaction with the row lock of the tenant, so two requests cannot both take the last slot.
        await trx.raw('select id from tenants where id = ? for update', [tenantId])
        const count = await WaSession.of(tenantId, trx).resultSize()
        if (count >= maxNumbers) throw new AppError(409, 'number_limit_reached', `This workspace may have ${maxNumbers} WhatsApp numbers`, { maxNumbers })
        const id = newId()
        await WaSession.of(tenantId, trx).insert({
          id,
          name: input.name.trim(),
          driver: input.driver,
          status: 'disconnected',
          status_detail: {},
          config_sealed: ctx.secrets.encrypt(JSON.stringify(config)),
          settings: input.settings ?? {},
          desired: 'disconnected',
        } as any)
        return (await WaSession.of(tenantId, trx).findById(id))!
      })
      // Everyone on the numbers page sees it appear (topic `sessions`: the workspace's list).
      await ctx.realtime.publish(tenantId, 'sessions', 'created', sessionView(created))
      return created
    },
    async update(tenantId: string, id: string, input: { name?: string; settings?: SessionSettings }) {
      const session = await find(tenantId, id)
      await WaSession.of(tenantId).findById(id).patch({
        ...(input.name ? { name: input.name.trim() } : {}),
        ...(input.settings ? { settings: { ...session.settings, ...input.settings } } : {}),
        updated_at: ctx.clock.now(),
      } as any)
      return find(tenantId, id)
    },
    // The pairing phone travels in the row: whichever worker starts the number reads it there.
    connect: (tenantId: string, id: string, pairingPhone?: string) => desire(tenantId, id, 'connected', { status: 'connecting', status_detail: pairingPhone ? { pairingPhone } : {} }),
    disconnect: (tenantId: string, id: string) => desire(tenantId, id, 'disconnected'),
    logout: (tenantId: string, id: string) => desire(tenantId, id, 'logout'),
    async remove(tenantId: string, id: string) {
      await desire(tenantId, id, 'logout')
      // The row and its sealed state go now; the owner, finding the row gone, logs the number out.
      await ctx.db.transaction(async (trx) => {
        await trx('whatsapp_driver_state').where({ tenant_id: tenantId, session_id: id }).delete()
        await WaSession.of(tenantId, trx).findById(id).delete()
      })
      await ctx.realtime.publish(tenantId, 'sessions', 'deleted', { id })
      await wake()
    },
  }
}

export type Sessions = ReturnType<typeof createSessions>
