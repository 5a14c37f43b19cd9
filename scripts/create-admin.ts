// npm run create-admin -- --tenant <slug> --email <e> [--password <p>] [--name <n>] [--tenant-name <n>]
// Creates the tenant when it does not exist yet; the user becomes its super_admin and a
// platform operator. Without --password the password is asked for (hidden) on the terminal.
import { createInterface } from 'node:readline'
import { Writable } from 'node:stream'
import { loadConfig } from '../kernel/config.ts'
import { createKernel } from '../kernel/kernel.ts'
import { addMember, createTenant, SLUG } from '../kernel/services/tenants.ts'
import { systemActor } from '../kernel/audit/audit.ts'
import { MIN_PASSWORD_LENGTH } from '../kernel/auth/passwords.ts'
import { fail, flag } from './cli.ts'

async function askHidden(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw new Error('--password is required when not on a terminal')
  let muted = false
  const output = new Writable({ write: (chunk, _enc, done) => (muted ? done() : process.stdout.write(chunk, done)) })
  const rl = createInterface({ input: process.stdin, output, terminal: true })
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close()
      process.stdout.write('\n')
      resolve(answer)
    })
    muted = true
  })
}

function usage(message: string): never {
  console.error(`sapa: ${message}\nusage: npm run create-admin -- --tenant <slug> --email <email> [--password <password>] [--name <name>]`)
  process.exit(1)
}

const args = process.argv.slice(2)
const slug = flag(args, 'tenant')
const email = flag(args, 'email')?.trim().toLowerCase()
if (!slug || !new RegExp(SLUG).test(slug)) usage('--tenant <slug> is required (lower-case letters, digits and dashes)')
if (!email || !/^[^@\s]+@[^@\s]+$/.test(email)) usage('--email <email> is required')

try {
  const password = flag(args, 'password') ?? (await askHidden('Password: '))
  if (password.length < MIN_PASSWORD_LENGTH) usage(`the password needs at least ${MIN_PASSWORD_LENGTH} characters`)
  const kernel = await createKernel(loadConfig())
  const { db, audit } = kernel.services
  try {
    await db.transaction(async (trx) => {
      let tenant = await trx('tenants').where({ slug }).first()
      if (!tenant) {
        tenant = await createTenant(trx, { name: flag(args, 'tenant-name') ?? slug, slug })
        await audit.record(trx, systemActor, { tenantId: tenant.id, action: 'kernel.tenant.created', targetType: 'tenant', targetId: tenant.id, summary: { via: 'create-admin' } })
      }
      const user = await addMember(trx, tenant.id, { email, name: flag(args, 'name') ?? email.split('@')[0], password, role: 'super_admin', isOperator: true })
      await audit.record(trx, systemActor, { tenantId: tenant.id, action: 'kernel.user.added', targetType: 'user', targetId: user.id, summary: { email, role: 'super_admin', via: 'create-admin' } })
    })
    console.log(`${email} is now super_admin of "${slug}" and a platform operator.`)
  } finally {
    await kernel.close()
  }
} catch (err) {
  const e = err as { code?: string; message?: string }
  if (e.code && /_/.test(e.code) && e.message) {
    console.error(`sapa: ${e.message}`)
    process.exit(1)
  }
  fail(err)
}
