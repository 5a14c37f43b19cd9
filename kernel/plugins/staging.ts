import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs'
import path from 'node:path'

const SKIP = new Set(['node_modules', '.git', 'dist-cache'])

/** A hash of a plugin folder's files (node_modules excluded): the identity of its code. */
export function hashDir(dir: string): string {
  const hash = createHash('sha256')
  const walk = (current: string) => {
    for (const entry of readdirSync(current).sort()) {
      if (SKIP.has(entry)) continue
      const full = path.join(current, entry)
      const stat = statSync(full)
      if (stat.isDirectory()) walk(full)
      else if (stat.isFile()) hash.update(path.relative(dir, full)).update('\0').update(readFileSync(full))
    }
  }
  walk(dir)
  return hash.digest('hex').slice(0, 16)
}

/**
 * ES modules cannot be unloaded, and re-importing the same path returns the cached module. So
 * code installed or reloaded at runtime is copied to `<cache>/<name>-<hash>/` and imported from
 * there: changed code gets a fresh module graph, unchanged code reuses the loaded one, and memory
 * grows only with the number of distinct versions, not with the number of reloads.
 */
export function stagePlugin(sourceDir: string, cacheDir: string, name: string, kernelRoot: string): { dir: string; hash: string } {
  const hash = hashDir(sourceDir)
  const target = path.join(cacheDir, `${name}-${hash}`)
  if (!existsSync(target)) {
    mkdirSync(cacheDir, { recursive: true })
    const tmp = `${target}.tmp-${process.pid}`
    rmSync(tmp, { recursive: true, force: true })
    cpSync(sourceDir, tmp, { recursive: true, filter: (src) => !SKIP.has(path.basename(src)) })
    // Dependencies resolve from the plugin's own node_modules when it has one, else the kernel's.
    const ownModules = path.join(sourceDir, 'node_modules')
    symlinkSync(existsSync(ownModules) ? ownModules : path.join(kernelRoot, 'node_modules'), path.join(tmp, 'node_modules'), 'dir')
    renameSync(tmp, target)
  }
  return { dir: target, hash }
}
