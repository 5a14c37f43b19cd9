// Settings → Roles & permissions: the matrix of every role against every permission, grouped by the
// module that owns it; custom roles below your level are editable; create one from a template.
import { createMemo, createSignal, For, Show } from 'solid-js'
import { createStore } from 'solid-js/store'
import { api } from '../../lib/api.ts'
import { errorText, t } from '../../lib/i18n.ts'
import { fetchRoles, type RoleRow } from '../../lib/roles.ts'
import { can, me } from '../../lib/session.ts'
import { toast } from '../../lib/toast.ts'
import { Confirm, Modal } from '../../components/Modal.tsx'
import { errorField, Field } from '../../components/Field.tsx'
import { ErrorNote, Loading, PageHeader } from '../../components/States.tsx'

interface Permission {
  key: string
  owner: string
  description: string
  lowestRole: string | null
}

function CreateRole(props: { open: boolean; onOpenChange: (v: boolean) => void; roles: RoleRow[]; yourLevel: number; onCreated: (r: RoleRow) => void }) {
  const [name, setName] = createSignal('')
  const [description, setDescription] = createSignal('')
  const [level, setLevel] = createSignal(1)
  const [template, setTemplate] = createSignal('')
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<unknown>(null)
  const levels = () => Array.from({ length: Math.max(0, Math.min(9, props.yourLevel - 1)) }, (_, i) => i + 1).reverse()
  const templates = () => props.roles.filter((r) => r.level < props.yourLevel)
  const fieldError = (f: string) => (error() && errorField(error()) === f ? errorText(error()) : null)
  const submit = async (e: SubmitEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const body: Record<string, unknown> = { name: name().trim(), level: level() }
      if (description().trim()) body.description = description().trim()
      if (template()) body.template = template()
      const created = await api<RoleRow>('/api/roles', { method: 'POST', body })
      props.onCreated(created)
      toast(t('roles.created', { name: created.name }), 'success')
      setName('')
      setDescription('')
      setTemplate('')
      props.onOpenChange(false)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return (
    <Modal open={props.open} onOpenChange={props.onOpenChange} title={t('roles.create')} description={t('roles.levelRule', { level: props.yourLevel })}>
      <form class="form" onSubmit={submit}>
        <Field id="role-name" label={t('roles.name')} error={fieldError('name')}>
          <input id="role-name" type="text" required maxLength={64} value={name()} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <Field id="role-description" label={t('roles.descriptionLabel')}>
          <input id="role-description" type="text" maxLength={500} value={description()} onInput={(e) => setDescription(e.currentTarget.value)} />
        </Field>
        <Field id="role-level" label={t('roles.level')} hint={t('roles.levelHint')}>
          <select id="role-level" value={level()} onChange={(e) => setLevel(Number(e.currentTarget.value))}>
            <For each={levels()}>{(l) => <option value={l}>{l}</option>}</For>
          </select>
        </Field>
        <Field id="role-template" label={t('roles.template')} hint={t('roles.templateHint')} error={fieldError('template')}>
          <select id="role-template" value={template()} onChange={(e) => setTemplate(e.currentTarget.value)}>
            <option value="">{t('roles.noTemplate')}</option>
            <For each={templates()}>{(r) => <option value={r.key}>{`${r.name} (${r.level})`}</option>}</For>
          </select>
        </Field>
        <Show when={error() && !['name', 'template'].includes(errorField(error()) ?? '')}>
          <p class="field-error" role="alert">
            {errorText(error())}
          </p>
        </Show>
        <div class="dialog-actions">
          <button type="button" class="btn" onClick={() => props.onOpenChange(false)}>
            {t('common.cancel')}
          </button>
          <button type="submit" class="btn btn-primary" disabled={busy() || levels().length === 0}>
            {t('roles.createSubmit')}
          </button>
        </div>
      </form>
    </Modal>
  )
}

export default function Roles() {
  // A store, so saving one checkbox updates that role in place (no column re-created, focus kept).
  const [state, setState] = createStore({ roles: [] as RoleRow[], permissions: [] as Permission[], yourLevel: 0 })
  const [status, setStatus] = createSignal<'loading' | 'ready' | 'error'>('loading')
  const [loadError, setLoadError] = createSignal<unknown>(null)
  const load = async () => {
    setStatus('loading')
    try {
      const [roles, permissions] = await Promise.all([fetchRoles(), api<{ items: Permission[] }>('/api/permissions')])
      setState({ roles: roles.items, yourLevel: roles.yourLevel, permissions: permissions.items })
      setStatus('ready')
    } catch (err) {
      setLoadError(err)
      setStatus('error')
    }
  }
  void load()
  const manage = () => can('kernel.roles.manage')
  const held = createMemo(() => new Set(me()?.permissions ?? []))
  const [creating, setCreating] = createSignal(false)
  const [deleting, setDeleting] = createSignal<RoleRow | null>(null)
  let saving = false

  const groups = createMemo(() => {
    const byOwner = new Map<string, Permission[]>()
    for (const p of state.permissions) byOwner.set(p.owner, [...(byOwner.get(p.owner) ?? []), p])
    return [...byOwner.entries()].sort(([a], [b]) => (a === 'kernel' ? -1 : b === 'kernel' ? 1 : a.localeCompare(b)))
  })
  const editable = (r: RoleRow) => manage() && r.custom && r.level < state.yourLevel

  const toggle = async (role: RoleRow, permission: string, on: boolean, box: HTMLInputElement) => {
    if (saving) {
      box.checked = !on
      return
    }
    saving = true
    const next = on ? [...role.permissions, permission] : role.permissions.filter((p) => p !== permission)
    try {
      const updated = await api<RoleRow>(`/api/roles/${role.id}`, { method: 'PATCH', body: { permissions: next } })
      setState('roles', (r) => r.id === role.id, 'permissions', updated.permissions)
      toast(t('roles.saved', { name: role.name }), 'success')
    } catch (err) {
      box.checked = !on
      toast(errorText(err), 'error')
    } finally {
      saving = false
    }
  }

  return (
    <section>
      <PageHeader
        title={t('settings.roles')}
        description={t('roles.description')}
        actions={
          <Show when={manage() && status() === 'ready'}>
            <button type="button" class="btn btn-primary" onClick={() => setCreating(true)}>
              {t('roles.create')}
            </button>
          </Show>
        }
      />
      <Show when={status() !== 'error'} fallback={<ErrorNote error={loadError()} retry={() => void load()} />}>
        <Show when={status() === 'ready'} fallback={<Loading />}>
            <>
              <div class="note note-info" data-testid="level-rules">
                <p>{t('roles.yourLevel', { role: me()?.role.name ?? '', level: state.yourLevel })}</p>
                <p>{t('roles.levelRule', { level: state.yourLevel })}</p>
              </div>
              <div class="table-wrap matrix-wrap">
                <table class="table matrix">
                  <caption class="sr-only">{t('roles.matrix')}</caption>
                  <thead>
                    <tr>
                      <th scope="col" class="matrix-perm">
                        {t('roles.permission')}
                      </th>
                      <For each={state.roles}>
                        {(r) => (
                          <th scope="col" class="matrix-role" data-role={r.key}>
                            <span class="matrix-role-name">{r.name}</span>
                            <span class="muted small">
                              {t('roles.levelShort', { level: r.level })}
                              {r.custom ? ` · ${t('roles.custom')}` : ''}
                            </span>
                            <Show when={editable(r)}>
                              <button type="button" class="btn btn-link small" onClick={() => setDeleting(r)} aria-label={t('roles.deleteNamed', { name: r.name })}>
                                {t('common.delete')}
                              </button>
                            </Show>
                          </th>
                        )}
                      </For>
                    </tr>
                  </thead>
                  <For each={groups()}>
                    {([owner, perms]) => (
                      <tbody>
                        <tr class="matrix-group">
                          <th scope="rowgroup" colspan={state.roles.length + 1}>
                            {owner === 'kernel' ? t('roles.kernel') : owner}
                          </th>
                        </tr>
                        <For each={perms}>
                          {(p) => (
                            <tr>
                              <th scope="row" class="matrix-perm">
                                <code>{p.key}</code>
                                <div class="muted small">{p.description}</div>
                              </th>
                              <For each={state.roles}>
                                {(r) => {
                                  const has = () => r.permissions.includes(p.key)
                                  return (
                                    <td class="matrix-cell">
                                      <Show
                                        when={editable(r)}
                                        fallback={
                                          <span class={has() ? 'yes' : 'no'} aria-label={has() ? t('roles.granted') : t('roles.notGranted')} role="img">
                                            {has() ? '✓' : '·'}
                                          </span>
                                        }
                                      >
                                        <input
                                          type="checkbox"
                                          checked={has()}
                                          disabled={!held().has(p.key)}
                                          title={held().has(p.key) ? '' : t('roles.notHeld')}
                                          aria-label={t('roles.grantTo', { permission: p.key, role: r.name })}
                                          onChange={(e) => void toggle(r, p.key, e.currentTarget.checked, e.currentTarget)}
                                        />
                                      </Show>
                                    </td>
                                  )
                                }}
                              </For>
                            </tr>
                          )}
                        </For>
                      </tbody>
                    )}
                  </For>
                </table>
              </div>
              <CreateRole open={creating()} onOpenChange={setCreating} roles={state.roles} yourLevel={state.yourLevel} onCreated={(r) => setState('roles', (roles) => [...roles, r])} />
            </>
        </Show>
      </Show>
      <Confirm
        open={deleting() !== null}
        onOpenChange={(open) => !open && setDeleting(null)}
        title={t('roles.deleteTitle', { name: deleting()?.name ?? '' })}
        description={t('roles.deleteText')}
        confirmLabel={t('common.delete')}
        danger
        onConfirm={async () => {
          const r = deleting()
          if (!r) return
          await api(`/api/roles/${r.id}`, { method: 'DELETE' })
          setState('roles', (roles) => roles.filter((y) => y.id !== r.id))
          toast(t('roles.deleted', { name: r.name }), 'success')
        }}
      />
    </section>
  )
}
