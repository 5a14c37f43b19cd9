import { Model, type ModelClass, type QueryBuilderType, type QueryContext, type Transaction } from 'objection'
import type { Knex } from 'knex'

export class UnscopedTenantQueryError extends Error {
  constructor(table: string) {
    super(`Unscoped query on tenant table "${table}": use ${table}.of(tenantId) instead of query()`)
    this.name = 'UnscopedTenantQueryError'
  }
}

/**
 * Base model for every tenant-owned table. `Model.query()` throws: the only way in is
 * `Model.of(tenantId, trx?)`, which filters by tenant_id and stamps it on inserts, so a query
 * that forgets the tenant cannot be written, not merely noticed in review.
 */
export class TenantModel extends Model {
  declare tenant_id: string

  static override query(): never {
    throw new UnscopedTenantQueryError(this.tableName)
  }

  static of<M extends Model>(this: new (...args: any[]) => M, tenantId: string, trx?: Transaction | Knex): QueryBuilderType<M> {
    const modelClass = this as unknown as ModelClass<M>
    if (typeof tenantId !== 'string' || tenantId.length === 0) throw new UnscopedTenantQueryError(modelClass.tableName)
    const query = (Model.query as unknown as (this: ModelClass<M>, trx?: Transaction | Knex) => QueryBuilderType<M>).call(modelClass, trx)
    return query.context({ tenantId }).where(`${modelClass.tableName}.tenant_id`, tenantId) as QueryBuilderType<M>
  }

  override $beforeInsert(context: QueryContext): void {
    const tenantId = context.tenantId as string | undefined
    if (!tenantId) throw new UnscopedTenantQueryError((this.constructor as typeof Model).tableName)
    if (this.tenant_id && this.tenant_id !== tenantId) throw new UnscopedTenantQueryError((this.constructor as typeof Model).tableName)
    this.tenant_id = tenantId
  }

  override $beforeUpdate(_opt: unknown, context: QueryContext): void {
    // tenant_id never changes: a row stays with the tenant that created it.
    if ('tenant_id' in this && this.tenant_id !== undefined && this.tenant_id !== context.tenantId) {
      throw new UnscopedTenantQueryError((this.constructor as typeof Model).tableName)
    }
  }
}
