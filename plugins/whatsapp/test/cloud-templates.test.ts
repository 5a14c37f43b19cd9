import t from 'tap'
import { submitTemplate, validateTemplate, type TemplateDefinition } from '../server/drivers/cloud/templates.ts'
import type { CloudConfig } from '../server/drivers/cloud/config.ts'
import { DriverError } from '../server/drivers/port.ts'
import { startFakeGraph, type FakeGraph } from './support/fake-graph.ts'

const WABA = '102290129340398'
let graph: FakeGraph
t.before(async () => {
  graph = await startFakeGraph()
})
t.teardown(() => graph.close())
t.beforeEach(() => graph.reset())

const config = (over: Partial<CloudConfig> = {}): CloudConfig => ({ phoneNumberId: '106540352242922', accessToken: 'EAAG-template-token-123', appSecret: 'secret-123', verifyToken: 'verify-123', wabaId: WABA, graphBaseUrl: graph.url, ...over })

const good = (): TemplateDefinition => ({
  name: 'order_ready',
  language: 'id',
  category: 'UTILITY',
  components: [
    { type: 'HEADER', format: 'TEXT', text: 'Pesanan {{1}}', example: { header_text: ['ORD-12345'] } },
    { type: 'BODY', text: 'Halo {{1}}, pesanan {{2}} siap diambil. Terima kasih {{1}}!', example: { body_text: [['Budi', 'ORD-12345']] } },
    { type: 'FOOTER', text: 'Balas STOP untuk berhenti' },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'QUICK_REPLY', text: 'Ya' },
        { type: 'URL', text: 'Lacak', url: 'https://toko.example/track/{{1}}', example: ['https://toko.example/track/ORD-12345'] },
        { type: 'PHONE_NUMBER', text: 'Telepon', phone_number: '+6281234567890' },
      ],
    },
  ],
})

async function failure(p: Promise<unknown>): Promise<DriverError> {
  try {
    await p
  } catch (err) {
    if (err instanceof DriverError) return err
    throw err
  }
  throw new Error('did not fail')
}

t.test('a good template is submitted as is', async (t) => {
  graph.once('POST', `/v21.0/${WABA}/message_templates`, { json: { id: '594425479261596', status: 'PENDING', category: 'UTILITY' } })
  const template = good()
  t.same(validateTemplate(template), [])
  const res = await submitTemplate(config(), { ...template, allow_category_change: true })
  t.same(res, { ok: true, id: '594425479261596', status: 'PENDING', category: 'UTILITY' })
  const req = graph.requests[0]!
  t.equal(req.method, 'POST')
  t.equal(req.headers.authorization, 'Bearer EAAG-template-token-123')
  t.same(req.json, { name: 'order_ready', language: 'id', category: 'UTILITY', components: template.components, allow_category_change: true })
})

