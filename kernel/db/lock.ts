import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs'
import path from 'node:path'

/**
 * PGlite gives a second process opening the same data dir no error and then loses writes,
 * so embedded mode holds an exclusive lock file. The file holds the owner's pid: a lock left
 * by a process that died (kill -9, power loss) is taken over at once instead of after an
 * mtime-based staleness window, which is why this is not proper-lockfile.
 */
export class DataDirLockedError extends Error {
  constructor(readonly dir: string, readonly pid: number) {
    super(`The data dir ${dir} is locked: it is in use by another Sapa process (pid ${pid}). Stop it first, or set DATA_DIR to another folder.`)
    this.name = 'DataDirLockedError'
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true })
  const file = path.join(dir, 'sapa.lock')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600)
      writeSync(fd, String(process.pid))
      closeSync(fd)
      let released = false
      const release = () => {
        if (released) return
        released = true
        try {
          if (Number(readFileSync(file, 'utf8')) === process.pid) unlinkSync(file)
        } catch {
          /* already gone */
        }
      }
      process.once('exit', release)
      return release
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const owner = Number(readFileSync(file, 'utf8').trim())
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new DataDirLockedError(dir, owner)
      }
      // The owner is gone: remove its lock and try once more (the 'wx' open stays atomic).
      unlinkSync(file)
    }
  }
  throw new Error(`Could not lock the data dir ${dir}`)
}
