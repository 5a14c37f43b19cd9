import { Worker } from 'node:worker_threads'
import type { WorkerInput, WorkerMessage } from './protocol.ts'

export class ImportFailure extends Error {
  constructor(readonly code: string, message: string) {
    super(message)
  }
}

export interface ParseLimits {
  /** Most time the worker may take for one answer (the first includes reading a whole spreadsheet). */
  firstAnswerMs: number
  answerMs: number
  /** The worker's V8 heap. */
  maxHeapMb: number
}

// The sheet is streamed (xlsx-stream.ts): the worker grows the process by ~80 MB at 100k rows and
// ~90 MB at the 200k cap, shared strings included. The limit bounds what a crafted file can take.
export const DEFAULT_PARSE_LIMITS: ParseLimits = { firstAnswerMs: 120_000, answerMs: 30_000, maxHeapMb: 256 }

const workerUrl = new URL(`./parse-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url)

/** A worker running our TypeScript under tsx registers tsx in its own thread first. */
function startWorker(input: WorkerInput, limits: ParseLimits): Worker {
  const options = {
    workerData: input,
    transferList: [input.file.buffer as ArrayBuffer],
    resourceLimits: { maxOldGenerationSizeMb: limits.maxHeapMb, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
    stdout: false,
    stderr: false,
  }
  if (workerUrl.pathname.endsWith('.ts')) {
    const tsx = import.meta.resolve('tsx/esm/api')
    const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(workerUrl.href)}) })`
    return new Worker(boot, { ...options, eval: true })
  }
  return new Worker(workerUrl, options)
}

/**
 * Parses an uploaded file in a worker thread and yields its messages: `start` (row count), then
 * chunks of prepared rows. The worker only produces the next chunk when asked, each answer has a
 * deadline, and the worker's heap is capped; any breach ends the worker and throws ImportFailure.
 */
export async function* parseInWorker(input: Omit<WorkerInput, 'file'> & { file: Uint8Array }, limits: ParseLimits = DEFAULT_PARSE_LIMITS): AsyncGenerator<Extract<WorkerMessage, { type: 'start' | 'rows' }>> {
  // Our own copy, moved (not copied again) into the worker.
  const file = new Uint8Array(input.file)
  const worker = startWorker({ ...input, file }, limits)
  let failure: ImportFailure | null = null
  // Answers that arrived before they were awaited (the next chunk is prepared while this one is written).
  const inbox: WorkerMessage[] = []
  let waiting: { resolve(m: WorkerMessage): void; reject(e: Error): void } | null = null
  const fail = (err: ImportFailure) => {
    failure ??= err
    waiting?.reject(failure)
    waiting = null
  }
  worker.on('message', (message: WorkerMessage) => {
    const w = waiting
    waiting = null
    if (w) w.resolve(message)
    else inbox.push(message)
  })
  worker.on('error', (err: Error & { code?: string }) => {
    if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') fail(new ImportFailure('file_too_complex', 'The file needs more memory to read than an import may use; save it as CSV or split it'))
    else fail(new ImportFailure('parse_failed', 'The file could not be parsed'))
  })
  worker.on('exit', () => fail(new ImportFailure('parse_failed', 'The file parser stopped unexpectedly')))

  const request = () => worker.postMessage('next')
  const receive = (ms: number) =>
    new Promise<WorkerMessage>((resolve, reject) => {
      if (inbox.length) return resolve(inbox.shift()!)
      if (failure) return reject(failure)
      const timer = setTimeout(() => {
        fail(new ImportFailure('parse_timeout', `Reading the file took longer than ${Math.round(ms / 1000)} s`))
        void worker.terminate()
      }, ms)
      waiting = {
        resolve: (m) => (clearTimeout(timer), resolve(m)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      }
    })

  try {
    let first = true
    request()
    for (;;) {
      const message = await receive(first ? limits.firstAnswerMs : limits.answerMs)
      first = false
      if (message.type === 'fatal') throw new ImportFailure(message.code, message.message)
      if (message.type === 'preview') throw new ImportFailure('parse_failed', 'The file parser answered a preview')
      if (message.type === 'start' || !message.done) request() // one chunk ahead, no more
      yield message
      if (message.type === 'rows' && message.done) return
    }
  } finally {
    worker.removeAllListeners('exit')
    await worker.terminate()
  }
}

export interface SheetPreview {
  header: string[]
  rows: string[][]
  totalRows: number
}

/**
 * A spreadsheet's header and first rows, read in a worker under the same limits as an import (an
 * untrusted XLSX is never unpacked on the main thread).
 */
export function previewXlsxInWorker(data: Uint8Array, rows: number, maxUnpackedBytes: number, limits: ParseLimits = DEFAULT_PARSE_LIMITS): Promise<SheetPreview> {
  const file = new Uint8Array(data)
  const worker = startWorker({ format: 'xlsx', file, mapping: null, attributes: [], region: 'ID', startAfterRow: 0, chunkSize: 1, maxRows: 0, maxUnpackedBytes, preview: rows }, limits)
  let timer: NodeJS.Timeout | undefined
  const answer = new Promise<SheetPreview>((resolve, reject) => {
    timer = setTimeout(() => reject(new ImportFailure('parse_timeout', `Reading the file took longer than ${Math.round(limits.firstAnswerMs / 1000)} s`)), limits.firstAnswerMs)
    worker.once('message', (message: WorkerMessage) => {
      if (message.type === 'preview') resolve({ header: message.header, rows: message.rows, totalRows: message.totalRows })
      else if (message.type === 'fatal') reject(new ImportFailure(message.code, message.message))
      else reject(new ImportFailure('parse_failed', 'The file could not be parsed'))
    })
    worker.once('error', (err: Error & { code?: string }) => {
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') reject(new ImportFailure('file_too_complex', 'The file needs more memory to read than an import may use; save it as CSV or split it'))
      else reject(new ImportFailure('parse_failed', 'The file could not be parsed'))
    })
    worker.once('exit', () => reject(new ImportFailure('parse_failed', 'The file parser stopped unexpectedly')))
  })
  worker.postMessage('next')
  return answer.finally(() => {
    clearTimeout(timer)
    worker.removeAllListeners()
    void worker.terminate()
  })
}
