import type { JobGate, QueueJob, QueueJobData, SkippedResult } from './port.ts'

export const SKIPPED: SkippedResult = Object.freeze({ skipped: true, reason: 'gate' }) as SkippedResult

/**
 * Puts the gate in front of a processor. A refused job resolves with SKIPPED, so it is
 * completed, never failed or retried. A gate that throws fails the try like a processor
 * would (it is retried: a gate usually throws because its store is briefly unavailable).
 * A synchronous gate costs no extra promise per job.
 */
export function gated<T extends QueueJobData>(
  queue: string,
  processor: (job: QueueJob<T>) => Promise<unknown>,
  gate: JobGate | undefined,
): (job: QueueJob<T>) => Promise<unknown> {
  if (!gate) return processor
  return (job) => {
    let allowed: boolean | Promise<boolean>
    try {
      allowed = gate(queue, job.data.tenantId)
    } catch (err) {
      return Promise.reject(err)
    }
    if (allowed === true) return processor(job)
    if (allowed === false) return Promise.resolve(SKIPPED)
    return Promise.resolve(allowed).then((ok) => (ok === true ? processor(job) : SKIPPED))
  }
}
