// `npm run migrate`: kernel migrations, then each plugin's in dependency order.
import path from 'node:path'
import { loadConfig } from '../kernel/config.ts'
import { discoverPlugins, migrateKernel, openDatabase } from '../kernel/kernel.ts'
import { migrateFolder } from '../kernel/db/migrate.ts'
import { sortByDependencies } from '../kernel/plugins/descriptor.ts'
import { fail } from './cli.ts'

try {
  const config = loadConfig()
  const handle = openDatabase(config)
  try {
    const report = (owner: string, applied: string[]) => console.log(applied.length ? `${owner}: applied ${applied.join(', ')}` : `${owner}: up to date`)
    report('kernel', await migrateKernel(handle.db))
    for (const plugin of sortByDependencies(await discoverPlugins(config, handle.db))) {
      report(plugin.name, await migrateFolder(handle.db, plugin.name, path.join(plugin.dir, 'migrations')))
    }
  } finally {
    await handle.close()
  }
} catch (err) {
  fail(err)
}
