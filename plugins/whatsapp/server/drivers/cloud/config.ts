/**
 * A Cloud API number's driver config. The lead validates `POST /api/whatsapp/sessions
 * {driver:'cloud', config}` with `tenantCloudConfigSchema`; the whole config is stored encrypted (no
 * API ever returns it, so its secrets need no redacting) and arrives here decrypted in `ctx.config`.
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
  /** Default https://graph.facebook.com. Tests point it at a local fake; a number's own config never sets it (operatorGraph). */
  graphBaseUrl?: string
  /** Default v21.0. */
  apiVersion?: string
  /** Per Graph call (JSON calls); media upload and download get at least 60 s. Default 15 s. */
  timeoutMs?: number
}

export const DEFAULT_GRAPH_BASE_URL = 'https://graph.facebook.com'
export const DEFAULT_API_VERSION = 'v21.0'
export const DEFAULT_TIMEOUT_MS = 15_000

/** http(s), a host, a path at most: the version and the call's path are appended to it. */
const GRAPH_BASE_URL_PATTERN = '^https?://[^\\s/?#]+(/[^\\s?#]*)?$'

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
    graphBaseUrl: { type: 'string', format: 'uri', maxLength: 200, pattern: GRAPH_BASE_URL_PATTERN },
    apiVersion: { type: 'string', maxLength: 10, pattern: '^v[0-9]{1,3}\\.[0-9]{1,2}$' },
    timeoutMs: { type: 'integer', minimum: 1000, maximum: 120_000 },
  },
} as const

export interface ResolvedCloudConfig extends CloudConfig {
  graphBaseUrl: string
  apiVersion: string
  timeoutMs: number
}

/**
 * The config with its defaults, the base URL without a trailing slash. The base URL is checked
 * here too: the operator's SAPA_WHATSAPP_GRAPH_URL reaches the driver without the schema.
 */
export function resolveCloudConfig(config: CloudConfig): ResolvedCloudConfig {
  const configured = config.graphBaseUrl ?? DEFAULT_GRAPH_BASE_URL
  if (!new RegExp(GRAPH_BASE_URL_PATTERN, 'u').test(configured)) throw new Error('graphBaseUrl must be an http(s) address with no query or fragment')
  const base = configured.replace(/\/+$/, '')
  new URL(base) // throws on what the pattern lets through but is no URL
  return { ...config, graphBaseUrl: base, apiVersion: config.apiVersion ?? DEFAULT_API_VERSION, timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS }
}

/**
 * The Graph API address is the operator's setting (SAPA_WHATSAPP_GRAPH_URL, for a proxy or a test
 * server), never a workspace's: the access token is sent there, so a tenant must not be able to
 * point it at an internal address. Whatever a number's stored config says, this replaces it.
 */
export function operatorGraph<C extends CloudConfig>(config: C): C {
  return { ...config, graphBaseUrl: process.env.SAPA_WHATSAPP_GRAPH_URL || undefined }
}

/** What a workspace may set: the driver's config without graphBaseUrl (operatorGraph). */
const { graphBaseUrl: _operatorOnly, ...tenantProperties } = cloudConfigSchema.properties
export const tenantCloudConfigSchema = { ...cloudConfigSchema, properties: tenantProperties } as const
