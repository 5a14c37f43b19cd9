import t from 'tap'
import { assertError } from '@sapa/sdk/testing'
import { workspace } from './support/kernel.ts'
import { toTsQuery } from '../server/search.ts'

t.test('search over messages and contacts', async (t) => {
  const w = await workspace(t)
  const { admin } = w
  await w.inbound('081270000001', 'Saya mau pesan kaos merah ukuran XL', { name: 'Rina Wijaya' })
  await w.inbound('081270000002', 'Kapan pesanan nomor INV-2024-0091 dikirim?', { name: 'Agus' })
  await w.inbound('081270000003', 'Terima kasih, barang sudah sampai', { name: 'Merah Putih Store' })
  const c1 = await w.conversationOf('+6281270000001')
  const c2 = await w.conversationOf('+6281270000002')
  const c3 = await w.conversationOf('+6281270000003')
  await w.post(admin, `/api/inbox/conversations/${c1.id}/notes`, { text: 'Pelanggan VIP, kirim ekspres' })
  await w.post(admin, `/api/inbox/conversations/${c1.id}/status`, { status: 'resolved' }) // system line: "Resolved by …"
  const search = async (q: string) => (await w.get(admin, `/api/inbox/search?q=${encodeURIComponent(q)}`)).body
  const convs = (r: any) => r.messages.map((m: any) => m.conversationId).sort()

  // Both plans (all matches from the index; newest-first walk) give the same answers.
  for (const probe of ['1000', '1']) {
    process.env.SAPA_INBOX_SEARCH_PROBE = probe
    t.teardown(() => void delete process.env.SAPA_INBOX_SEARCH_PROBE)
    t.same(convs(await search('merah')), [c1.id], 'a word in a message')
    t.same(convs(await search('MERAH kaos')), [c1.id], 'words in any order and case, all of them')
    t.same(convs(await search('pes')), [c1.id, c2.id].sort(), 'prefixes: pes → pesan, pesanan')
    t.same(convs(await search('0091')), [c2.id], 'numbers')
    t.same(convs(await search('ekspres')), [c1.id], 'private notes are searched (for those who see them)')
    t.same(convs(await search('resolved')), [], 'system lines are not')
    t.same((await search('kaos biru')).messages, [], 'every word must match')
    const hit = (await search('merah')).messages[0]
    t.match(hit, { kind: 'inbound', text: /kaos merah/, conversation: { id: c1.id, contact: { name: 'Rina Wijaya' } } })
  }

  // Contacts by name (the contacts plugin's search), shown as their conversations.
  const byName = await search('Wijaya')
  t.same(byName.conversations.map((c: any) => c.id), [c1.id])
  const store = await search('Merah')
  t.same(store.conversations.map((c: any) => c.id), [c3.id], 'a contact named "Merah Putih Store"')

  // Whatever is typed, nothing breaks.
  for (const q of ["':*", 'a & b | !c', '(((', "kaos' | merah", '\\', '%_']) {
    const res = await admin.inject({ method: 'GET', url: `/api/inbox/search?q=${encodeURIComponent(q)}` })
    t.ok([200, 400].includes(res.statusCode), `q=${q} → ${res.statusCode}`)
  }
  assertError(t, await admin.inject({ method: 'GET', url: '/api/inbox/search?q=%21%21' }), 400, 'query_too_short')
  assertError(t, await admin.inject({ method: 'GET', url: '/api/inbox/search' }), 400, 'validation_failed')

  // Paging, in both plans.
  for (let i = 0; i < 5; i++) await w.inbound('081270000009', `promo ${i}`)
  await w.conversationOf('+6281270000009', (c) => c.unread === 5)
  for (const probe of ['1000', '2']) {
    process.env.SAPA_INBOX_SEARCH_PROBE = probe
    const p1 = (await w.get(admin, '/api/inbox/search?q=promo&limit=3')).body
    t.same(p1.messages.map((m: any) => m.text), ['promo 4', 'promo 3', 'promo 2'])
    const p2 = (await w.get(admin, `/api/inbox/search?q=promo&limit=3&cursor=${p1.nextCursor}`)).body
    t.same(p2.messages.map((m: any) => m.text), ['promo 1', 'promo 0'])
    t.equal(p2.nextCursor, null)
  }
  delete process.env.SAPA_INBOX_SEARCH_PROBE

  // Another tenant finds none of it.
  const other = await w.h.login(await w.h.createTenant(), 'admin')
  const theirs = (await w.get(other, '/api/inbox/search?q=merah')).body
  t.same([theirs.messages, theirs.conversations], [[], []])
})

t.test('toTsQuery keeps only words', async (t) => {
  t.equal(toTsQuery("kaos' | merah:*"), 'kaos:* & merah:*')
  t.equal(toTsQuery('Ünïcödé 日本'), 'ünïcödé:* & 日本:*')
  t.equal(toTsQuery('!!! ***'), null)
  t.equal(toTsQuery('inv 0091'), "inv:* & (0091:* | '-0091':*)")
})
