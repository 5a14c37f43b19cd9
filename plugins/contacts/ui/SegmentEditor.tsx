// Create or edit a segment: labels, status, activity, attribute conditions and text, with a live
// count of who matches (POST /segments/count) before anything is saved.
import { createEffect, createMemo, createSignal, For, Index, on, onCleanup, Show } from 'solid-js'
import { createStore, produce } from 'solid-js/store'
import type { UiHost } from '@sapa/sdk/ui'
import type { Catalog } from './catalog.ts'
import { Dialog } from '@sapa/sdk/ui/dialog'
import { ATTRIBUTE_OPS, type Attribute, type AttributeOp, type AttributeValue, type Segment, type SegmentCount, type SegmentFilter } from './types.ts'
import { errorField, errorText, formatNumber } from './util.ts'

type LabelMode = '' | 'any' | 'all' | 'none'
interface Condition {
  key: string
  op: AttributeOp
  value: string
}
interface Draft {
  name: string
  q: string
  labels: Record<string, LabelMode>
  optedOut: '' | 'true' | 'false'
  withinDays: string
  olderThanDays: string
  never: boolean
  createdWithinDays: string
  conditions: Condition[]
}

export interface SegmentDraft {
  id?: string
  name: string
  filter: SegmentFilter
}

const NO_VALUE: AttributeOp[] = ['set', 'unset']

function toDraft(d: SegmentDraft): Draft {
  const f = d.filter
  const labels: Record<string, LabelMode> = {}
  for (const mode of ['any', 'all', 'none'] as const) for (const id of f.labels?.[mode] ?? []) labels[id] = mode
  return {
    name: d.name,
    q: f.q ?? '',
    labels,
    optedOut: f.optedOut === undefined ? '' : f.optedOut ? 'true' : 'false',
    withinDays: f.lastContacted?.withinDays?.toString() ?? '',
    olderThanDays: f.lastContacted?.olderThanDays?.toString() ?? '',
    never: f.lastContacted?.never ?? false,
    createdWithinDays: f.createdWithinDays?.toString() ?? '',
    conditions: (f.attributes ?? []).map((c) => ({ key: c.key, op: c.op, value: Array.isArray(c.value) ? c.value.join(', ') : c.value === undefined ? '' : String(c.value) })),
  }
}

function typed(def: Attribute | undefined, text: string): AttributeValue {
  if (def?.type === 'number' && text.trim() !== '' && Number.isFinite(Number(text))) return Number(text)
  if (def?.type === 'boolean') return text === 'true'
  return text.trim()
}

const days = (text: string) => (text.trim() === '' ? undefined : Math.max(0, Math.floor(Number(text))))

function toFilter(d: Draft, attributes: Attribute[]): SegmentFilter {
  const f: SegmentFilter = {}
  if (d.q.trim()) f.q = d.q.trim()
  const labels: NonNullable<SegmentFilter['labels']> = {}
  for (const [id, mode] of Object.entries(d.labels)) if (mode) (labels[mode] ??= []).push(id)
  if (Object.keys(labels).length) f.labels = labels
  if (d.optedOut) f.optedOut = d.optedOut === 'true'
  const last = { withinDays: days(d.withinDays), olderThanDays: days(d.olderThanDays), never: d.never || undefined }
  if (last.withinDays !== undefined || last.olderThanDays !== undefined || last.never) f.lastContacted = JSON.parse(JSON.stringify(last))
  if (days(d.createdWithinDays) !== undefined) f.createdWithinDays = days(d.createdWithinDays)
  const conditions = d.conditions.filter((c) => c.key)
  if (conditions.length) {
    f.attributes = conditions.map((c) => {
      const def = attributes.find((a) => a.key === c.key)
      if (NO_VALUE.includes(c.op)) return { key: c.key, op: c.op }
      if (c.op === 'in') return { key: c.key, op: c.op, value: c.value.split(',').map((v) => typed(def, v)).filter((v) => v !== '') }
      return { key: c.key, op: c.op, value: typed(def, c.value) }
    })
  }
  return f
}

export function SegmentEditor(props: { host: UiHost; open: boolean; onClose: () => void; catalog: Catalog; initial: SegmentDraft; onSaved: (segment: Segment) => void }) {
  const t = props.host.t
  return (
    <Dialog host={props.host} open={props.open} onClose={props.onClose} title={props.initial.id ? t('contacts.segments.editTitle') : t('contacts.segments.createTitle')} wide testId="segment-editor">
      <EditorBody {...props} />
    </Dialog>
  )
}

