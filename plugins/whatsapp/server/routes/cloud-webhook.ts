import type { FastifyInstance } from 'fastify'
import { AppError, type PluginContext } from '@sapa/sdk'
import { sessionIdParams } from './params.ts'
import { mediaDownloader, operatorGraph, parseWebhook, verifyChallenge, verifySignature, type CloudConfig } from '../drivers/cloud/index.ts'
import type { Inbound } from '../inbound.ts'

const params = sessionIdParams

/**
 * Meta calls these: GET for the verify-token handshake, POST with messages and statuses signed
 * with X-Hub-Signature-256 over the raw body. Public routes (Meta has no session): the number is
 * found by its id in the URL, and nothing is stored unless the signature matches its app secret.
 */
export function cloudWebhookRoutes(ctx: PluginContext<any>, inbound: Inbound) {
  async function cloudNumber(sessionId: string) {
    // Public route: no tenant in a credential yet, the number's own row says whose it is.
    const row = await ctx.db('whatsapp_sessions').where({ id: sessionId, driver: 'cloud' }).first('tenant_id', 'id', 'config_sealed')
    if (!row || !(await ctx.isEnabled(row.tenant_id))) throw new AppError(404, 'session_not_found', 'WhatsApp number not found')
    const config = JSON.parse(ctx.secrets.decryptString(row.config_sealed)) as CloudConfig
    return { tenantId: row.tenant_id as string, sessionId: row.id as string, config: operatorGraph(config) }
  }

  return async (app: FastifyInstance) => {
    await app.register(async (scope) => {
      // The signature is over the exact bytes Meta sent: keep them, parse afterwards.
      scope.removeAllContentTypeParsers()
      scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 4 * 1024 * 1024 }, (_req, body, done) => done(null, body))

      scope.get<{ Params: { sessionId: string }; Querystring: Record<string, string> }>('/cloud/:sessionId/webhook', {
        schema: {
          tags: ['whatsapp'],
          params,
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: { 'hub.mode': { type: 'string', maxLength: 32 }, 'hub.verify_token': { type: 'string', maxLength: 256 }, 'hub.challenge': { type: 'string', maxLength: 256 } },
          },
        },
        config: { public: true },
      }, async (req, reply) => {
        const number = await cloudNumber(req.params.sessionId)
        const challenge = verifyChallenge(req.query, number.config.verifyToken)
        if (challenge === null) throw new AppError(403, 'verify_token_mismatch', 'The verify token does not match')
        return reply.type('text/plain').send(challenge)
      })

      scope.post<{ Params: { sessionId: string }; Body: Buffer }>('/cloud/:sessionId/webhook', {
        schema: { tags: ['whatsapp'], params },
        config: { public: true, rawBody: true },
      }, async (req, reply) => {
        const number = await cloudNumber(req.params.sessionId)
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
        const signature = req.headers['x-hub-signature-256']
        if (!verifySignature(raw, typeof signature === 'string' ? signature : undefined, number.config.appSecret)) {
          throw new AppError(401, 'invalid_signature', 'The X-Hub-Signature-256 header does not match the body')
        }
        let payload: unknown
        try {
          payload = JSON.parse(raw.toString('utf8'))
        } catch {
          throw new AppError(400, 'invalid_json', 'The body is not valid JSON')
        }
        const parsed = parseWebhook(payload, { phoneNumberId: number.config.phoneNumberId, media: mediaDownloader(number.config) })
        if (parsed.errors.length) ctx.logger.warn({ sessionId: number.sessionId, errors: parsed.errors.slice(0, 20) }, 'cloud webhook: parts skipped')
        for (const message of parsed.messages) await inbound.message(number.tenantId, number.sessionId, message)
        for (const status of parsed.statuses) await inbound.ack(number.tenantId, number.sessionId, status)
        return reply.status(200).send({ received: parsed.messages.length, statuses: parsed.statuses.length })
      })
    })
  }
}
