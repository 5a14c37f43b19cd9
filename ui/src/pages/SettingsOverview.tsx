import { For, Show } from 'solid-js'
import { Slot } from '../components/Slot.tsx'
import { PageHeader } from '../components/States.tsx'
import { Link } from '../components/Link.tsx'
import { Icon } from '../components/Icon.tsx'
import { t } from '../lib/i18n.ts'
import { slotFragments } from '../lib/plugins.ts'
import { can } from '../lib/session.ts'
import { settingsPages } from '../settings-pages.ts'

export default function SettingsOverview() {
  return (
    <section>
      <PageHeader title={t('nav.settings')} />
      <ul class="cards">
        <For each={settingsPages.filter((p) => can(p.permission))}>
          {(page) => (
            <li>
              <Link href={page.path} class="card card-link">
                <Icon name={page.icon} />
                <span>{t(page.label)}</span>
              </Link>
            </li>
          )}
        </For>
      </ul>
      <Show when={slotFragments('settings.sections').length}>
        <h2>{t('settings.fromModules')}</h2>
        <div class="sections">
          <Slot name="settings.sections" />
        </div>
      </Show>
    </section>
  )
}