function EditorBody(props: Parameters<typeof SegmentEditor>[0]) {
  const host = props.host
  const t = host.t
  const [draft, setDraft] = createStore<Draft>(toDraft(props.initial))
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<unknown>(null)
  const [count, setCount] = createSignal<SegmentCount | null>(null)
  const [countError, setCountError] = createSignal<unknown>(null)
  const attributes = () => props.catalog.attributes() ?? []
  // A plain copy read through every field: effects that use it follow any change of the draft.
  const filter = () => toFilter(JSON.parse(JSON.stringify(draft)) as Draft, attributes())

  // The live count follows the draft, a moment after the last change; older answers are dropped.
  let timer: ReturnType<typeof setTimeout> | undefined
  let asked = 0
  onCleanup(() => clearTimeout(timer))
  const filterJson = createMemo(() => JSON.stringify(filter()))
  createEffect(
    on(
      filterJson,
      (json) => {
        clearTimeout(timer)
        timer = setTimeout(async () => {
          const mine = ++asked
          try {
            const res = await host.api<SegmentCount>('/api/contacts/segments/count', { method: 'POST', body: { filter: JSON.parse(json) } })
            if (mine === asked) (setCount(res), setCountError(null))
          } catch (err) {
            if (mine === asked) (setCount(null), setCountError(err))
          }
        }, 400)
      },
    ),
  )

  const save = async (e: SubmitEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const body = { name: draft.name.trim(), filter: filter() }
      const saved = props.initial.id
        ? await host.api<Segment>(`/api/contacts/segments/${props.initial.id}`, { method: 'PATCH', body })
        : await host.api<Segment>('/api/contacts/segments', { method: 'POST', body })
      props.onSaved(saved)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  const nameError = () => (errorField(error()) === 'name' ? errorText(host, error()) : null)
  const defOf = (key: string) => attributes().find((a) => a.key === key)

  return (
    <form class="form ct-form" onSubmit={(e) => void save(e)} novalidate data-testid="segment-form">
      <div class="field">
        <label for="seg-name">{t('contacts.segments.name')}</label>
        <input id="seg-name" type="text" required maxLength={120} value={draft.name} onInput={(e) => setDraft('name', e.currentTarget.value)} aria-invalid={nameError() ? true : undefined} data-testid="segment-name" />
        <Show when={nameError()}>
          <small class="field-error" role="alert">
            {nameError()}
          </small>
        </Show>
      </div>

      <div class="ct-form-grid">
        <div class="field">
          <label for="seg-q">{t('contacts.filter.search')}</label>
          <input id="seg-q" type="text" maxLength={200} value={draft.q} onInput={(e) => setDraft('q', e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="seg-status">{t('contacts.filter.status')}</label>
          <select id="seg-status" onChange={(e) => setDraft('optedOut', e.currentTarget.value as Draft['optedOut'])}>
            <option value="" selected={draft.optedOut === ''}>
              {t('contacts.filter.anyStatus')}
            </option>
            <option value="false" selected={draft.optedOut === 'false'}>
              {t('contacts.status.subscribed')}
            </option>
            <option value="true" selected={draft.optedOut === 'true'}>
              {t('contacts.status.optedOut')}
            </option>
          </select>
        </div>
        <div class="field">
          <label for="seg-within">{t('contacts.segments.withinDays')}</label>
          <input id="seg-within" type="number" min="0" max="36500" inputMode="numeric" value={draft.withinDays} onInput={(e) => setDraft('withinDays', e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="seg-older">{t('contacts.segments.olderThanDays')}</label>
          <input id="seg-older" type="number" min="0" max="36500" inputMode="numeric" value={draft.olderThanDays} onInput={(e) => setDraft('olderThanDays', e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="seg-created">{t('contacts.segments.createdWithinDays')}</label>
          <input id="seg-created" type="number" min="0" max="36500" inputMode="numeric" value={draft.createdWithinDays} onInput={(e) => setDraft('createdWithinDays', e.currentTarget.value)} />
        </div>
        <label class="ct-check">
          <input type="checkbox" checked={draft.never} onChange={(e) => setDraft('never', e.currentTarget.checked)} />
          {t('contacts.segments.never')}
        </label>
      </div>

      <fieldset class="ct-fieldset">
        <legend>{t('contacts.field.labels')}</legend>
        <Show when={(props.catalog.labels() ?? []).length} fallback={<p class="muted small">{t('contacts.labels.none')}</p>}>
          <ul class="ct-label-modes">
            <For each={props.catalog.labels() ?? []}>
              {(l) => (
                <li>
                  <label for={`seg-label-${l.id}`}>{l.name}</label>
                  <select id={`seg-label-${l.id}`} onChange={(e) => setDraft('labels', l.id, e.currentTarget.value as LabelMode)} data-label-mode={l.name}>
                    <For each={['', 'any', 'all', 'none'] as LabelMode[]}>
                      {(mode) => (
                        <option value={mode} selected={(draft.labels[l.id] ?? '') === mode}>
                          {t(`contacts.segments.label.${mode || 'ignore'}`)}
                        </option>
                      )}
                    </For>
                  </select>
                </li>
              )}
            </For>
          </ul>
        </Show>
      </fieldset>

      <fieldset class="ct-fieldset">
        <legend>{t('contacts.segments.conditions')}</legend>
        <Index each={draft.conditions}>
          {(c, i) => (
            <div class="ct-condition" data-testid="segment-condition">
              <select aria-label={t('contacts.segments.attribute')} onChange={(e) => setDraft('conditions', i, { key: e.currentTarget.value, op: 'eq', value: '' })}>
                <option value="" selected={!c().key}>
                  {t('contacts.segments.pickAttribute')}
                </option>
                <For each={attributes()}>
                  {(a) => (
                    <option value={a.key} selected={c().key === a.key}>
                      {a.label}
                    </option>
                  )}
                </For>
              </select>
              <select aria-label={t('contacts.segments.op')} onChange={(e) => setDraft('conditions', i, 'op', e.currentTarget.value as AttributeOp)} disabled={!c().key}>
                <For each={ATTRIBUTE_OPS[defOf(c().key)?.type ?? 'text']}>
                  {(op) => (
                    <option value={op} selected={c().op === op}>
                      {t(`contacts.op.${op}`)}
                    </option>
                  )}
                </For>
              </select>
              <Show when={c().key && !NO_VALUE.includes(c().op)}>
                <ConditionValue host={host} def={defOf(c().key)} op={c().op} value={c().value} onInput={(v) => setDraft('conditions', i, 'value', v)} />
              </Show>
              <button
                type="button"
                class="btn btn-icon"
                aria-label={t('contacts.segments.removeCondition')}
                onClick={() => setDraft('conditions', produce((list) => void list.splice(i, 1)))}
              >
                <span aria-hidden="true">✕</span>
              </button>
            </div>
          )}
        </Index>
        <Show when={attributes().length} fallback={<p class="muted small">{t('contacts.segments.noAttributes')}</p>}>
          <button type="button" class="btn btn-small" onClick={() => setDraft('conditions', (list) => [...list, { key: '', op: 'eq', value: '' }])} disabled={draft.conditions.length >= 20}>
            {t('contacts.segments.addCondition')}
          </button>
        </Show>
      </fieldset>

      <p class="ct-count" role="status" aria-live="polite" data-testid="segment-preview-count">
        <Show when={count()} fallback={<Show when={countError()} fallback={<span class="muted">{t('contacts.segments.counting')}</span>}>
          <span class="field-error">{errorText(host, countError())}</span>
        </Show>}>
          {(n) => t(n().count === 1 ? 'contacts.segments.matchesOne' : 'contacts.segments.matches', { count: formatNumber(host, n().count), reachable: formatNumber(host, n().reachable) })}
        </Show>
      </p>
      <Show when={error() && errorField(error()) !== 'name'}>
        <p class="field-error" role="alert">
          {errorText(host, error())}
        </p>
      </Show>
      <div class="dialog-actions">
        <button type="button" class="btn" onClick={() => props.onClose()}>
          {t('contacts.cancel')}
        </button>
        <button type="submit" class="btn btn-primary" disabled={busy() || !draft.name.trim()} data-testid="segment-save">
          {busy() ? t('contacts.saving') : t('contacts.save')}
        </button>
      </div>
    </form>
  )
}

function ConditionValue(props: { host: UiHost; def: Attribute | undefined; op: AttributeOp; value: string; onInput: (v: string) => void }) {
  const t = props.host.t
  const label = () => t('contacts.segments.value')
  return (
    <Show
      when={props.op !== 'in' && (props.def?.type === 'boolean' || props.def?.type === 'select')}
      fallback={
        <input
          type={props.op === 'in' ? 'text' : props.def?.type === 'number' ? 'number' : props.def?.type === 'date' ? 'date' : 'text'}
          aria-label={label()}
          placeholder={props.op === 'in' ? t('contacts.segments.inHint') : ''}
          value={props.value}
          onInput={(e) => props.onInput(e.currentTarget.value)}
        />
      }
    >
      <select aria-label={label()} onChange={(e) => props.onInput(e.currentTarget.value)}>
        <option value="" selected={props.value === ''}>
          —
        </option>
        <For each={props.def?.type === 'boolean' ? ['true', 'false'] : (props.def?.options ?? [])}>
          {(o) => (
            <option value={o} selected={props.value === o}>
              {props.def?.type === 'boolean' ? t(o === 'true' ? 'contacts.yes' : 'contacts.no') : o}
            </option>
          )}
        </For>
      </select>
    </Show>
  )
}
