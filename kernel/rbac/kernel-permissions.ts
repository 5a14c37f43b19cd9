import type { GrantDeclarations, PermissionDeclarations } from './catalogue.ts'

export const KERNEL_PERMISSIONS: PermissionDeclarations = {
  'kernel.me.view': 'See your own profile and switch between your tenants',
  'kernel.users.view': 'See the team members of the tenant',
  'kernel.users.manage': 'Invite team members, change their role, deactivate them',
  'kernel.roles.view': 'See roles and their permissions',
  'kernel.roles.manage': 'Create, change and delete custom roles',
  'kernel.apikeys.manage': 'Create, list and revoke API keys',
  'kernel.audit.view': 'Read the audit log',
  'kernel.plugins.view': 'See which modules are enabled',
  'kernel.plugins.manage': 'Enable, disable and configure modules for the tenant',
  'kernel.settings.manage': 'Change the tenant settings (name, time zone, language)',
  'kernel.tenants.manage': { description: 'Create and suspend tenants (platform operator)', scope: 'platform' },
  'kernel.plugins.install': { description: 'Install, reload and remove plugin code (platform operator)', scope: 'platform' },
  'kernel.queues.view': { description: 'See and retry queues (platform operator)', scope: 'platform' },
}

export const KERNEL_GRANTS: GrantDeclarations = {
  restricted: ['kernel.me.view'],
  viewer: ['kernel.plugins.view'],
  team_lead: ['kernel.users.view', 'kernel.roles.view'],
  manager: ['kernel.users.manage', 'kernel.audit.view'],
  admin: ['kernel.roles.manage', 'kernel.apikeys.manage', 'kernel.plugins.manage', 'kernel.settings.manage'],
}
