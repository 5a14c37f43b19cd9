import type { DriverEntry } from '../registry.ts'
import type { DriverFactory } from '../port.ts'
import { cloudConfigSchema, cloudSecretKeys, type CloudConfig } from './config.ts'
import { createCloudDriver } from './driver.ts'

export { cloudConfigSchema, cloudSecretKeys, resolveCloudConfig, type CloudConfig } from './config.ts'
export { createCloudDriver, CLOUD_MEDIA_RULES, type CloudDriverDeps } from './driver.ts'
export { verifyChallenge, verifySignature, parseWebhook, waIdToAddress, mediaDownloader, type ParsedWebhook, type ParseWebhookOptions } from './webhook.ts'
export { submitTemplate, validateTemplate, TEMPLATE_LIMITS, type TemplateDefinition, type TemplateFieldError, type SubmitTemplateResult } from './templates.ts'

/**
 * The registry entry (drivers/registry.ts). Meta's default throughput is
 * 80 messages per second per number; 20 leaves room for the per-recipient pair limit and retries.
 */
export const cloudDriverEntry: DriverEntry = {
  create: ((ctx) => createCloudDriver(ctx)) as DriverFactory<CloudConfig>,
  configSchema: cloudConfigSchema,
  secretKeys: [...cloudSecretKeys],
  defaultRatePerSecond: 20,
}
