// Builds the migrated template database once, before tap starts its workers in parallel.
import { prepareTemplate } from '../kernel/testing/database.ts'

const started = performance.now()
const template = await prepareTemplate()
console.log(`test database template ready (${process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite'}: ${template}) in ${Math.round(performance.now() - started)} ms`)
