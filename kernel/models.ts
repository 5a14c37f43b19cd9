import { TenantModel } from './db/tenant-model.ts'

// Kernel tables that belong to a tenant. Reach them only through `Model.of(tenantId, trx)`.

export class Membership extends TenantModel {
  static override tableName = 'memberships'
  static override idColumn = ['tenant_id', 'user_id']
  declare user_id: string
  declare role: string
  declare active: boolean
}

export class CustomRole extends TenantModel {
  static override tableName = 'custom_roles'
  declare id: string
  declare name: string
  declare description: string
  declare level: number
  declare permissions: string[]
  static override jsonAttributes = ['permissions']
}

export class ApiKey extends TenantModel {
  static override tableName = 'api_keys'
  declare id: string
  declare name: string
  declare prefix: string
  declare role: string
  declare created_by: string | null
  declare last_used_at: Date | null
  declare expires_at: Date | null
  declare revoked_at: Date | null
  declare created_at: Date
}

export class AuditRecord extends TenantModel {
  static override tableName = 'audit_log'
}
