// Loading, empty and error states, in the shell's classes.
import { Show, type JSX } from 'solid-js'
import type { UiHost } from '@sapa/sdk/ui'
import { errorText } from './util.ts'

export function Loading(props: { host: UiHost; label?: string }) {
  return (
    <div class="state state-loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      <span>{props.label ?? props.host.t('contacts.loading')}</span>
    </div>
  )
}

export function Empty(props: { title: string; children?: JSX.Element; testId?: string }) {
  return (
    <div class="state state-empty" data-testid={props.testId}>
      <p class="state-title">{props.title}</p>
      <Show when={props.children}>
        <div>{props.children}</div>
      </Show>
    </div>
  )
}

export function ErrorNote(props: { host: UiHost; error: unknown; retry?: () => void }) {
  return (
    <div class="note note-error" role="alert">
      <span aria-hidden="true">⚠</span>
      <div>
        <span>{errorText(props.host, props.error)}</span>
        <Show when={props.retry}>
          {' '}
          <button type="button" class="btn btn-link" onClick={() => props.retry?.()}>
            {props.host.t('contacts.retry')}
          </button>
        </Show>
      </div>
    </div>
  )
}
