import t from 'tap'
import { BufferJSON, proto } from '@whiskeysockets/baileys'
import { DriverError, type OutboundMessage } from '../server/drivers/port.ts'
import { FAST, MemoryStateStore, boom, settle, setupDriver, waMessage, FakeClock } from './support/baileys-fake-socket.ts'

const ME = '6281234567890:7@s.whatsapp.net'
const CUSTOMER = '+6285712345678'
const CUSTOMER_JID = '6285712345678@s.whatsapp.net'

async function connected(options: Parameters<typeof setupDriver>[0] = {}) {
  const env = setupDriver({ config: FAST, ...options })
  await env.driver.connect()
  await settle()
  env.factory.last.open(ME)
  await settle()
  return env
}

const text = (id: string, body = 'Halo kak', to = CUSTOMER): OutboundMessage => ({ id, to, type: 'text', text: body })

async function rejection(promise: Promise<unknown>): Promise<DriverError> {
  try {
    await promise
  } catch (err) {
    if (err instanceof DriverError) return err
    throw err
  }
  throw new Error('expected a DriverError')
}

t.test('connection', async (t) => {
  t.test('QR flow: connecting → qr (refreshed) → connected with the own number', async (t) => {
    const { driver, factory, names, statuses, store } = setupDriver()
    await driver.connect()
    t.equal(factory.sockets.length, 1)
    const config = factory.last.config
    t.equal(config.markOnlineOnConnect, false, 'does not mark the account online (phone keeps notifications)')
    t.equal(config.syncFullHistory, false)
    t.ok(config.auth.creds.noiseKey, 'fresh creds for a new number')
    await settle()
    factory.last.emitQr('2@first-qr')
    factory.last.emitQr('2@second-qr')
    t.same(
      statuses.filter((s) => s.status === 'qr').map((s) => s.detail?.qr),
      ['2@first-qr', '2@second-qr'],
      'each refreshed QR is reported',
    )
    factory.last.open(ME)
    await settle()
    t.same(statuses.at(-1), { status: 'connected', detail: { phone: '+6281234567890' } })
    t.same(names(), ['connecting', 'qr', 'qr', 'connected'])
    const saved = JSON.parse(store.data.get('creds')!, BufferJSON.reviver)
    t.equal(saved.me.id, ME, 'creds saved through the state store on creds.update')
    t.ok(Buffer.isBuffer(saved.noiseKey.private))
    t.same(driver.diagnostics().phone, '+6281234567890')
  })

  t.test('pairing code instead of QR', async (t) => {
    const { driver, factory, statuses, names } = setupDriver()
    await driver.connect({ pairingPhone: '+62 812-3456-7890' })
    await settle()
    factory.last.emitQr('ref-1')
    await settle()
    factory.last.emitQr('ref-2')
    await settle()
    t.same(factory.last.callsOf('requestPairingCode').map((c) => c.args), [['6281234567890']], 'requested once per socket, digits only')
    t.same(statuses.at(-1), { status: 'pairing_code', detail: { pairingCode: 'ABCD1234' } })
    t.notOk(names().includes('qr'), 'no QR shown while pairing by code')
    factory.last.open('6281234567890:3@s.whatsapp.net')
    await settle()
    t.same(statuses.at(-1), { status: 'connected', detail: { phone: '+6281234567890' } })
  })

  t.test('an invalid pairing phone is refused', async (t) => {
    const { driver, factory } = setupDriver()
    const err = await rejection(driver.connect({ pairingPhone: 'call me' }))
    t.equal(err.code, 'invalid_pairing_phone')
    t.equal(factory.sockets.length, 0)
  })

  t.test('an unfinished pairing code does not leave a half-registered device behind', async (t) => {
    const { driver, factory, clock } = setupDriver()
    await driver.connect({ pairingPhone: '6281234567890' })
    await settle()
    factory.last.emitQr('ref')
    await settle()
    t.equal(factory.last.config.auth.creds.me?.id, '6281234567890@s.whatsapp.net', 'Baileys put a provisional me in the creds')
    await factory.last.close(408, 'QR refs attempts ended')
    await clock.advance(1000)
    t.equal(factory.sockets.length, 2)
    t.equal(factory.last.config.auth.creds.me, undefined, 'the next socket registers afresh instead of logging in as an unlinked device')
  })

  t.test('logged out (401): state cleared, logged_out, no reconnect', async (t) => {
    const { driver, factory, clock, store, statuses } = await connected()
    t.ok(store.data.has('creds'))
    await factory.last.close(401, 'Connection Failure')
    await settle()
    t.equal(store.data.size, 0, 'auth state cleared')
    t.same(statuses.at(-1), { status: 'logged_out' })
    await clock.advance(10 * 60_000)
    t.equal(factory.sockets.length, 1, 'no reconnect')
    t.equal(driver.diagnostics().phase, 'stopped')
  })

  t.test('408 and other closes: reconnecting with exponential backoff, capped, reset after open', async (t) => {
    const { driver, factory, clock, statuses } = await connected()
    const delays: number[] = []
    for (let i = 0; i < 8; i++) {
      await factory.last.close(i % 2 ? 503 : 408)
      await settle()
      t.equal(statuses.at(-1)?.status, 'reconnecting')
      const before = factory.sockets.length
      const delay = clock.pending().find((ms) => ms > 0)!
      delays.push(delay)
      await clock.advance(delay - 1)
      t.equal(factory.sockets.length, before, 'not before the delay')
      await clock.advance(1)
      t.equal(factory.sockets.length, before + 1, 'a new socket once the delay passed')
    }
    t.same(delays, [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000])
    factory.last.open(ME)
    await settle()
    t.equal(driver.diagnostics().reconnectAttempt, 0)
    await factory.last.close(428)
    await settle()
    t.equal(clock.pending()[0], 1000, 'backoff starts over after a successful open')
  })

  t.test('backoff has ±20 % jitter', async (t) => {
    for (const [random, expected] of [
      [0, 800],
      [1, 1200],
    ] as const) {
      const { factory, clock } = await connected({ random: () => random })
      await factory.last.close(408)
      await settle()
      t.equal(clock.pending()[0], expected)
    }
  })

  t.test('restart required (515): reconnects at once', async (t) => {
    const { driver, factory, statuses } = setupDriver()
    await driver.connect()
    await settle()
    factory.last.emitQr('qr')
    await factory.last.close(515, 'Stream Errored (restart required)')
    await settle()
    t.equal(factory.sockets.length, 2, 'new socket without waiting')
    t.equal(statuses.at(-1)?.status, 'connecting')
    factory.last.open(ME)
    await settle()
    t.equal(statuses.at(-1)?.status, 'connected')
  })

  t.test('connection replaced (440): failed, no loop', async (t) => {
    const { factory, clock, statuses } = await connected()
    await factory.last.close(440, 'Stream Errored (conflict)')
    await settle()
    t.equal(statuses.at(-1)?.status, 'failed')
    t.match(statuses.at(-1)?.detail?.error, /another WhatsApp Web session/)
    await clock.advance(10 * 60_000)
    t.equal(factory.sockets.length, 1)
  })

  t.test('disconnect keeps the credentials; connect resumes without a QR', async (t) => {
    const store = new MemoryStateStore()
    const clock = new FakeClock()
    const { driver, factory, statuses, names } = setupDriver({ config: FAST, store, clock, behaviour: { auto: true } })
    await driver.connect()
    await settle()
    t.equal(statuses.at(-1)?.status, 'qr', 'a new number shows a QR')
    factory.last.open(ME)
    await settle()
    const first = factory.last
    const noiseKey = Buffer.from(first.config.auth.creds.noiseKey.private)

    await driver.disconnect()
    t.same(statuses.at(-1), { status: 'disconnected' })
    t.ok(first.closed, 'socket closed')
    t.ok(store.data.has('creds'), 'credentials kept')
    await clock.advance(10 * 60_000)
    t.equal(factory.sockets.length, 1, 'no reconnect after disconnect')

    const before = statuses.length
    await driver.connect()
    await settle()
    const second = factory.last
    t.not(second, first)
    t.not(second.config.auth.creds, first.config.auth.creds, 'creds re-read from the store')
    t.equal(second.config.auth.creds.me?.id, ME)
    t.ok(second.config.auth.creds.account, 'paired creds: Baileys logs in instead of registering')
    t.same(Buffer.from(second.config.auth.creds.noiseKey.private), noiseKey)
    t.same(names().slice(before), ['connecting', 'connected'], 'no QR the second time')
  })

  t.test('logout when connected: sock.logout(), state cleared, logged_out', async (t) => {
    const { driver, factory, store, statuses, clock } = await connected()
    await driver.logout()
    t.equal(factory.last.callsOf('logout').length, 1)
    t.equal(store.data.size, 0)
    t.same(statuses.at(-1), { status: 'logged_out' })
    t.equal(statuses.filter((s) => s.status === 'logged_out').length, 1, 'reported once')
    await clock.advance(10 * 60_000)
    t.equal(factory.sockets.length, 1)
  })

  t.test('logout when not connected clears state without calling WhatsApp', async (t) => {
    const { driver, factory, store, statuses } = setupDriver()
    await driver.connect()
    await settle()
    await store.set({ 'key:pre-key:1': '{}' })
    await driver.logout()
    t.equal(factory.last.callsOf('logout').length, 0)
    t.equal(store.data.size, 0)
    t.equal(statuses.at(-1)?.status, 'logged_out')
  })

  t.test('health monitor: stuck connecting → torn down and reconnected with backoff', async (t) => {
    const { driver, factory, clock, statuses } = setupDriver({ config: { connectingTimeoutMs: 60_000 } })
    await driver.connect()
    await clock.advance(59_999)
    t.equal(factory.sockets.length, 1)
    t.notOk(factory.last.closed)
    await clock.advance(1)
    t.ok(factory.sockets[0]!.closed, 'stuck socket ended')
    t.equal(statuses.at(-1)?.status, 'reconnecting')
    t.match(statuses.at(-1)?.detail?.error, /still connecting/)
    await clock.advance(1000)
    t.equal(factory.sockets.length, 2, 'reconnected after the first backoff step')
    await clock.advance(60_000)
    t.equal(factory.sockets.length, 2)
    await clock.advance(2000)
    t.equal(factory.sockets.length, 3, 'second stuck socket: backoff grew to 2 s')
  })

  t.test('health monitor leaves a number showing a QR alone', async (t) => {
    const { driver, factory, clock } = setupDriver()
    await driver.connect()
    await settle()
    factory.last.emitQr('qr')
    await clock.advance(120_000)
    t.equal(factory.sockets.length, 1)
    t.notOk(factory.last.closed)
  })

  t.test('pairing gives up after the configured QR rounds', async (t) => {
    const { driver, factory, clock, statuses } = setupDriver({ config: { pairingRounds: 2 } })
    await driver.connect()
    await settle()
    factory.last.emitQr('qr-a')
    await factory.last.close(408, 'QR refs attempts ended')
    await clock.advance(1000)
    await settle()
    factory.last.emitQr('qr-b')
    await factory.last.close(408, 'QR refs attempts ended')
    await settle()
    t.equal(statuses.at(-1)?.status, 'disconnected')
    t.match(statuses.at(-1)?.detail?.error, /Pairing timed out/)
    await clock.advance(10 * 60_000)
    t.equal(factory.sockets.length, 2)
  })

  t.test('connect → disconnect → connect while the state loads opens one socket', async (t) => {
    const { driver, factory, names } = setupDriver()
    const first = driver.connect()
    const stop = driver.disconnect()
    const second = driver.connect()
    await Promise.all([first, stop, second])
    await settle()
    t.equal(factory.sockets.length, 1)
    t.same(names(), ['connecting', 'disconnected', 'connecting'])
    await driver.connect()
    t.equal(factory.sockets.length, 1, 'connect while running is a no-op')
  })

  t.test('events of an old socket are ignored', async (t) => {
    const { factory, clock, statuses } = await connected()
    const old = factory.last
    await old.close(408)
    await clock.advance(1000)
    const count = statuses.length
    old.emit('connection.update', { connection: 'open' })
    old.emitQr('stale')
    await settle()
    t.equal(statuses.length, count)
  })
})

