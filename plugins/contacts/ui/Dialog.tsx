// Dialogs on the native <dialog>: showModal() makes the page behind inert and keeps focus inside,
// Escape closes (the `cancel` event), and focus returns to what opened it.
import { createEffect, createSignal, onCleanup, Show, type JSX } from 'solid-js'
import type { UiHost } from '@sapa/sdk/ui'
import { errorText } from './util.ts'

let ids = 0

export function Dialog(props: {
  host: UiHost
  open: boolean
  onClose: () => void
  title: string
  description?: string
  wide?: boolean
  role?: 'dialog' | 'alertdialog'
  testId?: string
  children: JSX.Element
}) {
  const id = `ct-dialog-${++ids}`
  let el: HTMLDialogElement | undefined
  let returnTo: Element | null = null
  createEffect(() => {
    if (!el) return
    if (props.open && !el.open) {
      returnTo = document.activeElement
      el.showModal()
      // The first field, else the first action (showModal alone would focus the close button).
      const first = el.querySelector<HTMLElement>('[data-autofocus], input:not([type=hidden]):not([disabled]), select, textarea') ?? el.querySelector<HTMLElement>('.dialog-actions button')
      first?.focus()
    } else if (!props.open && el.open) {
      el.close()
    }
  })
  onCleanup(() => el?.open && el.close())
  return (
    <dialog
      ref={el}
      class={`dialog ct-dialog${props.wide ? ' dialog-wide' : ''}`}
      role={props.role ?? 'dialog'}
      aria-labelledby={`${id}-title`}
      aria-describedby={props.description ? `${id}-desc` : undefined}
      data-testid={props.testId}
      onCancel={(e) => {
        // The owner decides (it may be busy); the element closes when `open` turns false.
        e.preventDefault()
        props.onClose()
      }}
      onClose={() => {
        if (returnTo instanceof HTMLElement && returnTo.isConnected) returnTo.focus()
        returnTo = null
      }}
    >
      <div class="dialog-header">
        <h2 class="dialog-title" id={`${id}-title`}>
          {props.title}
        </h2>
        <button type="button" class="btn btn-icon" aria-label={props.host.t('contacts.close')} onClick={() => props.onClose()}>
          <span aria-hidden="true">✕</span>
        </button>
      </div>
      <Show when={props.description}>
        <p class="muted" id={`${id}-desc`}>
          {props.description}
        </p>
      </Show>
      <Show when={props.open}>{props.children}</Show>
    </dialog>
  )
}

/** A yes/no question; when `onConfirm` throws, the error shows in the dialog, which stays open. */
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
    <Dialog host={props.host} open={props.open} onClose={close} title={props.title} description={props.description} role="alertdialog" testId="ct-confirm">
      <Show when={error()}>
        <p class="field-error" role="alert">
          {errorText(props.host, error())}
        </p>
      </Show>
      <div class="dialog-actions">
        <button type="button" class="btn" onClick={close} data-autofocus>
          {props.host.t('contacts.cancel')}
        </button>
        <button type="button" class={`btn ${props.danger ? 'btn-danger' : 'btn-primary'}`} disabled={busy()} onClick={() => void run()} data-testid="ct-confirm-ok">
          {props.confirmLabel}
        </button>
      </div>
    </Dialog>
  )
}
