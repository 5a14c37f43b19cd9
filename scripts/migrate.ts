// `npm run migrate`: kernel migrations, then each plugin's in dependency order.
import { loadConfig } from '../kernel/config.ts'
import { migrateKernel, openDatabase } from '../kernel/kernel.ts'
import { fail } from './cli.ts'

try {
  const config = loadConfig()
  const handle = openDatabase(config)
  try {
    const applied = await migrateKernel(handle.db)
    console.log(applied.length ? `kernel: applied ${applied.join(', ')}` : 'kernel: up to date')
  } finally {
    await handle.close()
  }
} catch (err) {
  fail(err)
}
