// npm run bench -- inbox [--conversations=N] [--messages-per=N] [--noise-tenants=N] [--noise-conversations=N] [--seconds=N] [--rate=N] [--parts=sequential,load,import] [--profile=<dir>]
//
// The inbox at size: one tenant with 100k conversations and 1M thread items (10 teams, 50 agents),
// plus ten noise tenants, bulk-inserted with SQL. Then, through the HTTP routes with real agent
// sessions (a load generator in its own process, 50 connections, each request as one of the 50 agents):
//   a. the conversation list (first page, and filtered by status)      goal p99 < 50 ms
//   b. a thread page of a conversation the agent may see              goal p99 < 30 ms
//   c. search (common, mid, rare words, an order number, two words)   goal p99 < 200 ms
// each at a paced rate (the 50 agents together, --rate req/s: what 50 working agents generate) and
// flat out (closed loop: the latency the machine gives at its throughput limit).
// Real Postgres when TEST_DATABASE_URL is set (the goals are about it), PGlite otherwise.
import path from 'node:path'
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { performance } from 'node:perf_hooks'
import { createTestKernel, type TestSession } from '../../kernel/testing/harness.ts'
import { fmt, percentile, table } from './report.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const PLUGINS = ['whatsapp', 'contacts', 'inbox'].map((p) => path.join(ROOT, 'plugins', p))

