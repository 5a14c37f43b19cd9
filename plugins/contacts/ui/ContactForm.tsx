// Create or edit a contact: name, phone, email and the typed attributes. The API judges phones and
// values; its 400s land on the field they name.
import { createSignal, For, Show } from 'solid-js'
import { isApiError, type UiHost } from '@sapa/sdk/ui'
import { Dialog } from '@sapa/sdk/ui/dialog'
import { AttributeField, fromText, toText } from './attributes.tsx'
import type { Attribute, AttributeValue, Contact } from './types.ts'
import { errorField, errorText } from './util.ts'

export function ContactForm(props: {
  host: UiHost
  open: boolean
  onClose: () => void
  /** Edit this contact; create a new one without it. */
  contact?: Contact | null
  attributes: Attribute[]
  onSaved: (contact: Contact) => void
}) {
  const t = props.host.t
  return (
    <Dialog host={props.host} open={props.open} onClose={props.onClose} title={props.contact ? t('contacts.form.editTitle') : t('contacts.form.createTitle')} wide testId="contact-form-dialog">
      <FormBody {...props} />
    </Dialog>
  )
}

function FormBody(props: Parameters<typeof ContactForm>[0]) {
  const t = props.host.t
  const c = props.contact ?? null
  const [name, setName] = createSignal(c?.name ?? '')
  const [phone, setPhone] = createSignal(c?.phone ?? '')
  const [email, setEmail] = createSignal(c?.email ?? '')
  const initial = Object.fromEntries(props.attributes.map((a) => [a.key, toText(c?.attributes[a.key])]))
  const [values, setValues] = createSignal<Record<string, string>>({ ...initial })
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<unknown>(null)
  const fieldError = (field: string) => (errorField(error()) === field ? errorText(props.host, error()) : null)
  const general = () => {
    const f = errorField(error())
    return error() && !(f === 'name' || f === 'phone' || f === 'email' || f?.startsWith('attributes.'))
  }
  const takenId = () => {
    const err = error()
    return isApiError(err) && err.code === 'contact_phone_taken' ? ((err.details as { contactId?: string } | undefined)?.contactId ?? null) : null
  }

  const submit = async (e: SubmitEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    const attributes: Record<string, AttributeValue | null> = {}
    for (const def of props.attributes) {
      const text = values()[def.key] ?? ''
      // Unchanged values are not sent: an edit touches only what was edited.
      if (c && text === initial[def.key]) continue
      const value = fromText(def, text)
      if (!c && value === null) continue
      attributes[def.key] = value
    }
    const body: Record<string, unknown> = { name: name().trim() || null, phone: phone().trim(), email: email().trim() || null }
    if (Object.keys(attributes).length) body.attributes = attributes
    try {
      const saved = c
        ? await props.host.api<Contact>(`/api/contacts/${c.id}`, { method: 'PATCH', body })
        : await props.host.api<Contact>('/api/contacts', { method: 'POST', body })
      props.onSaved(saved)
    } catch (err) {
      setError(err)
      // Focus the field the API named, so a keyboard or screen-reader user lands on the problem.
      const field = errorField(err)
      queueMicrotask(() => {
        const el = field?.startsWith('attributes.') ? document.querySelector<HTMLElement>(`[data-attribute="${CSS.escape(field.slice(11))}"]`) : field ? document.getElementById(`contact-${field}`) : null
        el?.focus()
      })
    } finally {
      setBusy(false)
    }
  }

  return (
    <form class="form ct-form" onSubmit={(e) => void submit(e)} novalidate data-testid="contact-form">
      <div class="ct-form-grid">
        <div class="field">
          <label for="contact-phone">{t('contacts.field.phone')}</label>
          <input
            id="contact-phone"
            name="phone"
            type="tel"
            autocomplete="off"
            required
            maxLength={40}
            placeholder="0812 3456 7890"
            aria-invalid={fieldError('phone') ? true : undefined}
            aria-describedby={fieldError('phone') ? 'contact-phone-error' : 'contact-phone-hint'}
            value={phone()}
            onInput={(e) => setPhone(e.currentTarget.value)}
          />
          <small class="muted" id="contact-phone-hint">
            {t('contacts.field.phoneHint')}
          </small>
          <Show when={fieldError('phone')}>
            <small class="field-error" id="contact-phone-error" role="alert" data-testid="phone-error">
              {fieldError('phone')}
              <Show when={takenId()}>
                {' '}
                <a href={`/contacts/${takenId()}`} onClick={() => props.onClose()}>
                  {t('contacts.form.openExisting')}
                </a>
              </Show>
            </small>
          </Show>
        </div>
        <div class="field">
          <label for="contact-name">{t('contacts.field.name')}</label>
          <input id="contact-name" name="name" type="text" maxLength={255} aria-invalid={fieldError('name') ? true : undefined} value={name()} onInput={(e) => setName(e.currentTarget.value)} />
          <Show when={fieldError('name')}>
            <small class="field-error" role="alert">
              {fieldError('name')}
            </small>
          </Show>
        </div>
        <div class="field">
          <label for="contact-email">{t('contacts.field.email')}</label>
          <input
            id="contact-email"
            name="email"
            type="email"
            maxLength={254}
            aria-invalid={fieldError('email') ? true : undefined}
            aria-describedby={fieldError('email') ? 'contact-email-error' : undefined}
            value={email()}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
          <Show when={fieldError('email')}>
            <small class="field-error" id="contact-email-error" role="alert">
              {fieldError('email')}
            </small>
          </Show>
        </div>
        <For each={props.attributes}>
          {(def) => (
            <AttributeField
              host={props.host}
              def={def}
              idPrefix="contact-attr"
              value={values()[def.key] ?? ''}
              onInput={(text) => setValues((v) => ({ ...v, [def.key]: text }))}
              error={fieldError(`attributes.${def.key}`)}
            />
          )}
        </For>
      </div>
      <Show when={general()}>
        <p class="field-error" role="alert">
          {errorText(props.host, error())}
        </p>
      </Show>
      <div class="dialog-actions">
        <button type="button" class="btn" onClick={() => props.onClose()}>
          {t('contacts.cancel')}
        </button>
        <button type="submit" class="btn btn-primary" disabled={busy()} data-testid="contact-save">
          {busy() ? t('contacts.saving') : c ? t('contacts.save') : t('contacts.form.create')}
        </button>
      </div>
    </form>
  )
}
