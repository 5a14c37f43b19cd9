// Dialogs on Kobalte: focus trapped inside, Escape and the close button dismiss, focus returns.
import { AlertDialog } from '@kobalte/core/alert-dialog'
import { Dialog } from '@kobalte/core/dialog'
import { createSignal, Show, type JSX } from 'solid-js'
import { errorText, t } from '../lib/i18n.ts'
import { Icon } from './Icon.tsx'

export function Modal(props: { open: boolean; onOpenChange: (open: boolean) => void; title: string; description?: string; children: JSX.Element; wide?: boolean }) {
  return (
    <Dialog open={props.open} onOpenChange={props.onOpenChange}>
      <Dialog.Portal>
        <Dialog.Overlay class="dialog-overlay" />
        <div class="dialog-positioner">
          <Dialog.Content class={`dialog${props.wide ? ' dialog-wide' : ''}`}>
            <div class="dialog-header">
              <Dialog.Title class="dialog-title">{props.title}</Dialog.Title>
              <Dialog.CloseButton class="btn btn-icon" aria-label={t('common.close')}>
                <Icon name="close" />
              </Dialog.CloseButton>
            </div>
            <Show when={props.description}>
              <Dialog.Description class="muted">{props.description}</Dialog.Description>
            </Show>
            {props.children}
          </Dialog.Content>
        </div>
      </Dialog.Portal>
    </Dialog>
  )
}

/** A yes/no question; `onConfirm` may throw: the error is shown in the dialog. */
export function Confirm(props: {
  open: boolean
  onOpenChange: (open: boolean) => void
  title: string
  description: string
  confirmLabel: string
  danger?: boolean
  onConfirm: () => Promise<void> | void
}) {
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<unknown>(null)
  const run = async () => {
    setBusy(true)
    setError(null)
    try {
      await props.onConfirm()
      props.onOpenChange(false)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return (
    <AlertDialog
      open={props.open}
      onOpenChange={(open) => {
        if (!open) setError(null)
        props.onOpenChange(open)
      }}
    >
      <AlertDialog.Portal>
        <AlertDialog.Overlay class="dialog-overlay" />
        <div class="dialog-positioner">
          <AlertDialog.Content class="dialog">
            <AlertDialog.Title class="dialog-title">{props.title}</AlertDialog.Title>
            <AlertDialog.Description class="muted">{props.description}</AlertDialog.Description>
            <Show when={error()}>
              <p class="field-error" role="alert">
                {errorText(error())}
              </p>
            </Show>
            <div class="dialog-actions">
              <AlertDialog.CloseButton class="btn">{t('common.cancel')}</AlertDialog.CloseButton>
              <button type="button" class={`btn ${props.danger ? 'btn-danger' : 'btn-primary'}`} disabled={busy()} onClick={run}>
                {props.confirmLabel}
              </button>
            </div>
          </AlertDialog.Content>
        </div>
      </AlertDialog.Portal>
    </AlertDialog>
  )
}
