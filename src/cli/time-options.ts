/**
 * Times and durations on the command line, parsed with a message naming the flag:
 * a duration is a positive number with a unit ("90s", "30m", "8h", "1.5d"); a time is an ISO
 * 8601 date or date-time (UTC unless it names its zone), or a duration meaning that long ago.
 */
import { HelpDoc, ValidationError } from "@effect/cli"
import { Clock, Duration, Effect } from "effect"

const UNITS: Record<string, Duration.DurationInput> = { s: "1 second", m: "1 minute", h: "1 hour", d: "1 day" }
const DURATION_FORM = "a positive number with a unit (s, m, h or d), e.g. 90s, 30m, 8h"

const durationOf = (text: string): Duration.Duration | undefined => {
  const match = /^(\d+(?:\.\d+)?)([smhd])$/.exec(text.trim())
  const amount = match === null ? Number.NaN : Number(match[1])
  return match === null || !(amount > 0) ? undefined : Duration.times(Duration.decode(UNITS[match[2]!]!), amount)
}

const invalid = (message: string) => ValidationError.invalidValue(HelpDoc.p(message))

/** `--flag 8h` */
export const parseDuration = (flag: string) => (text: string): Effect.Effect<Duration.Duration, ValidationError.ValidationError> => {
  const duration = durationOf(text)
  return duration === undefined ? Effect.fail(invalid(`--${flag}: expected ${DURATION_FORM}; got "${text}"`)) : Effect.succeed(duration)
}

// a date, or a date-time to the minute, second or millisecond, with an optional zone
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/

/** Date.parse rolls 2026-02-30 over into March: each field must be in its range */
const fieldsInRange = (match: RegExpExecArray): boolean => {
  const [, year, month, day, hour = "0", minute = "0", second = "0"] = match
  const daysInMonth = new Date(Date.UTC(Number(year), Number(month), 0)).getUTCDate()
  return Number(month) >= 1 && Number(month) <= 12 && Number(day) >= 1 && Number(day) <= daysInMonth && Number(hour) < 24 && Number(minute) < 60 && Number(second) < 60
}

/** `--flag 2026-12-01`, `--flag 2026-12-01T08:00`, `--flag 2026-12-01T08:00+01:00` or `--flag 24h` (ago): ms since epoch. */
export const parseInstant = (flag: string) => (text: string): Effect.Effect<number, ValidationError.ValidationError> =>
  Effect.gen(function*() {
    const trimmed = text.trim()
    const ago = durationOf(trimmed)
    if (ago !== undefined) return (yield* Clock.currentTimeMillis) - Duration.toMillis(ago)
    // a date-time without a zone would be read as local time: this tool's times are UTC
    const zoned = /T[^Z+-]*$/.test(trimmed) ? `${trimmed}Z` : trimmed
    const match = ISO_TIME.exec(trimmed)
    const ms = match !== null && fieldsInRange(match) ? Date.parse(zoned) : Number.NaN
    if (Number.isNaN(ms)) {
      return yield* Effect.fail(invalid(`--${flag}: expected a UTC date or time such as 2026-12-01 or 2026-12-01T08:00 (or with its zone, 2026-12-01T08:00+01:00), or ${DURATION_FORM} meaning that long ago; got "${text}"`))
    }
    return ms
  })
