import t from 'tap'
import { createCloudDriver, type CloudDriverDeps } from '../server/drivers/cloud/driver.ts'
import type { CloudConfig } from '../server/drivers/cloud/config.ts'
import { DriverError, type DriverContext, type OutboundMessage, type SessionStatus, type SessionStatusDetail } from '../server/drivers/port.ts'
import { startFakeGraph, type FakeGraph } from './support/fake-graph.ts'

const PNID = '106540352242922'
const MESSAGES = `/v21.0/${PNID}/messages`
const MEDIA = `/v21.0/${PNID}/media`
const TOKEN = 'EAAG-test-access-token-0123456789'

let graph: FakeGraph
t.before(async () => {
  graph = await startFakeGraph()
})
t.teardown(() => graph.close())
t.beforeEach(() => graph.reset())

function setup(overrides: Partial<CloudConfig> = {}, deps: CloudDriverDeps = {}) {
  const statuses: Array<[SessionStatus, SessionStatusDetail | undefined]> = []
  let clock = Date.parse('2026-01-01T00:00:00Z')
  let cleared = 0
  const ctx: DriverContext<CloudConfig> = {
    tenantId: 't1',
    sessionId: 's1',
    config: { phoneNumberId: PNID, accessToken: TOKEN, appSecret: 'app-secret-1', verifyToken: 'verify-token-1', graphBaseUrl: graph.url, ...overrides },
    events: {
      status: (status, detail) => void statuses.push([status, detail]),
      inbound: async () => {},
      ack: async () => {},
    },
    state: { get: async () => null, getMany: async () => ({}), set: async () => {}, clear: async () => void cleared++ },
    logger: { info() {}, warn() {}, error() {}, debug() {} },
    now: () => new Date(clock),
  }
  const driver = createCloudDriver(ctx, { random: () => 0.5, ...deps })
  return { driver, statuses, advance: (ms: number) => void (clock += ms), cleared: () => cleared }
}

function verified() {
  graph.on('GET', `/v21.0/${PNID}`, { json: { display_phone_number: '+62 812-3456-7890', verified_name: 'Toko Sapa', id: PNID } })
}

async function connected(overrides: Partial<CloudConfig> = {}, deps: CloudDriverDeps = {}) {
  verified()
  const s = setup(overrides, deps)
  await s.driver.connect()
  graph.requests.length = 0
  return s
}

let seq = 0
function accept(id = `wamid.OK${++seq}`) {
  graph.once('POST', MESSAGES, { json: { messaging_product: 'whatsapp', contacts: [{ input: '6281298765432', wa_id: '6281298765432' }], messages: [{ id }] } })
  return id
}

const msg = (m: Partial<OutboundMessage> & Pick<OutboundMessage, 'type'>): OutboundMessage => ({ id: `m-${++seq}`, to: '+6281298765432', ...m })

async function sendError(driver: { send(m: OutboundMessage): Promise<unknown> }, m: OutboundMessage): Promise<DriverError> {
  try {
    await driver.send(m)
  } catch (err) {
    if (err instanceof DriverError) return err
    throw err
  }
  throw new Error('send did not fail')
}

t.test('connect verifies the token on the phone number and reports the number', async (t) => {
  verified()
  const { driver, statuses } = setup()
  t.same(driver.capabilities, { qr: false, pairingCode: false, templates: true, reactions: true, typingPresence: false })
  await driver.connect()
  t.same(statuses, [['connecting', undefined], ['connected', { phone: '+6281234567890' }]])
  const req = graph.requests[0]!
  t.equal(req.method, 'GET')
  t.equal(req.path, `/v21.0/${PNID}`)
  t.same(req.query, { fields: 'display_phone_number,verified_name' })
  t.equal(req.headers.authorization, `Bearer ${TOKEN}`)
})

t.test('connect: custom api version, and a base URL with a trailing slash', async (t) => {
  graph.on('GET', `/v20.0/${PNID}`, { json: { display_phone_number: '15550783881' } })
  const { driver, statuses } = setup({ apiVersion: 'v20.0', graphBaseUrl: graph.url + '/' })
  await driver.connect()
  t.same(statuses.at(-1), ['connected', { phone: '+15550783881' }], "Meta's 555 test number kept as + and digits")
})

