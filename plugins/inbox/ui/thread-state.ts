// One conversation's thread: pages going back in time (`before` cursor), and items, ticks and
// reactions arriving live. Items are kept oldest first, ordered by id (UUIDv7, as the server orders).
import { createSignal } from 'solid-js'
import { createStore, produce } from 'solid-js/store'
import type { UiHost } from '@sapa/sdk/ui'
import { rankOf, type Item, type Page, type Reaction, type StatusEvent } from './types.ts'

const PAGE = 40

/** Later ticks win whichever copy came last: the send's answer, the created event or a status event. */
function merged(old: Item, next: Item): Item {
  if (rankOf(old.status) <= rankOf(next.status)) return { ...old, ...next, sentAt: next.sentAt ?? old.sentAt, deliveredAt: next.deliveredAt ?? old.deliveredAt, readAt: next.readAt ?? old.readAt }
  return { ...old, ...next, status: old.status, error: old.error, sentAt: old.sentAt ?? next.sentAt, deliveredAt: old.deliveredAt ?? next.deliveredAt, readAt: old.readAt ?? next.readAt }
}

export function createThread(host: UiHost, conversationId: string) {
  const [state, setState] = createStore<{ items: Item[] }>({ items: [] })
  const [cursor, setCursor] = createSignal<string | null>(null)
  const [loading, setLoading] = createSignal(false)
  const [error, setError] = createSignal<unknown>(null)
  const [loaded, setLoaded] = createSignal(false)
  // Ticks for items not here yet (a status event can overtake the send's answer).
  const early = new Map<string, StatusEvent>()

  function withEarly(item: Item): Item {
    const e = early.get(item.id)
    if (!e || rankOf(e.status) < rankOf(item.status)) return item
    early.delete(item.id)
    return { ...item, status: e.status, error: e.error, sentAt: e.sentAt ?? item.sentAt, deliveredAt: e.deliveredAt ?? item.deliveredAt, readAt: e.readAt ?? item.readAt }
  }

  /** The first page, or the page before the oldest item shown. Resolves once the items are in. */
  async function load(older: boolean) {
    if (loading() || (older && cursor() === null)) return
    setLoading(true)
    setError(null)
    try {
      const page = await host.api<Page<Item>>(`/api/inbox/conversations/${conversationId}/messages`, { query: { limit: PAGE, before: older ? (cursor() ?? undefined) : undefined } })
      const items = page.items.map(withEarly).reverse()
      setState(
        produce((s) => {
          const known = new Set(s.items.map((i) => i.id))
          s.items.unshift(...items.filter((i) => !known.has(i.id)))
        }),
      )
      setCursor(page.nextCursor)
      setLoaded(true)
    } catch (err) {
      setError(err)
    } finally {
      setLoading(false)
    }
  }

  /** A new or changed item: merged into its copy, or put in its place by id. */
  function add(incoming: Item) {
    const item = withEarly(incoming)
    setState(
      produce((s) => {
        const at = s.items.findIndex((i) => i.id === item.id)
        if (at >= 0) {
          // In place, so the item's DOM (and a picker open on it) stays.
          Object.assign(s.items[at], merged({ ...s.items[at] }, item))
          return
        }
        let to = s.items.length
        while (to > 0 && s.items[to - 1].id > item.id) to--
        s.items.splice(to, 0, item)
      }),
    )
  }

  /** After a reconnect: the newest page merged in (missed items in their place, changed ones updated). */
  async function catchUp() {
    try {
      const page = await host.api<Page<Item>>(`/api/inbox/conversations/${conversationId}/messages`, { query: { limit: PAGE } })
      for (const item of page.items) add(item)
    } catch {
      // Not fatal: the next event, or opening the conversation again, brings them.
    }
  }

  function status(e: StatusEvent) {
    const at = state.items.findIndex((i) => i.id === e.id)
    if (at < 0) {
      const known = early.get(e.id)
      if (!known || rankOf(known.status) <= rankOf(e.status)) early.set(e.id, e)
      return
    }
    const item = state.items[at]
    if (rankOf(e.status) < rankOf(item.status)) return
    setState('items', at, (old) => ({
      ...old,
      status: e.status,
      error: e.error,
      sentAt: e.sentAt ?? old.sentAt,
      deliveredAt: e.deliveredAt ?? old.deliveredAt,
      readAt: e.readAt ?? old.readAt,
    }))
  }

  function reactions(e: { id: string; reactions: Reaction[] }) {
    const at = state.items.findIndex((i) => i.id === e.id)
    if (at >= 0) setState('items', at, 'reactions', e.reactions)
  }

  return {
    items: () => state.items,
    loading,
    error,
    loaded,
    hasOlder: () => cursor() !== null,
    loadFirst: () => load(false),
    loadOlder: () => load(true),
    catchUp,
    add,
    status,
    reactions,
  }
}

export type Thread = ReturnType<typeof createThread>
