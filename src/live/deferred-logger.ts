/**
 * Log lines formatted and written after the current turn of the event loop, in the order logged,
 * each with the time it was logged at. A maker fill's hedge leaves in the turn the fill arrives
 * in: with this logger it never waits for the "filled, hedging…" line to be formatted and
 * written. What is still pending when the process exits is written on its way out.
 */
import { Effect, type Layer, Logger } from "effect"

export interface DeferredLogger<M> {
  readonly logger: Logger.Logger<M, void>
  /** writes what is pending now (before printing anything that must come after it) */
  readonly flush: Effect.Effect<void>
}

export const makeDeferredLogger = <M>(inner: Logger.Logger<M, unknown>): DeferredLogger<M> => {
  let pending: Array<Logger.Logger.Options<M>> = []
  let exitHooked = false
  const flushNow = () => {
    const batch = pending
    pending = []
    for (const options of batch) inner.log(options)
  }
  const logger = Logger.make<M, void>((options) => {
    if (!exitHooked) {
      exitHooked = true
      process.once("exit", flushNow)
    }
    if (pending.length === 0) setImmediate(flushNow)
    pending.push(options)
  })
  return { logger, flush: Effect.sync(flushNow) }
}

/** Effect's default logger (the same lines on the console), deferred. */
export const deferredDefaultLogger = (): DeferredLogger<unknown> & { readonly layer: Layer.Layer<never> } => {
  const deferred = makeDeferredLogger(Logger.defaultLogger)
  return { ...deferred, layer: Logger.replace(Logger.defaultLogger, deferred.logger) }
}
