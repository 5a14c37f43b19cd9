// What the numbers page reads from /api/whatsapp (server/views.ts sessionView and messageView).
export type SessionStatus = 'disconnected' | 'connecting' | 'qr' | 'pairing_code' | 'connected' | 'reconnecting' | 'logged_out' | 'failed'
export type DriverName = 'sandbox' | 'baileys' | 'cloud'

export interface WaNumber {
  id: string
  name: string
  driver: DriverName
  status: SessionStatus
  phone: string | null
  qr: string | null
  pairingCode: string | null
  error: string | null
  settings: { ratePerSecond?: number; holdMinutes?: number }
  connectRequested: boolean
  createdAt: string
  updatedAt: string
}

export interface WaMessage {
  id: string
  sessionId: string
  direction: 'in' | 'out'
  providerId: string | null
  peer: string
  peerName: string | null
  type: string
  text: string | null
  status: string
  createdAt: string
}

export const STATUSES: SessionStatus[] = ['disconnected', 'connecting', 'qr', 'pairing_code', 'connected', 'reconnecting', 'logged_out', 'failed']

/** Statuses in which the number is not running: connect is offered, disconnect is not. */
export const idle = (s: WaNumber) => !s.connectRequested && ['disconnected', 'logged_out', 'failed'].includes(s.status)

/** Badge colour per status: working, waiting for someone, broken, off. */
export function statusTone(status: SessionStatus): 'ok' | 'wait' | 'bad' | 'off' {
  if (status === 'connected') return 'ok'
  if (status === 'failed' || status === 'logged_out') return 'bad'
  if (status === 'disconnected') return 'off'
  return 'wait'
}

/** "12345678" → "1234-5678", as WhatsApp shows pairing codes. */
export const formatPairingCode = (code: string) => (code.length === 8 ? `${code.slice(0, 4)}-${code.slice(4)}` : code)
