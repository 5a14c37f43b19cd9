// The conversation's own details: priority and labels (editable with inbox.conversation.reply).
import { createSignal, For, Show } from 'solid-js'
import { isApiError, type UiHost } from '@sapa/sdk/ui'
import { PRIORITIES, type Conversation, type Priority } from './types.ts'

export function ConversationDetails(props: { host: UiHost; conversation: Conversation; onChange: (c: Conversation) => void }) {
  const host = props.host
  const t = host.t
  const c = () => props.conversation
  const canEdit = () => host.can('inbox.conversation.reply')
  const [busy, setBusy] = createSignal(false)
  const [label, setLabel] = createSignal('')

  async function patch(body: { priority?: Priority; addLabels?: string[]; removeLabels?: string[] }) {
    setBusy(true)
    try {
      props.onChange(await host.api<Conversation>(`/api/inbox/conversations/${c().id}`, { method: 'PATCH', body }))
      return true
    } catch (err) {
      host.toast(isApiError(err) ? err.message : t('inbox.error.action'), 'error')
      return false
    } finally {
      setBusy(false)
    }
  }

  const addLabel = async (e: Event) => {
    e.preventDefault()
    const value = label().trim()
    if (!value) return
    if (await patch({ addLabels: [value] })) setLabel('')
  }

  return (
    <section class="inbox-panel-section" aria-labelledby="inbox-conversation-title">
      <h3 class="inbox-section-title" id="inbox-conversation-title">
        {t('inbox.details.conversation')}
      </h3>
      <div class="inbox-panel-field">
        <label for="inbox-priority">{t('inbox.details.priority')}</label>
        <Show when={canEdit()} fallback={<span>{t(`inbox.priority.${c().priority}`)}</span>}>
          <select id="inbox-priority" data-testid="priority" value={c().priority} disabled={busy()} onChange={(e) => void patch({ priority: e.currentTarget.value as Priority })}>
            <For each={PRIORITIES}>{(p) => <option value={p}>{t(`inbox.priority.${p}`)}</option>}</For>
          </select>
        </Show>
      </div>
      <div class="inbox-panel-field">
        <span id="inbox-labels-title">{t('inbox.details.labels')}</span>
        <Show when={c().labels.length} fallback={<p class="muted small">{t('inbox.details.noLabels')}</p>}>
          <ul class="inbox-chips" aria-labelledby="inbox-labels-title" data-testid="conversation-labels">
            <For each={c().labels}>
              {(l) => (
                <li class="inbox-chip">
                  {l}
                  <Show when={canEdit()}>
                    <button type="button" class="inbox-chip-remove" aria-label={t('inbox.details.removeLabel', { label: l })} disabled={busy()} onClick={() => void patch({ removeLabels: [l] })}>
                      ✕
                    </button>
                  </Show>
                </li>
              )}
            </For>
          </ul>
        </Show>
        <Show when={canEdit()}>
          <form class="inbox-inline-form" onSubmit={addLabel}>
            <label class="sr-only" for="inbox-add-label">
              {t('inbox.details.addLabel')}
            </label>
            <input id="inbox-add-label" data-testid="add-label" maxLength={50} value={label()} placeholder={t('inbox.details.addLabel')} onInput={(e) => setLabel(e.currentTarget.value)} />
            <button type="submit" class="btn btn-small" disabled={busy() || !label().trim()}>
              {t('inbox.details.add')}
            </button>
          </form>
        </Show>
      </div>
    </section>
  )
}
