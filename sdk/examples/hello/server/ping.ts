import { TenantModel } from '@sapa/sdk'

export class Ping extends TenantModel {
  static override tableName = 'hello_pings'
  static override idColumn = ['tenant_id', 'id']
  declare id: string
  declare by: string | null
  declare created_at: Date
  declare greeted: boolean
}
