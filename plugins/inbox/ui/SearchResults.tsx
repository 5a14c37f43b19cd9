// Search (GET /api/inbox/search): matching contacts' conversations, then messages and notes.
import { createEffect, createSignal, For, on, Show } from 'solid-js'
import { isApiError, type UiHost } from '@sapa/sdk/ui'
import { listTime } from './format.ts'
import type { SearchResult } from './types.ts'

export function SearchResults(props: { host: UiHost; query: string; selectedId: string | null; onOpen: (id: string) => void; onClear: () => void }) {
  const t = props.host.t
  const [result, setResult] = createSignal<SearchResult | null>(null)
  const [loading, setLoading] = createSignal(false)
  const [error, setError] = createSignal<unknown>(null)
  let generation = 0

  async function run(cursor?: string) {
    const mine = cursor ? generation : ++generation
    setLoading(true)
    setError(null)
    try {
      const page = await props.host.api<SearchResult>('/api/inbox/search', { query: { q: props.query, limit: 20, cursor } })
      if (mine !== generation) return
      setResult((old) => (cursor && old ? { conversations: old.conversations, messages: [...old.messages, ...page.messages], nextCursor: page.nextCursor } : page))
    } catch (err) {
      if (mine === generation) setError(err)
    } finally {
      if (mine === generation) setLoading(false)
    }
  }

  createEffect(on(() => props.query, () => void run()))

  const empty = () => {
    const r = result()
    return r && !r.conversations.length && !r.messages.length
  }

  return (
    <div class="inbox-search-results" data-testid="search-results">
      <div class="inbox-search-bar">
        <span class="muted small">{t('inbox.search.for', { q: props.query })}</span>
        <button type="button" class="btn btn-small" onClick={() => props.onClear()}>
          {t('inbox.search.clear')}
        </button>
      </div>
      <Show when={error()}>
        <div class="note note-error" role="alert">
          <div>{isApiError(error()) ? (error() as Error).message : t('inbox.error.load')}</div>
        </div>
      </Show>
      <Show when={loading() && !result()}>
        <div class="state state-loading" role="status">
          <span class="spinner" aria-hidden="true" />
          <span>{t('inbox.loading')}</span>
        </div>
      </Show>
      <Show when={empty()}>
        <div class="state state-empty">
          <p class="state-title">{t('inbox.search.none')}</p>
        </div>
      </Show>
      <Show when={result()?.conversations.length}>
        <h2 class="inbox-section-title">{t('inbox.search.contacts')}</h2>
        <ul class="inbox-result-list">
          <For each={result()!.conversations}>
            {(c) => (
              <li>
                <button type="button" class="inbox-result" aria-current={c.id === props.selectedId} onClick={() => props.onOpen(c.id)}>
                  <strong>{c.contact.name || c.contact.phone}</strong>
                  <span class="muted small">{c.contact.phone}</span>
                </button>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <Show when={result()?.messages.length}>
        <h2 class="inbox-section-title">{t('inbox.search.messages')}</h2>
        <ul class="inbox-result-list">
          <For each={result()!.messages}>
            {(m) => (
              <li>
                <button type="button" class="inbox-result" aria-current={m.conversationId === props.selectedId} onClick={() => props.onOpen(m.conversationId)}>
                  <span class="inbox-result-line">
                    <strong>{m.conversation.contact?.name || m.conversation.contact?.phone || t('inbox.search.conversation')}</strong>
                    <time class="muted small">{listTime(m.createdAt, props.host.locale())}</time>
                  </span>
                  <span class="inbox-result-text" classList={{ 'is-note': m.kind === 'note' }}>
                    {m.kind === 'note' ? `${t('inbox.list.notePrefix')} ` : ''}
                    {m.text}
                  </span>
                </button>
              </li>
            )}
          </For>
        </ul>
        <Show when={result()?.nextCursor}>
          <p class="inbox-more">
            <button type="button" class="btn btn-small" disabled={loading()} onClick={() => void run(result()!.nextCursor!)}>
              {t('inbox.loadMore')}
            </button>
          </p>
        </Show>
      </Show>
    </div>
  )
}
