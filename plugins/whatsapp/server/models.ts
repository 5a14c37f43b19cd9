import { TenantModel } from '@sapa/sdk'

export class WaSession extends TenantModel {
  static override tableName = 'whatsapp_sessions'
  static override idColumn = 'id'
  static override jsonAttributes = ['status_detail', 'settings']
  declare id: string
  declare name: string
  declare driver: 'sandbox' | 'baileys' | 'cloud'
  declare status: string
  declare status_detail: Record<string, unknown>
  declare phone: string | null
  declare config_sealed: string
  declare settings: SessionSettings
  declare desired: 'connected' | 'disconnected' | 'logout'
  declare owner: string | null
  declare lease_until: Date | null
  declare created_at: Date
  declare updated_at: Date
}

export interface SessionSettings {
  /** Sends per second on this number; 0 turns the limiter off. */
  ratePerSecond?: number
  /** How long queued messages wait for a disconnected number before they fail. */
  holdMinutes?: number
}

export class WaMessage extends TenantModel {
  static override tableName = 'whatsapp_messages'
  static override idColumn = 'id'
  static override jsonAttributes = ['payload']
  declare id: string
  declare session_id: string
  declare direction: 'in' | 'out'
  declare provider_id: string | null
  declare peer: string
  declare peer_name: string | null
  declare type: string
  declare text: string | null
  declare media_id: string | null
  declare payload: Record<string, unknown> | null
  declare reply_to: string | null
  declare status: string
  declare status_rank: number
  declare error: string | null
  declare attempts: number
  declare idempotency_key: string | null
  declare sent_at: Date | null
  declare delivered_at: Date | null
  declare read_at: Date | null
  declare created_at: Date
  declare updated_at: Date
}

/**
 * A message's columns as plain data. The hot paths (batched inserts and receipts) hand rows on as
 * they come, without a model instance per row, which was a tenth of an inbound message's CPU.
 */
export type MessageRow = Omit<WaMessage, keyof TenantModel> & Pick<WaMessage, 'tenant_id'>

export class WaMedia extends TenantModel {
  static override tableName = 'whatsapp_media'
  static override idColumn = 'id'
  declare id: string
  declare mime: string
  declare size: number
  declare filename: string
  declare sha256: string
  declare storage_key: string
  declare created_at: Date
}
