// The enabled plugins' UI (GET /api/ui/manifest), their modules loaded with import() on first use,
// and the UiHost each of them gets.
import { createSignal, getOwner, onCleanup } from 'solid-js'
import type { PluginUi, UiHost } from '@sapa/sdk/ui'
import { api } from './api.ts'
import { can, me } from './session.ts'
import { locale, translate } from './i18n.ts'
import { subscribe } from './realtime.ts'
import { toast } from './toast.ts'
import { navigate } from './router.ts'

export interface NavItem {
  id: string
  path: string
  label: { en: string; id: string }
  icon?: string
  order?: number
}

export interface ManifestPlugin {
  name: string
  version: string
  module: string | null
  nav: NavItem[]
  slots: { slot: string; id: string; order?: number }[]
}

const [plugins, setPlugins] = createSignal<ManifestPlugin[]>([])
const [manifestState, setManifestState] = createSignal<'idle' | 'loading' | 'ready' | 'error'>('idle')
const [manifestError, setManifestError] = createSignal<unknown>(null)
export { plugins, manifestState, manifestError }

let generation = 0
export async function reloadManifest(): Promise<void> {
  const mine = ++generation
  if (manifestState() !== 'ready') setManifestState('loading')
  try {
    const res = await api<{ plugins: ManifestPlugin[] }>('/api/ui/manifest')
    if (mine !== generation) return
    setPlugins(res.plugins)
    setManifestState('ready')
    setManifestError(null)
  } catch (err) {
    if (mine !== generation) return
    setManifestError(err)
    setManifestState('error')
  }
}

export function clearManifest(): void {
  generation++
  setPlugins([])
  setManifestState('idle')
}

const byOrder = <T extends { order?: number }>(a: T, b: T) => (a.order ?? 100) - (b.order ?? 100)

/** Nav items of every enabled plugin, in `order`. */
export function pluginNav(): { plugin: ManifestPlugin; item: NavItem }[] {
  return plugins()
    .flatMap((plugin) => plugin.nav.map((item) => ({ plugin, item })))
    .sort((a, b) => byOrder(a.item, b.item) || a.item.label.en.localeCompare(b.item.label.en))
}

/** The plugin page for a path: its own path or below it (the rest becomes params). */
export function matchPluginPage(path: string): { plugin: ManifestPlugin; item: NavItem; params: Record<string, string> } | null {
  let best: { plugin: ManifestPlugin; item: NavItem; params: Record<string, string> } | null = null
  for (const { plugin, item } of pluginNav()) {
    const base = item.path.replace(/\/+$/, '') || '/'
    if (base === '/') continue
    if (path !== base && !path.startsWith(base + '/')) continue
    if (best && best.item.path.length >= base.length) continue
    const rest = path.slice(base.length).replace(/^\/+/, '')
    const params: Record<string, string> = { path: rest }
    rest.split('/').filter(Boolean).forEach((seg, i) => (params[String(i)] = decodeURIComponent(seg)))
    best = { plugin, item, params }
  }
  return best
}

export function slotFragments(slot: string): { plugin: ManifestPlugin; id: string }[] {
  return plugins()
    .flatMap((plugin) => plugin.slots.filter((s) => s.slot === slot).map((s) => ({ plugin, id: s.id, order: s.order })))
    .sort(byOrder)
}

const modules = new Map<string, Promise<PluginUi>>()

export class PluginLoadError extends Error {
  override name = 'PluginLoadError'
}

/** The plugin's UI module (cached per URL; a failed load is retried on the next call). */
export function loadPluginUi(plugin: ManifestPlugin): Promise<PluginUi> {
  const url = plugin.module
  if (!url) return Promise.reject(new PluginLoadError(`The web UI of "${plugin.name}" has not been built (npm run build).`))
  let loading = modules.get(url)
  if (!loading) {
    loading = import(/* @vite-ignore */ url).then((mod: { default?: PluginUi }) => {
      const ui = mod.default
      if (!ui || typeof ui !== 'object') throw new PluginLoadError(`"${plugin.name}" has no default export (export default defineUi({...})).`)
      return ui
    })
    loading.catch(() => modules.delete(url))
    modules.set(url, loading)
  }
  return loading
}

// Set by components/Slot.tsx (which needs this module): avoids an import cycle.
let SlotComponent: UiHost['Slot'] = () => null
export function provideSlotComponent(component: UiHost['Slot']): void {
  SlotComponent = component
}

const hosts = new Map<string, UiHost>()

/** The UiHost a plugin's pages and fragments receive; `t` looks in the plugin's own messages first. */
export function hostFor(pluginName: string, ui?: PluginUi): UiHost {
  const key = `${pluginName}`
  const cached = hosts.get(key)
  if (cached && (cached as UiHost & { _ui?: PluginUi })._ui === ui) return cached
  const host: UiHost & { _ui?: PluginUi } = {
    _ui: ui,
    can,
    api: (path, init) => api(path, init),
    // Called while a component renders, the subscription ends with that component (it may still
    // call the returned function earlier; doing both is harmless).
    subscribe: (topic, handler) => {
      const off = subscribe(topic, handler)
      if (getOwner()) onCleanup(off)
      return off
    },
    t: (key, vars) => translate(ui?.messages, key, vars),
    locale,
    toast,
    navigate: (path) => navigate(path),
    tenant: () => {
      const t = me()?.tenant
      return t ? { id: t.id, name: t.name, slug: t.slug, timezone: t.timezone } : { id: '', name: '', slug: '', timezone: 'UTC' }
    },
    user: () => me()?.user ?? null,
    Slot: (props) => SlotComponent(props),
  }
  hosts.set(key, host)
  return host
}
