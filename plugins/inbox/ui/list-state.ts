// The conversation list: cursor pages, filters, and live changes from realtime applied in place.
import { createEffect, createSignal, on } from 'solid-js'
import { createStore, produce } from 'solid-js/store'
import type { UiHost } from '@sapa/sdk/ui'
import type { Conversation, Page, StatusEvent } from './types.ts'

export interface Filters {
  status: '' | Conversation['status']
  assignee: 'all' | 'me' | 'none'
  team: string // '' all, 'none', or a team id
  label: string
}

const PAGE = 50

/** Newest activity first, as the server orders (last_message_at desc, id desc). */
const before = (a: Conversation, b: Conversation) => a.lastMessageAt > b.lastMessageAt || (a.lastMessageAt === b.lastMessageAt && a.id > b.id)

export function createConversationList(host: UiHost, filters: () => Filters, isOpen: (id: string) => boolean) {
  const [state, setState] = createStore<{ items: Conversation[] }>({ items: [] })
  const [cursor, setCursor] = createSignal<string | null>(null)
  const [loading, setLoading] = createSignal(false)
  const [error, setError] = createSignal<unknown>(null)
  const [loaded, setLoaded] = createSignal(false)
  // Each conversation's read mark as this user's inbound count: realtime views carry no `unread`
  // (they go to many users), so it is worked out here from the view's inboundCount.
  const readMarks = new Map<string, number>()
  let generation = 0

  const query = () => {
    const f = filters()
    return {
      status: f.status || undefined,
      assignee: f.assignee === 'all' ? undefined : f.assignee,
      team: f.team || undefined,
      label: f.label.trim() || undefined,
      limit: PAGE,
    }
  }

  function remember(c: Conversation): Conversation {
    if (c.unread !== undefined) readMarks.set(c.id, c.inboundCount - c.unread)
    else if (isOpen(c.id)) readMarks.set(c.id, c.inboundCount)
    const mark = readMarks.get(c.id) ?? 0
    return { ...c, unread: Math.max(0, c.inboundCount - mark) }
  }

  async function load(reset: boolean) {
    if (!reset && (loading() || cursor() === null)) return
    const mine = reset ? ++generation : generation
    setLoading(true)
    setError(null)
    try {
      const page = await host.api<Page<Conversation>>('/api/inbox/conversations', { query: { ...query(), cursor: reset ? undefined : (cursor() ?? undefined) } })
      if (mine !== generation) return
      const fresh = page.items.map(remember)
      if (reset) setState('items', fresh)
      else {
        // A live update may already have brought one of these in.
        const known = new Set(state.items.map((c) => c.id))
        setState('items', (items) => [...items, ...fresh.filter((c) => !known.has(c.id))])
      }
      setCursor(page.nextCursor)
      setLoaded(true)
    } catch (err) {
      if (mine === generation) setError(err)
    } finally {
      if (mine === generation) setLoading(false)
    }
  }

  createEffect(on(() => JSON.stringify(filters()), () => void load(true)))

  /** Whether a conversation belongs in the list as filtered (the same rules as the server's query). */
  function matches(c: Conversation): boolean {
    const f = filters()
    if (f.status && c.status !== f.status) return false
    if (f.assignee === 'me' && c.assignee?.id !== host.user()?.id) return false
    if (f.assignee === 'none' && c.assignee) return false
    if (f.team === 'none' ? c.teamId !== null : f.team && c.teamId !== f.team) return false
    if (f.label.trim() && !c.labels.includes(f.label.trim())) return false
    return true
  }

  /** A conversation changed (or appeared): replaced, moved to its place by activity, or dropped. */
  function upsert(view: Conversation) {
    const c = remember(view)
    setState(
      produce((s) => {
        const at = s.items.findIndex((x) => x.id === c.id)
        if (at >= 0) {
          if (s.items[at].version > c.version) return // an older event overtaken by a newer one
          s.items.splice(at, 1)
        }
        if (!matches(c)) return
        let to = s.items.findIndex((x) => before(c, x))
        // Beyond the loaded pages: the next page brings it, in its place.
        if (to < 0) {
          if (cursor() !== null) return
          to = s.items.length
        }
        s.items.splice(to, 0, c)
      }),
    )
  }

  function remove(id: string) {
    setState('items', (items) => items.filter((c) => c.id !== id))
  }

  /** Ticks of the last message shown in the row. */
  function status(e: StatusEvent) {
    const at = state.items.findIndex((c) => c.id === e.conversationId)
    if (at >= 0 && state.items[at].lastMessage?.id === e.id) setState('items', at, 'lastMessage', 'status', e.status)
  }

  function markRead(id: string) {
    const at = state.items.findIndex((c) => c.id === id)
    if (at < 0) return
    readMarks.set(id, state.items[at].inboundCount)
    setState('items', at, 'unread', 0)
  }

  return {
    items: () => state.items,
    loading,
    error,
    loaded,
    hasMore: () => cursor() !== null,
    reload: () => load(true),
    more: () => load(false),
    upsert,
    remove,
    status,
    markRead,
  }
}

export type ConversationList = ReturnType<typeof createConversationList>
