import { randomBytes } from 'node:crypto'
import type { KernelServices } from './kernel.ts'
import { addMember, createTenant } from './services/tenants.ts'
import { systemActor } from './audit/audit.ts'

export interface DemoCredentials {
  tenant: string
  email: string
  password: string
}

/**
 * On an empty database, create the "Demo" tenant and its admin (super_admin of Demo and
 * platform operator). Returns the credentials once; afterwards it does nothing.
 */
export async function ensureDemoTenant(k: KernelServices): Promise<DemoCredentials | null> {
  const any = await k.db('tenants').first('id')
  if (any) return null
  const email = (k.config.demoAdminEmail ?? 'admin@sapa.local').toLowerCase()
  const password = k.config.demoAdminPassword ?? randomBytes(9).toString('base64url')
  await k.db.transaction(async (trx) => {
    const tenant = await createTenant(trx, { name: 'Demo', slug: 'demo' })
    const user = await addMember(trx, tenant.id, { email, name: 'Demo Admin', password, role: 'super_admin', isOperator: true })
    await k.audit.record(trx, systemActor, { tenantId: tenant.id, action: 'kernel.tenant.created', targetType: 'tenant', targetId: tenant.id, summary: { demo: true, admin: user.email } })
  })
  return { tenant: 'demo', email, password }
}
