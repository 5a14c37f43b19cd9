// The contacts list: search as you type, filters (label, opt-in status, segment) kept in the URL,
// sortable (newest first, name A→Z or Z→A, last contacted; also in the URL) with "load more", create, import, export of what is filtered, save as a segment.
import { createEffect, createMemo, createSignal, For, on, Show } from 'solid-js'
import type { UiHost } from '@sapa/sdk/ui'
import { createCatalog } from './catalog.ts'
import { ContactForm } from './ContactForm.tsx'
import { SegmentEditor } from './SegmentEditor.tsx'
import { Empty, ErrorNote, Loading } from './States.tsx'
import { PERM, type Contact, type ListFilters, type SegmentFilter } from './types.ts'
import { createPaged } from '@sapa/sdk/ui/paged'
import { contactTitle, debounced, exportUrl, filterQuery, formatDate } from './util.ts'

/** The list's orders (the API's `sort`); `created`, newest first, is the default and stays out of the URL. */
const SORTS = ['created', 'name', '-name', 'last_contacted'] as const
type Sort = (typeof SORTS)[number]

function readSort(): Sort {
  const value = new URLSearchParams(window.location.search).get('sort')
  return (SORTS as readonly string[]).includes(value ?? '') ? (value as Sort) : 'created'
}

function readFilters(): ListFilters {
  const p = new URLSearchParams(window.location.search)
  const opted = p.get('optedOut')
  return { q: p.get('q') ?? '', label: p.get('label') ?? '', segment: p.get('segment') ?? '', optedOut: opted === 'true' || opted === 'false' ? opted : '' }
}

/** The table's filters as a segment filter (a chosen segment's own conditions included). */
function asSegmentFilter(f: ListFilters, base: SegmentFilter | undefined): SegmentFilter {
  const out: SegmentFilter = structuredClone(base ?? {})
  if (f.q.trim()) out.q = f.q.trim()
  if (f.label) out.labels = { ...out.labels, all: [...new Set([...(out.labels?.all ?? []), f.label])] }
  if (f.optedOut) out.optedOut = f.optedOut === 'true'
  return out
}

