import { Dialog } from '@kobalte/core/dialog'
import { createSignal, type JSX } from 'solid-js'
import { t } from '../lib/i18n.ts'
import { Icon } from './Icon.tsx'
import { Nav } from './Nav.tsx'
import { TopBar } from './TopBar.tsx'

export function Layout(props: { children: JSX.Element }) {
  const [menuOpen, setMenuOpen] = createSignal(false)
  return (
    <div class="layout">
      <a class="skip-link" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        {t('nav.skip')}
      </a>
      <TopBar menuOpen={menuOpen()} onMenu={() => setMenuOpen(true)} />
      <aside class="sidebar">
        <Nav />
      </aside>
      <Dialog open={menuOpen()} onOpenChange={setMenuOpen}>
        <Dialog.Portal>
          <Dialog.Overlay class="dialog-overlay" />
          <Dialog.Content class="drawer" id="mobile-nav" aria-label={t('nav.main')}>
            <div class="drawer-header">
              <Dialog.Title class="dialog-title">Sapa</Dialog.Title>
              <Dialog.CloseButton class="btn btn-icon" aria-label={t('nav.close')}>
                <Icon name="close" />
              </Dialog.CloseButton>
            </div>
            <Nav onNavigate={() => setMenuOpen(false)} />
          </Dialog.Content>
        </Dialog.Portal>
      </Dialog>
      <main id="main" class="main" tabindex="-1">
        {props.children}
      </main>
    </div>
  )
}
