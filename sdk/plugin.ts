import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import type { QueueJobData, Processor, WorkerOptions, JobOptions, ScheduleSpec, QueuePort } from '../kernel/queue/port.ts'
import type { BusEvent, BusPayload } from '../kernel/bus/bus.ts'
import type { TopicDefinition } from '../kernel/realtime/types.ts'
import type { PredefinedRoleKey } from '../kernel/rbac/roles.ts'
import type { Clock } from '../kernel/clock.ts'

export type { QueueJobData, QueueJob, Processor, WorkerOptions, JobOptions, ScheduleSpec } from '../kernel/queue/port.ts'
export type { BusEvent, BusPayload } from '../kernel/bus/bus.ts'
export type { TopicDefinition, RealtimeIdentity } from '../kernel/realtime/types.ts'
export type { Clock } from '../kernel/clock.ts'

/** Lowest predefined role that gets a permission; higher roles inherit it. */
export type RoleKey = PredefinedRoleKey

/** A JSON schema (draft-07) — settings and route schemas. */
export type JsonSchema = Record<string, unknown>

export interface NavItem {
  /** Unique within the plugin; the UI module's `pages[id]` renders it. */
  id: string
  /** Route path in the web app, e.g. "/inbox". */
  path: string
  label: { en: string; id: string }
  icon?: string
  /** Shown only to users holding this permission. */
  permission?: string
  order?: number
}

export interface SlotFragmentDeclaration {
  /** A slot name from `@sapa/sdk/ui` (e.g. "settings.sections"). */
  slot: string
  /** Unique within the plugin; the UI module's `slots[id]` renders it. */
  id: string
  permission?: string
  order?: number
}

export interface PluginUiDeclaration {
  /** Built ES module, relative to the plugin folder. Default "ui/dist/index.js". */
  module?: string
  nav?: NavItem[]
  slots?: SlotFragmentDeclaration[]
}

export interface PluginJobs {
  /** Process queue `<plugin>.<name>`. Can be called any time (e.g. one queue per WhatsApp number). */
  define<T extends QueueJobData>(name: string, processor: Processor<T>, opts?: WorkerOptions): Promise<void>
  /** Stop processing `<plugin>.<name>` (active jobs finish first). */
  undefine(name: string): Promise<void>
  add<T extends QueueJobData>(name: string, data: T, opts?: JobOptions): Promise<{ id: string }>
  addBulk(name: string, jobs: { name: string; data: QueueJobData; opts?: JobOptions }[]): Promise<{ id: string }[]>
  /** A repeatable job for one tenant; removed automatically when the tenant disables the plugin. */
  schedule(tenantId: string, scheduleId: string, spec: ScheduleSpec, job: { name: string; queue: string; data?: Record<string, unknown> }): Promise<void>
  unschedule(tenantId: string, scheduleId: string, queue: string): Promise<void>
  /** The raw port, for counts and tooling. Queue names are still `<plugin>.…`. */
  readonly port: QueuePort
}

export interface PluginEvents {
  /** Your handler is not called for tenants that have this plugin disabled. */
  on(pattern: string, handler: (event: BusEvent) => Promise<void> | void): void
  /** Event names should start with your plugin name: `broadcast.campaign.completed`. */
  publish(name: string, payload: BusPayload, opts?: { trx?: Knex.Transaction }): Promise<void>
}

export interface PluginRealtime {
  /** Topics are `kind` or `kind:<id>`; a kind should start with your plugin's vocabulary (`campaign`). */
  defineTopic(kind: string, def: TopicDefinition): void
  publish(tenantId: string, topic: string, event: string, data: unknown): Promise<void>
}

export interface PluginSecrets {
  encrypt(plain: string | Buffer): string
  decrypt(sealed: string): Buffer
  decryptString(sealed: string): string
}

export interface PluginNodes {
  publish(channel: string, message: unknown): Promise<void>
  /** Unsubscribed automatically when the plugin unloads. */
  subscribe(channel: string, handler: (message: unknown) => void | Promise<void>): void
}

