// One contact: details and attributes (edit), labels, notes, opt-in/out history, merge, delete,
// and what other plugins attach to `contacts.detail.tabs`.
import { createResource, createSignal, For, Show } from 'solid-js'
import { isApiError, type UiHost } from '@sapa/sdk/ui'
import { showValue } from './attributes.tsx'
import { createCatalog } from './catalog.ts'
import { ContactConsent } from './ContactConsent.tsx'
import { ContactForm } from './ContactForm.tsx'
import { ContactLabels } from './ContactLabels.tsx'
import { ContactNotes } from './ContactNotes.tsx'
import { Confirm } from '@sapa/sdk/ui/dialog'
import { errorText } from './util.ts'
import { MergeDialog } from './MergeDialog.tsx'
import { Empty, ErrorNote, Loading } from './States.tsx'
import { PERM, type Contact } from './types.ts'
import { contactTitle, formatDate } from './util.ts'

export function ContactDetail(props: { host: UiHost; id: string }) {
  const host = props.host
  const t = host.t
  const catalog = createCatalog(host)
  const [contact, { mutate, refetch }] = createResource(() => props.id, (id) => host.api<Contact>(`/api/contacts/${id}`))
  const [editing, setEditing] = createSignal(false)
  const [merging, setMerging] = createSignal(false)
  const [deleting, setDeleting] = createSignal(false)
  // A merge moves notes and history onto this contact: their lists load again.
  const [version, setVersion] = createSignal(1)
  const mergedInto = () => {
    const err = contact.error
    return isApiError(err) && err.code === 'contact_not_found' ? ((err.details as { mergedInto?: string } | undefined)?.mergedInto ?? null) : null
  }
  const notFound = () => isApiError(contact.error) && contact.error.status === 404

  return (
    <section class="page ct-page" data-testid="contact-detail">
      <nav class="ct-back">
        <a href="/contacts">← {t('contacts.title')}</a>
      </nav>
      <Show when={contact.error}>
        <Show when={notFound()} fallback={<ErrorNote host={host} error={contact.error} retry={() => void refetch()} />}>
          <Empty title={t('contacts.detail.notFound')}>
            <Show when={mergedInto()}>
              <p>
                {t('contacts.detail.merged')} <a href={`/contacts/${mergedInto()}`}>{t('contacts.detail.openMerged')}</a>
              </p>
            </Show>
          </Empty>
        </Show>
      </Show>
      <Show when={!contact.error && contact.latest} fallback={<Show when={!contact.error}>{<Loading host={host} />}</Show>}>
        {(c) => (
          <>
            <header class="page-header">
              <div class="ct-title">
                <h1 data-testid="contact-title">{contactTitle(c())}</h1>
                <p class="muted mono">{c().phone}</p>
              </div>
              <div class="page-actions ct-actions">
                <Show when={host.can(PERM.update)}>
                  <button type="button" class="btn" onClick={() => setEditing(true)} data-testid="contact-edit">
                    {t('contacts.edit')}
                  </button>
                </Show>
                <Show when={host.can(PERM.merge)}>
                  <button type="button" class="btn" onClick={() => setMerging(true)} data-testid="contact-merge">
                    {t('contacts.merge.button')}
                  </button>
                </Show>
                <Show when={host.can(PERM.delete)}>
                  <button type="button" class="btn btn-danger-outline" onClick={() => setDeleting(true)} data-testid="contact-delete">
                    {t('contacts.delete')}
                  </button>
                </Show>
              </div>
            </header>

            <div class="ct-detail-grid">
              <div class="ct-detail-main">
                <section class="card ct-card" aria-labelledby="ct-details-title">
                  <h2 id="ct-details-title">{t('contacts.detail.details')}</h2>
                  <dl class="ct-dl">
                    <dt>{t('contacts.field.phone')}</dt>
                    <dd class="mono">{c().phone}</dd>
                    <dt>{t('contacts.field.email')}</dt>
                    <dd>{c().email ?? '—'}</dd>
                    <dt>{t('contacts.field.lastContacted')}</dt>
                    <dd>{c().lastContactedAt ? formatDate(host, c().lastContactedAt) : t('contacts.never')}</dd>
                    <dt>{t('contacts.field.created')}</dt>
                    <dd>{formatDate(host, c().createdAt)}</dd>
                    <dt>{t('contacts.field.updated')}</dt>
                    <dd>{formatDate(host, c().updatedAt)}</dd>
                  </dl>
                </section>

                <section class="card ct-card" aria-labelledby="ct-attrs-title" data-testid="contact-attributes">
                  <div class="ct-card-header">
                    <h2 id="ct-attrs-title">{t('contacts.attributes.title')}</h2>
                    <Show when={host.can(PERM.update) && catalog.attributes()?.length}>
                      <button type="button" class="btn btn-small" onClick={() => setEditing(true)}>
                        {t('contacts.edit')}
                      </button>
                    </Show>
                  </div>
                  <Show when={catalog.attributes()} fallback={<Loading host={host} />}>
                    <Show when={catalog.attributes()!.length} fallback={<p class="muted">{t('contacts.attributes.none')}</p>}>
                      <dl class="ct-dl">
                        <For each={catalog.attributes()}>
                          {(def) => (
                            <>
                              <dt>{def.label}</dt>
                              <dd data-attribute-value={def.key}>{showValue(host, def, c().attributes[def.key])}</dd>
                            </>
                          )}
                        </For>
                      </dl>
                    </Show>
                  </Show>
                </section>

                <Show when={version()} keyed>
                  <ContactNotes host={host} contactId={c().id} />
                </Show>
              </div>
              <div class="ct-detail-side">
                <ContactLabels host={host} contact={c()} catalog={catalog} onChange={mutate} />
                <Show when={version()} keyed>
                  <ContactConsent host={host} contact={c()} onChange={mutate} />
                </Show>
              </div>
            </div>

            <section class="ct-slot" aria-label={t('contacts.detail.more')}>
              <host.Slot name="contacts.detail.tabs" context={{ contactId: c().id }} />
            </section>

            <ContactForm
              host={host}
              open={editing()}
              onClose={() => setEditing(false)}
              contact={c()}
              attributes={catalog.attributes() ?? []}
              onSaved={(saved) => {
                mutate(saved)
                setEditing(false)
                host.toast(t('contacts.saved'), 'success')
              }}
            />
            <MergeDialog
              host={host}
              open={merging()}
              onClose={() => setMerging(false)}
              into={c()}
              onMerged={(merged) => {
                mutate(merged)
                setMerging(false)
                setVersion((v) => v + 1)
                host.toast(t('contacts.merge.done'), 'success')
              }}
            />
            <Confirm
        testId="ct-confirm"
        errorText={(err) => errorText(host, err)}
              host={host}
              open={deleting()}
              onClose={() => setDeleting(false)}
              title={t('contacts.detail.deleteTitle', { name: contactTitle(c()) })}
              description={t('contacts.detail.deleteText')}
              confirmLabel={t('contacts.delete')}
              danger
              onConfirm={async () => {
                await host.api(`/api/contacts/${c().id}`, { method: 'DELETE' })
                host.toast(t('contacts.detail.deleted', { name: contactTitle(c()) }), 'success')
                host.navigate('/contacts')
              }}
            />
          </>
        )}
      </Show>
    </section>
  )
}
