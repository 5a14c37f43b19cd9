// "Add number": the driver (only those the server offers), a name, and the driver's own settings.
import { createEffect, createSignal, For, Show, type JSX } from 'solid-js'
import type { UiHost } from '@sapa/sdk/ui'
import { Dialog } from '@sapa/sdk/ui/dialog'
import { errorText, fieldErrors } from './errors.ts'
import type { DriverName, WaNumber } from './types.ts'

const CLOUD_FIELDS = [
  { key: 'phoneNumberId', type: 'text', inputMode: 'numeric', required: true, max: 32 },
  { key: 'accessToken', type: 'password', required: true, max: 2048 },
  { key: 'appSecret', type: 'password', required: true, max: 256 },
  { key: 'verifyToken', type: 'text', required: true, max: 256 },
  { key: 'wabaId', type: 'text', inputMode: 'numeric', required: false, max: 32 },
] as const

type CloudKey = (typeof CLOUD_FIELDS)[number]['key']

export function AddNumberDialog(props: { host: UiHost; open: boolean; onClose: () => void; drivers: DriverName[]; onCreated: (n: WaNumber) => void }) {
  const t = props.host.t
  const [name, setName] = createSignal('')
  const [driver, setDriver] = createSignal<DriverName>('baileys')
  const [cloud, setCloud] = createSignal<Record<CloudKey, string>>({ phoneNumberId: '', accessToken: '', appSecret: '', verifyToken: '', wabaId: '' })
  const [pairing, setPairing] = createSignal<'instant' | 'qr'>('instant')
  const [qrRefresh, setQrRefresh] = createSignal('20')
  const [connectDelay, setConnectDelay] = createSignal('')
  const [deliveredMs, setDeliveredMs] = createSignal('')
  const [readMs, setReadMs] = createSignal('')
  const [failurePct, setFailurePct] = createSignal('')
  const [sandboxPhone, setSandboxPhone] = createSignal('')
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<unknown>(null)

  // Each opening starts clean, on the first driver the server offers.
  createEffect(() => {
    if (!props.open) return
    setName('')
    setDriver(props.drivers[0] ?? 'baileys')
    setCloud({ phoneNumberId: '', accessToken: '', appSecret: '', verifyToken: '', wabaId: '' })
    setPairing('instant')
    setQrRefresh('20')
    setConnectDelay('')
    setDeliveredMs('')
    setReadMs('')
    setFailurePct('')
    setSandboxPhone('')
    setError(null)
  })

  const fields = () => fieldErrors(error())
  const fieldError = (field: string) => fields()[field]
  const shownInline = () => Object.keys(fields()).some((f) => f === 'name' || f.startsWith('config.'))

  const int = (v: string) => (v.trim() === '' ? undefined : Math.round(Number(v)))
  function config(): Record<string, unknown> | undefined {
    if (driver() === 'cloud') {
      const c = cloud()
      return Object.fromEntries(Object.entries(c).filter(([, v]) => v.trim() !== '').map(([k, v]) => [k, v.trim()]))
    }
    if (driver() !== 'sandbox') return undefined
    const c: Record<string, unknown> = {}
    if (pairing() === 'qr') {
      c.qr = true
      const seconds = Number(qrRefresh())
      if (qrRefresh().trim() !== '' && seconds > 0) c.qrRefreshMs = Math.round(seconds * 1000)
    }
    if (int(connectDelay()) !== undefined) c.connectDelayMs = int(connectDelay())
    const acks: Record<string, number | undefined> = { deliveredMs: int(deliveredMs()), readMs: int(readMs()) }
    if (acks.deliveredMs !== undefined || acks.readMs !== undefined) c.ackDelays = Object.fromEntries(Object.entries(acks).filter(([, v]) => v !== undefined))
    if (failurePct().trim() !== '') c.failureRate = Number(failurePct()) / 100
    if (sandboxPhone().trim()) c.phone = sandboxPhone().trim()
    return c
  }

  const submit = async (e: SubmitEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const body: Record<string, unknown> = { name: name().trim(), driver: driver() }
      const c = config()
      if (c) body.config = c
      const created = await props.host.api<WaNumber>('/api/whatsapp/sessions', { method: 'POST', body })
      props.onCreated(created)
      props.host.toast(t('whatsapp.add.created', { name: created.name }), 'success')
      props.onClose()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  const Field = (p: { id: string; label: string; field?: string; hint?: string; children: JSX.Element }) => (
    <div class="field">
      <label for={p.id}>{p.label}</label>
      {p.children}
      <Show when={p.hint}>
        <span class="muted small" id={`${p.id}-hint`}>
          {p.hint}
        </span>
      </Show>
      <Show when={p.field && fieldError(p.field)}>
        <span class="field-error" id={`${p.id}-error`} data-field-error={p.field}>
          {t(`whatsapp.invalid.${p.field}`) === `whatsapp.invalid.${p.field}` ? fieldError(p.field!) : t(`whatsapp.invalid.${p.field}`)}
        </span>
      </Show>
    </div>
  )
  const describedBy = (id: string, field: string, hint = false) => [hint ? `${id}-hint` : '', fieldError(field) ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined

  return (
    <Dialog host={props.host} open={props.open} onClose={() => !busy() && props.onClose()} title={t('whatsapp.add.title')} class="wa-add-dialog" testId="wa-add-dialog">
      <form class="form" onSubmit={(e) => void submit(e)}>
        <Field id="wa-add-name" label={t('whatsapp.add.name')} field="name" hint={t('whatsapp.add.nameHint')}>
          <input id="wa-add-name" name="name" type="text" required maxLength={120} value={name()} aria-invalid={fieldError('name') ? 'true' : undefined} aria-describedby={describedBy('wa-add-name', 'name', true)} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>

        <fieldset class="wa-drivers">
          <legend>{t('whatsapp.add.driver')}</legend>
          <For each={props.drivers}>
            {(d) => (
              <label class="wa-driver" data-driver={d}>
                <input type="radio" name="driver" value={d} checked={driver() === d} onChange={() => setDriver(d)} />
                <span>
                  <strong>{t(`whatsapp.driver.${d}`)}</strong>
                  <span class="muted small">{t(`whatsapp.driver.${d}.about`)}</span>
                </span>
              </label>
            )}
          </For>
        </fieldset>

        <Show when={driver() === 'cloud'}>
          <div class="wa-driver-config" data-testid="wa-cloud-config">
            <For each={[...CLOUD_FIELDS]}>
              {(f) => (
                <Field id={`wa-cloud-${f.key}`} label={t(`whatsapp.cloud.${f.key}`) + (f.required ? '' : ` (${t('whatsapp.optional')})`)} field={`config.${f.key}`} hint={t(`whatsapp.cloud.${f.key}.hint`)}>
                  <input
                    id={`wa-cloud-${f.key}`}
                    name={f.key}
                    type={f.type}
                    inputMode={'inputMode' in f ? f.inputMode : undefined}
                    autocomplete="off"
                    spellcheck={false}
                    required={f.required}
                    maxLength={f.max}
                    value={cloud()[f.key]}
                    aria-invalid={fieldError(`config.${f.key}`) ? 'true' : undefined}
                    aria-describedby={describedBy(`wa-cloud-${f.key}`, `config.${f.key}`, true)}
                    onInput={(e) => setCloud((c) => ({ ...c, [f.key]: e.currentTarget.value }))}
                  />
                </Field>
              )}
            </For>
            <p class="muted small">{t('whatsapp.cloud.graphNote')}</p>
          </div>
        </Show>

        <Show when={driver() === 'baileys'}>
          <p class="note note-info">{t('whatsapp.baileys.note')}</p>
        </Show>

        <Show when={driver() === 'sandbox'}>
          <div class="wa-driver-config" data-testid="wa-sandbox-config">
            <fieldset class="wa-choice">
              <legend>{t('whatsapp.sandbox.pairing')}</legend>
              <label>
                <input type="radio" name="sandbox-pairing" value="instant" checked={pairing() === 'instant'} onChange={() => setPairing('instant')} /> {t('whatsapp.sandbox.instant')}
              </label>
              <label>
                <input type="radio" name="sandbox-pairing" value="qr" checked={pairing() === 'qr'} onChange={() => setPairing('qr')} /> {t('whatsapp.sandbox.qr')}
              </label>
            </fieldset>
            <Show when={pairing() === 'qr'}>
              <Field id="wa-sbx-qr-refresh" label={t('whatsapp.sandbox.qrRefresh')} field="config.qrRefreshMs" hint={t('whatsapp.sandbox.qrRefreshHint')}>
                <input id="wa-sbx-qr-refresh" name="qrRefresh" type="number" min={0} max={600} step="any" value={qrRefresh()} aria-describedby={describedBy('wa-sbx-qr-refresh', 'config.qrRefreshMs', true)} onInput={(e) => setQrRefresh(e.currentTarget.value)} />
              </Field>
            </Show>
            <details class="wa-more">
              <summary>{t('whatsapp.sandbox.more')}</summary>
              <div class="wa-grid">
                <Field id="wa-sbx-delay" label={t('whatsapp.sandbox.connectDelay')} field="config.connectDelayMs">
                  <input id="wa-sbx-delay" name="connectDelay" type="number" min={0} max={10000} placeholder="50" value={connectDelay()} onInput={(e) => setConnectDelay(e.currentTarget.value)} />
                </Field>
                <Field id="wa-sbx-delivered" label={t('whatsapp.sandbox.deliveredMs')} field="config.ackDelays.deliveredMs">
                  <input id="wa-sbx-delivered" name="deliveredMs" type="number" min={0} max={600000} placeholder="200" value={deliveredMs()} onInput={(e) => setDeliveredMs(e.currentTarget.value)} />
                </Field>
                <Field id="wa-sbx-read" label={t('whatsapp.sandbox.readMs')} field="config.ackDelays.readMs">
                  <input id="wa-sbx-read" name="readMs" type="number" min={0} max={600000} placeholder="1000" value={readMs()} onInput={(e) => setReadMs(e.currentTarget.value)} />
                </Field>
                <Field id="wa-sbx-failure" label={t('whatsapp.sandbox.failureRate')} field="config.failureRate">
                  <input id="wa-sbx-failure" name="failureRate" type="number" min={0} max={100} step="any" placeholder="0" value={failurePct()} onInput={(e) => setFailurePct(e.currentTarget.value)} />
                </Field>
                <Field id="wa-sbx-phone" label={t('whatsapp.sandbox.phone')} field="config.phone" hint={t('whatsapp.sandbox.phoneHint')}>
                  <input id="wa-sbx-phone" name="sandboxPhone" type="tel" maxLength={20} placeholder="+6285700000001" value={sandboxPhone()} onInput={(e) => setSandboxPhone(e.currentTarget.value)} />
                </Field>
              </div>
            </details>
          </div>
        </Show>

        <Show when={error() && !shownInline()}>
          <p class="note note-error" role="alert" data-testid="wa-add-error">
            {errorText(props.host, error())}
          </p>
        </Show>
        <Show when={error() && shownInline()}>
          <p class="field-error" role="alert">
            {t('whatsapp.add.fixFields')}
          </p>
        </Show>
        <div class="dialog-actions">
          <button type="button" class="btn" onClick={() => props.onClose()} disabled={busy()}>
            {t('whatsapp.cancel')}
          </button>
          <button type="submit" class="btn btn-primary" disabled={busy() || !props.drivers.length} data-testid="wa-add-submit">
            {busy() ? t('whatsapp.add.adding') : t('whatsapp.add.submit')}
          </button>
        </div>
      </form>
    </Dialog>
  )
}
