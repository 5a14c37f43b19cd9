import t from 'tap'
import { newId } from '@sapa/sdk'
import { createContacts } from '../server/contacts.ts'
import { createImporter, importStorageKey } from '../server/import/importer.ts'
import { contactsKernel, ok, until } from './support/kernel.ts'

/** "Rows first, then jobs": an import whose job was lost is queued again, and a retry resumes. */
t.test('imports survive a crash: the sweep re-queues them, a retry resumes after the last batch', async (t) => {
  const { h, tenant, manager } = await contactsKernel(t)
  const ctx = h.kernel.services.plugins.get('contacts')!.ctx
  const importer = createImporter(ctx as any, createContacts(ctx as any))
  const db = h.services.db
  const old = new Date(h.clock.now().getTime() - 10 * 60_000)
  const stored = async (csv: string, row: Record<string, unknown>) => {
    const id = newId()
    const key = importStorageKey(tenant.id, id)
    await ctx.storage.put(key, Buffer.from(csv))
    await db('contact_imports').insert({
      tenant_id: tenant.id, id, status: 'queued', filename: 'x.csv', format: 'csv', size: csv.length, storage_key: key,
      options: JSON.stringify({ mapping: null, onDuplicate: 'update' }), created_at: old, updated_at: old, ...row,
    })
    return id
  }
  const state = (id: string) => until(async () => {
    const s = (await manager.inject({ method: 'GET', url: `/api/contacts/imports/${id}` })).json()
    return s.status === 'completed' && s
  })

  // Committed, never queued (the process died in between).
  const lost = await stored('phone,name\n0812 7000 0001,Lost One\n0812 7000 0002,Lost Two\n', {})
  t.equal(await importer.sweep(60_000), 1, 'one import re-queued')
  t.match(await state(lost), { imported: 2, processed: 2 })

  // Two rows written by an attempt whose worker died; the retry writes only the rest.
  const csv = 'phone,name\n0812 7100 0001,A\n0812 7100 0002,B\n0812 7100 0003,C\n0812 7100 0004,D\nabc,E\n'
  const partial = await stored(csv, { status: 'running', cursor_row: 3, processed: 2, imported: 2, total_rows: 5, attempts: 1 })
  for (const [phone, name] of [['+6281271000001', 'A'], ['+6281271000002', 'B']]) {
    await db('contacts').insert({ tenant_id: tenant.id, id: newId(), phone, name, attributes: '{}', created_at: old, updated_at: old })
  }
  t.equal(await importer.sweep(60_000), 1)
  const done = await state(partial)
  t.match(done, { processed: 5, imported: 4, updated: 0, errorCount: 1, errors: [{ row: 6 }] }, 'counted once each')
  t.equal(Number((await db('contacts').where({ tenant_id: tenant.id }).whereLike('phone', '+6281271%').count('* as c'))[0].c), 4)
  t.equal(await importer.sweep(60_000), 0, 'nothing left to sweep')
  t.same(await db('contact_imports').whereNotNull('storage_key').pluck('id'), [], 'uploaded files are gone')
  t.ok((await ok(manager, 'GET', '/api/contacts/imports')).items.length >= 2)
})