t.test('circuit breaker around sends', async (t) => {
  let fail = true
  const { driver, factory, clock } = await connected({
    config: { ...FAST, circuitBreaker: { failureThreshold: 5, cooldownMs: 30_000 } },
    behaviour: {
      send: async (jid, _content, options) => {
        if (fail) throw boom('Internal Server Error', 500)
        return { key: { remoteJid: jid, fromMe: true, id: options?.messageId } }
      },
    },
  })
  for (let i = 0; i < 5; i++) {
    const err = await rejection(driver.send(text(`m${i}`)))
    t.equal(err.code, 'send_failed')
    t.equal(err.retryable, true)
  }
  t.equal(driver.diagnostics().circuit, 'open')
  await clock.advance(10_000)
  const open = await rejection(driver.send(text('m5')))
  t.equal(open.code, 'circuit_open')
  t.equal(open.retryable, true)
  t.equal(open.retryAfterMs, 20_000, 'the rest of the cool-down')
  t.equal(factory.last.callsOf('sendMessage').length, 5, 'failed fast: WhatsApp not touched')

  await clock.advance(20_000)
  t.equal(driver.diagnostics().circuit, 'half_open')
  const trial = await rejection(driver.send(text('m6')))
  t.equal(trial.code, 'send_failed', 'the trial went through and failed')
  t.equal(driver.diagnostics().circuit, 'open', 'a failed trial opens it again')
  t.equal((await rejection(driver.send(text('m7')))).retryAfterMs, 30_000, 'a fresh cool-down')

  await clock.advance(30_000)
  fail = false
  t.ok((await driver.send(text('m8'))).providerId, 'trial succeeds')
  t.equal(driver.diagnostics().circuit, 'closed')
  t.ok((await driver.send(text('m9'))).providerId)
  t.equal(driver.diagnostics().consecutiveFailures, 0)
})

