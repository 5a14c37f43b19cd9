/**
 * A Cloud API number's driver config. The lead validates `POST /api/whatsapp/sessions
 * {driver:'cloud', config}` with `cloudConfigSchema`; the secrets are stored encrypted and arrive
 * here decrypted in `ctx.config`.
 */
export interface CloudConfig {
  /** The WhatsApp phone number's id in the Graph API (digits), not the phone number itself. */
  phoneNumberId: string
  /** A system-user or user access token with whatsapp_business_messaging (and _management for templates). */
  accessToken: string
  /** The Meta app's secret: the key of the webhook's X-Hub-Signature-256 HMAC. */
  appSecret: string
  /** The token typed into the app's webhook settings, echoed back in the verify handshake. */
  verifyToken: string
  /** WhatsApp Business Account id: needed for template submission only. */
  wabaId?: string
  /** Default https://graph.facebook.com. Tests point it at a local fake. */
  graphBaseUrl?: string
  /** Default v21.0. */
  apiVersion?: string
  /** Per Graph call (JSON calls); media upload and download get at least 60 s. Default 15 s. */
  timeoutMs?: number
}

/** Config keys holding secrets: never returned by the API. */
export const cloudSecretKeys = ['accessToken', 'appSecret', 'verifyToken'] as const

export const DEFAULT_GRAPH_BASE_URL = 'https://graph.facebook.com'
export const DEFAULT_API_VERSION = 'v21.0'
export const DEFAULT_TIMEOUT_MS = 15_000

export const cloudConfigSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['phoneNumberId', 'accessToken', 'appSecret', 'verifyToken'],
  properties: {
    phoneNumberId: { type: 'string', minLength: 1, maxLength: 32, pattern: '^[0-9]+$' },
    // Tokens and secrets: printable ASCII, no spaces (a pasted newline or space is a typo, not a token).
    accessToken: { type: 'string', minLength: 16, maxLength: 2048, pattern: '^[\\x21-\\x7e]+$' },
    appSecret: { type: 'string', minLength: 8, maxLength: 256, pattern: '^[\\x21-\\x7e]+$' },
    verifyToken: { type: 'string', minLength: 8, maxLength: 256, pattern: '^[\\x21-\\x7e]+$' },
    wabaId: { type: 'string', minLength: 1, maxLength: 32, pattern: '^[0-9]+$' },
    graphBaseUrl: { type: 'string', format: 'uri', maxLength: 200, pattern: '^https?://[^\\s/?#]+(/[^\\s?#]*)?$' },
    apiVersion: { type: 'string', maxLength: 10, pattern: '^v[0-9]{1,3}\\.[0-9]{1,2}$' },
    timeoutMs: { type: 'integer', minimum: 1000, maximum: 120_000 },
  },
} as const

export interface ResolvedCloudConfig extends CloudConfig {
  graphBaseUrl: string
  apiVersion: string
  timeoutMs: number
}

/** The config with its defaults, the base URL without a trailing slash. */
export function resolveCloudConfig(config: CloudConfig): ResolvedCloudConfig {
  const base = (config.graphBaseUrl ?? DEFAULT_GRAPH_BASE_URL).replace(/\/+$/, '')
  const protocol = new URL(base).protocol
  if (protocol !== 'https:' && protocol !== 'http:') throw new Error(`graphBaseUrl must be http(s), not ${protocol}`)
  return { ...config, graphBaseUrl: base, apiVersion: config.apiVersion ?? DEFAULT_API_VERSION, timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS }
}