t.test('connect with a bad token fails clearly, and sends are refused', async (t) => {
  graph.on('GET', `/v21.0/${PNID}`, graph.error(401, 190, 'Error validating access token: Session has expired', { subcode: 463 }))
  const { driver, statuses } = setup()
  await driver.connect()
  const [status, detail] = statuses.at(-1)!
  t.equal(status, 'failed')
  t.match(detail?.error, /access token/)
  t.match(detail?.error, /Meta 190\/463/)
  const err = await sendError(driver, msg({ type: 'text', text: 'hi' }))
  t.equal(err.code, 'not_connected')
})

t.test('connect with an unknown phone number id', async (t) => {
  graph.on('GET', `/v21.0/${PNID}`, graph.error(400, 100, "Unsupported get request. Object with ID '106540352242922' does not exist", { subcode: 33 }))
  const { driver, statuses } = setup()
  await driver.connect()
  t.equal(statuses.at(-1)![0], 'failed')
  t.match(statuses.at(-1)![1]?.error, /phone number id 106540352242922/)
})

t.test('connect on a network error fails, and the next connect retries', async (t) => {
  let down = true
  const flaky: typeof fetch = (input, init) => (down ? Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })) : fetch(input, init))
  verified()
  const { driver, statuses } = setup({}, { fetch: flaky })
  await driver.connect()
  t.equal(statuses.at(-1)![0], 'failed')
  t.match(statuses.at(-1)![1]?.error, /connect again to retry.*ECONNREFUSED/)
  down = false
  await driver.connect()
  t.equal(statuses.at(-1)![0], 'connected')
})

t.test('disconnect and logout are local', async (t) => {
  const { driver, statuses, cleared } = await connected()
  await driver.disconnect()
  t.same(statuses.at(-1), ['disconnected', undefined])
  t.equal((await sendError(driver, msg({ type: 'text', text: 'x' }))).code, 'not_connected')
  await driver.connect()
  await driver.logout()
  t.same(statuses.at(-1), ['logged_out', undefined])
  t.equal(cleared(), 1)
  t.equal(graph.requests.filter((r) => r.method !== 'GET').length, 0, 'nothing sent to Meta')
})

t.test('a disconnect while connect is in flight wins', async (t) => {
  graph.on('GET', `/v21.0/${PNID}`, async () => {
    await new Promise((r) => setTimeout(r, 100))
    return { json: { display_phone_number: '+6281234567890' } }
  })
  const { driver, statuses } = setup()
  const connecting = driver.connect()
  await new Promise((r) => setTimeout(r, 20))
  await driver.disconnect()
  await connecting
  t.same(statuses.map((s) => s[0]), ['connecting', 'disconnected'])
})

