import t from 'tap'
import { createHmac } from 'node:crypto'
import { mediaDownloader, parseWebhook, verifyChallenge, verifySignature, waIdToAddress } from '../server/drivers/cloud/webhook.ts'
import type { CloudConfig } from '../server/drivers/cloud/config.ts'
import { DriverError } from '../server/drivers/port.ts'
import { startFakeGraph, type FakeGraph } from './support/fake-graph.ts'

const PNID = '106540352242922'
const SECRET = 'f1e2d3c4b5a6f1e2d3c4b5a6f1e2d3c4'
const sign = (body: Buffer | string, secret = SECRET) => 'sha256=' + createHmac('sha256', secret).update(body).digest('hex')

t.test('verifyChallenge', async (t) => {
  const ok = { 'hub.mode': 'subscribe', 'hub.verify_token': 'my-verify-token', 'hub.challenge': '1158201444' }
  t.equal(verifyChallenge(ok, 'my-verify-token'), '1158201444')
  t.equal(verifyChallenge({ ...ok, 'hub.verify_token': 'my-verify-tokeN' }, 'my-verify-token'), null, 'wrong token')
  t.equal(verifyChallenge({ ...ok, 'hub.verify_token': 'my-verify-token-longer' }, 'my-verify-token'), null, 'longer token')
  t.equal(verifyChallenge({ ...ok, 'hub.verify_token': '' }, 'my-verify-token'), null, 'empty token')
  t.equal(verifyChallenge({ ...ok, 'hub.mode': 'unsubscribe' }, 'my-verify-token'), null, 'wrong mode')
  t.equal(verifyChallenge({ 'hub.verify_token': 'my-verify-token', 'hub.challenge': '1' }, 'my-verify-token'), null, 'no mode')
  t.equal(verifyChallenge({ 'hub.mode': 'subscribe', 'hub.verify_token': 'my-verify-token' }, 'my-verify-token'), null, 'no challenge')
  t.equal(verifyChallenge({ ...ok, 'hub.verify_token': ['my-verify-token'] }, 'my-verify-token'), null, 'repeated parameter (array)')
  t.equal(verifyChallenge({ ...ok, 'hub.challenge': '<script>alert(1)</script>' }, 'my-verify-token'), null, 'never echoes markup')
  t.equal(verifyChallenge(ok, ''), null, 'no verify token configured')
  t.equal(verifyChallenge(undefined, 'my-verify-token'), null)
})

t.test('verifySignature', async (t) => {
  const raw = Buffer.from('{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[]}]}')
  t.equal(verifySignature(raw, sign(raw), SECRET), true, 'valid')
  t.equal(verifySignature(raw, sign(raw).toUpperCase().replace('SHA256=', 'sha256='), SECRET), true, 'hex in upper case')
  t.equal(verifySignature(raw, sign(raw, 'another-secret'), SECRET), false, 'wrong secret')
  t.equal(verifySignature(Buffer.concat([raw, Buffer.from(' ')]), sign(raw), SECRET), false, 'body changed')
  t.equal(verifySignature(raw, undefined, SECRET), false, 'missing')
  t.equal(verifySignature(raw, '', SECRET), false, 'empty')
  t.equal(verifySignature(raw, sign(raw).slice(7), SECRET), false, 'no sha256= prefix')
  t.equal(verifySignature(raw, 'sha1=' + createHmac('sha1', SECRET).update(raw).digest('hex'), SECRET), false, 'sha1')
  t.equal(verifySignature(raw, sign(raw).slice(0, -2), SECRET), false, 'truncated')
  t.equal(verifySignature(raw, sign(raw) + '00', SECRET), false, 'too long')
  t.equal(verifySignature(raw, 'sha256=' + 'zz'.repeat(32), SECRET), false, 'not hex')
  t.equal(verifySignature(raw, sign(raw), ''), false, 'no app secret configured')
  t.equal(verifySignature('text' as unknown as Buffer, sign('text'), SECRET), false, 'not a buffer')

  // Meta signs the bytes it sent; a parsed and re-serialised body is different bytes.
  const sent = Buffer.from('{"object": "whatsapp_business_account", "entry": [{"id": "1", "text": "caf\\u00e9 \\/ ok"}]}')
  const header = sign(sent)
  t.equal(verifySignature(sent, header, SECRET), true, 'raw body verifies')
  const reserialised = Buffer.from(JSON.stringify(JSON.parse(sent.toString())))
  t.not(reserialised.toString(), sent.toString())
  t.equal(verifySignature(reserialised, header, SECRET), false, 'the re-serialised body does not')
})

