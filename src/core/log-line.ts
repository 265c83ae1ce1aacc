/**
 * Log lines whose text is built only when their level is logged. A backtest without a log sink
 * runs at LogLevel.None, and its strategy would otherwise format prices and average fills (exact
 * decimal divisions) for every order of a long replay only to throw the text away.
 */
import { Effect, FiberRef, LogLevel } from "effect"

export const logLine = (line: () => string, level: LogLevel.LogLevel = LogLevel.Info): Effect.Effect<void> =>
  Effect.withFiberRuntime((fiber) =>
    LogLevel.greaterThan(fiber.getFiberRef(FiberRef.currentMinimumLogLevel), level) ? Effect.void : Effect.logWithLevel(level, line())
  )
