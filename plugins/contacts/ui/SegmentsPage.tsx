// Segments: saved filters with their live counts; open one to see its contacts in the table.
import { createResource, createSignal, For, Show } from 'solid-js'
import type { UiHost } from '@sapa/sdk/ui'
import { createCatalog } from './catalog.ts'
import { Confirm } from '@sapa/sdk/ui/dialog'
import { SegmentEditor, type SegmentDraft } from './SegmentEditor.tsx'
import { Empty, ErrorNote, Loading } from './States.tsx'
import { PERM, type Segment, type SegmentCount } from './types.ts'
import { createPaged } from '@sapa/sdk/ui/paged'
import { errorText, formatNumber } from './util.ts'

function SegmentCountCell(props: { host: UiHost; id: string; version: number }) {
  // Counted on the server at request time: always today's members.
  const [count, { refetch }] = createResource(() => [props.id, props.version] as const, ([id]) => props.host.api<SegmentCount>(`/api/contacts/segments/${id}/count`))
  return (
    <span data-testid="segment-count">
      <Show when={!count.error} fallback={<button type="button" class="btn btn-link small" onClick={() => void refetch()} title={errorText(props.host, count.error)}>{props.host.t('contacts.retry')}</button>}>
        <Show when={count()} fallback={<span class="muted">…</span>}>
          {(n) => (
            <>
              <strong>{props.host.t(n().count === 1 ? 'contacts.segments.countOne' : 'contacts.segments.count', { count: formatNumber(props.host, n().count) })}</strong>
              <span class="muted small"> · {props.host.t('contacts.segments.reachable', { count: formatNumber(props.host, n().reachable) })}</span>
            </>
          )}
        </Show>
      </Show>
    </span>
  )
}

export function SegmentsPage(props: { host: UiHost }) {
  const host = props.host
  const t = host.t
  const catalog = createCatalog(host)
  const list = createPaged<Segment>((cursor) => host.api('/api/contacts/segments', { query: { limit: 50, cursor } }))
  void list.reload()
  const [version, setVersion] = createSignal(0)
  const [editing, setEditing] = createSignal<SegmentDraft | null>(null)
  const [deleting, setDeleting] = createSignal<Segment | null>(null)
  const manage = () => host.can(PERM.segments)

  return (
    <section class="page ct-page" data-testid="segments-page">
      <nav class="ct-back">
        <a href="/contacts">← {t('contacts.title')}</a>
      </nav>
      <header class="page-header">
        <div>
          <h1>{t('contacts.segments.title')}</h1>
          <p class="muted">{t('contacts.segments.subtitle')}</p>
        </div>
        <div class="page-actions">
          <button type="button" class="btn" onClick={() => setVersion((v) => v + 1)}>
            {t('contacts.segments.recount')}
          </button>
          <Show when={manage()}>
            <button type="button" class="btn btn-primary" onClick={() => setEditing({ name: '', filter: {} })} data-testid="new-segment">
              {t('contacts.segments.new')}
            </button>
          </Show>
        </div>
      </header>
      <Show when={list.error()}>
        <ErrorNote host={host} error={list.error()} retry={() => void list.reload()} />
      </Show>
      <Show when={list.loaded()} fallback={<Show when={!list.error()}>{<Loading host={host} />}</Show>}>
        <Show when={list.items().length} fallback={<Empty title={t('contacts.segments.empty')}>{t('contacts.segments.emptyHint')}</Empty>}>
          <ul class="list" data-testid="segments-list">
            <For each={list.items()}>
              {(s) => (
                <li class="list-row ct-segment-row" data-segment={s.name}>
                  <div class="list-main">
                    <a class="cell-title" href={`/contacts?segment=${s.id}`}>
                      {s.name}
                    </a>
                    <div>
                      <SegmentCountCell host={host} id={s.id} version={version()} />
                    </div>
                  </div>
                  <div class="ct-row-actions">
                    <a class="btn btn-small" href={`/contacts?segment=${s.id}`} aria-label={t('contacts.segments.openNamed', { name: s.name })}>
                      {t('contacts.segments.open')}
                    </a>
                    <Show when={manage()}>
                      <button type="button" class="btn btn-small" onClick={() => setEditing({ id: s.id, name: s.name, filter: s.filter })} aria-label={t('contacts.segments.editNamed', { name: s.name })}>
                        {t('contacts.edit')}
                      </button>
                      <button type="button" class="btn btn-small btn-danger-outline" onClick={() => setDeleting(s)} aria-label={t('contacts.segments.deleteNamed', { name: s.name })}>
                        {t('contacts.delete')}
                      </button>
                    </Show>
                  </div>
                </li>
              )}
            </For>
          </ul>
          <Show when={list.hasMore()}>
            <button type="button" class="btn btn-block" disabled={list.loading()} onClick={() => void list.more()}>
              {list.loading() ? t('contacts.loading') : t('contacts.loadMore')}
            </button>
          </Show>
        </Show>
      </Show>
      <SegmentEditor
        host={host}
        open={editing() !== null}
        onClose={() => setEditing(null)}
        catalog={catalog}
        initial={editing() ?? { name: '', filter: {} }}
        onSaved={(saved) => {
          const existed = list.items().some((x) => x.id === saved.id)
          list.setItems((items) => (existed ? items.map((x) => (x.id === saved.id ? saved : x)) : [...items, saved]))
          setEditing(null)
          setVersion((v) => v + 1)
          host.toast(t('contacts.segments.saved', { name: saved.name }), 'success')
        }}
      />
      <Confirm
        testId="ct-confirm"
        errorText={(err) => errorText(host, err)}
        host={host}
        open={deleting() !== null}
        onClose={() => setDeleting(null)}
        title={t('contacts.segments.deleteTitle', { name: deleting()?.name ?? '' })}
        description={t('contacts.segments.deleteText')}
        confirmLabel={t('contacts.delete')}
        danger
        onConfirm={async () => {
          const s = deleting()
          if (!s) return
          await host.api(`/api/contacts/segments/${s.id}`, { method: 'DELETE' })
          list.setItems((items) => items.filter((x) => x.id !== s.id))
          host.toast(t('contacts.segments.deleted', { name: s.name }), 'success')
        }}
      />
    </section>
  )
}
