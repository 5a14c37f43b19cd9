// The contacts page in headless Chromium against a real kernel with the contacts plugin: empty
// state, create (with the API's phone error on the field), search, detail with labels and notes,
// the import wizard (preview, column mapping, realtime progress, counts, error report), export,
// segments with live counts, delete, a viewer's read-only view, Indonesian and a phone-sized screen.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { ROOT } from '../../scripts/build-ui.ts'
import { browserUnavailable, buildUiOnce, eventually, launchBrowser, newPage, screenshot, signIn, startKernel } from './browser.ts'

const unavailable = browserUnavailable()
if (unavailable) {
  console.log(`# skipping browser tests: ${unavailable}`)
  t.plan(0, unavailable)
} else {
  t.setTimeout(300_000)
  await run()
}

async function run() {
  const contactsPlugin = path.join(ROOT, 'plugins', 'contacts')
  await buildUiOnce([contactsPlugin])
  const { h, url } = await startKernel(t, [contactsPlugin])
  const acme = await h.createTenant('acme')
  await h.services.db('tenants').where({ id: acme.id }).update({ locale: 'en', name: 'Acme Store' })
  const admin = await h.createUser(acme, 'admin', { email: 'admin@acme.test' })
  const viewer = await h.createUser(acme, 'viewer', { email: 'viewer@acme.test' })
  // A typed attribute whose label ("City") is not the file's header ("Kota"): the wizard maps it by hand.
  const setup = await h.login(acme, 'admin')
  const attr = await setup.inject({ method: 'POST', url: '/api/contacts/attributes', payload: { key: 'city', label: 'City', type: 'text' } })
  if (attr.statusCode !== 201) throw new Error(`attribute: ${attr.statusCode} ${attr.body}`)

  const dir = mkdtempSync(path.join(tmpdir(), 'sapa-contacts-e2e-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const csvFile = path.join(dir, 'contacts.csv')
  writeFileSync(csvFile, ['Nama,No HP,Kota,Catatan', 'Siti Aminah,0812 1111 2222,Bandung,pelanggan lama', 'Bad Row,abc,Jakarta,', 'Agus,+62 813 3333 4444,Surabaya,'].join('\n'))

  const browser = await launchBrowser(t)
  const { page, errors } = await newPage(browser)
  const text = async (selector: string) => ((await page.locator(selector).first().textContent()) ?? '').trim()
  const rows = page.locator('[data-testid=contacts-table] tbody tr')
  const download = async (click: () => Promise<void>) => {
    const [file] = await Promise.all([page.waitForEvent('download'), click()])
    const saved = path.join(dir, file.suggestedFilename())
    await file.saveAs(saved)
    return { name: file.suggestedFilename(), body: readFileSync(saved, 'utf8') }
  }

  await t.test('the admin opens Contacts: the nav item and the empty state', async (t) => {
    await signIn(page, url, admin.email, admin.password)
    const nav = page.locator('.sidebar nav a[data-nav="contacts:contacts"]')
    t.equal(await nav.count(), 1, 'Contacts is in the navigation')
    await nav.click()
    await page.locator('[data-testid=contacts-empty]').waitFor()
    t.match(await text('[data-testid=contacts-empty]'), /No contacts yet/)
    t.equal(await page.locator('[data-testid=new-contact]').count(), 1, 'an admin may create')
    t.equal(await page.locator('[data-testid=import-button]').count(), 1, 'and import')
  })

  await t.test('creating a contact: the API’s phone error sits on the field; Escape closes the dialog', async (t) => {
    await page.locator('[data-testid=new-contact]').click()
    const dialog = page.locator('[data-testid=contact-form-dialog]')
    await dialog.waitFor()
    t.equal(await page.evaluate(() => document.activeElement?.id), 'contact-phone', 'the phone field has the focus')
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'hidden' })
    t.pass('Escape closes it')

    await page.locator('[data-testid=new-contact]').click()
    await page.locator('#contact-phone').fill('abc')
    await page.locator('#contact-name').fill('Budi Santoso')
    await page.locator('[data-attribute=city]').fill('Jakarta')
    await page.locator('[data-testid=contact-save]').click()
    await page.locator('[data-testid=phone-error]').waitFor()
    t.match(await text('[data-testid=phone-error]'), /"abc" is not a valid phone number/, 'the phone error is the API’s, under the field')
    t.equal(await page.locator('#contact-phone').getAttribute('aria-invalid'), 'true')
    await page.locator('#contact-phone').fill('0812-3456-7890')
    await page.locator('[data-testid=contact-save]').click()
    await dialog.waitFor({ state: 'hidden' })
    await page.locator('tr[data-contact="+6281234567890"]').waitFor()
    t.match(await text('tr[data-contact="+6281234567890"]'), /Budi Santoso/, 'listed, phone stored as E.164')
    await page.locator('.toast', { hasText: 'Budi Santoso added' }).waitFor()
  })

  await t.test('search narrows the table as you type', async (t) => {
    const other = await setup.inject({ method: 'POST', url: '/api/contacts', payload: { phone: '0857 0000 1111', name: 'Dewi Lestari' } })
    t.equal(other.statusCode, 201)
    await page.locator('[data-testid=contact-search]').fill('dewi')
    await eventually(async () => (await rows.count()) === 1 && /Dewi/.test(await rows.first().textContent() ?? ''))
    t.match(new URL(page.url()).search, /q=dewi/, 'the filter is in the URL')
    await page.locator('[data-testid=contact-search]').fill('0812 3456')
    await eventually(async () => (await rows.count()) === 1 && /Budi/.test(await rows.first().textContent() ?? ''))
    t.pass('a national number finds the E.164 phone')
    await page.locator('[data-testid=contact-search]').fill('nobody like this')
    await page.locator('[data-testid=contacts-no-match]').waitFor()
    t.pass('no match says so')
    await page.locator('[data-testid=contact-search]').fill('budi')
    await eventually(async () => (await rows.count()) === 1)
  })

  await t.test('the detail page: attributes, a label, a note, consent', async (t) => {
    await page.locator('[data-testid=contact-link]', { hasText: 'Budi Santoso' }).click()
    await page.locator('[data-testid=contact-title]').waitFor()
    t.equal(await text('[data-testid=contact-title]'), 'Budi Santoso')
    t.match(new URL(page.url()).pathname, /^\/contacts\/[0-9a-f-]{36}$/, 'its own URL')
    t.equal(await text('[data-attribute-value=city]'), 'Jakarta', 'the typed attribute')

    await page.locator('[data-testid=label-input]').fill('VIP')
    await page.locator('[data-testid=label-add]').click()
    await page.locator('[data-testid=contact-labels] li[data-label=VIP]').waitFor()
    t.pass('a new label is created and added')

    await page.locator('[data-testid=note-input]').fill('Prefers a call after 5 pm')
    await page.locator('[data-testid=note-add]').click()
    await page.locator('[data-testid=note]', { hasText: 'Prefers a call after 5 pm' }).waitFor()
    t.pass('a note is added')

    await page.locator('[data-testid=consent-toggle]').click()
    await page.locator('[data-testid=contact-consent] li[data-consent=opted_out]').waitFor()
    t.match(await text('[data-testid=contact-consent] [data-testid=status-badge]'), /Opted out/)
    await page.locator('[data-testid=consent-toggle]').click()
    await page.locator('[data-testid=contact-consent] li[data-consent=opted_in]').waitFor()
    t.pass('opted out and back in, both in the history')
    await screenshot(page, 'contacts-detail')
  })

  await t.test('the import wizard: preview, mapping, realtime progress, counts and the error report', async (t) => {
    await page.goto(`${url}/contacts`)
    await page.locator('[data-testid=import-button]').click()
    await page.locator('[data-testid=import-file-step]').waitFor()
    await page.locator('[data-testid=import-file]').setInputFiles(csvFile)
    await page.locator('[data-testid=import-next]').click()
    await page.locator('[data-testid=import-mapping]').waitFor()
    const target = (column: string) => page.locator(`tr[data-column="${column}"] select`)
    t.equal(await target('Nama').inputValue(), 'name', 'Nama is recognised as the name')
    t.equal(await target('No HP').inputValue(), 'phone', 'No HP as the phone')
    t.equal(await target('Kota').inputValue(), 'ignore', 'Kota is not known')
    t.match(await text('tr[data-column="Kota"]'), /Bandung/, 'sample values are shown')
    await target('Kota').selectOption('attributes.city')
    await target('Nama').selectOption('phone')
    await page.locator('tr[data-column="Nama"] .field-error').waitFor()
    t.equal(await page.locator('[data-testid=import-start]').isDisabled(), true, 'two phone columns cannot start')
    await target('Nama').selectOption('name')
    await screenshot(page, 'contacts-import')

    // What the page says on its realtime socket (the import's topic must be accepted, not refused).
    const frames: string[] = []
    page.on('websocket', (ws) => {
      ws.on('framesent', (f) => frames.push(`> ${f.payload}`))
      ws.on('framereceived', (f) => frames.push(`< ${f.payload}`))
    })
    await page.locator('[data-testid=import-start]').click()
    await page.waitForURL(/\/contacts\/import\/[0-9a-f-]{36}$/)
    const importId = new URL(page.url()).pathname.split('/').pop()!
    const progress = page.locator('[data-testid=import-progress]')
    await progress.waitFor()
    const seen = new Set<string>()
    await eventually(async () => {
      seen.add((await progress.getAttribute('aria-valuenow')) ?? '')
      return (await page.locator('[data-testid=import-state]').getAttribute('data-status')) === 'completed'
    }, 30_000, 50)
    t.equal(await progress.getAttribute('aria-valuenow'), '100', `the bar reaches 100 % (seen ${[...seen].join(', ')})`)
    await eventually(async () => frames.some((f) => f.startsWith('<') && f.includes(`contacts-import:${importId}`) && f.includes('"subscribed"')))
    t.notOk(frames.some((f) => f.includes('"error"')), 'the page subscribed to the import’s realtime topic, no error')
    await page.locator('[data-testid=import-counts]').waitFor()
    t.equal(await text('[data-count=imported] dd'), '2', 'two new contacts')
    t.equal(await text('[data-count=errors] dd'), '1', 'one row error')
    t.match(await text('.ct-errors'), /abc/, 'the row error is listed')
    const report = await download(() => page.locator('[data-testid=error-report]').click())
    t.match(report.name, /^import-.*-errors\.csv$/)
    t.match(report.body, /row,reason/)
    t.match(report.body, /^3,.*abc.* is not a valid phone number/m, 'the report names row 3 (the header is row 1)')
    // The bar's width eases in: wait for it before the picture.
    await eventually(async () => progress.evaluate((el) => (el.firstElementChild as HTMLElement).offsetWidth >= el.clientWidth - 1))
    await screenshot(page, 'contacts-import-result')

    const siti = (await (await setup.inject({ method: 'GET', url: '/api/contacts?q=Siti' })).json()).items[0]
    t.equal(siti?.attributes?.city, 'Bandung', 'the mapped column reached the attribute')
  })

  await t.test('export downloads what is filtered', async (t) => {
    await page.goto(`${url}/contacts?q=Agus`)
    await eventually(async () => (await rows.count()) === 1)
    await page.locator('[data-testid=export-menu] summary').click()
    const file = await download(() => page.locator('[data-testid=export-csv]').click())
    t.match(file.name, /^contacts-\d{4}-\d{2}-\d{2}\.csv$/)
    const lines = file.body.replace(/^\ufeff/, '').trim().split(/\r?\n/)
    t.match(lines[0], /^id,name,phone,email,labels/, 'the export’s header')
    t.equal(lines.length, 2, 'only the filtered contact')
    t.match(lines[1], /Agus/)
  })

  await t.test('a segment from the filters, with its live count', async (t) => {
    await page.goto(`${url}/contacts`)
    await rows.first().waitFor()
    const vip = await page.locator('[data-testid=filter-label] option', { hasText: 'VIP' }).getAttribute('value')
    await page.locator('[data-testid=filter-label]').selectOption(vip!)
    await eventually(async () => (await rows.count()) === 1)
    await page.locator('[data-testid=save-segment]').click()
    await page.locator('[data-testid=segment-editor]').waitFor()
    await page.locator('[data-testid=segment-name]').fill('VIP customers')
    await eventually(async () => /Matches 1 contact/.test(await text('[data-testid=segment-preview-count]')))
    t.pass('the editor counts before saving')
    await screenshot(page, 'contacts-segment-editor')
    await page.locator('[data-testid=segment-save]').click()
    await page.locator('[data-testid=segment-note]', { hasText: 'VIP customers' }).waitFor()
    t.pass('the table now shows the saved segment')
    await page.locator('[data-testid=segments-link]').click()
    const row = page.locator('[data-segment="VIP customers"]')
    await row.waitFor()
    await eventually(async () => /1 contact\b/.test((await row.locator('[data-testid=segment-count]').textContent()) ?? ''))
    t.pass('the segments list shows its live count')
    // A segment on an attribute, made on the segments page.
    await page.locator('[data-testid=new-segment]').click()
    await page.locator('[data-testid=segment-name]').fill('Bandung')
    await page.locator('[data-testid=segment-form] button', { hasText: 'Add condition' }).click()
    const condition = page.locator('[data-testid=segment-condition]')
    await condition.locator('select').first().selectOption('city')
    await condition.locator('input[aria-label=Value]').fill('bandung')
    await eventually(async () => /Matches 1 contact/.test(await text('[data-testid=segment-preview-count]')))
    await page.locator('[data-testid=segment-save]').click()
    await eventually(async () => /1 contact\b/.test((await page.locator('[data-segment=Bandung] [data-testid=segment-count]').textContent()) ?? ''))
    t.pass('an attribute condition (text, case-insensitive) counts Siti')
    await screenshot(page, 'contacts-segments')
    await row.locator('a', { hasText: 'Open' }).click()
    await page.locator('[data-testid=segment-note]').waitFor()
    await eventually(async () => (await rows.count()) === 1)
    t.equal(await page.locator('[data-testid=filter-segment]').inputValue() !== '', true, 'opening a segment filters the table')
    await page.locator('[data-testid=filter-segment]').selectOption('')
    await eventually(async () => (await rows.count()) === 4)
    await screenshot(page, 'contacts-table')
  })

  await t.test('deleting a contact asks first', async (t) => {
    await page.locator('[data-testid=contact-link]', { hasText: 'Dewi Lestari' }).click()
    await page.locator('[data-testid=contact-delete]').click()
    const confirm = page.getByRole('alertdialog', { name: 'Delete Dewi Lestari?' })
    await confirm.waitFor()
    t.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'Cancel', 'Cancel has the focus (Enter does not delete)')
    await confirm.locator('[data-testid=ct-confirm-ok]').click()
    await page.waitForURL(`${url}/contacts`)
    await eventually(async () => (await rows.count()) === 3)
    t.equal(await page.locator('[data-testid=contact-link]', { hasText: 'Dewi Lestari' }).count(), 0, 'gone from the table')
  })

  await t.test('Bahasa Indonesia', async (t) => {
    await page.locator('.topbar button[data-locale=id]').click()
    await eventually(async () => (await text('.ct-page h1')) === 'Kontak')
    t.equal(await text('.sidebar nav a[data-nav="contacts:contacts"]'), 'Kontak', 'the nav label')
    t.equal(await text('[data-testid=new-contact]'), 'Kontak baru')
    t.equal(await text('[data-testid=contacts-table] thead th:nth-child(2)'), 'Nomor HP')
    await screenshot(page, 'contacts-table-id')
    await page.locator('[data-testid=new-contact]').click()
    await page.locator('#contact-phone').fill('xyz')
    await page.locator('[data-testid=contact-save]').click()
    await page.locator('[data-testid=phone-error]').waitFor()
    t.match(await text('[data-testid=phone-error]'), /Nomor HP tidak valid/, 'API errors in Indonesian too')
    await screenshot(page, 'contacts-form-id')
    await page.keyboard.press('Escape')
    await page.locator('.topbar button[data-locale=en]').click()
    await eventually(async () => (await text('.ct-page h1')) === 'Contacts')
  })

  await t.test('a viewer sees contacts but no create, import, export or edit controls', async (t) => {
    const { page: vp, context, errors: viewerErrors } = await newPage(browser)
    t.teardown(() => context.close())
    await signIn(vp, url, viewer.email, viewer.password)
    await vp.locator('.sidebar nav a[data-nav="contacts:contacts"]').click()
    await vp.locator('[data-testid=contacts-table] tbody tr').first().waitFor()
    for (const id of ['new-contact', 'import-button', 'export-menu', 'save-segment']) {
      t.equal(await vp.locator(`[data-testid=${id}]`).count(), 0, `no ${id}`)
    }
    await vp.locator('[data-testid=contact-link]', { hasText: 'Budi Santoso' }).click()
    await vp.locator('[data-testid=contact-title]').waitFor()
    for (const id of ['contact-edit', 'contact-merge', 'contact-delete', 'label-input', 'note-input', 'consent-toggle']) {
      t.equal(await vp.locator(`[data-testid=${id}]`).count(), 0, `no ${id} on the detail`)
    }
    t.equal(await vp.locator('[data-testid=contact-labels] li[data-label=VIP]').count(), 1, 'but the labels are shown')
    t.same(viewerErrors, [])
  })

  await t.test('a phone-sized screen: the table becomes a list', async (t) => {
    const { page: mp, context, errors: mobileErrors } = await newPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })
    t.teardown(() => context.close())
    await signIn(mp, url, admin.email, admin.password)
    await mp.goto(`${url}/contacts`)
    await mp.locator('[data-testid=contacts-table] tbody tr').first().waitFor()
    t.equal(await mp.locator('[data-testid=contacts-table] thead').evaluate((el) => el.getBoundingClientRect().height <= 1), true, 'no column headers')
    t.equal(await mp.locator('[data-testid=contacts-table] tbody tr').first().evaluate((el) => getComputedStyle(el).display), 'grid', 'each contact is a card')
    const width = await mp.evaluate(() => document.documentElement.scrollWidth)
    t.ok(width <= 390, `nothing overflows sideways (${width}px)`)
    await screenshot(mp, 'contacts-mobile')
    t.equal(await mp.locator('[data-testid=filter-label]').isVisible(), false, 'the filters wait behind a toggle')
    await mp.locator('[data-testid=filters-toggle]').click()
    t.equal(await mp.locator('[data-testid=filter-label]').isVisible(), true, 'and open with it')
    t.equal(await mp.locator('[data-testid=filters-toggle]').getAttribute('aria-expanded'), 'true')
    await mp.locator('[data-testid=contact-link]', { hasText: 'Budi Santoso' }).click()
    await mp.locator('[data-testid=contact-title]').waitFor()
    const detailWidth = await mp.evaluate(() => document.documentElement.scrollWidth)
    t.ok(detailWidth <= 390, `the detail fits too (${detailWidth}px)`)
    await screenshot(mp, 'contacts-detail-mobile')
    t.same(mobileErrors, [])
  })

  t.same(errors, [], 'no uncaught errors in the page')
}
