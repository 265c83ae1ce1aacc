/**
 * Repeated warnings (a market stream whose every message stopped decoding): the first of each
 * kind at once, then the repeats counted and logged with the next one after the interval.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger, TestClock } from "effect"
import { makeWarningLimiter } from "../src/adapters/common/warning-limiter"

describe("warning limiter", () => {
  it.effect("logs the first of each kind, counts repeats, and logs their count with the next one after the interval", () =>
    Effect.gen(function*() {
      const logged: Array<string> = []
      const capture = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => void logged.push(String(Array.isArray(message) ? message[0] : message))))
      const warn = makeWarningLimiter(60_000)
      const run = (kind: string, message: string) => warn(kind, message).pipe(Effect.provide(capture))

      for (let i = 0; i < 500; i++) yield* run("bookTicker.X", "bad bookTicker")
      yield* run("trade.X", "bad trade")
      expect(logged).toEqual([
        "bad bookTicker (repeats are counted and logged at most once every 60 s)",
        "bad trade (repeats are counted and logged at most once every 60 s)"
      ])
      yield* TestClock.adjust(59_999)
      yield* run("bookTicker.X", "bad bookTicker")
      expect(logged.length).toBe(2)
      yield* TestClock.adjust(1)
      yield* run("bookTicker.X", "bad bookTicker again")
      expect(logged[2]).toBe("bad bookTicker again (and 500 more like it since the last such warning)")
      // a minute later with nothing in between: logged as it is
      yield* TestClock.adjust(60_000)
      yield* run("bookTicker.X", "bad bookTicker")
      expect(logged[3]).toBe("bad bookTicker")
    }))
})
