import { readdirSync, existsSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Knex } from 'knex'

/**
 * Knex migrations from one folder of timestamp-named modules. Loaded with import() so the
 * same code runs .ts under tsx and .js when built; each owner (the kernel, each plugin)
 * has its own tracking table so removing a plugin never touches another's history.
 */
class FolderMigrationSource implements Knex.MigrationSource<string> {
  constructor(private readonly dir: string) {}
  async getMigrations(): Promise<string[]> {
    if (!existsSync(this.dir)) return []
    return readdirSync(this.dir)
      .filter((file) => /^\d{14}_[\w-]+\.(ts|js|mjs)$/.test(file))
      .sort()
  }
  getMigrationName(file: string): string {
    return file.replace(/\.(ts|js|mjs)$/, '')
  }
  async getMigration(file: string): Promise<Knex.Migration> {
    return import(pathToFileURL(path.join(this.dir, file)).href)
  }
}

export const migrationTable = (owner: string) => (owner === 'kernel' ? 'knex_migrations' : `knex_migrations_${owner.replace(/[^a-z0-9_]/gi, '_')}`)

export async function migrateFolder(db: Knex, owner: string, dir: string): Promise<string[]> {
  const tableName = migrationTable(owner)
  const [, applied] = await db.migrate.latest({
    migrationSource: new FolderMigrationSource(dir),
    tableName,
  })
  return applied
}

export const kernelMigrationsDir = path.resolve(import.meta.dirname, '../../migrations')
