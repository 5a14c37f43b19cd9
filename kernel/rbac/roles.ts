/**
 * The ten predefined roles (from the seed spec). Higher levels inherit every permission of
 * the levels below; a user may only grant roles below their own level.
 */
export const PREDEFINED_ROLES = [
  { key: 'super_admin', name: 'Super Admin', level: 10 },
  { key: 'admin', name: 'Admin', level: 9 },
  { key: 'manager', name: 'Manager', level: 8 },
  { key: 'team_lead', name: 'Team Lead', level: 7 },
  { key: 'senior_agent', name: 'Senior Agent', level: 6 },
  { key: 'agent', name: 'Agent', level: 5 },
  { key: 'junior_agent', name: 'Junior Agent', level: 4 },
  { key: 'viewer', name: 'Viewer', level: 3 },
  { key: 'guest', name: 'Guest', level: 2 },
  { key: 'restricted', name: 'Restricted', level: 1 },
] as const

export type PredefinedRoleKey = (typeof PREDEFINED_ROLES)[number]['key']

const byKey = new Map<string, (typeof PREDEFINED_ROLES)[number]>(PREDEFINED_ROLES.map((r) => [r.key, r]))

export const isPredefinedRole = (key: string): key is PredefinedRoleKey => byKey.has(key)
export const predefinedRole = (key: string) => byKey.get(key)