t.test('inbound messages', async (t) => {
  const media = new Map<string, Buffer>([['IMG1', Buffer.from('jpeg bytes')]])
  const downloads: string[] = []
  const { factory, inbound } = await connected({
    deps: {
      downloadMedia: async (message) => {
        downloads.push(message.key.id!)
        return media.get(message.key.id!) ?? Buffer.from('bytes')
      },
    },
  })
  const upsert = async (messages: ReturnType<typeof waMessage>[], type: 'notify' | 'append' = 'notify') => {
    factory.last.emit('messages.upsert', { messages, type })
    await settle()
  }
  const from = CUSTOMER_JID

  await upsert([waMessage({ id: 'T1', from, message: { conversation: 'Halo' }, pushName: 'Budi', t: 1_767_600_000 })])
  t.match(inbound.at(-1), { providerId: 'T1', from: CUSTOMER, fromName: 'Budi', type: 'text', text: 'Halo' })
  t.same(inbound.at(-1)!.timestamp, new Date(1_767_600_000_000))
  t.notOk(inbound.at(-1)!.fromLid)

  await upsert([waMessage({ id: 'T2', from, message: { extendedTextMessage: { text: 'Yang ini', contextInfo: { stanzaId: 'OUT1', participant: ME } } } })], 'append')
  t.match(inbound.at(-1), { providerId: 'T2', type: 'text', text: 'Yang ini', replyTo: 'OUT1' }, "'append' upserts count, replies carry replyTo")

  await upsert([waMessage({ id: 'IMG1', from, message: { imageMessage: { mimetype: 'image/jpeg', caption: 'Foto', fileLength: 10, url: 'https://mmg', mediaKey: Buffer.alloc(32) } } })])
  const image = inbound.at(-1)!
  t.match(image, { providerId: 'IMG1', type: 'image', media: { mime: 'image/jpeg', caption: 'Foto', size: 10 } })
  t.same(await image.media!.download(), Buffer.from('jpeg bytes'))
  t.same(downloads, ['IMG1'], 'downloaded only when asked')

  await upsert([
    waMessage({ id: 'DOC1', from, message: { documentWithCaptionMessage: { message: { documentMessage: { mimetype: 'application/pdf', fileName: 'invoice.pdf', caption: 'Invoice', fileLength: 2048 } } } } }),
    waMessage({ id: 'AUD1', from, message: { audioMessage: { mimetype: 'audio/ogg; codecs=opus', ptt: true, fileLength: 5 } } }),
    waMessage({ id: 'VID1', from, message: { ephemeralMessage: { message: { videoMessage: { mimetype: 'video/mp4', caption: 'clip', contextInfo: { stanzaId: 'OUT2' } } } } } }),
    waMessage({ id: 'STK1', from, message: { stickerMessage: { mimetype: 'image/webp' } } }),
  ])
  t.match(inbound.at(-4), { providerId: 'DOC1', type: 'document', media: { mime: 'application/pdf', filename: 'invoice.pdf', caption: 'Invoice', size: 2048 } })
  t.match(inbound.at(-3), { providerId: 'AUD1', type: 'audio', media: { mime: 'audio/ogg; codecs=opus' } })
  t.match(inbound.at(-2), { providerId: 'VID1', type: 'video', media: { mime: 'video/mp4', caption: 'clip' }, replyTo: 'OUT2' })
  t.match(inbound.at(-1), { providerId: 'STK1', type: 'sticker', media: { mime: 'image/webp' } })
  t.ok(Buffer.isBuffer(await inbound.at(-1)!.media!.download()))

  await upsert([
    waMessage({ id: 'LOC1', from, message: { locationMessage: { degreesLatitude: -6.2, degreesLongitude: 106.8, name: 'Monas', address: 'Jakarta' } } }),
    waMessage({ id: 'REA1', from, message: { reactionMessage: { key: { id: 'OUT1', remoteJid: from, fromMe: true }, text: '👍' } } }),
    waMessage({ id: 'CON1', from, message: { contactMessage: { displayName: 'Ani', vcard: 'BEGIN:VCARD\nFN:Ani\nEND:VCARD' } } }),
    waMessage({ id: 'CON2', from, message: { contactsArrayMessage: { contacts: [{ vcard: 'BEGIN:VCARD\nFN:A\nEND:VCARD' }, { vcard: 'BEGIN:VCARD\nFN:B\nEND:VCARD' }] } } }),
  ])
  t.match(inbound.at(-4), { providerId: 'LOC1', type: 'location', location: { latitude: -6.2, longitude: 106.8, name: 'Monas', address: 'Jakarta' } })
  t.match(inbound.at(-3), { providerId: 'REA1', type: 'reaction', reaction: { providerId: 'OUT1', emoji: '👍' } })
  t.match(inbound.at(-2), { providerId: 'CON1', type: 'contacts', contacts: ['BEGIN:VCARD\nFN:Ani\nEND:VCARD'] })
  t.same(inbound.at(-1)!.contacts, ['BEGIN:VCARD\nFN:A\nEND:VCARD', 'BEGIN:VCARD\nFN:B\nEND:VCARD'])

  const count = inbound.length
  await upsert([
    waMessage({ id: 'MINE', from, fromMe: true, message: { conversation: 'sent from the phone' } }),
    waMessage({ id: 'STATUS', from: 'status@broadcast', message: { conversation: 'story' } }),
    waMessage({ id: 'GROUP', from: '120363000000000000@g.us', message: { conversation: 'group chat' } }),
    waMessage({ id: 'NEWS', from: '120363111111111111@newsletter', message: { conversation: 'channel' } }),
    waMessage({ id: 'PROTO', from, message: { protocolMessage: { type: proto.Message.ProtocolMessage.Type.REVOKE, key: { id: 'T1' } } } }),
    waMessage({ id: 'EDIT', from, message: { editedMessage: { message: { protocolMessage: { type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT, key: { id: 'T1' }, editedMessage: { conversation: 'Halo!' } } } } } }),
  ])
  t.equal(inbound.length, count, 'own messages, status broadcasts, groups, channels, deletes and edits are not reported')

  await upsert([waMessage({ id: 'POLL', from, message: { pollCreationMessageV3: { name: 'Pilih', options: [{ optionName: 'A' }] } } })])
  t.match(inbound.at(-1), { providerId: 'POLL', type: 'unknown' }, 'other messages people send arrive as unknown')

  await upsert([waMessage({ id: 'T1', from, message: { conversation: 'Halo' } })])
  t.equal(inbound.at(-1)!.providerId, 'T1', 'a redelivered message carries the same providerId (the pipeline dedups on it)')
})

