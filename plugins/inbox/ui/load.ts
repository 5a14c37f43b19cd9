// A fetched value in plain signals. Unlike createResource, reading it never suspends: the shell
// wraps pages in <Suspense>, and a suspended inbox would take the whole page (and the list's
// keyboard focus) away each time a conversation or panel loads.
import { createSignal } from 'solid-js'

export function createLoad<T>(fetcher: () => Promise<T>) {
  const [value, setValue] = createSignal<T | undefined>(undefined)
  const [error, setError] = createSignal<unknown>(null)
  const [loading, setLoading] = createSignal(false)
  let generation = 0

  async function load() {
    const mine = ++generation
    setLoading(true)
    setError(null)
    try {
      const next = await fetcher()
      if (mine === generation) setValue(() => next)
    } catch (err) {
      if (mine === generation) setError(err)
    } finally {
      if (mine === generation) setLoading(false)
    }
  }
  void load()

  return { value, error, loading, reload: load, set: (next: T) => setValue(() => next) }
}
