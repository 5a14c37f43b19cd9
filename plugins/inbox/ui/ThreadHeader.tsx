// The thread's header: who, status and assignee, and the actions on the conversation (claim,
// resolve, reopen, snooze), each shown only to those allowed to use it.
import { createSignal, For, Show } from 'solid-js'
import { isApiError, type UiHost } from '@sapa/sdk/ui'
import { fullTime, initials } from './format.ts'
import { Icon } from './icons.tsx'
import type { Conversation, ConversationStatus } from './types.ts'

/** Snooze choices: in an hour, tomorrow morning, next Monday morning (the browser's time). */
function snoozeOptions(now = new Date()): { key: string; until: Date }[] {
  const hour = new Date(now.getTime() + 3600_000)
  const tomorrow = new Date(now)
  tomorrow.setDate(now.getDate() + 1)
  tomorrow.setHours(9, 0, 0, 0)
  const monday = new Date(now)
  monday.setDate(now.getDate() + (((8 - now.getDay()) % 7) || 7))
  monday.setHours(9, 0, 0, 0)
  return [
    { key: 'hour', until: hour },
    { key: 'tomorrow', until: tomorrow },
    { key: 'week', until: monday },
  ]
}

export function ThreadHeader(props: {
  host: UiHost
  conversation: Conversation
  onChange: (c: Conversation) => void
  onBack: () => void
  detailsOpen: boolean
  onToggleDetails: () => void
}) {
  const host = props.host
  const t = host.t
  const c = () => props.conversation
  const [busy, setBusy] = createSignal(false)
  const [snoozing, setSnoozing] = createSignal(false)
  let snoozeButton: HTMLButtonElement | undefined

  const me = () => host.user()?.id
  const canResolve = () => host.can('inbox.conversation.resolve')
  const canClaim = () => host.can('inbox.conversation.reply') && !c().assignee && Boolean(me())

  async function act(path: string, body: Record<string, unknown>, done?: string) {
    if (busy()) return
    setBusy(true)
    try {
      const view = await host.api<Conversation>(`/api/inbox/conversations/${c().id}/${path}`, { method: 'POST', body })
      props.onChange(view)
      if (done) host.toast(done, 'success')
    } catch (err) {
      host.toast(isApiError(err) ? err.message : t('inbox.error.action'), 'error')
    } finally {
      setBusy(false)
    }
  }
  const setStatus = (status: ConversationStatus, extra: Record<string, unknown> = {}) => act('status', { status, ...extra }, t(`inbox.done.${status}`))

  return (
    <header class="inbox-thread-header" data-testid="thread-header">
      <button type="button" class="btn btn-icon inbox-back" aria-label={t('inbox.back')} data-testid="inbox-back" onClick={() => props.onBack()}>
        <Icon name="back" />
      </button>
      <span class="inbox-avatar" aria-hidden="true">
        {initials(c().contact.name, c().contact.phone)}
      </span>
      <div class="inbox-thread-who">
        <h2 class="inbox-thread-name" data-testid="thread-name">
          {c().contact.name || c().contact.phone}
        </h2>
        <p class="inbox-thread-sub muted small">
          <span>{c().contact.phone}</span> · <span class={`inbox-status-text inbox-status-${c().status}`} data-testid="thread-status">{t(`inbox.status.${c().status}`)}</span>
          <Show when={c().status === 'snoozed' && c().snoozedUntil}> {t('inbox.snoozedUntil', { time: fullTime(c().snoozedUntil!, host.locale()) })}</Show> ·{' '}
          <span data-testid="thread-assignee">{c().assignee ? (c().assignee!.name ?? t('inbox.formerMember')) : t('inbox.unassigned')}</span>
        </p>
      </div>
      <div class="inbox-thread-actions">
        <Show when={canClaim()}>
          <button type="button" class="btn btn-small btn-primary" disabled={busy()} data-testid="action-claim" onClick={() => void act('assign', { userId: me() }, t('inbox.done.claimed'))}>
            {t('inbox.action.claim')}
          </button>
        </Show>
        <Show when={canResolve()}>
          <Show
            when={c().status === 'open' || c().status === 'pending'}
            fallback={
              <button type="button" class="btn btn-small" disabled={busy()} data-testid="action-reopen" onClick={() => void setStatus('open')}>
                {t('inbox.action.reopen')}
              </button>
            }
          >
            <button type="button" class="btn btn-small" disabled={busy()} data-testid="action-resolve" onClick={() => void setStatus('resolved')}>
              <Icon name="check" size={16} /> {t('inbox.action.resolve')}
            </button>
          </Show>
          <div
            class="inbox-menu-wrap"
            onFocusOut={(e) => {
              // Focus went elsewhere (a click outside, Tab): the menu closes.
              if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setSnoozing(false)
            }}
          >
            <button
              type="button"
              ref={snoozeButton}
              class="btn btn-small"
              disabled={busy()}
              aria-haspopup="menu"
              aria-expanded={snoozing()}
              data-testid="action-snooze"
              onClick={() => setSnoozing((v) => !v)}
            >
              <Icon name="clock" size={16} /> {t('inbox.action.snooze')}
            </button>
            <Show when={snoozing()}>
              <div
                class="inbox-popover inbox-menu"
                role="menu"
                ref={(el) => queueMicrotask(() => el.querySelector<HTMLButtonElement>('button')?.focus())}
                onKeyDown={(e) => {
                  if (e.key === 'Escape') {
                    setSnoozing(false)
                    snoozeButton?.focus()
                  }
                }}
              >
                <For each={snoozeOptions()}>
                  {(o) => (
                    <button
                      type="button"
                      role="menuitem"
                      class="inbox-menu-item"
                      onClick={() => {
                        setSnoozing(false)
                        void setStatus('snoozed', { snoozedUntil: o.until.toISOString() })
                      }}
                    >
                      {t(`inbox.snooze.${o.key}`)} <span class="muted small">{fullTime(o.until.toISOString(), host.locale())}</span>
                    </button>
                  )}
                </For>
              </div>
            </Show>
          </div>
        </Show>
        <button type="button" class="btn btn-small inbox-details-toggle" aria-expanded={props.detailsOpen} data-testid="toggle-details" onClick={() => props.onToggleDetails()}>
          <Icon name="info" size={16} /> {t('inbox.details')}
        </button>
      </div>
    </header>
  )
}
