// Import wizard: choose a CSV/XLSX → the API reads its columns (POST /imports/preview) → map each
// column to a contact field, an attribute or nothing → start (multipart: file, mapping, onDuplicate)
// → progress and result on the import's own page (/contacts/import/<id>).
import { createMemo, createSignal, For, Match, Show, Switch } from 'solid-js'
import { createStore } from 'solid-js/store'
import type { UiHost } from '@sapa/sdk/ui'
import { createCatalog } from './catalog.ts'
import { ImportProgress, RecentImports } from './ImportProgress.tsx'
import { ErrorNote } from './States.tsx'
import type { ImportPreview, ImportTarget } from './types.ts'
import { errorText, formatNumber } from './util.ts'

const MAX_BYTES = 20 * 1024 * 1024
const FIXED: ImportTarget[] = ['name', 'phone', 'email', 'labels']

export function ImportPage(props: { host: UiHost; importId?: string }) {
  const t = props.host.t
  return (
    <section class="page ct-page" data-testid="import-page">
      <nav class="ct-back">
        <a href="/contacts">← {t('contacts.title')}</a>
      </nav>
      <header class="page-header">
        <div>
          <h1>{t('contacts.import.title')}</h1>
          <p class="muted">{t('contacts.import.subtitle')}</p>
        </div>
      </header>
      <Show when={props.importId} keyed fallback={<ImportWizard host={props.host} />}>
        {(id) => (
          <>
            <Steps host={props.host} step={3} />
            <div class="card">
              <ImportProgress host={props.host} id={id} onAgain={() => props.host.navigate('/contacts/import')} />
            </div>
          </>
        )}
      </Show>
    </section>
  )
}

function Steps(props: { host: UiHost; step: 1 | 2 | 3 }) {
  const t = props.host.t
  const names = () => [t('contacts.import.step.file'), t('contacts.import.step.map'), t('contacts.import.step.run')]
  return (
    <ol class="ct-steps" aria-label={t('contacts.import.steps')}>
      <For each={names()}>
        {(name, i) => (
          <li classList={{ 'ct-step-current': i() + 1 === props.step, 'ct-step-done': i() + 1 < props.step }} aria-current={i() + 1 === props.step ? 'step' : undefined}>
            <span class="ct-step-n" aria-hidden="true">
              {i() + 1}
            </span>
            {name}
          </li>
        )}
      </For>
    </ol>
  )
}

