import type { Response } from 'light-my-request'
import type { Test } from 'tap'

/**
 * A refusal as every route must give it: the status, `{ error: { code, message, details? } }` and
 * nothing else, and no stack trace, SQL or file path in the body.
 */
export function assertError(t: Test, res: Response, status: number, code: string, label = ''): void {
  t.equal(res.statusCode, status, `${label} → ${status}`)
  const body = res.json()
  t.same(Object.keys(body), ['error'], `${label}: body is only { error }`)
  t.equal(body.error?.code, code, `${label}: error.code ${code}`)
  t.notMatch(res.body, /at .*\.ts|select |insert |node_modules/i, `${label}: no stack, SQL or paths`)
}
