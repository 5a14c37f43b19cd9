// The thread, newest at the bottom: scrolling near the top loads older pages (the view stays where
// it was), new items keep the view at the bottom when it was there, and days are separated.
import { createEffect, For, on, onMount, Show } from 'solid-js'
import { isApiError, type UiHost } from '@sapa/sdk/ui'
import { dayLabel, sameDay } from './format.ts'
import { MessageItem } from './MessageItem.tsx'
import type { Thread } from './thread-state.ts'
import type { Item } from './types.ts'

export function ThreadView(props: {
  host: UiHost
  thread: Thread
  authorName: (id: string | null) => string | null
  personName: (id: string) => string | null
  canReply: boolean
  onReply: (item: Item) => void
  onReact: (item: Item, emoji: string) => void
}) {
  const t = props.host.t
  let scroller: HTMLDivElement | undefined
  let stickToBottom = true

  const nearBottom = () => !scroller || scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 120
  const toBottom = () => {
    if (scroller) scroller.scrollTop = scroller.scrollHeight
  }

  async function older() {
    if (!scroller || props.thread.loading() || !props.thread.hasOlder()) return
    // Keep the message in view where it is while the older page goes in above it.
    const fromBottom = scroller.scrollHeight - scroller.scrollTop
    await props.thread.loadOlder()
    requestAnimationFrame(() => {
      if (scroller) scroller.scrollTop = scroller.scrollHeight - fromBottom
    })
  }

  const onScroll = () => {
    stickToBottom = nearBottom()
    if (scroller && scroller.scrollTop < 200) void older()
  }

  onMount(() => {
    // Images arrive after the text: keep the bottom in view while they take their height.
    scroller?.addEventListener('load', () => stickToBottom && toBottom(), true)
    void props.thread.loadFirst().then(() => {
      requestAnimationFrame(() => {
        toBottom()
        // A short first page may not fill the pane: nothing to scroll, so ask for more now.
        if (scroller && scroller.scrollHeight <= scroller.clientHeight) void older()
      })
    })
  })

  // A new item at the end: follow it when the reader was at the bottom (or wrote it).
  createEffect(
    on(
      () => props.thread.items()[props.thread.items().length - 1]?.id,
      (last, previous) => {
        if (!last || last === previous) return
        const item = props.thread.items()[props.thread.items().length - 1]
        const mine = item.authorId !== null && item.authorId === props.host.user()?.id
        if (stickToBottom || mine) requestAnimationFrame(toBottom)
      },
      { defer: true },
    ),
  )

  const words = () => ({ today: t('inbox.day.today'), yesterday: t('inbox.day.yesterday') })

  return (
    <div class="inbox-thread-scroll" ref={scroller} onScroll={onScroll} data-testid="thread" aria-live="polite" aria-relevant="additions">
      <Show when={props.thread.error()}>
        <div class="note note-error" role="alert">
          <div>
            {isApiError(props.thread.error()) ? (props.thread.error() as Error).message : t('inbox.error.load')}{' '}
            <button type="button" class="btn btn-link" onClick={() => void (props.thread.loaded() ? older() : props.thread.loadFirst())}>
              {t('inbox.retry')}
            </button>
          </div>
        </div>
      </Show>
      <Show when={props.thread.loading()}>
        <div class="state state-loading inbox-thread-loading" role="status" data-testid="thread-loading">
          <span class="spinner" aria-hidden="true" />
          <span>{t('inbox.loading')}</span>
        </div>
      </Show>
      <Show when={props.thread.loaded() && !props.thread.hasOlder() && props.thread.items().length}>
        <p class="inbox-thread-start muted small">{t('inbox.thread.start')}</p>
      </Show>
      <Show when={props.thread.loaded() && !props.thread.items().length}>
        <div class="state state-empty">
          <p class="state-title">{t('inbox.thread.empty')}</p>
        </div>
      </Show>
      <ol class="inbox-thread" aria-label={t('inbox.thread.label')}>
        <For each={props.thread.items()}>
          {(item, index) => (
            <>
              <Show when={index() === 0 || !sameDay(props.thread.items()[index() - 1].createdAt, item.createdAt)}>
                <li class="inbox-day" data-testid="day-separator">
                  <span>{dayLabel(item.createdAt, props.host.locale(), words())}</span>
                </li>
              </Show>
              <MessageItem host={props.host} item={item} authorName={props.authorName} personName={props.personName} canReply={props.canReply} onReply={props.onReply} onReact={props.onReact} />
            </>
          )}
        </For>
      </ol>
    </div>
  )
}