t.test('send: the exact request for each type', async (t) => {
  const { driver } = await connected()
  const base = { messaging_product: 'whatsapp', recipient_type: 'individual', to: '6281298765432' }

  t.test('text, no link preview', async (t) => {
    const id = accept()
    t.same(await driver.send(msg({ type: 'text', text: 'Halo! https://sapa.example' })), { providerId: id })
    const req = graph.requests.at(-1)!
    t.equal(req.path, MESSAGES)
    t.equal(req.headers.authorization, `Bearer ${TOKEN}`)
    t.match(req.headers['content-type'], /^application\/json/)
    t.same(req.json, { ...base, type: 'text', text: { body: 'Halo! https://sapa.example', preview_url: false } })
  })

  t.test('a reply carries the context', async (t) => {
    accept()
    await driver.send(msg({ type: 'text', text: 'yes', replyTo: 'wamid.PARENT' }))
    t.same(graph.requests.at(-1)!.json, { ...base, context: { message_id: 'wamid.PARENT' }, type: 'text', text: { body: 'yes', preview_url: false } })
  })

  t.test('location', async (t) => {
    accept()
    await driver.send(msg({ type: 'location', location: { latitude: -6.2, longitude: 106.816666, name: 'Monas', address: 'Jakarta' } }))
    t.same(graph.requests.at(-1)!.json, { ...base, type: 'location', location: { latitude: -6.2, longitude: 106.816666, name: 'Monas', address: 'Jakarta' } })
  })

  t.test('reaction (and never a context)', async (t) => {
    accept()
    await driver.send(msg({ type: 'reaction', reaction: { providerId: 'wamid.TARGET', emoji: '👍' }, replyTo: 'wamid.TARGET' }))
    t.same(graph.requests.at(-1)!.json, { ...base, type: 'reaction', reaction: { message_id: 'wamid.TARGET', emoji: '👍' } })
    accept()
    await driver.send(msg({ type: 'reaction', reaction: { providerId: 'wamid.TARGET', emoji: '' } }))
    t.same((graph.requests.at(-1)!.json as any).reaction, { message_id: 'wamid.TARGET', emoji: '' }, 'empty emoji removes')
  })

  t.test('template', async (t) => {
    accept()
    const components = [{ type: 'body', parameters: [{ type: 'text', text: 'Budi' }] }]
    await driver.send(msg({ type: 'template', template: { name: 'order_ready', language: 'id', components } }))
    t.same(graph.requests.at(-1)!.json, { ...base, type: 'template', template: { name: 'order_ready', language: { code: 'id' }, components } })
    accept()
    await driver.send(msg({ type: 'template', template: { name: 'hello_world', language: 'en_US' } }))
    t.same((graph.requests.at(-1)!.json as any).template, { name: 'hello_world', language: { code: 'en_US' } })
  })

  t.test('media: upload the bytes, then send by id', async (t) => {
    const cases = [
      { type: 'image' as const, mime: 'image/jpeg', caption: 'Katalog', expect: { id: 'MEDIA-image', caption: 'Katalog' } },
      { type: 'video' as const, mime: 'video/mp4', caption: 'Demo', expect: { id: 'MEDIA-video', caption: 'Demo' } },
      { type: 'audio' as const, mime: 'audio/ogg; codecs=opus', caption: 'ignored', expect: { id: 'MEDIA-audio' }, uploadType: 'audio/ogg' },
      { type: 'document' as const, mime: 'application/pdf', caption: 'Invoice', filename: 'invoice-42.pdf', expect: { id: 'MEDIA-document', caption: 'Invoice', filename: 'invoice-42.pdf' } },
    ]
    for (const c of cases) {
      graph.requests.length = 0
      graph.once('POST', MEDIA, { json: { id: `MEDIA-${c.type}` } })
      const id = accept()
      const data = Buffer.from(`bytes of a ${c.type} \u0000\u00ff`, 'latin1')
      const res = await driver.send(msg({ type: c.type, media: { data, mime: c.mime, caption: c.caption, filename: c.filename } }))
      t.same(res, { providerId: id })
      const [upload, send] = graph.requests
      t.equal(upload!.path, MEDIA, `${c.type}: upload first`)
      t.equal(upload!.headers.authorization, `Bearer ${TOKEN}`)
      t.match(upload!.headers['content-type'], /^multipart\/form-data; boundary=/)
      t.same(upload!.form!.fields, { messaging_product: 'whatsapp', type: c.uploadType ?? c.mime })
      t.equal(upload!.form!.files.file!.type, c.uploadType ?? c.mime)
      t.ok(upload!.form!.files.file!.data.equals(data), `${c.type}: the exact bytes`)
      t.equal(upload!.form!.files.file!.filename, c.filename ?? `${c.type}.${(c.uploadType ?? c.mime).split('/')[1]}`)
      t.same(send!.json, { ...base, type: c.type, [c.type]: c.expect }, `${c.type}: sent by id`)
    }
  })

  t.test('media caption falls back to the message text; m4a is uploaded as audio/mp4', async (t) => {
    graph.once('POST', MEDIA, { json: { id: 'M1' } })
    accept()
    await driver.send(msg({ type: 'image', text: 'from text', media: { data: Buffer.from('x'), mime: 'image/png' } }))
    t.same((graph.requests.at(-1)!.json as any).image, { id: 'M1', caption: 'from text' })
    graph.once('POST', MEDIA, { json: { id: 'M2' } })
    accept()
    await driver.send(msg({ type: 'audio', media: { data: Buffer.from('x'), mime: 'audio/x-m4a' } }))
    t.equal(graph.requests.at(-2)!.form!.fields.type, 'audio/mp4')
  })
})

t.test('send refuses what Cloud API would refuse, before any request', async (t) => {
  const { driver } = await connected()
  const cases: Array<[string, OutboundMessage, string]> = [
    ['webp as image', msg({ type: 'image', media: { data: Buffer.from('x'), mime: 'image/webp' } }), 'unsupported_media'],
    ['too large image', msg({ type: 'image', media: { data: Buffer.alloc(5 * 1024 * 1024 + 1), mime: 'image/jpeg' } }), 'media_too_large'],
    ['no file', msg({ type: 'document' }), 'invalid_message'],
    ['empty text', msg({ type: 'text', text: '  ' }), 'invalid_message'],
    ['text too long', msg({ type: 'text', text: 'x'.repeat(4097) }), 'invalid_message'],
    ['bad location', msg({ type: 'location', location: { latitude: 91, longitude: 0 } }), 'invalid_message'],
    ['no template name', msg({ type: 'template', template: { name: '', language: 'en' } }), 'invalid_message'],
    ['not a number', msg({ type: 'text', text: 'hi', to: 'someone@lid' }), 'invalid_recipient'],
  ]
  for (const [name, m, code] of cases) {
    const err = await sendError(driver, m)
    t.equal(err.code, code, name)
    t.equal(err.retryable, false, `${name}: final`)
  }
  t.equal(graph.requests.length, 0)
})

