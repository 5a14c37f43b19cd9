// Loading, empty and error states used everywhere.
import { Show, type JSX } from 'solid-js'
import { errorText, t } from '../lib/i18n.ts'
import { Icon } from './Icon.tsx'

export function Loading(props: { label?: string }) {
  return (
    <div class="state state-loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      <span>{props.label ?? t('common.loading')}</span>
    </div>
  )
}

export function Empty(props: { title: string; children?: JSX.Element }) {
  return (
    <div class="state state-empty">
      <p class="state-title">{props.title}</p>
      <Show when={props.children}>
        <div>{props.children}</div>
      </Show>
    </div>
  )
}

export function ErrorNote(props: { error: unknown; retry?: () => void; title?: string }) {
  return (
    <div class="note note-error" role="alert">
      <Icon name="alert" />
      <div>
        <Show when={props.title}>
          <strong>{props.title}</strong>{' '}
        </Show>
        <span>{errorText(props.error)}</span>
        <Show when={props.retry}>
          {' '}
          <button type="button" class="btn btn-link" onClick={() => props.retry?.()}>
            {t('common.retry')}
          </button>
        </Show>
      </div>
    </div>
  )
}

export function PageHeader(props: { title: string; description?: string; actions?: JSX.Element }) {
  return (
    <header class="page-header">
      <div>
        <h1>{props.title}</h1>
        <Show when={props.description}>
          <p class="muted">{props.description}</p>
        </Show>
      </div>
      <Show when={props.actions}>
        <div class="page-actions">{props.actions}</div>
      </Show>
    </header>
  )
}
