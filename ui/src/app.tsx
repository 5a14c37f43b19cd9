import { createEffect, createMemo, Match, on, Show, Suspense, Switch } from 'solid-js'
import { Dynamic } from 'solid-js/web'
import { Layout } from './components/Layout.tsx'
import { PluginBoundary } from './components/Boundary.tsx'
import { Loading, ErrorNote, Empty } from './components/States.tsx'
import { Toasts } from './components/Toasts.tsx'
import { locale, t } from './lib/i18n.ts'
import { location, navigate } from './lib/router.ts'
import { can, loadError, loadMe, me, onSessionChange, status } from './lib/session.ts'
import { clearManifest, manifestError, manifestState, matchPluginPage, reloadManifest } from './lib/plugins.ts'
import { onRealtimeLoggedOut, restartRealtime, stopRealtime } from './lib/realtime.ts'
import { settingsPages } from './settings-pages.ts'
import Login from './pages/Login.tsx'
import Home from './pages/Home.tsx'
import SettingsOverview from './pages/SettingsOverview.tsx'
import PluginPage from './pages/PluginPage.tsx'
import { Link } from './components/Link.tsx'

type Route =
  | { kind: 'home' }
  | { kind: 'settings' }
  | { kind: 'setting'; page: (typeof settingsPages)[number] }
  | { kind: 'plugin'; match: NonNullable<ReturnType<typeof matchPluginPage>> }
  | { kind: 'not-found' }

function Forbidden() {
  return (
    <Empty title={t('page.forbidden')}>
      <Link href="/">{t('page.backHome')}</Link>
    </Empty>
  )
}

function NotFound() {
  return (
    <Empty title={t('page.notFound')}>
      <Link href="/">{t('page.backHome')}</Link>
    </Empty>
  )
}

function SignedIn() {
  const route = createMemo<Route>(() => {
    const path = location().path
    if (path === '/') return { kind: 'home' }
    if (path === '/settings') return { kind: 'settings' }
    const page = settingsPages.find((p) => p.path === path)
    if (page) return { kind: 'setting', page }
    const match = matchPluginPage(path)
    return match ? { kind: 'plugin', match } : { kind: 'not-found' }
  })
  createEffect(() => {
    const r = route()
    const title = r.kind === 'setting' ? t(r.page.label) : r.kind === 'plugin' ? r.match.item.label[locale()] || r.match.item.label.en : r.kind === 'settings' ? t('nav.settings') : ''
    document.title = title ? `${title} · Sapa` : `${me()?.tenant.name ?? ''} · Sapa`
  })
  return (
    <Layout>
      <Show when={manifestState() === 'error'}>
        <ErrorNote title={t('plugin.manifestFailed')} error={manifestError()} retry={() => void reloadManifest()} />
      </Show>
      <Suspense fallback={<Loading />}>
        <Switch fallback={manifestState() === 'ready' || manifestState() === 'error' ? <NotFound /> : <Loading />}>
          <Match when={route().kind === 'home'}>
            <Home />
          </Match>
          <Match when={route().kind === 'settings'}>
            <SettingsOverview />
          </Match>
          <Match when={(() => { const r = route(); return r.kind === 'setting' ? r.page : null })()} keyed>
            {(page) => (
              <Show when={can(page.permission)} fallback={<Forbidden />}>
                <Dynamic component={page.component} />
              </Show>
            )}
          </Match>
          <Match when={(() => { const r = route(); return r.kind === 'plugin' ? r.match : null })()}>
            {(match) => (
              <Show when={`${match().plugin.name}:${match().item.id}:${match().plugin.module}`} keyed>
                <PluginBoundary plugin={match().plugin.name}>
                  <PluginPage plugin={match().plugin} item={match().item} params={match().params} />
                </PluginBoundary>
              </Show>
            )}
          </Match>
        </Switch>
      </Suspense>
    </Layout>
  )
}

export default function App() {
  onSessionChange((reason) => {
    if (reason === 'signed-out') {
      stopRealtime()
      clearManifest()
      return
    }
    restartRealtime()
    if (reason === 'switched') void reloadManifest()
  })
  onRealtimeLoggedOut(() => void loadMe())

  // Signed out (or the session ended): the login page, remembering where we were.
  createEffect(
    on(status, (s) => {
      const path = location().path
      if (s === 'signed-out' && path !== '/login') navigate(`/login${path !== '/' ? `?next=${encodeURIComponent(path + location().search)}` : ''}`, { replace: true })
      if (s === 'ready') {
        if (manifestState() === 'idle') void reloadManifest()
        if (path === '/login') navigate(new URLSearchParams(location().search).get('next') || '/', { replace: true })
      }
    }),
  )

  void loadMe()

  return (
    <>
      <Switch>
        <Match when={status() === 'loading'}>
          <div class="splash">
            <Loading />
          </div>
        </Match>
        <Match when={status() === 'error'}>
          <div class="splash">
            <ErrorNote title={t('app.cannotStart')} error={loadError()} retry={() => void loadMe()} />
          </div>
        </Match>
        <Match when={status() === 'signed-out'}>
          <Login />
        </Match>
        <Match when={status() === 'ready' && me()}>
          <SignedIn />
        </Match>
      </Switch>
      <Toasts />
    </>
  )
}
