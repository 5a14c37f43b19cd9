// @sapa/sdk/ui/dialog — accessible dialogs for plugin pages, on the native <dialog>: showModal()
// makes the page behind inert and keeps focus inside, Escape closes (the `cancel` event), and focus
// returns to what opened it. Built into each plugin module that imports it (Solid stays shared).
import { createEffect, createSignal, onCleanup, Show, type JSX } from 'solid-js'
import { isApiError, type UiHost } from '../ui.ts'

let ids = 0

export interface DialogProps {
  host: UiHost
  open: boolean
  /** Escape, the ✕ button: the owner decides (it may be busy); the dialog closes when `open` turns false. */
  onClose: () => void
  title: string
  description?: string
  wide?: boolean
  role?: 'dialog' | 'alertdialog'
  /** An extra class for the plugin's own styling. */
  class?: string
  testId?: string
  children: JSX.Element
}

export function Dialog(props: DialogProps) {
  const id = `sapa-dialog-${++ids}`
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
      class={`dialog${props.wide ? ' dialog-wide' : ''}${props.class ? ` ${props.class}` : ''}`}
      role={props.role ?? 'dialog'}
      aria-labelledby={`${id}-title`}
      aria-describedby={props.description ? `${id}-desc` : undefined}
      data-testid={props.testId}
      onCancel={(e) => {
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
        <button type="button" class="btn btn-icon" aria-label={props.host.t('common.close')} onClick={() => props.onClose()}>
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

export interface ConfirmProps {
  host: UiHost
  open: boolean
  onClose: () => void
  title: string
  description: string
  confirmLabel: string
  danger?: boolean
  /** May throw: the error is shown in the dialog, which stays open. */
  onConfirm: () => Promise<void>
  /** How an error reads (default: the API's message). */
  errorText?: (err: unknown) => string
  class?: string
  testId?: string
}

/** A yes/no question. The OK button's test id is `<testId>-ok`. */
export function Confirm(props: ConfirmProps) {
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<unknown>(null)
  const describe = (err: unknown) => props.errorText?.(err) ?? (isApiError(err) ? err.message : String((err as Error)?.message ?? err))
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
  const testId = () => props.testId ?? 'confirm'
  return (
    <Dialog host={props.host} open={props.open} onClose={close} title={props.title} description={props.description} role="alertdialog" class={props.class} testId={testId()}>
      <Show when={error()}>
        <p class="field-error" role="alert">
          {describe(error())}
        </p>
      </Show>
      <div class="dialog-actions">
        <button type="button" class="btn" onClick={close} data-autofocus>
          {props.host.t('common.cancel')}
        </button>
        <button type="button" class={`btn ${props.danger ? 'btn-danger' : 'btn-primary'}`} disabled={busy()} onClick={() => void run()} data-testid={`${testId()}-ok`}>
          {props.confirmLabel}
        </button>
      </div>
    </Dialog>
  )
}
