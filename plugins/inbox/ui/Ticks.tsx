// Delivery ticks of an outbound message: queued ⏱, sent ✓, delivered ✓✓, read ✓✓ (accent), failed ⚠.
import { Show } from 'solid-js'
import type { UiHost } from '@sapa/sdk/ui'

const glyph: Record<string, string> = { queued: '⏱', sending: '⏱', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '⚠' }

export function Ticks(props: { host: UiHost; status: string | null; error?: string | null; compact?: boolean }) {
  const status = () => props.status ?? 'queued'
  const label = () => props.host.t(`inbox.tick.${status()}`)
  return (
    <span class={`inbox-ticks inbox-ticks-${status()}`} data-testid="ticks" data-status={status()} title={props.error ? `${label()}: ${props.error}` : label()}>
      <span aria-hidden="true">{glyph[status()] ?? '⏱'}</span>
      <span class="sr-only">{label()}</span>
      <Show when={!props.compact && status() === 'failed'}>
        <span class="inbox-tick-error" data-testid="tick-error">
          {props.error || label()}
        </span>
      </Show>
    </span>
  )
}
