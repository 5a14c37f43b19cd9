// The customer as the contacts plugin knows them, through its HTTP API (never its files). Shown only
// to those with contacts.contact.view; a contact merged away or deleted says so.
import { createEffect, For, on, Show } from 'solid-js'
import { isApiError, type UiHost } from '@sapa/sdk/ui'
import { createLoad } from './load.ts'

interface ContactView {
  id: string
  name: string | null
  phone: string
  email: string | null
  attributes: Record<string, unknown>
  labels: { id: string; name: string; color: string | null }[]
  optedOut: boolean
}

interface AttributeDef {
  key: string
  label: string
  type: string
}

function valueText(host: UiHost, value: unknown): string {
  if (typeof value === 'boolean') return host.t(value ? 'inbox.contact.yes' : 'inbox.contact.no')
  if (value === null || value === undefined) return ''
  return String(value)
}

export function ContactCard(props: { host: UiHost; contactId: string }) {
  const t = props.host.t
  const contact = createLoad(() => props.host.api<ContactView>(`/api/contacts/${props.contactId}`))
  // A merge can move the conversation to another contact.
  createEffect(on(() => props.contactId, () => void contact.reload(), { defer: true }))
  // Attribute names are a nicety: without them the keys are shown.
  const defs = createLoad(() => props.host.api<{ items: AttributeDef[] }>('/api/contacts/attributes').then((r) => r.items).catch(() => [] as AttributeDef[]))
  const labelOf = (key: string) => defs.value()?.find((d) => d.key === key)?.label ?? key
  const attributes = () => Object.entries(contact.value()?.attributes ?? {}).filter(([, v]) => v !== null && v !== '')
  const notFound = () => isApiError(contact.error()) && (contact.error() as { status: number }).status === 404

  return (
    <section class="inbox-panel-section" data-testid="contact-card" aria-labelledby="inbox-contact-title">
      <h3 class="inbox-section-title" id="inbox-contact-title">
        {t('inbox.contact.title')}
      </h3>
      <Show when={contact.loading() && !contact.value()}>
        <p class="muted small" role="status">
          {t('inbox.loading')}
        </p>
      </Show>
      <Show when={contact.error()}>
        <Show
          when={notFound()}
          fallback={
            <div class="note note-error" role="alert">
              <div>
                {isApiError(contact.error()) ? (contact.error() as Error).message : t('inbox.error.load')}{' '}
                <button type="button" class="btn btn-link" onClick={() => void contact.reload()}>
                  {t('inbox.retry')}
                </button>
              </div>
            </div>
          }
        >
          <p class="muted small">{t('inbox.contact.notFound')}</p>
        </Show>
      </Show>
      <Show when={!contact.error() && contact.value()}>
        {(c) => (
          <dl class="inbox-facts">
            <dt>{t('inbox.contact.name')}</dt>
            <dd data-testid="contact-name">{c().name || '—'}</dd>
            <dt>{t('inbox.contact.phone')}</dt>
            <dd>{c().phone}</dd>
            <Show when={c().email}>
              <dt>{t('inbox.contact.email')}</dt>
              <dd>{c().email}</dd>
            </Show>
            <For each={attributes()}>
              {([key, value]) => (
                <>
                  <dt>{labelOf(key)}</dt>
                  <dd>{valueText(props.host, value)}</dd>
                </>
              )}
            </For>
            <Show when={c().labels.length}>
              <dt>{t('inbox.contact.labels')}</dt>
              <dd>
                <ul class="inbox-chips">
                  <For each={c().labels}>
                    {(l) => (
                      <li class="inbox-chip" style={l.color ? { 'border-color': l.color } : undefined}>
                        <Show when={l.color}>
                          <span class="inbox-chip-dot" style={{ background: l.color! }} aria-hidden="true" />
                        </Show>
                        {l.name}
                      </li>
                    )}
                  </For>
                </ul>
              </dd>
            </Show>
            <Show when={c().optedOut}>
              <dt>{t('inbox.contact.consent')}</dt>
              <dd>
                <span class="badge inbox-badge-warn">{t('inbox.contact.optedOut')}</span>
              </dd>
            </Show>
          </dl>
        )}
      </Show>
    </section>
  )
}
