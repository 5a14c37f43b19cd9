// The WhatsApp numbers page in headless Chromium against a real kernel with the whatsapp plugin:
// empty state, adding numbers (driver choice, cloud field errors, the per-workspace cap), a sandbox
// number connected through a live, rotating QR and the simulated scan, a pairing code, the
// customer simulator stored through the API, confirmations, permissions, Bahasa Indonesia, 390 px.
import path from 'node:path'
import t from 'tap'
import { ROOT } from '../../scripts/build-ui.ts'
import { en, id } from '../../plugins/whatsapp/ui/messages.ts'
import { browserUnavailable, buildUiOnce, eventually, launchBrowser, newPage, screenshot, signIn, startKernel } from './browser.ts'

const WHATSAPP = path.join(ROOT, 'plugins', 'whatsapp')

const unavailable = browserUnavailable()
if (unavailable) {
  console.log(`# skipping browser tests: ${unavailable}`)
  t.plan(0, unavailable)
} else {
  t.setTimeout(300_000)
  await run()
}

async function run() {
  // Whatever the database, this kernel offers the sandbox driver.
  process.env.SAPA_WHATSAPP_SANDBOX = 'true'
  await buildUiOnce([WHATSAPP])
  const { h, url } = await startKernel(t, [WHATSAPP])
  const { db } = h.services
  const acme = await h.createTenant('acme')
  await db('tenants').where({ id: acme.id }).update({ locale: 'en', name: 'Acme Store' })
  const admin = await h.createUser(acme, 'admin', { email: 'admin@acme.test' })
  const junior = await h.createUser(acme, 'junior_agent', { email: 'junior@acme.test' })
  const viewer = await h.createUser(acme, 'viewer', { email: 'viewer@acme.test' })
  // Two numbers at most, so the third shows the cap. (A GET first: it warms the enablement cache.)
  const operator = await h.login(acme, 'admin')
  await operator.inject({ method: 'GET', url: '/api/whatsapp/sessions' })
  const cap = await operator.inject({ method: 'PUT', url: '/api/plugins/whatsapp/settings', payload: { maxNumbers: 2 } })
  if (cap.statusCode !== 200) throw new Error(`maxNumbers not set: ${cap.body}`)

  const browser = await launchBrowser(t)
  const { page, errors } = await newPage(browser)
  const text = async (selector: string) => ((await page.locator(selector).first().textContent()) ?? '').trim()
  const row = (name: string) => page.locator(`li[data-number="${name}"]`)
  const statusOf = async (name: string) => ((await row(name).locator('[data-testid=wa-status]').textContent()) ?? '').trim()
  const dialog = page.locator('[data-testid=wa-add-dialog]')
  const isOpen = (selector: string) => page.locator(selector).evaluate((d) => (d as HTMLDialogElement).open)
  const focused = () => page.evaluate(() => document.activeElement?.id || document.activeElement?.getAttribute('data-testid') || document.activeElement?.tagName)

  await t.test('an admin opens WhatsApp numbers: the empty state', async (t) => {
    t.same(Object.keys(id).sort(), Object.keys(en).sort(), 'every English message has an Indonesian one, and no more')
    await signIn(page, url, admin.email, admin.password)
    await page.locator('.sidebar nav a[data-nav="whatsapp:numbers"]').click()
    await page.locator('[data-testid=wa-empty]').waitFor()
    t.equal(await text('.wa-page h1'), 'WhatsApp numbers')
    t.match(await text('[data-testid=wa-empty]'), /No WhatsApp numbers yet.*Add a number/s)
    t.equal(new URL(page.url()).pathname, '/whatsapp')
  })

  await t.test('the add dialog: keyboard, the drivers the server offers, cloud fields and their errors', async (t) => {
    await page.locator('[data-testid=wa-add]').focus()
    await page.keyboard.press('Enter')
    await dialog.waitFor()
    t.equal(await focused(), 'wa-add-name', 'the name field has the focus')
    t.same(await dialog.locator('.wa-driver').evaluateAll((els) => els.map((e) => e.getAttribute('data-driver'))), ['sandbox', 'cloud', 'baileys'], 'sandbox, cloud and baileys offered')
    t.equal(await dialog.locator('input[name=driver][value=sandbox]').isChecked(), true, 'the sandbox is the default here')
    await page.keyboard.press('Escape')
    await eventually(async () => !(await isOpen('[data-testid=wa-add-dialog]')))
    t.equal(await focused(), 'wa-add', 'Escape closes it and the focus returns to the button')

    await page.locator('[data-testid=wa-add]').click()
    await page.locator('#wa-add-name').fill('Meta line')
    await dialog.locator('.wa-driver[data-driver=cloud]').click()
    await dialog.locator('[data-testid=wa-cloud-config]').waitFor()
    for (const field of ['phoneNumberId', 'accessToken', 'appSecret', 'verifyToken', 'wabaId']) {
      t.equal(await dialog.locator(`#wa-cloud-${field}`).count(), 1, `cloud asks for ${field}`)
    }
    t.equal(await dialog.locator('#wa-cloud-accessToken').getAttribute('type'), 'password', 'the token is masked')
    await page.locator('#wa-cloud-phoneNumberId').fill('1234567890')
    await page.locator('#wa-cloud-accessToken').fill('too-short')
    await page.locator('#wa-cloud-appSecret').fill('app-secret-1')
    await page.locator('#wa-cloud-verifyToken').fill('verify-token-1')
    await page.locator('[data-testid=wa-add-submit]').click()
    const tokenError = dialog.locator('[data-field-error="config.accessToken"]')
    await tokenError.waitFor()
    t.match(await tokenError.textContent(), /At least 16 characters/, 'the bad token is named next to its field')
    t.equal(await page.locator('#wa-cloud-accessToken').getAttribute('aria-invalid'), 'true')
    await dialog.locator('button', { hasText: 'Cancel' }).click()
    await eventually(async () => !(await isOpen('[data-testid=wa-add-dialog]')))
    t.equal(await page.locator('[data-testid=wa-empty]').count(), 1, 'nothing was added')
  })

  let salesId = ''
  await t.test('adds a sandbox number and connects it: a live QR, refreshed, scanned, connected without reload', async (t) => {
    await page.evaluate(() => ((window as any).__sameDocument = true))
    await page.locator('[data-testid=wa-add]').click()
    await page.locator('#wa-add-name').fill('Sales')
    await dialog.locator('input[name=sandbox-pairing][value=qr]').check()
    await page.locator('#wa-sbx-qr-refresh').fill('1')
    await page.locator('[data-testid=wa-add-submit]').click()
    await row('Sales').waitFor()
    await eventually(async () => !(await isOpen('[data-testid=wa-add-dialog]')))
    salesId = (await row('Sales').getAttribute('data-session-id')) ?? ''
    t.match(salesId, /^[0-9a-f-]{36}$/)
    t.equal(await statusOf('Sales'), 'Disconnected')
    t.equal(await page.locator('.toast', { hasText: '“Sales” added' }).count(), 1, 'a toast says so')
    const stored = await db('whatsapp_sessions').where({ id: salesId }).first()
    t.equal(stored.driver, 'sandbox')

    await row('Sales').locator('[data-action=connect]').click()
    const qr = row('Sales').locator('[data-testid=wa-qr]')
    await qr.waitFor()
    t.equal(await statusOf('Sales'), 'Waiting for QR scan')
    t.equal(await qr.locator('svg path').count(), 1, 'the QR is drawn as SVG')
    const first = await qr.getAttribute('data-qr')
    const firstSvg = await qr.innerHTML()
    t.match(first, new RegExp(`^sandbox:${salesId}:`))
    await eventually(async () => (await qr.getAttribute('data-qr')) !== first, 8000)
    t.not(await qr.innerHTML(), firstSvg, 'a new QR arrived and was drawn in place of the old one')
    await screenshot(page, 'whatsapp-qr')

    await row('Sales').locator('[data-action=scan]').click()
    await eventually(async () => (await statusOf('Sales')) === 'Connected')
    t.pass('connected, pushed over realtime')
    t.match(await row('Sales').locator('[data-testid=wa-phone]').textContent(), /^\+\d{8,15}$/, 'its phone is shown once known')
    t.equal(await row('Sales').locator('[data-testid=wa-qr]').count(), 0, 'the QR is gone')
    t.equal(await page.evaluate(() => (window as any).__sameDocument), true, 'no reload happened')
  })

  await t.test('a number another admin adds or deletes appears and goes without a reload', async (t) => {
    const other = (await operator.inject({ method: 'POST', url: '/api/whatsapp/sessions', payload: { name: 'Gudang', driver: 'sandbox' } })).json()
    await row('Gudang').waitFor()
    t.equal(await statusOf('Gudang'), 'Disconnected', 'shown live, with its status')
    await operator.inject({ method: 'DELETE', url: `/api/whatsapp/sessions/${other.id}` })
    await eventually(async () => (await row('Gudang').count()) === 0)
    t.pass('and gone when deleted elsewhere')
  })

  await t.test('a pairing code instead of a QR', async (t) => {
    await page.locator('[data-testid=wa-add]').click()
    await page.locator('#wa-add-name').fill('Support')
    await dialog.locator('details.wa-more summary').click()
    // Slow to connect, so the code stays on screen long enough to be read.
    await page.locator('#wa-sbx-delay').fill('4000')
    await page.locator('[data-testid=wa-add-submit]').click()
    await row('Support').waitFor()
    await row('Support').locator('[data-action=pair]').click()
    const form = row('Support').locator('[data-testid=wa-pair-form]')
    await form.locator('input[type=tel]').fill('abc')
    await form.locator('button[type=submit]').click()
    await form.locator('.field-error').waitFor()
    t.match(await form.locator('.field-error').textContent(), /not a valid phone number/, 'a bad phone is refused with a clear message')
    await form.locator('input[type=tel]').fill('0812 3456 7890')
    await form.locator('button[type=submit]').click()
    const code = row('Support').locator('[data-testid=wa-pairing-code]')
    await code.waitFor()
    t.match((await code.textContent())?.trim(), /^\d{4}-\d{4}$/, 'an 8-character code, shown as WhatsApp does')
    t.equal(await statusOf('Support'), 'Waiting for pairing code')
    await eventually(async () => (await statusOf('Support')) === 'Connected', 10_000)
    t.pass('and the number connects when the code is entered')
    await screenshot(page, 'whatsapp-numbers')
  })

  await t.test('the per-workspace cap is a clear error', async (t) => {
    await page.locator('[data-testid=wa-add]').click()
    await page.locator('#wa-add-name').fill('Third')
    await page.locator('[data-testid=wa-add-submit]').click()
    await dialog.locator('[data-testid=wa-add-error]').waitFor()
    t.match(await dialog.locator('[data-testid=wa-add-error]').textContent(), /may have 2 WhatsApp numbers/)
    t.equal(await isOpen('[data-testid=wa-add-dialog]'), true, 'the dialog stays open')
    await page.keyboard.press('Escape')
    await eventually(async () => !(await isOpen('[data-testid=wa-add-dialog]')))
    t.equal(await row('Third').count(), 0)
  })

  await t.test('the simulator sends as a customer and the message is stored', async (t) => {
    await row('Sales').locator('[data-action=simulate]').click()
    const sim = row('Sales').locator('[data-testid=wa-simulator]')
    await sim.waitFor()
    await sim.locator('input[name=from]').fill('not a phone')
    await sim.locator('textarea[name=text]').fill('Halo')
    await sim.locator('[data-testid=wa-sim-send]').click()
    await sim.locator('.field-error').first().waitFor()
    t.match(await sim.locator('.field-error').first().textContent(), /not a valid phone number/i, 'a bad sender is named')

    await sim.locator('input[name=from]').fill('0812 3456 7890')
    await sim.locator('input[name=name]').fill('Budi')
    await sim.locator('textarea[name=text]').fill('Halo, saya mau pesan 2 kaos 👕')
    await sim.locator('[data-testid=wa-sim-send]').click()
    const entry = sim.locator('[data-sim-entry]').first()
    await entry.waitFor()
    await eventually(async () => (await entry.getAttribute('data-stored')) === 'true')
    t.pass('the log marks it received once the pipeline stored it (realtime)')
    t.match(await entry.textContent(), /Halo, saya mau pesan 2 kaos/)
    t.equal(await sim.locator('textarea[name=text]').inputValue(), '', 'the text is cleared for the next message')

    await sim.locator('select[name=type]').selectOption('location')
    await sim.locator('input[name=latitude]').fill('-6.2088')
    await sim.locator('input[name=longitude]').fill('106.8456')
    await sim.locator('input[name=place]').fill('Monas')
    await sim.locator('[data-testid=wa-sim-send]').click()
    await eventually(async () => (await sim.locator('[data-sim-entry][data-stored=true]').count()) === 2)
    await screenshot(page, 'whatsapp-simulator')

    const res = await page.request.get(`${url}/api/whatsapp/messages?sessionId=${salesId}&direction=in`)
    t.equal(res.status(), 200)
    const items = (await res.json()).items as any[]
    t.equal(items.length, 2, 'two inbound messages stored')
    t.match(items[1], { peer: '+6281234567890', peerName: 'Budi', type: 'text', text: 'Halo, saya mau pesan 2 kaos 👕', status: 'received' })
    t.match(items[0], { peer: '+6281234567890', type: 'location', location: { latitude: -6.2088, longitude: 106.8456, name: 'Monas' } })
  })

  await t.test('destructive actions ask first', async (t) => {
    await row('Support').locator('[data-action=delete]').click()
    const confirm = row('Support').locator('[data-testid=wa-confirm]')
    await eventually(async () => confirm.evaluate((d) => (d as HTMLDialogElement).open))
    t.match(await confirm.textContent(), /Delete “Support”\?.*cannot be undone/s)
    t.equal(await page.evaluate(() => document.activeElement?.closest('dialog') !== null), true, 'focus is inside the dialog')
    t.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'Cancel', 'the safe choice has the focus')
    await page.keyboard.press('Escape')
    await eventually(async () => !(await confirm.evaluate((d) => (d as HTMLDialogElement).open)))
    t.equal(await row('Support').count(), 1, 'Escape keeps the number')

    await row('Support').locator('[data-action=delete]').click()
    await row('Support').locator('[data-testid=wa-confirm-ok]').click()
    await row('Support').waitFor({ state: 'detached' })
    t.pass('confirmed: the number is gone from the list')
    t.equal((await db('whatsapp_sessions').where({ tenant_id: acme.id })).length, 1, 'and from the database')

    await row('Sales').locator('[data-action=logout]').click()
    await row('Sales').locator('[data-testid=wa-confirm]').locator('button', { hasText: 'Cancel' }).click()
    t.equal(await statusOf('Sales'), 'Connected', 'log out cancelled: still connected')
  })

  await t.test('Bahasa Indonesia', async (t) => {
    await page.locator('.topbar button[data-locale=id]').click()
    await eventually(async () => (await text('.wa-page h1')) === 'Nomor WhatsApp')
    t.equal(await text('.sidebar nav a[data-nav="whatsapp:numbers"]'), 'Nomor WhatsApp', 'the nav label')
    t.equal(await statusOf('Sales'), 'Terhubung', 'the status')
    t.equal(await text('[data-testid=wa-add]'), 'Tambah nomor')
    t.equal(await text('li[data-number="Sales"] [data-testid=wa-simulator] h3'), 'Simulator pelanggan')
    await screenshot(page, 'whatsapp-numbers-id')
    await page.locator('.topbar button[data-locale=en]').click()
    await page.locator('[data-testid=theme-toggle]').click()
    t.equal(await page.getAttribute('html', 'data-theme'), 'dark')
    await screenshot(page, 'whatsapp-numbers-dark')
    await page.locator('[data-testid=theme-toggle]').click()
    await eventually(async () => (await text('.wa-page h1')) === 'WhatsApp numbers')
  })

  await t.test('a junior agent sees the numbers and their live status, but no controls', async (t) => {
    const { page: jp, context, errors: juniorErrors } = await newPage(browser)
    t.teardown(() => context.close())
    await signIn(jp, url, junior.email, junior.password)
    await jp.locator('.sidebar nav a[data-nav="whatsapp:numbers"]').click()
    const sales = jp.locator('li[data-number="Sales"]')
    await sales.waitFor()
    const status = async () => ((await sales.locator('[data-testid=wa-status]').textContent()) ?? '').trim()
    t.equal(await status(), 'Connected')
    t.equal(await jp.locator('[data-testid=wa-add]').count(), 0, 'no add button')
    t.equal(await jp.locator('[data-action]').count(), 0, 'no connect, disconnect, delete or simulator buttons')

    await operator.inject({ method: 'POST', url: `/api/whatsapp/sessions/${salesId}/disconnect` })
    await eventually(async () => (await status()) === 'Disconnected')
    await operator.inject({ method: 'POST', url: `/api/whatsapp/sessions/${salesId}/connect` })
    await eventually(async () => (await status()) === 'Waiting for QR scan')
    t.equal(await sales.locator('[data-testid=wa-qr]').count(), 0, 'the QR is for those who may link the number')
    t.match(await sales.textContent(), /Waiting for an admin to link/)
    await operator.inject({ method: 'POST', url: `/api/whatsapp/sandbox/${salesId}/scan` })
    await eventually(async () => (await status()) === 'Connected')
    t.pass('each change arrived live')
    await screenshot(jp, 'whatsapp-numbers-junior')
    t.same(juniorErrors, [])

    const { page: vp, context: vc } = await newPage(browser)
    t.teardown(() => vc.close())
    await signIn(vp, url, viewer.email, viewer.password)
    t.equal(await vp.locator('.sidebar nav a[data-nav="whatsapp:numbers"]').count(), 0, 'a viewer (no whatsapp.session.view) has no such page')
  })

  await t.test('390 px wide', async (t) => {
    const { page: mp, context, errors: mobileErrors } = await newPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })
    t.teardown(() => context.close())
    await signIn(mp, url, admin.email, admin.password)
    await mp.goto(`${url}/whatsapp`)
    const sales = mp.locator('li[data-number="Sales"]')
    await sales.waitFor()
    await sales.locator('[data-action=simulate]').click()
    await sales.locator('[data-testid=wa-simulator]').waitFor()
    const width = await mp.evaluate(() => document.documentElement.scrollWidth)
    t.ok(width <= 390, `nothing overflows sideways (${width}px)`)
    await screenshot(mp, 'whatsapp-mobile')
    await mp.locator('[data-testid=wa-add]').click()
    const box = await mp.locator('[data-testid=wa-add-dialog]').boundingBox()
    t.ok(box && box.x >= 0 && box.x + box.width <= 390, `the dialog fits (${box?.width}px)`)
    await screenshot(mp, 'whatsapp-add-mobile')
    t.same(mobileErrors, [])
  })

  t.same(errors, [], 'no uncaught errors in the page')
}
