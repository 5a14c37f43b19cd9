// The Inbox page: conversation list | thread | contact panel. `/inbox` and `/inbox/<conversationId>`;
// on a phone one pane at a time. The list follows the caller's inbox topic live.
import { createSignal, onCleanup, Show } from 'solid-js'
import { defineUi, type PageProps } from '@sapa/sdk/ui'
import { ConversationList } from './ConversationList.tsx'
import { ConversationPane } from './ConversationPane.tsx'
import { createConversationList, type Filters } from './list-state.ts'
import { createLoad } from './load.ts'
import { messages } from './messages.ts'
import type { Agent, Conversation, Page, StatusEvent, Team } from './types.ts'
import './inbox.css'

const FILTERS_KEY = 'sapa.inbox.filters'
const DEFAULT_FILTERS: Filters = { status: 'open', assignee: 'all', team: '', label: '' }

function savedFilters(): Filters {
  try {
    return { ...DEFAULT_FILTERS, ...(JSON.parse(sessionStorage.getItem(FILTERS_KEY) ?? '{}') as Partial<Filters>) }
  } catch {
    return DEFAULT_FILTERS
  }
}

function InboxPage(props: PageProps) {
  const host = props.host
  const selectedId = () => props.params['0'] || null
  const [filters, setFilterState] = createSignal<Filters>(savedFilters())
  const setFilters = (patch: Partial<Filters>) => {
    const next = { ...filters(), ...patch }
    setFilterState(next)
    sessionStorage.setItem(FILTERS_KEY, JSON.stringify(next))
  }
  const [detailsOpen, setDetailsOpen] = createSignal(false)
  const list = createConversationList(host, filters, (id) => id === selectedId())

  const teams = createLoad(() => host.api<Page<Team>>('/api/inbox/teams', { query: { limit: 200 } }).then((p) => p.items).catch(() => [] as Team[]))
  // Names for authors and the assignment picker (the kernel's user list is for team leads only).
  const agents = createLoad(() =>
    host
      .api<Page<Agent>>('/api/inbox/agents', { query: { limit: 200 } })
      .then((p) => [...p.items].sort((a, b) => a.name.localeCompare(b.name)))
      .catch(() => [] as Agent[]),
  )

  // view_all holders follow every conversation; everyone else their own topic (theirs and their teams').
  const me = host.user()?.id
  const topic = host.can('inbox.conversation.view_all') ? 'inbox:all' : me ? `inbox:user.${me}` : null
  if (topic) {
    host.subscribe(topic, (event, data) => {
      if (event === '$resubscribed') void list.reload() // events may have been missed while offline
      else if (event === 'conversation.updated') list.upsert(data as Conversation)
      else if (event === 'message.status') list.status(data as StatusEvent)
      else if (event === 'conversation.hidden' || event === 'conversation.merged') {
        const { id } = data as { id: string }
        list.remove(id)
        if (event === 'conversation.hidden' && id === selectedId()) {
          host.toast(host.t('inbox.hidden'), 'info')
          host.navigate('/inbox')
        }
      } else if (event === 'note.mentioned') {
        const { text } = data as { text?: string }
        host.toast(host.t('inbox.mentioned', { text: text ?? '' }), 'info')
      }
    })
  }

  // Presence: being on this page keeps the agent online for auto-assignment.
  const beat = () => void host.api('/api/inbox/presence/heartbeat', { method: 'POST' }).catch(() => undefined)
  beat()
  const heartbeat = setInterval(beat, 60_000)
  onCleanup(() => clearInterval(heartbeat))

  const open = (id: string) => {
    setDetailsOpen(false)
    if (id !== selectedId()) host.navigate(`/inbox/${id}`)
  }
  const back = () => {
    const id = selectedId()
    host.navigate('/inbox')
    // Back on the list: the keyboard continues from the conversation just closed.
    if (id) queueMicrotask(() => document.querySelector<HTMLElement>('[data-testid=conversation-list]')?.focus())
  }

  return (
    <div class="inbox" classList={{ 'has-selection': Boolean(selectedId()), 'details-open': detailsOpen() }} data-testid="inbox">
      <ConversationList host={host} list={list} filters={filters()} setFilters={setFilters} teams={teams.value() ?? []} selectedId={selectedId()} onOpen={open} />
      <Show
        when={selectedId()}
        keyed
        fallback={
          <section class="inbox-pane inbox-thread-pane inbox-placeholder">
            <div class="state">
              <p class="state-title">{host.t('inbox.pick')}</p>
              <p>{host.t('inbox.pickHint')}</p>
            </div>
          </section>
        }
      >
        {(id) => <ConversationPane host={host} id={id} list={list} teams={teams.value() ?? []} agents={agents.value() ?? []} onBack={back} detailsOpen={detailsOpen()} setDetailsOpen={setDetailsOpen} />}
      </Show>
    </div>
  )
}

export default defineUi({
  pages: { inbox: InboxPage },
  messages,
})
