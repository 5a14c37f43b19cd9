// WhatsApp numbers: the workspace's numbers with live status, adding one, and what each needs next.
import { createResource, createSignal, For, Show } from 'solid-js'
import type { PageProps } from '@sapa/sdk/ui'
import { createPaged } from '@sapa/sdk/ui/paged'
import { AddNumberDialog } from './AddNumberDialog.tsx'
import { errorText } from './errors.ts'
import { NumberItem } from './NumberItem.tsx'
import type { DriverName, WaNumber } from './types.ts'

const PAGE = 25

export function NumbersPage(props: PageProps) {
  const host = props.host
  const t = host.t
  const canManage = () => host.can('whatsapp.session.manage')
  const [adding, setAdding] = createSignal(false)
  let heading: HTMLHeadingElement | undefined

  const [drivers, { refetch: refetchDrivers }] = createResource(
    () => (canManage() ? true : null),
    () => host.api<{ items: { name: DriverName }[] }>('/api/whatsapp/drivers').then((r) => r.items.map((d) => d.name)),
  )

  // Reconciled by id: rows keep their DOM, their subscriptions and the focus inside them; "load more"
  // skips numbers a realtime event already added.
  const list = createPaged<WaNumber>((cursor) => host.api('/api/whatsapp/sessions', { query: { limit: PAGE, cursor } }))
  void list.reload()

  /**
   * A view from the API or from realtime. Both race (the connect answer and the first status push),
   * so an older view never replaces a newer one.
   */
  const update = (view: WaNumber) => {
    const current = list.items().find((n) => n.id === view.id)
    if (!current) return
    if (Date.parse(view.updatedAt) < Date.parse(current.updatedAt)) return
    list.setItems((items) => items.map((n) => (n.id === view.id ? view : n)))
  }
  const added = (view: WaNumber) => {
    if (!list.items().some((n) => n.id === view.id)) list.setItems((items) => [...items, view])
  }
  const removed = (id: string) => {
    list.setItems((items) => items.filter((n) => n.id !== id))
    // The row (and the button that had the focus) is gone: continue from the page's heading.
    heading?.focus()
  }

  // Numbers other people add or delete, live; after a dropped connection, the list again.
  host.subscribe('sessions', (event, data) => {
    if (event === 'created') added(data as WaNumber)
    else if (event === 'deleted') list.setItems((items) => items.filter((n) => n.id !== (data as { id: string }).id))
    else if (event === '$resubscribed') void list.reload()
  })

  return (
    <section class="page wa-page" data-testid="wa-numbers-page">
      <header class="page-header">
        <div>
          <h1 ref={heading} tabIndex={-1}>
            {t('whatsapp.title')}
          </h1>
          <p class="muted">{t('whatsapp.description')}</p>
        </div>
        <Show when={canManage()}>
          <div class="page-actions">
            <button type="button" class="btn btn-primary" onClick={() => setAdding(true)} disabled={!drivers()} data-testid="wa-add">
              {t('whatsapp.add.open')}
            </button>
          </div>
        </Show>
      </header>

      <Show when={canManage() && drivers.error}>
        <div class="note note-error" role="alert">
          <div>
            {errorText(host, drivers.error)}{' '}
            <button type="button" class="btn-link" onClick={() => void refetchDrivers()}>
              {t('whatsapp.retry')}
            </button>
          </div>
        </div>
      </Show>
      <Show when={list.error()}>
        <div class="note note-error" role="alert">
          <div>
            {errorText(host, list.error())}{' '}
            <button type="button" class="btn-link" onClick={() => void (list.loaded() ? list.more() : list.reload())}>
              {t('whatsapp.retry')}
            </button>
          </div>
        </div>
      </Show>

      <Show
        when={list.loaded()}
        fallback={
          <Show when={!list.error()}>
            <div class="state state-loading" role="status" aria-live="polite">
              <span class="spinner" aria-hidden="true" />
              <span>{t('whatsapp.loading')}</span>
            </div>
          </Show>
        }
      >
        <Show
          when={list.items().length}
          fallback={
            <div class="state state-empty" data-testid="wa-empty">
              <p class="state-title">{t('whatsapp.empty.title')}</p>
              <p>{canManage() ? t('whatsapp.empty.manage') : t('whatsapp.empty.view')}</p>
            </div>
          }
        >
          <ul class="wa-numbers" aria-label={t('whatsapp.title')} data-testid="wa-numbers">
            <For each={list.items()}>{(n) => <NumberItem host={host} number={n} onUpdate={update} onRemoved={removed} />}</For>
          </ul>
        </Show>
        <Show when={list.hasMore()}>
          <button type="button" class="btn btn-block" disabled={list.loading()} onClick={() => void list.more()}>
            {list.loading() ? t('whatsapp.loading') : t('whatsapp.loadMore')}
          </button>
        </Show>
      </Show>

      <Show when={canManage()}>
        <AddNumberDialog host={host} open={adding()} onClose={() => setAdding(false)} drivers={drivers() ?? []} onCreated={added} />
      </Show>
    </section>
  )
}
