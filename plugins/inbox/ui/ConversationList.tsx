// The left pane: search, filters and the conversation list. The list is virtualised (only the rows
// in view are in the DOM) and loads the next cursor page as its end comes into view, so ten
// thousand conversations scroll like ten.
import { createEffect, createMemo, createSignal, For, on, Show } from 'solid-js'
import { createVirtualizer } from '@tanstack/solid-virtual'
import { isApiError, type UiHost } from '@sapa/sdk/ui'
import { ConversationRow } from './ConversationRow.tsx'
import type { Filters, ConversationList as ListState } from './list-state.ts'
import { SearchResults } from './SearchResults.tsx'
import { STATUSES, type Team } from './types.ts'

const ROW_HEIGHT = 78

export function ConversationList(props: {
  host: UiHost
  list: ListState
  filters: Filters
  setFilters: (f: Partial<Filters>) => void
  teams: Team[]
  selectedId: string | null
  onOpen: (id: string) => void
}) {
  const t = props.host.t
  let scroller: HTMLDivElement | undefined
  // The keyboard cursor, by id: rows moving (a new message lifts a conversation to the top) keep it.
  const [activeId, setActiveId] = createSignal<string | null>(null)
  const [showMore, setShowMore] = createSignal(false)
  const [search, setSearch] = createSignal('')
  const [query, setQuery] = createSignal('')

  const items = () => props.list.items()
  const virtualizer = createVirtualizer({
    get count() {
      return items().length
    },
    getScrollElement: () => scroller ?? null,
    estimateSize: () => ROW_HEIGHT,
    overscan: 6,
    getItemKey: (i) => items()[i]?.id ?? i,
  })

  // The end of what is loaded came into view: the next page.
  createEffect(() => {
    const visible = virtualizer.getVirtualItems()
    const last = visible[visible.length - 1]
    if (!last || !props.list.hasMore() || props.list.loading() || props.list.error()) return
    if (last.index >= items().length - 8) void props.list.more()
  })

  // The open conversation (a click, a link, Enter) is where the keyboard continues from.
  createEffect(on(() => props.selectedId, (id) => id && setActiveId(id)))

  const active = createMemo(() => {
    const id = activeId()
    return id ? items().findIndex((c) => c.id === id) : -1
  })

  const move = (delta: number) => {
    const n = items().length
    if (!n) return
    const next = Math.max(0, Math.min(n - 1, (active() < 0 ? -1 : active()) + delta))
    setActiveId(items()[next].id)
    virtualizer.scrollToIndex(next, { align: 'auto' })
  }

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return
    if (e.key === 'ArrowDown' || e.key === 'j') move(1)
    else if (e.key === 'ArrowUp' || e.key === 'k') move(-1)
    else if (e.key === 'Home') move(-items().length)
    else if (e.key === 'End') move(items().length)
    else if (e.key === 'Enter' && active() >= 0) props.onOpen(activeId()!)
    else return
    e.preventDefault()
  }

  const submitSearch = (e: Event) => {
    e.preventDefault()
    setQuery(search().trim())
  }
  const clearSearch = () => {
    setSearch('')
    setQuery('')
  }

  const labelSuggestions = createMemo(() => [...new Set(items().flatMap((c) => c.labels))].slice(0, 50))

  return (
    <section class="inbox-pane inbox-list-pane" aria-label={t('inbox.list.title')}>
      <header class="inbox-list-header">
        <h1 class="inbox-title">{t('inbox.title')}</h1>
        <form class="inbox-search" role="search" onSubmit={submitSearch}>
          <label class="sr-only" for="inbox-search">
            {t('inbox.search.label')}
          </label>
          <input
            id="inbox-search"
            type="search"
            data-testid="inbox-search"
            placeholder={t('inbox.search.placeholder')}
            value={search()}
            onInput={(e) => {
              setSearch(e.currentTarget.value)
              if (!e.currentTarget.value) setQuery('')
            }}
            onKeyDown={(e) => e.key === 'Escape' && clearSearch()}
          />
        </form>
        <div class="inbox-filter-row">
          <div class="segmented" role="group" aria-label={t('inbox.filter.assignee')}>
            <For each={['me', 'none', 'all'] as const}>
              {(value) => (
                <button type="button" aria-pressed={props.filters.assignee === value} data-filter-assignee={value} onClick={() => props.setFilters({ assignee: value })}>
                  {t(`inbox.filter.assignee.${value}`)}
                </button>
              )}
            </For>
          </div>
          <label class="sr-only" for="inbox-filter-status">
            {t('inbox.filter.status')}
          </label>
          <select id="inbox-filter-status" data-testid="filter-status" value={props.filters.status} onChange={(e) => props.setFilters({ status: e.currentTarget.value as Filters['status'] })}>
            <option value="">{t('inbox.filter.status.any')}</option>
            <For each={STATUSES}>{(s) => <option value={s}>{t(`inbox.status.${s}`)}</option>}</For>
          </select>
          <button type="button" class="btn btn-small" aria-expanded={showMore()} aria-controls="inbox-more-filters" onClick={() => setShowMore((v) => !v)}>
            {t('inbox.filter.more')}
            <Show when={props.filters.team || props.filters.label}>
              <span class="inbox-dot" aria-label={t('inbox.filter.active')} />
            </Show>
          </button>
        </div>
        <Show when={showMore()}>
          <div class="inbox-filter-row" id="inbox-more-filters">
            <label class="inbox-inline-field">
              <span>{t('inbox.filter.team')}</span>
              <select data-testid="filter-team" value={props.filters.team} onChange={(e) => props.setFilters({ team: e.currentTarget.value })}>
                <option value="">{t('inbox.filter.team.any')}</option>
                <option value="none">{t('inbox.filter.team.none')}</option>
                <For each={props.teams}>{(team) => <option value={team.id}>{team.name}</option>}</For>
              </select>
            </label>
            <label class="inbox-inline-field">
              <span>{t('inbox.filter.label')}</span>
              <input
                data-testid="filter-label"
                list="inbox-label-suggestions"
                value={props.filters.label}
                placeholder={t('inbox.filter.label.placeholder')}
                onChange={(e) => props.setFilters({ label: e.currentTarget.value.trim() })}
              />
              <datalist id="inbox-label-suggestions">
                <For each={labelSuggestions()}>{(l) => <option value={l} />}</For>
              </datalist>
            </label>
          </div>
        </Show>
      </header>

      <Show when={query()}>
        <SearchResults host={props.host} query={query()} selectedId={props.selectedId} onOpen={props.onOpen} onClear={clearSearch} />
      </Show>
      {/* Hidden, not removed, while searching: the virtualiser stays attached to its scroll element. */}
      <div class="inbox-list-body" hidden={Boolean(query())}>
        <Show when={props.list.error() && !items().length}>
          <div class="note note-error inbox-state" role="alert">
            <div>
              {isApiError(props.list.error()) ? (props.list.error() as Error).message : t('inbox.error.load')}{' '}
              <button type="button" class="btn btn-link" onClick={() => void props.list.reload()}>
                {t('inbox.retry')}
              </button>
            </div>
          </div>
        </Show>
        <Show when={!props.list.loaded() && props.list.loading()}>
          <div class="state state-loading" role="status">
            <span class="spinner" aria-hidden="true" />
            <span>{t('inbox.loading')}</span>
          </div>
        </Show>
        <Show when={props.list.loaded() && !items().length && !props.list.loading()}>
          <div class="state state-empty" data-testid="inbox-empty">
            <p class="state-title">{t('inbox.list.empty')}</p>
            <p>{t('inbox.list.emptyHint')}</p>
          </div>
        </Show>
        <div
          ref={scroller}
          class="inbox-list-scroll"
          role="listbox"
          tabindex="0"
          aria-label={t('inbox.list.title')}
          aria-activedescendant={active() >= 0 ? `inbox-row-${activeId()}` : undefined}
          data-testid="conversation-list"
          data-count={items().length}
          onKeyDown={onKeyDown}
        >
          <div class="inbox-list-inner" style={{ height: `${virtualizer.getTotalSize()}px` }}>
            <For each={virtualizer.getVirtualItems()}>
              {(row) => (
                <Show when={items()[row.index]}>
                  {(c) => (
                    <ConversationRow
                      host={props.host}
                      conversation={c()}
                      selected={c().id === props.selectedId}
                      active={row.index === active()}
                      top={row.start}
                      height={ROW_HEIGHT}
                      onOpen={() => {
                        setActiveId(c().id)
                        props.onOpen(c().id)
                      }}
                    />
                  )}
                </Show>
              )}
            </For>
          </div>
          <Show when={props.list.loaded() && props.list.loading()}>
            <div class="state state-loading inbox-more" role="status" data-testid="list-loading-more">
              <span class="spinner" aria-hidden="true" />
              <span>{t('inbox.loading')}</span>
            </div>
          </Show>
          <Show when={props.list.error() && items().length}>
            <p class="inbox-more">
              <button type="button" class="btn btn-small" onClick={() => void props.list.more()}>
                {t('inbox.retry')}
              </button>
            </p>
          </Show>
        </div>
      </div>
    </section>
  )
}
