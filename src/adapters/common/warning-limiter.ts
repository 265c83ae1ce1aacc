/**
 * Warnings that could repeat many times a second (a market stream whose every message stopped
 * decoding): the first of each kind is logged at once, the repeats are counted and logged with
 * the next one at most once per interval, so the log says what is wrong without drowning in it.
 */
import { Clock, Effect } from "effect"

export type LimitedWarning = (kind: string, message: string) => Effect.Effect<void>

export const makeWarningLimiter = (everyMs = 60_000): LimitedWarning => {
  const seen = new Map<string, { loggedAt: number; repeats: number }>()
  return (kind, message) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const last = seen.get(kind)
      if (last === undefined) {
        seen.set(kind, { loggedAt: now, repeats: 0 })
        return Effect.logWarning(`${message} (repeats are counted and logged at most once every ${everyMs / 1000} s)`)
      }
      if (now - last.loggedAt < everyMs) {
        last.repeats += 1
        return Effect.void
      }
      const repeats = last.repeats
      seen.set(kind, { loggedAt: now, repeats: 0 })
      return Effect.logWarning(repeats > 0 ? `${message} (and ${repeats} more like it since the last such warning)` : message)
    })
}