export interface PluginStorage {
  put(key: string, data: Buffer): Promise<void>
  get(key: string): Promise<Buffer | null>
  delete(key: string): Promise<void>
}

export interface PluginAudit {
  record(db: Knex | Knex.Transaction, actor: unknown, entry: { tenantId: string | null; action: string; targetType?: string; targetId?: string; summary?: Record<string, unknown> }): Promise<void>
}

/** What `register` receives. Everything it registers is undone when the plugin unloads. */
export interface PluginContext<Settings = Record<string, unknown>> {
  readonly plugin: { name: string; version: string; dir: string }
  readonly mode: 'embedded' | 'server'
  readonly logger: FastifyBaseLogger
  /** The database. Tenant tables: query them through a TenantModel (`Model.of(tenantId)`). */
  readonly db: Knex
  readonly clock: Clock
  readonly secrets: PluginSecrets
  readonly audit: PluginAudit
  /** Blobs (media, exports) by key; keys are yours to build from ids, e.g. `<tenantId>/<id>`. */
  readonly storage: PluginStorage
  /** This process's id: distinguishes workers (leases on WhatsApp numbers). */
  readonly nodeId: string
  /** Messages to every node of the deployment (e.g. "the worker owning number X: do Y"). Channels are yours: `<plugin>.<name>`. */
  readonly nodes: PluginNodes
  /** Routes mount under `/api/<plugin>`; each needs `config.permission` (or `public`) and schemas. */
  routes(register: (app: FastifyInstance) => Promise<void> | void): void
  readonly jobs: PluginJobs
  readonly events: PluginEvents
  readonly realtime: PluginRealtime
  /** The tenant's settings for this plugin, defaults filled in from the settings schema. */
  settings(tenantId: string): Promise<Settings>
  isEnabled(tenantId: string): Promise<boolean>
  /** The tenant's roles (predefined and custom) holding a permission, e.g. who may be given work: `memberships.role in (...)`. */
  rolesWith(tenantId: string, permission: string): string[]
  /** Offer a service named in `provides`; others resolve it as `<plugin>.<name>`. */
  provide<T>(name: string, service: T): void
  /** A service of a plugin you depend on: `use<MessagesService>('whatsapp.messages')`. */
  use<T>(qualifiedName: string): T
}

export interface PluginLifecycle {
  /** First time the plugin's code is installed on this deployment (after its migrations). */
  install?(ctx: PluginContext): Promise<void> | void
  /** The installed version changed. */
  upgrade?(ctx: PluginContext, fromVersion: string): Promise<void> | void
  enableForTenant?(ctx: PluginContext, tenantId: string): Promise<void> | void
  disableForTenant?(ctx: PluginContext, tenantId: string): Promise<void> | void
  /** The plugin is being unloaded from this process (reload, removal, shutdown). */
  dispose?(): Promise<void> | void
}

export interface PluginManifest<Settings = Record<string, unknown>> {
  name: string
  version: string
  /** Semver range of the kernel this plugin works with, e.g. "^1". */
  kernel: string
  description?: string
  dependsOn?: string[]
  /** New tenants get the plugin on unless this is false. */
  defaultEnabled?: boolean
  permissions?: Record<string, string | { description: string }>
  grants?: Partial<Record<RoleKey, string[]>>
  /** JSON schema of per-tenant settings; each property should have a default. */
  settings?: JsonSchema
  /** Names of the services this plugin offers through `ctx.provide`. */
  provides?: string[]
  ui?: PluginUiDeclaration
  register(ctx: PluginContext<Settings>): Promise<void> | void
  lifecycle?: PluginLifecycle
}

/** Types a plugin manifest; returns it unchanged. */
export function definePlugin<Settings = Record<string, unknown>>(manifest: PluginManifest<Settings>): PluginManifest<Settings> {
  return manifest
}
