import t from 'tap'
import { AppError } from '../../kernel/errors.ts'
import { decodeKeysetCursor, encodeKeysetCursor } from '../../kernel/http/cursor.ts'
import { isUuid } from '../../kernel/db/ids.ts'

const ID = '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b'
type NameCursor = ['name', string | null, string]
const nameCursor = (v: unknown[]): v is NameCursor => v.length === 3 && v[0] === 'name' && (v[1] === null || typeof v[1] === 'string') && typeof v[2] === 'string' && isUuid(v[2])

t.test('a keyset cursor round-trips its values and is opaque', async (t) => {
  const values: NameCursor = ['name', 'Siti "Aminah" 👋', ID]
  const cursor = encodeKeysetCursor(values)
  t.match(cursor, /^[A-Za-z0-9_-]+$/, 'base64url: safe in a query string as it is')
  t.same(decodeKeysetCursor(cursor, nameCursor), values)
  t.same(decodeKeysetCursor(encodeKeysetCursor(['name', null, ID]), nameCursor), ['name', null, ID], 'a null key')
})

t.test('anything else is a 400 invalid_cursor', async (t) => {
  const b64 = (text: string) => Buffer.from(text).toString('base64url')
  const bad = {
    'not base64url JSON': '%%%',
    'JSON but not an array': b64('{"a":1}'),
    'a string': b64('"name"'),
    'another sort': encodeKeysetCursor(['-name', 'a', ID]),
    'too few values': encodeKeysetCursor(['name', ID]),
    'an id that is not a uuid': encodeKeysetCursor(['name', 'a', 'not-a-uuid']),
    'empty': '',
  }
  for (const [what, cursor] of Object.entries(bad)) {
    let thrown: unknown = null
    try {
      decodeKeysetCursor(cursor, nameCursor)
    } catch (err) {
      thrown = err
    }
    t.ok(thrown instanceof AppError && thrown.statusCode === 400 && thrown.code === 'invalid_cursor', what)
  }
})