function ImportWizard(props: { host: UiHost }) {
  const host = props.host
  const t = host.t
  const catalog = createCatalog(host)
  const [file, setFile] = createSignal<File | null>(null)
  const [onDuplicate, setOnDuplicate] = createSignal<'update' | 'skip'>('update')
  const [preview, setPreview] = createSignal<ImportPreview | null>(null)
  const [targets, setTargets] = createStore<ImportTarget[]>([])
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<unknown>(null)
  const [fileProblem, setFileProblem] = createSignal<string | null>(null)

  const choose = (f: File | null) => {
    setError(null)
    setFileProblem(f && f.size > MAX_BYTES ? t('contacts.import.tooLarge') : null)
    setFile(f)
  }

  const readColumns = async (e: SubmitEvent) => {
    e.preventDefault()
    const f = file()
    if (!f || fileProblem()) return
    setBusy(true)
    setError(null)
    try {
      const form = new FormData()
      form.append('file', f, f.name)
      const p = await host.api<ImportPreview>('/api/contacts/imports/preview', { method: 'POST', body: form })
      setTargets(p.columns.map((c) => c.target))
      setPreview(p)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  // A mapping is keyed by header, so only the first of two same-named columns can be imported.
  const duplicateOf = createMemo(() => {
    const seen = new Map<string, number>()
    return (preview()?.columns ?? []).map((c, i) => {
      const key = c.header.trim().toLowerCase()
      if (seen.has(key)) return seen.get(key)!
      seen.set(key, i)
      return -1
    })
  })
  // Every column of a target chosen twice is marked, so both places to fix are visible.
  const problems = createMemo(() => {
    const counted = (target: ImportTarget, i: number) => target !== 'ignore' && target !== 'labels' && duplicateOf()[i] < 0
    const uses = new Map<string, number>()
    targets.forEach((target, i) => counted(target, i) && uses.set(target, (uses.get(target) ?? 0) + 1))
    return targets.map((target, i) => (counted(target, i) && uses.get(target)! > 1 ? t('contacts.import.usedTwice') : null))
  })
  const hasPhone = () => targets.some((target, i) => target === 'phone' && duplicateOf()[i] < 0)
  const ready = () => hasPhone() && problems().every((p) => !p)

  const start = async () => {
    const f = file()
    const p = preview()
    if (!f || !p || !ready()) return
    setBusy(true)
    setError(null)
    try {
      const mapping: Record<string, string> = {}
      p.columns.forEach((c, i) => {
        if (duplicateOf()[i] < 0 && targets[i] !== 'ignore') mapping[c.header] = targets[i]
      })
      const form = new FormData()
      form.append('file', f, f.name)
      form.append('mapping', JSON.stringify(mapping))
      form.append('onDuplicate', onDuplicate())
      const res = await host.api<{ id: string }>('/api/contacts/imports', { method: 'POST', body: form })
      host.navigate(`/contacts/import/${res.id}`)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  const targetLabel = (target: ImportTarget) => {
    if (target === 'ignore') return t('contacts.import.ignore')
    if (target.startsWith('attributes.')) {
      const key = target.slice('attributes.'.length)
      return catalog.attributes()?.find((a) => a.key === key)?.label ?? key
    }
    return t(`contacts.field.${target}`)
  }

  return (
    <Switch>
      <Match when={!preview()}>
        <Steps host={host} step={1} />
        <form class="card ct-import-file-step" onSubmit={(e) => void readColumns(e)} data-testid="import-file-step">
          <div class="field">
            <label for="ct-import-file">{t('contacts.import.file')}</label>
            <input
              id="ct-import-file"
              type="file"
              accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
              aria-describedby="ct-import-file-hint"
              onChange={(e) => choose(e.currentTarget.files?.[0] ?? null)}
              data-testid="import-file"
            />
            <small class="muted" id="ct-import-file-hint">
              {t('contacts.import.fileHint')}
            </small>
            <Show when={fileProblem() || error()}>
              <small class="field-error" role="alert" data-testid="import-error">
                {fileProblem() ?? errorText(host, error())}
              </small>
            </Show>
          </div>
          <fieldset class="ct-fieldset">
            <legend>{t('contacts.import.duplicates')}</legend>
            <label class="ct-check">
              <input type="radio" name="ct-dup" value="update" checked={onDuplicate() === 'update'} onChange={() => setOnDuplicate('update')} />
              {t('contacts.import.dupUpdate')}
            </label>
            <label class="ct-check">
              <input type="radio" name="ct-dup" value="skip" checked={onDuplicate() === 'skip'} onChange={() => setOnDuplicate('skip')} />
              {t('contacts.import.dupSkip')}
            </label>
          </fieldset>
          <div class="dialog-actions">
            <button type="submit" class="btn btn-primary" disabled={!file() || !!fileProblem() || busy()} data-testid="import-next">
              {busy() ? t('contacts.import.reading') : t('contacts.import.next')}
            </button>
          </div>
        </form>
        <RecentImports host={host} />
      </Match>
      <Match when={preview()}>
        {(p) => (
          <>
            <Steps host={host} step={2} />
            <div class="card" data-testid="import-mapping-step">
              <p>
                <strong>{file()?.name}</strong>
                <Show when={p().totalRows !== null}>
                  <span class="muted"> · {t('contacts.import.rows', { count: formatNumber(host, p().totalRows ?? 0) })}</span>
                </Show>
              </p>
              <p class="muted">{t('contacts.import.mapHint')}</p>
              <div class="table-wrap">
                <table class="table ct-mapping" data-testid="import-mapping">
                  <caption class="sr-only">{t('contacts.import.step.map')}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t('contacts.import.column')}</th>
                      <th scope="col">{t('contacts.import.samples')}</th>
                      <th scope="col">{t('contacts.import.target')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    <For each={p().columns}>
                      {(col, i) => (
                        <tr data-column={col.header}>
                          <th scope="row" class="ct-col-header">
                            <label for={`ct-map-${i()}`}>{col.header || t('contacts.import.noHeader', { n: i() + 1 })}</label>
                          </th>
                          <td class="small muted ct-samples" data-label={t('contacts.import.samples')}>
                            {col.samples.filter((v) => v !== '').slice(0, 3).join(' · ') || '—'}
                          </td>
                          <td data-label={t('contacts.import.target')}>
                            <select
                              id={`ct-map-${i()}`}
                              disabled={duplicateOf()[i()] >= 0}
                              aria-invalid={problems()[i()] ? true : undefined}
                              aria-describedby={problems()[i()] || duplicateOf()[i()] >= 0 ? `ct-map-${i()}-note` : undefined}
                              onChange={(e) => setTargets(i(), e.currentTarget.value as ImportTarget)}
                              data-testid="import-target"
                            >
                              <For each={['ignore', ...FIXED] as ImportTarget[]}>
                                {(target) => (
                                  <option value={target} selected={targets[i()] === target}>
                                    {targetLabel(target)}
                                  </option>
                                )}
                              </For>
                              <Show when={catalog.attributes()?.length}>
                                <optgroup label={t('contacts.attributes.title')}>
                                  <For each={catalog.attributes()}>
                                    {(a) => (
                                      <option value={`attributes.${a.key}`} selected={targets[i()] === `attributes.${a.key}`}>
                                        {a.label}
                                      </option>
                                    )}
                                  </For>
                                </optgroup>
                              </Show>
                            </select>
                            <Show when={problems()[i()] || duplicateOf()[i()] >= 0}>
                              <small class={problems()[i()] ? 'field-error' : 'muted'} id={`ct-map-${i()}-note`}>
                                {problems()[i()] ?? t('contacts.import.sameHeader', { n: duplicateOf()[i()] + 1 })}
                              </small>
                            </Show>
                          </td>
                        </tr>
                      )}
                    </For>
                  </tbody>
                </table>
              </div>
              <Show when={!hasPhone()}>
                <p class="field-error" role="alert" data-testid="import-no-phone">
                  {t('contacts.import.needPhone')}
                </p>
              </Show>
              <Show when={error()}>
                <ErrorNote host={host} error={error()} />
              </Show>
              <div class="dialog-actions">
                <button type="button" class="btn" onClick={() => (setPreview(null), setFile(null), setError(null))}>
                  {t('contacts.import.back')}
                </button>
                <button type="button" class="btn btn-primary" disabled={!ready() || busy()} onClick={() => void start()} data-testid="import-start">
                  {busy() ? t('contacts.import.starting') : t('contacts.import.start')}
                </button>
              </div>
            </div>
          </>
        )}
      </Match>
    </Switch>
  )
}
