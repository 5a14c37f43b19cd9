import { DriverError } from '../port.ts'
import { resolveCloudConfig, type CloudConfig } from './config.ts'
import { classify, graphRequest, GraphFailure, RATE_BASE_MS, toDriverError, transportFailure, type GraphDeps } from './graph.ts'

/**
 * Message templates submitted to Meta for review (POST /{waba}/message_templates), checked here
 * first against Meta's rules so a person gets field errors at once instead of a rejection later.
 */

export type TemplateCategory = 'MARKETING' | 'UTILITY' | 'AUTHENTICATION'

export interface TemplateButton {
  type: 'QUICK_REPLY' | 'URL' | 'PHONE_NUMBER' | 'COPY_CODE' | 'OTP'
  text?: string
  url?: string
  phone_number?: string
  /** URL: the full example URL for a `{{1}}` suffix; COPY_CODE: the example code. */
  example?: string[] | string
  otp_type?: 'COPY_CODE' | 'ONE_TAP' | 'ZERO_TAP'
  [key: string]: unknown
}

export type TemplateComponent =
  | { type: 'HEADER'; format: 'TEXT' | 'IMAGE' | 'VIDEO' | 'DOCUMENT' | 'LOCATION'; text?: string; example?: { header_text?: string[]; header_handle?: string[] } }
  | { type: 'BODY'; text?: string; example?: { body_text?: string[][] }; add_security_recommendation?: boolean }
  | { type: 'FOOTER'; text?: string; code_expiration_minutes?: number }
  | { type: 'BUTTONS'; buttons: TemplateButton[] }

export interface TemplateDefinition {
  name: string
  /** Meta's language code: en, en_US, id, pt_BR… */
  language: string
  category: TemplateCategory
  components: TemplateComponent[]
  allow_category_change?: boolean
}

export interface TemplateFieldError {
  /** Path of the offending field: `name`, `components[1].text`, `components[3].buttons[0].url`. */
  field: string
  message: string
}

export type SubmitTemplateResult =
  | { ok: true; id: string; status: string; category?: string }
  | { ok: false; errors: TemplateFieldError[] }

export const TEMPLATE_LIMITS = {
  name: 512,
  body: 1024,
  headerText: 60,
  footer: 60,
  buttons: 10,
  // Meta's current limit; the seed app's wizard said 20.
  buttonText: 25,
  urlButtons: 2,
  phoneButtons: 1,
  url: 2000,
} as const

const CATEGORIES = new Set(['MARKETING', 'UTILITY', 'AUTHENTICATION'])
const HEADER_FORMATS = new Set(['TEXT', 'IMAGE', 'VIDEO', 'DOCUMENT', 'LOCATION'])
const BUTTON_TYPES = new Set(['QUICK_REPLY', 'URL', 'PHONE_NUMBER', 'COPY_CODE', 'OTP'])
const COMPONENT_TYPES = new Set(['HEADER', 'BODY', 'FOOTER', 'BUTTONS'])

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/** `{{n}}` placeholders in text: the numbers, what looks like a placeholder but is not one, stray braces. */
function placeholders(text: string): { numbers: number[]; bad: string[]; unbalanced: boolean } {
  const numbers: number[] = []
  const bad: string[] = []
  for (const m of text.matchAll(/\{\{([^{}]*)\}\}/g)) {
    if (/^[1-9]\d{0,2}$/.test(m[1]!)) numbers.push(Number(m[1]))
    else bad.push(m[0].slice(0, 30))
  }
  // Double braces left once the placeholders are out: `{{1}`, `{1}}`, `{{{1}}}`.
  const unbalanced = /\{\{|\}\}/.test(text.replace(/\{\{[^{}]*\}\}/g, ''))
  return { numbers, bad, unbalanced }
}

/** Checks text with variables: well-formed, numbered 1..n without gaps; returns n. */
function checkVariables(text: string, field: string, errors: TemplateFieldError[], maxVariables = Infinity): number {
  const { numbers, bad, unbalanced } = placeholders(text)
  if (bad.length) errors.push({ field, message: `${bad.join(', ')} ${bad.length === 1 ? 'is' : 'are'} not a variable: write them {{1}}, {{2}}, … with nothing else inside the braces` })
  if (unbalanced) errors.push({ field, message: 'Unbalanced braces: a variable is written {{1}}, with two braces on each side' })
  const distinct = [...new Set(numbers)].sort((a, b) => a - b)
  if (distinct.some((n, i) => n !== i + 1)) errors.push({ field, message: `Variables must be numbered in order from {{1}} without gaps (found ${distinct.map((n) => `{{${n}}}`).join(', ')})` })
  if (distinct.length > maxVariables) errors.push({ field, message: `At most ${maxVariables} variable${maxVariables === 1 ? '' : 's'} here` })
  return distinct.length
}

function checkExamples(examples: unknown, count: number, field: string, errors: TemplateFieldError[]) {
  if (count === 0) return
  if (!Array.isArray(examples) || examples.length !== count || examples.some((e) => typeof e !== 'string' || !e.trim())) {
    errors.push({ field, message: `Give one example value for each of the ${count} variable${count === 1 ? '' : 's'} (Meta reviews the template with them)` })
  }
}