t.test('LID ↔ phone mapping', async (t) => {
  const LID = '123456789012345@lid'
  const store = new MemoryStateStore()
  const { factory, inbound } = await connected({ store })
  const upsert = async (message: ReturnType<typeof waMessage>) => {
    factory.last.emit('messages.upsert', { messages: [message], type: 'notify' })
    await settle()
  }

  await upsert(waMessage({ id: 'L0', from: LID, message: { conversation: 'before any mapping' } }))
  t.match(inbound.at(-1), { from: LID, fromLid: LID }, 'unknown LID: the LID is all there is')

  factory.last.emit('lid-mapping.update', { lid: LID, pn: CUSTOMER_JID })
  await settle()
  t.equal(store.data.get(`lid:${LID}`), CUSTOMER, 'mapping kept in the state store')
  await upsert(waMessage({ id: 'L1', from: `123456789012345:3@lid`, message: { conversation: 'via LID' }, pushName: 'Budi' }))
  t.match(inbound.at(-1), { providerId: 'L1', from: CUSTOMER, fromLid: LID, fromName: 'Budi' }, 'the phone in from, the LID alongside')

  await upsert(waMessage({ id: 'P1', from: CUSTOMER_JID, alt: LID, message: { conversation: 'via phone' } }))
  t.match(inbound.at(-1), { from: CUSTOMER, fromLid: LID }, 'same person either way')

  // The message key itself reveals the phone (remoteJidAlt), as rc14 decodes LID-addressed stanzas.
  const LID2 = '222222222222222@lid'
  await upsert(waMessage({ id: 'L2', from: LID2, alt: '6289900011122@s.whatsapp.net', message: { conversation: 'alt' } }))
  t.match(inbound.at(-1), { from: '+6289900011122', fromLid: LID2 })
  await upsert(waMessage({ id: 'L3', from: LID2, message: { conversation: 'later, no alt' } }))
  t.match(inbound.at(-1), { from: '+6289900011122', fromLid: LID2 })

  // Contacts carry the pair as well.
  factory.last.emit('contacts.upsert', [{ id: '333333333333333@lid', phoneNumber: '6281100000003@s.whatsapp.net', notify: 'C' }])
  factory.last.emit('contacts.update', [{ id: '6281100000004@s.whatsapp.net', lid: '444444444444444@lid' }])
  factory.last.emit('messaging-history.set', { chats: [], contacts: [], messages: [], lidPnMappings: [{ lid: '555555555555555@lid', pn: '6281100000005@s.whatsapp.net' }] })
  await settle()
  t.equal(store.data.get('lid:333333333333333@lid'), '+6281100000003')
  t.equal(store.data.get('lid:444444444444444@lid'), '+6281100000004')
  t.equal(store.data.get('lid:555555555555555@lid'), '+6281100000005')

  t.test('known after a restart (from the store) and from Baileys’ own LID store', async (t) => {
    const again = await connected({ store, behaviour: { lidStore: { '666666666666666@lid': '6281100000006:2@s.whatsapp.net' } } })
    again.factory.last.emit('messages.upsert', {
      type: 'notify',
      messages: [
        waMessage({ id: 'R1', from: LID, message: { conversation: 'after restart' } }),
        waMessage({ id: 'R2', from: '666666666666666@lid', message: { conversation: 'baileys knew' } }),
      ],
    })
    await settle()
    t.match(again.inbound[0], { from: CUSTOMER, fromLid: LID })
    t.match(again.inbound[1], { from: '+6281100000006', fromLid: '666666666666666@lid' })
    t.equal(store.data.get('lid:666666666666666@lid'), '+6281100000006')
  })
})

