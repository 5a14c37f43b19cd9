import { For, Show } from 'solid-js'
import { locale, t } from '../lib/i18n.ts'
import { pluginNav } from '../lib/plugins.ts'
import { can } from '../lib/session.ts'
import { settingsPages } from '../settings-pages.ts'
import { Icon } from './Icon.tsx'
import { Link } from './Link.tsx'

export function Nav(props: { onNavigate?: () => void; id?: string }) {
  const settings = () => settingsPages.filter((p) => can(p.permission))
  return (
    <nav class="nav" aria-label={t('nav.main')} id={props.id}>
      <ul>
        <li>
          <Link href="/" data-nav="home" onNavigate={props.onNavigate}>
            <Icon name="home" />
            <span>{t('nav.home')}</span>
          </Link>
        </li>
        <For each={pluginNav()}>
          {({ plugin, item }) => (
            <li>
              <Link href={item.path} data-nav={`${plugin.name}:${item.id}`} onNavigate={props.onNavigate}>
                <Icon name={item.icon} />
                <span>{item.label[locale()] || item.label.en}</span>
              </Link>
            </li>
          )}
        </For>
      </ul>
      <Show when={settings().length}>
        <h2 class="nav-heading">{t('nav.settings')}</h2>
        <ul>
          <For each={settings()}>
            {(page) => (
              <li>
                <Link href={page.path} data-nav={`settings:${page.id}`} onNavigate={props.onNavigate}>
                  <Icon name={page.icon} />
                  <span>{t(page.label)}</span>
                </Link>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </nav>
  )
}
