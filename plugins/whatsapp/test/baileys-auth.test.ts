import t from 'tap'
import { BufferJSON, Curve, initAuthCreds, proto, signedKeyPair } from '@whiskeysockets/baileys'
import { useSealedAuthState } from '../server/drivers/baileys/auth-store.ts'
import { MemoryStateStore } from './support/baileys-fake-socket.ts'

const json = (value: unknown) => JSON.stringify(value, BufferJSON.replacer)

t.test('creds: a real Baileys creds object survives store → load byte-identical', async (t) => {
  const store = new MemoryStateStore()
  const first = await useSealedAuthState(store)
  t.equal(store.data.size, 0, 'nothing written before the first save')
  const creds = first.state.creds
  t.ok(creds.noiseKey && creds.signedIdentityKey && creds.advSecretKey, 'fresh creds from initAuthCreds')

  // What a paired device's creds look like: me, account (protobuf with bytes), identities, routing info.
  Object.assign(creds, {
    me: { id: '6281234567890:7@s.whatsapp.net', name: 'Toko Sapa', lid: '99887766554433:7@lid' },
    account: proto.ADVSignedDeviceIdentity.fromObject({ details: Buffer.from('details'), accountSignatureKey: Buffer.alloc(32, 1), accountSignature: Buffer.alloc(64, 2), deviceSignature: Buffer.alloc(64, 3) }),
    signalIdentities: [{ identifier: { name: '6281234567890:7@s.whatsapp.net', deviceId: 0 }, identifierKey: Buffer.alloc(33, 5) }],
    platform: 'smba',
    routingInfo: Buffer.from([8, 8, 8, 2]),
    myAppStateKeyId: 'AAAAAF1p',
    nextPreKeyId: 31,
    firstUnuploadedPreKeyId: 31,
    registered: true,
  })
  await first.saveCreds()
  const text = store.data.get('creds')!
  t.match(text, /"type":"Buffer","data":"/, 'Buffers written the BufferJSON way (base64)')

  const second = await useSealedAuthState(store)
  t.not(second.state.creds, creds)
  t.equal(json(second.state.creds), json(creds), 'identical after a round trip')
  t.ok(Buffer.isBuffer(second.state.creds.noiseKey.private), 'key material comes back as Buffers')
  t.same(Buffer.from(second.state.creds.signedPreKey.signature), Buffer.from(creds.signedPreKey.signature))
  t.same(Buffer.from(second.state.creds.routingInfo!), Buffer.from([8, 8, 8, 2]))
  t.equal(second.state.creds.me?.id, '6281234567890:7@s.whatsapp.net')

  // And against a plain initAuthCreds() + Baileys' own serialisation.
  const reference = initAuthCreds()
  const viaBaileys = JSON.parse(JSON.stringify(reference, BufferJSON.replacer), BufferJSON.reviver)
  const store2 = new MemoryStateStore()
  const a = await useSealedAuthState(store2)
  Object.assign(a.state.creds, viaBaileys)
  await a.saveCreds()
  t.equal(json((await useSealedAuthState(store2)).state.creds), json(reference))
})

t.test('keys: several types, revived, batched, deleted with null', async (t) => {
  const store = new MemoryStateStore()
  const { state } = await useSealedAuthState(store)
  const preKey = Curve.generateKeyPair()
  const identity = Curve.generateKeyPair()
  const signed = signedKeyPair(identity, 7)
  const session = new Uint8Array([1, 2, 3, 250])
  const appKey = proto.Message.AppStateSyncKeyData.fromObject({
    keyData: Buffer.alloc(32, 9),
    fingerprint: { rawId: 4, currentIndex: 1, deviceIndexes: [0, 1] },
    timestamp: 1_767_600_000,
  })
  const setsBefore = store.sets
  await state.keys.set({
    'pre-key': { '1': preKey, '2': signed.keyPair },
    session: { '6281234567890.0': session },
    'sender-key-memory': { '120363000000000000@g.us': { '6281234567890:7@s.whatsapp.net': true } },
    'app-state-sync-key': { AAAAAF1p: appKey },
    'lid-mapping': { '6281234567890': '99887766554433', '99887766554433_reverse': '6281234567890' },
    'device-list': { '6281234567890': ['0', '7'] },
  })
  t.equal(store.sets - setsBefore, 1, 'one store write for the whole batch')
  t.ok(store.data.has('key:pre-key:1') && store.data.has('key:session:6281234567890.0') && store.data.has('key:app-state-sync-key:AAAAAF1p'))

  // A new instance has an empty cache: everything comes from the store.
  const fresh = (await useSealedAuthState(store)).state.keys
  const preKeys = await fresh.get('pre-key', ['1', '2', '3'])
  t.same(Object.keys(preKeys).sort(), ['1', '2'], 'missing ids are left out')
  t.same(Buffer.from(preKeys['1']!.private), Buffer.from(preKey.private))
  t.same(Buffer.from(preKeys['2']!.public), Buffer.from(signed.keyPair.public))
  t.same(Buffer.from((await fresh.get('session', ['6281234567890.0']))['6281234567890.0']!), Buffer.from(session))
  t.same((await fresh.get('sender-key-memory', ['120363000000000000@g.us']))['120363000000000000@g.us'], { '6281234567890:7@s.whatsapp.net': true })
  t.same(await fresh.get('lid-mapping', ['6281234567890', '99887766554433_reverse']), { '6281234567890': '99887766554433', '99887766554433_reverse': '6281234567890' })
  t.same((await fresh.get('device-list', ['6281234567890']))['6281234567890'], ['0', '7'])

  const revived = (await fresh.get('app-state-sync-key', ['AAAAAF1p'])).AAAAAF1p!
  t.ok(revived instanceof proto.Message.AppStateSyncKeyData, 'app-state-sync-key revived as the protobuf class')
  t.same(Buffer.from(revived.keyData!), Buffer.alloc(32, 9))
  t.equal(Number(revived.timestamp), 1_767_600_000)
  t.equal(revived.fingerprint?.rawId, 4)
  t.same(
    proto.Message.AppStateSyncKeyData.encode(revived).finish(),
    proto.Message.AppStateSyncKeyData.encode(appKey).finish(),
    'encodes to the same bytes',
  )

  await state.keys.set({ 'pre-key': { '1': null }, session: { '6281234567890.0': null } })
  t.notOk(store.data.has('key:pre-key:1'), 'null deletes from the store')
  t.notOk(store.data.has('key:session:6281234567890.0'))
  t.ok(store.data.has('key:pre-key:2'))
  const after = (await useSealedAuthState(store)).state.keys
  t.same(Object.keys(await after.get('pre-key', ['1', '2'])), ['2'])
  t.notOk((await state.keys.get('pre-key', ['1']))['1'], 'the cached instance no longer returns it either')
})

t.test('clear forgets everything and writes nothing afterwards', async (t) => {
  const store = new MemoryStateStore()
  const auth = await useSealedAuthState(store)
  await auth.saveCreds()
  await auth.state.keys.set({ 'pre-key': { '5': Curve.generateKeyPair() } })
  await store.set({ 'lid:1@lid': '+628111' })
  await auth.clear()
  t.equal(store.data.size, 0)
  await auth.saveCreds()
  await auth.state.keys.set({ 'pre-key': { '6': Curve.generateKeyPair() } })
  t.equal(store.data.size, 0, 'a dying socket cannot write the creds back')
  t.same(await auth.state.keys.get('pre-key', ['5']), {}, 'cache dropped too')
  const next = await useSealedAuthState(store)
  t.notOk(next.state.creds.me, 'next load starts a fresh registration')
})

t.test('writes land in order', async (t) => {
  const store = new MemoryStateStore()
  const slow = Object.assign(Object.create(store) as MemoryStateStore, {
    async set(entries: Record<string, string | null>) {
      await new Promise((resolve) => setTimeout(resolve, entries.creds ? 20 : 1))
      return store.set(entries)
    },
    get: store.get.bind(store),
    getMany: store.getMany.bind(store),
    clear: store.clear.bind(store),
  })
  const auth = await useSealedAuthState(slow)
  auth.state.creds.nextPreKeyId = 1
  const a = auth.saveCreds()
  auth.state.creds.nextPreKeyId = 2
  const b = auth.saveCreds()
  const c = auth.clear()
  await Promise.all([a, b, c])
  t.equal(store.data.size, 0, 'the clear came last even though the creds writes were slow')
})
