// Every plugin page and slot fragment renders inside one of these: a broken plugin shows a
// message in its own spot and the rest of the app keeps working.
import { ErrorBoundary, Suspense, type JSX } from 'solid-js'
import { t } from '../lib/i18n.ts'
import { Icon } from './Icon.tsx'
import { Loading } from './States.tsx'

export function PluginBoundary(props: { plugin: string; compact?: boolean; children: JSX.Element }) {
  return (
    <ErrorBoundary
      fallback={(err, reset) => {
        console.error(`plugin "${props.plugin}" failed`, err)
        return (
          <div class={`plugin-error${props.compact ? ' compact' : ''}`} role="alert" data-plugin-error={props.plugin}>
            <Icon name="alert" />
            <div>
              <strong>{t('plugin.failed', { plugin: props.plugin })}</strong>
              <p class="muted">{err instanceof Error ? err.message : String(err)}</p>
              <button type="button" class="btn btn-small" onClick={reset}>
                {t('common.retry')}
              </button>
            </div>
          </div>
        )
      }}
    >
      <Suspense fallback={<Loading />}>{props.children}</Suspense>
    </ErrorBoundary>
  )
}