t.test('status updates', async (t) => {
  const { factory, acks, clock } = await connected()
  const S = proto.WebMessageInfo.Status
  const key = (id: string, fromMe = true) => ({ remoteJid: CUSTOMER_JID, id, fromMe })
  factory.last.emit('messages.update', [
    { key: key('A'), update: { status: S.SERVER_ACK } },
    { key: key('A'), update: { status: S.DELIVERY_ACK, messageTimestamp: 1_767_600_100 } },
    { key: key('A'), update: { status: S.READ, messageTimestamp: 1_767_600_200 } },
    { key: key('B'), update: { status: S.PLAYED } },
    { key: key('C'), update: { status: S.ERROR, messageStubParameters: ['463', 'Your account has been restricted'] } },
    { key: key('D'), update: { status: S.PENDING } },
    { key: key('E', false), update: { status: S.READ } },
    { key: key('F'), update: { starred: true } },
  ])
  await settle()
  t.same(
    acks.map((a) => [a.providerId, a.status]),
    [
      ['A', 'sent'],
      ['A', 'delivered'],
      ['A', 'read'],
      ['B', 'read'],
      ['C', 'failed'],
    ],
  )
  t.same(acks[0]!.at, clock.now())
  t.same(acks[1]!.at, new Date(1_767_600_100_000), 'receipt time when WhatsApp gives one')
  t.match(acks[4]!.error, /463: Your account has been restricted/)

  factory.last.emit('message-receipt.update', [
    { key: key('G'), receipt: { userJid: CUSTOMER_JID, receiptTimestamp: 1_767_600_300 } },
    { key: key('G'), receipt: { userJid: CUSTOMER_JID, readTimestamp: 1_767_600_400 } },
  ])
  await settle()
  t.same(acks.slice(-2), [
    { providerId: 'G', status: 'delivered', at: new Date(1_767_600_300_000) },
    { providerId: 'G', status: 'read', at: new Date(1_767_600_400_000) },
  ])
})

