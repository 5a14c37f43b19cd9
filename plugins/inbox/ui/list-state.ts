// The conversation list: cursor pages, filters, and live changes from realtime applied in place.
import { createEffect, on } from 'solid-js'
import type { UiHost } from '@sapa/sdk/ui'
import { createPaged } from '@sapa/sdk/ui/paged'
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
  // Each conversation's read mark as this user's inbound count: realtime views carry no `unread`
  // (they go to many users), so it is worked out here from the view's inboundCount.
  const readMarks = new Map<string, number>()
  let resets = 0

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

  // Reconciled by id (rows keep their DOM and focus); "load more" skips conversations a live update
  // already brought in. Pages are mapped through remember, but not an older reload's answer (which
  // createPaged drops): its unread counts must not overwrite newer read marks.
  const list = createPaged<Conversation>(async (cursor) => {
    const mine = cursor === undefined ? ++resets : resets
    const page = await host.api<Page<Conversation>>('/api/inbox/conversations', { query: { ...query(), cursor } })
    return mine === resets ? { ...page, items: page.items.map(remember) } : page
  })
  const items = list.items

  createEffect(on(() => JSON.stringify(filters()), () => void list.reload()))

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
    const at = items().findIndex((x) => x.id === c.id)
    if (at >= 0 && items()[at].version > c.version) return // an older event overtaken by a newer one
    const next = items().filter((x) => x.id !== c.id)
    if (matches(c)) {
      let to = next.findIndex((x) => before(c, x))
      // Beyond the loaded pages: the next page brings it, in its place.
      if (to < 0) to = list.hasMore() ? -1 : next.length
      if (to >= 0) next.splice(to, 0, c)
    }
    list.setItems(next)
  }

  function remove(id: string) {
    list.setItems((all) => all.filter((c) => c.id !== id))
  }

  /** Ticks of the last message shown in the row. */
  function status(e: StatusEvent) {
    const c = items().find((x) => x.id === e.conversationId)
    if (!c?.lastMessage || c.lastMessage.id !== e.id) return
    list.setItems((all) => all.map((x) => (x.id === c.id && x.lastMessage ? { ...x, lastMessage: { ...x.lastMessage, status: e.status } } : x)))
  }

  function markRead(id: string) {
    const c = items().find((x) => x.id === id)
    if (!c) return
    readMarks.set(id, c.inboundCount)
    list.setItems((all) => all.map((x) => (x.id === id ? { ...x, unread: 0 } : x)))
  }

  return {
    items,
    loading: list.loading,
    error: list.error,
    loaded: list.loaded,
    hasMore: list.hasMore,
    reload: list.reload,
    // One page at a time (the list asks again as it scrolls); nothing beyond the last page.
    more: async () => {
      if (!list.loading() && list.hasMore()) await list.more()
    },
    upsert,
    remove,
    status,
    markRead,
  }
}

export type ConversationList = ReturnType<typeof createConversationList>
