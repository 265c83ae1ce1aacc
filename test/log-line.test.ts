/**
 * Lazily built log lines: below the minimum level their text is never built (a backtest without
 * a log sink skips formatting every price); at or above it they log exactly as Effect.log does.
 */
import { Effect, Logger, LogLevel } from "effect"
import { describe, expect, it } from "vitest"
import { formatLogLine, logLine } from "../src/core/log-line"

const run = (effect: Effect.Effect<void>, minimum: LogLevel.LogLevel) => {
  const written: Array<string> = []
  const logger = Logger.make(({ logLevel, message }) => void written.push(`${logLevel.label} ${Array.isArray(message) ? message.join(" ") : String(message)}`))
  Effect.runSync(effect.pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)), Logger.withMinimumLogLevel(minimum)))
  return written
}

describe("logLine", () => {
  it("builds no text when its level is not logged", () => {
    let built = 0
    const line = () => `price ${++built}`
    expect(run(Effect.zipRight(logLine(line), logLine(line, LogLevel.Warning)), LogLevel.None)).toEqual([])
    expect(run(logLine(line), LogLevel.Warning)).toEqual([])
    expect(built).toBe(0)
  })

  it("logs at its level, once, when that level is logged", () => {
    let built = 0
    const line = () => `price ${++built}`
    expect(run(Effect.zipRight(logLine(line), logLine(line, LogLevel.Warning)), LogLevel.Info)).toEqual(["INFO price 1", "WARN price 2"])
    expect(run(logLine(line, LogLevel.Warning), LogLevel.Warning)).toEqual(["WARN price 3"])
    expect(run(logLine(line), LogLevel.Debug)).toEqual(["INFO price 4"])
  })

  it("logs what Effect.log logs, annotations and spans included", () => {
    const annotated = (effect: Effect.Effect<void>) => effect.pipe(Effect.annotateLogs("cycle", "7"))
    const lines = (effect: Effect.Effect<void>) => {
      const written: Array<unknown> = []
      const logger = Logger.make(({ annotations, logLevel, message }) => void written.push({ level: logLevel.label, message, annotations: [...annotations] }))
      Effect.runSync(annotated(effect).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger))))
      return written
    }
    expect(lines(logLine(() => "hedge sent"))).toEqual(lines(Effect.log("hedge sent")))
  })
})

describe("formatLogLine", () => {
  it("reads as a trader reads it: time, level padded to five, the text unquoted; several parts joined", () => {
    expect(formatLogLine("2026-12-04T04:13:57.038Z", LogLevel.Info, "[Cycle 1] start of a new hedge cycle")).toBe(
      "2026-12-04T04:13:57.038Z INFO  [Cycle 1] start of a new hedge cycle"
    )
    expect(formatLogLine("2026-12-04T04:13:57.038Z", LogLevel.Warning, ["hedge \"buy\" failed:", 3, { code: -2019 }])).toBe(
      '2026-12-04T04:13:57.038Z WARN  hedge "buy" failed: 3 {"code":-2019}'
    )
  })

})
