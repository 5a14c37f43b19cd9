// An open conversation: the thread with its header and composer (middle pane) and the contact panel
// (right pane). Follows `conversation:<id>` live and marks the conversation read while it is open.
import { createSignal, onCleanup, onMount, Show } from 'solid-js'
import { isApiError, type UiHost } from '@sapa/sdk/ui'
import { Assignment } from './Assignment.tsx'
import { Composer } from './Composer.tsx'
import { ContactCard } from './ContactCard.tsx'
import { ConversationDetails } from './ConversationDetails.tsx'
import type { ConversationList } from './list-state.ts'
import { Icon } from './icons.tsx'
import { createLoad } from './load.ts'
import { createThread } from './thread-state.ts'
import { ThreadHeader } from './ThreadHeader.tsx'
import { ThreadView } from './ThreadView.tsx'
import type { Agent, Conversation, Item, Reaction, StatusEvent, Team } from './types.ts'

export function ConversationPane(props: {
  host: UiHost
  id: string
  list: ConversationList
  teams: Team[]
  agents: Agent[]
  onBack: () => void
  detailsOpen: boolean
  setDetailsOpen: (open: boolean) => void
}) {
  const host = props.host
  const t = host.t
  const id = props.id
  const conversation = createLoad(() => host.api<Conversation>(`/api/inbox/conversations/${id}`))
  const thread = createThread(host, id)
  const [replyTo, setReplyTo] = createSignal<Item | null>(null)

  /** A newer view of this conversation (an action's answer or a live event) replaces the shown one. */
  const changed = (view: Conversation) => {
    const current = conversation.value()
    if (current && current.version > view.version) return
    conversation.set({ ...view, unread: 0 })
    props.list.upsert(view)
  }

  let reading: ReturnType<typeof setTimeout> | undefined
  const markRead = () => {
    clearTimeout(reading)
    // Several messages in a burst: one request.
    reading = setTimeout(() => {
      if (document.visibilityState !== 'visible') return
      props.list.markRead(id)
      host.api(`/api/inbox/conversations/${id}/read`, { method: 'POST' }).catch(() => undefined)
    }, 250)
  }
  onCleanup(() => clearTimeout(reading))

  onMount(() => {
    props.list.markRead(id)
    host.api(`/api/inbox/conversations/${id}/read`, { method: 'POST' }).catch(() => undefined)
  })
  const onVisible = () => document.visibilityState === 'visible' && markRead()
  document.addEventListener('visibilitychange', onVisible)
  onCleanup(() => document.removeEventListener('visibilitychange', onVisible))

  host.subscribe(`conversation:${id}`, (event, data) => {
    if (event === '$resubscribed') void thread.catchUp()
    else if (event === 'message.created') {
      const item = data as Item
      thread.add(item)
      if (item.kind === 'inbound') markRead()
    } else if (event === 'message.status') thread.status(data as StatusEvent)
    else if (event === 'message.reaction') thread.reactions(data as { id: string; reactions: Reaction[] })
    else if (event === 'conversation.updated') changed(data as Conversation)
    else if (event === 'conversation.merged') {
      const { intoId } = data as { intoId: string }
      host.toast(t('inbox.merged'), 'info')
      host.navigate(`/inbox/${intoId}`)
    }
  })

  const authorName = (userId: string | null) => {
    if (!userId) return null
    if (userId === host.user()?.id) return t('inbox.you')
    return props.agents.find((a) => a.id === userId)?.name ?? null
  }

  const personName = (userId: string) => (userId === host.user()?.id ? (host.user()?.name ?? null) : (props.agents.find((a) => a.id === userId)?.name ?? null))

  async function react(item: Item, emoji: string) {
    try {
      const sent = await host.api<Item>(`/api/inbox/conversations/${id}/messages`, { method: 'POST', body: { type: 'reaction', replyTo: item.id, emoji } })
      thread.add(sent)
      // Shown at once; the `message.reaction` event (to everyone on the conversation) confirms it.
      const others = item.reactions.filter((r) => r.by !== 'agent')
      thread.reactions({ id: item.id, reactions: [...others, { emoji, by: 'agent', userId: host.user()?.id ?? null, at: sent.createdAt }] })
    } catch (err) {
      host.toast(isApiError(err) ? err.message : t('inbox.error.send'), 'error')
    }
  }

  return (
    <Show
      when={!conversation.error()}
      fallback={
        <section class="inbox-pane inbox-thread-pane">
          <div class="inbox-pane-message">
            <Show
              when={isApiError(conversation.error()) && (conversation.error() as { status: number }).status === 404}
              fallback={
                <div class="note note-error" role="alert">
                  <div>
                    {isApiError(conversation.error()) ? (conversation.error() as Error).message : t('inbox.error.load')}{' '}
                    <button type="button" class="btn btn-link" onClick={() => void conversation.reload()}>
                      {t('inbox.retry')}
                    </button>
                  </div>
                </div>
              }
            >
              <div class="state state-empty" data-testid="conversation-missing">
                <p class="state-title">{t('inbox.thread.notFound')}</p>
                <button type="button" class="btn" onClick={() => props.onBack()}>
                  {t('inbox.back')}
                </button>
              </div>
            </Show>
          </div>
        </section>
      }
    >
      <Show
        when={conversation.value()}
        fallback={
          <section class="inbox-pane inbox-thread-pane">
            <div class="state state-loading" role="status">
              <span class="spinner" aria-hidden="true" />
              <span>{t('inbox.loading')}</span>
            </div>
          </section>
        }
      >
        {(c) => (
          <>
            <section class="inbox-pane inbox-thread-pane" aria-label={t('inbox.thread.label')} data-testid="conversation" data-conversation={id}>
              <ThreadHeader host={host} conversation={c()} onChange={changed} onBack={props.onBack} detailsOpen={props.detailsOpen} onToggleDetails={() => props.setDetailsOpen(!props.detailsOpen)} />
              <ThreadView host={host} thread={thread} authorName={authorName} personName={personName} canReply={host.can('inbox.conversation.reply')} onReply={setReplyTo} onReact={(item, emoji) => void react(item, emoji)} />
              <Composer host={host} conversationId={id} replyTo={replyTo()} clearReplyTo={() => setReplyTo(null)} onSent={(item) => thread.add(item)} />
            </section>
            <aside class="inbox-pane inbox-panel" classList={{ 'is-open': props.detailsOpen }} aria-label={t('inbox.details')} data-testid="contact-panel">
              <header class="inbox-panel-header">
                <h2 class="inbox-panel-title">{t('inbox.details')}</h2>
                <button type="button" class="btn btn-icon inbox-panel-close" aria-label={t('inbox.close')} onClick={() => props.setDetailsOpen(false)}>
                  <Icon name="close" />
                </button>
              </header>
              <Show when={host.can('contacts.contact.view')}>
                <ContactCard host={host} contactId={c().contact.id} />
              </Show>
              <ConversationDetails host={host} conversation={c()} onChange={changed} />
              <Assignment host={host} conversation={c()} teams={props.teams} agents={props.agents} onChange={changed} />
              <props.host.Slot name="inbox.conversation.sidebar" context={{ conversationId: id }} />
            </aside>
          </>
        )}
      </Show>
    </Show>
  )
}
