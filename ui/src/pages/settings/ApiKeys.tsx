// Settings → API keys: create (the key is shown once, with a copy button), list, revoke.
import { createResource, createSignal, For, Show } from 'solid-js'
import { api } from '../../lib/api.ts'
import { errorText, formatDate, t } from '../../lib/i18n.ts'
import { createPaged } from '@sapa/sdk/ui/paged'
import { fetchRoles, grantable, type RoleRow } from '../../lib/roles.ts'
import { can, me } from '../../lib/session.ts'
import { toast } from '../../lib/toast.ts'
import { Confirm, Modal } from '../../components/Modal.tsx'
import { errorField, Field } from '../../components/Field.tsx'
import { Icon } from '../../components/Icon.tsx'
import { Empty, PageHeader, PagedView } from '../../components/States.tsx'

interface ApiKeyRow {
  id: string
  name: string
  prefix: string
  role: string
  createdBy: string | null
  lastUsedAt: string | null
  expiresAt: string | null
  revokedAt: string | null
  createdAt: string
}

async function copyText(text: string, fallbackInput?: HTMLInputElement): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text)
    return true
  } catch {
    if (!fallbackInput) return false
    fallbackInput.select()
    return document.execCommand('copy')
  }
}

function CreateKey(props: { open: boolean; onOpenChange: (v: boolean) => void; roles: RoleRow[]; onCreated: (row: ApiKeyRow) => void }) {
  const [name, setName] = createSignal('')
  const [role, setRole] = createSignal('')
  const [expires, setExpires] = createSignal('')
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<unknown>(null)
  const [created, setCreated] = createSignal<string | null>(null)
  const [copied, setCopied] = createSignal(false)
  let keyInput: HTMLInputElement | undefined
  const defaultRole = () => props.roles[0]?.key ?? ''
  const close = (open: boolean) => {
    if (!open) {
      setCreated(null)
      setCopied(false)
      setError(null)
      setName('')
      setExpires('')
    }
    props.onOpenChange(open)
  }
  const submit = async (e: SubmitEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const body: Record<string, string> = { name: name().trim(), role: role() || defaultRole() }
      if (expires()) body.expiresAt = new Date(`${expires()}T23:59:59`).toISOString()
      const res = await api<ApiKeyRow & { key: string }>('/api/api-keys', { method: 'POST', body })
      const { key, ...row } = res
      props.onCreated(row)
      setCreated(key)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  const copy = async () => {
    const ok = await copyText(created() ?? '', keyInput)
    setCopied(ok)
    toast(ok ? t('apiKeys.copied') : t('apiKeys.copyFailed'), ok ? 'success' : 'error')
  }
  return (
    <Modal open={props.open} onOpenChange={close} title={created() ? t('apiKeys.createdTitle') : t('apiKeys.create')}>
      <Show
        when={created()}
        fallback={
          <form class="form" onSubmit={submit}>
            <Field id="key-name" label={t('apiKeys.name')} hint={t('apiKeys.nameHint')} error={errorField(error()) === 'name' ? errorText(error()) : null}>
              <input id="key-name" type="text" required maxLength={120} value={name()} onInput={(e) => setName(e.currentTarget.value)} />
            </Field>
            <Field id="key-role" label={t('apiKeys.role')} hint={t('roles.levelRule', { level: me()?.role.level ?? 0 })}>
              <select id="key-role" value={role() || defaultRole()} onChange={(e) => setRole(e.currentTarget.value)}>
                <For each={props.roles}>{(r) => <option value={r.key}>{`${r.name} (${r.level})`}</option>}</For>
              </select>
            </Field>
            <Field id="key-expires" label={t('apiKeys.expires')} hint={t('apiKeys.expiresHint')} error={errorField(error()) === 'expiresAt' ? errorText(error()) : null}>
              <input id="key-expires" type="date" value={expires()} onInput={(e) => setExpires(e.currentTarget.value)} />
            </Field>
            <Show when={error() && !['name', 'expiresAt'].includes(errorField(error()) ?? '')}>
              <p class="field-error" role="alert">
                {errorText(error())}
              </p>
            </Show>
            <div class="dialog-actions">
              <button type="button" class="btn" onClick={() => close(false)}>
                {t('common.cancel')}
              </button>
              <button type="submit" class="btn btn-primary" disabled={busy() || !props.roles.length}>
                {t('apiKeys.createSubmit')}
              </button>
            </div>
          </form>
        }
      >
        {(key) => (
          <div class="form">
            <p class="note note-warn" role="status">
              {t('apiKeys.showOnce')}
            </p>
            <div class="copy-row">
              <input ref={keyInput} class="mono" readOnly value={key()} aria-label={t('apiKeys.key')} data-testid="new-api-key" onFocus={(e) => e.currentTarget.select()} />
              <button type="button" class="btn" onClick={() => void copy()}>
                <Icon name={copied() ? 'check' : 'copy'} size={16} />
                {copied() ? t('apiKeys.copiedShort') : t('apiKeys.copy')}
              </button>
            </div>
            <div class="dialog-actions">
              <button type="button" class="btn btn-primary" onClick={() => close(false)}>
                {t('apiKeys.done')}
              </button>
            </div>
          </div>
        )}
      </Show>
    </Modal>
  )
}

export default function ApiKeys() {
  const list = createPaged<ApiKeyRow>((cursor) => api('/api/api-keys', { query: { limit: 25, cursor } }))
  void list.reload()
  const [roles] = createResource(() => (can('kernel.roles.view') ? true : null), () => fetchRoles().then((r) => r.items))
  const roleName = (key: string) => roles()?.find((r) => r.key === key)?.name ?? key
  const [creating, setCreating] = createSignal(false)
  const [revoking, setRevoking] = createSignal<ApiKeyRow | null>(null)
  const tz = () => me()?.tenant.timezone

  return (
    <section>
      <PageHeader
        title={t('settings.apiKeys')}
        description={t('apiKeys.description')}
        actions={
          <button type="button" class="btn btn-primary" onClick={() => setCreating(true)} disabled={!roles()}>
            {t('apiKeys.create')}
          </button>
        }
      />
      <PagedView list={list} empty={<Empty title={t('apiKeys.none')}>{t('apiKeys.noneHint')}</Empty>}>
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">{t('apiKeys.name')}</th>
                <th scope="col">{t('apiKeys.role')}</th>
                <th scope="col">{t('apiKeys.lastUsed')}</th>
                <th scope="col">{t('apiKeys.expires')}</th>
                <th scope="col">{t('users.status')}</th>
                <th scope="col">
                  <span class="sr-only">{t('common.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              <For each={list.items()}>
                {(k) => (
                  <tr data-api-key={k.name}>
                    <td>
                      <div class="cell-title">{k.name}</div>
                      <div class="muted small mono">{k.prefix}…</div>
                    </td>
                    <td>{roleName(k.role)}</td>
                    <td class="small">{k.lastUsedAt ? formatDate(k.lastUsedAt, tz()) : t('apiKeys.never')}</td>
                    <td class="small">{k.expiresAt ? formatDate(k.expiresAt, tz()) : t('apiKeys.noExpiry')}</td>
                    <td>
                      <span class={`badge ${k.revokedAt ? 'badge-off' : 'badge-ok'}`}>{k.revokedAt ? t('apiKeys.revoked') : t('apiKeys.active')}</span>
                    </td>
                    <td class="cell-actions">
                      <Show when={!k.revokedAt}>
                        <button type="button" class="btn btn-small btn-danger-outline" onClick={() => setRevoking(k)}>
                          {t('apiKeys.revoke')}
                        </button>
                      </Show>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </PagedView>
      <CreateKey open={creating()} onOpenChange={setCreating} roles={grantable(roles() ?? [])} onCreated={(row) => list.setItems((items) => [row, ...items])} />
      <Confirm
        open={revoking() !== null}
        onOpenChange={(open) => !open && setRevoking(null)}
        title={t('apiKeys.revokeTitle', { name: revoking()?.name ?? '' })}
        description={t('apiKeys.revokeText')}
        confirmLabel={t('apiKeys.revoke')}
        danger
        onConfirm={async () => {
          const k = revoking()
          if (!k) return
          await api(`/api/api-keys/${k.id}`, { method: 'DELETE' })
          list.setItems((items) => items.map((x) => (x.id === k.id ? { ...x, revokedAt: new Date().toISOString() } : x)))
          toast(t('apiKeys.revokedToast', { name: k.name }), 'success')
        }}
      />
    </section>
  )
}
