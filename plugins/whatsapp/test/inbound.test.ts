import t from 'tap'
import { sandboxNumber, until } from './support/kernel.ts'
import { OGG, PDF, PNG } from './support/multipart.ts'
import { portOf, realtimeClient } from '@sapa/sdk/testing'

/** The receive pipeline through the sandbox: every message type, stored once, announced once, unchanged. */

t.test('the receive pipeline', async (t) => {
  const { h, admin, session, tenant } = await sandboxNumber(t)
  const received: any[] = []
  h.services.bus.on('whatsapp.message.received', (e) => void received.push(e.payload))
  const rt = await realtimeClient(t, await portOf(h), admin)
  t.match(await rt.subscribe(`session:${session.id}`), { type: 'subscribed' })

  const inject = (body: Record<string, unknown>) => admin.inject({ method: 'POST', url: `/api/whatsapp/sandbox/${session.id}/inbound`, payload: { from: '+62 812-3456-7890', name: 'Budi', ...body } })
  /** Inject and return the stored message (found by its provider id). */
  async function deliver(body: Record<string, unknown>) {
    const res = await inject(body)
    if (res.statusCode !== 202) throw new Error(`inject → ${res.statusCode} ${res.body}`)
    t.equal(res.json().delivered, true, `${body.type}: delivered to the running number`)
    const providerId = res.json().providerId
    return until(async () => {
      const list = (await admin.inject({ method: 'GET', url: `/api/whatsapp/messages?sessionId=${session.id}&direction=in&limit=100` })).json()
      return list.items.find((m: any) => m.providerId === providerId)
    })
  }

  await t.test('text', async (t) => {
    const m = await deliver({ type: 'text', text: 'Saya mau pesan 2 kg', id: 'wamid.text.1' })
    t.match(m, { direction: 'in', type: 'text', text: 'Saya mau pesan 2 kg', peer: '+6281234567890', peerName: 'Budi', status: 'received', providerId: 'wamid.text.1', media: null })
  })

  await t.test('image: base64 bytes become stored media reachable through the message', async (t) => {
    const m = await deliver({ type: 'image', media: { data: PNG.toString('base64'), filename: 'foto.png', caption: 'Ini fotonya 📷' } })
    t.equal(m.type, 'image')
    t.equal(m.text, 'Ini fotonya 📷', 'the caption is the text')
    t.match(m.media, { id: /^[0-9a-f-]{36}$/, url: `/api/whatsapp/media/${m.media.id}`, mime: 'image/png', size: PNG.length, filename: 'foto.png' })
    const file = await admin.inject({ method: 'GET', url: m.media.url })
    t.equal(file.statusCode, 200)
    t.equal(file.headers['content-type'], 'image/png')
    t.ok(file.rawPayload.equals(PNG), 'the same bytes')
    const other = await h.login(await h.createTenant(), 'admin')
    t.equal((await other.inject({ method: 'GET', url: m.media.url })).statusCode, 404, 'not for another tenant')
  })

  await t.test('an "image" that is really HTML is kept, but never as an image or a page', async (t) => {
    const html = Buffer.from('<html><script>alert(1)</script></html>')
    const m = await deliver({ type: 'image', media: { data: html.toString('base64'), filename: 'x.png' } })
    t.equal(m.type, 'image', 'the message keeps its type')
    t.ok(m.media, 'its file is kept')
    t.notOk(/^image\/|html/.test(m.media.mime), `its file is stored as ${m.media.mime}, not as an image or a page`)
    const file = await admin.inject({ method: 'GET', url: m.media.url })
    t.match(file.headers['content-disposition'], /^attachment;/)
    t.notMatch(file.headers['content-type'], /html|image/)
  })

  await t.test('document, audio', async (t) => {
    const doc = await deliver({ type: 'document', media: { data: PDF.toString('base64'), filename: '../faktur.pdf' } })
    t.match(doc.media, { mime: 'application/pdf', filename: 'faktur.pdf', size: PDF.length })
    const audio = await deliver({ type: 'audio', media: { data: OGG.toString('base64') } })
    t.match(audio.media, { mime: 'audio/ogg', size: OGG.length })
    t.ok((await admin.inject({ method: 'GET', url: audio.media.url })).rawPayload.equals(OGG))
  })

  await t.test('location, reaction, contacts, reply', async (t) => {
    const location = await deliver({ type: 'location', location: { latitude: -6.175392, longitude: 106.827153, name: 'Monas', address: 'Gambir, Jakarta Pusat' } })
    t.same(location.location, { latitude: -6.175392, longitude: 106.827153, name: 'Monas', address: 'Gambir, Jakarta Pusat' })

    const reaction = await deliver({ type: 'reaction', reaction: { providerId: 'wamid.text.1', emoji: '❤️' } })
    t.same(reaction.reaction, { providerId: 'wamid.text.1', emoji: '❤️' })

    const vcard = 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Siti Aminah\r\nTEL;type=CELL;waid=6281298765432:+62 812-9876-5432\r\nEND:VCARD'
    const contacts = await deliver({ type: 'contacts', contacts: [vcard, vcard.replace('Siti Aminah', 'Ahmad')] })
    t.same(contacts.contacts, [vcard, vcard.replace('Siti Aminah', 'Ahmad')], 'vCards kept as sent')

    const reply = await deliver({ type: 'text', text: 'Yang ini ya', replyTo: 'wamid.text.1' })
    t.equal(reply.replyTo, 'wamid.text.1')
  })

  await t.test('the same provider id, twice in a row and five times at once, is stored and announced once', async (t) => {
    await h.services.bus.drain()
    const before = received.length
    t.equal((await inject({ type: 'text', text: 'sekali', id: 'wamid.dup.seq' })).statusCode, 202)
    t.equal((await inject({ type: 'text', text: 'sekali', id: 'wamid.dup.seq' })).statusCode, 202)
    const burst = await Promise.all([1, 2, 3, 4, 5].map(() => inject({ type: 'text', text: 'serentak', id: 'wamid.dup.burst' })))
    t.same(burst.map((r) => r.statusCode), [202, 202, 202, 202, 202])
    // An image twice at once: one message, one file.
    await Promise.all([1, 2].map(() => inject({ type: 'image', media: { data: PNG.toString('base64') }, id: 'wamid.dup.image' })))
    await new Promise((r) => setTimeout(r, 300))
    await h.services.bus.drain()
    const rows = await h.services.db('whatsapp_messages').where({ tenant_id: tenant.id, session_id: session.id }).whereIn('provider_id', ['wamid.dup.seq', 'wamid.dup.burst', 'wamid.dup.image'])
    t.equal(rows.length, 3, 'one row per provider id')
    const events = received.slice(before)
    t.equal(events.length, 3, 'one whatsapp.message.received per stored message')
    t.same(new Set(events.map((e) => e.messageId)), new Set(rows.map((r: any) => r.id)), 'each for its stored message')
    t.match(events.find((e) => e.providerId === 'wamid.dup.burst'), { tenantId: tenant.id, sessionId: session.id, from: '+6281234567890', type: 'text', text: 'serentak' })
    t.equal((await h.services.db('whatsapp_media').where({ tenant_id: tenant.id })).length, new Set((await h.services.db('whatsapp_messages').whereNotNull('media_id').pluck('media_id'))).size, 'no orphan files from duplicates')
    const pushed = rt.events(`session:${session.id}`, 'message.received').filter((m) => m.data.providerId === 'wamid.dup.burst')
    t.equal(pushed.length, 1, 'realtime announced it once')
  })

  await t.test('emoji, RTL and zero-width text round-trips unchanged through the database and realtime', async (t) => {
    const texts = [
      'Halo! 👋🏽 👨‍👩‍👧‍👦 🇮🇩',
      'مرحبا بالعالم — שלום',
      'zero\u200bwidth\u200c\u200djoin\u2060er\ufeff',
      '\u202eevil\u202c \u2066isolate\u2069',
      'e\u0301 vs \u00e9 (NFD and NFC kept apart)',
      '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ½ ﷺ',
      'line 1\nline 2\r\n\ttabbed',
    ]
    for (const [i, text] of texts.entries()) {
      const id = `wamid.unicode.${i}`
      t.equal((await inject({ type: 'text', text, id })).statusCode, 202)
      const pushed = await rt.waitFor((m) => m.event === 'message.received' && m.data.providerId === id)
      t.equal(pushed?.data.text, text, `realtime: text ${i} unchanged`)
      const row = await h.services.db('whatsapp_messages').where({ tenant_id: tenant.id, provider_id: id }).first()
      t.equal(row.text, text, `database: text ${i} unchanged`)
      t.ok(Buffer.from(row.text, 'utf8').equals(Buffer.from(text, 'utf8')), `database: text ${i} byte for byte`)
      const api = (await admin.inject({ method: 'GET', url: `/api/whatsapp/messages/${row.id}` })).json()
      t.equal(api.text, text, `API: text ${i} unchanged`)
    }
    const name = 'عبد الله 👳\u200d♂️'
    await inject({ type: 'text', text: 'nama', name, id: 'wamid.unicode.name' })
    const pushed = await rt.waitFor((m) => m.event === 'message.received' && m.data.providerId === 'wamid.unicode.name')
    t.equal(pushed?.data.peerName, name, 'the sender name too')

    // A NUL typed into the API is refused at the edge (the kernel's JSON parser): nothing stored.
    const nul = await inject({ type: 'text', text: 'nul\u0000inside', name: 'Bu\u0000di', id: 'wamid.nul' })
    t.equal(nul.statusCode, 400, 'a NUL in the API is a 400, not a 500')
    t.equal(nul.json().error.code, 'invalid_characters')
    t.notOk(await h.services.db('whatsapp_messages').where({ tenant_id: tenant.id, provider_id: 'wamid.nul' }).first(), 'nothing stored')
  })

  await t.test('bad injections are refused; a number that is not running receives nothing', async (t) => {
    const cases: [Record<string, unknown>, number, string][] = [
      [{ type: 'text' }, 400, 'text_required'],
      [{ type: 'image' }, 400, 'media_required'],
      [{ type: 'text', text: 'x', from: 'not a phone' }, 400, 'invalid_phone'],
      [{ type: 'text', text: 'x', id: 'bad id with spaces' }, 400, 'validation_failed'],
      [{ type: 'template', text: 'x' }, 400, 'validation_failed'],
    ]
    for (const [body, status, code] of cases) {
      const res = await inject(body)
      t.equal(res.statusCode, status, `${JSON.stringify(body)} → ${status}`)
      t.equal(res.json().error.code, code)
    }
    const agent = await h.login(tenant, 'agent')
    t.equal((await agent.inject({ method: 'POST', url: `/api/whatsapp/sandbox/${session.id}/inbound`, payload: { from: '0812', type: 'text', text: 'x' } })).statusCode, 403, 'agents cannot drive the sandbox')

    const idle = (await admin.inject({ method: 'POST', url: '/api/whatsapp/sessions', payload: { name: 'Idle', driver: 'sandbox' } })).json()
    const res = await admin.inject({ method: 'POST', url: `/api/whatsapp/sandbox/${idle.id}/inbound`, payload: { from: '081234567890', type: 'text', text: 'anyone?', id: 'wamid.idle' } })
    t.equal(res.statusCode, 202)
    t.equal(res.json().delivered, false, 'not delivered: the number is not running')
    await new Promise((r) => setTimeout(r, 200))
    t.equal((await h.services.db('whatsapp_messages').where({ provider_id: 'wamid.idle' })).length, 0, 'nothing stored')
  })
})

t.test('a NUL from the network is stripped, the message kept', async (t) => {
  const { spySandbox } = await import('./support/sandbox-spy.ts')
  const spy = spySandbox(t)
  const { h, session, tenant } = await sandboxNumber(t)
  const events = spy.contexts.get(session.id)!.events
  await events.inbound({ providerId: 'wamid.nul', from: '+6281234567890', fromName: 'Bu\u0000di', timestamp: new Date(), type: 'text', text: 'nul\u0000inside' })
  await events.inbound({ providerId: 'wamid.nul.vcard', from: '+6281234567890', timestamp: new Date(), type: 'contacts', contacts: ['BEGIN:VCARD\u0000\r\nEND:VCARD'] })
  const stored = await until(() => h.services.db('whatsapp_messages').where({ tenant_id: tenant.id, provider_id: 'wamid.nul' }).first())
  t.match(stored, { text: 'nulinside', peer_name: 'Budi' }, 'stored, without the NUL')
  const vcard = await until(() => h.services.db('whatsapp_messages').where({ tenant_id: tenant.id, provider_id: 'wamid.nul.vcard' }).first())
  t.same(vcard.payload.contacts, ['BEGIN:VCARD\r\nEND:VCARD'], 'jsonb too')
})
