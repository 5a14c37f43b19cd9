import { loadConfig } from '../kernel/config.ts'
import { createKernel } from '../kernel/kernel.ts'
import { createKernelServer } from '../kernel/start-server.ts'
import { ensureDemoTenant } from '../kernel/bootstrap.ts'
import { fail } from './cli.ts'
import { prepareWebUi } from './build-ui.ts'

const started = performance.now()
try {
  const config = loadConfig()
  const kernel = await createKernel(config)
  // Builds the web app and the loaded plugins' UI modules when missing or stale (SAPA_BUILD_UI=false skips).
  await prepareWebUi(kernel.services.plugins.plugins.map((p) => p.descriptor.dir))
  // Embedded mode is for trying Sapa: it seeds a demo workspace. A server starts empty.
  const demo = config.mode === 'embedded' || process.env.SAPA_DEMO === 'true' ? await ensureDemoTenant(kernel.services) : null
  const empty = !demo && !(await kernel.services.db('tenants').first('id'))
  const server = await createKernelServer(kernel)
  const port = await server.listen(config.port, config.host)
  const url = config.publicUrl.replace(`:${config.port}`, `:${port}`)
  const seconds = ((performance.now() - started) / 1000).toFixed(2)
  console.log(`\nSapa is ready at ${url} (${config.mode} mode, ready in ${seconds} s)`)
  if (demo) {
    console.log('\nA demo workspace was created. Sign in with (shown only this once):')
    console.log(`  email:    ${demo.email}`)
    console.log(`  password: ${demo.password}\n`)
  }
  if (empty) console.log('No workspace exists yet: create one with  npm run create-admin -- --tenant <slug> --email <email>\n')

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    kernel.services.logger.info({ signal }, 'shutting down')
    await server.close()
    await kernel.close()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
} catch (err) {
  fail(err)
}
