import type { Knex } from 'knex'
import type { CountryCode } from 'libphonenumber-js'
import { AppError, isUniqueViolation, newId, type PluginContext } from '@sapa/sdk'
import { affected, Contact, ContactAttribute, ContactConsentEvent, ContactLabel, ContactLabelLink, ContactMerge, ContactNote, type ConsentSource, type ConsentStatus } from './models.ts'
import { normalizePhone } from './phone.ts'
import { coerceAttribute, normalizeEmail, type AttributeDef, type AttributeValue } from './values.ts'
import { applySearch, applySegment, labelLinks, type SegmentFilter } from './filters.ts'
import { applySort, type ContactSort, type SortAfter } from './sort.ts'
import { contactView, labelView, type ContactView, type LabelView } from './views.ts'
import type { ContactsSettings } from './settings.ts'

type Db = Knex | Knex.Transaction

export interface ContactInput {
  name?: string | null
  phone: string
  email?: string | null
  attributes?: Record<string, AttributeValue | null>
  labelIds?: string[]
  optedOut?: boolean
}
export type ContactPatch = Partial<ContactInput>

export interface ListQuery {
  q?: string
  labelId?: string
  optedOut?: boolean
  segment?: SegmentFilter
}

/** Who did it, for history and audit (null for the system: inbound messages, imports). */
export type Actor = { userId: string | null } | null

const MAX_NAME = 255

