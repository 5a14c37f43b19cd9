// A plugin's page: its module loaded with import() on first visit, rendered with its UiHost.
import { createResource, Show } from 'solid-js'
import { Dynamic } from 'solid-js/web'
import type { PageProps } from '@sapa/sdk/ui'
import { hostFor, loadPluginUi, type ManifestPlugin, type NavItem } from '../lib/plugins.ts'

export default function PluginPage(props: { plugin: ManifestPlugin; item: NavItem; params: Record<string, string> }) {
  const [ui] = createResource(() => props.plugin, loadPluginUi)
  const page = () => {
    const loaded = ui()
    if (!loaded) return undefined
    const component = loaded.pages?.[props.item.id]
    if (typeof component !== 'function') throw new Error(`"${props.plugin.name}" declares the page "${props.item.id}" but its module has no pages["${props.item.id}"].`)
    return component
  }
  return (
    <div class="plugin-page" data-plugin-page={`${props.plugin.name}:${props.item.id}`}>
      <Show when={page()}>
        {(component) => <Dynamic component={component()} {...({ host: hostFor(props.plugin.name, ui()), params: props.params } satisfies PageProps)} />}
      </Show>
    </div>
  )
}