t.test('waIdToAddress', async (t) => {
  t.equal(waIdToAddress('6281234567890'), '+6281234567890')
  t.equal(waIdToAddress('5215512345678'), '+525512345678', "Mexico's legacy mobile 1")
  t.equal(waIdToAddress('15550783881'), '+15550783881', 'not valid for libphonenumber, still digits')
  t.equal(waIdToAddress('not-a-number'), 'not-a-number')
})

function batch() {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: 'WABA-1',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '6281234567890', phone_number_id: PNID },
              contacts: [
                { profile: { name: 'Budi Santoso' }, wa_id: '6281298765432' },
                { profile: { name: 'Ana López' }, wa_id: '5215512345678' },
              ],
              messages: [
                { from: '6281298765432', id: 'wamid.TEXT', timestamp: '1767225600', type: 'text', text: { body: 'Halo, ada stok?' } },
                { from: '6281298765432', id: 'wamid.REPLY', timestamp: '1767225601', type: 'text', text: { body: 'yang merah' }, context: { from: '6281234567890', id: 'wamid.PARENT' } },
                { from: '5215512345678', id: 'wamid.IMAGE', timestamp: '1767225602', type: 'image', image: { caption: 'foto', mime_type: 'image/jpeg', sha256: 'abc', id: '1001' } },
                { from: '6281298765432', id: 'wamid.DOC', timestamp: '1767225603', type: 'document', document: { caption: 'invoice', filename: 'inv.pdf', mime_type: 'application/pdf', sha256: 'abc', id: '1002' } },
                { from: '6281298765432', id: 'wamid.AUDIO', timestamp: '1767225604', type: 'audio', audio: { mime_type: 'audio/ogg; codecs=opus', sha256: 'abc', id: '1003', voice: true } },
                { from: '6281298765432', id: 'wamid.VIDEO', timestamp: '1767225605', type: 'video', video: { mime_type: 'video/mp4', sha256: 'abc', id: '1004' } },
                { from: '6281298765432', id: 'wamid.STICKER', timestamp: '1767225606', type: 'sticker', sticker: { mime_type: 'image/webp', sha256: 'abc', id: '1005', animated: false } },
                // Broken: no id. Must not take the rest of the batch with it.
                { from: '6281298765432', timestamp: '1767225607', type: 'text', text: { body: 'lost' } },
                // Broken: media id that would step out of the URL path.
                { from: '6281298765432', id: 'wamid.EVIL', timestamp: '1767225607', type: 'image', image: { id: '../../me?x=' } },
              ],
            },
          },
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '6281234567890', phone_number_id: PNID },
              contacts: [{ profile: { name: 'Citra' }, wa_id: '6281311112222' }],
              messages: [
                { from: '6281311112222', id: 'wamid.LOC', timestamp: 1767225610, type: 'location', location: { latitude: -6.175392, longitude: 106.827153, name: 'Monas', address: 'Gambir, Jakarta' } },
                { from: '6281311112222', id: 'wamid.REACT', timestamp: '1767225611', type: 'reaction', reaction: { message_id: 'wamid.OURS', emoji: '❤️' } },
                { from: '6281311112222', id: 'wamid.UNREACT', timestamp: '1767225612', type: 'reaction', reaction: { message_id: 'wamid.OURS' } },
                {
                  from: '6281311112222',
                  id: 'wamid.CONTACTS',
                  timestamp: '1767225613',
                  type: 'contacts',
                  contacts: [
                    {
                      name: { formatted_name: 'Dewi; Admin, Toko', first_name: 'Dewi', last_name: 'Lestari' },
                      phones: [{ phone: '+62 812-1111-2222', wa_id: '6281211112222', type: 'CELL' }, { phone: '021 555 0100', type: 'WORK\r\nX-EVIL:1' }],
                      emails: [{ email: 'dewi@example.com', type: 'WORK' }],
                      org: { company: 'Toko Dewi', title: 'Owner' },
                      addresses: [{ street: 'Jl. Merdeka 1', city: 'Jakarta', country: 'Indonesia', type: 'WORK' }],
                      urls: [{ url: 'https://toko.example', type: 'WORK' }],
                      birthday: '1990-05-17',
                    },
                    { name: { formatted_name: 'Line\nBreak' }, phones: [{ phone: '+6281300000000' }] },
                  ],
                },
                { from: '6281311112222', id: 'wamid.BUTTON', timestamp: '1767225614', type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: 'yes', title: 'Ya, kirim' } }, context: { id: 'wamid.ASKED' } },
                { from: '6281311112222', id: 'wamid.LIST', timestamp: '1767225615', type: 'interactive', interactive: { type: 'list_reply', list_reply: { id: 'r2', title: 'Ukuran M', description: 'Medium' } } },
                { from: '6281311112222', id: 'wamid.QR', timestamp: '1767225616', type: 'button', button: { payload: 'STOP', text: 'Berhenti' }, context: { id: 'wamid.TEMPLATE' } },
                { from: '6281311112222', id: 'wamid.UNSUPPORTED', timestamp: '1767225617', type: 'unsupported', errors: [{ code: 131051, title: 'Message type unknown' }] },
                { from: '6281311112222', id: 'wamid.SYSTEM', timestamp: '1767225618', type: 'system', system: { body: 'changed number' } },
                // Broken: a text without its text, a location off the globe, an unknown interactive.
                { from: '6281311112222', id: 'wamid.BAD1', timestamp: '1767225619', type: 'text' },
                { from: '6281311112222', id: 'wamid.BAD2', timestamp: '1767225619', type: 'location', location: { latitude: 'north', longitude: 500 } },
                { from: '6281311112222', id: 'wamid.BAD3', timestamp: 'yesterday', type: 'text', text: { body: 'x' } },
                'not even an object',
              ],
            },
          },
          // Not the messages field: ignored silently.
          { field: 'message_template_status_update', value: { event: 'APPROVED', message_template_id: 1 } },
        ],
      },
      {
        id: 'WABA-1',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '6281234567890', phone_number_id: PNID },
              statuses: [
                { id: 'wamid.OUT1', status: 'sent', timestamp: '1767225700', recipient_id: '6281298765432', conversation: { id: 'c1', origin: { type: 'service' } }, pricing: { billable: true } },
                { id: 'wamid.OUT1', status: 'delivered', timestamp: '1767225701', recipient_id: '6281298765432' },
                { id: 'wamid.OUT1', status: 'read', timestamp: '1767225702', recipient_id: '6281298765432' },
                {
                  id: 'wamid.OUT2',
                  status: 'failed',
                  timestamp: '1767225703',
                  recipient_id: '6281298765432',
                  errors: [{ code: 131047, title: 'Re-engagement message', message: 'Re-engagement message', error_data: { details: 'More than 24 hours have passed' } }],
                },
                { id: 'wamid.OUT3', status: 'failed', timestamp: '1767225704', recipient_id: '6281298765432' },
                { id: 'wamid.OUT4', status: 'deleted', timestamp: '1767225705' },
                { status: 'read', timestamp: '1767225706' },
              ],
            },
          },
          {
            // Another number of the same WABA: not ours.
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '6289999999999', phone_number_id: '999999999999999' },
              messages: [{ from: '6281298765432', id: 'wamid.FOREIGN', timestamp: '1767225800', type: 'text', text: { body: 'not for you' } }],
              statuses: [{ id: 'wamid.FOREIGN-OUT', status: 'read', timestamp: '1767225800' }],
            },
          },
          { field: 'messages', value: { messaging_product: 'whatsapp', metadata: { phone_number_id: PNID }, errors: [{ code: 131000, title: 'Something went wrong' }] } },
          { field: 'messages' },
        ],
      },
      'junk entry',
    ],
  }
}