function option(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`))
  const value = Number(arg?.split('=')[1])
  return Number.isFinite(value) && value > 0 ? value : fallback
}
const CONVERSATIONS = option('conversations', 100_000)
const MESSAGES_PER = option('messages-per', 10)
const NOISE_TENANTS = option('noise-tenants', 10)
const NOISE_CONVERSATIONS = option('noise-conversations', 10_000)
const SECONDS = option('seconds', 10)
const RATE = option('rate', 100)
const PARTS = new Set((process.argv.find((a) => a.startsWith('--parts='))?.split('=')[1] ?? 'sequential,load,import').split(','))
const PROFILE = process.argv.find((a) => a.startsWith('--profile='))?.split('=')[1]
const TEAMS = 10
const AGENTS_PER_TEAM = 5
const CONNECTIONS = 50
const VOCABULARY = 3000

// The load generator runs in its own process, so it does not share the server's event loop. Requests
// come in on stdin, the result goes out on stdout. Two modes:
// - closed loop: autocannon, 50 connections, each sends its next request when the last one answered;
// - paced: an open model at a steady rate (one request every 1000/rate ms over 50 keep-alive sockets),
//   so latency is measured without the generator's own bursts (autocannon's overallRate fires each
//   second's quota at once).
const CANNON = `
const autocannon = require(process.argv[1])
const http = require('node:http')
let input = ''
process.stdin.on('data', (d) => (input += d))
process.stdin.on('end', () => {
  const { url, requests, connections, duration, overallRate } = JSON.parse(input)
  let i = 0
  if (!overallRate) {
    autocannon({
      url, connections, duration,
      requests: [{ setupRequest: (req) => { const r = requests[i++ % requests.length]; return { ...req, method: 'GET', path: r.path, headers: { ...req.headers, cookie: r.cookie } } } }],
    }, (err, res) => process.stdout.write(JSON.stringify(err ? { error: String(err) } : {
      p50: res.latency.p50, p90: res.latency.p90, p99: res.latency.p99, max: res.latency.max, rps: res.requests.average, total: res.requests.total, non2xx: res.non2xx, errors: res.errors, timeouts: res.timeouts,
    })))
    return
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections })
  const { hostname, port } = new URL(url)
  const total = Math.round(overallRate * duration)
  const latencies = []
  let non2xx = 0, errors = 0, done = 0
  const started = performance.now()
  const finish = () => {
    latencies.sort((a, b) => a - b)
    const p = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]
    process.stdout.write(JSON.stringify({ p50: p(0.5), p90: p(0.9), p99: p(0.99), max: latencies[latencies.length - 1], rps: done / ((performance.now() - started) / 1000), total: done, non2xx, errors, timeouts: 0 }))
    agent.destroy()
  }
  const fire = (r) => {
    const t0 = performance.now()
    const req = http.request({ agent, hostname, port, path: r.path, method: 'GET', headers: { cookie: r.cookie } }, (res) => {
      res.resume()
      res.on('end', () => {
        latencies.push(performance.now() - t0)
        if (res.statusCode < 200 || res.statusCode > 299) non2xx++
        if (++done === total) finish()
      })
    })
    req.on('error', () => { errors++; if (++done === total) finish() })
    req.end()
  }
  const tick = () => {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * overallRate) + 1)
    while (i < due) fire(requests[i++ % requests.length])
    if (i < total) setTimeout(tick, 1)
  }
  tick()
})
`

interface CannonResult {
  p50: number
  p90: number
  p99: number
  max: number
  rps: number
  total: number
  non2xx: number
  errors: number
  timeouts: number
  error?: string
}

function cannon(url: string, requests: { path: string; cookie: string }[], opts: { overallRate?: number }): Promise<CannonResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', CANNON, path.join(ROOT, 'node_modules/autocannon')], { stdio: ['pipe', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.on('error', reject)
    child.on('exit', () => {
      try {
        const m = JSON.parse(out) as CannonResult
        if (m.error) reject(new Error(m.error))
        else resolve(m)
      } catch (err) {
        reject(err)
      }
    })
    child.stdin.end(JSON.stringify({ url, requests, connections: CONNECTIONS, duration: SECONDS, overallRate: opts.overallRate }))
  })
}

/** CPU seconds used so far by this process and by every postgres process (Linux /proc; zeros elsewhere). */
function cpuSeconds(): { server: number; postgres: number } {
  if (!existsSync('/proc/self/stat')) return { server: 0, postgres: 0 }
  const ticks = (stat: string) => {
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100 // utime + stime, USER_HZ = 100
  }
  let postgres = 0
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      if (stat.includes('(postgres)')) postgres += ticks(stat)
    } catch {
      // gone meanwhile
    }
  }
  return { server: ticks(readFileSync('/proc/self/stat', 'utf8')), postgres }
}

const shuffle = <T>(a: T[]): T[] => {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[a[i], a[j]] = [a[j], a[i]]
  }
  return a
}

export async function run(): Promise<void> {
  await conversations()
  // The import goal is part of this area: a 100k-row XLSX into contacts (its own kernel).
  if (PARTS.has('import')) {
    console.log()
    await (await import('./contacts-import.ts')).run()
  }
}

async function conversations(): Promise<void> {
  if (!PARTS.has('sequential') && !PARTS.has('load')) return
  const cleanups: (() => unknown)[] = []
  const t = { teardown: (fn: () => unknown) => cleanups.push(fn) }
  const dbKind = process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite'
  console.log(`inbox bench — database: ${dbKind}, redis: ${process.env.TEST_REDIS_URL ? 'yes' : 'no'}, node ${process.version}`)
  console.log(`data: ${CONVERSATIONS.toLocaleString()} conversations × ${MESSAGES_PER} items in the measured tenant; ${NOISE_TENANTS} noise tenants × ${NOISE_CONVERSATIONS.toLocaleString()} conversations × 5 items\n`)

  const h = await createTestKernel(t, { plugins: PLUGINS, config: { loginRateLimit: { max: 1_000_000, windowMs: 60_000 } } })
  const db = h.services.db
  try {
    const tenant = await h.createTenant('inbox-bench')
    const admin = await h.login(tenant, 'admin')
    const lead = await h.login(tenant, 'team_lead')

    // ---- teams and agents, through the API ----
    const agents: { session: TestSession; teamId: string }[] = []
    const teamIds: string[] = []
    for (let i = 0; i < TEAMS; i++) {
      const team = (await admin.inject({ method: 'POST', url: '/api/inbox/teams', payload: { name: `Team ${i + 1}` } })).json()
      teamIds.push(team.id)
      for (let j = 0; j < AGENTS_PER_TEAM; j++) {
        const session = await h.login(tenant, 'agent')
        const added = await admin.inject({ method: 'POST', url: `/api/inbox/teams/${team.id}/members`, payload: { userId: session.user.id } })
        if (added.statusCode !== 201) throw new Error(added.body)
        agents.push({ session, teamId: team.id })
      }
    }

    // ---- bulk data, in SQL ----
    let started = performance.now()
    await db.raw(`create or replace function bench_uuid7(ts timestamptz) returns uuid language sql volatile as $$
      select (lpad(to_hex(floor(extract(epoch from ts) * 1000)::bigint), 12, '0') || '7' || substr(md5(random()::text), 1, 3)
        || to_hex(8 + floor(random() * 4)::int) || substr(md5(random()::text), 1, 15))::uuid $$`)
    await db.raw(`create table if not exists bench_words as select g as i, 'w' || g || substr(md5(g::text), 1, 3) as word from generate_series(0, ${VOCABULARY - 1}) g`)
    // The GIN index is built once after the load (much faster than maintained row by row).
    await db.raw('drop index if exists inbox_messages_search')

    async function fill(tenantId: string, conversations: number, perConversation: number, teams: string[], members: string[][], seed: number) {
      await db.raw(
        `insert into contacts (tenant_id, id, name, phone, attributes, opted_out, created_at, updated_at)
         select ?, bench_uuid7(now() - interval '100 days' + g * interval '1 second'), 'Customer ' || g, '+6281' || lpad((? + g)::text, 9, '0'), '{}', false, now(), now()
         from generate_series(1, ?) g`,
        [tenantId, seed, conversations],
      )
      await db.raw(
        `insert into inbox_conversations (tenant_id, id, session_id, contact_id, peer, contact_name, contact_phone, status, priority, assignee_id, team_id, labels, version,
           inbound_seq, last_message, last_message_at, opened_at, created_at, updated_at)
         select tenant_id, bench_uuid7(created), ?::uuid, id, phone, name, phone, status, 0,
           case when random() < 0.7 and cardinality(?::uuid[]) > 0 then (((?::text[])[team_no])::uuid[])[1 + floor(random() * ${AGENTS_PER_TEAM})::int] else null end,
           case when cardinality(?::uuid[]) > 0 then (?::uuid[])[team_no] else null end,
           case when random() < 0.1 then array['vip'] else '{}'::text[] end, 1, ${Math.ceil(perConversation / 2)},
           jsonb_build_object('id', gen_random_uuid(), 'kind', 'inbound', 'type', 'text', 'text', 'hello', 'status', 'received', 'at', last_at),
           last_at, created, created, last_at
         from (select c.*, 1 + (row_number() over () % ${TEAMS})::int as team_no,
                 date_trunc('milliseconds', now() - random() * interval '90 days') as last_at,
                 now() - interval '100 days' as created,
                 (array['open','open','open','open','pending','snoozed','resolved','resolved','resolved','resolved'])[1 + floor(random() * 10)::int] as status
               from contacts c where c.tenant_id = ?) x`,
        [tenantId, teams, members.map((m) => `{${m.join(',')}}`), teams, teams, tenantId],
      )
      await db.raw(
        `with v as (select array_agg(word order by i) as w from bench_words)
         insert into inbox_messages (tenant_id, id, conversation_id, kind, type, text, status, status_rank, created_at, updated_at)
         select c.tenant_id, bench_uuid7(c.last_message_at - (${perConversation} - k) * interval '3 minutes'), c.id,
           case when k % 2 = 1 then 'inbound' else 'outbound' end, 'text',
           v.w[1 + floor(power(random(), 3) * ${VOCABULARY})::int] || ' ' || v.w[1 + floor(power(random(), 3) * ${VOCABULARY})::int]
             || ' ' || v.w[1 + floor(random() * ${VOCABULARY})::int] || ' ' || v.w[1 + floor(random() * ${VOCABULARY})::int]
             || case when random() < 0.01 then ' INV-' || lpad(floor(random() * 1000000)::text, 6, '0') else '' end,
           case when k % 2 = 1 then 'received' else 'read' end, case when k % 2 = 1 then 0 else 4 end,
           c.last_message_at, c.last_message_at
         from v, inbox_conversations c cross join generate_series(1, ${perConversation}) k
         where c.tenant_id = ?`,
        [tenantId],
      )
    }

    // Agents' ids per team, in team order (a Postgres array literal per team).
    const members = teamIds.map((id) => agents.filter((a) => a.teamId === id).map((a) => a.session.user.id))
    await fill(tenant.id, CONVERSATIONS, MESSAGES_PER, teamIds, members, 0)
    console.log(`measured tenant loaded in ${fmt((performance.now() - started) / 1000, 1)} s`)
    started = performance.now()
    for (let i = 0; i < NOISE_TENANTS; i++) {
      const noise = await h.createTenant(`noise-${i}`)
      await fill(noise.id, NOISE_CONVERSATIONS, 5, [], [], (i + 1) * 10_000_000)
    }
    console.log(`noise tenants loaded in ${fmt((performance.now() - started) / 1000, 1)} s`)
    started = performance.now()
    await db.raw(`create index inbox_messages_search on inbox_messages using gin (search_vector) where kind <> 'system'`)
    // Vacuumed and analysed now, so autovacuum does not run during the measurements.
    for (const table of ['contacts', 'inbox_conversations', 'inbox_messages']) await db.raw(`vacuum (analyze) ${table}`)
    console.log(`search index built and tables vacuumed in ${fmt((performance.now() - started) / 1000, 1)} s`)
    const counts = await db.raw(`select (select count(*) from inbox_conversations) as conversations, (select count(*) from inbox_messages) as messages,
      (select count(*) from inbox_conversations where tenant_id = ?) as tc, (select count(*) from inbox_messages where tenant_id = ?) as tm`, [tenant.id, tenant.id])
    const row = counts.rows?.[0] ?? counts[0]
    console.log(`rows: ${Number(row.tc).toLocaleString()} conversations / ${Number(row.tm).toLocaleString()} items in the tenant; ${Number(row.conversations).toLocaleString()} / ${Number(row.messages).toLocaleString()} in all\n`)

    // ---- what each agent may open ----
    const visibleOf = new Map<string, string[]>()
    for (const a of agents) {
      const ids = await db('inbox_conversations')
        .where('tenant_id', tenant.id)
        .where((q) => q.where('assignee_id', a.session.user.id).orWhere('team_id', a.teamId))
        .orderBy('last_message_at', 'desc')
        .limit(40)
        .pluck('id')
      visibleOf.set(a.session.user.id, ids)
    }
    const words = await db('bench_words').whereIn('i', [0, 3, 40, 400, 2500]).orderBy('i').pluck('word')
    const invoice = (await db('inbox_messages').where('tenant_id', tenant.id).where('text', 'like', '%INV-%').first('text')).text.match(/INV-\d+/)[0]
    const queries = [
      { label: `common word (${words[0]})`, q: words[0] },
      { label: `frequent word (${words[1]})`, q: words[1] },
      { label: `mid word (${words[2]})`, q: words[2] },
      { label: `rare word (${words[4]})`, q: words[4] },
      { label: `prefix (${words[3].slice(0, 4)})`, q: words[3].slice(0, 4) },
      { label: `two words (${words[1]} ${words[2]})`, q: `${words[1]} ${words[2]}` },
      { label: `order number (${invoice})`, q: invoice },
    ]
    const frequency = await db.raw(`select count(*) as n from inbox_messages where tenant_id = ? and search_vector @@ to_tsquery('simple', ?)`, [tenant.id, `${words[0]}:*`])
    console.log(`"${words[0]}" is in ${Number((frequency.rows?.[0] ?? frequency[0]).n).toLocaleString()} of the tenant's items\n`)

    // ---- request mixes: every request as one of the 50 agents ----
    const N = 20_000
    const listReqs = shuffle(Array.from({ length: N }, (_, i) => {
      const a = agents[i % agents.length]
      const filter = i % 4 === 0 ? '&status=open' : i % 4 === 1 ? '&assignee=me' : ''
      return { path: `/api/inbox/conversations?limit=50${filter}`, cookie: a.session.cookie }
    }))
    const threadReqs = shuffle(Array.from({ length: N }, (_, i) => {
      const a = agents[i % agents.length]
      const ids = visibleOf.get(a.session.user.id)!
      return { path: `/api/inbox/conversations/${ids[i % ids.length]}/messages?limit=50`, cookie: a.session.cookie }
    }))
    const searchReqs = shuffle(Array.from({ length: N }, (_, i) => {
      const a = agents[i % agents.length]
      return { path: `/api/inbox/search?q=${encodeURIComponent(queries[i % queries.length].q)}&limit=20`, cookie: a.session.cookie }
    }))

    const port = await h.server.listen(0, '127.0.0.1')
    const url = `http://127.0.0.1:${port}`

    // Sanity: each kind answers 200 and the agent sees only their scope.
    for (const r of [listReqs[0], threadReqs[0], searchReqs[0]]) {
      const res = await fetch(url + r.path, { headers: { cookie: r.cookie } })
      if (res.status !== 200) throw new Error(`${r.path}: ${res.status} ${await res.text()}`)
    }

    // ---- --trace: the queries behind one request of each kind, with their times ----
    if (process.argv.includes('--trace')) {
      const starts = new Map<string, number>()
      const log: string[] = []
      db.on('query', (q: any) => starts.set(q.__knexQueryUid, performance.now()))
      db.on('query-response', (_r: any, q: any) => log.push(`  ${(performance.now() - starts.get(q.__knexQueryUid)!).toFixed(2)} ms  ${q.sql.replace(/\s+/g, ' ').slice(0, 160)}`))
      for (const r of [listReqs.find((x) => x.path.endsWith('limit=50'))!, listReqs.find((x) => x.path.includes('status=open'))!, threadReqs[0], searchReqs[0]]) {
        for (let i = 0; i < 3; i++) await fetch(url + r.path, { headers: { cookie: r.cookie } }).then((x) => x.arrayBuffer())
        log.length = 0
        const t0 = performance.now()
        await fetch(url + r.path, { headers: { cookie: r.cookie } }).then((x) => x.arrayBuffer())
        console.log(`${r.path}: ${(performance.now() - t0).toFixed(2)} ms`)
        console.log(log.join('\n'))
      }
      console.log()
    }

    // ---- 1. one request at a time (service time, no queueing) ----
    async function sequential(reqs: { path: string; cookie: string }[], n: number) {
      const times: number[] = []
      for (let i = 0; i < n; i++) {
        const r = reqs[i % reqs.length]
        const start = performance.now()
        const res = await fetch(url + r.path, { headers: { cookie: r.cookie } })
        await res.arrayBuffer()
        if (i >= 20) times.push(performance.now() - start)
      }
      return times.sort((a, b) => a - b)
    }
    const seqRows: Record<string, string>[] = []
    if (PARTS.has('sequential')) {
    const viewAllReqs = listReqs.map((r) => ({ ...r, cookie: lead.cookie }))
    for (const [label, reqs] of [
      ['conversation list (agent)', listReqs],
      ['conversation list (team lead, view_all)', viewAllReqs],
      ['thread page', threadReqs],
      ['search (mix)', searchReqs],
    ] as const) {
      const times = await sequential(reqs, 420)
      seqRows.push({ route: label, 'p50 ms': fmt(percentile(times, 50)), 'p99 ms': fmt(percentile(times, 99)), 'max ms': fmt(times[times.length - 1]) })
    }
    for (const q of queries) {
      const reqs = agents.map((a) => ({ path: `/api/inbox/search?q=${encodeURIComponent(q.q)}&limit=20`, cookie: a.session.cookie }))
      const times = await sequential(reqs, 120)
      seqRows.push({ route: `search: ${q.label}`, 'p50 ms': fmt(percentile(times, 50)), 'p99 ms': fmt(percentile(times, 99)), 'max ms': fmt(times[times.length - 1]) })
    }
    console.log('1. one request at a time over HTTP (what a request costs):')
    table(seqRows)
    }

    // ---- 2. 50 agents at once ----
    const rows: Record<string, string | number>[] = []
    if (PARTS.has('load')) {
    const goals: Record<string, number> = { list: 50, thread: 30, search: 200 }
    for (const [name, reqs] of [['list', listReqs], ['thread', threadReqs], ['search', searchReqs]] as const) {
      for (const mode of ['paced', 'flat out'] as const) {
        const rate = mode === 'paced' ? (name === 'search' ? Math.round(RATE / 5) : RATE) : undefined
        const session = PROFILE ? new Session() : null
        if (session) {
          session.connect()
          await session.post('Profiler.enable')
          await session.post('Profiler.start')
        }
        const cpuBefore = cpuSeconds()
        const r = await cannon(url, reqs, { overallRate: rate })
        const cpuAfter = cpuSeconds()
        if (session) {
          const { profile } = await session.post('Profiler.stop')
          writeFileSync(path.join(PROFILE!, `inbox-${name}-${mode.replace(' ', '-')}.cpuprofile`), JSON.stringify(profile))
          session.disconnect()
        }
        rows.push({
          route: name,
          load: mode === 'paced' ? `${rate} req/s` : 'closed loop',
          'req/s': Math.round(r.rps),
          requests: r.total,
          'p50 ms': fmt(r.p50, 1),
          'p90 ms': fmt(r.p90, 1),
          'p99 ms': fmt(r.p99, 1),
          'max ms': fmt(r.max, 1),
          goal: `p99 < ${goals[name]} ms`,
          met: r.p99 < goals[name] ? 'yes' : 'no',
          errors: r.non2xx + r.errors + r.timeouts,
          'server cpu ms/req': fmt(((cpuAfter.server - cpuBefore.server) * 1000) / Math.max(1, r.total), 1),
          'postgres cpu ms/req': fmt(((cpuAfter.postgres - cpuBefore.postgres) * 1000) / Math.max(1, r.total), 1),
        })
      }
    }
    console.log(`\n2. ${CONNECTIONS} connections (each request as one of the ${agents.length} agents), ${SECONDS} s per run, load generator in its own process (paced: steady arrivals; closed loop: autocannon):`)
    table(rows)
    }

    // ---- plans, for the record ----
    if (dbKind === 'postgres') {
      const agent = agents[0].session.user.id
      const plan = await db.raw(
        `explain (analyze, buffers) select c.*, r.read_seq from inbox_conversations c left join inbox_reads r on r.tenant_id = c.tenant_id and r.conversation_id = c.id and r.user_id = ?
         where c.tenant_id = ? and (c.assignee_id = ? or c.team_id in (?)) order by c.last_message_at desc, c.id desc limit 51`,
        [agent, tenant.id, agent, agents[0].teamId],
      )
      console.log('\nlist plan (agent):')
      console.log(plan.rows.map((r: any) => '  ' + r['QUERY PLAN']).join('\n'))
    }
  } finally {
    await db.raw('drop function if exists bench_uuid7(timestamptz)').catch(() => {})
    for (const fn of cleanups.reverse()) await fn()
  }
}