/** Field errors for a template definition; empty when Meta's documented rules are met. */
export function validateTemplate(template: unknown): TemplateFieldError[] {
  const errors: TemplateFieldError[] = []
  if (!isObject(template)) return [{ field: 'template', message: 'A template is an object with name, language, category and components' }]
  const { name, language, category, components } = template
  if (typeof name !== 'string' || !name) errors.push({ field: 'name', message: 'The template needs a name' })
  else if (name.length > TEMPLATE_LIMITS.name) errors.push({ field: 'name', message: `A template name is at most ${TEMPLATE_LIMITS.name} characters` })
  else if (!/^[a-z0-9_]+$/.test(name)) errors.push({ field: 'name', message: 'A template name is lowercase letters, digits and underscores only (e.g. order_confirmation)' })
  if (typeof language !== 'string' || !/^[a-z]{2,3}(_[A-Za-z]{2,4})?$/.test(language)) errors.push({ field: 'language', message: 'The language is a code such as en, en_US, id or pt_BR' })
  if (typeof category !== 'string' || !CATEGORIES.has(category)) errors.push({ field: 'category', message: 'The category is MARKETING, UTILITY or AUTHENTICATION' })
  const auth = category === 'AUTHENTICATION'
  if (!Array.isArray(components) || components.length === 0) {
    errors.push({ field: 'components', message: 'A template needs at least a BODY component' })
    return errors
  }
  const seen = new Set<string>()
  components.forEach((c, i) => {
    const at = `components[${i}]`
    if (!isObject(c) || typeof c.type !== 'string' || !COMPONENT_TYPES.has(c.type)) {
      errors.push({ field: `${at}.type`, message: 'A component is HEADER, BODY, FOOTER or BUTTONS' })
      return
    }
    if (seen.has(c.type)) errors.push({ field: `${at}.type`, message: `Only one ${c.type} component` })
    seen.add(c.type)
    const example = isObject(c.example) ? c.example : {}
    if (c.type === 'HEADER') {
      if (typeof c.format !== 'string' || !HEADER_FORMATS.has(c.format)) {
        errors.push({ field: `${at}.format`, message: 'A header is TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION' })
      } else if (c.format === 'TEXT') {
        if (typeof c.text !== 'string' || !c.text.trim()) errors.push({ field: `${at}.text`, message: 'A text header needs its text' })
        else if (c.text.length > TEMPLATE_LIMITS.headerText) errors.push({ field: `${at}.text`, message: `A header is at most ${TEMPLATE_LIMITS.headerText} characters (this one has ${c.text.length})` })
        else checkExamples(example.header_text, checkVariables(c.text, `${at}.text`, errors, 1), `${at}.example.header_text`, errors)
      } else if (c.format !== 'LOCATION') {
        const handles = example.header_handle
        if (!Array.isArray(handles) || !handles.length || handles.some((h) => typeof h !== 'string' || !h)) {
          errors.push({ field: `${at}.example.header_handle`, message: `A ${c.format.toLowerCase()} header needs a sample file (its upload handle) for the review` })
        }
      }
    } else if (c.type === 'BODY') {
      if (typeof c.text !== 'string' || !c.text.trim()) {
        // Authentication bodies are Meta's fixed wording.
        if (!auth) errors.push({ field: `${at}.text`, message: 'The body needs its text' })
        return
      }
      if (c.text.length > TEMPLATE_LIMITS.body) {
        errors.push({ field: `${at}.text`, message: `The body is at most ${TEMPLATE_LIMITS.body} characters (this one has ${c.text.length})` })
        return
      }
      const count = checkVariables(c.text, `${at}.text`, errors)
      const trimmed = c.text.trim()
      if (count && (/^\{\{\d+\}\}/.test(trimmed) || /\{\{\d+\}\}$/.test(trimmed))) {
        errors.push({ field: `${at}.text`, message: 'The body cannot start or end with a variable' })
      }
      const bodyText = example.body_text
      checkExamples(Array.isArray(bodyText) ? bodyText[0] : undefined, count, `${at}.example.body_text`, errors)
    } else if (c.type === 'FOOTER') {
      if (typeof c.text !== 'string' || !c.text.trim()) {
        if (!(auth && typeof c.code_expiration_minutes === 'number')) errors.push({ field: `${at}.text`, message: 'A footer needs its text' })
      } else if (c.text.length > TEMPLATE_LIMITS.footer) {
        errors.push({ field: `${at}.text`, message: `A footer is at most ${TEMPLATE_LIMITS.footer} characters (this one has ${c.text.length})` })
      } else if (/\{\{/.test(c.text)) {
        errors.push({ field: `${at}.text`, message: 'A footer cannot hold variables' })
      }
    } else {
      checkButtons(c.buttons, `${at}.buttons`, errors)
    }
  })
  if (!seen.has('BODY')) errors.push({ field: 'components', message: 'A template needs a BODY component' })
  return errors
}

function checkButtons(buttons: unknown, at: string, errors: TemplateFieldError[]) {
  if (!Array.isArray(buttons) || buttons.length === 0) {
    errors.push({ field: at, message: 'A BUTTONS component needs at least one button' })
    return
  }
  if (buttons.length > TEMPLATE_LIMITS.buttons) errors.push({ field: at, message: `At most ${TEMPLATE_LIMITS.buttons} buttons` })
  const counts: Record<string, number> = {}
  buttons.forEach((b, k) => {
    const field = `${at}[${k}]`
    if (!isObject(b) || typeof b.type !== 'string' || !BUTTON_TYPES.has(b.type)) {
      errors.push({ field: `${field}.type`, message: 'A button is QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE or OTP' })
      return
    }
    counts[b.type] = (counts[b.type] ?? 0) + 1
    if (b.type === 'QUICK_REPLY' || b.type === 'URL' || b.type === 'PHONE_NUMBER') {
      if (typeof b.text !== 'string' || !b.text.trim()) errors.push({ field: `${field}.text`, message: 'A button needs its text' })
      else if (b.text.length > TEMPLATE_LIMITS.buttonText) errors.push({ field: `${field}.text`, message: `Button text is at most ${TEMPLATE_LIMITS.buttonText} characters` })
    }
    if (b.type === 'URL') {
      if (typeof b.url !== 'string' || !/^https:\/\/[^\s/?#]+\.[^\s]*$/.test(b.url) || b.url.length > TEMPLATE_LIMITS.url) {
        errors.push({ field: `${field}.url`, message: 'A website button needs a full https:// URL' })
      } else {
        const count = checkVariables(b.url, `${field}.url`, errors, 1)
        if (count && !/\{\{1\}\}$/.test(b.url)) errors.push({ field: `${field}.url`, message: 'A URL variable can only be at the end: https://example.com/order/{{1}}' })
        const ex = typeof b.example === 'string' ? [b.example] : b.example
        checkExamples(ex, count, `${field}.example`, errors)
      }
    }
    if (b.type === 'PHONE_NUMBER' && (typeof b.phone_number !== 'string' || !/^\+[1-9]\d{6,14}$/.test(b.phone_number))) {
      errors.push({ field: `${field}.phone_number`, message: 'A call button needs the number with its country code, e.g. +6281234567890' })
    }
  })
  if ((counts.URL ?? 0) > TEMPLATE_LIMITS.urlButtons) errors.push({ field: at, message: `At most ${TEMPLATE_LIMITS.urlButtons} website buttons` })
  if ((counts.PHONE_NUMBER ?? 0) > TEMPLATE_LIMITS.phoneButtons) errors.push({ field: at, message: `At most ${TEMPLATE_LIMITS.phoneButtons} call button` })
  if ((counts.COPY_CODE ?? 0) > 1) errors.push({ field: at, message: 'At most 1 copy-code button' })
}

/**
 * Validates, then submits the template for review. Field errors come back as `{ ok: false }`;
 * Meta's refusals, auth and transport failures throw DriverError (code `template_exists`,
 * `template_rejected`, `auth_failed`, `rate_limited`, …; retryable where a retry can help).
 */
export async function submitTemplate(config: CloudConfig, template: TemplateDefinition, deps: GraphDeps = {}): Promise<SubmitTemplateResult> {
  const errors = validateTemplate(template)
  if (!config.wabaId) errors.unshift({ field: 'wabaId', message: "Templates belong to the WhatsApp Business Account: set the number's WABA id first" })
  if (errors.length) return { ok: false, errors }
  const resolved = resolveCloudConfig(config)
  const body: Record<string, unknown> = { name: template.name, language: template.language, category: template.category, components: template.components }
  if (template.allow_category_change !== undefined) body.allow_category_change = template.allow_category_change
  try {
    const res = await graphRequest<{ id?: unknown; status?: unknown; category?: unknown }>(resolved, deps, {
      method: 'POST',
      path: `${encodeURIComponent(config.wabaId!)}/message_templates`,
      json: body,
    })
    if (typeof res.id !== 'string' || !res.id) throw new DriverError('Meta accepted the template but returned no id', 'bad_response', false)
    return { ok: true, id: res.id, status: typeof res.status === 'string' ? res.status : 'PENDING', category: typeof res.category === 'string' ? res.category : undefined }
  } catch (err) {
    if (err instanceof DriverError) throw err
    const failure = err instanceof GraphFailure ? err : transportFailure(err, resolved.timeoutMs)
    const c = classify(failure)
    const subcode = failure.error?.error_subcode
    if (subcode === 2388023 || subcode === 2388024) {
      throw new DriverError(`A template named ${template.name} already exists in ${template.language} (or is still being deleted): ${failure.error?.error_user_msg ?? failure.message}`, 'template_exists', false)
    }
    if (c.code === 'invalid_request') throw new DriverError(c.message.replace('Meta rejected the request', 'Meta refused the template'), 'template_rejected', false)
    throw toDriverError(c, c.retryAfterMs ?? (c.rateLimit ? RATE_BASE_MS[c.rateLimit] : undefined))
  }
}