t.test('parseWebhook: a batch of everything', async (t) => {
  const asked: string[] = []
  const media = (id: string) => {
    asked.push(id)
    return async () => Buffer.from(`bytes of ${id}`)
  }
  const { messages, statuses, errors } = parseWebhook(batch(), { phoneNumberId: PNID, media })
  const byId = new Map(messages.map((m) => [m.providerId, m]))

  t.same(
    messages.map((m) => m.providerId),
    ['wamid.TEXT', 'wamid.REPLY', 'wamid.IMAGE', 'wamid.DOC', 'wamid.AUDIO', 'wamid.VIDEO', 'wamid.STICKER', 'wamid.LOC', 'wamid.REACT', 'wamid.UNREACT', 'wamid.CONTACTS', 'wamid.BUTTON', 'wamid.LIST', 'wamid.QR', 'wamid.UNSUPPORTED'],
    'the good messages survive, in order',
  )

  t.same(byId.get('wamid.TEXT'), { providerId: 'wamid.TEXT', from: '+6281298765432', fromName: 'Budi Santoso', timestamp: new Date(1767225600 * 1000), type: 'text', text: 'Halo, ada stok?' })
  t.equal(byId.get('wamid.REPLY')!.replyTo, 'wamid.PARENT')

  const image = byId.get('wamid.IMAGE')!
  t.equal(image.from, '+525512345678', 'wa_id → E.164')
  t.equal(image.fromName, 'Ana López')
  t.equal(image.type, 'image')
  t.match(image.media, { mime: 'image/jpeg', caption: 'foto' })
  t.equal(image.text, undefined, 'the caption stays on the media')
  t.same(byId.get('wamid.DOC')!.media && { ...byId.get('wamid.DOC')!.media, download: undefined }, { mime: 'application/pdf', caption: 'invoice', filename: 'inv.pdf', download: undefined })
  t.equal(byId.get('wamid.AUDIO')!.media!.mime, 'audio/ogg; codecs=opus')
  t.equal(byId.get('wamid.VIDEO')!.type, 'video')
  t.equal(byId.get('wamid.STICKER')!.type, 'sticker')
  t.same(asked, ['1001', '1002', '1003', '1004', '1005'], 'a download per media, by id')
  t.same(await byId.get('wamid.DOC')!.media!.download(), Buffer.from('bytes of 1002'))

  t.same(byId.get('wamid.LOC')!.location, { latitude: -6.175392, longitude: 106.827153, name: 'Monas', address: 'Gambir, Jakarta' })
  t.equal(byId.get('wamid.LOC')!.timestamp.getTime(), 1767225610 * 1000, 'numeric timestamp')
  t.same(byId.get('wamid.REACT')!.reaction, { providerId: 'wamid.OURS', emoji: '❤️' })
  t.same(byId.get('wamid.UNREACT')!.reaction, { providerId: 'wamid.OURS', emoji: '' }, 'a removed reaction')
  t.equal(byId.get('wamid.REACT')!.type, 'reaction')

  const contacts = byId.get('wamid.CONTACTS')!
  t.equal(contacts.type, 'contacts')
  t.equal(contacts.contacts!.length, 2)
  t.equal(
    contacts.contacts![0],
    [
      'BEGIN:VCARD',
      'VERSION:3.0',
      'N:Lestari;Dewi;;;',
      'FN:Dewi\\; Admin\\, Toko',
      'ORG:Toko Dewi',
      'TITLE:Owner',
      'TEL;type=CELL;waid=6281211112222:+62 812-1111-2222',
      'TEL:021 555 0100',
      'EMAIL;type=INTERNET;type=WORK:dewi@example.com',
      'ADR;type=WORK:;;Jl. Merdeka 1;Jakarta;;;Indonesia',
      'URL;type=WORK:https://toko.example',
      'BDAY:1990-05-17',
      'END:VCARD',
    ].join('\r\n'),
    'vCard 3.0; a crafted type parameter cannot add a line',
  )
  t.match(contacts.contacts![1], /\r\nFN:Line\\nBreak\r\n/, 'newlines in values are escaped')

  t.same([byId.get('wamid.BUTTON')!.type, byId.get('wamid.BUTTON')!.text, byId.get('wamid.BUTTON')!.replyTo], ['text', 'Ya, kirim', 'wamid.ASKED'])
  t.equal(byId.get('wamid.LIST')!.text, 'Ukuran M')
  t.same([byId.get('wamid.QR')!.text, byId.get('wamid.QR')!.replyTo], ['Berhenti', 'wamid.TEMPLATE'])
  t.equal(byId.get('wamid.UNSUPPORTED')!.type, 'unknown', 'kept, as unknown')
  t.notOk(byId.has('wamid.FOREIGN'), 'another number is skipped')

  t.same(statuses, [
    { providerId: 'wamid.OUT1', status: 'sent', at: new Date(1767225700 * 1000) },
    { providerId: 'wamid.OUT1', status: 'delivered', at: new Date(1767225701 * 1000) },
    { providerId: 'wamid.OUT1', status: 'read', at: new Date(1767225702 * 1000) },
    { providerId: 'wamid.OUT2', status: 'failed', at: new Date(1767225703 * 1000), error: 'Re-engagement message: More than 24 hours have passed [Meta 131047]' },
    { providerId: 'wamid.OUT3', status: 'failed', at: new Date(1767225704 * 1000), error: 'failed (Meta gave no reason)' },
  ])

  const expected = [
    /^entry\[0\]\.changes\[0\]\.value\.messages\[7\]: id is missing/,
    /^entry\[0\]\.changes\[0\]\.value\.messages\[8\]: image\.id is not a media id/,
    /^entry\[0\]\.changes\[1\]\.value\.messages\[8\]: "system" message ignored/,
    /^entry\[0\]\.changes\[1\]\.value\.messages\[9\]: text is not an object/,
    /^entry\[0\]\.changes\[1\]\.value\.messages\[10\]: location\.latitude is not a coordinate/,
    /^entry\[0\]\.changes\[1\]\.value\.messages\[11\]: timestamp is not a unix time/,
    /^entry\[0\]\.changes\[1\]\.value\.messages\[12\]: the message is not an object/,
    /^entry\[1\]\.changes\[0\]\.value\.statuses\[5\]: status "deleted" is not one we track/,
    /^entry\[1\]\.changes\[0\]\.value\.statuses\[6\]: id is missing/,
    /^entry\[1\]\.changes\[1\]: for phone number id "999999999999999", not this number: skipped/,
    /^entry\[1\]\.changes\[2\]\.value\.errors\[0\]: Meta reported Something went wrong \[Meta 131000\]/,
    /^entry\[1\]\.changes\[3\]: value is not an object/,
    /^entry\[2\]: has no changes list/,
  ]
  t.equal(errors.length, expected.length, errors.join('\n'))
  expected.forEach((re, i) => t.match(errors[i], re))
})

