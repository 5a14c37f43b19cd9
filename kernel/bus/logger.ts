/**
 * The little of a logger that the bus, the fan-out and realtime need. A pino logger (or Fastify's
 * `app.log`) fits it as is.
 */
export interface Logger {
  error(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  debug(obj: object, msg?: string): void
}

/** Used only where a logger is optional and none was given. */
export const consoleLogger: Logger = {
  error: (obj, msg) => console.error(msg ?? '', obj),
  warn: (obj, msg) => console.warn(msg ?? '', obj),
  debug: () => {},
}
