// Custom fields (attribute definitions): the tenant's own typed fields on contacts. Listed for
// everyone who sees contacts; added, edited and deleted by those with contacts.attribute.manage.
// The key and type are fixed once created (stored values depend on them).
import { createResource, createSignal, For, Show } from 'solid-js'
import type { UiHost } from '@sapa/sdk/ui'
import { Confirm, Dialog } from '@sapa/sdk/ui/dialog'
import { Empty, ErrorNote, Loading } from './States.tsx'
import { PERM, type Attribute, type AttributeType } from './types.ts'
import { errorField, errorText } from './util.ts'

export const FIELD_TYPES: AttributeType[] = ['text', 'number', 'date', 'select', 'boolean']
const KEY_PATTERN = /^[a-z][a-z0-9_]{0,39}$/

/** A key from a label: "Kota asal" → kota_asal, "Ünïcode 2" → unicode_2, "2nd" → f_2nd. */
export function keyFromLabel(label: string): string {
  let key = label
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
  if (key && !/^[a-z]/.test(key)) key = `f_${key}`
  return key.slice(0, 40).replace(/_+$/, '')
}

const optionLines = (text: string) => text.split('\n').map((o) => o.trim()).filter(Boolean)

/** The form field a 400 names: `options.2` is the options box. */
const fieldOf = (err: unknown) => errorField(err)?.split('.')[0] ?? null

export function FieldsPage(props: { host: UiHost }) {
  const host = props.host
  const t = host.t
  const [list, { refetch, mutate }] = createResource(() => host.api<{ items: Attribute[] }>('/api/contacts/attributes').then((r) => r.items))
  const [adding, setAdding] = createSignal(false)
  const [editing, setEditing] = createSignal<Attribute | null>(null)
  const [deleting, setDeleting] = createSignal<Attribute | null>(null)
  const manage = () => host.can(PERM.attributes)
  const addButton = () => (
    <button type="button" class="btn btn-primary" onClick={() => setAdding(true)} data-testid="new-field">
      {t('contacts.fields.new')}
    </button>
  )

  return (
    <section class="page ct-page" data-testid="fields-page">
      <nav class="ct-back">
        <a href="/contacts">← {t('contacts.title')}</a>
      </nav>
      <header class="page-header">
        <div>
          <h1>{t('contacts.fields.title')}</h1>
          <p class="muted">{t('contacts.fields.subtitle')}</p>
        </div>
        <Show when={manage() && list()?.length}>
          <div class="page-actions">{addButton()}</div>
        </Show>
      </header>
      <Show when={list.error}>
        <ErrorNote host={host} error={list.error} retry={() => void refetch()} />
      </Show>
      <Show when={!list.error}>
        <Show when={list()} fallback={<Loading host={host} />}>
          {(items) => (
            <Show
              when={items().length}
              fallback={
                <Empty title={t('contacts.fields.empty')} testId="fields-empty">
                  <p>{t('contacts.fields.emptyHint')}</p>
                  <Show when={manage()}>{addButton()}</Show>
                </Empty>
              }
            >
              <ul class="list" data-testid="fields-list">
                <For each={items()}>
                  {(a) => (
                    <li class="list-row ct-field-row" data-field={a.key}>
                      <div class="list-main">
                        <div class="ct-field-head">
                          <span class="cell-title" data-testid="field-label">
                            {a.label}
                          </span>
                          <code class="ct-field-key">{a.key}</code>
                        </div>
                        <div class="ct-field-meta">
                          <span class="badge" data-testid="field-type">
                            {t(`contacts.fields.type.${a.type}`)}
                          </span>
                          <Show when={a.required}>
                            <span class="badge badge-ok" data-testid="field-required">
                              {t('contacts.fields.requiredBadge')}
                            </span>
                          </Show>
                          <Show when={a.type === 'select' && a.options?.length}>
                            <span class="muted small ct-field-options" data-testid="field-options">
                              {t('contacts.fields.optionsList', { options: (a.options ?? []).join(', ') })}
                            </span>
                          </Show>
                        </div>
                      </div>
                      <Show when={manage()}>
                        <div class="ct-row-actions">
                          <button type="button" class="btn btn-small" onClick={() => setEditing(a)} aria-label={t('contacts.fields.editNamed', { name: a.label })} data-testid="field-edit">
                            {t('contacts.edit')}
                          </button>
                          <button type="button" class="btn btn-small btn-danger-outline" onClick={() => setDeleting(a)} aria-label={t('contacts.fields.deleteNamed', { name: a.label })} data-testid="field-delete">
                            {t('contacts.delete')}
                          </button>
                        </div>
                      </Show>
                    </li>
                  )}
                </For>
              </ul>
            </Show>
          )}
        </Show>
      </Show>

      <Dialog host={host} open={adding() || editing() !== null} onClose={() => (setAdding(false), setEditing(null))} title={editing() ? t('contacts.fields.editTitle') : t('contacts.fields.createTitle')} testId="field-dialog">
        <FieldForm
          host={host}
          field={editing()}
          onClose={() => (setAdding(false), setEditing(null))}
          onSaved={(saved) => {
            const existed = (list() ?? []).some((x) => x.id === saved.id)
            mutate((items) => (existed ? (items ?? []).map((x) => (x.id === saved.id ? saved : x)) : [...(items ?? []), saved]))
            setAdding(false)
            setEditing(null)
            host.toast(t(existed ? 'contacts.fields.saved' : 'contacts.fields.created', { name: saved.label }), 'success')
          }}
        />
      </Dialog>
      <Confirm
        testId="ct-confirm"
        errorText={(err) => errorText(host, err)}
        host={host}
        open={deleting() !== null}
        onClose={() => setDeleting(null)}
        title={t('contacts.fields.deleteTitle', { name: deleting()?.label ?? '' })}
        description={t('contacts.fields.deleteText')}
        confirmLabel={t('contacts.delete')}
        danger
        onConfirm={async () => {
          const a = deleting()
          if (!a) return
          await host.api(`/api/contacts/attributes/${a.id}`, { method: 'DELETE' })
          mutate((items) => (items ?? []).filter((x) => x.id !== a.id))
          host.toast(t('contacts.fields.deleted', { name: a.label }), 'success')
        }}
      />
    </section>
  )
}

