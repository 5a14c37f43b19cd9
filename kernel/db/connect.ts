import path from 'node:path'
import knex, { type Knex } from 'knex'
import { Model } from 'objection'
import { PGlite } from '@electric-sql/pglite'
import ClientPgLite from 'knex-pglite'
import { lockDataDir } from './lock.ts'

export type Db = Knex

export interface DbHandle {
  db: Db
  kind: 'postgres' | 'pglite'
  close(): Promise<void>
  /** PGlite only: the whole database as a tarball, to start copies from (tests). */
  dump?(): Promise<Blob>
}

// pg returns bigint counts as strings by default; our counts fit a JS number.
import pg from 'pg'
pg.types.setTypeParser(20, (v) => Number(v))

export function connectPostgres(url: string, pool = { min: 0, max: 10 }): DbHandle {
  const db = knex({ client: 'pg', connection: url, pool })
  Model.knex(db)
  return { db, kind: 'postgres', close: () => db.destroy() }
}

/**
 * PGlite is one connection (knex-pglite pins the pool to 1): inside a transaction always use
 * the transaction object, never `db`, or the query waits for the connection forever.
 */
export function connectPglite(options: { dataDir?: string; loadDataDir?: Blob } = {}): DbHandle {
  const release = options.dataDir ? lockDataDir(options.dataDir) : () => {}
  const dir = options.dataDir ? path.join(options.dataDir, 'pg') : undefined
  const pglite = new PGlite({ dataDir: dir, loadDataDir: options.loadDataDir })
  const db = knex({
    client: ClientPgLite as unknown as typeof knex.Client,
    dialect: 'postgres',
    connection: (() => ({ pglite })) as unknown as Knex.StaticConnectionConfig,
  })
  Model.knex(db)
  return {
    db,
    kind: 'pglite',
    dump: () => pglite.dumpDataDir('none'),
    async close() {
      await db.destroy()
      if (!pglite.closed) await pglite.close()
      release()
    },
  }
}