t.test('send', async (t) => {
  t.test('each type becomes the right Baileys content', async (t) => {
    const { driver, factory } = await connected()
    const pdf = Buffer.from('%PDF-1.7')
    const jpg = Buffer.from([0xff, 0xd8, 0xff])
    const results = [
      await driver.send(text('t1', 'Halo')),
      await driver.send({ id: 'i1', to: CUSTOMER, type: 'image', media: { data: jpg, mime: 'image/jpeg', caption: 'Promo' } }),
      await driver.send({ id: 'd1', to: CUSTOMER, type: 'document', media: { data: pdf, mime: 'application/pdf', filename: 'invoice.pdf', caption: 'Tagihan' } }),
      await driver.send({ id: 'a1', to: CUSTOMER, type: 'audio', media: { data: Buffer.from('OggS'), mime: 'audio/ogg' } }),
      await driver.send({ id: 'a2', to: CUSTOMER, type: 'audio', media: { data: Buffer.from('ID3'), mime: 'audio/mpeg' } }),
      await driver.send({ id: 'v1', to: CUSTOMER, type: 'video', media: { data: Buffer.from('mp4'), mime: 'video/mp4' } }),
      await driver.send({ id: 'l1', to: CUSTOMER, type: 'location', location: { latitude: -6.2, longitude: 106.8, name: 'Monas' } }),
    ]
    const calls = factory.last.callsOf('sendMessage')
    t.same(
      calls.map((c) => c.args[0]),
      Array(7).fill(CUSTOMER_JID),
      'JID from E.164',
    )
    t.same(calls[0]!.args[1], { text: 'Halo' })
    t.same(calls[1]!.args[1], { image: jpg, mimetype: 'image/jpeg', caption: 'Promo' })
    t.same(calls[2]!.args[1], { document: pdf, mimetype: 'application/pdf', fileName: 'invoice.pdf', caption: 'Tagihan' })
    t.same(calls[3]!.args[1], { audio: Buffer.from('OggS'), mimetype: 'audio/ogg', ptt: true }, 'ogg goes as a voice note')
    t.same(calls[4]!.args[1], { audio: Buffer.from('ID3'), mimetype: 'audio/mpeg', ptt: false })
    t.same(calls[5]!.args[1], { video: Buffer.from('mp4'), mimetype: 'video/mp4' })
    t.same(calls[6]!.args[1], { location: { degreesLatitude: -6.2, degreesLongitude: 106.8, name: 'Monas' } })
    for (const [i, r] of results.entries()) {
      t.equal(r.providerId, (calls[i]!.args[2] as { messageId: string }).messageId, 'providerId is sent.key.id')
      t.match(r.providerId, /^3EB0[0-9A-F]{18}$/)
    }
    await driver.send(text('t1', 'Halo'))
    t.equal((factory.last.callsOf('sendMessage').at(-1)!.args[2] as { messageId: string }).messageId, results[0]!.providerId, 'a retry of the same message keeps its WhatsApp id')
  })

  t.test('replies and reactions use the recent message keys', async (t) => {
    const { driver, factory } = await connected()
    const inboundKey = { remoteJid: '123456789012345@lid', fromMe: false, id: 'IN1' }
    factory.last.emit('messages.upsert', { type: 'notify', messages: [waMessage({ id: 'IN1', from: '123456789012345@lid', message: { conversation: 'Ada stok?' } })] })
    await settle()

    await driver.send({ ...text('r1', 'Ada kak'), replyTo: 'IN1' })
    const reply = factory.last.callsOf('sendMessage').at(-1)!
    t.match(reply.args[2], { quoted: { key: inboundKey, message: { conversation: 'Ada stok?' } } })

    await driver.send({ id: 'x1', to: CUSTOMER, type: 'reaction', reaction: { providerId: 'IN1', emoji: '❤️' } })
    t.match(factory.last.callsOf('sendMessage').at(-1)!.args[1], { react: { text: '❤️', key: inboundKey } })

    const sent = await driver.send(text('o1', 'Promo'))
    await driver.send({ id: 'x2', to: CUSTOMER, type: 'reaction', reaction: { providerId: sent.providerId, emoji: '' } })
    t.match(factory.last.callsOf('sendMessage').at(-1)!.args[1], { react: { text: '', key: { id: sent.providerId, fromMe: true } } }, 'our own sent messages are remembered too')

    await driver.send({ id: 'x3', to: CUSTOMER, type: 'reaction', reaction: { providerId: 'UNKNOWN', emoji: '👍' } })
    t.same(factory.last.callsOf('sendMessage').at(-1)!.args[1], { react: { text: '👍', key: { remoteJid: CUSTOMER_JID, id: 'UNKNOWN', fromMe: false } } }, 'unknown target: assumed to be their message in this chat')

    await driver.send({ ...text('r2', 'Hm'), replyTo: 'UNKNOWN' })
    t.notOk((factory.last.callsOf('sendMessage').at(-1)!.args[2] as { quoted?: unknown }).quoted, 'unknown reply target: sent without the quote')
  })

  t.test('errors', async (t) => {
    const offline = setupDriver({ config: FAST })
    let err = await rejection(offline.driver.send(text('n1')))
    t.match(err, { code: 'not_connected', retryable: true })

    let behaviour: 'ok' | 'timeout' | 'closed' | 'hang' | 'bad' = 'ok'
    const { driver, factory, clock } = await connected({
      config: { ...FAST, verifyRecipients: true, sendTimeoutMs: 30_000 },
      behaviour: {
        onWhatsApp: async (jids) => (jids[0]!.startsWith('6285700000000') ? [] : jids.map((jid) => ({ jid, exists: true }))),
        send: async (jid, _c, options) => {
          if (behaviour === 'timeout') throw boom('Timed Out', 408)
          if (behaviour === 'closed') throw boom('Connection Closed', 428)
          if (behaviour === 'bad') throw boom('bad-request', 400)
          if (behaviour === 'hang') return new Promise(() => {})
          return { key: { remoteJid: jid, fromMe: true, id: options?.messageId } }
        },
      },
    })
    err = await rejection(driver.send(text('e1', 'x', '0812345')))
    t.match(err, { code: 'invalid_recipient', retryable: false })
    err = await rejection(driver.send({ id: 'e2', to: CUSTOMER, type: 'template', template: { name: 'promo', language: 'id' } }))
    t.match(err, { code: 'unsupported', retryable: false })
    err = await rejection(driver.send({ id: 'e3', to: CUSTOMER, type: 'image' }))
    t.match(err, { code: 'invalid_message', retryable: false })

    err = await rejection(driver.send(text('e4', 'x', '+6285700000000')))
    t.match(err, { code: 'not_on_whatsapp', retryable: false })
    err = await rejection(driver.send(text('e5', 'x', '+6285700000000')))
    t.match(err, { code: 'not_on_whatsapp' })
    t.equal(factory.last.callsOf('onWhatsApp').length, 1, 'the answer is cached')
    await driver.send(text('e6'))
    await driver.send(text('e7'))
    t.equal(factory.last.callsOf('onWhatsApp').length, 2, 'known recipients are checked once')
    t.equal(driver.diagnostics().consecutiveFailures, 0, 'recipient problems do not count against the number')

    behaviour = 'timeout'
    t.match(await rejection(driver.send(text('e8'))), { code: 'timeout', retryable: true })
    behaviour = 'closed'
    t.match(await rejection(driver.send(text('e9'))), { code: 'not_connected', retryable: true })
    behaviour = 'bad'
    t.match(await rejection(driver.send(text('e10'))), { code: 'rejected', retryable: false })
    behaviour = 'hang'
    const hanging = rejection(driver.send(text('e11')))
    await clock.advance(30_000)
    t.match(await hanging, { code: 'timeout', retryable: true }, 'our own timeout when WhatsApp never answers')

    await factory.last.close(408)
    await settle()
    t.match(await rejection(driver.send(text('e12'))), { code: 'not_connected', retryable: true })
  })
})

