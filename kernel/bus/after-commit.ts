import type { Knex } from 'knex'

/**
 * Tells whether a knex transaction ends up committed.
 *
 * `trx.executionPromise` alone cannot tell: knex creates transactions with `doNotRejectOnRollback:
 * true`, so `await trx.rollback()` (no error) *resolves* it exactly like a commit does; and a nested
 * transaction (savepoint) resolves when its savepoint is released even if the outer transaction
 * rolls back later. So we also note every call to `rollback` on the transaction (both knex's own
 * container and user code call it through the transaction object), and a nested transaction counts
 * as committed only once every enclosing transaction has committed too.
 *
 * Not detectable here: a Postgres transaction that failed on the server, whose error the caller
 * swallowed, and which was then "committed" (Postgres answers COMMIT with ROLLBACK). Such a caller
 * is broken anyway: every statement after the error failed too.
 */

interface TrackedTransaction {
  /** Settles when this transaction itself ends: true if it committed (or released its savepoint). */
  ended: Promise<boolean>
}

const tracked = new WeakMap<Knex.Transaction, TrackedTransaction>()

export function isKnexTransaction(value: unknown): value is Knex.Transaction {
  // A knex transaction is a function object (callable like `knex`) carrying these properties.
  if (typeof value !== 'function') return false
  const trx = value as unknown as Partial<Record<keyof Knex.Transaction, unknown>>
  return (
    trx.isTransaction === true &&
    typeof trx.rollback === 'function' &&
    typeof trx.isCompleted === 'function' &&
    trx.executionPromise instanceof Promise
  )
}

function track(trx: Knex.Transaction): TrackedTransaction {
  const known = tracked.get(trx)
  if (known) return known
  let rolledBack = false
  const rollback = trx.rollback
  trx.rollback = function (this: unknown, ...args: Parameters<Knex.Transaction['rollback']>) {
    rolledBack = true
    return rollback.apply(this, args)
  }
  const ended = trx.executionPromise.then(
    () => !rolledBack,
    () => false,
  )
  const entry = { ended }
  tracked.set(trx, entry)
  return entry
}

/** The chain from this transaction out to the top-level one. */
function chainOf(trx: Knex.Transaction): Knex.Transaction[] {
  const chain: Knex.Transaction[] = []
  for (let t: Knex.Transaction | undefined = trx; t; t = t.parentTransaction) chain.push(t)
  return chain
}

export interface CommitWatch {
  /** True once the transaction and all enclosing ones committed; false if any rolled back. */
  committed: Promise<boolean>
  /**
   * The transaction currently waited on (moves outwards as inner ones end), with the promise of its
   * own end, and whether it is the outermost one.
   */
  current(): { trx: Knex.Transaction; ended: Promise<boolean>; outermost: boolean }
}

/**
 * Starts watching `trx` (and its enclosing transactions). Must be called while the transaction is
 * still open: a rollback that already happened cannot be seen. Throws if `trx` is no open knex
 * transaction.
 */
export function watchCommit(trx: Knex.Transaction): CommitWatch {
  if (!isKnexTransaction(trx)) throw new TypeError('expected a knex transaction (opts.trx)')
  if (trx.isCompleted()) throw new Error('the transaction has already ended: publish before commit')
  const chain = chainOf(trx).map((t) => ({ trx: t, ended: track(t).ended }))
  let index = 0
  const committed = (async () => {
    for (; index < chain.length; index++) {
      if (!(await chain[index]!.ended)) return false
    }
    return true
  })()
  return {
    committed,
    current: () => {
      const at = Math.min(index, chain.length - 1)
      return { ...chain[at]!, outermost: at === chain.length - 1 }
    },
  }
}
