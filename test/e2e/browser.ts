// Browser-test support: Debian's Chromium driven by playwright-core, a kernel listening on a free
// port with the web shell built, and a screenshot folder.
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs'
import path from 'node:path'
import tap from 'tap'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { freePort } from '../../kernel/testing/free-port.ts'
import { createTestKernel, type TestKernel, type TestLike } from '../../kernel/testing/harness.ts'
import { ensureUiBuilt, ROOT } from '../../scripts/build-ui.ts'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const SCREENSHOTS = path.join(ROOT, 'test-output', 'screenshots')
export const FIXTURES = path.join(ROOT, 'test', 'e2e', 'fixtures')

/** Why browser tests cannot run here, or null when they can. */
export function browserUnavailable(): string | null {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`
  return null
}

/** A browser test file's body, given `timeoutMs`; where there is no Chromium, it plans nothing and says why. */
export async function browserSuite(timeoutMs: number, run: () => Promise<void>): Promise<void> {
  const unavailable = browserUnavailable()
  if (unavailable) {
    console.log(`# skipping browser tests: ${unavailable}`)
    tap.plan(0, unavailable)
    return
  }
  tap.setTimeout(timeoutMs)
  await run()
}

/**
 * Builds the shell and the given plugin UIs if missing or stale (only those: a half-written plugin
 * UI elsewhere in the tree must not stop an unrelated test); one test file at a time.
 */
export async function buildUiOnce(pluginDirs: string[]): Promise<void> {
  // mkdir is atomic: the folder is the lock (test files run in parallel). Stale after two minutes.
  const lock = path.join(ROOT, 'ui', '.build-lock')
  const until = Date.now() + 180_000
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch {
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true })
      if (Date.now() > until) throw new Error(`${lock} is held: remove it if no build is running`)
      await new Promise((r) => setTimeout(r, 300))
    }
  }
  try {
    const report = await ensureUiBuilt({ pluginDirs, only: true, log: (line) => console.log(`# ${line}`) })
    if (report) console.log(`# web UI built in ${report.ms} ms`)
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

/** A kernel on 127.0.0.1:<free port>; PUBLIC_URL matches it so the realtime Origin check passes. */
export async function startKernel(t: TestLike, plugins: string[]): Promise<{ h: TestKernel; url: string }> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const h = await createTestKernel(t, { plugins, config: { publicUrl: url, port } })
  await h.server.listen(port, '127.0.0.1')
  const home = await fetch(`${url}/`)
  if (!(home.headers.get('content-type') ?? '').startsWith('text/html')) {
    throw new Error(`GET / did not answer the web shell (${home.status}): register kernel/routes/shell.ts in kernel/app.ts`)
  }
  return { h, url }
}

export async function launchBrowser(t: TestLike): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    // playwright gives every launch a fresh temporary profile (--user-data-dir).
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  })
  t.teardown(() => browser.close())
  return browser
}

/** A page that records uncaught errors (a plugin error caught by a boundary is not one). */
export async function newPage(browser: Browser, options: Parameters<Browser['newContext']>[0] = {}): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US', colorScheme: 'light', ...options })
  context.setDefaultTimeout(10_000)
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  return { context, page, errors }
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true })
}

export async function signIn(page: Page, url: string, email: string, password: string): Promise<void> {
  await page.goto(`${url}/`)
  await page.locator('input[name=email]').fill(email)
  await page.locator('input[name=password]').fill(password)
  await page.locator('form button[type=submit]').click()
  await page.locator('[data-testid=user-menu]').waitFor()
}

/** Polls `check` until it returns true (or throws after `timeoutMs`). */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000, intervalMs = 150): Promise<void> {
  const until = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (Date.now() > until) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}
