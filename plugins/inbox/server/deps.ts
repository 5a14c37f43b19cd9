import type { PluginContext } from '@sapa/sdk'
import type { ContactsDirectory, WhatsAppMessages } from './ports.ts'
import type { Fanout } from './realtime.ts'
import type { InboxSettings } from './settings.ts'

/** What the inbox's modules share: the plugin context, the realtime fan-out and the services it uses. */
export interface Deps {
  ctx: PluginContext<InboxSettings>
  fanout: Fanout
  whatsapp(): WhatsAppMessages
  contacts(): ContactsDirectory
  now(): Date
  /** Runs after the caller's work: auto-assignment for a team (errors are logged). */
  autoAssignLater(tenantId: string, teamIds: (string | null | undefined)[]): void
  /** Makes sure the tenant's maintenance schedule (auto-away, snooze wake-up) exists. */
  ensureMaintenance(tenantId: string): Promise<void>
}

/** The caller of a mutation: a user (sessions) or nobody (API keys, jobs). */
export interface Actor {
  userId: string | null
  name: string | null
}
