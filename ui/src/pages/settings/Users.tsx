// Settings → Users: the workspace's members, with add, change role, deactivate and reactivate.
import { createResource, createSignal, For, onCleanup, Show } from 'solid-js'
import { api } from '../../lib/api.ts'
import { errorText, formatDate, t } from '../../lib/i18n.ts'
import { createPaged } from '@sapa/sdk/ui/paged'
import { fetchRoles, grantable, type RoleRow } from '../../lib/roles.ts'
import { can, me } from '../../lib/session.ts'
import { toast } from '../../lib/toast.ts'
import { Confirm, Modal } from '../../components/Modal.tsx'
import { errorField, Field } from '../../components/Field.tsx'
import { Empty, PageHeader, PagedView } from '../../components/States.tsx'

interface Member {
  id: string
  email: string
  name: string
  role: string
  roleName: string
  level: number
  active: boolean
  createdAt: string
}

function AddMember(props: { open: boolean; onOpenChange: (v: boolean) => void; roles: RoleRow[]; onAdded: (m: Member) => void }) {
  const [email, setEmail] = createSignal('')
  const [name, setName] = createSignal('')
  const [role, setRole] = createSignal('')
  const [password, setPassword] = createSignal('')
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<unknown>(null)
  const fieldError = (f: string) => (error() && errorField(error()) === f ? errorText(error()) : null)
  const submit = async (e: SubmitEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const body: Record<string, string> = { email: email().trim(), name: name().trim(), role: role() || props.roles[props.roles.length - 1]?.key || '' }
      if (password()) body.password = password()
      const added = await api<Member>('/api/users', { method: 'POST', body })
      props.onAdded(added)
      toast(t('users.added', { email: added.email }), 'success')
      setEmail('')
      setName('')
      setPassword('')
      props.onOpenChange(false)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return (
    <Modal open={props.open} onOpenChange={props.onOpenChange} title={t('users.add')} description={t('users.addHint')}>
      <form class="form" onSubmit={submit}>
        <Field id="member-email" label={t('users.email')} error={fieldError('email')}>
          <input id="member-email" type="email" required maxLength={254} value={email()} onInput={(e) => setEmail(e.currentTarget.value)} />
        </Field>
        <Field id="member-name" label={t('users.name')} error={fieldError('name')}>
          <input id="member-name" type="text" required maxLength={120} value={name()} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <Field id="member-role" label={t('users.role')} hint={t('roles.levelRule', { level: me()?.role.level ?? 0 })} error={fieldError('role')}>
          <select id="member-role" required value={role() || props.roles[props.roles.length - 1]?.key} onChange={(e) => setRole(e.currentTarget.value)}>
            <For each={props.roles}>{(r) => <option value={r.key}>{`${r.name} (${r.level})`}</option>}</For>
          </select>
        </Field>
        <Field id="member-password" label={t('users.password')} hint={t('users.passwordHint')} error={fieldError('password')}>
          <input id="member-password" type="password" autocomplete="new-password" minLength={8} maxLength={1024} value={password()} onInput={(e) => setPassword(e.currentTarget.value)} />
        </Field>
        <Show when={error() && !errorField(error())}>
          <p class="field-error" role="alert">
            {errorText(error())}
          </p>
        </Show>
        <div class="dialog-actions">
          <button type="button" class="btn" onClick={() => props.onOpenChange(false)}>
            {t('common.cancel')}
          </button>
          <button type="submit" class="btn btn-primary" disabled={busy()}>
            {t('users.addSubmit')}
          </button>
        </div>
      </form>
    </Modal>
  )
}

export default function Users() {
  const [q, setQ] = createSignal('')
  const [active, setActive] = createSignal<'all' | 'true' | 'false'>('all')
  const list = createPaged<Member>((cursor) => api('/api/users', { query: { limit: 25, cursor, q: q().trim() || undefined, active: active() === 'all' ? undefined : active() } }))
  void list.reload()
  let timer: ReturnType<typeof setTimeout> | undefined
  onCleanup(() => clearTimeout(timer))
  const search = (value: string) => {
    setQ(value)
    clearTimeout(timer)
    timer = setTimeout(() => void list.reload(), 250)
  }

  const manage = () => can('kernel.users.manage')
  const [roles] = createResource(() => (can('kernel.roles.view') ? true : null), () => fetchRoles().then((r) => r.items))
  const myLevel = () => me()?.role.level ?? 0
  const choices = () => grantable(roles() ?? [])
  const [adding, setAdding] = createSignal(false)
  const [deactivating, setDeactivating] = createSignal<Member | null>(null)

  const replace = (m: Member) => list.setItems((items) => items.map((x) => (x.id === m.id ? m : x)))
  const update = async (m: Member, body: { role?: string; active?: boolean }) => {
    const updated = await api<Member>(`/api/users/${m.id}`, { method: 'PATCH', body })
    replace(updated)
    return updated
  }
  const changeRole = async (m: Member, role: string, select: HTMLSelectElement) => {
    try {
      const updated = await update(m, { role })
      toast(t('users.roleChanged', { name: updated.name, role: updated.roleName }), 'success')
    } catch (err) {
      select.value = m.role
      toast(errorText(err), 'error')
    }
  }
  const reactivate = async (m: Member) => {
    try {
      await update(m, { active: true })
      toast(t('users.reactivated', { name: m.name }), 'success')
    } catch (err) {
      toast(errorText(err), 'error')
    }
  }
  const canChange = (m: Member) => manage() && m.level < myLevel() && m.id !== me()?.user?.id

  return (
    <section>
      <PageHeader
        title={t('settings.users')}
        description={t('users.description')}
        actions={
          <Show when={manage() && roles()}>
            <button type="button" class="btn btn-primary" onClick={() => setAdding(true)}>
              {t('users.add')}
            </button>
          </Show>
        }
      />
      <div class="toolbar">
        <label class="field field-inline">
          <span>{t('common.search')}</span>
          <input type="search" value={q()} maxLength={120} placeholder={t('users.searchHint')} onInput={(e) => search(e.currentTarget.value)} />
        </label>
        <label class="field field-inline">
          <span>{t('users.status')}</span>
          <select
            value={active()}
            onChange={(e) => {
              setActive(e.currentTarget.value as 'all' | 'true' | 'false')
              void list.reload()
            }}
          >
            <option value="all">{t('users.all')}</option>
            <option value="true">{t('users.active')}</option>
            <option value="false">{t('users.inactive')}</option>
          </select>
        </label>
      </div>
      <PagedView list={list} empty={<Empty title={t('users.none')} />}>
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">{t('users.name')}</th>
                <th scope="col">{t('users.role')}</th>
                <th scope="col">{t('users.status')}</th>
                <th scope="col">{t('users.since')}</th>
                <th scope="col">
                  <span class="sr-only">{t('common.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              <For each={list.items()}>
                {(m) => (
                  <tr data-user={m.email}>
                    <td>
                      <div class="cell-title">{m.name}</div>
                      <div class="muted small">{m.email}</div>
                    </td>
                    <td>
                      <Show when={canChange(m) && roles()} fallback={<span>{m.roleName}</span>}>
                        <select aria-label={t('users.roleOf', { name: m.name })} value={m.role} onChange={(e) => void changeRole(m, e.currentTarget.value, e.currentTarget)}>
                          <Show when={!choices().some((r) => r.key === m.role)}>
                            <option value={m.role}>{m.roleName}</option>
                          </Show>
                          <For each={choices()}>{(r) => <option value={r.key}>{r.name}</option>}</For>
                        </select>
                      </Show>
                    </td>
                    <td>
                      <span class={`badge ${m.active ? 'badge-ok' : 'badge-off'}`}>{m.active ? t('users.active') : t('users.inactive')}</span>
                    </td>
                    <td class="small">{formatDate(m.createdAt, me()?.tenant.timezone)}</td>
                    <td class="cell-actions">
                      <Show when={canChange(m)}>
                        <Show
                          when={m.active}
                          fallback={
                            <button type="button" class="btn btn-small" onClick={() => void reactivate(m)}>
                              {t('users.reactivate')}
                            </button>
                          }
                        >
                          <button type="button" class="btn btn-small btn-danger-outline" onClick={() => setDeactivating(m)}>
                            {t('users.deactivate')}
                          </button>
                        </Show>
                      </Show>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </PagedView>
      <AddMember open={adding()} onOpenChange={setAdding} roles={choices()} onAdded={(m) => list.setItems((items) => [m, ...items])} />
      <Confirm
        open={deactivating() !== null}
        onOpenChange={(open) => !open && setDeactivating(null)}
        title={t('users.deactivateTitle', { name: deactivating()?.name ?? '' })}
        description={t('users.deactivateText')}
        confirmLabel={t('users.deactivate')}
        danger
        onConfirm={async () => {
          const m = deactivating()
          if (!m) return
          await update(m, { active: false })
          toast(t('users.deactivated', { name: m.name }), 'success')
        }}
      />
    </section>
  )
}
