// Builds the web UI: the shell (ui/ → ui/dist/) and every plugin UI module (<plugin>/ui/index.tsx →
// <plugin>/ui/dist/index.js). Solid is external everywhere: the shell's index.html carries an import
// map that points `solid-js`, `solid-js/web` and `solid-js/store` at ONE copy served from
// /assets/vendor/, so the shell, Kobalte and every plugin fragment share one Solid runtime.
//
//   npm run build                       shell + plugins/*/ui + sdk/examples/*/ui
//   npm run build -- path/to/plugin …   also these plugin folders (or their ui/ folders)
//   npm run build -- --plugins-only     skip the shell
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { gzipSync } from 'node:zlib'
import type { InlineConfig, Plugin } from 'vite'

export const ROOT = path.resolve(import.meta.dirname, '..')
export const SHELL_DIR = path.join(ROOT, 'ui')
export const SHELL_DIST = path.join(SHELL_DIR, 'dist')
const SOLID_EXTERNAL = /^solid-js(\/.*)?$/
// Exact matches: `@sapa/sdk/ui` (types, defineUi) and `@sapa/sdk/ui/<part>` (components built into each module).
const SDK_UI_ALIASES = [
  { find: /^@sapa\/sdk\/ui$/, replacement: path.join(ROOT, 'sdk', 'ui.ts') },
  { find: /^@sapa\/sdk\/ui\/([\w-]+)$/, replacement: path.join(ROOT, 'sdk', 'ui', '$1') },
]
const SOLID_ENTRIES = [
  { specifier: 'solid-js', file: 'solid-js/dist/solid.js', name: 'solid' },
  { specifier: 'solid-js/web', file: 'solid-js/web/dist/web.js', name: 'solid-web' },
  { specifier: 'solid-js/store', file: 'solid-js/store/dist/store.js', name: 'solid-store' },
]

export interface BuildReport {
  shell: { ms: number; entry: string; entryBytes: number; entryGzip: number; initialGzip: number; solidGzip: number } | null
  plugins: { dir: string; ms: number; bytes: number; gzip: number }[]
  ms: number
}

/** Plugin folders whose ui/index.tsx should be built: first-party plugins and the SDK examples. */
export function defaultPluginDirs(): string[] {
  const found: string[] = []
  for (const parent of [path.join(ROOT, 'plugins'), path.join(ROOT, 'sdk', 'examples')]) {
    if (!existsSync(parent)) continue
    for (const name of readdirSync(parent).sort()) {
      const dir = path.join(parent, name)
      if (statSync(dir).isDirectory() && uiEntry(dir)) found.push(dir)
    }
  }
  return found
}

/** The ui/index.tsx (or .ts/.jsx) of a plugin folder; a ui/ folder itself is accepted too. */
function uiEntry(dir: string): string | null {
  for (const base of [path.join(dir, 'ui'), dir]) {
    for (const name of ['index.tsx', 'index.ts', 'index.jsx']) {
      const file = path.join(base, name)
      if (existsSync(file)) return file
    }
  }
  return null
}

const gzipSize = (file: string) => gzipSync(readFileSync(file), { level: 9 }).length
const hash = (data: Buffer | string) => createHash('sha256').update(data).digest('hex').slice(0, 10)

/** Writes `<file>.gz` beside each text asset; the shell route serves it to browsers that accept gzip. */
function precompress(dir: string): void {
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name)
    if (statSync(file).isDirectory()) precompress(file)
    else if (/\.(js|css|svg|json|map)$/.test(name)) writeFileSync(`${file}.gz`, gzipSync(readFileSync(file), { level: 9 }))
  }
}

async function solidPlugin(): Promise<Plugin[]> {
  const { default: solid } = await import('vite-plugin-solid')
  return [solid({ ssr: false, dev: false, hot: false }) as Plugin, compiledDependencies()]
}

/**
 * vite-plugin-solid puts the `solid` export condition first, so Kobalte and its helpers resolve to
 * their JSX sources and go through the Solid compiler again (most of the build time). Their
 * published builds are already compiled for the browser: drop the condition, keep our own TSX.
 */
function compiledDependencies(): Plugin {
  return {
    name: 'sapa-compiled-dependencies',
    enforce: 'post',
    configEnvironment(_name, config) {
      if (config.resolve?.conditions) config.resolve.conditions = config.resolve.conditions.filter((c) => c !== 'solid')
    },
  }
}

/** Puts a library build's CSS into its JS (a <style> element), so one `import()` brings both. */
function inlineCss(): Plugin {
  return {
    name: 'sapa-inline-css',
    apply: 'build',
    enforce: 'post',
    generateBundle(_options, bundle) {
      const css = Object.values(bundle).filter((f) => f.type === 'asset' && f.fileName.endsWith('.css'))
      if (!css.length) return
      const text = css.map((f) => (f.type === 'asset' ? String(f.source) : '')).join('\n')
      for (const f of css) delete bundle[f.fileName]
      for (const chunk of Object.values(bundle)) {
        if (chunk.type === 'chunk' && chunk.isEntry) {
          chunk.code = `(()=>{if(typeof document!=='undefined'){const s=document.createElement('style');s.dataset.sapaPlugin='';s.textContent=${JSON.stringify(text)};document.head.appendChild(s)}})();\n${chunk.code}`
        }
      }
    },
  }
}

