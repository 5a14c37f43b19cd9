import { stringify } from 'csv-stringify/sync'
import { writeXlsx } from './xlsx-writer.ts'
import type { Contacts, ListQuery } from './contacts.ts'
import type { ContactView } from './views.ts'
import type { AttributeDef } from './values.ts'

/**
 * Spreadsheet programs run cells starting with =, +, -, @, tab or CR as formulas (CSV injection):
 * such cells get a leading '. So does a cell that already starts with ', so the import (which takes
 * one leading ' off such cells) gives every value back unchanged.
 */
const FORMULA_START = /^[=+\-@\t\r']/
export const escapeCell = (value: string): string => (FORMULA_START.test(value) ? `'${value}` : value)

const PAGE = 1000

function columns(defs: AttributeDef[]): string[] {
  return ['id', 'name', 'phone', 'email', 'labels', 'opted_out', 'opted_out_at', 'last_contacted_at', 'created_at', 'updated_at', ...defs.map((d) => `attributes.${d.key}`)]
}

/** One contact as export cells: text escaped, numbers and booleans as themselves. */
function cells(c: ContactView, defs: AttributeDef[]): (string | number | boolean | null)[] {
  const text = (v: string | null) => (v === null ? null : escapeCell(v))
  return [
    c.id, text(c.name), text(c.phone), text(c.email), text(c.labels.map((l) => l.name).join(', ')),
    c.optedOut, c.optedOutAt, c.lastContactedAt, c.createdAt, c.updatedAt,
    ...defs.map((d) => {
      const v = (c.attributes as Record<string, unknown>)[d.key]
      if (v === undefined || v === null) return null
      return typeof v === 'string' ? text(v) : (v as number | boolean)
    }),
  ]
}

async function* pages(contacts: Contacts, tenantId: string, filters: ListQuery): AsyncGenerator<ContactView[]> {
  let after: string | undefined
  for (;;) {
    const rows = await contacts.list(tenantId, filters, { after, limit: PAGE, order: 'asc', plain: true })
    if (!rows.length) return
    yield contacts.views(tenantId, rows)
    if (rows.length < PAGE) return
    after = rows[rows.length - 1].id
  }
}

/** A UTF-8 CSV (with BOM, for Excel) produced page by page: memory stays flat whatever the size. */
export async function* exportCsv(contacts: Contacts, tenantId: string, filters: ListQuery): AsyncGenerator<string> {
  const defs = [...(await contacts.attributeDefs(tenantId)).values()]
  yield '\ufeff' + stringify([columns(defs)])
  for await (const views of pages(contacts, tenantId, filters)) {
    yield stringify(views.map((v) => cells(v, defs).map((x) => (x === null ? '' : String(x)))))
  }
}

/** An .xlsx streamed the same way (header row frozen; text cells escaped like the CSV's). */
export async function* exportXlsx(contacts: Contacts, tenantId: string, filters: ListQuery): AsyncGenerator<Uint8Array> {
  const defs = [...(await contacts.attributeDefs(tenantId)).values()]
  async function* rows() {
    yield [columns(defs)]
    for await (const views of pages(contacts, tenantId, filters)) yield views.map((v) => cells(v, defs))
  }
  yield* writeXlsx(rows(), 'Contacts')
}
