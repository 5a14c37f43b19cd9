// The kernel's own settings pages, each shown to those holding its permission. Loaded on demand.
import { lazy, type Component } from 'solid-js'

export interface SettingsPage {
  id: string
  path: string
  label: string
  icon: string
  permission: string
  component: Component
}

export const settingsPages: SettingsPage[] = [
  { id: 'modules', path: '/settings/modules', label: 'settings.modules', icon: 'modules', permission: 'kernel.plugins.view', component: lazy(() => import('./pages/settings/Modules.tsx')) },
  { id: 'users', path: '/settings/users', label: 'settings.users', icon: 'users', permission: 'kernel.users.view', component: lazy(() => import('./pages/settings/Users.tsx')) },
  { id: 'roles', path: '/settings/roles', label: 'settings.roles', icon: 'shield', permission: 'kernel.roles.view', component: lazy(() => import('./pages/settings/Roles.tsx')) },
  { id: 'api-keys', path: '/settings/api-keys', label: 'settings.apiKeys', icon: 'key', permission: 'kernel.apikeys.manage', component: lazy(() => import('./pages/settings/ApiKeys.tsx')) },
  { id: 'audit', path: '/settings/audit', label: 'settings.audit', icon: 'list', permission: 'kernel.audit.view', component: lazy(() => import('./pages/settings/Audit.tsx')) },
]
