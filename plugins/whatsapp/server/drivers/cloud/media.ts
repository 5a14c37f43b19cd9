import { DriverError, type InboundMedia } from '../port.ts'
import { resolveCloudConfig, type CloudConfig } from './config.ts'
import { driverErrorFrom, graphRequest, GraphFailure, readCapped, SizeCapExceeded, type GraphDeps } from './graph.ts'

export interface MediaDownloaderOptions extends GraphDeps {
  /** Refuse (and stop reading) files larger than this. Default 16 MB. */
  maxBytes?: number
}

export const DEFAULT_MEDIA_MAX_BYTES = 16 * 1024 * 1024
const DOWNLOAD_TIMEOUT_MIN_MS = 60_000
/** Graph media ids are numeric; nothing that could step out of the URL path. */
const MEDIA_ID = /^[A-Za-z0-9_-]{1,128}$/

/**
 * Inbound media for the webhook parser: `(mediaId) => download`. The download asks Graph for the
 * file's short-lived URL (only if the media belongs to this number), then fetches it with the token,
 * refusing anything announced or read beyond `maxBytes`. Throws DriverError.
 */
export function mediaDownloader(config: CloudConfig, deps: MediaDownloaderOptions = {}): (mediaId: string) => InboundMedia['download'] {
  const resolved = resolveCloudConfig(config)
  const maxBytes = deps.maxBytes ?? DEFAULT_MEDIA_MAX_BYTES
  const timeoutMs = Math.max(resolved.timeoutMs, DOWNLOAD_TIMEOUT_MIN_MS)
  const tooLarge = () => new DriverError(`The media file is larger than ${maxBytes} bytes`, 'media_too_large', false)

  return (mediaId) => async () => {
    if (typeof mediaId !== 'string' || !MEDIA_ID.test(mediaId)) throw new DriverError('Not a media id', 'invalid_media_id', false)
    try {
      const info = await graphRequest<{ url?: unknown; mime_type?: unknown; file_size?: unknown }>(resolved, deps, {
        method: 'GET',
        path: mediaId,
        query: { phone_number_id: resolved.phoneNumberId },
      })
      if (typeof info.file_size === 'number' && info.file_size > maxBytes) throw tooLarge()
      const url = typeof info.url === 'string' ? safeUrl(info.url, resolved.graphBaseUrl) : null
      if (!url) throw new DriverError('Meta answered without a usable media URL', 'bad_response', true)
      const res = await (deps.fetch ?? fetch)(url, {
        headers: { authorization: `Bearer ${resolved.accessToken}`, 'user-agent': 'Sapa-WhatsApp-Cloud/1' },
        signal: AbortSignal.timeout(timeoutMs),
      })
      if (!res.ok) {
        await res.body?.cancel().catch(() => {})
        throw new GraphFailure(`Media download answered HTTP ${res.status}`, res.status)
      }
      return await readCapped(res, maxBytes)
    } catch (err) {
      if (err instanceof SizeCapExceeded) throw tooLarge()
      throw driverErrorFrom(err, timeoutMs)
    }
  }
}

/** The media URL the token may be sent to: http(s), and https whenever Graph itself is https. */
function safeUrl(raw: string, graphBaseUrl: string): URL | null {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return null
  }
  const needHttps = graphBaseUrl.startsWith('https:')
  if (url.protocol !== 'https:' && (needHttps || url.protocol !== 'http:')) return null
  if (url.username || url.password) return null
  return url
}