export async function buildShell(): Promise<NonNullable<BuildReport['shell']>> {
  const started = performance.now()
  const { build } = await import('vite')
  const config: InlineConfig = {
    configFile: false,
    root: SHELL_DIR,
    base: '/',
    logLevel: 'warn',
    plugins: await solidPlugin(),
    resolve: { alias: SDK_UI_ALIASES },
    build: {
      outDir: SHELL_DIST,
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: false,
      reportCompressedSize: false,
      chunkSizeWarningLimit: 400,
      modulePreload: { polyfill: false },
      rolldownOptions: { external: SOLID_EXTERNAL },
    },
  }
  await build(config)

  // One copy of Solid, content-hashed, and an import map pointing at it.
  const vendorDir = path.join(SHELL_DIST, 'assets', 'vendor')
  mkdirSync(vendorDir, { recursive: true })
  const imports: Record<string, string> = {}
  for (const entry of SOLID_ENTRIES) {
    const source = path.join(ROOT, 'node_modules', entry.file)
    const name = `${entry.name}-${hash(readFileSync(source))}.js`
    copyFileSync(source, path.join(vendorDir, name))
    imports[entry.specifier] = `/assets/vendor/${name}`
  }
  const indexFile = path.join(SHELL_DIST, 'index.html')
  let html = readFileSync(indexFile, 'utf8')
  const importMap = `<script type="importmap">${JSON.stringify({ imports })}</script>`
  const preloads = Object.values(imports).map((url) => `<link rel="modulepreload" href="${url}">`).join('\n    ')
  // The import map must come before every module script and modulepreload in the document.
  if (!html.includes('<!--sapa:importmap-->')) throw new Error('ui/index.html lacks the <!--sapa:importmap--> marker')
  html = html.replace('<!--sapa:importmap-->', `${importMap}\n    ${preloads}`)
  writeFileSync(indexFile, html)
  precompress(path.join(SHELL_DIST, 'assets'))

  // Sizes: the entry chunk, and everything the first page load fetches (entry + its static imports + Solid).
  const assets = path.join(SHELL_DIST, 'assets')
  const entryName = /<script type="module" crossorigin src="\/assets\/([^"]+)"/.exec(html)?.[1]
  if (!entryName) throw new Error('built index.html has no entry script')
  const initial = new Set<string>([entryName])
  for (const m of html.matchAll(/<link rel="(?:modulepreload|stylesheet)" crossorigin href="\/assets\/([^"]+)"/g)) initial.add(m[1])
  const solidGzip = Object.values(imports).reduce((n, url) => n + gzipSize(path.join(SHELL_DIST, url)), 0)
  const initialGzip = [...initial].reduce((n, f) => n + gzipSize(path.join(assets, f)), 0) + solidGzip
  return {
    ms: Math.round(performance.now() - started),
    entry: entryName,
    entryBytes: statSync(path.join(assets, entryName)).size,
    entryGzip: gzipSize(path.join(assets, entryName)),
    initialGzip,
    solidGzip,
  }
}

/** Builds one plugin's UI as an ES library module at <plugin>/ui/dist/index.js. */
export async function buildPluginUi(dir: string): Promise<BuildReport['plugins'][number]> {
  const started = performance.now()
  const entry = uiEntry(dir)
  if (!entry) throw new Error(`${dir}: no ui/index.tsx to build`)
  const uiDir = path.dirname(entry)
  const outDir = path.join(uiDir, 'dist')
  const { build } = await import('vite')
  await build({
    configFile: false,
    root: uiDir,
    logLevel: 'warn',
    plugins: [...(await solidPlugin()), inlineCss()],
    // Works for plugin folders outside this repository too (no node_modules/@sapa/sdk beside them).
    resolve: { alias: SDK_UI_ALIASES },
    define: { 'process.env.NODE_ENV': '"production"' },
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: false,
      reportCompressedSize: false,
      copyPublicDir: false,
      lib: { entry, formats: ['es'], fileName: () => 'index.js' },
      // Library mode leaves ES output's whitespace in (for bundlers); these modules go straight to browsers.
      rolldownOptions: { external: SOLID_EXTERNAL, output: { codeSplitting: false, minify: true } },
    },
  })
  const file = path.join(outDir, 'index.js')
  return { dir: path.relative(ROOT, dir) || dir, ms: Math.round(performance.now() - started), bytes: statSync(file).size, gzip: gzipSize(file) }
}

export async function buildUi(options: { shell?: boolean; pluginDirs?: string[] } = {}): Promise<BuildReport> {
  const started = performance.now()
  const shell = options.shell === false ? null : await buildShell()
  const dirs = [...new Set([...defaultPluginDirs(), ...(options.pluginDirs ?? []).map((d) => path.resolve(d))])]
  const plugins = []
  for (const dir of dirs) plugins.push(await buildPluginUi(dir))
  return { shell, plugins, ms: Math.round(performance.now() - started) }
}

