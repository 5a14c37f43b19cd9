import t from 'tap'
import path from 'node:path'
import { writeFileSync } from 'node:fs'
import { discover, readDescriptor, sortByDependencies } from '../../kernel/plugins/descriptor.ts'
import { checkManifest } from '../../kernel/plugins/manifest.ts'
import { createTestKernel } from '../../kernel/testing/harness.ts'
import { writePlugin, defaultSource } from './fixtures.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')

t.test('discovers plugins/, SAPA_PLUGIN_DIRS folders and packages with a sapa key', async (t) => {
  const alpha = writePlugin({ name: 'alpha' })
  const found = discover({ root: ROOT, pluginDirs: [path.dirname(alpha), path.join(ROOT, 'sdk/examples/hello')] })
  const names = found.map((d) => d.name)
  t.ok(names.includes('alpha'), 'a folder of plugins')
  t.ok(names.includes('hello'), 'a plugin folder itself')
  t.notOk(names.includes('@sapa/sdk') || names.includes('sdk'), 'the workspace sdk is not a plugin')
  t.throws(() => discover({ root: ROOT, pluginDirs: ['/nonexistent/dir'] }), /SAPA_PLUGIN_DIRS/)
})

t.test('a bad package.json names the plugin and the field', async (t) => {
  const cases: [string, Parameters<typeof writePlugin>[0], RegExp][] = [
    ['kernel range mismatch', { name: 'future', kernel: '^2' }, /plugin "future" \(package\.json\.sapa\.kernel\): needs kernel \^2/],
    ['bad range', { name: 'badrange', kernel: 'not a range' }, /badrange.*sapa\.kernel.*not a semver range/],
    ['bad version', { name: 'badver', version: 'one' }, /badver.*version/],
    ['unknown sapa field', { name: 'extra', sapa: { colour: 'red' } }, /extra.*sapa\.colour/],
    ['entry outside', { name: 'escape', sapa: { entry: '../x.ts' } }, /escape.*entry/],
  ]
  for (const [label, spec, message] of cases) {
    const dir = writePlugin(spec)
    t.throws(() => readDescriptor(dir, 'dirs'), message, label)
  }
  const dir = writePlugin({ name: 'brokenjson' })
  writeFileSync(path.join(dir, 'package.json'), '{ nope')
  t.throws(() => readDescriptor(dir, 'dirs'), /brokenjson.*not valid JSON/)
})

t.test('dependency order, missing dependency and cycles', async (t) => {
  const base = path.dirname(writePlugin({ name: 'a' }))
  const b = readDescriptor(writePlugin({ name: 'b', dependsOn: ['a'] }, base), 'dirs')
  const c = readDescriptor(writePlugin({ name: 'c', dependsOn: ['b'] }, base), 'dirs')
  const a = readDescriptor(path.join(base, 'a'), 'dirs')
  t.same(sortByDependencies([c, b, a]).map((d) => d.name), ['a', 'b', 'c'])
  t.throws(() => sortByDependencies([c, b]), /plugin "b" \(dependsOn\): depends on "a", which is not installed/)
  const x = readDescriptor(writePlugin({ name: 'x', dependsOn: ['y'] }, base), 'dirs')
  const y = readDescriptor(writePlugin({ name: 'y', dependsOn: ['x'] }, base), 'dirs')
  t.throws(() => sortByDependencies([x, y]), /dependency cycle: x → y → x/)
})

t.test('the manifest module is checked against its package.json', async (t) => {
  const d = readDescriptor(writePlugin({ name: 'm' }), 'dirs')
  const good = { name: 'm', version: '1.0.0', kernel: '^1', register() {} }
  t.ok(checkManifest(d, good))
  t.throws(() => checkManifest(d, { ...good, name: 'other' }), /plugin "m" \(name\)/)
  t.throws(() => checkManifest(d, { ...good, version: '2.0.0' }), /plugin "m" \(version\)/)
  t.throws(() => checkManifest(d, { ...good, register: undefined }), /plugin "m" \(register\)/)
  t.throws(() => checkManifest(d, { ...good, grants: { wizard: [] } }), /plugin "m" \(grants\.wizard\)/)
  t.throws(() => checkManifest(d, { ...good, settings: { type: 'object', properties: { a: { type: 'string' } } } }), /plugin "m" \(settings\).*additionalProperties/)
  t.throws(() => checkManifest(d, null), /export default/)
})

t.test('a plugin whose code fails stops the boot with its name; permissions must be its own', async (t) => {
  const failing = writePlugin({ name: 'failing', source: defaultSource('failing', '1.0.0', [], "throw new Error('boom in register')") })
  await t.rejects(createTestKernel(t, { plugins: [failing] }), /plugin "failing" \(register\): boom in register/)
  const thief = writePlugin({
    name: 'thief',
    source: `export default { name: 'thief', version: '1.0.0', kernel: '^1', permissions: { 'kernel.users.manage': 'mine' }, register() {} }`,
  })
  await t.rejects(createTestKernel(t, { plugins: [thief] }), /must start with "thief\."/)
})

t.test('SAPA_PLUGIN_DIRS reaches the kernel: hello loads from outside plugins/', async (t) => {
  const { loadConfig } = await import('../../kernel/config.ts')
  const { discoverPlugins } = await import('../../kernel/kernel.ts')
  const h = await createTestKernel(t)
  const config = loadConfig({ SAPA_PLUGIN_DIRS: path.join(ROOT, 'sdk/examples'), APP_SECRET: 'x'.repeat(32), DATABASE_URL: 'postgres://unused/db' })
  const found = await discoverPlugins(config, h.services.db)
  t.ok(found.some((d) => d.name === 'hello' && d.source === 'dirs'), 'hello discovered through SAPA_PLUGIN_DIRS')
})
