import http from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyInstance, FastifyServerFactory } from 'fastify'

interface Generation {
  id: number
  app: FastifyInstance
  handler: http.RequestListener
  /** A never-listening server: Fastify and @fastify/websocket attach to it; we feed it upgrades. */
  shadow: http.Server
  inflight: number
  drained: Promise<void> | null
  onIdle: (() => void) | null
}

export type AppBuilder = (serverFactory: FastifyServerFactory) => Promise<FastifyInstance>

/**
 * The one HTTP server of the process, in front of a swappable app generation. Fastify cannot add
 * or remove routes once started, so a changed plugin set gets a whole new app: it is built and
 * made ready beside the running one, then the request handler is switched atomically; the old
 * generation finishes its in-flight requests, its websockets are asked to reconnect, and it closes.
 * If building the new one fails, the running one simply keeps serving.
 */
export class GenerationServer {
  readonly http = http.createServer()
  private current: Generation | null = null
  private generations = 0
  private readonly old = new Set<Generation>()

  constructor(
    private readonly build: AppBuilder,
    private readonly hooks: { beforeDrain?: () => void; drainTimeoutMs?: number } = {},
  ) {
    this.http.on('request', (req, res) => {
      const gen = this.current
      if (!gen) {
        res.statusCode = 503
        res.end()
        return
      }
      gen.inflight++
      res.once('close', () => {
        gen.inflight--
        if (gen.inflight === 0) gen.onIdle?.()
      })
      gen.handler(req, res)
    })
    this.http.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!this.current) return socket.destroy()
      this.current.shadow.emit('upgrade', req, socket, head)
    })
  }

  get app(): FastifyInstance {
    if (!this.current) throw new Error('no app generation yet')
    return this.current.app
  }

  get generation(): number {
    return this.current?.id ?? 0
  }

  /** Build a new generation and switch to it. Throws (and keeps the old one) if it cannot be built. */
  async swap(): Promise<void> {
    let handler: http.RequestListener | undefined
    const shadow = http.createServer()
    const app = await this.build(((h: http.RequestListener) => {
      handler = h
      return shadow
    }) as unknown as FastifyServerFactory)
    try {
      await app.ready()
    } catch (err) {
      await app.close().catch(() => {})
      throw err
    }
    const gen: Generation = { id: ++this.generations, app, handler: handler!, shadow, inflight: 0, drained: null, onIdle: null }
    const previous = this.current
    this.current = gen
    if (previous) this.retire(previous)
  }

  private retire(gen: Generation): void {
    this.old.add(gen)
    this.hooks.beforeDrain?.()
    gen.drained = (async () => {
      if (gen.inflight > 0) {
        await new Promise<void>((resolve) => {
          gen.onIdle = resolve
          setTimeout(resolve, this.hooks.drainTimeoutMs ?? 30_000).unref()
        })
      }
      await gen.app.close().catch(() => {})
      this.old.delete(gen)
    })()
  }

  /** Resolves when every retired generation has finished and closed. */
  async drained(): Promise<void> {
    await Promise.all([...this.old].map((g) => g.drained))
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject)
      this.http.listen(port, host, () => {
        this.http.off('error', reject)
        const address = this.http.address()
        resolve(typeof address === 'object' && address ? address.port : port)
      })
    })
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (!this.http.listening) return resolve()
      this.http.close(() => resolve())
      this.http.closeIdleConnections()
    })
    const gen = this.current
    this.current = null
    if (gen) this.retire(gen)
    await this.drained()
  }
}
