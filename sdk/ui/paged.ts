// @sapa/sdk/ui/paged — a cursor-paginated list for pages: first page, "load more", reload; answers
// to an older reload are dropped. Used by the shell's settings pages and plugin pages alike.
// Live changes (realtime) go through setItems; "load more" skips rows already in the list, since
// such a change may have brought one of the next page's rows in meanwhile.
import { createSignal } from 'solid-js'
import { createStore, reconcile } from 'solid-js/store'

export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

export function createPaged<T extends { id: string }>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>) {
  // A store reconciled by id: an updated row keeps its DOM (and the focus inside it).
  const [state, setState] = createStore<{ items: T[] }>({ items: [] })
  const items = () => state.items
  const setItems = (next: T[] | ((old: T[]) => T[])) => setState('items', reconcile(typeof next === 'function' ? next(state.items) : next, { key: 'id' }))
  const [cursor, setCursor] = createSignal<string | null>(null)
  const [loading, setLoading] = createSignal(false)
  const [error, setError] = createSignal<unknown>(null)
  const [loaded, setLoaded] = createSignal(false)
  let generation = 0

  async function load(reset: boolean) {
    const mine = reset ? ++generation : generation
    setLoading(true)
    setError(null)
    try {
      const page = await fetchPage(reset ? undefined : cursor() ?? undefined)
      if (mine !== generation) return
      setItems((old) => {
        if (reset) return page.items
        const known = new Set(old.map((i) => i.id))
        return [...old, ...page.items.filter((i) => !known.has(i.id))]
      })
      setCursor(page.nextCursor)
      setLoaded(true)
    } catch (err) {
      if (mine === generation) setError(err)
    } finally {
      if (mine === generation) setLoading(false)
    }
  }

  return {
    items,
    setItems,
    loading,
    error,
    loaded,
    hasMore: () => cursor() !== null,
    reload: () => load(true),
    more: () => load(false),
  }
}
