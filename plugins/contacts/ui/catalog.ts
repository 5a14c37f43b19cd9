// What several views need beside the contacts: the tenant's labels, attributes and segments.
import { createResource } from 'solid-js'
import type { UiHost } from '@sapa/sdk/ui'
import type { Attribute, Label, Page, Segment } from './types.ts'

export function createCatalog(host: UiHost) {
  const [labels, { refetch: reloadLabels, mutate: setLabels }] = createResource(() => host.api<{ items: Label[] }>('/api/contacts/labels').then((r) => r.items))
  const [attributes] = createResource(() => host.api<{ items: Attribute[] }>('/api/contacts/attributes').then((r) => r.items))
  // Segments are few (saved by managers); the first 200 fill the filter's menu.
  const [segments, { refetch: reloadSegments }] = createResource(() => host.api<Page<Segment>>('/api/contacts/segments', { query: { limit: 200 } }).then((r) => r.items))
  return { labels, reloadLabels, setLabels, attributes, segments, reloadSegments }
}
export type Catalog = ReturnType<typeof createCatalog>

/** A label by name (case-insensitive, as the API compares), created when there is none. */
export async function labelNamed(host: UiHost, catalog: Catalog, name: string): Promise<Label> {
  const wanted = name.trim()
  const found = (catalog.labels() ?? []).find((l) => l.name.toLowerCase() === wanted.toLowerCase())
  if (found) return found
  const created = await host.api<Label>('/api/contacts/labels', { method: 'POST', body: { name: wanted } })
  catalog.setLabels((list) => [...(list ?? []), { ...created, contacts: 0 }].sort((a, b) => a.name.localeCompare(b.name)))
  return created
}
