/**
 * Events that could repeat many times a second (a market stream whose every message stopped
 * decoding, a hedge venue refusing every attempt): the first of each kind goes through at once,
 * the repeats are counted and go with the next one at most once per interval, so the reader
 * learns what is wrong without drowning in it.
 */
import { Clock, Effect } from "effect"

/** `pass` runs for the events let through; `repeats` is how many of that kind were held back since the last one (undefined for the first). */
export type RepeatLimited = (kind: string, pass: (repeats: number | undefined) => Effect.Effect<void>) => Effect.Effect<void>

export const makeRepeatLimiter = (everyMs = 60_000): RepeatLimited => {
  const seen = new Map<string, { passedAt: number; repeats: number }>()
  return (kind, pass) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const last = seen.get(kind)
      if (last === undefined) {
        seen.set(kind, { passedAt: now, repeats: 0 })
        return pass(undefined)
      }
      if (now - last.passedAt < everyMs) {
        last.repeats += 1
        return Effect.void
      }
      const repeats = last.repeats
      seen.set(kind, { passedAt: now, repeats: 0 })
      return pass(repeats)
    })
}

export type LimitedWarning = (kind: string, message: string) => Effect.Effect<void>

export const makeWarningLimiter = (everyMs = 60_000): LimitedWarning => {
  const limited = makeRepeatLimiter(everyMs)
  return (kind, message) =>
    limited(kind, (repeats) =>
      Effect.logWarning(
        repeats === undefined
          ? `${message} (repeats are counted and logged at most once every ${everyMs / 1000} s)`
          : repeats > 0
          ? `${message} (and ${repeats} more like it since the last such warning)`
          : message
      ))
}
