// Dialogs on the native <dialog> element: showModal() makes the rest of the page inert and keeps
// focus inside, Escape closes (the `cancel` event), and focus goes back where it was.
import { createEffect, createSignal, onCleanup, Show, type JSX } from 'solid-js'
import type { UiHost } from '@sapa/sdk/ui'
import { errorText } from './errors.ts'

let ids = 0

export function Dialog(props: {
  open: boolean
  onClose: () => void
  title: string
  description?: string
  host: UiHost
  children: JSX.Element
  role?: 'dialog' | 'alertdialog'
  testId?: string
}) {
  const id = `wa-dialog-${++ids}`
  let el: HTMLDialogElement | undefined
  let returnTo: Element | null = null
  createEffect(() => {
    if (!el) return
    if (props.open && !el.open) {
      returnTo = document.activeElement
      el.showModal()
      // The first field, else the first button (showModal would pick the close button first).
      const first = el.querySelector<HTMLElement>('[data-autofocus], input:not([type=hidden]), select, textarea') ?? el.querySelector<HTMLElement>('.dialog-actions button')
      first?.focus()
    } else if (!props.open && el.open) {
      el.close()
    }
  })
  const restoreFocus = () => {
    if (returnTo instanceof HTMLElement && returnTo.isConnected) returnTo.focus()
    returnTo = null
  }
  onCleanup(() => el?.open && el.close())
  return (
    <dialog
      ref={el}
      class="dialog wa-dialog"
      role={props.role ?? 'dialog'}
      aria-labelledby={`${id}-title`}
      aria-describedby={props.description ? `${id}-desc` : undefined}
      data-testid={props.testId}
      onCancel={(e) => {
        // Escape: the owner decides (it may be busy); the element closes when `open` turns false.
        e.preventDefault()
        props.onClose()
      }}
      onClose={restoreFocus}
    >
      <div class="dialog-header">
        <h2 class="dialog-title" id={`${id}-title`}>
          {props.title}
        </h2>
        <button type="button" class="btn btn-icon" aria-label={props.host.t('whatsapp.close')} onClick={() => props.onClose()}>
          <span aria-hidden="true">✕</span>
        </button>
      </div>
      <Show when={props.description}>
        <p class="muted" id={`${id}-desc`}>
          {props.description}
        </p>
      </Show>
      {props.children}
    </dialog>
  )
}

/** A yes/no question; `onConfirm` may throw: the error is shown in the dialog, which stays open. */
export function Confirm(props: {
  host: UiHost
  open: boolean
  onClose: () => void
  title: string
  description: string
  confirmLabel: string
  danger?: boolean
  onConfirm: () => Promise<void>
}) {
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<unknown>(null)
  const close = () => {
    if (busy()) return
    setError(null)
    props.onClose()
  }
  const run = async () => {
    setBusy(true)
    setError(null)
    try {
      await props.onConfirm()
      setBusy(false)
      close()
    } catch (err) {
      setError(err)
      setBusy(false)
    }
  }
  return (
    <Dialog host={props.host} open={props.open} onClose={close} title={props.title} description={props.description} role="alertdialog" testId="wa-confirm">
      <Show when={error()}>
        <p class="field-error" role="alert">
          {errorText(props.host, error())}
        </p>
      </Show>
      <div class="dialog-actions">
        <button type="button" class="btn" onClick={close} data-autofocus>
          {props.host.t('whatsapp.cancel')}
        </button>
        <button type="button" class={`btn ${props.danger ? 'btn-danger' : 'btn-primary'}`} disabled={busy()} onClick={() => void run()} data-testid="wa-confirm-ok">
          {props.confirmLabel}
        </button>
      </div>
    </Dialog>
  )
}
