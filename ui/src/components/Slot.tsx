// <Slot name="settings.sections" context={...}/>: the fragments enabled plugins attach there.
import { createResource, For, Show } from 'solid-js'
import { Dynamic } from 'solid-js/web'
import type { SlotProps } from '@sapa/sdk/ui'
import { hostFor, loadPluginUi, provideSlotComponent, slotFragments, type ManifestPlugin } from '../lib/plugins.ts'
import { PluginBoundary } from './Boundary.tsx'

function Fragment(props: { plugin: ManifestPlugin; id: string; context: Record<string, unknown> }) {
  const [ui] = createResource(() => props.plugin, loadPluginUi)
  const component = () => {
    const loaded = ui()
    if (!loaded) return undefined
    const c = loaded.slots?.[props.id]
    if (typeof c !== 'function') throw new Error(`"${props.plugin.name}" declares slot fragment "${props.id}" but its module has no slots["${props.id}"].`)
    return c
  }
  return (
    <Show when={component()}>
      {(c) => <Dynamic component={c()} {...({ host: hostFor(props.plugin.name, ui()), context: props.context } satisfies SlotProps)} />}
    </Show>
  )
}

export function Slot(props: { name: string; context?: Record<string, unknown> }) {
  return (
    <For each={slotFragments(props.name)}>
      {(f) => (
        <div class="slot-fragment" data-slot={props.name} data-fragment={`${f.plugin.name}:${f.id}`}>
          <PluginBoundary plugin={f.plugin.name} compact>
            <Fragment plugin={f.plugin} id={f.id} context={props.context ?? {}} />
          </PluginBoundary>
        </div>
      )}
    </For>
  )
}

provideSlotComponent(Slot)
