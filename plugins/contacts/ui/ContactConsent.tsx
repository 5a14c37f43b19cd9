// Opt-in / opt-out: the current state, a change with an optional reason, and the history.
import { createSignal, For, Show } from 'solid-js'
import type { UiHost } from '@sapa/sdk/ui'
import { StatusBadge } from './ContactsTable.tsx'
import { ErrorNote, Loading } from './States.tsx'
import { PERM, type ConsentEvent, type Contact } from './types.ts'
import { createPaged } from '@sapa/sdk/ui/paged'
import { errorText, formatDate } from './util.ts'

export function ContactConsent(props: { host: UiHost; contact: Contact; onChange: (c: Contact) => void }) {
  const host = props.host
  const t = host.t
  const history = createPaged<ConsentEvent>((cursor) => host.api(`/api/contacts/${props.contact.id}/consent`, { query: { limit: 10, cursor } }))
  void history.reload()
  const [note, setNote] = createSignal('')
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<unknown>(null)

  const change = async (e: SubmitEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const status = props.contact.optedOut ? 'opted_in' : 'opted_out'
      const body: Record<string, string> = { status }
      if (note().trim()) body.note = note().trim()
      props.onChange(await host.api<Contact>(`/api/contacts/${props.contact.id}/consent`, { method: 'POST', body }))
      setNote('')
      void history.reload()
      host.toast(t(status === 'opted_out' ? 'contacts.consent.didOptOut' : 'contacts.consent.didOptIn'), 'success')
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  return (
    <section class="card ct-card" aria-labelledby="ct-consent-title" data-testid="contact-consent">
      <h2 id="ct-consent-title">{t('contacts.consent.title')}</h2>
      <p>
        <StatusBadge host={host} optedOut={props.contact.optedOut} />
        <Show when={props.contact.optedOut && props.contact.optedOutAt}>
          <span class="muted small"> {t('contacts.consent.since', { at: formatDate(host, props.contact.optedOutAt) })}</span>
        </Show>
      </p>
      <Show when={host.can(PERM.update)}>
        <form class="ct-inline-form" onSubmit={(e) => void change(e)}>
          <label for="ct-consent-note" class="sr-only">
            {t('contacts.consent.note')}
          </label>
          <input id="ct-consent-note" type="text" maxLength={255} placeholder={t('contacts.consent.note')} value={note()} onInput={(e) => setNote(e.currentTarget.value)} />
          <button type="submit" class={`btn ${props.contact.optedOut ? '' : 'btn-danger-outline'}`} disabled={busy()} data-testid="consent-toggle">
            {props.contact.optedOut ? t('contacts.consent.optIn') : t('contacts.consent.optOut')}
          </button>
        </form>
        <Show when={error()}>
          <p class="field-error" role="alert">
            {errorText(host, error())}
          </p>
        </Show>
      </Show>
      <h3 class="ct-subtitle">{t('contacts.consent.history')}</h3>
      <Show when={history.error()}>
        <ErrorNote host={host} error={history.error()} retry={() => void history.reload()} />
      </Show>
      <Show when={history.loaded()} fallback={<Show when={!history.error()}>{<Loading host={host} />}</Show>}>
        <ol class="ct-history">
          <For each={history.items()} fallback={<li class="muted">{t('contacts.consent.none')}</li>}>
            {(ev) => (
              <li data-consent={ev.status}>
                <strong>{t(`contacts.consent.${ev.status}`)}</strong>
                <span class="muted small">
                  {' '}
                  · {t(`contacts.consent.source.${ev.source}`) === `contacts.consent.source.${ev.source}` ? ev.source : t(`contacts.consent.source.${ev.source}`)} · {formatDate(host, ev.at)}
                </span>
                <Show when={ev.detail}>
                  <div class="small">{ev.detail}</div>
                </Show>
              </li>
            )}
          </For>
        </ol>
        <Show when={history.hasMore()}>
          <button type="button" class="btn btn-small" disabled={history.loading()} onClick={() => void history.more()}>
            {t('contacts.loadMore')}
          </button>
        </Show>
      </Show>
    </section>
  )
}
