import { Model, QueryBuilder, type ModelClass, type QueryBuilderType, type QueryContext, type Transaction } from 'objection'
import type { Knex } from 'knex'

export class UnscopedTenantQueryError extends Error {
  constructor(table: string) {
    super(`Unscoped query on tenant table "${table}": use ${table}.of(tenantId) instead of query()`)
    this.name = 'UnscopedTenantQueryError'
  }
}

interface WhereStatement {
  grouping: string
  type: string
  column?: unknown
  value?: unknown
  bool: 'and' | 'or'
  not?: boolean
}

/**
 * The tenant filter must survive whatever the caller chained: `clearWhere()` would drop it and a
 * top-level `orWhere` would OR around it (`tenant_id = a AND x OR y` reads other tenants' rows).
 * Checked on the built knex query (knex keeps its clauses in `_statements`); group ORs instead:
 * `.where((q) => q.where(x).orWhere(y))`.
 */
function assertStillScoped(builder: Knex.QueryBuilder, column: string, tenantId: string, table: string): void {
  if ((builder as unknown as { _method?: string })._method === 'insert') return // stamped by $beforeInsert
  const statements = ((builder as unknown as { _statements?: WhereStatement[] })._statements ?? []).filter((s) => s.grouping === 'where')
  const scoped = statements.some((s) => s.type === 'whereBasic' && s.column === column && s.value === tenantId && s.bool === 'and' && !s.not)
  const escapes = statements.some((s) => s.bool === 'or')
  if (!scoped || escapes) throw new UnscopedTenantQueryError(table)
}

/** Runs the check once the whole chain is built (an onBuildKnex callback would run mid-chain). */
class TenantQueryBuilder<M extends Model, R = M[]> extends QueryBuilder<M, R> {
  // Not in Objection's typings, but the hook every build (execute, toKnexQuery, resultSize) goes through.
  executeOnBuildKnex(knexBuilder: Knex.QueryBuilder): Knex.QueryBuilder {
    const built = (QueryBuilder.prototype as any).executeOnBuildKnex.call(this, knexBuilder) as Knex.QueryBuilder
    const tenantId = this.context().tenantId as string | undefined
    const table = this.modelClass().tableName
    if (!(this as unknown as { isPartial(): boolean }).isPartial()) {
      if (!tenantId) throw new UnscopedTenantQueryError(table)
      assertStillScoped(built, `${table}.tenant_id`, tenantId, table)
    }
    return built
  }
}

/**
 * Base model for every tenant-owned table. `Model.query()` throws: the only way in is
 * `Model.of(tenantId, trx?)`, which filters by tenant_id and stamps it on inserts, so a query
 * that forgets the tenant cannot be written, not merely noticed in review.
 */
export class TenantModel extends Model {
  declare tenant_id: string
  static override QueryBuilder = TenantQueryBuilder as any

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