export function createContacts(ctx: PluginContext<ContactsSettings>) {
  const db = ctx.db
  const now = () => ctx.clock.now()

  async function region(tenantId: string): Promise<CountryCode> {
    return ((await ctx.settings(tenantId)).defaultRegion ?? 'ID') as CountryCode
  }

  function parsePhone(input: unknown, reg: CountryCode, field = 'phone'): string {
    const phone = normalizePhone(input, reg)
    if (!phone) {
      throw new AppError(400, 'invalid_phone', `${JSON.stringify(String(input).slice(0, 40))} is not a valid phone number (e.g. 0812 3456 7890 or +62 812 3456 7890)`, { field })
    }
    return phone
  }

  function parseEmail(input: string | null | undefined, field = 'email'): string | null {
    if (input === null || input === undefined || input.trim() === '') return null
    const email = normalizeEmail(input)
    if (!email) throw new AppError(400, 'invalid_email', `${JSON.stringify(input.slice(0, 60))} is not a valid email address`, { field })
    return email
  }

  function parseName(input: string | null | undefined): string | null {
    if (input === null || input === undefined) return null
    const name = input.trim()
    if (name.length > MAX_NAME) throw new AppError(400, 'invalid_name', `A name has at most ${MAX_NAME} characters`, { field: 'name' })
    return name || null
  }

  async function attributeDefs(tenantId: string, trx?: Db): Promise<Map<string, AttributeDef>> {
    const rows = await ContactAttribute.of(tenantId, trx).orderBy('key')
    return new Map(rows.map((a) => [a.key, { key: a.key, label: a.label, type: a.type, options: a.options ?? null, required: a.required }]))
  }

  /**
   * Typed attribute values merged over `current`: unknown keys, wrong types and a required attribute
   * left empty are each a 400 naming the field. `null` removes a value.
   */
  function mergeAttributes(defs: Map<string, AttributeDef>, input: Record<string, unknown> | undefined, current: Record<string, unknown>): Record<string, AttributeValue> {
    const out = new Map<string, AttributeValue>(Object.entries(current) as [string, AttributeValue][])
    for (const [key, raw] of Object.entries(input ?? {})) {
      const def = defs.get(key)
      if (!def) throw new AppError(400, 'unknown_attribute', `There is no contact attribute "${key.slice(0, 40)}"`, { field: `attributes.${key.slice(0, 40)}` })
      const coerced = coerceAttribute(def, raw, 'strict')
      if (!coerced.ok) throw new AppError(400, 'invalid_attribute_value', `${def.label}: ${coerced.reason}`, { field: `attributes.${key}`, type: def.type })
      if (coerced.value === null) out.delete(key)
      else out.set(key, coerced.value)
    }
    for (const def of defs.values()) {
      if (def.required && !out.has(def.key)) throw new AppError(400, 'attribute_required', `${def.label} is required`, { field: `attributes.${def.key}` })
    }
    return Object.fromEntries(out)
  }

  async function labelsById(tenantId: string, ids: string[], trx?: Db): Promise<Map<string, LabelView>> {
    if (!ids.length) return new Map()
    const rows = await ContactLabel.of(tenantId, trx).whereIn('id', ids)
    return new Map(rows.map((l) => [l.id, labelView(l)]))
  }

  async function labelIdsOf(tenantId: string, contactIds: string[], trx?: Db): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>(contactIds.map((id) => [id, []]))
    if (!contactIds.length) return out
    const links = await ContactLabelLink.of(tenantId, trx).whereIn('contact_id', contactIds).select('contact_id', 'label_id')
    for (const link of links) out.get(link.contact_id)?.push(link.label_id)
    return out
  }

  async function views(tenantId: string, rows: Contact[], trx?: Db): Promise<ContactView[]> {
    // Only the labels these contacts carry: views are built on hot paths (every inbound message
    // looks its contact up), and a workspace may have many labels.
    const links = await labelIdsOf(tenantId, rows.map((r) => r.id), trx)
    const labels = await labelsById(tenantId, [...new Set([...links.values()].flat())], trx)
    return rows.map((row) =>
      contactView(
        row,
        (links.get(row.id) ?? []).map((id) => labels.get(id)!).filter(Boolean).sort((a, b) => a.name.localeCompare(b.name)),
      ),
    )
  }

  /** The contact, or 404 (`details.mergedInto` when it was merged into another one). */
  async function find(tenantId: string, id: string, trx?: Db, forUpdate = false): Promise<Contact> {
    const q = Contact.of(tenantId, trx).findById(id)
    if (forUpdate) q.forUpdate()
    const row = await q
    if (row) return row
    const merged = await ContactMerge.of(tenantId, trx).where('from_id', id).orderBy('id', 'desc').first()
    throw new AppError(404, 'contact_not_found', 'Contact not found', merged ? { mergedInto: merged.into_id } : undefined)
  }

  async function assertLabels(tenantId: string, ids: string[], trx: Db): Promise<void> {
    if (!ids.length) return
    const found = await ContactLabel.of(tenantId, trx).whereIn('id', ids).select('id')
    const known = new Set(found.map((l) => l.id))
    const missing = ids.find((id) => !known.has(id))
    if (missing) throw new AppError(400, 'unknown_label', `There is no label ${missing}`, { field: 'labelIds' })
  }

  async function phoneTaken(tenantId: string, phone: string, trx: Db, exceptId?: string): Promise<void> {
    const q = Contact.of(tenantId, trx).where('phone', phone).select('id')
    if (exceptId) q.whereNot('id', exceptId)
    const other = await q.first()
    if (other) throw new AppError(409, 'contact_phone_taken', `Another contact already has ${phone}`, { field: 'phone', contactId: other.id })
  }

  /** The last consent recorded for each phone (it outlives deleted contacts). */
  async function lastConsent(tenantId: string, phones: string[], trx?: Db): Promise<Map<string, { status: ConsentStatus; at: Date }>> {
    const out = new Map<string, { status: ConsentStatus; at: Date }>()
    if (!phones.length) return out
    const rows = await (trx ?? db)('contact_consent_events')
      .distinctOn('phone')
      .select('phone', 'status', 'created_at')
      .where('tenant_id', tenantId)
      .whereIn('phone', phones)
      .orderBy([{ column: 'phone' }, { column: 'id', order: 'desc' }])
    for (const r of rows) out.set(r.phone, { status: r.status, at: r.created_at })
    return out
  }

  async function recordConsent(trx: Db, tenantId: string, contact: Contact, status: ConsentStatus, source: ConsentSource, detail: string | null, actor: Actor): Promise<void> {
    const at = now()
    await ContactConsentEvent.of(tenantId, trx).insert({
      id: newId(), contact_id: contact.id, phone: contact.phone, status, source, detail: detail?.slice(0, 255) ?? null, actor_id: actor?.userId ?? null, created_at: at,
    } as any)
    await Contact.of(tenantId, trx).findById(contact.id).patch({ opted_out: status === 'opted_out', opted_out_at: status === 'opted_out' ? at : null, updated_at: at } as any)
    await ctx.events.publish(`contacts.contact.${status === 'opted_out' ? 'opted_out' : 'opted_in'}`, { tenantId, contactId: contact.id, phone: contact.phone, source }, { trx: trx as Knex.Transaction })
  }

  const api = {
    region,
    parsePhone,
    attributeDefs,
    labelsById,
    find,
    views,

    async view(tenantId: string, id: string, trx?: Db): Promise<ContactView> {
      return (await views(tenantId, [await find(tenantId, id, trx)], trx))[0]
    },

    async create(tenantId: string, input: ContactInput, actor: Actor): Promise<ContactView> {
      const reg = await region(tenantId)
      const phone = parsePhone(input.phone, reg)
      const name = parseName(input.name)
      const email = parseEmail(input.email)
      try {
        return await db.transaction(async (trx) => {
          const attributes = mergeAttributes(await attributeDefs(tenantId, trx), input.attributes, {})
          await assertLabels(tenantId, input.labelIds ?? [], trx)
          await phoneTaken(tenantId, phone, trx)
          const at = now()
          const prior = (await lastConsent(tenantId, [phone], trx)).get(phone)
          const id = newId()
          await Contact.of(tenantId, trx).insert({
            id, name, phone, email, attributes,
            opted_out: prior?.status === 'opted_out', opted_out_at: prior?.status === 'opted_out' ? prior.at : null,
            created_at: at, updated_at: at,
          } as any)
          const row = await find(tenantId, id, trx)
          if (input.labelIds?.length) await trx('contact_label_links').insert(input.labelIds.map((label_id) => ({ tenant_id: tenantId, contact_id: id, label_id })))
          if (input.optedOut !== undefined && input.optedOut !== row.opted_out) {
            await recordConsent(trx, tenantId, row, input.optedOut ? 'opted_out' : 'opted_in', 'api', 'set when the contact was created', actor)
          }
          await ctx.events.publish('contacts.contact.created', { tenantId, contactId: id, phone }, { trx })
          return api.view(tenantId, id, trx)
        })
      } catch (err) {
        if (isUniqueViolation(err)) throw new AppError(409, 'contact_phone_taken', `Another contact already has ${phone}`, { field: 'phone' })
        throw err
      }
    },

    async update(tenantId: string, id: string, patch: ContactPatch, actor: Actor): Promise<ContactView> {
      const reg = await region(tenantId)
      const phone = patch.phone !== undefined ? parsePhone(patch.phone, reg) : undefined
      const name = patch.name !== undefined ? parseName(patch.name) : undefined
      const email = patch.email !== undefined ? parseEmail(patch.email) : undefined
      try {
        return await db.transaction(async (trx) => {
          const current = await find(tenantId, id, trx, true)
          const changes: Record<string, unknown> = { updated_at: now() }
          if (phone !== undefined && phone !== current.phone) {
            await phoneTaken(tenantId, phone, trx, id)
            changes.phone = phone
          }
          if (name !== undefined) changes.name = name
          if (email !== undefined) changes.email = email
          if (patch.attributes !== undefined) changes.attributes = mergeAttributes(await attributeDefs(tenantId, trx), patch.attributes, current.attributes ?? {})
          if (patch.labelIds !== undefined) {
            await assertLabels(tenantId, patch.labelIds, trx)
            await ContactLabelLink.of(tenantId, trx).where('contact_id', id).delete()
            if (patch.labelIds.length) await trx('contact_label_links').insert(patch.labelIds.map((label_id) => ({ tenant_id: tenantId, contact_id: id, label_id })))
          }
          await Contact.of(tenantId, trx).findById(id).patch(changes as any)
          if (patch.optedOut !== undefined && patch.optedOut !== current.opted_out) {
            await recordConsent(trx, tenantId, { ...current, ...changes } as Contact, patch.optedOut ? 'opted_out' : 'opted_in', 'api', null, actor)
          }
          await ctx.events.publish('contacts.contact.updated', { tenantId, contactId: id }, { trx })
          return api.view(tenantId, id, trx)
        })
      } catch (err) {
        if (isUniqueViolation(err)) throw new AppError(409, 'contact_phone_taken', `Another contact already has ${phone}`, { field: 'phone' })
        throw err
      }
    },

    async remove(tenantId: string, id: string): Promise<Contact> {
      return db.transaction(async (trx) => {
        const row = await find(tenantId, id, trx, true)
        await ContactLabelLink.of(tenantId, trx).where('contact_id', id).delete()
        await ContactNote.of(tenantId, trx).where('contact_id', id).delete()
        await Contact.of(tenantId, trx).findById(id).delete()
        await ctx.events.publish('contacts.contact.deleted', { tenantId, contactId: id, phone: row.phone }, { trx })
        return row
      })
    },

    async setConsent(tenantId: string, id: string, status: ConsentStatus, source: ConsentSource, detail: string | null, actor: Actor): Promise<ContactView> {
      return db.transaction(async (trx) => {
        const row = await find(tenantId, id, trx, true)
        if (row.opted_out !== (status === 'opted_out')) await recordConsent(trx, tenantId, row, status, source, detail, actor)
        return api.view(tenantId, id, trx)
      })
    },

    async addLabels(tenantId: string, id: string, labelIds: string[]): Promise<ContactView> {
      return db.transaction(async (trx) => {
        await find(tenantId, id, trx, true) // locked: a delete running now cannot leave these links behind
        await assertLabels(tenantId, labelIds, trx)
        await trx('contact_label_links').insert(labelIds.map((label_id) => ({ tenant_id: tenantId, contact_id: id, label_id }))).onConflict(['tenant_id', 'contact_id', 'label_id']).ignore()
        await Contact.of(tenantId, trx).findById(id).patch({ updated_at: now() } as any)
        await ctx.events.publish('contacts.contact.updated', { tenantId, contactId: id }, { trx })
        return api.view(tenantId, id, trx)
      })
    },

    async removeLabel(tenantId: string, id: string, labelId: string): Promise<ContactView> {
      return db.transaction(async (trx) => {
        await find(tenantId, id, trx)
        const removed = affected(await ContactLabelLink.of(tenantId, trx).where({ contact_id: id, label_id: labelId }).delete())
        if (!removed) throw new AppError(404, 'label_not_on_contact', 'The contact does not have this label')
        await Contact.of(tenantId, trx).findById(id).patch({ updated_at: now() } as any)
        await ctx.events.publish('contacts.contact.updated', { tenantId, contactId: id }, { trx })
        return api.view(tenantId, id, trx)
      })
    },

    /**
     * `fromId` folds into `intoId`: labels and notes and consent history move over, attributes and
     * name/email fill what `into` lacks, an opt-out on either side wins, the earliest creation and latest
     * contact times are kept. `fromId` is deleted (its phone stays as an alias of `into`).
     */
    async merge(tenantId: string, intoId: string, fromId: string, actor: Actor): Promise<ContactView> {
      if (intoId === fromId) throw new AppError(400, 'merge_same_contact', 'A contact cannot be merged into itself', { field: 'fromId' })
      return db.transaction(async (trx) => {
        const into = await find(tenantId, intoId, trx, true)
        const from = await find(tenantId, fromId, trx, true)
        const at = now()
        await trx.raw(
          `insert into contact_label_links (tenant_id, contact_id, label_id)
           select tenant_id, ?, label_id from contact_label_links where tenant_id = ? and contact_id = ?
           on conflict do nothing`,
          [intoId, tenantId, fromId],
        )
        await ContactNote.of(tenantId, trx).where('contact_id', fromId).patch({ contact_id: intoId } as any)
        await ContactConsentEvent.of(tenantId, trx).where('contact_id', fromId).patch({ contact_id: intoId } as any)
        const earliest = (a: Date | null, b: Date | null) => (!a ? b : !b ? a : a < b ? a : b)
        const latest = (a: Date | null, b: Date | null) => (!a ? b : !b ? a : a > b ? a : b)
        await Contact.of(tenantId, trx).findById(intoId).patch({
          name: into.name ?? from.name,
          email: into.email ?? from.email,
          attributes: { ...(from.attributes ?? {}), ...(into.attributes ?? {}) },
          last_contacted_at: latest(into.last_contacted_at, from.last_contacted_at),
          created_at: earliest(into.created_at, from.created_at),
          updated_at: at,
        } as any)
        // Merges that pointed at `from` now point at `into`, so every old phone still leads somewhere.
        await ContactMerge.of(tenantId, trx).where('into_id', fromId).patch({ into_id: intoId } as any)
        await ContactMerge.of(tenantId, trx).insert({ id: newId(), from_id: fromId, into_id: intoId, from_phone: from.phone, actor_id: actor?.userId ?? null, created_at: at } as any)
        await ContactLabelLink.of(tenantId, trx).where('contact_id', fromId).delete()
        await Contact.of(tenantId, trx).findById(fromId).delete()
        if (from.opted_out && !into.opted_out) {
          await recordConsent(trx, tenantId, into, 'opted_out', 'merge', `opted out as ${from.phone} (merged contact ${fromId})`, actor)
        }
        await ctx.events.publish('contacts.contact.merged', { tenantId, fromId, intoId }, { trx })
        return api.view(tenantId, intoId, trx)
      })
    },

    /**
     * Find by phone (any format; a merged-away phone leads to the contact it was merged into) or
     * create. `name` only fills an empty name. A phone whose last recorded consent is an opt-out is
     * created opted out.
     */
    async upsertByPhone(tenantId: string, phoneInput: string, fields: { name?: string | null } = {}): Promise<Contact> {
      const phone = parsePhone(phoneInput, await region(tenantId))
      const name = typeof fields.name === 'string' ? fields.name.trim().slice(0, MAX_NAME) || null : null
      const fill = async (row: Contact) => {
        if (!name || row.name) return row
        const [patched] = (await db('contacts').where({ tenant_id: tenantId, id: row.id }).whereNull('name').update({ name, updated_at: now() }).returning('*')) as Contact[]
        return patched ? (Contact.fromJson(patched, { skipValidation: true }) as Contact) : row
      }
      const existing = await Contact.of(tenantId).where('phone', phone).first()
      if (existing) return fill(existing)
      const alias = await ContactMerge.of(tenantId).where('from_phone', phone).orderBy('id', 'desc').first()
      if (alias) {
        const into = await Contact.of(tenantId).findById(alias.into_id)
        if (into) return fill(into)
      }
      const at = now()
      const prior = (await lastConsent(tenantId, [phone])).get(phone)
      const id = newId()
      const [inserted] = (await db('contacts')
        .insert({
          tenant_id: tenantId, id, name, phone, email: null, attributes: '{}',
          opted_out: prior?.status === 'opted_out', opted_out_at: prior?.status === 'opted_out' ? prior.at : null,
          created_at: at, updated_at: at,
        })
        .onConflict(['tenant_id', 'phone'])
        .ignore()
        .returning('*')) as Contact[]
      if (inserted) {
        await ctx.events.publish('contacts.contact.created', { tenantId, contactId: id, phone })
        return Contact.fromJson(inserted, { skipValidation: true }) as Contact
      }
      // Someone created it at the same moment.
      return fill((await Contact.of(tenantId).where('phone', phone).first())!)
    },

    /** An inbound message: the sender exists, was contacted now, and opt-out/in keywords apply. */
    async inbound(tenantId: string, message: { from: string; fromName?: string | null; text?: string | null; messageId?: string; at: Date }, keyword: { optOut: string | null; optIn: string | null }): Promise<Contact> {
      const contact = await api.upsertByPhone(tenantId, message.from, { name: message.fromName })
      await db.transaction(async (trx) => {
        await trx('contacts')
          .where({ tenant_id: tenantId, id: contact.id })
          .update({ last_contacted_at: trx.raw('greatest(coalesce(last_contacted_at, ?), ?)', [message.at, message.at]) })
        const row = await find(tenantId, contact.id, trx, true)
        const detail = (word: string) => `keyword "${word}"${message.messageId ? ` in message ${message.messageId}` : ''}`
        if (keyword.optOut && !row.opted_out) await recordConsent(trx, tenantId, row, 'opted_out', 'keyword', detail(keyword.optOut), null)
        else if (keyword.optIn && row.opted_out) await recordConsent(trx, tenantId, row, 'opted_in', 'keyword', detail(keyword.optIn), null)
      })
      return contact
    },

    /**
     * A contacts query with the list filters applied (no order, no limit). Wrapped in an object:
     * a query builder is a thenable, and returning it from an async function would run it.
     */
    async query(tenantId: string, filters: ListQuery, trx?: Db) {
      const reg = await region(tenantId)
      const qb = Contact.of(tenantId, trx)
      if (filters.q) applySearch(qb as unknown as Knex.QueryBuilder, filters.q, reg)
      if (filters.labelId) {
        qb.whereExists(labelLinks(db, [filters.labelId]))
      }
      if (filters.optedOut !== undefined) qb.where('contacts.opted_out', filters.optedOut)
      if (filters.segment) {
        applySegment(qb as unknown as Knex.QueryBuilder, filters.segment, { knex: db, now: now(), region: reg, attributes: await attributeDefs(tenantId, trx) })
      }
      return { qb }
    },

    /** A page of contacts. `plain` skips building model instances (exports: plain rows are enough and much cheaper). */
    async list(
      tenantId: string,
      filters: ListQuery,
      page: { after?: string; limit: number; order?: 'asc' | 'desc'; plain?: boolean; sort?: ContactSort; afterKey?: SortAfter },
    ): Promise<Contact[]> {
      // Name or last contacted: keyset on (key, id), see sort.ts: the rows with a key, then (when
      // they run out within the page) the ones without. Otherwise by id (newest first by default).
      const sort = page.sort
      if (sort && sort !== 'created') {
        // The filters are built once (they read the tenant's region and fields); each part is a copy.
        const { qb: filtered } = await api.query(tenantId, filters)
        const part = async (which: 'keyed' | 'unkeyed', limit: number): Promise<Contact[]> => {
          const qb = filtered.clone()
          applySort(qb as unknown as Knex.QueryBuilder, sort, page.afterKey, which)
          return qb.limit(limit)
        }
        const keyed = page.afterKey?.key === null ? [] : await part('keyed', page.limit)
        return keyed.length < page.limit ? [...keyed, ...(await part('unkeyed', page.limit - keyed.length))] : keyed
      }
      const { qb } = await api.query(tenantId, filters)
      qb.limit(page.limit)
      const order = page.order ?? 'desc'
      const after = page.after ?? page.afterKey?.id
      qb.orderBy('contacts.id', order)
      if (after) qb.where('contacts.id', order === 'desc' ? '<' : '>', after)
      if (page.plain) return (await qb.toKnexQuery()) as unknown as Contact[]
      return qb
    },

    async count(tenantId: string, filters: ListQuery): Promise<number> {
      const { qb } = await api.query(tenantId, filters)
      const [row] = (await qb.count('* as count')) as unknown as { count: number | string }[]
      return Number(row.count)
    },
  }
  return api
}

export type Contacts = ReturnType<typeof createContacts>
