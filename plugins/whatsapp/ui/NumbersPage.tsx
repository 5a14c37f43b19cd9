// WhatsApp numbers: the workspace's numbers with live status, adding one, and what each needs next.
import { createResource, createSignal, For, Show } from 'solid-js'
import { createStore, reconcile } from 'solid-js/store'
import type { PageProps } from '@sapa/sdk/ui'
import { AddNumberDialog } from './AddNumberDialog.tsx'
import { errorText } from './errors.ts'
import { NumberItem } from './NumberItem.tsx'
import type { DriverName, WaNumber } from './types.ts'

const PAGE = 25

export function NumbersPage(props: PageProps) {
  const host = props.host
  const t = host.t
  const canManage = () => host.can('whatsapp.session.manage')
  const [state, setState] = createStore<{ items: WaNumber[] }>({ items: [] })
  const [cursor, setCursor] = createSignal<string | null>(null)
  const [loading, setLoading] = createSignal(false)
  const [loaded, setLoaded] = createSignal(false)
  const [error, setError] = createSignal<unknown>(null)
  const [adding, setAdding] = createSignal(false)
  let heading: HTMLHeadingElement | undefined
  let generation = 0

  const [drivers, { refetch: refetchDrivers }] = createResource(
    () => (canManage() ? true : null),
    () => host.api<{ items: { name: DriverName }[] }>('/api/whatsapp/drivers').then((r) => r.items.map((d) => d.name)),
  )

  async function load(reset: boolean) {
    const mine = reset ? ++generation : generation
    setLoading(true)
    setError(null)
    try {
      const page = await host.api<{ items: WaNumber[]; nextCursor: string | null }>('/api/whatsapp/sessions', { query: { limit: PAGE, cursor: reset ? undefined : (cursor() ?? undefined) } })
      if (mine !== generation) return
      const items = reset ? page.items : [...state.items, ...page.items.filter((p) => !state.items.some((i) => i.id === p.id))]
      // Reconciled by id: rows keep their DOM, their subscriptions and the focus inside them.
      setState('items', reconcile(items, { key: 'id' }))
      setCursor(page.nextCursor)
      setLoaded(true)
    } catch (err) {
      if (mine === generation) setError(err)
    } finally {
      if (mine === generation) setLoading(false)
    }
  }
  void load(true)

  /**
   * A view from the API or from realtime. Both race (the connect answer and the first status push),
   * so an older view never replaces a newer one.
   */
  const update = (view: WaNumber) => {
    const i = state.items.findIndex((n) => n.id === view.id)
    if (i < 0) return
    if (Date.parse(view.updatedAt) < Date.parse(state.items[i].updatedAt)) return
    setState('items', i, reconcile(view))
  }
  const added = (view: WaNumber) => {
    if (!state.items.some((n) => n.id === view.id)) setState('items', (items) => [...items, view])
  }
  const removed = (id: string) => {
    setState('items', (items) => items.filter((n) => n.id !== id))
    // The row (and the button that had the focus) is gone: continue from the page's heading.
    heading?.focus()
  }

  // Numbers other people add or delete, live; after a dropped connection, the list again.
  host.subscribe('sessions', (event, data) => {
    if (event === 'created') added(data as WaNumber)
    else if (event === 'deleted') setState('items', (items) => items.filter((n) => n.id !== (data as { id: string }).id))
    else if (event === '$resubscribed') void load(true)
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
      <Show when={error()}>
        <div class="note note-error" role="alert">
          <div>
            {errorText(host, error())}{' '}
            <button type="button" class="btn-link" onClick={() => void load(!loaded())}>
              {t('whatsapp.retry')}
            </button>
          </div>
        </div>
      </Show>

      <Show
        when={loaded()}
        fallback={
          <Show when={!error()}>
            <div class="state state-loading" role="status" aria-live="polite">
              <span class="spinner" aria-hidden="true" />
              <span>{t('whatsapp.loading')}</span>
            </div>
          </Show>
        }
      >
        <Show
          when={state.items.length}
          fallback={
            <div class="state state-empty" data-testid="wa-empty">
              <p class="state-title">{t('whatsapp.empty.title')}</p>
              <p>{canManage() ? t('whatsapp.empty.manage') : t('whatsapp.empty.view')}</p>
            </div>
          }
        >
          <ul class="wa-numbers" aria-label={t('whatsapp.title')} data-testid="wa-numbers">
            <For each={state.items}>{(n) => <NumberItem host={host} number={n} onUpdate={update} onRemoved={removed} />}</For>
          </ul>
        </Show>
        <Show when={cursor() !== null}>
          <button type="button" class="btn btn-block" disabled={loading()} onClick={() => void load(false)}>
            {loading() ? t('whatsapp.loading') : t('whatsapp.loadMore')}
          </button>
        </Show>
      </Show>

      <Show when={canManage()}>
        <AddNumberDialog host={host} open={adding()} onClose={() => setAdding(false)} drivers={drivers() ?? []} onCreated={added} />
      </Show>
    </section>
  )
}
