import type { Knex } from 'knex'

export interface ReconcileOptions<Row extends Record<string, unknown> = Record<string, unknown>> {
  /** A knex instance. */
  db: Knex
  table: string
  /** Rows still queued whose updated_at is older than now - olderThanMs are re-enqueued. */
  olderThanMs: number
  now: Date
  /** Most rows per pass (default 500), oldest first. */
  limit?: number
  /** Must add the job with a jobId derived from the row, so a row whose job still exists is deduped. */
  enqueue: (row: Row) => Promise<void>
  statusColumn?: string
  queuedValue?: string
  updatedAtColumn?: string
  /** Columns handed to enqueue (default id, tenant_id and the updated_at column). */
  columns?: string[]
  /** Called when enqueue throws for a row; the pass goes on with the next row. Without it, the
   * pass still tries every row and then throws an AggregateError. */
  onError?: (row: Row, err: unknown) => void
}

/**
 * "Rows are written before jobs are enqueued": re-enqueues rows left `queued` past a threshold, so
 * a crash between commit and enqueue, or a lost Redis, loses nothing. Returns how many rows were
 * handed to enqueue successfully.
 */
export async function reconcileQueued<Row extends Record<string, unknown> = Record<string, unknown>>(
  opts: ReconcileOptions<Row>,
): Promise<number> {
  const {
    db,
    table,
    olderThanMs,
    now,
    limit = 500,
    enqueue,
    statusColumn = 'status',
    queuedValue = 'queued',
    updatedAtColumn = 'updated_at',
    onError,
  } = opts
  if (!Number.isFinite(olderThanMs) || olderThanMs < 0) throw new Error('olderThanMs must be a non-negative number')
  if (!Number.isInteger(limit) || limit < 1) throw new Error('limit must be a positive integer')
  const columns = opts.columns ?? ['id', 'tenant_id', updatedAtColumn]
  const threshold = new Date(now.getTime() - olderThanMs)
  const rows = (await db(table)
    .select(columns)
    .where(statusColumn, queuedValue)
    .andWhere(updatedAtColumn, '<', threshold)
    .orderBy(updatedAtColumn, 'asc')
    .limit(limit)) as Row[]

  let enqueued = 0
  const errors: unknown[] = []
  for (const row of rows) {
    try {
      await enqueue(row)
      enqueued++
    } catch (err) {
      if (onError) onError(row, err)
      else errors.push(err)
    }
  }
  if (errors.length > 0) {
    throw new AggregateError(errors, `reconcile ${table}: ${errors.length} of ${rows.length} rows could not be enqueued (${enqueued} were)`)
  }
  return enqueued
}
