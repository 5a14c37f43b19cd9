import type { DeliveryStatus } from './drivers/port.ts'

/**
 * Delivery status only moves forward: a late `delivered` never downgrades `read`. A failure after
 * the message was delivered is ignored; a failure before it wins over `sent`.
 */
export const STATUS_RANK: Record<DeliveryStatus | 'received', number> = {
  queued: 0,
  sending: 1,
  sent: 2,
  failed: 3,
  delivered: 3,
  read: 4,
  received: 0,
}
