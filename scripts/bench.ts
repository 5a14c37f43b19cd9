// npm run bench -- <area>   (areas: kernel, startup, whatsapp, inbox, contacts)
// Each area measures our code against a baseline measured in the same run, and prints both.
const areas: Record<string, () => Promise<unknown>> = {
  kernel: () => import('./bench/kernel.ts'),
  startup: () => import('./bench/startup.ts'),
  whatsapp: () => import('./bench/whatsapp.ts'),
  inbox: () => import('./bench/inbox.ts'),
  contacts: () => import('./bench/contacts-import.ts'),
}

const area = process.argv[2]
if (!area || !areas[area]) {
  console.error(`usage: npm run bench -- <${Object.keys(areas).join('|')}>`)
  process.exit(1)
}
const { run } = (await areas[area]()) as { run: () => Promise<void> }
await run()
process.exit(0)
