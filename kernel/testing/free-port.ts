import { createServer } from 'node:net'

/**
 * A port nothing listens on now, for a child process to listen on. Random ports in a fixed range
 * collided with the ephemeral ports of outgoing connections (Linux hands out 32768-60999): EADDRINUSE.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}
