import type { AttributeDef } from '../values.ts'
import type { ParsedRow } from './prepare.ts'

/** What the parse worker is started with. */
export interface WorkerInput {
  format: 'csv' | 'xlsx'
  file: Uint8Array
  mapping: [string, string][] | null
  attributes: AttributeDef[]
  region: string
  /** Rows up to and including this file row were written by an earlier attempt: skip them. */
  startAfterRow: number
  chunkSize: number
  maxRows: number
  /** Sum of the uncompressed sizes an XLSX may unpack to (zip bombs stop here). */
  maxUnpackedBytes: number
  /** Only read the header and this many rows, and answer `preview` (the import wizard's mapping step). */
  preview?: number
}

/** The worker answers each `next` request with one of these. */
export type WorkerMessage =
  | { type: 'start'; totalRows: number }
  | { type: 'rows'; rows: ParsedRow[]; lastRow: number; done: boolean }
  | { type: 'preview'; header: string[]; rows: string[][]; totalRows: number }
  | { type: 'fatal'; code: string; message: string }
