// Settings → Modules: every installed plugin with a switch to turn it on or off for this workspace.
import { Switch as KSwitch } from '@kobalte/core/switch'
import { createResource, createSignal, For, Show } from 'solid-js'
import { api, ApiError } from '../../lib/api.ts'
import { errorText, t } from '../../lib/i18n.ts'
import { reloadManifest } from '../../lib/plugins.ts'
import { can } from '../../lib/session.ts'
import { toast } from '../../lib/toast.ts'
import { Empty, ErrorNote, Loading, PageHeader } from '../../components/States.tsx'

interface PluginRow {
  name: string
  version: string
  description: string
  dependsOn: string[]
  dependants: string[]
  enabled: boolean
  hasSettings: boolean
  permissions: string[]
}

/** The 409's details, in words: what to enable first, or what to disable first. */
function conflictText(err: unknown): string {
  if (err instanceof ApiError && err.status === 409) {
    const d = (err.details ?? {}) as { missing?: string[]; dependants?: string[]; plugin?: string }
    if (err.code === 'plugin_dependency_disabled' && d.missing?.length) return t('modules.needsFirst', { plugin: d.plugin ?? '', list: d.missing.join(', ') })
    if (err.code === 'plugin_required' && d.dependants?.length) return t('modules.requiredBy', { plugin: d.plugin ?? '', list: d.dependants.join(', ') })
  }
  return errorText(err)
}

export default function Modules() {
  const [list, { refetch }] = createResource(() => api<{ items: PluginRow[] }>('/api/plugins').then((r) => r.items))
  const [pending, setPending] = createSignal<string | null>(null)
  const [errors, setErrors] = createSignal<Record<string, string>>({})
  // Changes kept beside the loaded rows, so a row (and the focused switch) is not re-created.
  const [changed, setChanged] = createSignal<Record<string, boolean>>({})
  const isOn = (row: PluginRow) => changed()[row.name] ?? row.enabled
  const manage = () => can('kernel.plugins.manage')

  const toggle = async (row: PluginRow, enabled: boolean) => {
    if (pending()) return
    setPending(row.name)
    setErrors((e) => ({ ...e, [row.name]: '' }))
    try {
      await api(`/api/plugins/${encodeURIComponent(row.name)}/enabled`, { method: 'PUT', body: { enabled } })
      setChanged((c) => ({ ...c, [row.name]: enabled }))
      toast(t(enabled ? 'modules.enabled' : 'modules.disabled', { plugin: row.name }), 'success')
      await reloadManifest()
    } catch (err) {
      setErrors((e) => ({ ...e, [row.name]: conflictText(err) }))
    } finally {
      setPending(null)
    }
  }

  return (
    <section>
      <PageHeader title={t('settings.modules')} description={t('modules.description')} />
      <Show when={!manage()}>
        <p class="note note-info">{t('modules.readOnly')}</p>
      </Show>
      <Show when={!list.error} fallback={<ErrorNote error={list.error} retry={refetch} />}>
        <Show when={list()} fallback={<Loading />}>
          {(items) => (
            <Show when={items().length} fallback={<Empty title={t('modules.none')}>{t('modules.noneHint')}</Empty>}>
              <ul class="list">
                <For each={items()}>
                  {(row) => (
                    <li class="list-row module-row" data-module={row.name}>
                      <div class="list-main">
                        <div class="list-title">
                          <strong>{row.name}</strong> <span class="muted">v{row.version}</span>
                        </div>
                        <Show when={row.description}>
                          <p class="muted">{row.description}</p>
                        </Show>
                        <Show when={row.dependsOn.length}>
                          <p class="small">{t('modules.dependsOn', { list: row.dependsOn.join(', ') })}</p>
                        </Show>
                        <Show when={row.dependants.length}>
                          <p class="small">{t('modules.neededBy', { list: row.dependants.join(', ') })}</p>
                        </Show>
                        <Show when={errors()[row.name]}>
                          <p class="field-error" role="alert">
                            {errors()[row.name]}
                          </p>
                        </Show>
                      </div>
                      <KSwitch class="switch" checked={isOn(row)} disabled={!manage()} aria-busy={pending() === row.name} onChange={(v) => void toggle(row, v)}>
                        <KSwitch.Input class="switch-input" data-switch={row.name} />
                        <KSwitch.Label class="sr-only">{t('modules.toggle', { plugin: row.name })}</KSwitch.Label>
                        <KSwitch.Control class="switch-control">
                          <KSwitch.Thumb class="switch-thumb" />
                        </KSwitch.Control>
                        <span class="switch-state" aria-hidden="true">
                          {isOn(row) ? t('common.on') : t('common.off')}
                        </span>
                      </KSwitch>
                    </li>
                  )}
                </For>
              </ul>
            </Show>
          )}
        </Show>
      </Show>
    </section>
  )
}
