import { ConfigError } from '../kernel/config.ts'
import { DataDirLockedError } from '../kernel/db/lock.ts'

/** Known failures become one clear line and a non-zero exit, not a stack trace. */
export function fail(err: unknown): never {
  if (err instanceof ConfigError || err instanceof DataDirLockedError) {
    console.error(`sapa: ${err.message}`)
  } else if (err instanceof Error && /ECONNREFUSED|ENOTFOUND|password authentication|does not exist/.test(err.message)) {
    console.error(`sapa: cannot reach the database (${err.message}). Check DATABASE_URL.`)
  } else {
    console.error('sapa: failed to start:', err)
  }
  process.exit(1)
}

export function flag(args: string[], name: string): string | undefined {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`))
  if (i < 0) return undefined
  const arg = args[i]
  return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[i + 1]
}
