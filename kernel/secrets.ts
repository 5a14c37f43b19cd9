import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

/**
 * AES-256-GCM for secrets at rest (WhatsApp auth state, Cloud API tokens, webhook secrets).
 * The key is derived from APP_SECRET with HKDF, so rotating the purpose label never reuses a key.
 * Format: v1.<iv>.<tag>.<ciphertext>, all base64url.
 */
export function createSecrets(appSecret: string) {
  const key = Buffer.from(hkdfSync('sha256', appSecret, 'sapa', 'secrets-v1', 32))
  return {
    encrypt(plain: string | Buffer): string {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      const data = Buffer.concat([cipher.update(plain), cipher.final()])
      return ['v1', iv, cipher.getAuthTag(), data].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.')
    },
    decrypt(sealed: string): Buffer {
      const [version, iv, tag, data] = sealed.split('.')
      if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('Not a sealed secret')
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
      decipher.setAuthTag(Buffer.from(tag, 'base64url'))
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()])
    },
    decryptString(sealed: string): string {
      return this.decrypt(sealed).toString('utf8')
    },
  }
}

export type Secrets = ReturnType<typeof createSecrets>
