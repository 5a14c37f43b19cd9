// Notes on a contact, newest first: add, delete your own (anyone's with the right to delete contacts).
import { createSignal, For, Show } from 'solid-js'
import type { UiHost } from '@sapa/sdk/ui'
import { Confirm } from '@sapa/sdk/ui/dialog'
import { ErrorNote, Loading } from './States.tsx'
import { PERM, type Note } from './types.ts'
import { createPaged } from '@sapa/sdk/ui/paged'
import { errorText, formatDate } from './util.ts'

export function ContactNotes(props: { host: UiHost; contactId: string }) {
  const host = props.host
  const t = host.t
  const notes = createPaged<Note>((cursor) => host.api(`/api/contacts/${props.contactId}/notes`, { query: { limit: 20, cursor } }))
  void notes.reload()
  const [text, setText] = createSignal('')
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<unknown>(null)
  const [deleting, setDeleting] = createSignal<Note | null>(null)
  const mayDelete = (n: Note) => host.can(PERM.update) && (n.authorId === host.user()?.id || host.can(PERM.delete))

  const add = async (e: SubmitEvent) => {
    e.preventDefault()
    if (!text().trim()) return
    setBusy(true)
    setError(null)
    try {
      const note = await host.api<Note>(`/api/contacts/${props.contactId}/notes`, { method: 'POST', body: { body: text() } })
      notes.setItems((list) => [note, ...list])
      setText('')
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  return (
    <section class="card ct-card" aria-labelledby="ct-notes-title" data-testid="contact-notes">
      <h2 id="ct-notes-title">{t('contacts.notes.title')}</h2>
      <Show when={host.can(PERM.update)}>
        <form class="ct-note-form" onSubmit={(e) => void add(e)}>
          <label for="ct-note" class="sr-only">
            {t('contacts.notes.add')}
          </label>
          <textarea
            id="ct-note"
            rows={3}
            maxLength={10000}
            placeholder={t('contacts.notes.placeholder')}
            value={text()}
            onInput={(e) => setText(e.currentTarget.value)}
            onKeyDown={(e) => {
              // Ctrl/⌘+Enter saves, as in most note boxes.
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) e.currentTarget.form?.requestSubmit()
            }}
            data-testid="note-input"
          />
          <div class="ct-note-actions">
            <Show when={error()}>
              <span class="field-error" role="alert">
                {errorText(host, error())}
              </span>
            </Show>
            <button type="submit" class="btn btn-small btn-primary" disabled={busy() || !text().trim()} data-testid="note-add">
              {t('contacts.notes.add')}
            </button>
          </div>
        </form>
      </Show>
      <Show when={notes.error()}>
        <ErrorNote host={host} error={notes.error()} retry={() => void notes.reload()} />
      </Show>
      <Show when={notes.loaded()} fallback={<Show when={!notes.error()}>{<Loading host={host} />}</Show>}>
        <ul class="ct-notes">
          <For each={notes.items()} fallback={<li class="muted">{t('contacts.notes.none')}</li>}>
            {(n) => (
              <li data-testid="note">
                <p class="ct-note-body">{n.body}</p>
                <div class="muted small ct-note-meta">
                  <span>
                    {n.authorId && n.authorId === host.user()?.id ? t('contacts.notes.byYou') : t('contacts.notes.byTeam')} · {formatDate(host, n.createdAt)}
                  </span>
                  <Show when={mayDelete(n)}>
                    <button type="button" class="btn btn-link small" onClick={() => setDeleting(n)}>
                      {t('contacts.delete')}
                    </button>
                  </Show>
                </div>
              </li>
            )}
          </For>
        </ul>
        <Show when={notes.hasMore()}>
          <button type="button" class="btn btn-small" disabled={notes.loading()} onClick={() => void notes.more()}>
            {t('contacts.loadMore')}
          </button>
        </Show>
      </Show>
      <Confirm
        testId="ct-confirm"
        errorText={(err) => errorText(host, err)}
        host={host}
        open={deleting() !== null}
        onClose={() => setDeleting(null)}
        title={t('contacts.notes.deleteTitle')}
        description={t('contacts.notes.deleteText')}
        confirmLabel={t('contacts.delete')}
        danger
        onConfirm={async () => {
          const n = deleting()
          if (!n) return
          await host.api(`/api/contacts/${props.contactId}/notes/${n.id}`, { method: 'DELETE' })
          notes.setItems((list) => list.filter((x) => x.id !== n.id))
        }}
      />
    </section>
  )
}
