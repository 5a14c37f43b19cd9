import { createSignal, Show } from 'solid-js'
import { errorText, t } from '../lib/i18n.ts'
import { login, signedOutReason } from '../lib/session.ts'
import { LanguageSwitch } from '../components/TopBar.tsx'
import { theme, toggleTheme } from '../lib/theme.ts'
import { Icon } from '../components/Icon.tsx'

export default function Login() {
  const [email, setEmail] = createSignal('')
  const [password, setPassword] = createSignal('')
  const [workspace, setWorkspace] = createSignal('')
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<unknown>(null)
  document.title = 'Sapa'

  const submit = async (e: SubmitEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await login(email().trim(), password(), workspace().trim() || undefined)
    } catch (err) {
      setError(err)
      setBusy(false)
    }
  }

  return (
    <div class="login">
      <div class="login-tools">
        <LanguageSwitch />
        <button type="button" class="btn btn-icon" onClick={toggleTheme} aria-label={theme() === 'dark' ? t('theme.toLight') : t('theme.toDark')}>
          <Icon name={theme() === 'dark' ? 'sun' : 'moon'} />
        </button>
      </div>
      <main class="login-card">
        <div class="login-brand">
          <svg width="40" height="40" viewBox="0 0 32 32" aria-hidden="true">
            <rect width="32" height="32" rx="8" fill="var(--accent)" />
            <path d="M9 22.5 10.4 18A8 8 0 1 1 14 21.6Z" fill="#fff" />
          </svg>
          <h1>{t('login.title')}</h1>
        </div>
        <Show when={signedOutReason()}>
          <p class="note note-info" role="status">
            {t(signedOutReason() === 'csrf' ? 'login.csrf' : 'login.expired')}
          </p>
        </Show>
        <form onSubmit={submit} novalidate={false} aria-describedby={error() ? 'login-error' : undefined}>
          <label class="field">
            <span>{t('login.email')}</span>
            <input name="email" type="email" autocomplete="username" required value={email()} onInput={(e) => setEmail(e.currentTarget.value)} />
          </label>
          <label class="field">
            <span>{t('login.password')}</span>
            <input name="password" type="password" autocomplete="current-password" required value={password()} onInput={(e) => setPassword(e.currentTarget.value)} />
          </label>
          <details class="login-more">
            <summary>{t('login.more')}</summary>
            <label class="field">
              <span>{t('login.workspace')}</span>
              <input name="workspace" type="text" autocomplete="organization" maxLength={63} value={workspace()} onInput={(e) => setWorkspace(e.currentTarget.value)} />
              <small class="muted">{t('login.workspaceHint')}</small>
            </label>
          </details>
          <Show when={error()}>
            <p class="field-error" id="login-error" role="alert">
              {errorText(error())}
            </p>
          </Show>
          <button type="submit" class="btn btn-primary btn-block" disabled={busy()}>
            {busy() ? t('login.signingIn') : t('login.submit')}
          </button>
        </form>
      </main>
    </div>
  )
}