t.test('a retried media message reuses its upload', async (t) => {
  const { driver } = await connected()
  graph.once('POST', MEDIA, { json: { id: 'MEDIA-ONCE' } })
  graph.once('POST', MESSAGES, graph.error(500, 131000, 'Something went wrong'))
  const m = msg({ type: 'image', media: { data: Buffer.from('img'), mime: 'image/jpeg' } })
  const err = await sendError(driver, m)
  t.equal(err.retryable, true)
  accept('wamid.RETRIED')
  t.same(await driver.send(m), { providerId: 'wamid.RETRIED' })
  t.equal(graph.requests.filter((r) => r.path === MEDIA).length, 1, 'uploaded once')
  t.same((graph.requests.at(-1)!.json as any).image, { id: 'MEDIA-ONCE' })
})

t.test('error classes: retryable or final', async (t) => {
  const cases: Array<{ name: string; answer: () => ReturnType<FakeGraph['error']>; code: string; retryable: boolean; message?: RegExp }> = [
    { name: '131026 not on WhatsApp', answer: () => graph.error(400, 131026, 'Message undeliverable'), code: 'not_on_whatsapp', retryable: false, message: /not on WhatsApp/ },
    { name: '131047 window closed', answer: () => graph.error(400, 131047, 'Re-engagement message', { details: 'Message failed to send because more than 24 hours have passed' }), code: 'window_closed', retryable: false, message: /24 hours.*template.*Meta 131047/ },
    { name: '132001 template missing', answer: () => graph.error(404, 132001, 'Template name does not exist in the translation'), code: 'template_error', retryable: false },
    { name: '132000 param count', answer: () => graph.error(400, 132000, 'Number of parameters does not match'), code: 'template_error', retryable: false },
    { name: '190 token', answer: () => graph.error(401, 190, 'Invalid OAuth access token'), code: 'auth_failed', retryable: false, message: /access token/ },
    { name: '401 without code', answer: () => ({ status: 401, body: 'nope' }), code: 'auth_failed', retryable: false },
    { name: '10 permission', answer: () => graph.error(403, 10, 'Application does not have permission'), code: 'permission_denied', retryable: false },
    { name: '100 invalid parameter', answer: () => graph.error(400, 100, 'Invalid parameter'), code: 'invalid_request', retryable: false },
    { name: '131053 media upload', answer: () => graph.error(400, 131053, 'Media upload error'), code: 'media_error', retryable: false },
    { name: '500 131000', answer: () => graph.error(500, 131000, 'Something went wrong'), code: 'provider_error', retryable: true },
    { name: '503 no JSON', answer: () => ({ status: 503, body: '<html>unavailable</html>' }), code: 'provider_error', retryable: true },
    { name: '200 that is not JSON', answer: () => ({ status: 200, body: 'oops' }), code: 'provider_error', retryable: true },
    { name: '400 code 2 temporary', answer: () => graph.error(400, 2, 'Service temporarily unavailable'), code: 'provider_error', retryable: true },
  ]
  const { driver } = await connected()
  for (const c of cases) {
    graph.once('POST', MESSAGES, c.answer())
    const err = await sendError(driver, msg({ type: 'text', text: 'hi' }))
    t.equal(err.code, c.code, c.name)
    t.equal(err.retryable, c.retryable, `${c.name}: retryable ${c.retryable}`)
    t.equal(err.retryAfterMs, undefined, `${c.name}: no wait given`)
    if (c.message) t.match(err.message, c.message, `${c.name}: message`)
    t.notMatch(err.message, TOKEN, 'the token never shows')
  }
})

t.test('200 without a message id is final (it may have been sent)', async (t) => {
  const { driver } = await connected()
  graph.once('POST', MESSAGES, { json: { messaging_product: 'whatsapp', messages: [] } })
  const err = await sendError(driver, msg({ type: 'text', text: 'hi' }))
  t.equal(err.code, 'bad_response')
  t.equal(err.retryable, false)
})