t.test('anti-ban pacing', async (t) => {
  t.test('random gap between sends, typing before text', async (t) => {
    const { driver, factory, clock } = await connected({
      config: { verifyRecipients: false, pacing: { minGapMs: 1000, maxGapMs: 3000, typing: true, typingMsPerChar: 40, typingMaxMs: 4000 } },
      random: () => 0.5,
    })
    const start = clock.t
    const first = driver.send(text('p1', 'x'.repeat(50)))
    const second = driver.send({ id: 'p2', to: CUSTOMER, type: 'location', location: { latitude: 1, longitude: 2 } })
    await clock.advance(10_000)
    await Promise.all([first, second])
    const s = factory.last
    const presence = s.callsOf('sendPresenceUpdate')
    t.same(
      presence.map((c) => [c.args[0], c.args[1], c.at - start]),
      [
        ['composing', CUSTOMER_JID, 0],
        ['paused', CUSTOMER_JID, 2000],
      ],
      'typing for 50 chars × 40 ms',
    )
    const sends = s.callsOf('sendMessage').map((c) => c.at - start)
    t.same(sends, [2000, 4000], 'text after typing; next send a 2 s gap (1–3 s, random 0.5) after the first finished typing')
  })

  t.test('typing is capped and can be switched off', async (t) => {
    const env = await connected({ config: { verifyRecipients: false, pacing: { minGapMs: 0, maxGapMs: 0, typingMaxMs: 3000 } } })
    const p = env.driver.send(text('q1', 'y'.repeat(1000)))
    await env.clock.advance(5000)
    await p
    const presence = env.factory.last.callsOf('sendPresenceUpdate')
    t.equal(presence[1]!.at - presence[0]!.at, 3000)

    const off = await connected({ config: { ...FAST } })
    await off.driver.send(text('q2', 'hello'))
    t.equal(off.factory.last.callsOf('sendPresenceUpdate').length, 0)
  })

  t.test('per-minute cap: fails fast with retryAfterMs, frees when the window moves', async (t) => {
    const { driver, clock, factory } = await connected({ config: { ...FAST, pacing: { ...FAST.pacing, perMinute: 3 } } })
    for (let i = 0; i < 3; i++) await driver.send(text(`c${i}`))
    await clock.advance(15_000)
    const err = await rejection(driver.send(text('c3')))
    t.match(err, { code: 'pacing_cap', retryable: true })
    t.equal(err.retryAfterMs, 45_000)
    t.equal(factory.last.callsOf('sendMessage').length, 3)
    t.equal(driver.diagnostics().consecutiveFailures, 0, 'a pacing refusal is not a failure of the number')
    await clock.advance(45_000)
    t.ok(await driver.send(text('c3')))
  })

  t.test('per-day cap, remembered across a restart', async (t) => {
    const store = new MemoryStateStore()
    const clock = new FakeClock()
    const config = { ...FAST, pacing: { ...FAST.pacing, perDay: 2 } }
    const first = await connected({ config, store, clock })
    await first.driver.send(text('d1'))
    await first.driver.send(text('d2'))
    const err = await rejection(first.driver.send(text('d3')))
    t.match(err, { code: 'pacing_cap', retryable: true })
    t.ok(err.retryAfterMs! > 23 * 3_600_000 && err.retryAfterMs! <= 24 * 3_600_000, 'until the day window frees')
    await clock.advance(5000)
    t.ok(store.data.get('pacing:day'), 'day window persisted')

    const second = await connected({ config, store, clock })
    t.match(await rejection(second.driver.send(text('d3'))), { code: 'pacing_cap' }, 'a new driver (restart, failover) keeps counting')
    await clock.advance(24 * 3_600_000)
    t.ok(await second.driver.send(text('d3')))
  })

  t.test('a long queue is refused instead of blocking the caller', async (t) => {
    const { driver, clock } = await connected({ config: { verifyRecipients: false, pacing: { minGapMs: 3000, maxGapMs: 3000, maxQueueMs: 7000, typing: false } } })
    const a = driver.send(text('b1'))
    const b = driver.send(text('b2'))
    const c = driver.send(text('b3'))
    const d = rejection(driver.send(text('b4')))
    const err = await d
    t.match(err, { code: 'pacing_busy', retryable: true })
    t.equal(err.retryAfterMs, 2000, 'its slot would be at 9 s; 7 s of queue allowed')
    await clock.advance(10_000)
    await Promise.all([a, b, c])
  })
})
