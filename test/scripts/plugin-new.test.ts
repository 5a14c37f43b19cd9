import t from 'tap'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'

const root = path.resolve(import.meta.dirname, '../..')

interface Run {
  code: number
  stdout: string
  stderr: string
}

/** The child's environment: ours, minus what the surrounding tap run set for its own children. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(TAP|_TAPJS_)/.test(key) || key === 'NODE_OPTIONS' || key === 'INIT_CWD') continue
    env[key] = value
  }
  return env
}

function run(file: string, args: string[], opts: { cwd?: string; nodeArgs?: string[]; timeout?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...(opts.nodeArgs ?? ['--import', 'tsx']), file, ...args], { cwd: opts.cwd ?? root, env: childEnv(), timeout: opts.timeout ?? 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}

const scaffold = (args: string[]) => run('scripts/plugin-new.ts', args)

// Inside the repository, so the generated plugin resolves @sapa/sdk through node_modules.
const parent = path.join(root, '.tap', `scaffold-${randomBytes(4).toString('hex')}`)
const relParent = path.relative(root, parent)
t.teardown(() => rmSync(parent, { recursive: true, force: true }))

t.test('refuses bad names and existing folders with one line and exit 1', async (t) => {
  for (const [args, pattern] of [
    [['Bad'], /not a valid plugin name/],
    [['1abc'], /not a valid plugin name/],
    [['has space'], /not a valid plugin name/],
    [['a'.repeat(64)], /not a valid plugin name/],
    [['a'.repeat(43)], /too long: at most 42 characters/],
    [['kernel'], /reserved/],
    [[], /plugin name is required/],
    [['one', 'two'], /one plugin name at a time/],
  ] as [string[], RegExp][]) {
    const r = await scaffold([...args, '--dir', relParent])
    t.equal(r.code, 1, `${JSON.stringify(args)}: exit 1`)
    t.match(r.stderr, pattern, JSON.stringify(args))
    t.equal(r.stderr.trim().split('\n').length, 1, `${JSON.stringify(args)}: one line`)
  }
  mkdirSync(path.join(parent, 'taken'), { recursive: true })
  const taken = await scaffold(['taken', '--dir', relParent])
  t.equal(taken.code, 1)
  t.match(taken.stderr, /already exists/)
  t.same(readdirSync(path.join(parent, 'taken')), [], 'the existing folder is left alone')
})

t.test('scaffolds a plugin whose own test passes under tap', async (t) => {
  const name = 'scaffold-demo'
  const made = await scaffold([name, '--dir', relParent])
  t.equal(made.code, 0, made.stderr)
  t.match(made.stdout, new RegExp(`created plugin "${name}"`))
  t.equal(made.stderr, '')

  const dir = path.join(parent, name)
  for (const file of ['package.json', 'plugin.ts', 'README.md', 'server/routes.ts', 'server/item.ts', 'server/items.ts', 'ui/index.tsx', `test/${name}.test.ts`]) {
    t.ok(existsSync(path.join(dir, file)), file)
  }
  const migrations = readdirSync(path.join(dir, 'migrations'))
  t.equal(migrations.length, 1)
  t.match(migrations[0], new RegExp(`^\\d{14}_${name}_items\\.ts$`), 'migrations/<timestamp>_<name>_items.ts')
  const migration = readFileSync(path.join(dir, 'migrations', migrations[0]), 'utf8')
  t.match(migration, /t\.primary\(\['tenant_id', 'id'\]\)/, 'tenant_id leads the primary key')
  t.match(migration, /scaffold_demo_items/, 'table name is a plain SQL identifier')

  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'))
  t.match(pkg, { name, sapa: { kernel: '^1' }, type: 'module' })
  const plugin = readFileSync(path.join(dir, 'plugin.ts'), 'utf8')
  t.match(plugin, new RegExp(`'${name}\\.item\\.view'`))
  t.match(plugin, new RegExp(`grants: \\{ viewer: \\['${name}\\.item\\.view'\\] \\}`))
  t.notMatch(plugin, /__\w+__/, 'no placeholder left')
  const readme = readFileSync(path.join(dir, 'README.md'), 'utf8')
  for (const section of ['Routes', 'Events', 'Permissions', 'Settings', 'Jobs']) t.match(readme, new RegExp(`^## ${section}$`, 'm'), `README has ${section}`)

  // A second scaffold of the same name is refused and leaves the first intact.
  const again = await scaffold([name, '--dir', relParent])
  t.equal(again.code, 1)
  t.match(again.stderr, /already exists/)
  t.ok(existsSync(path.join(dir, 'plugin.ts')))

  // Run the generated test with tap, as its own project (its .tap/ output stays in the scaffold
  // folder and cannot disturb the run this file is part of), with the repository's tap settings.
  writeFileSync(
    path.join(parent, '.taprc'),
    ["plugin:", "  - '!@tapjs/typescript'", 'node-arg:', '  - --import=tsx', 'disable-coverage: true', 'allow-incomplete-coverage: true', 'timeout: 120', ''].join('\n'),
  )
  const tap = await run(path.join(root, 'node_modules/tap/dist/esm/run.mjs'), [`${name}/test/${name}.test.ts`], { cwd: parent, nodeArgs: [], timeout: 110_000 })
  t.equal(tap.code, 0, 'the generated test passes')
  t.match(tap.stdout, /# \{ total: ([1-9]\d*), pass: \1 \}/, 'every assertion of the generated test ran and passed')
  if (tap.code !== 0) t.comment(tap.stdout.slice(-4000), tap.stderr.slice(-2000))
})