/** Add (field null) or edit one field. Rendered only while its dialog is open: a fresh draft each time. */
function FieldForm(props: { host: UiHost; field: Attribute | null; onClose: () => void; onSaved: (a: Attribute) => void }) {
  const host = props.host
  const t = host.t
  const existing = props.field
  const [label, setLabel] = createSignal(existing?.label ?? '')
  const [key, setKey] = createSignal(existing?.key ?? '')
  // The key follows the label until it is typed in by hand.
  const [keyTouched, setKeyTouched] = createSignal(false)
  const [type, setType] = createSignal<AttributeType>(existing?.type ?? 'text')
  const [options, setOptions] = createSignal((existing?.options ?? []).join('\n'))
  const [required, setRequired] = createSignal(existing?.required ?? false)
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<unknown>(null)

  const keyProblem = () => (!existing && key() !== '' && !KEY_PATTERN.test(key()) ? t('contacts.fields.keyInvalid') : null)
  const fieldError = (name: string) => {
    if (name === 'key' && keyProblem()) return keyProblem()
    return fieldOf(error()) === name ? errorText(host, error()) : null
  }
  const otherError = () => (error() && !['key', 'label', 'options', 'type'].includes(fieldOf(error()) ?? '') ? errorText(host, error()) : null)
  const isSelect = () => type() === 'select'
  const canSave = () => !busy() && label().trim() !== '' && (existing !== null || KEY_PATTERN.test(key())) && (!isSelect() || optionLines(options()).length > 0)

  const submit = async (e: SubmitEvent) => {
    e.preventDefault()
    if (!canSave()) return
    setBusy(true)
    setError(null)
    try {
      const opts = isSelect() ? { options: optionLines(options()) } : {}
      const saved = existing
        ? await host.api<Attribute>(`/api/contacts/attributes/${existing.id}`, { method: 'PATCH', body: { label: label().trim(), required: required(), ...opts } })
        : await host.api<Attribute>('/api/contacts/attributes', { method: 'POST', body: { key: key(), label: label().trim(), type: type(), required: required(), ...opts } })
      props.onSaved(saved)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  const errorLine = (name: string) => (
    <Show when={fieldError(name)}>
      <small class="field-error" id={`field-${name}-error`} role="alert" data-testid={`field-${name}-error`}>
        {fieldError(name)}
      </small>
    </Show>
  )
  const described = (name: string, hint?: string) => (fieldError(name) ? `field-${name}-error` : hint)

  return (
    <form class="form ct-form" onSubmit={(e) => void submit(e)} novalidate data-testid="field-form">
      <div class="field">
        <label for="field-label">{t('contacts.fields.label')}</label>
        <input
          id="field-label"
          type="text"
          required
          maxLength={120}
          value={label()}
          onInput={(e) => {
            setLabel(e.currentTarget.value)
            if (!existing && !keyTouched()) setKey(keyFromLabel(e.currentTarget.value))
            if (fieldOf(error()) === 'label' || (!existing && !keyTouched() && fieldOf(error()) === 'key')) setError(null)
          }}
          aria-invalid={fieldError('label') ? true : undefined}
          aria-describedby={described('label')}
          data-testid="field-label-input"
        />
        {errorLine('label')}
      </div>

      <div class="field">
        <label for="field-key">{t('contacts.fields.key')}</label>
        <Show
          when={!existing}
          fallback={
            <>
              <code class="ct-field-key ct-readonly" id="field-key" data-testid="field-key-readonly">
                {existing?.key}
              </code>
            </>
          }
        >
          <input
            id="field-key"
            type="text"
            class="mono"
            required
            maxLength={40}
            autocapitalize="off"
            autocomplete="off"
            spellcheck={false}
            value={key()}
            onInput={(e) => {
              setKeyTouched(true)
              setKey(e.currentTarget.value)
              if (fieldOf(error()) === 'key') setError(null)
            }}
            aria-invalid={fieldError('key') ? true : undefined}
            aria-describedby={described('key', 'field-key-hint')}
            data-testid="field-key-input"
          />
        </Show>
        <small class="muted" id="field-key-hint">
          {existing ? t('contacts.fields.keyFixed') : t('contacts.fields.keyHint')}
        </small>
        {errorLine('key')}
      </div>

      <div class="field">
        <label for="field-type">{t('contacts.fields.type')}</label>
        <Show
          when={!existing}
          fallback={
            <>
              <span id="field-type" class="ct-readonly" data-testid="field-type-readonly">
                {t(`contacts.fields.type.${existing?.type ?? 'text'}`)}
              </span>
              <small class="muted">{t('contacts.fields.typeFixed')}</small>
            </>
          }
        >
          <select id="field-type" onChange={(e) => (setType(e.currentTarget.value as AttributeType), fieldOf(error()) === 'options' && setError(null))} data-testid="field-type-input">
            <For each={FIELD_TYPES}>
              {(ty) => (
                <option value={ty} selected={type() === ty}>
                  {t(`contacts.fields.type.${ty}`)}
                </option>
              )}
            </For>
          </select>
          <small class="muted">{t(`contacts.fields.typeHint.${type()}`)}</small>
        </Show>
        {errorLine('type')}
      </div>

      <Show when={isSelect()}>
        <div class="field">
          <label for="field-options">{t('contacts.fields.options')}</label>
          <textarea
            id="field-options"
            rows={5}
            value={options()}
            onInput={(e) => {
              setOptions(e.currentTarget.value)
              if (fieldOf(error()) === 'options') setError(null)
            }}
            aria-invalid={fieldError('options') ? true : undefined}
            aria-describedby={described('options', 'field-options-hint')}
            data-testid="field-options-input"
          />
          <small class="muted" id="field-options-hint">
            {t('contacts.fields.optionsHint')}
          </small>
          {errorLine('options')}
        </div>
      </Show>

      <label class="ct-check">
        <input type="checkbox" checked={required()} onChange={(e) => setRequired(e.currentTarget.checked)} data-testid="field-required-input" />
        {t('contacts.fields.required')}
      </label>
      <p class="muted small">{t('contacts.fields.requiredHint')}</p>

      <Show when={otherError()}>
        <p class="field-error" role="alert">
          {otherError()}
        </p>
      </Show>
      <div class="dialog-actions">
        <button type="button" class="btn" onClick={() => props.onClose()}>
          {t('contacts.cancel')}
        </button>
        <button type="submit" class="btn btn-primary" disabled={!canSave()} data-testid="field-save">
          {busy() ? t('contacts.saving') : existing ? t('contacts.save') : t('contacts.fields.create')}
        </button>
      </div>
    </form>
  )
}
