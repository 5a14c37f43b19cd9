import { definePlugin } from '@sapa/sdk'
import { helloRoutes } from './server/routes.ts'
import { Ping } from './server/ping.ts'

export interface HelloSettings {
  greeting: string
}

export default definePlugin<HelloSettings>({
  name: 'hello',
  version: '1.0.0',
  kernel: '^1',
  description: 'Says hello: an example of every part a plugin can have',
  permissions: {
    'hello.ping.view': 'Ping the hello plugin',
  },
  grants: { viewer: ['hello.ping.view'] },
  settings: {
    type: 'object',
    additionalProperties: false,
    properties: { greeting: { type: 'string', maxLength: 60, default: 'Halo' } },
  },
  ui: {
    nav: [{ id: 'hello', path: '/hello', label: { en: 'Hello', id: 'Halo' }, icon: 'hand', permission: 'hello.ping.view' }],
    slots: [{ slot: 'settings.sections', id: 'hello-settings', permission: 'kernel.plugins.manage' }],
  },

  async register(ctx) {
    ctx.routes(helloRoutes(ctx))

    // A job: marks the ping greeted. Idempotent (at-least-once delivery).
    await ctx.jobs.define('greet', async (job) => {
      const { tenantId, pingId } = job.data as { tenantId: string; pingId: string }
      await Ping.of(tenantId).where('id', pingId).patch({ greeted: true } as any)
    })

    // An event handler: tells the tenant's browsers someone pinged.
    ctx.events.on('hello.pinged', async (event) => {
      await ctx.realtime.publish(event.tenantId, 'hello', 'pinged', { pingId: event.payload.pingId })
    })

    ctx.realtime.defineTopic('hello', { permission: 'hello.ping.view', id: 'none' })
  },
})
