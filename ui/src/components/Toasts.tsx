import { For } from 'solid-js'
import { dismiss, toasts } from '../lib/toast.ts'
import { t } from '../lib/i18n.ts'
import { Icon } from './Icon.tsx'

export function Toasts() {
  return (
    <div class="toasts" aria-live="polite" aria-relevant="additions">
      <For each={toasts()}>
        {(item) => (
          <div class={`toast toast-${item.kind}`} role={item.kind === 'error' ? 'alert' : 'status'}>
            <span>{item.message}</span>
            <button type="button" class="btn btn-icon" aria-label={t('common.dismiss')} onClick={() => dismiss(item.id)}>
              <Icon name="close" size={16} />
            </button>
          </div>
        )}
      </For>
    </div>
  )
}