export function ContactsTable(props: { host: UiHost }) {
  const host = props.host
  const t = host.t
  const catalog = createCatalog(host)
  const initial = readFilters()
  const [filters, setFilters] = createSignal<ListFilters>(initial)
  const [sort, setSort] = createSignal<Sort>(readSort())
  const [searchText, setSearchText] = createSignal(initial.q)
  const search = debounced(initial.q, 300)
  const [creating, setCreating] = createSignal(false)
  const [savingSegment, setSavingSegment] = createSignal(false)
  // On a phone the selects hide behind a toggle (the search stays); wider screens always show them.
  const [showFilters, setShowFilters] = createSignal(false)
  const activeFilters = () => [filters().label, filters().optedOut, filters().segment].filter(Boolean).length

  const current = createMemo<ListFilters>(() => ({ ...filters(), q: search.value() }))
  const filtered = () => Object.keys(filterQuery(current())).length > 0
  // The filters and the order: what the list asks for and what the URL keeps.
  const listQuery = createMemo(() => ({ ...filterQuery(current()), ...(sort() === 'created' ? {} : { sort: sort() }) }))
  const list = createPaged<Contact>((cursor) => host.api('/api/contacts', { query: { ...listQuery(), limit: 25, cursor } }))

  createEffect(
    on(listQuery, (query) => {
      // The URL carries the filters and the order: a reload, a shared link and "back" from a contact keep them.
      const qs = new URLSearchParams(query).toString()
      const target = `${window.location.pathname}${qs ? `?${qs}` : ''}`
      if (target !== window.location.pathname + window.location.search) window.history.replaceState(window.history.state, '', target)
      void list.reload()
    }),
  )

  const setFilter = (key: keyof ListFilters, value: string) => setFilters((f) => ({ ...f, [key]: value }))
  const clear = () => {
    setSearchText('')
    search.now('')
    setFilters({ q: '', label: '', segment: '', optedOut: '' })
  }
  const segmentName = () => catalog.segments()?.find((s) => s.id === current().segment)?.name

  return (
    <section class="page ct-page" data-testid="contacts-page">
      <header class="page-header">
        <div>
          <h1>{t('contacts.title')}</h1>
          <p class="muted">{t('contacts.subtitle')}</p>
        </div>
        <div class="page-actions ct-actions">
          <a class="btn" href="/contacts/segments" data-testid="segments-link">
            {t('contacts.segments.title')}
          </a>
          <a class="btn" href="/contacts/fields" data-testid="fields-link">
            {t('contacts.fields.link')}
          </a>
          <Show when={host.can(PERM.export)}>
            <details
              class="ct-menu"
              data-testid="export-menu"
              onKeyDown={(e) => {
                // Escape closes the menu and gives the focus back to its button.
                if (e.key !== 'Escape' || !e.currentTarget.open) return
                e.currentTarget.open = false
                e.currentTarget.querySelector('summary')?.focus()
              }}
              onFocusOut={(e) => {
                const menu = e.currentTarget
                if (!menu.contains(e.relatedTarget as Node | null)) menu.open = false
              }}
            >
              <summary class="btn">{t('contacts.export.button')}</summary>
              <div class="ct-menu-panel" role="group" aria-label={t('contacts.export.button')} onClick={(e) => e.target instanceof HTMLAnchorElement && (e.currentTarget.parentElement as HTMLDetailsElement).removeAttribute('open')}>
                <p class="muted small">{filtered() ? t('contacts.export.filtered') : t('contacts.export.all')}</p>
                <a class="btn btn-small" href={exportUrl(current(), 'csv')} download="" data-testid="export-csv">
                  {t('contacts.export.csv')}
                </a>
                <a class="btn btn-small" href={exportUrl(current(), 'xlsx')} download="" data-testid="export-xlsx">
                  {t('contacts.export.xlsx')}
                </a>
              </div>
            </details>
          </Show>
          <Show when={host.can(PERM.import)}>
            <a class="btn" href="/contacts/import" data-testid="import-button">
              {t('contacts.import.button')}
            </a>
          </Show>
          <Show when={host.can(PERM.create)}>
            <button type="button" class="btn btn-primary" onClick={() => setCreating(true)} data-testid="new-contact">
              {t('contacts.new')}
            </button>
          </Show>
        </div>
      </header>

      <form class="filters ct-filters" classList={{ 'ct-filters-open': showFilters() }} role="search" onSubmit={(e) => (e.preventDefault(), search.now(searchText()))}>
        <div class="field ct-search">
          <label for="ct-search">{t('contacts.filter.search')}</label>
          <input
            id="ct-search"
            type="search"
            placeholder={t('contacts.filter.searchPlaceholder')}
            value={searchText()}
            onInput={(e) => {
              setSearchText(e.currentTarget.value)
              search.set(e.currentTarget.value)
            }}
            data-testid="contact-search"
          />
        </div>
        <button
          type="button"
          class="btn ct-filters-toggle"
          aria-expanded={showFilters()}
          aria-controls="ct-filter-more-0 ct-filter-more-1 ct-filter-more-2"
          onClick={() => setShowFilters((v) => !v)}
          data-testid="filters-toggle"
        >
          {t('contacts.filter.more')}
          <Show when={activeFilters()}>{(n) => <span class="badge">{n()}</span>}</Show>
        </button>
        <div class="field ct-filter-more" id="ct-filter-more-0">
          <label for="ct-label">{t('contacts.filter.label')}</label>
          <select id="ct-label" onChange={(e) => setFilter('label', e.currentTarget.value)} data-testid="filter-label">
            <option value="" selected={!filters().label}>
              {t('contacts.filter.anyLabel')}
            </option>
            <For each={catalog.labels() ?? []}>
              {(l) => (
                <option value={l.id} selected={filters().label === l.id}>
                  {l.name}
                </option>
              )}
            </For>
          </select>
        </div>
        <div class="field ct-filter-more" id="ct-filter-more-1">
          <label for="ct-status">{t('contacts.filter.status')}</label>
          <select id="ct-status" onChange={(e) => setFilter('optedOut', e.currentTarget.value)} data-testid="filter-status">
            <option value="" selected={!filters().optedOut}>
              {t('contacts.filter.anyStatus')}
            </option>
            <option value="false" selected={filters().optedOut === 'false'}>
              {t('contacts.status.subscribed')}
            </option>
            <option value="true" selected={filters().optedOut === 'true'}>
              {t('contacts.status.optedOut')}
            </option>
          </select>
        </div>
        <div class="field ct-filter-more" id="ct-filter-more-2">
          <label for="ct-segment">{t('contacts.filter.segment')}</label>
          <select id="ct-segment" onChange={(e) => setFilter('segment', e.currentTarget.value)} data-testid="filter-segment">
            <option value="" selected={!filters().segment}>
              {t('contacts.filter.allContacts')}
            </option>
            <For each={catalog.segments() ?? []}>
              {(s) => (
                <option value={s.id} selected={filters().segment === s.id}>
                  {s.name}
                </option>
              )}
            </For>
          </select>
        </div>
        <div class="filters-actions">
          <button type="button" class="btn" onClick={clear} disabled={!filtered()}>
            {t('contacts.filter.clear')}
          </button>
          <Show when={host.can(PERM.segments)}>
            <button type="button" class="btn" onClick={() => setSavingSegment(true)} disabled={!filtered()} data-testid="save-segment">
              {t('contacts.filter.saveSegment')}
            </button>
          </Show>
        </div>
      </form>

      <Show when={segmentName()}>
        <p class="note note-info" data-testid="segment-note">
          {t('contacts.filter.inSegment', { name: segmentName()! })}
        </p>
      </Show>

      <Show when={list.error()}>
        <ErrorNote host={host} error={list.error()} retry={() => void list.reload()} />
      </Show>
      <Show when={list.loaded()} fallback={<Show when={!list.error()}>{<Loading host={host} />}</Show>}>
        <Show
          when={list.items().length}
          fallback={
            <Show
              when={filtered()}
              fallback={
                <Empty title={t('contacts.empty.title')} testId="contacts-empty">
                  <p>{t('contacts.empty.hint')}</p>
                  <div class="ct-empty-actions">
                    <Show when={host.can(PERM.create)}>
                      <button type="button" class="btn btn-primary" onClick={() => setCreating(true)}>
                        {t('contacts.new')}
                      </button>
                    </Show>
                    <Show when={host.can(PERM.import)}>
                      <a class="btn" href="/contacts/import">
                        {t('contacts.import.button')}
                      </a>
                    </Show>
                  </div>
                </Empty>
              }
            >
              <Empty title={t('contacts.empty.noMatch')} testId="contacts-no-match">
                <button type="button" class="btn btn-link" onClick={clear}>
                  {t('contacts.filter.clear')}
                </button>
              </Empty>
            </Show>
          }
        >
          {/* The card layout of a phone has no column headers: a select instead. */}
          <div class="field ct-sort-select">
            <label for="ct-sort">{t('contacts.sort.label')}</label>
            <select id="ct-sort" onChange={(e) => setSort(e.currentTarget.value as Sort)} data-testid="sort-select">
              <For each={SORTS}>
                {(s) => (
                  <option value={s} selected={sort() === s}>
                    {t(`contacts.sort.${s}`)}
                  </option>
                )}
              </For>
            </select>
          </div>
          <div class="table-wrap ct-table-wrap" aria-busy={list.loading()}>
            <table class="table ct-table" data-testid="contacts-table">
              <caption class="sr-only">{t('contacts.title')}</caption>
              <thead>
                <tr>
                  <SortHeader host={host} label={t('contacts.field.name')} sort={sort()} asc="name" desc="-name" onSort={setSort} testId="sort-name" />
                  <th scope="col">{t('contacts.field.phone')}</th>
                  <th scope="col">{t('contacts.field.labels')}</th>
                  <th scope="col">{t('contacts.field.status')}</th>
                  <SortHeader host={host} label={t('contacts.field.lastContacted')} sort={sort()} desc="last_contacted" onSort={setSort} testId="sort-last-contacted" />
                  <SortHeader host={host} label={t('contacts.field.created')} sort={sort()} desc="created" onSort={setSort} testId="sort-created" />
                </tr>
              </thead>
              <tbody>
                <For each={list.items()}>
                  {(c) => (
                    <tr data-contact={c.phone}>
                      <td class="ct-cell-name">
                        <a class="cell-title" href={`/contacts/${c.id}`} data-testid="contact-link">
                          {contactTitle(c)}
                        </a>
                        <Show when={c.email}>
                          <div class="muted small ct-ellipsis">{c.email}</div>
                        </Show>
                      </td>
                      <td class="mono nowrap" data-label={t('contacts.field.phone')}>
                        {c.phone}
                      </td>
                      <td data-label={t('contacts.field.labels')}>
                        <span class="ct-labels">
                          <For each={c.labels} fallback={<span class="muted">—</span>}>
                            {(l) => <LabelBadge name={l.name} color={l.color} />}
                          </For>
                        </span>
                      </td>
                      <td data-label={t('contacts.field.status')}>
                        <StatusBadge host={host} optedOut={c.optedOut} />
                      </td>
                      <td class="small" data-label={t('contacts.field.lastContacted')}>
                        {c.lastContactedAt ? formatDate(host, c.lastContactedAt) : t('contacts.never')}
                      </td>
                      <td class="small" data-label={t('contacts.field.created')}>
                        {formatDate(host, c.createdAt, false)}
                      </td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </div>
          <Show when={list.hasMore()}>
            <button type="button" class="btn btn-block" disabled={list.loading()} onClick={() => void list.more()} data-testid="load-more">
              {list.loading() ? t('contacts.loading') : t('contacts.loadMore')}
            </button>
          </Show>
        </Show>
      </Show>

      <ContactForm
        host={host}
        open={creating()}
        onClose={() => setCreating(false)}
        attributes={catalog.attributes() ?? []}
        onSaved={(c) => {
          setCreating(false)
          host.toast(t('contacts.created', { name: contactTitle(c) }), 'success')
          list.setItems((items) => [c, ...items.filter((x) => x.id !== c.id)])
        }}
      />
      <SegmentEditor
        host={host}
        open={savingSegment()}
        onClose={() => setSavingSegment(false)}
        catalog={catalog}
        initial={{ name: '', filter: asSegmentFilter(current(), catalog.segments()?.find((s) => s.id === current().segment)?.filter) }}
        onSaved={(s) => {
          setSavingSegment(false)
          host.toast(t('contacts.segments.saved', { name: s.name }), 'success')
          void catalog.reloadSegments()
          // Show the saved segment itself: what is listed now is exactly its members.
          setSearchText('')
          search.now('')
          setFilters({ q: '', label: '', segment: s.id, optedOut: '' })
        }}
      />
    </section>
  )
}

/**
 * A sortable column header: a button that sorts by the column (`asc` first where the column has
 * it, a second click reverses), with aria-sort on the header while its order is the active one.
 */
function SortHeader(props: { host: UiHost; label: string; sort: Sort; asc?: Sort; desc?: Sort; onSort: (sort: Sort) => void; testId: string }) {
  const active = () => (props.sort === props.asc ? 'ascending' : props.sort === props.desc ? 'descending' : undefined)
  const next = (): Sort => (props.asc && props.desc ? (props.sort === props.asc ? props.desc : props.asc) : (props.asc ?? props.desc)!)
  return (
    <th scope="col" aria-sort={active()}>
      <button type="button" class="ct-sort-button" onClick={() => props.onSort(next())} data-testid={props.testId}>
        {props.label}
        <span class="ct-sort-mark" aria-hidden="true">
          {active() === 'ascending' ? '▲' : active() === 'descending' ? '▼' : '↕'}
        </span>
      </button>
    </th>
  )
}

export function LabelBadge(props: { name: string; color: string | null }) {
  return (
    <span class="badge ct-label" style={props.color ? { '--ct-label': props.color } : undefined}>
      {props.name}
    </span>
  )
}

export function StatusBadge(props: { host: UiHost; optedOut: boolean }) {
  return (
    <span class={`badge ${props.optedOut ? 'ct-badge-out' : 'badge-ok'}`} data-testid="status-badge">
      {props.optedOut ? props.host.t('contacts.status.optedOut') : props.host.t('contacts.status.subscribed')}
    </span>
  )
}
