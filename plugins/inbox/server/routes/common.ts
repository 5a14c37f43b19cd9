import type { FastifyRequest } from 'fastify'
import { badRequest, type PluginContext } from '@sapa/sdk'
import type { Actor } from '../deps.ts'

export const actorOf = (req: FastifyRequest): Actor => ({
  userId: req.principal!.user?.id ?? null,
  name: req.principal!.user?.name ?? req.principal!.apiKey?.name ?? null,
})

export const tenantOf = (req: FastifyRequest) => req.principal!.tenant.id

export const limitQuery = (max: number, dflt: number) => ({ type: 'integer', minimum: 1, maximum: max, default: dflt }) as const

/** Opaque cursors around a plain string (a shortcut, a uuid). */
export const encodeText = (value: string) => Buffer.from(value).toString('base64url')
export function decodeText(cursor: string | undefined, pattern: RegExp): string | undefined {
  if (cursor === undefined) return undefined
  const value = Buffer.from(cursor, 'base64url').toString()
  if (!pattern.test(value)) throw badRequest('invalid_cursor', 'The cursor is not valid')
  return value
}

export const versionProp = { type: 'integer', minimum: 1, maximum: 2147483647 } as const

/** Records an action on one kind of inbox object in the audit log, in the request's tenant. */
export const auditor = (ctx: PluginContext<any>, targetType: string) =>
  (req: FastifyRequest, action: string, id: string, summary: Record<string, unknown> = {}) =>
    ctx.audit.record(ctx.db, req, { tenantId: tenantOf(req), action, targetType, targetId: id, summary })
