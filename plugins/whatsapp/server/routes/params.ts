import { uuid } from '@sapa/sdk'

/** `:sessionId` in a path: the SDK's uuid (a bare `format: 'uuid'` also accepts `urn:uuid:…`). */
export const sessionIdParams = { type: 'object', additionalProperties: false, required: ['sessionId'], properties: { sessionId: uuid } } as const