t.test('an authentication template: Meta writes the body', async (t) => {
  const auth: TemplateDefinition = {
    name: 'login_code',
    language: 'en_US',
    category: 'AUTHENTICATION',
    components: [
      { type: 'BODY', add_security_recommendation: true },
      { type: 'FOOTER', code_expiration_minutes: 10 },
      { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE' }] },
    ],
  }
  t.same(validateTemplate(auth), [])
})

t.test('field errors, before any request', async (t) => {
  const body = (text: string, example?: string[]) => ({ type: 'BODY' as const, text, ...(example ? { example: { body_text: [example] } } : {}) })
  const withBody = (b: ReturnType<typeof body>, extra: TemplateDefinition['components'] = []): TemplateDefinition => ({ ...good(), components: [b, ...extra] })
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['upper case name', { ...good(), name: 'Order_Ready' }, 'name', /lowercase/],
    ['name with spaces', { ...good(), name: 'order ready' }, 'name', /underscores/],
    ['name with a dash', { ...good(), name: 'order-ready' }, 'name', /underscores/],
    ['name too long', { ...good(), name: 'a'.repeat(513) }, 'name', /512/],
    ['no name', { ...good(), name: '' }, 'name', /needs a name/],
    ['bad language', { ...good(), language: 'Indonesian' }, 'language', /en_US/],
    ['bad category', { ...good(), category: 'PROMO' }, 'category', /MARKETING, UTILITY or AUTHENTICATION/],
    ['no components', { ...good(), components: [] }, 'components', /BODY/],
    ['no body', { ...good(), components: [{ type: 'FOOTER', text: 'x' }] }, 'components', /needs a BODY/],
    ['two bodies', withBody(body('Halo kak'), [body('Lagi')]), 'components[1].type', /Only one BODY/],
    ['unknown component', withBody(body('Halo'), [{ type: 'CAROUSEL' } as never]), 'components[1].type', /HEADER, BODY, FOOTER or BUTTONS/],
    ['body too long', withBody(body('x'.repeat(1025))), 'components[0].text', /at most 1024 characters \(this one has 1025\)/],
    ['empty body', withBody(body('  ')), 'components[0].text', /needs its text/],
    ['variables with a gap', withBody(body('Halo {{1}}, pesanan {{3}} siap.', ['a', 'b'])), 'components[0].text', /in order from \{\{1\}\} without gaps \(found \{\{1\}\}, \{\{3\}\}\)/],
    ['variables from 2', withBody(body('Halo {{2}} ya', ['a'])), 'components[0].text', /without gaps/],
    ['named variable', withBody(body('Halo {{name}} ya')), 'components[0].text', /\{\{name\}\} is not a variable/],
    ['spaces inside braces', withBody(body('Halo {{ 1 }} ya', ['a'])), 'components[0].text', /is not a variable/],
    ['unbalanced braces', withBody(body('Halo {{1} ya')), 'components[0].text', /Unbalanced braces/],
    ['missing examples', withBody(body('Halo {{1}}, pesanan {{2}} ya')), 'components[0].example.body_text', /one example value for each of the 2 variables/],
    ['too few examples', withBody(body('Halo {{1}}, pesanan {{2}} ya', ['Budi'])), 'components[0].example.body_text', /2 variables/],
    ['blank example', withBody(body('Halo {{1}} ya', [' '])), 'components[0].example.body_text', /example/],
    ['body starts with a variable', withBody(body('{{1}}, pesanan siap', ['Budi'])), 'components[0].text', /start or end with a variable/],
    ['body ends with a variable', withBody(body('Pesanan siap, {{1}}', ['Budi'])), 'components[0].text', /start or end/],
    ['header too long', withBody(body('Halo'), [{ type: 'HEADER', format: 'TEXT', text: 'h'.repeat(61) }]), 'components[1].text', /at most 60/],
    ['header with two variables', withBody(body('Halo'), [{ type: 'HEADER', format: 'TEXT', text: '{{1}} {{2}}', example: { header_text: ['a', 'b'] } }]), 'components[1].text', /At most 1 variable/],
    ['header variable without example', withBody(body('Halo'), [{ type: 'HEADER', format: 'TEXT', text: 'Pesanan {{1}}' }]), 'components[1].example.header_text', /example/],
    ['image header without sample', withBody(body('Halo'), [{ type: 'HEADER', format: 'IMAGE' }]), 'components[1].example.header_handle', /sample file/],
    ['bad header format', withBody(body('Halo'), [{ type: 'HEADER', format: 'GIF' } as never]), 'components[1].format', /TEXT, IMAGE/],
    ['footer too long', withBody(body('Halo'), [{ type: 'FOOTER', text: 'f'.repeat(61) }]), 'components[1].text', /at most 60/],
    ['footer with a variable', withBody(body('Halo'), [{ type: 'FOOTER', text: 'Kode {{1}}' }]), 'components[1].text', /cannot hold variables/],
    ['eleven buttons', withBody(body('Halo'), [{ type: 'BUTTONS', buttons: Array.from({ length: 11 }, (_, i) => ({ type: 'QUICK_REPLY' as const, text: `B${i}` })) }]), 'components[1].buttons', /At most 10 buttons/],
    ['no buttons', withBody(body('Halo'), [{ type: 'BUTTONS', buttons: [] }]), 'components[1].buttons', /at least one/],
    ['button text too long', withBody(body('Halo'), [{ type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'x'.repeat(26) }] }]), 'components[1].buttons[0].text', /at most 25/],
    ['http url', withBody(body('Halo'), [{ type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Buka', url: 'http://toko.example' }] }]), 'components[1].buttons[0].url', /https:\/\//],
    ['url variable in the middle', withBody(body('Halo'), [{ type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Buka', url: 'https://toko.example/{{1}}/x', example: ['https://toko.example/a/x'] }] }]), 'components[1].buttons[0].url', /only be at the end/],
    ['three url buttons', withBody(body('Halo'), [{ type: 'BUTTONS', buttons: [1, 2, 3].map((i) => ({ type: 'URL' as const, text: `L${i}`, url: `https://toko.example/${i}` })) }]), 'components[1].buttons', /At most 2 website buttons/],
    ['phone without country code', withBody(body('Halo'), [{ type: 'BUTTONS', buttons: [{ type: 'PHONE_NUMBER', text: 'Call', phone_number: '081234567890' }] }]), 'components[1].buttons[0].phone_number', /country code/],
    ['unknown button', withBody(body('Halo'), [{ type: 'BUTTONS', buttons: [{ type: 'FLOW', text: 'x' } as never] }]), 'components[1].buttons[0].type', /QUICK_REPLY/],
    ['not an object', 'order_ready', 'template', /object/],
  ]
  for (const [name, template, field, message] of cases) {
    const res = await submitTemplate(config(), template as TemplateDefinition)
    t.equal(res.ok, false, name)
    if (res.ok) continue
    const hit = res.errors.find((e) => e.field === field)
    t.ok(hit, `${name}: an error on ${field} (${JSON.stringify(res.errors)})`)
    if (hit) t.match(hit.message, message, `${name}: message`)
  }
  const noWaba = await submitTemplate(config({ wabaId: undefined }), good())
  t.same(noWaba.ok ? null : noWaba.errors.map((e) => e.field), ['wabaId'])
  t.equal(graph.requests.length, 0, 'Meta never asked')
})

t.test("Meta's refusals", async (t) => {
  const path = `/v21.0/${WABA}/message_templates`
  graph.once('POST', path, graph.error(400, 100, 'Invalid parameter', { subcode: 2388024, userMsg: 'There is already id content for this template.' }))
  let err = await failure(submitTemplate(config(), good()))
  t.equal(err.code, 'template_exists')
  t.equal(err.retryable, false)
  t.match(err.message, /order_ready already exists in id/)

  graph.once('POST', path, graph.error(400, 100, 'Invalid parameter', { subcode: 2388072, userMsg: 'Body text contains disallowed content.' }))
  err = await failure(submitTemplate(config(), good()))
  t.equal(err.code, 'template_rejected')
  t.match(err.message, /Meta refused the template: Body text contains disallowed content\. \[Meta 100\/2388072\]/)

  graph.once('POST', path, graph.error(401, 190, 'Invalid OAuth access token'))
  err = await failure(submitTemplate(config(), good()))
  t.equal(err.code, 'auth_failed')

  graph.once('POST', path, graph.error(403, 200, 'Permissions error'))
  err = await failure(submitTemplate(config(), good()))
  t.equal(err.code, 'permission_denied')

  graph.once('POST', path, graph.error(400, 80007, 'Rate limit issues', { headers: { 'retry-after': '120' } }))
  err = await failure(submitTemplate(config(), good()))
  t.same([err.code, err.retryable, err.retryAfterMs], ['rate_limited', true, 120_000])

  graph.once('POST', path, graph.error(400, 4, 'Application request limit reached'))
  err = await failure(submitTemplate(config(), good()))
  t.same([err.code, err.retryAfterMs], ['rate_limited', 60_000])

  graph.once('POST', path, { status: 502, body: 'bad gateway' })
  err = await failure(submitTemplate(config(), good()))
  t.same([err.code, err.retryable], ['provider_error', true])

  graph.once('POST', path, { hang: true })
  err = await failure(submitTemplate(config({ timeoutMs: 150 }), good()))
  t.same([err.code, err.retryable], ['timeout', true])
})
