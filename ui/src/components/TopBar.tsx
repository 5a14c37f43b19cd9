import { DropdownMenu } from '@kobalte/core/dropdown-menu'
import { For, Show } from 'solid-js'
import { errorText, LOCALES, locale, setLocale, t } from '../lib/i18n.ts'
import { logout, me, switchTenant } from '../lib/session.ts'
import { theme, toggleTheme } from '../lib/theme.ts'
import { toast } from '../lib/toast.ts'
import { navigate } from '../lib/router.ts'
import { Icon } from './Icon.tsx'

function TenantSwitcher() {
  const others = () => (me()?.tenants ?? []).filter((x) => x.id !== me()?.tenant.id)
  const pick = async (id: string, name: string) => {
    try {
      await switchTenant(id)
      navigate('/')
      toast(t('tenant.switched', { name }), 'success')
    } catch (err) {
      toast(errorText(err), 'error')
    }
  }
  return (
    <DropdownMenu>
      <DropdownMenu.Trigger class="btn tenant-trigger" aria-label={t('tenant.switch')} data-testid="tenant-switcher">
        <span class="tenant-name">{me()?.tenant.name}</span>
        <Icon name="chevron" size={16} />
      </DropdownMenu.Trigger>
      <DropdownMenu.Portal>
        <DropdownMenu.Content class="menu">
          <DropdownMenu.Group>
            <DropdownMenu.GroupLabel class="menu-label">{t('tenant.current')}</DropdownMenu.GroupLabel>
            <DropdownMenu.Item class="menu-item" disabled>
              <Icon name="check" size={16} />
              {me()?.tenant.name}
            </DropdownMenu.Item>
          </DropdownMenu.Group>
          <Show when={others().length} fallback={<p class="menu-note">{t('tenant.onlyOne')}</p>}>
            <DropdownMenu.Separator class="menu-separator" />
            <DropdownMenu.Group>
              <DropdownMenu.GroupLabel class="menu-label">{t('tenant.switchTo')}</DropdownMenu.GroupLabel>
              <For each={others()}>
                {(x) => (
                  <DropdownMenu.Item class="menu-item" onSelect={() => void pick(x.id, x.name)} data-tenant={x.slug}>
                    <span class="menu-spacer" />
                    {x.name}
                  </DropdownMenu.Item>
                )}
              </For>
            </DropdownMenu.Group>
          </Show>
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu>
  )
}

function LanguageSwitch() {
  return (
    <div class="segmented" role="group" aria-label={t('common.language')}>
      <For each={LOCALES}>
        {(l) => (
          <button type="button" lang={l.key} aria-pressed={locale() === l.key} title={l.label} aria-label={l.label} onClick={() => setLocale(l.key)} data-locale={l.key}>
            {l.short}
          </button>
        )}
      </For>
    </div>
  )
}

function UserMenu() {
  const initials = () =>
    (me()?.user?.name ?? '?')
      .split(/\s+/)
      .map((w) => w[0])
      .slice(0, 2)
      .join('')
      .toUpperCase()
  return (
    <DropdownMenu>
      <DropdownMenu.Trigger class="btn avatar" aria-label={t('user.menu')} data-testid="user-menu">
        {initials()}
      </DropdownMenu.Trigger>
      <DropdownMenu.Portal>
        <DropdownMenu.Content class="menu">
          <div class="menu-user">
            <strong>{me()?.user?.name}</strong>
            <span class="muted">{me()?.user?.email}</span>
            <span class="badge">{me()?.role.name}</span>
          </div>
          <DropdownMenu.Separator class="menu-separator" />
          <DropdownMenu.Item class="menu-item" onSelect={() => void logout().then(() => navigate('/login'))} data-testid="sign-out">
            <Icon name="logout" size={16} />
            {t('user.signOut')}
          </DropdownMenu.Item>
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu>
  )
}

export function TopBar(props: { menuOpen: boolean; onMenu: () => void }) {
  return (
    <header class="topbar">
      <button type="button" class="btn btn-icon menu-button" aria-label={t('nav.open')} aria-expanded={props.menuOpen} aria-controls="mobile-nav" onClick={() => props.onMenu()}>
        <Icon name="menu" />
      </button>
      <a class="brand" href="/" aria-label="Sapa">
        <svg width="26" height="26" viewBox="0 0 32 32" aria-hidden="true">
          <rect width="32" height="32" rx="8" fill="var(--accent)" />
          <path d="M9 22.5 10.4 18A8 8 0 1 1 14 21.6Z" fill="#fff" />
        </svg>
        <span>Sapa</span>
      </a>
      <TenantSwitcher />
      <span class="topbar-spacer" />
      <LanguageSwitch />
      <button type="button" class="btn btn-icon" onClick={toggleTheme} aria-label={theme() === 'dark' ? t('theme.toLight') : t('theme.toDark')} data-testid="theme-toggle">
        <Icon name={theme() === 'dark' ? 'sun' : 'moon'} />
      </button>
      <UserMenu />
    </header>
  )
}

export { LanguageSwitch }
