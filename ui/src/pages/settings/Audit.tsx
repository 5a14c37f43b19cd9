// Settings → Audit log: who did what, newest first, with filters and "load more".
import { createResource, createSignal, For, Show } from 'solid-js'
import { api } from '../../lib/api.ts'
import { formatDate, t } from '../../lib/i18n.ts'
import { createPaged } from '@sapa/sdk/ui/paged'
import { can, me } from '../../lib/session.ts'
import { Empty, PageHeader, PagedView } from '../../components/States.tsx'

interface AuditRow {
  id: string
  action: string
  actor: { type: string; id: string | null; label: string | null }
  target: { type: string; id: string | null } | null
  ip: string | null
  userAgent: string | null
  summary: Record<string, unknown> | null
  createdAt: string
}

interface Filters {
  action: string
  actorId: string
  targetType: string
  targetId: string
  from: string
  to: string
}

const empty: Filters = { action: '', actorId: '', targetType: '', targetId: '', from: '', to: '' }

/** A day in the browser's time zone as an instant; `to` is exclusive, so the end date's next midnight. */
function dayStart(date: string, plusDays = 0): string | undefined {
  if (!date) return undefined
  const d = new Date(`${date}T00:00:00`)
  if (Number.isNaN(d.getTime())) return undefined
  d.setDate(d.getDate() + plusDays)
  return d.toISOString()
}

export default function Audit() {
  const [draft, setDraft] = createSignal<Filters>({ ...empty })
  const [applied, setApplied] = createSignal<Filters>({ ...empty })
  const list = createPaged<AuditRow>((cursor) => {
    const f = applied()
    const action = f.action.trim()
    return api('/api/audit', {
      query: {
        limit: 50,
        cursor,
        // A prefix: "kernel.user" finds kernel.user.added, kernel.user.deactivated, …
        action: action ? (action.endsWith('*') ? action : `${action}*`) : undefined,
        actorId: f.actorId || undefined,
        targetType: f.targetType.trim() || undefined,
        targetId: f.targetId.trim() || undefined,
        from: dayStart(f.from),
        to: dayStart(f.to, 1),
      },
    })
  })
  void list.reload()
  const [members] = createResource(
    () => (can('kernel.users.view') ? true : null),
    () => api<{ items: { id: string; name: string; email: string }[] }>('/api/users', { query: { limit: 200 } }).then((r) => r.items),
  )
  const set = (key: keyof Filters, value: string) => setDraft((d) => ({ ...d, [key]: value }))
  const apply = (e?: Event) => {
    e?.preventDefault()
    setApplied({ ...draft() })
    void list.reload()
  }
  const clear = () => {
    setDraft({ ...empty })
    apply()
  }
  const tz = () => me()?.tenant.timezone

  return (
    <section>
      <PageHeader title={t('settings.audit')} description={t('audit.description')} />
      <form class="filters" onSubmit={apply} aria-label={t('audit.filters')}>
        <label class="field">
          <span>{t('audit.action')}</span>
          <input type="text" maxLength={95} placeholder="kernel.user" value={draft().action} onInput={(e) => set('action', e.currentTarget.value)} />
        </label>
        <label class="field">
          <span>{t('audit.actor')}</span>
          <Show
            when={members()}
            fallback={<input type="text" maxLength={36} placeholder={t('audit.actorId')} value={draft().actorId} onInput={(e) => set('actorId', e.currentTarget.value)} />}
          >
            <select value={draft().actorId} onChange={(e) => set('actorId', e.currentTarget.value)}>
              <option value="">{t('audit.anyone')}</option>
              <For each={members()}>{(m) => <option value={m.id}>{`${m.name} <${m.email}>`}</option>}</For>
            </select>
          </Show>
        </label>
        <label class="field">
          <span>{t('audit.targetType')}</span>
          <input type="text" maxLength={64} placeholder="user" value={draft().targetType} onInput={(e) => set('targetType', e.currentTarget.value)} />
        </label>
        <label class="field">
          <span>{t('audit.targetId')}</span>
          <input type="text" maxLength={64} value={draft().targetId} onInput={(e) => set('targetId', e.currentTarget.value)} />
        </label>
        <label class="field">
          <span>{t('audit.from')}</span>
          <input type="date" value={draft().from} onInput={(e) => set('from', e.currentTarget.value)} />
        </label>
        <label class="field">
          <span>{t('audit.to')}</span>
          <input type="date" value={draft().to} onInput={(e) => set('to', e.currentTarget.value)} />
        </label>
        <div class="filters-actions">
          <button type="submit" class="btn btn-primary">
            {t('audit.apply')}
          </button>
          <button type="button" class="btn" onClick={clear}>
            {t('audit.clear')}
          </button>
        </div>
      </form>
      <PagedView list={list} empty={<Empty title={t('audit.none')} />}>
        <div class="table-wrap">
          <table class="table audit">
            <thead>
              <tr>
                <th scope="col">{t('audit.when')}</th>
                <th scope="col">{t('audit.actor')}</th>
                <th scope="col">{t('audit.action')}</th>
                <th scope="col">{t('audit.target')}</th>
                <th scope="col">{t('audit.details')}</th>
              </tr>
            </thead>
            <tbody>
              <For each={list.items()}>
                {(row) => (
                  <tr data-audit={row.action}>
                    <td class="small nowrap">{formatDate(row.createdAt, tz())}</td>
                    <td>
                      <div>{row.actor.label ?? row.actor.type}</div>
                      <Show when={row.ip}>
                        <div class="muted small">{row.ip}</div>
                      </Show>
                    </td>
                    <td>
                      <code>{row.action}</code>
                    </td>
                    <td class="small">{row.target ? `${row.target.type}${row.target.id ? ` ${row.target.id}` : ''}` : '—'}</td>
                    <td class="small">
                      <Show when={row.summary && Object.keys(row.summary).length} fallback="—">
                        <details>
                          <summary>{Object.keys(row.summary ?? {}).slice(0, 3).join(', ')}</summary>
                          <pre class="mono">{JSON.stringify(row.summary, null, 2)}</pre>
                        </details>
                      </Show>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </PagedView>
    </section>
  )
}
