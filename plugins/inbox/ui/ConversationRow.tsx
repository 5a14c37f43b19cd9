// One row of the conversation list: who, the last message, when, unread count, assignee and status.
import { Show } from 'solid-js'
import type { UiHost } from '@sapa/sdk/ui'
import { initials, listTime } from './format.ts'
import { Ticks } from './Ticks.tsx'
import type { Conversation, LastMessage } from './types.ts'

export function previewText(host: UiHost, m: LastMessage | null): string {
  if (!m) return host.t('inbox.list.noMessages')
  const typeWord = m.type !== 'text' && m.type !== 'note' && m.type !== 'system' ? host.t(`inbox.type.${m.type}`) : ''
  const body = m.text?.trim() ? m.text : typeWord || host.t('inbox.type.unknown')
  const prefix = m.kind === 'note' ? `${host.t('inbox.list.notePrefix')} ` : ''
  return `${prefix}${typeWord && m.text?.trim() ? `${typeWord} · ` : ''}${body}`
}

export function ConversationRow(props: {
  host: UiHost
  conversation: Conversation
  selected: boolean
  active: boolean
  top: number
  height: number
  onOpen: () => void
}) {
  const c = () => props.conversation
  const t = props.host.t
  return (
    <div
      role="option"
      id={`inbox-row-${c().id}`}
      class="inbox-row"
      classList={{ 'is-selected': props.selected, 'is-active': props.active, 'is-unread': (c().unread ?? 0) > 0 }}
      aria-selected={props.selected}
      data-testid="conversation-row"
      data-conversation={c().id}
      style={{ transform: `translateY(${props.top}px)`, height: `${props.height}px` }}
      onClick={() => props.onOpen()}
    >
      <span class="inbox-avatar" aria-hidden="true">
        {initials(c().contact.name, c().contact.phone)}
      </span>
      <div class="inbox-row-main">
        <div class="inbox-row-line">
          <span class="inbox-row-name">{c().contact.name || c().contact.phone}</span>
          <time class="inbox-row-time" dateTime={c().lastMessageAt}>
            {listTime(c().lastMessageAt, props.host.locale())}
          </time>
        </div>
        <div class="inbox-row-line">
          <span class="inbox-row-preview" classList={{ 'is-note': c().lastMessage?.kind === 'note' }}>
            <Show when={c().lastMessage?.kind === 'outbound'}>
              <Ticks host={props.host} status={c().lastMessage!.status} compact />{' '}
            </Show>
            {previewText(props.host, c().lastMessage)}
          </span>
          <Show when={(c().unread ?? 0) > 0}>
            <span class="inbox-unread" data-testid="unread" aria-label={t('inbox.list.unread', { count: c().unread ?? 0 })}>
              {(c().unread ?? 0) > 99 ? '99+' : c().unread}
            </span>
          </Show>
        </div>
        <div class="inbox-row-line inbox-row-meta">
          <span class="inbox-row-assignee" data-testid="row-assignee">
            {c().assignee ? (c().assignee!.name ?? t('inbox.formerMember')) : t('inbox.unassigned')}
          </span>
          <span class="inbox-row-tags">
            <Show when={c().priority !== 'none'}>
              <span class={`inbox-priority inbox-priority-${c().priority}`}>{t(`inbox.priority.${c().priority}`)}</span>
            </Show>
            <Show when={c().status !== 'open'}>
              <span class={`badge inbox-status inbox-status-${c().status}`}>{t(`inbox.status.${c().status}`)}</span>
            </Show>
          </span>
        </div>
      </div>
    </div>
  )
}
