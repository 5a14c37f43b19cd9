// Merge: find the duplicate, then fold it into this contact (it is deleted; its phone stays an alias).
import { createEffect, createSignal, For, on, Show } from 'solid-js'
import type { UiHost } from '@sapa/sdk/ui'
import { Dialog } from '@sapa/sdk/ui/dialog'
import type { Contact, Page } from './types.ts'
import { contactTitle, debounced, errorText } from './util.ts'

export function MergeDialog(props: { host: UiHost; open: boolean; onClose: () => void; into: Contact; onMerged: (c: Contact) => void }) {
  return (
    <Dialog host={props.host} open={props.open} onClose={props.onClose} title={props.host.t('contacts.merge.title')} description={props.host.t('contacts.merge.description', { name: contactTitle(props.into) })} testId="merge-dialog">
      <MergeBody {...props} />
    </Dialog>
  )
}

function MergeBody(props: Parameters<typeof MergeDialog>[0]) {
  const host = props.host
  const t = host.t
  const query = debounced('', 300)
  const [text, setText] = createSignal('')
  const [found, setFound] = createSignal<Contact[]>([])
  const [searching, setSearching] = createSignal(false)
  const [picked, setPicked] = createSignal<Contact | null>(null)
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<unknown>(null)
  let asked = 0

  createEffect(
    on(query.value, async (q) => {
      const mine = ++asked
      if (!q.trim()) return setFound([])
      setSearching(true)
      try {
        const page = await host.api<Page<Contact>>('/api/contacts', { query: { q, limit: 10 } })
        if (mine === asked) setFound(page.items.filter((c) => c.id !== props.into.id))
      } catch (err) {
        if (mine === asked) setError(err)
      } finally {
        if (mine === asked) setSearching(false)
      }
    }),
  )

  const merge = async (e: SubmitEvent) => {
    e.preventDefault()
    const from = picked()
    if (!from) return
    setBusy(true)
    setError(null)
    try {
      props.onMerged(await host.api<Contact>(`/api/contacts/${props.into.id}/merge`, { method: 'POST', body: { fromId: from.id } }))
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  return (
    <form class="form" onSubmit={(e) => void merge(e)}>
      <div class="field">
        <label for="ct-merge-q">{t('contacts.merge.search')}</label>
        <input
          id="ct-merge-q"
          type="search"
          value={text()}
          onInput={(e) => {
            setText(e.currentTarget.value)
            query.set(e.currentTarget.value)
          }}
        />
      </div>
      <fieldset class="ct-fieldset">
        <legend class="sr-only">{t('contacts.merge.pick')}</legend>
        <Show when={!searching()} fallback={<p class="muted small">{t('contacts.loading')}</p>}>
          <ul class="ct-merge-list">
            <For each={found()} fallback={<li class="muted small">{query.value().trim() ? t('contacts.empty.noMatch') : t('contacts.merge.typeToSearch')}</li>}>
              {(c) => (
                <li>
                  <label class="ct-check">
                    <input type="radio" name="ct-merge-from" checked={picked()?.id === c.id} onChange={() => setPicked(c)} />
                    <span>
                      {contactTitle(c)} <span class="muted mono small">{c.phone}</span>
                    </span>
                  </label>
                </li>
              )}
            </For>
          </ul>
        </Show>
      </fieldset>
      <Show when={picked()}>
        {(p) => <p class="note note-warn">{t('contacts.merge.warning', { from: contactTitle(p()), into: contactTitle(props.into) })}</p>}
      </Show>
      <Show when={error()}>
        <p class="field-error" role="alert">
          {errorText(host, error())}
        </p>
      </Show>
      <div class="dialog-actions">
        <button type="button" class="btn" onClick={() => props.onClose()}>
          {t('contacts.cancel')}
        </button>
        <button type="submit" class="btn btn-primary" disabled={!picked() || busy()}>
          {t('contacts.merge.button')}
        </button>
      </div>
    </form>
  )
}
