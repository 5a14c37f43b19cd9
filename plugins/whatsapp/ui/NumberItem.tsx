// One number: its live status (realtime topic session:<id>), what it waits for (a QR to scan, a
// pairing code to type), its actions, and for sandbox numbers the customer simulator.
import { createSignal, Match, Show, Switch } from 'solid-js'
import type { UiHost } from '@sapa/sdk/ui'
import { Confirm } from '@sapa/sdk/ui/dialog'
import { errorText } from './errors.ts'
import { PairingForm } from './PairingForm.tsx'
import { QrCode } from './QrCode.tsx'
import { Simulator } from './Simulator.tsx'
import { formatPairingCode, idle, statusTone, type WaNumber } from './types.ts'

type Action = 'connect' | 'disconnect' | 'logout' | 'delete' | 'scan' | 'drop'

export function NumberItem(props: { host: UiHost; number: WaNumber; onUpdate: (view: WaNumber) => void; onRemoved: (id: string) => void }) {
  const t = props.host.t
  const n = () => props.number
  const canManage = () => props.host.can('whatsapp.session.manage')
  const canSandbox = () => props.host.can('whatsapp.sandbox.use') && n().driver === 'sandbox'
  const [busy, setBusy] = createSignal<Action | null>(null)
  const [confirming, setConfirming] = createSignal<'logout' | 'delete' | null>(null)
  const [pairing, setPairing] = createSignal(false)
  const [simulating, setSimulating] = createSignal(false)
  const base = () => `/api/whatsapp/sessions/${n().id}`
  const domId = (part: string) => `wa-${n().id}-${part}`

  props.host.subscribe(`session:${props.number.id}`, (event, data) => {
    if (event === 'status' && data && typeof data === 'object') props.onUpdate(data as WaNumber)
    // Back after a dropped connection: a status change may have been missed.
    else if (event === '$resubscribed') void props.host.api<WaNumber>(`/api/whatsapp/sessions/${n().id}`).then(props.onUpdate, () => undefined)
  })

  async function run(action: Action) {
    setBusy(action)
    try {
      if (action === 'scan' || action === 'drop') {
        await props.host.api(`/api/whatsapp/sandbox/${n().id}/${action === 'scan' ? 'scan' : 'disconnect'}`, { method: 'POST' })
      } else {
        props.onUpdate(await props.host.api<WaNumber>(`${base()}/${action}`, { method: 'POST' }))
        if (action === 'connect') setPairing(false)
      }
    } catch (err) {
      props.host.toast(errorText(props.host, err), 'error')
    } finally {
      setBusy(null)
    }
  }

  const confirmText = () => {
    const which = confirming()
    return which ? { title: t(`whatsapp.confirm.${which}.title`, { name: n().name }), text: t(`whatsapp.confirm.${which}.text`), label: t(`whatsapp.action.${which}`) } : { title: '', text: '', label: '' }
  }
  const onConfirm = async () => {
    const which = confirming()
    if (which === 'delete') {
      await props.host.api(base(), { method: 'DELETE' })
      props.host.toast(t('whatsapp.deleted', { name: n().name }), 'success')
      props.onRemoved(n().id)
    } else if (which === 'logout') {
      props.onUpdate(await props.host.api<WaNumber>(`${base()}/logout`, { method: 'POST' }))
    }
  }

  const webhookUrl = () => `${location.origin}/api/whatsapp/cloud/${n().id}/webhook`

  return (
    <li class="wa-number" data-number={n().name} data-session-id={n().id} data-status={n().status}>
      <div class="wa-number-head">
        <div class="wa-number-title">
          <h2 class="wa-number-name">{n().name}</h2>
          <div class="wa-number-meta">
            <span class={`badge wa-status wa-status-${statusTone(n().status)}`} data-testid="wa-status" role="status" aria-live="polite">
              {t(`whatsapp.status.${n().status}`)}
            </span>
            <span class="badge">{t(`whatsapp.driver.${n().driver}`)}</span>
            <Show when={n().phone}>
              <span class="mono small" data-testid="wa-phone">
                {n().phone}
              </span>
            </Show>
          </div>
        </div>
        <Show when={canManage() || canSandbox()}>
          <div class="wa-actions" role="group" aria-label={t('whatsapp.actionsFor', { name: n().name })}>
            <Show when={canManage() && idle(n())}>
              <button type="button" class="btn btn-small btn-primary" disabled={busy() !== null} onClick={() => void run('connect')} data-action="connect">
                {t('whatsapp.action.connect')}
              </button>
              <Show when={n().driver !== 'cloud'}>
                <button type="button" class="btn btn-small" aria-expanded={pairing()} aria-controls={domId('pair')} onClick={() => setPairing((v) => !v)} data-action="pair">
                  {t('whatsapp.action.pair')}
                </button>
              </Show>
            </Show>
            <Show when={canManage() && !idle(n())}>
              <button type="button" class="btn btn-small" disabled={busy() !== null} onClick={() => void run('disconnect')} data-action="disconnect">
                {t('whatsapp.action.disconnect')}
              </button>
            </Show>
            <Show when={canSandbox()}>
              <button type="button" class="btn btn-small" aria-expanded={simulating()} aria-controls={domId('sim')} onClick={() => setSimulating((v) => !v)} data-action="simulate">
                {t('whatsapp.action.simulate')}
              </button>
            </Show>
            <Show when={canManage()}>
              <Show when={n().status !== 'logged_out' && n().driver !== 'cloud'}>
                <button type="button" class="btn btn-small btn-danger-outline" disabled={busy() !== null} onClick={() => setConfirming('logout')} data-action="logout">
                  {t('whatsapp.action.logout')}
                </button>
              </Show>
              <button type="button" class="btn btn-small btn-danger-outline" disabled={busy() !== null} onClick={() => setConfirming('delete')} data-action="delete">
                {t('whatsapp.action.delete')}
              </button>
            </Show>
          </div>
        </Show>
      </div>

      <Show when={n().error && n().status !== 'connected'}>
        <p class="note note-error small" data-testid="wa-error">
          {n().error}
        </p>
      </Show>

      <Switch>
        {/* Whoever scans the QR or types the code links the number to their phone: managers only. */}
        <Match when={(n().status === 'qr' || n().status === 'pairing_code') && !canManage()}>
          <p class="wa-waiting muted">{t('whatsapp.waiting.linking')}</p>
        </Match>
        <Match when={n().status === 'qr' && n().qr}>
          <div class="wa-pairing" data-testid="wa-qr-panel">
            <QrCode value={n().qr!} label={t('whatsapp.qr.label', { name: n().name })} />
            <div class="wa-pairing-text">
              <p>
                <strong>{t('whatsapp.qr.title')}</strong>
              </p>
              <ol class="wa-steps">
                <li>{t('whatsapp.qr.step1')}</li>
                <li>{t('whatsapp.qr.step2')}</li>
                <li>{t('whatsapp.qr.step3')}</li>
              </ol>
              <p class="muted small">{t('whatsapp.qr.refreshes')}</p>
              <Show when={canSandbox()}>
                <button type="button" class="btn btn-small" disabled={busy() !== null} onClick={() => void run('scan')} data-action="scan">
                  {t('whatsapp.action.scan')}
                </button>
              </Show>
              <Show when={canManage() && n().driver !== 'cloud' && !pairing()}>
                <p>
                  <button type="button" class="btn-link" aria-expanded={false} aria-controls={domId('pair')} onClick={() => setPairing(true)} data-action="pair-instead">
                    {t('whatsapp.qr.usePairing')}
                  </button>
                </p>
              </Show>
            </div>
          </div>
        </Match>
        <Match when={n().status === 'pairing_code' && n().pairingCode}>
          <div class="wa-pairing" data-testid="wa-code-panel">
            <p class="wa-code mono" data-testid="wa-pairing-code" aria-label={t('whatsapp.code.label', { code: n().pairingCode!.split('').join(' ') })}>
              {formatPairingCode(n().pairingCode!)}
            </p>
            <div class="wa-pairing-text">
              <p>
                <strong>{t('whatsapp.code.title')}</strong>
              </p>
              <ol class="wa-steps">
                <li>{t('whatsapp.qr.step1')}</li>
                <li>{t('whatsapp.code.step2')}</li>
                <li>{t('whatsapp.code.step3')}</li>
              </ol>
            </div>
          </div>
        </Match>
        <Match when={n().status === 'connecting' || n().status === 'reconnecting'}>
          <p class="wa-waiting muted">
            <span class="spinner" aria-hidden="true" /> {t(`whatsapp.waiting.${n().status}`)}
          </p>
        </Match>
      </Switch>

      <Show when={pairing() && canManage() && n().status !== 'pairing_code' && n().status !== 'connected'}>
        <div id={domId('pair')} class="wa-panel">
          <PairingForm host={props.host} number={n()} onUpdate={props.onUpdate} onDone={() => setPairing(false)} />
        </div>
      </Show>

      <Show when={n().driver === 'cloud' && canManage()}>
        <div class="wa-webhook">
          <label class="small" for={domId('webhook')}>
            {t('whatsapp.cloud.webhook')}
          </label>
          <input id={domId('webhook')} class="mono small" readOnly value={webhookUrl()} onFocus={(e) => e.currentTarget.select()} />
        </div>
      </Show>

      <Show when={simulating() && canSandbox()}>
        <div id={domId('sim')} class="wa-panel">
          <Show when={n().status !== 'connected'}>
            <p class="note note-warn" data-testid="wa-sim-offline">
              {t('whatsapp.sim.offline')}
            </p>
          </Show>
          {/* Stays mounted through a drop, so the log of what was sent is kept. */}
          <Simulator host={props.host} number={n()} disabled={n().status !== 'connected'} />
          <Show when={n().status === 'connected'}>
            <p class="muted small wa-drop">
              {t('whatsapp.sim.dropHint')}{' '}
              <button type="button" class="btn btn-small" disabled={busy() !== null} onClick={() => void run('drop')} data-action="drop">
                {t('whatsapp.action.drop')}
              </button>
            </p>
          </Show>
        </div>
      </Show>

      <Confirm
        testId="wa-confirm"
        errorText={(err) => errorText(props.host, err)}
        host={props.host}
        open={confirming() !== null}
        onClose={() => setConfirming(null)}
        title={confirmText().title}
        description={confirmText().text}
        confirmLabel={confirmText().label}
        danger
        onConfirm={onConfirm}
      />
    </li>
  )
}
