// A contact's labels: take one off, add an existing one or a new one by typing its name.
import { createSignal, For, Show } from 'solid-js'
import type { UiHost } from '@sapa/sdk/ui'
import { labelNamed, type Catalog } from './catalog.ts'
import { LabelBadge } from './ContactsTable.tsx'
import { PERM, type Contact } from './types.ts'
import { errorText } from './util.ts'

export function ContactLabels(props: { host: UiHost; contact: Contact; catalog: Catalog; onChange: (c: Contact) => void }) {
  const host = props.host
  const t = host.t
  const [name, setName] = createSignal('')
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<unknown>(null)
  const editable = () => host.can(PERM.update)
  const unused = () => (props.catalog.labels() ?? []).filter((l) => !props.contact.labels.some((x) => x.id === l.id))

  const add = async (e: SubmitEvent) => {
    e.preventDefault()
    if (!name().trim()) return
    setBusy(true)
    setError(null)
    try {
      const label = await labelNamed(host, props.catalog, name())
      props.onChange(await host.api<Contact>(`/api/contacts/${props.contact.id}/labels`, { method: 'POST', body: { labelIds: [label.id] } }))
      setName('')
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  const remove = async (labelId: string, labelName: string) => {
    setError(null)
    try {
      props.onChange(await host.api<Contact>(`/api/contacts/${props.contact.id}/labels/${labelId}`, { method: 'DELETE' }))
      host.toast(t('contacts.labels.removed', { name: labelName }), 'success')
    } catch (err) {
      setError(err)
    }
  }

  return (
    <section class="card ct-card" aria-labelledby="ct-labels-title" data-testid="contact-labels">
      <h2 id="ct-labels-title">{t('contacts.field.labels')}</h2>
      <ul class="ct-labels ct-label-list">
        <For each={props.contact.labels} fallback={<li class="muted">{t('contacts.labels.noneOnContact')}</li>}>
          {(l) => (
            <li data-label={l.name}>
              <LabelBadge name={l.name} color={l.color} />
              <Show when={editable()}>
                <button type="button" class="btn btn-icon ct-chip-remove" aria-label={t('contacts.labels.remove', { name: l.name })} onClick={() => void remove(l.id, l.name)}>
                  <span aria-hidden="true">✕</span>
                </button>
              </Show>
            </li>
          )}
        </For>
      </ul>
      <Show when={editable()}>
        <form class="ct-inline-form" onSubmit={(e) => void add(e)}>
          <label for="ct-add-label" class="sr-only">
            {t('contacts.labels.add')}
          </label>
          <input
            id="ct-add-label"
            type="text"
            list="ct-label-options"
            maxLength={60}
            placeholder={t('contacts.labels.placeholder')}
            value={name()}
            onInput={(e) => setName(e.currentTarget.value)}
            data-testid="label-input"
          />
          <datalist id="ct-label-options">
            <For each={unused()}>{(l) => <option value={l.name} />}</For>
          </datalist>
          <button type="submit" class="btn" disabled={busy() || !name().trim()} data-testid="label-add">
            {t('contacts.labels.addButton')}
          </button>
        </form>
      </Show>
      <Show when={error()}>
        <p class="field-error" role="alert">
          {errorText(host, error())}
        </p>
      </Show>
    </section>
  )
}
