// Typed custom attributes: an input per type, and the conversions between form text and API values.
import { For, Match, Show, Switch } from 'solid-js'
import type { UiHost } from '@sapa/sdk/ui'
import type { Attribute, AttributeValue } from './types.ts'

/** A stored value as form text ('' for none; booleans as 'true' / 'false'). */
export function toText(value: AttributeValue | null | undefined): string {
  if (value === null || value === undefined) return ''
  return String(value)
}

/**
 * Form text as the JSON the API takes: null removes the value. A number that does not parse is
 * sent as typed so the API names the field (the API is the one judge of what is valid).
 */
export function fromText(def: Attribute, text: string): AttributeValue | null {
  const trimmed = text.trim()
  if (trimmed === '') return null
  if (def.type === 'number') {
    const n = Number(trimmed)
    return Number.isFinite(n) ? n : trimmed
  }
  if (def.type === 'boolean') return trimmed === 'true'
  return def.type === 'text' ? text : trimmed
}

/** A stored value for reading: booleans and dates in the user's language. */
export function showValue(host: UiHost, def: Attribute | undefined, value: AttributeValue | undefined): string {
  if (value === undefined || value === null || value === '') return '—'
  if (typeof value === 'boolean') return host.t(value ? 'contacts.yes' : 'contacts.no')
  if (def?.type === 'date' && typeof value === 'string') {
    const d = new Date(`${value}T00:00:00Z`)
    if (!Number.isNaN(d.getTime())) return new Intl.DateTimeFormat(host.locale() === 'id' ? 'id-ID' : 'en-GB', { dateStyle: 'medium', timeZone: 'UTC' }).format(d)
  }
  if (typeof value === 'number') return new Intl.NumberFormat(host.locale() === 'id' ? 'id-ID' : 'en-US').format(value)
  return String(value)
}

/** One labelled attribute field with its error. */
export function AttributeField(props: { host: UiHost; def: Attribute; idPrefix: string; value: string; onInput: (text: string) => void; error?: string | null }) {
  const id = () => `${props.idPrefix}-${props.def.key}`
  const described = () => (props.error ? `${id()}-error` : undefined)
  const invalid = () => (props.error ? true : undefined)
  const input = (type: string) => (
    <input
      type={type}
      id={id()}
      step={type === 'number' ? 'any' : undefined}
      inputMode={type === 'number' ? 'decimal' : undefined}
      maxLength={type === 'text' ? 1000 : undefined}
      aria-invalid={invalid()}
      aria-describedby={described()}
      data-attribute={props.def.key}
      value={props.value}
      onInput={(e) => props.onInput(e.currentTarget.value)}
    />
  )
  return (
    <div class="field">
      <label for={id()}>
        {props.def.label}
        <Show when={props.def.required}>
          <span aria-hidden="true"> *</span>
          <span class="sr-only"> ({props.host.t('contacts.required')})</span>
        </Show>
      </label>
      <Switch fallback={input('text')}>
        <Match when={props.def.type === 'number'}>{input('number')}</Match>
        <Match when={props.def.type === 'date'}>{input('date')}</Match>
        <Match when={props.def.type === 'select' || props.def.type === 'boolean'}>
          <select id={id()} aria-invalid={invalid()} aria-describedby={described()} data-attribute={props.def.key} onChange={(e) => props.onInput(e.currentTarget.value)}>
            <option value="" selected={props.value === ''}>
              {props.host.t('contacts.none')}
            </option>
            <Show
              when={props.def.type === 'select'}
              fallback={
                <>
                  <option value="true" selected={props.value === 'true'}>
                    {props.host.t('contacts.yes')}
                  </option>
                  <option value="false" selected={props.value === 'false'}>
                    {props.host.t('contacts.no')}
                  </option>
                </>
              }
            >
              <For each={props.def.options ?? []}>
                {(o) => (
                  <option value={o} selected={o === props.value}>
                    {o}
                  </option>
                )}
              </For>
            </Show>
          </select>
        </Match>
      </Switch>
      <Show when={props.error}>
        <small class="field-error" id={`${id()}-error`} role="alert">
          {props.error}
        </small>
      </Show>
    </div>
  )
}
