/**
 * Log lines formatted and written after the current turn of the event loop, in the order logged,
 * each with the time it was logged at. A maker fill's hedge leaves in the turn the fill arrives
 * in: with this logger it never waits for the "filled, hedging…" line to be formatted and
 * written. What is still pending when the process exits is written on its way out.
 */
import { Effect, Layer, Logger } from "effect"
import { consoleLogger } from "./console-logger"

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

/**
 * The console's lines, as the backtest prints them (time, level, text; a failure's cause on the
 * lines after), deferred.
 */
export const deferredConsoleLogger = (): DeferredLogger<unknown> & { readonly layer: Layer.Layer<never> } => {
  const deferred = makeDeferredLogger(consoleLogger)
  // in place of the console logger the commands run with, or of Effect's default: never beside either
  const layer = Layer.flatMap(Logger.remove(consoleLogger), () => Logger.replace(Logger.defaultLogger, deferred.logger))
  return { ...deferred, layer }
}
