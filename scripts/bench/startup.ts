import path from 'node:path'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { fmt, table } from './report.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')

/** RSS of a process in MB from /proc (Linux). */
function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024
}

/** Starts `npm start`'s entry in a data dir and times it until it prints ready. */
async function start(dataDir: string): Promise<{ readyMs: number; idleRssMb: number }> {
  const began = performance.now()
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', DATABASE_URL: '', REDIS_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const readyMs = await new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk
      if (output.includes('Sapa is ready')) resolve(performance.now() - began)
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${output}`)))
  })
  await new Promise((r) => setTimeout(r, 5000))
  const idleRssMb = rssOf(child.pid!)
  child.kill('SIGTERM')
  await new Promise((r) => child.once('exit', r))
  return { readyMs, idleRssMb }
}

export async function run(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sapa-bench-start-'))
  try {
    const cold = await start(dataDir)
    const warm = await start(dataDir)
    console.log('embedded mode (PGlite), measured from process spawn to "ready" (includes tsx start-up):')
    table([
      { start: 'cold (empty data dir: init, migrate, seed demo)', 'ready s': fmt(cold.readyMs / 1000), 'idle RSS MB (after 5 s)': fmt(cold.idleRssMb, 0) },
      { start: 'warm (existing data dir)', 'ready s': fmt(warm.readyMs / 1000), 'idle RSS MB (after 5 s)': fmt(warm.idleRssMb, 0) },
    ])
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}