t.test('network error is retryable', async (t) => {
  let down = false
  const flaky: typeof fetch = (input, init) => (down ? Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } })) : fetch(input, init))
  const { driver } = await connected({}, { fetch: flaky })
  down = true
  const err = await sendError(driver, msg({ type: 'text', text: 'hi' }))
  t.equal(err.code, 'network_error')
  t.equal(err.retryable, true)
  t.match(err.message, /ECONNRESET/)
})

t.test('timeout aborts the request and is retryable', async (t) => {
  const { driver } = await connected({ timeoutMs: 200 })
  graph.once('POST', MESSAGES, { hang: true })
  const started = Date.now()
  const err = await sendError(driver, msg({ type: 'text', text: 'hi' }))
  const took = Date.now() - started
  t.equal(err.code, 'timeout')
  t.equal(err.retryable, true)
  t.ok(took >= 150 && took < 2000, `aborted after ~200 ms (${took})`)
})

t.test('rate limits', async (t) => {
  t.test('Retry-After is honoured', async (t) => {
    const { driver } = await connected()
    graph.once('POST', MESSAGES, graph.error(400, 130429, 'Rate limit hit', { headers: { 'retry-after': '7' } }))
    const err = await sendError(driver, msg({ type: 'text', text: 'hi' }))
    t.equal(err.code, 'rate_limited')
    t.equal(err.retryable, true)
    t.equal(err.retryAfterMs, 7000)
  })

  t.test('HTTP 429 without a Graph code, with a Retry-After date', async (t) => {
    const { driver } = await connected()
    const at = new Date(Date.now() + 30_000).toUTCString()
    graph.once('POST', MESSAGES, { status: 429, headers: { 'retry-after': at }, body: 'slow down' })
    const err = await sendError(driver, msg({ type: 'text', text: 'hi' }))
    t.equal(err.code, 'rate_limited')
    t.ok(err.retryAfterMs! > 25_000 && err.retryAfterMs! <= 30_000, `about 30 s (${err.retryAfterMs})`)
  })

  t.test('repeated 130429 backs off more each time, and fails fast while paused', async (t) => {
    const { driver, advance } = await connected()
    graph.on('POST', MESSAGES, graph.error(400, 130429, 'Rate limit hit', { details: 'Cloud API message throughput has been reached.' }))
    const waits: number[] = []
    for (let i = 0; i < 4; i++) {
      const before = graph.requests.length
      const err = await sendError(driver, msg({ type: 'text', text: 'hi', to: `+62812000000${i}` }))
      t.equal(graph.requests.length, before + 1, 'asked Meta')
      t.equal(err.code, 'rate_limited')
      waits.push(err.retryAfterMs!)
      // While paused: no request, the remaining wait.
      advance(err.retryAfterMs! / 2)
      const fast = await sendError(driver, msg({ type: 'text', text: 'hi' }))
      t.equal(graph.requests.length, before + 1, 'paused: Meta not asked')
      t.equal(fast.code, 'rate_limited')
      t.equal(fast.retryAfterMs, err.retryAfterMs! / 2)
      advance(err.retryAfterMs! / 2)
    }
    t.same(waits, [1000, 2000, 4000, 8000])
    // A success decays the streak by one step instead of forgetting the storm.
    graph.reset()
    accept()
    await driver.send(msg({ type: 'text', text: 'ok' }))
    graph.once('POST', MESSAGES, graph.error(400, 130429, 'Rate limit hit'))
    t.equal((await sendError(driver, msg({ type: 'text', text: 'hi' }))).retryAfterMs, 8000)
  })

  t.test('the wait has jitter and a ceiling', async (t) => {
    const { driver, advance } = await connected({}, { random: () => 1 })
    graph.on('POST', MESSAGES, graph.error(400, 4, 'Application request limit reached'))
    const waits: number[] = []
    for (let i = 0; i < 8; i++) {
      const err = await sendError(driver, msg({ type: 'text', text: 'hi' }))
      waits.push(err.retryAfterMs!)
      advance(err.retryAfterMs!)
    }
    t.equal(waits[0], 72_000, 'app limit: 60 s base, +20% jitter')
    t.equal(waits[1], 144_000)
    t.equal(waits.at(-1), 15 * 60_000 * 1.2, 'capped at 15 min (+ jitter)')
  })

  t.test('131056 pair rate limit pauses that recipient only', async (t) => {
    const { driver } = await connected()
    graph.once('POST', MESSAGES, graph.error(400, 131056, '(Business Account, Consumer Account) pair rate limit hit'))
    const err = await sendError(driver, msg({ type: 'text', text: 'hi', to: '+6281111111111' }))
    t.equal(err.code, 'rate_limited')
    t.equal(err.retryAfterMs, 6000)
    const again = await sendError(driver, msg({ type: 'text', text: 'again', to: '+6281111111111' }))
    t.equal(again.retryAfterMs, 6000, 'same recipient: still paused, Meta not asked')
    const id = accept()
    t.same(await driver.send(msg({ type: 'text', text: 'other', to: '+6282222222222' })), { providerId: id }, 'another recipient goes through')
    t.equal(graph.requests.length, 2)
  })

  t.test('80007 account limit', async (t) => {
    const { driver } = await connected()
    graph.once('POST', MESSAGES, graph.error(400, 80007, 'Rate limit issues'))
    const err = await sendError(driver, msg({ type: 'text', text: 'hi' }))
    t.equal(err.code, 'rate_limited')
    t.equal(err.retryAfterMs, 60_000)
  })

  t.test('a rate limit on the media upload counts too', async (t) => {
    const { driver } = await connected()
    graph.once('POST', MEDIA, graph.error(400, 130429, 'Rate limit hit'))
    const err = await sendError(driver, msg({ type: 'image', media: { data: Buffer.from('x'), mime: 'image/png' } }))
    t.equal(err.code, 'rate_limited')
    t.equal(err.retryAfterMs, 1000)
  })
})

