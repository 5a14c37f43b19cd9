// Loading, empty and error states used everywhere.
import { Show, type JSX } from 'solid-js'
import type { createPaged } from '@sapa/sdk/ui/paged'
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

/**
 * A cursor list's states around its content: the error (retrying what failed: the first page or the
 * next), loading, empty, and "load more" below the content.
 */
export function PagedView(props: { list: ReturnType<typeof createPaged<any>>; empty: JSX.Element; children: JSX.Element }) {
  const list = () => props.list
  return (
    <>
      <Show when={list().error()}>
        <ErrorNote error={list().error()} retry={() => void (list().loaded() ? list().more() : list().reload())} />
      </Show>
      <Show when={list().loaded()} fallback={<Show when={!list().error()}><Loading /></Show>}>
        <Show when={list().items().length} fallback={props.empty}>
          {props.children}
          <Show when={list().hasMore()}>
            <button type="button" class="btn btn-block" disabled={list().loading()} onClick={() => void list().more()}>
              {list().loading() ? t('common.loading') : t('common.loadMore')}
            </button>
          </Show>
        </Show>
      </Show>
    </>
  )
}
