import t from 'tap'
import path from 'node:path'
import { writeFileSync } from 'node:fs'
import { createTestKernel } from '../../kernel/testing/harness.ts'
import { hashDir } from '../../kernel/plugins/staging.ts'
import { PLUGIN_CODE_CHANNEL } from '../../kernel/plugins/sync.ts'
import { defaultSource, writePlugin } from './fixtures.ts'

/**
 * One node's half of plugin code sync (the two-process test in test/multi-node has both): what
 * this node does is announced on the fan-out, what another node announces is done here — from the
 * same folder, and only if the code there is the code announced.
 */
t.test('changes made here are announced; changes announced by another node are done here', async (t) => {
  const h = await createTestKernel(t)
  const tenant = await h.createTenant('sync')
  const operator = await h.login(tenant, 'super_admin', { isOperator: true })
  const { fanout, plugins } = h.services
  const heard: any[] = []
  const off = fanout.subscribe(PLUGIN_CODE_CHANNEL, (m) => heard.push(m))
  t.teardown(off)
  await fanout.ready()
  const next = async (count: number) => {
    for (let i = 0; i < 200 && heard.length < count; i++) await new Promise((r) => setTimeout(r, 10))
    return heard[count - 1]
  }
  const writeVersion = (dir: string, version: string) => {
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'synced', version, type: 'module', sapa: { kernel: '^1' } }))
    writeFileSync(path.join(dir, 'plugin.ts'), defaultSource('synced', version, []))
  }
  const info = async () => {
    const res = await operator.inject({ method: 'GET', url: '/api/synced/info' })
    return res.statusCode === 200 ? res.json().version : res.statusCode
  }

  // Here: install, reload, remove through the API are announced with the folder and its hash.
  const dir = writePlugin({ name: 'synced', version: '1.0.0' })
  t.equal((await operator.inject({ method: 'POST', url: '/api/plugins/install', payload: { dir } })).statusCode, 201)
  const installed = await next(1)
  t.match(installed, { action: 'install', name: 'synced', dir, hash: hashDir(dir) }, 'install announced with the folder and its hash')
  t.type(installed.origin, 'string')
  writeVersion(dir, '2.0.0')
  t.equal((await operator.inject({ method: 'POST', url: '/api/plugins/synced/reload' })).statusCode, 200)
  t.match(await next(2), { action: 'install', name: 'synced', dir, hash: hashDir(dir) }, 'a reload is the same news: this code, from this folder')
  t.equal(await info(), '2.0.0')

  // Another node's news: a newer version in the same folder is installed here.
  writeVersion(dir, '3.0.0')
  await fanout.publish(PLUGIN_CODE_CHANNEL, { origin: 'other-node', action: 'install', name: 'synced', dir, hash: hashDir(dir) })
  for (let i = 0; i < 200 && (await info()) !== '3.0.0'; i++) await new Promise((r) => setTimeout(r, 10))
  t.equal(await info(), '3.0.0', "another node's install runs here")
  t.equal(heard.length, 3, 'and is not announced again (only its own message was heard)')

  // News whose code is not what this node sees in the folder (or no folder at all): nothing changes.
  t.equal(await plugins.applyRemote({ action: 'install', name: 'synced', dir, hash: 'not-this-code' }), 'code_differs')
  t.equal(await plugins.applyRemote({ action: 'install', name: 'synced', dir: path.join(dir, 'nowhere'), hash: 'f'.repeat(16) }), 'code_differs')
  t.equal(await plugins.applyRemote({ action: 'install', name: 'synced', dir, hash: hashDir(dir) }), 'unchanged', 'the code it runs already')
  t.equal(await info(), '3.0.0', 'still serving what it ran')

  // Another node removed it: gone here too; a second remove is nothing.
  await fanout.publish(PLUGIN_CODE_CHANNEL, { origin: 'other-node', action: 'remove', name: 'synced' })
  for (let i = 0; i < 200 && plugins.get('synced'); i++) await new Promise((r) => setTimeout(r, 10))
  t.notOk(plugins.get('synced'), "another node's remove runs here")
  t.equal(await info(), 404, JSON.stringify((await operator.inject({ method: 'GET', url: '/api/synced/info' })).json()))
  t.equal(await plugins.applyRemote({ action: 'remove', name: 'synced' }), 'unchanged')

  // Malformed news and this node's own echo are ignored.
  await fanout.publish(PLUGIN_CODE_CHANNEL, { origin: 'other-node', action: 'explode', name: 'synced' })
  await fanout.publish(PLUGIN_CODE_CHANNEL, { action: 'install' })
  await new Promise((r) => setTimeout(r, 100))
  t.notOk(plugins.get('synced'))
})