function newestMtime(target: string, skip: (p: string) => boolean): number {
  if (!existsSync(target)) return 0
  const stat = statSync(target)
  if (!stat.isDirectory()) return stat.mtimeMs
  let newest = stat.mtimeMs
  for (const name of readdirSync(target)) {
    const child = path.join(target, name)
    if (!skip(child)) newest = Math.max(newest, newestMtime(child, skip))
  }
  return newest
}

/** True when ui/dist is missing or older than the shell's sources (or the SDK's UI contract). */
export function shellIsStale(): boolean {
  const built = path.join(SHELL_DIST, 'index.html')
  if (!existsSync(built)) return true
  const sources = Math.max(
    newestMtime(path.join(SHELL_DIR, 'src'), () => false),
    newestMtime(path.join(SHELL_DIR, 'index.html'), () => false),
    newestMtime(path.join(ROOT, 'sdk', 'ui.ts'), () => false),
    newestMtime(SDK_UI_PARTS, () => false),
    newestMtime(path.join(ROOT, 'node_modules', 'solid-js', 'package.json'), () => false),
  )
  return sources > statSync(built).mtimeMs
}

/** Components in @sapa/sdk/ui/<part>, built into the shell and every plugin module that imports them. */
const SDK_UI_PARTS = path.join(ROOT, 'sdk', 'ui')

/** True when a plugin's ui/dist/index.js is missing or older than its ui sources or the SDK's UI parts. */
export function pluginUiIsStale(dir: string): boolean {
  const entry = uiEntry(dir)
  if (!entry) return false
  const uiDir = path.dirname(entry)
  const built = path.join(uiDir, 'dist', 'index.js')
  if (!existsSync(built)) return true
  const sources = Math.max(newestMtime(uiDir, (p) => p === path.join(uiDir, 'dist')), newestMtime(SDK_UI_PARTS, () => false))
  return sources > statSync(built).mtimeMs
}

/** Builds what is missing or out of date; `npm start` and the browser tests call this. */
/** Builds what is stale: the shell and the plugin UIs (the default ones too, unless `only`). */
export async function ensureUiBuilt(options: { pluginDirs?: string[]; only?: boolean; log?: (line: string) => void } = {}): Promise<BuildReport | null> {
  const dirs = [...new Set([...(options.only ? [] : defaultPluginDirs()), ...(options.pluginDirs ?? []).map((d) => path.resolve(d))])]
  const staleShell = shellIsStale()
  const stalePlugins = dirs.filter(pluginUiIsStale)
  if (!staleShell && !stalePlugins.length) return null
  const started = performance.now()
  options.log?.(`building the web UI (${[staleShell ? 'shell' : '', ...stalePlugins.map((d) => path.basename(d))].filter(Boolean).join(', ')})…`)
  const shell = staleShell ? await buildShell() : null
  const plugins = []
  for (const dir of stalePlugins) plugins.push(await buildPluginUi(dir))
  return { shell, plugins, ms: Math.round(performance.now() - started) }
}

/**
 * For `npm start`: builds the web UI when it is missing or older than its sources (first start,
 * after an update), for the shell and the loaded plugins. A failed build is reported, not fatal:
 * the API still runs. SAPA_BUILD_UI=false skips it (a read-only deployment that ships ui/dist).
 */
export async function prepareWebUi(pluginDirs: string[], log: (line: string) => void = (l) => console.log(l)): Promise<void> {
  if (process.env.SAPA_BUILD_UI === 'false') return
  try {
    const report = await ensureUiBuilt({ pluginDirs, log })
    if (report) log(`web UI built in ${(report.ms / 1000).toFixed(1)} s`)
  } catch (err) {
    log(`sapa: the web UI could not be built (${err instanceof Error ? err.message : String(err)}); the API runs without it. Run npm run build to see why.`)
  }
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} kB`

async function main(args: string[]) {
  const pluginsOnly = args.includes('--plugins-only')
  const dirs = args.filter((a) => !a.startsWith('--'))
  for (const dir of dirs) {
    if (!uiEntry(path.resolve(dir))) {
      console.error(`build-ui: ${dir} has no ui/index.tsx`)
      process.exit(1)
    }
  }
  const report = await buildUi({ shell: !pluginsOnly, pluginDirs: dirs })
  if (report.shell) {
    const s = report.shell
    console.log(`shell   ui/dist  entry ${s.entry} ${kb(s.entryBytes)} (${kb(s.entryGzip)} gzip); first load ${kb(s.initialGzip)} gzip incl. Solid ${kb(s.solidGzip)}  [${s.ms} ms]`)
  }
  for (const p of report.plugins) console.log(`plugin  ${p.dir}/ui/dist/index.js ${kb(p.bytes)} (${kb(p.gzip)} gzip)  [${p.ms} ms]`)
  console.log(`built in ${(report.ms / 1000).toFixed(2)} s`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((err) => {
    console.error('build-ui failed:', err instanceof Error ? err.message : err)
    process.exit(1)
  })
}
