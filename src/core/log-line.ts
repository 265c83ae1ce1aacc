/**
 * Log lines whose text is built only when their level is logged. A backtest without a log sink
 * runs at LogLevel.None, and its strategy would otherwise format prices and average fills (exact
 * decimal divisions) for every order of a long replay only to throw the text away.
 */
import { Effect, FiberRef, Inspectable, LogLevel } from "effect"

export const logLine = (line: () => string, level: LogLevel.LogLevel = LogLevel.Info): Effect.Effect<void> =>
  Effect.withFiberRuntime((fiber) =>
    LogLevel.greaterThan(fiber.getFiberRef(FiberRef.currentMinimumLogLevel), level) ? Effect.void : Effect.logWithLevel(level, line())
  )

/**
 * A log line as a trader reads it, the same in a backtest and live: the time, the level, the text
 * (`2026-12-04T04:13:57.038Z INFO  [Cycle 1] start of a new hedge cycle`), rather than Effect's
 * logfmt (fiber ids, the message quoted and escaped).
 */
export const formatLogLine = (iso: string, level: LogLevel.LogLevel, message: unknown): string => {
  const parts = Array.isArray(message) ? message : [message]
  const text = parts.map((part) => (typeof part === "string" ? part : Inspectable.toStringUnknown(part, 0))).join(" ")
  return `${iso} ${level.label.padEnd(5)} ${text}`
}
