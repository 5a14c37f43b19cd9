// For the knex CLI (`npx knex --knexfile knexfile.ts ...`). Sapa itself migrates with
// `npm run migrate`, which also runs each plugin's migrations in dependency order.
import path from 'node:path'

const config = {
  client: 'pg',
  connection: process.env.DATABASE_URL,
  migrations: { directory: path.resolve(import.meta.dirname, 'migrations'), tableName: 'knex_migrations', loadExtensions: ['.ts'] },
}
export default config
