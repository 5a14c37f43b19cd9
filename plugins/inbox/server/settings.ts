export interface InboxSettings {
  /** An online agent without a heartbeat for this long counts as away (and gets no auto-assigned work). */
  autoAwayMinutes: number
  /** Team for new conversations on numbers no team claims ('' = none: only view_all holders see them until assigned). */
  defaultTeamId: string
}

export const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    autoAwayMinutes: { type: 'integer', minimum: 1, maximum: 1440, default: 5 },
    defaultTeamId: { type: 'string', maxLength: 36, default: '' },
  },
} as const
