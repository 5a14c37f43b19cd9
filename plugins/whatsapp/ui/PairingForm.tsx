import { createSignal, Show } from 'solid-js'
import type { UiHost } from '@sapa/sdk/ui'
import { errorText } from './errors.ts'
import { idle, type WaNumber } from './types.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * "Link with phone number instead": WhatsApp sends the code to that phone. The driver asks for a
 * code only when it starts, so a number already showing a QR is stopped first and started again.
 */
export function PairingForm(props: { host: UiHost; number: WaNumber; onUpdate: (view: WaNumber) => void; onDone?: () => void }) {
  const t = props.host.t
  const [phone, setPhone] = createSignal('')
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<string | null>(null)
  const inputId = `wa-pair-${props.number.id}`
  const base = `/api/whatsapp/sessions/${props.number.id}`

  const submit = async (e: SubmitEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      if (!idle(props.number)) {
        props.onUpdate(await props.host.api<WaNumber>(`${base}/disconnect`, { method: 'POST' }))
        const until = Date.now() + 15_000
        for (;;) {
          const now = await props.host.api<WaNumber>(base)
          if (idle(now)) break
          if (Date.now() > until) return setError(t('whatsapp.pair.stopTimeout'))
          await sleep(300)
        }
      }
      props.onUpdate(await props.host.api<WaNumber>(`${base}/connect`, { method: 'POST', body: { pairingPhone: phone().trim() } }))
      props.onDone?.()
    } catch (err) {
      setError(errorText(props.host, err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <form class="wa-pair" onSubmit={(e) => void submit(e)} data-testid="wa-pair-form">
      <div class="field">
        <label for={inputId}>{t('whatsapp.pair.phone')}</label>
        <div class="wa-inline">
          <input
            id={inputId}
            type="tel"
            inputMode="tel"
            autocomplete="tel"
            required
            maxLength={32}
            placeholder="0812 3456 7890"
            value={phone()}
            aria-invalid={error() ? 'true' : undefined}
            aria-describedby={`${inputId}-hint${error() ? ` ${inputId}-error` : ''}`}
            onInput={(e) => setPhone(e.currentTarget.value)}
          />
          <button type="submit" class="btn btn-primary" disabled={busy()}>
            {busy() ? t('whatsapp.pair.requesting') : t('whatsapp.pair.submit')}
          </button>
        </div>
        <span class="muted small" id={`${inputId}-hint`}>
          {t('whatsapp.pair.hint')}
        </span>
        <Show when={error()}>
          <span class="field-error" role="alert" id={`${inputId}-error`}>
            {error()}
          </span>
        </Show>
      </div>
    </form>
  )
}
