/**
 * Group commit for hot write paths: each call asks for one item to be handled, and items that arrive
 * while `maxInFlight` batches are already running wait and then go together, as one batch (at most
 * `maxSize` items). Under light load a call runs at once, alone, with no added delay; under heavy
 * load batches grow by themselves, so round trips per item fall as the load rises. On this kind of
 * machine a round trip's syscalls cost more than the query, which is why this matters.
 *
 * `run` gets the items and returns one result per item, in the same order. If it throws for a batch
 * of several, each item is run again alone, so a bad item fails only its own call.
 */
export interface BatcherOptions {
  /** Most items in one batch. Default 500. */
  maxSize?: number
  /** Batches running at once. Default 1: the next batch fills while one runs (the most batching; a call waits at most one statement). */
  maxInFlight?: number
}

export type Batcher<I, O> = (item: I) => Promise<O>

interface Waiting<I, O> {
  item: I
  resolve: (value: O) => void
  reject: (err: unknown) => void
}

export function createBatcher<I, O>(run: (items: I[]) => Promise<O[]>, options: BatcherOptions = {}): Batcher<I, O> {
  const maxSize = options.maxSize ?? 500
  const maxInFlight = options.maxInFlight ?? 1
  let waiting: Waiting<I, O>[] = []
  let inFlight = 0
  let scheduled = false

  async function execute(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const results = await run(batch.map((w) => w.item))
      if (results.length !== batch.length) throw new Error(`batch returned ${results.length} results for ${batch.length} items`)
      batch.forEach((w, i) => w.resolve(results[i]))
    } catch (err) {
      if (batch.length === 1) batch[0].reject(err)
      // One after another: the retries stay within this batch's slot instead of flooding the database.
      else for (const w of batch) await execute([w])
    }
  }

  function flush(): void {
    scheduled = false
    while (waiting.length && inFlight < maxInFlight) {
      const batch = waiting.slice(0, maxSize)
      waiting = waiting.slice(batch.length)
      inFlight++
      void execute(batch).finally(() => {
        inFlight--
        flush()
      })
    }
  }

  return (item) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ item, resolve, reject })
      // A microtask, so calls made in the same synchronous burst share the first batch.
      if (!scheduled && inFlight < maxInFlight) {
        scheduled = true
        queueMicrotask(flush)
      }
    })
}
