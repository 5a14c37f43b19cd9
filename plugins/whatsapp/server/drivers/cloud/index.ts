import type { DriverEntry } from '../registry.ts'
import type { DriverFactory } from '../port.ts'
import { operatorGraph, tenantCloudConfigSchema, type CloudConfig } from './config.ts'
import { createCloudDriver } from './driver.ts'

export { cloudConfigSchema, operatorGraph, resolveCloudConfig, type CloudConfig } from './config.ts'
export { createCloudDriver, CLOUD_MEDIA_RULES, type CloudDriverDeps } from './driver.ts'
export { verifyChallenge, verifySignature, parseWebhook, waIdToAddress, mediaDownloader, type ParsedWebhook, type ParseWebhookOptions } from './webhook.ts'
export { submitTemplate, validateTemplate, TEMPLATE_LIMITS, type TemplateDefinition, type TemplateFieldError, type SubmitTemplateResult } from './templates.ts'

/**
 * The registry entry (drivers/registry.ts): a number's config without the Graph address, which is
 * the operator's. Meta's default throughput is 80 messages per second per number; 20 leaves room
 * for the per-recipient pair limit and retries.
 */
export const cloudDriverEntry: DriverEntry = {
  create: ((ctx) => createCloudDriver({ ...ctx, config: operatorGraph(ctx.config) })) as DriverFactory<CloudConfig>,
  configSchema: tenantCloudConfigSchema,
  defaultRatePerSecond: 20,
}