t.test('parseWebhook never throws on junk', async (t) => {
  const opts = { phoneNumberId: PNID, media: () => async () => Buffer.alloc(0) }
  const junk: unknown[] = [null, 42, 'x', [], {}, { object: 'page', entry: [] }, { entry: 'no' }, { entry: [{ changes: [null, 1, { field: 'messages', value: { metadata: { phone_number_id: 5 } } }] }] },
    { entry: [{ changes: [{ field: 'messages', value: { metadata: { phone_number_id: PNID }, messages: 'x', statuses: {} } }] }] },
    { entry: [{ changes: [{ field: 'messages', value: { metadata: { phone_number_id: PNID }, messages: [{ id: 'a', from: '1', timestamp: '1', type: '__proto__' }, { id: 'b', from: '1', timestamp: '1', type: 'contacts', contacts: [{}] }, { id: 'c', from: '1', timestamp: '1', type: 'interactive', interactive: { type: 'constructor' } }] } }] }] }]
  for (const body of junk) {
    const out = parseWebhook(body, opts)
    t.equal(out.messages.filter((m) => m.type !== 'unknown').length, 0)
    t.equal(out.statuses.length, 0)
  }
  const last = parseWebhook(junk.at(-1), opts)
  t.same(last.messages.map((m) => [m.providerId, m.type]), [['a', 'unknown']], 'an unknown type is kept as unknown, nothing read from it')
  t.match(last.errors, [/contacts\[0\]: a contact is not|contacts\[0\]: a contact has neither/, /interactive type "constructor" is not known/])
  const many = { entry: [{ changes: [{ field: 'messages', value: { metadata: { phone_number_id: PNID }, messages: Array.from({ length: 500 }, () => 'x') } }] }] }
  t.equal(parseWebhook(many, opts).errors.length, 101, 'errors are bounded')
})

