// One import's progress and result: fed by its realtime topic, with polling as the fallback (a
// socket that is down or late must not leave the bar standing still).
import { createResource, createSignal, For, onCleanup, Show } from 'solid-js'
import type { UiHost } from '@sapa/sdk/ui'
import { ErrorNote, Loading } from './States.tsx'
import type { ImportState } from './types.ts'
import { formatNumber } from './util.ts'

const POLL_MS = 2000
const done = (s: ImportState | null | undefined) => s?.status === 'completed' || s?.status === 'failed'

export function percentOf(s: ImportState): number {
  if (s.status === 'completed') return 100
  if (!s.totalRows) return 0
  return Math.min(100, Math.floor((s.processed / s.totalRows) * 100))
}

export function ImportProgress(props: { host: UiHost; id: string; onAgain?: () => void }) {
  const host = props.host
  const t = host.t
  const [state, setState] = createSignal<ImportState | null>(null)
  const [error, setError] = createSignal<unknown>(null)

  // Answers arrive from two sources and out of order: never step back.
  const take = (next: ImportState) => {
    const cur = state()
    if (cur && done(cur) && !done(next)) return
    if (cur && !done(next) && next.processed < cur.processed) return
    setState({ ...next, errors: next.errors ?? cur?.errors, errorsTruncated: next.errorsTruncated ?? cur?.errorsTruncated })
  }
  const fetchState = async () => {
    try {
      take(await host.api<ImportState>(`/api/contacts/imports/${props.id}`))
      setError(null)
    } catch (err) {
      setError(err)
    }
  }
  void fetchState()
  host.subscribe(`contacts-import:${props.id}`, (event, data) => {
    if (data && typeof data === 'object') take(data as ImportState)
    // The realtime event has the counts; the row errors come with the full state. After a reconnect
    // (`$resubscribed`) events may have been missed: read the state again.
    if (event === 'completed' || event === 'failed' || event === '$resubscribed') void fetchState()
  })
  const timer = setInterval(() => {
    if (done(state()) && state()?.errors) return clearInterval(timer)
    void fetchState()
  }, POLL_MS)
  onCleanup(() => clearInterval(timer))

  return (
    <div class="ct-import-progress" data-testid="import-state" data-status={state()?.status ?? 'loading'}>
      <Show when={error() && !state()}>
        <ErrorNote host={host} error={error()} retry={() => void fetchState()} />
      </Show>
      <Show when={state()} fallback={<Show when={!error()}>{<Loading host={host} />}</Show>}>
        {(s) => (
          <>
            <p class="ct-import-file">
              <strong>{s().filename}</strong>{' '}
              <span class={`badge ${s().status === 'completed' ? 'badge-ok' : s().status === 'failed' ? 'ct-badge-out' : ''}`}>{t(`contacts.import.status.${s().status}`)}</span>
            </p>
            <div
              class="ct-progress"
              role="progressbar"
              aria-label={t('contacts.import.progress')}
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={percentOf(s())}
              aria-valuetext={`${percentOf(s())} %`}
              data-testid="import-progress"
            >
              <div class="ct-progress-bar" classList={{ 'ct-progress-failed': s().status === 'failed' }} style={{ width: `${percentOf(s())}%` }} />
            </div>
            <p class="muted small" aria-live="polite">
              <Show when={s().totalRows !== null} fallback={t('contacts.import.waiting')}>
                {t('contacts.import.rowsDone', { processed: formatNumber(host, s().processed), total: formatNumber(host, s().totalRows ?? 0), percent: percentOf(s()) })}
              </Show>
            </p>

            <Show when={done(s())}>
              <Show when={s().failure}>
                {(f) => (
                  <div class="note note-error" role="alert">
                    <div>
                      <strong>{t('contacts.import.failed')}</strong> {f().message}
                    </div>
                  </div>
                )}
              </Show>
              <dl class="ct-counts" data-testid="import-counts">
                <div data-count="imported">
                  <dt>{t('contacts.import.imported')}</dt>
                  <dd>{formatNumber(host, s().imported)}</dd>
                </div>
                <div data-count="updated">
                  <dt>{t('contacts.import.updated')}</dt>
                  <dd>{formatNumber(host, s().updated)}</dd>
                </div>
                <div data-count="skipped">
                  <dt>{t('contacts.import.skipped')}</dt>
                  <dd>{formatNumber(host, s().skipped)}</dd>
                </div>
                <div data-count="errors" classList={{ 'ct-count-bad': s().errorCount > 0 }}>
                  <dt>{t('contacts.import.errors')}</dt>
                  <dd>{formatNumber(host, s().errorCount)}</dd>
                </div>
              </dl>
              <Show when={s().errorCount > 0 || s().failure}>
                <p>
                  <a class="btn" href={`/api/contacts/imports/${s().id}/errors.csv`} download="" data-testid="error-report">
                    {t('contacts.import.errorReport')}
                  </a>
                </p>
              </Show>
              <Show when={s().errors?.length}>
                <div class="table-wrap">
                  <table class="table ct-errors">
                    <caption class="sr-only">{t('contacts.import.errors')}</caption>
                    <thead>
                      <tr>
                        <th scope="col">{t('contacts.import.row')}</th>
                        <th scope="col">{t('contacts.import.reason')}</th>
                      </tr>
                    </thead>
                    <tbody>
                      <For each={s().errors!.slice(0, 10)}>
                        {(e) => (
                          <tr>
                            <td class="mono">{e.row}</td>
                            <td>{e.reason}</td>
                          </tr>
                        )}
                      </For>
                    </tbody>
                  </table>
                </div>
                <Show when={s().errorCount > 10}>
                  <p class="muted small">{t('contacts.import.moreErrors', { count: formatNumber(host, s().errorCount - 10) })}</p>
                </Show>
              </Show>
              <div class="ct-actions">
                <a class="btn btn-primary" href="/contacts">
                  {t('contacts.import.viewContacts')}
                </a>
                <Show when={props.onAgain}>
                  <button type="button" class="btn" onClick={() => props.onAgain?.()}>
                    {t('contacts.import.another')}
                  </button>
                </Show>
              </div>
            </Show>
          </>
        )}
      </Show>
    </div>
  )
}

/** The tenant's latest imports, each opening its progress or result. */
export function RecentImports(props: { host: UiHost }) {
  const t = props.host.t
  const [list] = createResource(() => props.host.api<{ items: ImportState[] }>('/api/contacts/imports', { query: { limit: 5 } }).then((r) => r.items))
  return (
    <Show when={list()?.length}>
      <section class="ct-recent" aria-labelledby="ct-recent-title">
        <h2 id="ct-recent-title">{t('contacts.import.recent')}</h2>
        <ul class="list">
          <For each={list()}>
            {(i) => (
              <li class="list-row">
                <div class="list-main">
                  <a href={`/contacts/import/${i.id}`} class="cell-title">
                    {i.filename}
                  </a>
                  <div class="muted small">
                    {t('contacts.import.summary', { imported: formatNumber(props.host, i.imported), updated: formatNumber(props.host, i.updated), errors: formatNumber(props.host, i.errorCount) })}
                  </div>
                </div>
                <span class={`badge ${i.status === 'completed' ? 'badge-ok' : i.status === 'failed' ? 'ct-badge-out' : ''}`}>{t(`contacts.import.status.${i.status}`)}</span>
              </li>
            )}
          </For>
        </ul>
      </section>
    </Show>
  )
}
