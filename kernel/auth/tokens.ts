import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** Cookie tokens and API keys are 256-bit random; only their SHA-256 is stored. */
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url')
export const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex')

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

export const API_KEY_PREFIX = 'sapa_'
export const newApiKey = (): string => API_KEY_PREFIX + randomToken(32)