t.test('mediaDownloader', async (t) => {
  let graph: FakeGraph
  t.before(async () => {
    graph = await startFakeGraph()
  })
  t.teardown(() => graph.close())
  t.beforeEach(() => graph.reset())
  const config = (): CloudConfig => ({ phoneNumberId: PNID, accessToken: 'EAAG-media-token-1234567', appSecret: SECRET, verifyToken: 'verify-token', graphBaseUrl: graph.url })

  async function failure(p: Promise<unknown>): Promise<DriverError> {
    try {
      await p
    } catch (err) {
      if (err instanceof DriverError) return err
      throw err
    }
    throw new Error('did not fail')
  }

  t.test('asks Graph for the URL, then fetches it with the token', async (t) => {
    const bytes = Buffer.from('\x89PNG fake image bytes', 'latin1')
    graph.on('GET', '/v21.0/1001', () => ({ json: { messaging_product: 'whatsapp', url: `${graph.url}/lookaside/1001?hash=abc`, mime_type: 'image/png', file_size: bytes.length, id: '1001' } }))
    graph.on('GET', '/lookaside/1001', { body: bytes, headers: { 'content-type': 'image/png' } })
    const download = mediaDownloader(config())('1001')
    t.equal(graph.requests.length, 0, 'nothing fetched until asked')
    t.ok((await download()).equals(bytes))
    const [info, file] = graph.requests
    t.same(info!.query, { phone_number_id: PNID }, 'only media of this number')
    t.equal(info!.headers.authorization, 'Bearer EAAG-media-token-1234567')
    t.equal(file!.headers.authorization, 'Bearer EAAG-media-token-1234567')
    t.equal(file!.query.hash, 'abc')
  })

  t.test('refuses a file announced beyond the cap without downloading it', async (t) => {
    graph.on('GET', '/v21.0/1002', { json: { url: `${graph.url}/lookaside/1002`, mime_type: 'video/mp4', file_size: 2_000_000 } })
    const err = await failure(mediaDownloader(config(), { maxBytes: 1_000_000 })('1002')())
    t.equal(err.code, 'media_too_large')
    t.equal(err.retryable, false)
    t.equal(graph.requests.length, 1)
  })

  t.test('aborts a body that grows beyond the cap (size unannounced)', async (t) => {
    graph.on('GET', '/v21.0/1003', { json: { url: `${graph.url}/lookaside/1003`, mime_type: 'video/mp4' } })
    graph.on('GET', '/lookaside/1003', { body: Buffer.alloc(300_000, 1), chunkSize: 16_384 })
    const err = await failure(mediaDownloader(config(), { maxBytes: 100_000 })('1003')())
    t.equal(err.code, 'media_too_large')
  })

  t.test('a Content-Length beyond the cap is refused before reading', async (t) => {
    graph.on('GET', '/v21.0/1004', { json: { url: `${graph.url}/lookaside/1004` } })
    graph.on('GET', '/lookaside/1004', { body: Buffer.alloc(50_000, 1) })
    t.equal((await failure(mediaDownloader(config(), { maxBytes: 10_000 })('1004')())).code, 'media_too_large')
    t.equal((await mediaDownloader(config(), { maxBytes: 50_000 })('1004')()).length, 50_000, 'exactly the cap is fine')
  })

  t.test('errors', async (t) => {
    graph.on('GET', '/v21.0/1005', graph.error(400, 100, "Unsupported get request. Object with ID '1005' does not exist", { subcode: 33 }))
    t.equal((await failure(mediaDownloader(config())('1005')())).code, 'not_found')
    graph.on('GET', '/v21.0/1006', { json: { url: `${graph.url}/lookaside/1006` } })
    graph.on('GET', '/lookaside/1006', { status: 503, body: 'busy' })
    const busy = await failure(mediaDownloader(config())('1006')())
    t.equal(busy.retryable, true)
    graph.on('GET', '/v21.0/1007', { json: { url: 'file:///etc/passwd' } })
    t.equal((await failure(mediaDownloader(config())('1007')())).code, 'bad_response', 'only http(s) URLs get the token')
    const before = graph.requests.length
    t.equal((await failure(mediaDownloader(config())('../v21.0/me')())).code, 'invalid_media_id')
    t.equal(graph.requests.length, before, 'nothing asked for a bad id')
  })

  t.test('an https Graph never sends the token to a plain http media URL', async (t) => {
    const fakeFetch: typeof fetch = async () => new Response(JSON.stringify({ url: 'http://lookaside.example/x' }), { headers: { 'content-type': 'application/json' } })
    const err = await failure(mediaDownloader({ ...config(), graphBaseUrl: 'https://graph.facebook.com' }, { fetch: fakeFetch })('1008')())
    t.equal(err.code, 'bad_response')
  })
})
