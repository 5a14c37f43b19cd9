import { For, Show } from 'solid-js'
import { Slot } from '../components/Slot.tsx'
import { Empty, PageHeader } from '../components/States.tsx'
import { Link } from '../components/Link.tsx'
import { Icon } from '../components/Icon.tsx'
import { locale, t } from '../lib/i18n.ts'
import { manifestState, pluginNav, slotFragments } from '../lib/plugins.ts'
import { can, me } from '../lib/session.ts'

export default function Home() {
  return (
    <section>
      <PageHeader title={t('home.title', { name: me()?.user?.name ?? '' })} description={t('home.subtitle', { workspace: me()?.tenant.name ?? '', role: me()?.role.name ?? '' })} />
      <Show when={pluginNav().length} fallback={
        <Show when={manifestState() === 'ready'}>
          <Empty title={t('home.noModules')}>
            <Show when={can('kernel.plugins.view')}>
              <Link href="/settings/modules">{t('home.openModules')}</Link>
            </Show>
          </Empty>
        </Show>
      }>
        <ul class="cards" aria-label={t('home.modules')}>
          <For each={pluginNav()}>
            {({ item }) => (
              <li>
                <Link href={item.path} class="card card-link">
                  <Icon name={item.icon} />
                  <span>{item.label[locale()] || item.label.en}</span>
                </Link>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <Show when={slotFragments('dashboard.widgets').length}>
        <div class="widgets">
          <Slot name="dashboard.widgets" />
        </div>
      </Show>
    </section>
  )
}
