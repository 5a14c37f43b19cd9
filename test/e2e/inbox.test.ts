// The Inbox page in headless Chromium against a kernel with whatsapp, contacts and inbox: a customer
// writes in through the sandbox number and the open inbox shows it live; the agent replies and sees
// the ticks advance; quick replies; assignment reaching a second agent's browser; a viewer's
// read-only thread; ten thousand conversations in a virtualised list; Bahasa Indonesia; a phone;
// and the module turned off.
import path from 'node:path'
import t from 'tap'
import { ROOT } from '../../scripts/build-ui.ts'
import { browserSuite, buildUiOnce, eventually, launchBrowser, newPage, screenshot, signIn, startKernel } from './browser.ts'

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64')

await browserSuite(360_000, run)

async function run() {
  const WHATSAPP = path.join(ROOT, 'plugins', 'whatsapp')
  const CONTACTS = path.join(ROOT, 'plugins', 'contacts')
  const INBOX = path.join(ROOT, 'plugins', 'inbox')
  await buildUiOnce([INBOX])

  const { h, url } = await startKernel(t, [WHATSAPP, CONTACTS, INBOX])
  const { db } = h.services
  const tenant = await h.createTenant('acme')
  await db('tenants').where({ id: tenant.id }).update({ locale: 'en', name: 'Acme Store' })
  const admin = await h.createUser(tenant, 'admin', { email: 'admin@acme.test' })
  const agent = await h.createUser(tenant, 'agent', { email: 'agent@acme.test' })
  const viewer = await h.createUser(tenant, 'viewer', { email: 'viewer@acme.test' })
  const api = await h.loginAs(admin, tenant)
  const call = async (method: 'GET' | 'POST' | 'PUT' | 'PATCH', path: string, payload?: unknown) => {
    const res = await api.inject({ method, url: path, payload: payload as any })
    return { status: res.statusCode, body: res.body ? res.json() : null }
  }

  const browser = await launchBrowser(t)
  const { page, errors } = await newPage(browser)
  const nav = (id: string) => page.locator(`.sidebar nav a[data-nav="${id}"]`)
  const rows = page.locator('[data-testid=conversation-row]')
  const composer = page.locator('[data-testid=composer-input]')

  let sessionId = ''
  let conversationId = ''

  await t.test('the admin signs in; a sandbox number is created and connected', async (t) => {
    await signIn(page, url, admin.email, admin.password)
    t.equal(await nav('inbox:inbox').count(), 1, 'the inbox is in the navigation')
    t.equal((await nav('inbox:inbox').textContent())?.trim(), 'Inbox')

    // Short acks, but far enough apart to see each tick.
    const created = await call('POST', '/api/whatsapp/sessions', { name: 'Sales', driver: 'sandbox', config: { ackDelays: { deliveredMs: 1200, readMs: 2400 } } })
    t.equal(created.status, 201, 'number created')
    sessionId = created.body.id
    t.equal((await call('POST', `/api/whatsapp/sessions/${sessionId}/connect`)).status < 300, true, 'connect accepted')
    await eventually(async () => (await call('GET', `/api/whatsapp/sessions/${sessionId}`)).body.status === 'connected')
    t.pass('the number is connected')

    // The number's conversations go to Support, where the viewer is; the second agent is in no team.
    const team = await call('POST', '/api/inbox/teams', { name: 'Support', sessionIds: [sessionId] })
    t.equal(team.status, 201, 'team created')
    t.equal((await call('POST', `/api/inbox/teams/${team.body.id}/members`, { userId: viewer.id })).status, 201, 'the viewer is in the team')
    const quick = await call('POST', '/api/inbox/quick-replies', { shortcut: 'salam', title: 'Greeting', text: 'Halo {{contact.name}}, ada yang bisa kami bantu?' })
    t.equal(quick.status, 201, 'quick reply created')

    await nav('inbox:inbox').click()
    await page.locator('[data-testid=inbox-empty]').waitFor()
    t.pass('the inbox opens, empty')
  })

  await t.test('an inbound message appears in the open inbox within 2 s, without a reload', async (t) => {
    const started = Date.now()
    const res = await call('POST', `/api/whatsapp/sandbox/${sessionId}/inbound`, { from: '0812-3456-7890', name: 'Sari', type: 'text', text: 'Halo, pesanan saya belum sampai' })
    t.equal(res.status, 202, 'the customer wrote')
    const row = rows.filter({ hasText: 'Sari' })
    await row.waitFor({ timeout: 5000 })
    const elapsed = Date.now() - started
    t.ok(elapsed < 2000, `shown after ${elapsed} ms`)
    t.match(await row.textContent(), /pesanan saya belum sampai/, 'with the last message')
    t.equal((await row.locator('[data-testid=unread]').textContent())?.trim(), '1', 'one unread')
    conversationId = (await row.getAttribute('data-conversation')) ?? ''
    t.ok(conversationId, 'the row names its conversation')
    await screenshot(page, 'inbox')
  })

  await t.test('the agent replies from the composer and sees the ticks advance', async (t) => {
    await rows.filter({ hasText: 'Sari' }).click()
    await page.waitForURL(`${url}/inbox/${conversationId}`)
    await page.locator('[data-testid=message][data-kind=inbound]', { hasText: 'belum sampai' }).waitFor()
    t.equal(await page.locator('[data-testid=thread-name]').textContent(), 'Sari')
    await eventually(async () => (await rows.filter({ hasText: 'Sari' }).locator('[data-testid=unread]').count()) === 0)
    t.pass('opening it marks it read')

    await composer.fill('Baik kak, kami cek dulu ya')
    await composer.press('Enter')
    const ticks = page.locator('[data-testid=message][data-kind=outbound]', { hasText: 'kami cek dulu' }).locator('[data-testid=ticks]')
    await ticks.waitFor()
    t.equal(await composer.inputValue(), '', 'the composer is cleared')
    const seen: string[] = []
    await eventually(async () => {
      const status = (await ticks.getAttribute('data-status')) ?? ''
      if (seen[seen.length - 1] !== status) seen.push(status)
      return status === 'read'
    }, 10_000, 40)
    t.same(seen.filter((s) => s === 'sent' || s === 'delivered' || s === 'read'), ['sent', 'delivered', 'read'], `the ticks advanced: ${seen.join(' → ')}`)
    const [tickColor, accent] = await ticks.evaluate((el) => [getComputedStyle(el).color, getComputedStyle(el).getPropertyValue('--accent').trim()])
    const probe = await page.evaluate((c) => {
      const el = document.createElement('span')
      el.style.color = c
      document.body.append(el)
      const v = getComputedStyle(el).color
      el.remove()
      return v
    }, accent)
    t.equal(tickColor, probe, 'read ticks are in the accent colour')
    t.equal(await ticks.textContent().then((s) => s?.includes('✓✓')), true, 'two ticks')
    await screenshot(page, 'inbox-thread')

    // A send the server refuses (longer than WhatsApp allows) gives the text back, with the reason.
    const tooLong = 'x'.repeat(4100)
    await composer.fill(tooLong)
    await composer.press('Enter')
    await page.locator('.toast-error').first().waitFor()
    await eventually(async () => (await composer.inputValue()) === tooLong)
    t.pass('a refused message is put back in the composer')
    await composer.fill('')
  })

  await t.test('a quick reply via / inserts the rendered text', async (t) => {
    await composer.fill('/sal')
    const item = page.locator('[data-testid=quick-reply]', { hasText: '/salam' })
    await item.waitFor()
    t.pass('typing / lists the quick replies')
    await composer.press('Enter')
    await eventually(async () => (await composer.inputValue()) === 'Halo Sari, ada yang bisa kami bantu?')
    t.equal(await composer.inputValue(), 'Halo Sari, ada yang bisa kami bantu?', 'the variables are filled in')
    t.equal(await page.locator('[data-testid=quick-replies]').count(), 0, 'the list closed')
    await composer.fill('')
  })

  await t.test('an attachment is previewed, then sent; an emoji and a private note', async (t) => {
    await page.locator('[data-testid=attach-input]').setInputFiles({ name: 'receipt.png', mimeType: 'image/png', buffer: PNG })
    const preview = page.locator('[data-testid=attachment-preview]')
    await preview.waitFor()
    t.match(await preview.textContent(), /receipt\.png/, 'the file is previewed before sending')
    t.equal(await preview.locator('img').count(), 1, 'an image shows a thumbnail')
    await composer.fill('Bukti transfer')
    await composer.press('Enter')
    const sent = page.locator('[data-testid=message][data-kind=outbound]', { hasText: 'Bukti transfer' })
    await sent.waitFor()
    t.match(await sent.locator('img').getAttribute('src'), /^\/api\/whatsapp\/media\/[0-9a-f-]{36}$/, 'sent as an image, served by the whatsapp plugin')
    t.equal(await preview.count(), 0, 'the preview is gone')

    await page.locator('[data-testid=emoji-button]').click()
    await page.locator('[data-testid=emoji-picker] button[aria-label="👍"]').click()
    t.equal(await composer.inputValue(), '👍', 'the emoji went into the text')
    await page.keyboard.press('Shift+Enter')
    t.equal(await composer.inputValue(), '👍\n', 'Shift+Enter is a new line, not a send')

    await page.locator('[data-testid=mode-note]').click()
    await composer.fill('Cek resi di gudang @admin@acme.test')
    await page.locator('[data-testid=composer-send]').click()
    const note = page.locator('[data-testid=message][data-kind=note]', { hasText: 'Cek resi' })
    await note.waitFor()
    t.match(await note.textContent(), /Private note/, 'a note is marked private')
    t.not(
      await note.locator('.inbox-bubble').evaluate((el) => getComputedStyle(el).backgroundColor),
      await sent.locator('.inbox-bubble').evaluate((el) => getComputedStyle(el).backgroundColor),
      'and looks different from a reply',
    )
    await page.locator('[data-testid=mode-reply]').click()
  })

  await t.test('search finds it by a word; resolve and reopen from the thread header', async (t) => {
    const search = page.locator('[data-testid=inbox-search]')
    await search.fill('pesanan')
    await search.press('Enter')
    const results = page.locator('[data-testid=search-results]')
    await results.locator('.inbox-result', { hasText: 'belum sampai' }).waitFor()
    t.pass('the customer’s message is found')
    await search.press('Escape')
    await rows.filter({ hasText: 'Sari' }).waitFor()
    t.equal(await results.count(), 0, 'Escape goes back to the list')

    await page.locator('[data-testid=action-resolve]').click()
    await eventually(async () => (await page.locator('[data-testid=thread-status]').textContent()) === 'Resolved')
    await eventually(async () => (await rows.filter({ hasText: 'Sari' }).count()) === 0)
    t.pass('resolved: it leaves the list of open conversations')
    await page.locator('[data-testid=message][data-kind=system]', { hasText: 'Resolved by admin user' }).waitFor()
    await page.locator('[data-testid=action-reopen]').click()
    await rows.filter({ hasText: 'Sari' }).waitFor()
    t.equal(await page.locator('[data-testid=thread-status]').textContent(), 'Open', 'reopened: back in the list')
  })

  await t.test('assigning the conversation to another agent shows it in their browser', async (t) => {
    const { page: ap, context, errors: agentErrors } = await newPage(browser)
    t.teardown(() => context.close())
    await signIn(ap, url, agent.email, agent.password)
    await ap.locator('.sidebar nav a[data-nav="inbox:inbox"]').click()
    await ap.locator('[data-testid=inbox-empty]').waitFor()
    t.pass('the second agent’s inbox is open and empty')

    await page.locator('[data-testid=assign-agent]').selectOption(agent.id)
    await page.locator('.toast', { hasText: 'Assigned to agent user' }).waitFor()
    await ap.locator('[data-testid=conversation-row]', { hasText: 'Sari' }).waitFor({ timeout: 5000 })
    t.pass('the conversation appeared in the second agent’s list without a reload')
    t.equal((await ap.locator('[data-testid=conversation-row]', { hasText: 'Sari' }).locator('[data-testid=row-assignee]').textContent())?.trim(), 'agent user')
    await eventually(async () => (await page.locator('[data-testid=thread-assignee]').textContent()) === 'agent user')
    t.pass('the admin’s thread header shows the new assignee')
    t.same(agentErrors, [])
  })

  await t.test('a viewer sees the conversation but no send button, and the API refuses their send', async (t) => {
    const { page: vp, context, errors: viewerErrors } = await newPage(browser)
    t.teardown(() => context.close())
    await signIn(vp, url, viewer.email, viewer.password)
    await vp.goto(`${url}/inbox/${conversationId}`)
    await vp.locator('[data-testid=message][data-kind=outbound]', { hasText: 'kami cek dulu' }).waitFor()
    t.pass('the thread is shown')
    t.equal(await vp.locator('[data-testid=composer-send]').count(), 0, 'no send button')
    t.match(await vp.locator('[data-testid=composer-disabled]').textContent(), /not reply/, 'the reason is given')
    t.equal(await vp.locator('[data-testid=action-resolve]').count(), 0, 'no resolve action')
    t.equal(await vp.locator('[data-testid=assign-agent]').count(), 0, 'no assignment controls')
    const status = await vp.evaluate(async (id) => {
      const me = await (await fetch('/api/me')).json()
      const res = await fetch(`/api/inbox/conversations/${id}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
        body: JSON.stringify({ type: 'text', text: 'from a viewer' }),
      })
      return res.status
    }, conversationId)
    t.equal(status, 403, 'POST …/messages with the viewer’s session is refused')
    t.same(viewerErrors, [])
  })

  await t.test('ten thousand conversations: fewer than 100 rows in the DOM, more load at the bottom', async (t) => {
    const base = new Date(h.clock.now().getTime() - 3600_000)
    const started = Date.now()
    await db.raw(
      `insert into inbox_conversations (tenant_id, id, session_id, contact_id, peer, contact_name, contact_phone, status, inbound_seq, last_message, last_message_at, opened_at, created_at, updated_at)
       select ?, gen_random_uuid(), ?, gen_random_uuid(), p.phone, 'Pelanggan ' || g, p.phone, 'open', 1,
              jsonb_build_object('id', gen_random_uuid(), 'kind', 'inbound', 'type', 'text', 'text', 'Pesan nomor ' || g, 'status', 'received', 'at', ?::timestamptz),
              ?::timestamptz - make_interval(secs => g), ?::timestamptz, ?::timestamptz, ?::timestamptz
       from generate_series(1, 10000) g, lateral (select '+62899' || lpad(g::text, 8, '0') as phone) p`,
      [tenant.id, sessionId, base, base, base, base, base],
    )
    const [{ n }] = await db('inbox_conversations').where({ tenant_id: tenant.id }).count({ n: '*' })
    t.equal(Number(n), 10_001, `seeded in ${Date.now() - started} ms`)

    await page.reload()
    const list = page.locator('[data-testid=conversation-list]')
    await rows.first().waitFor()
    await eventually(async () => Number(await list.getAttribute('data-count')) >= 50)
    const inDom = await rows.count()
    t.ok(inDom > 5 && inDom < 100, `${inDom} row elements for ${await list.getAttribute('data-count')} loaded conversations`)
    t.match(await rows.first().textContent(), /Sari/, 'the newest activity first')

    const loaded = Number(await list.getAttribute('data-count'))
    for (let i = 0; i < 3; i++) {
      const before = Number(await list.getAttribute('data-count'))
      await list.evaluate((el) => (el.scrollTop = el.scrollHeight))
      await eventually(async () => Number(await list.getAttribute('data-count')) > before)
    }
    const after = Number(await list.getAttribute('data-count'))
    t.ok(after > loaded, `scrolling to the bottom loaded more (${loaded} → ${after})`)
    t.ok((await rows.count()) < 100, `still ${await rows.count()} row elements`)
    t.match(await rows.last().textContent(), /Pelanggan/, 'seeded rows are shown')

    // The keyboard moves through the list and opens a conversation.
    await list.evaluate((el) => (el.scrollTop = 0))
    await list.focus()
    await page.keyboard.press('Home')
    await page.keyboard.press('j')
    await page.keyboard.press('Enter')
    await page.waitForURL(/\/inbox\/[0-9a-f-]{36}$/)
    t.not(new URL(page.url()).pathname, `/inbox/${conversationId}`, 'j moved to the second conversation and Enter opened it')
    await page.keyboard.press('k')
    await page.keyboard.press('Enter')
    await page.waitForURL(`${url}/inbox/${conversationId}`)
    t.pass('k moved back up')
  })

  await t.test('a long thread loads older messages when scrolled to the top', async (t) => {
    const row = await db('inbox_conversations').where({ tenant_id: tenant.id, contact_name: 'Pelanggan 7' }).first('id')
    const base = h.clock.now().getTime() - 100 * 3600_000
    // Ids in time order (the thread is ordered by id, like the UUIDv7 ids the server gives).
    await db.raw(
      `insert into inbox_messages (tenant_id, id, conversation_id, kind, type, text, status, status_rank, created_at, updated_at)
       select ?, ('01900000-0000-7000-8000-' || lpad(to_hex(g), 12, '0'))::uuid, ?, case when g % 3 = 0 then 'outbound' else 'inbound' end, 'text',
              'Pesan lama ' || g, case when g % 3 = 0 then 'read' else 'received' end, case when g % 3 = 0 then 4 else 0 end,
              to_timestamp(? / 1000.0 + g * 3600), to_timestamp(? / 1000.0 + g * 3600)
       from generate_series(1, 100) g`,
      [tenant.id, row.id, base, base],
    )
    await page.goto(`${url}/inbox/${row.id}`)
    const messages = page.locator('[data-testid=message]')
    await messages.filter({ hasText: 'Pesan lama 100' }).waitFor()
    const first = await messages.count()
    t.ok(first >= 40 && first < 100, `a first page: ${first} messages`)
    t.ok((await page.locator('[data-testid=day-separator]').count()) > 1, 'days are separated')
    const thread = page.locator('[data-testid=thread]')
    await thread.evaluate((el) => (el.scrollTop = 0))
    await eventually(async () => (await messages.count()) > first)
    t.pass(`scrolling up loaded older messages (${await messages.count()})`)
    await eventually(async () => thread.evaluate((el) => el.scrollTop > 0))
    t.pass('the view stays on the messages it showed, not at the very top')
    await eventually(async () => {
      await thread.evaluate((el) => (el.scrollTop = 0))
      return (await page.locator('.inbox-thread-start').count()) === 1
    })
    t.equal(await messages.count(), 100, 'until the start of the conversation')
    await page.goto(`${url}/inbox/${conversationId}`)
    await page.locator('[data-testid=thread-name]', { hasText: 'Sari' }).waitFor()
  })

  await t.test('the Indonesian locale renders the inbox strings', async (t) => {
    await page.locator('.topbar button[data-locale=id]').click()
    await eventually(async () => (await page.locator('.inbox-title').textContent()) === 'Kotak masuk')
    t.equal((await nav('inbox:inbox').textContent())?.trim(), 'Kotak masuk', 'the nav label')
    t.equal((await page.locator('[data-filter-assignee=me]').textContent())?.trim(), 'Milik saya', 'the filters')
    t.equal(await composer.getAttribute('placeholder'), 'Tulis balasan… (ketik / untuk balasan cepat)', 'the composer')
    t.equal((await page.locator('[data-testid=assignment] .inbox-section-title').textContent())?.trim(), 'Penugasan', 'the contact panel')
    t.match(await page.locator('[data-testid=day-separator]').first().textContent(), /Hari ini/, 'the day separator')
    await screenshot(page, 'inbox-id')
    await page.locator('.topbar button[data-locale=en]').click()
    await eventually(async () => (await page.locator('.inbox-title').textContent()) === 'Inbox')
  })

  await t.test('a phone-sized screen shows one pane at a time', async (t) => {
    const { page: mp, context, errors: mobileErrors } = await newPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })
    t.teardown(() => context.close())
    await signIn(mp, url, admin.email, admin.password)
    await mp.goto(`${url}/inbox`)
    const row = mp.locator('[data-testid=conversation-row]', { hasText: 'Sari' })
    await row.waitFor()
    t.equal(await mp.locator('.inbox-thread-pane').isVisible(), false, 'the list alone')
    await row.click()
    await mp.locator('[data-testid=message][data-kind=outbound]', { hasText: 'kami cek dulu' }).waitFor()
    t.equal(await mp.locator('.inbox-list-pane').isVisible(), false, 'then the thread alone')
    t.equal(await mp.locator('[data-testid=inbox-back]').isVisible(), true, 'with a back button')
    const width = await mp.evaluate(() => document.documentElement.scrollWidth)
    t.ok(width <= 390, `nothing overflows sideways (${width}px)`)
    await screenshot(mp, 'inbox-mobile')
    await mp.locator('[data-testid=inbox-back]').click()
    await row.waitFor()
    t.equal(new URL(mp.url()).pathname, '/inbox', 'back to the list')
    // The dark theme: the page uses the shell's colour variables only.
    await mp.locator('[data-testid=theme-toggle]').click()
    await row.click()
    await mp.locator('[data-testid=message][data-kind=note]').waitFor()
    const [bg, text] = await mp.locator('.inbox-thread-pane').evaluate((el) => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color])
    t.not(bg, 'rgb(246, 247, 249)', `the thread follows the dark theme (${bg}, text ${text})`)
    await screenshot(mp, 'inbox-mobile-dark')
    t.same(mobileErrors, [])
  })

  await t.test('disabling the inbox module removes its navigation and its API', async (t) => {
    await page.locator('.topbar button[data-locale=en]').click()
    await nav('settings:modules').click()
    await page.locator('[data-module=inbox]').waitFor()
    await page.locator('[data-module=inbox] .switch-control').click()
    await page.locator('.toast', { hasText: 'inbox turned off' }).waitFor()
    await eventually(async () => (await nav('inbox:inbox').count()) === 0)
    t.pass('the inbox nav item is gone without a reload')
    t.equal(await page.locator('[data-module=inbox] input[type=checkbox]').isChecked(), false, 'the switch is off')
    const res = await call('GET', '/api/inbox/conversations')
    t.equal(res.status, 404, 'GET /api/inbox/conversations answers 404')
  })

  t.same(errors, [], 'no uncaught errors in the page')
}