t.test('cloudConfigSchema: strict, as the sessions route validates it', async (t) => {
  const { Ajv } = await import('ajv')
  const addFormats = (await import('ajv-formats')).default
  const { cloudConfigSchema, resolveCloudConfig } = await import('../server/drivers/cloud/config.ts')
  const ajv = new Ajv({ strict: true, coerceTypes: false, allErrors: false })
  addFormats.default(ajv)
  const validate = ajv.compile(cloudConfigSchema)
  const ok = { phoneNumberId: PNID, accessToken: TOKEN, appSecret: 'f1e2d3c4b5a6f1e2d3c4b5a6f1e2d3c4', verifyToken: 'verify-token-1' }
  t.ok(validate(ok), 'the four required fields')
  t.ok(validate({ ...ok, wabaId: '102290129340398', graphBaseUrl: 'https://graph.facebook.com', apiVersion: 'v22.0', timeoutMs: 20_000 }), 'all fields')
  t.ok(validate({ ...ok, graphBaseUrl: 'http://127.0.0.1:4010/graph' }), 'http for a local fake')
  const bad: Array<[string, Record<string, unknown>]> = [
    ['unknown field', { ...ok, extra: 1 }],
    ['missing token', { ...ok, accessToken: undefined }],
    ['phone number id with +', { ...ok, phoneNumberId: '+6281234567890' }],
    ['token with a newline', { ...ok, accessToken: TOKEN + '\n' }],
    ['token too long', { ...ok, accessToken: 'x'.repeat(2049) }],
    ['javascript: url', { ...ok, graphBaseUrl: 'javascript:alert(1)' }],
    ['file: url', { ...ok, graphBaseUrl: 'file:///etc/passwd' }],
    ['url with a query', { ...ok, graphBaseUrl: 'https://graph.facebook.com/?x=1' }],
    ['bad version', { ...ok, apiVersion: '21' }],
    ['timeout too small', { ...ok, timeoutMs: 10 }],
    ['number as string field', { ...ok, verifyToken: 12345678 }],
  ]
  for (const [name, config] of bad) t.notOk(validate(JSON.parse(JSON.stringify(config))), name)
  t.same(resolveCloudConfig(ok as never), { ...ok, graphBaseUrl: 'https://graph.facebook.com', apiVersion: 'v21.0', timeoutMs: 15_000 })
  // The operator's SAPA_WHATSAPP_GRAPH_URL never meets the schema: the same rule holds where it is resolved.
  for (const [name, config] of bad.filter(([name]) => name.endsWith(' url') || name.includes('query'))) {
    t.throws(() => resolveCloudConfig(config as never), /graphBaseUrl must be an http\(s\) address/, `resolve: ${name}`)
  }
  t.equal(resolveCloudConfig({ ...ok, graphBaseUrl: 'http://127.0.0.1:4010/graph/' } as never).graphBaseUrl, 'http://127.0.0.1:4010/graph', 'trailing slash dropped')
})
