import t from 'tap'
import { createTestKernel, type TestSession } from '@sapa/sdk/testing'
import { newId } from '@sapa/sdk'
import { WHATSAPP } from './support/kernel.ts'
import { multipart, OGG, PDF, PNG, type Part } from './support/multipart.ts'

/** Media upload and download: types from the bytes, never from the client; nothing served as a page. */

t.test('media', async (t) => {
  const h = await createTestKernel(t, { plugins: [WHATSAPP] })
  const tenant = await h.createTenant()
  const admin = await h.login(tenant, 'admin')
  const upload = (s: TestSession, parts: Part[]) => s.inject({ method: 'POST', url: '/api/whatsapp/media', ...multipart(parts) })
  const file = (filename: string, data: Buffer | string, type = 'application/octet-stream'): Part => ({ name: 'file', filename, type, data })
  const kind = (value: string): Part => ({ name: 'kind', value })
  const download = (s: TestSession, id: string) => s.inject({ method: 'GET', url: `/api/whatsapp/media/${id}` })

  await t.test('an image round-trips with safe headers', async (t) => {
    const res = await upload(admin, [kind('image'), file('dot.png', PNG, 'image/png')])
    t.equal(res.statusCode, 201)
    t.match(res.json(), { id: /^[0-9a-f-]{36}$/, mime: 'image/png', size: PNG.length, filename: 'dot.png', url: `/api/whatsapp/media/${res.json().id}` })
    const got = await download(admin, res.json().id)
    t.equal(got.statusCode, 200)
    t.ok(got.rawPayload.equals(PNG), 'the same bytes back')
    t.equal(got.headers['content-type'], 'image/png')
    t.equal(got.headers['x-content-type-options'], 'nosniff')
    t.match(got.headers['content-security-policy'], /sandbox/, 'CSP sandbox')
    t.match(got.headers['content-security-policy'], /default-src 'none'/)
    t.match(got.headers['content-disposition'], /^inline; filename="dot.png"/)
    t.equal((await h.services.db('whatsapp_media').where({ id: res.json().id }).first()).tenant_id, tenant.id)

    const audio = await upload(admin, [kind('audio'), file('voice.ogg', OGG, 'audio/ogg')])
    t.equal(audio.statusCode, 201, audio.body)
    t.equal(audio.json().mime, 'audio/ogg', 'audio sniffed from its bytes')
  })

  await t.test('a spoofed type: HTML named x.png is refused as an image, never stored as HTML', async (t) => {
    const html = '<!doctype html><html><body><script>alert(document.cookie)</script></body></html>'
    const asImage = await upload(admin, [kind('image'), file('x.png', html, 'image/png')])
    t.equal(asImage.statusCode, 415)
    t.equal(asImage.json().error.code, 'media_type_not_allowed')
    t.notMatch(asImage.body, /script|alert/, 'the error does not echo the content')

    const asDocument = await upload(admin, [file('x.png', html, 'image/png')])
    if (asDocument.statusCode === 201) {
      t.notOk(/html|svg|xml|javascript/.test(asDocument.json().mime), `stored as ${asDocument.json().mime}, not as a page`)
      const got = await download(admin, asDocument.json().id)
      t.notMatch(got.headers['content-type'], /html|image\/png/, `served as ${got.headers['content-type']}`)
      t.match(got.headers['content-disposition'], /^attachment;/, 'as an attachment')
      t.equal(got.headers['x-content-type-options'], 'nosniff')
    } else {
      t.equal(asDocument.statusCode, 415, 'or refused outright')
    }

    // Plain text is fine as a document, whatever its name says; never inline.
    const text = await upload(admin, [file('notes.png', 'Halo, ini catatan pesanan.', 'image/png')])
    t.equal(text.statusCode, 201)
    t.equal(text.json().mime, 'text/plain', 'text is text, not png')
    const got = await download(admin, text.json().id)
    t.match(got.headers['content-type'], /^text\/plain/)
    t.match(got.headers['content-disposition'], /^attachment;/)
  })

  await t.test('an SVG is never served inline', async (t) => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
    for (const [label, parts] of [
      ['as an image', [kind('image'), file('logo.svg', svg, 'image/svg+xml')]],
      ['as a document', [file('logo.svg', svg, 'image/svg+xml')]],
      ['with an XML prolog', [file('logo.svg', `<?xml version="1.0"?>\n${svg}`, 'image/svg+xml')]],
    ] as const) {
      const res = await upload(admin, [...parts])
      if (res.statusCode === 201) {
        t.not(res.json().mime, 'image/svg+xml', `${label}: not stored as SVG`)
        const got = await download(admin, res.json().id)
        t.equal(got.headers['content-type'], 'application/octet-stream', `${label}: served as bytes`)
        t.match(got.headers['content-disposition'], /^attachment;/, `${label}: as an attachment`)
      } else {
        t.equal(res.statusCode, 415, `${label}: refused`)
      }
    }
    // A row that says SVG (older data, another writer): still bytes, still an attachment.
    const id = newId()
    await h.services.storage.put(`${tenant.id}/${id}`, Buffer.from(svg))
    await h.services.db('whatsapp_media').insert({ tenant_id: tenant.id, id, mime: 'image/svg+xml', size: svg.length, filename: 'logo.svg', sha256: 'x'.repeat(64), storage_key: `${tenant.id}/${id}` })
    const got = await download(admin, id)
    t.equal(got.statusCode, 200)
    t.equal(got.headers['content-type'], 'application/octet-stream')
    t.match(got.headers['content-disposition'], /^attachment; filename="logo.svg"/)
    t.equal(got.headers['x-content-type-options'], 'nosniff')
    t.match(got.headers['content-security-policy'], /sandbox/)
  })

  await t.test('file names are cleaned for Content-Disposition', async (t) => {
    const cases: [string, string][] = [
      ['../../etc/passwd', 'passwd'],
      ['..\\..\\windows\\win.ini', 'win.ini'],
      ['in\u0007vo\u0000ice\u001b.pdf', 'invoice.pdf'],
      ['fak\u200btur\u200d\u2060.pdf', 'faktur.pdf'],
      ['\u202efdp.exe', 'fdp.exe'],
      ['a<b>c|d:e*f?.pdf', 'abcdef.pdf'],
      ['bom\ufeff\u00adsoft\u2028line.pdf', 'bomsoftline.pdf'],
      ['...', ''],
    ]
    for (const [name, expected] of cases) {
      // Test names go into the TAP stream: keep them to printable ASCII (a raw U+2028 breaks the line).
      const label = JSON.stringify(name).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
      const res = await upload(admin, [file(name, PDF, 'application/pdf')])
      t.equal(res.statusCode, 201, `${label} uploads`)
      const stored = res.json().filename as string
      if (expected) t.equal(stored, expected, `${label} → ${expected}`)
      else t.match(stored, /^document-[0-9a-f]{8}$/, `${label} → a generated name`)
      const disposition = (await download(admin, res.json().id)).headers['content-disposition'] as string
      t.notMatch(disposition, /[\u0000-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2060-\u2069]/, `${label}: no control or invisible characters`)
      t.notMatch(disposition, /\.\.|\/|\\/, `${label}: no path`)
      t.equal((disposition.match(/"/g) ?? []).length, 2, `${label}: one quoted filename`)
    }
    // Non-ASCII names survive in filename* and are replaced in the ASCII fallback.
    const res = await upload(admin, [file('faktur-مرحبا-😀.pdf', PDF, 'application/pdf')])
    t.equal(res.json().filename, 'faktur-مرحبا-😀.pdf')
    const disposition = (await download(admin, res.json().id)).headers['content-disposition'] as string
    t.match(disposition, /filename="faktur-[_]+-_+\.pdf"/)
    t.ok(disposition.includes(`filename*=UTF-8''${encodeURIComponent('faktur-مرحبا-😀.pdf')}`), 'the UTF-8 name in filename*')
    const quote = await upload(admin, [file("it's (final).pdf", PDF, 'application/pdf')])
    const quoted = (await download(admin, quote.json().id)).headers['content-disposition'] as string
    t.ok(quoted.endsWith("filename*=UTF-8''it%27s%20%28final%29.pdf"), `RFC 5987 filename*: ${quoted}`)
  })

  await t.test('size caps, empty files and bad requests', async (t) => {
    const big = Buffer.concat([PNG, Buffer.alloc(5 * 1024 * 1024)])
    const tooBig = await upload(admin, [kind('image'), file('big.png', big, 'image/png')])
    t.equal(tooBig.statusCode, 413, 'an image over 5 MB')
    t.equal(tooBig.json().error.code, 'media_too_large')
    const sticker = await upload(admin, [kind('sticker'), file('s.webp', Buffer.concat([Buffer.from('RIFF\x00\x00\x00\x00WEBPVP8 ', 'latin1'), Buffer.alloc(600 * 1024)]), 'image/webp')])
    t.equal(sticker.statusCode, 413, 'a sticker over 500 KB')
    const empty = await upload(admin, [file('empty.pdf', Buffer.alloc(0), 'application/pdf')])
    t.equal(empty.statusCode, 400)
    t.equal(empty.json().error.code, 'media_empty')
    const noFile = await upload(admin, [kind('image')])
    t.equal(noFile.statusCode, 400)
    t.equal(noFile.json().error.code, 'file_required')
    const badKind = await upload(admin, [kind('executable'), file('a.png', PNG)])
    t.equal(badKind.statusCode, 400)
    t.equal(badKind.json().error.code, 'invalid_media_kind')
    const json = await admin.inject({ method: 'POST', url: '/api/whatsapp/media', payload: { file: 'x' } })
    t.ok([400, 415].includes(json.statusCode), `not multipart → ${json.statusCode}`)
    t.equal((await h.services.db('whatsapp_media').where({ filename: 'big.png' })).length, 0, 'nothing stored for refused files')
  })

  await t.test('tenants apart; permissions', async (t) => {
    const mine = (await upload(admin, [kind('image'), file('dot.png', PNG, 'image/png')])).json().id
    const other = await h.login(await h.createTenant(), 'admin')
    const res = await download(other, mine)
    t.equal(res.statusCode, 404, "another tenant's media id is a 404")
    t.equal(res.json().error.code, 'media_not_found')
    t.equal((await download(admin, '01a20f3d-015c-700c-a543-b446c6de3bed')).statusCode, 404)
    t.equal((await download(admin, '..%2F..%2Fetc%2Fpasswd')).statusCode, 400, 'a path is not an id')

    const junior = await h.login(tenant, 'junior_agent')
    t.equal((await download(junior, mine)).statusCode, 200, 'a junior agent may view')
    t.equal((await upload(junior, [file('a.pdf', PDF)])).statusCode, 403, 'but not upload')
    const guest = await h.login(tenant, 'guest')
    t.equal((await download(guest, mine)).statusCode, 403)
    t.equal((await h.inject({ method: 'GET', url: `/api/whatsapp/media/${mine}` })).statusCode, 401, 'no session: 401')
  })
})
