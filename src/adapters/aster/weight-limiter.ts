/**
 * Request-weight pacing for Aster. The venue counts weight per IP in fixed windows (one per
 * `REQUEST_WEIGHT` rate limit of exchangeInfo) and reports the window's total so far in
 * `X-MBX-USED-WEIGHT-<n><unit>` headers; past the limit it answers 429, and an IP that keeps going
 * is banned (418). Requests wait for the next window *before* the limit is reached, and nothing is
 * sent during a Retry-After.
 */
import { Duration, Effect } from "effect"
import type { RateLimit } from "./schemas"

export interface WeightLimiter {
  /** waits until `weight` more fits under every limit (with the safety margin), then books it */
  readonly acquire: (weight: number, priority?: "normal" | "urgent") => Effect.Effect<void>
  /**
   * takes the venue's own count from the headers of a response to a request sent at `sentAt`
   * (venue time): a count of a window that ended while the request was under way is not the current one's
   */
  readonly observe: (headers: Readonly<Record<string, string>>, sentAt: number) => Effect.Effect<void>
  readonly setLimits: (limits: ReadonlyArray<RateLimit>) => Effect.Effect<void>
  /** after a 429/418: nothing is sent for `ms` */
  readonly pause: (ms: number) => Effect.Effect<void>
}

export interface WeightLimiterOptions {
  /** share of a limit normal requests may use (0.8); urgent ones (orders, cancels) may use 0.95 */
  readonly safety?: number
  /** until exchangeInfo is read: the lowest limit the docs show (1200 per minute) */
  readonly initialLimits?: ReadonlyArray<RateLimit>
}

const UNIT_MS: Record<string, number> = { S: 1000, SECOND: 1000, M: 60_000, MINUTE: 60_000, H: 3_600_000, HOUR: 3_600_000, D: 86_400_000, DAY: 86_400_000 }

interface Window {
  readonly intervalMs: number
  readonly limit: number
  start: number
  used: number
}

const HEADER = /^x-mbx-used-weight-(\d+)([smhd])$/i

export const makeWeightLimiter = (venueNowMs: Effect.Effect<number>, options: WeightLimiterOptions = {}): Effect.Effect<WeightLimiter> =>
  Effect.gen(function*() {
    const safety = options.safety ?? 0.8
    const windowsOf = (limits: ReadonlyArray<RateLimit>): Array<Window> =>
      limits.flatMap((l) => {
        const unit = UNIT_MS[l.interval.toUpperCase()]
        return l.rateLimitType === "REQUEST_WEIGHT" && unit !== undefined && l.limit > 0
          ? [{ intervalMs: unit * l.intervalNum, limit: l.limit, start: 0, used: 0 }]
          : []
      })
    // plain state, read and booked inside single synchronous steps: no other fiber can run in between
    let windows = windowsOf(options.initialLimits ?? [{ rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 1200 }])
    let pausedUntil = 0

    const roll = (w: Window, now: number) => {
      const start = Math.floor(now / w.intervalMs) * w.intervalMs
      if (start !== w.start) {
        w.start = start
        w.used = 0
      }
    }

    /** Books `weight` if it fits at `now`; else how long to wait (ms). */
    const tryBook = (weight: number, share: number, now: number) => {
      const pause = pausedUntil - now
      if (pause > 0) return { wait: pause, why: "Retry-After" }
      windows.forEach((w) => roll(w, now))
      // a request heavier than the whole share goes alone into a window of its own: waiting for
      // room it would never get would block the adapter for good
      const full = windows.find((w) => w.used + weight > w.limit * share && !(w.used === 0 && weight > w.limit * share))
      if (full === undefined) {
        windows.forEach((w) => (w.used += weight))
        return undefined
      }
      return { wait: full.start + full.intervalMs - now + 1, why: `request weight ${full.used}/${full.limit} in this window` }
    }

    // a read waiting for the next window does not hold up an order that still fits
    const acquire = (weight: number, priority: "normal" | "urgent" = "normal"): Effect.Effect<void> =>
      Effect.gen(function*() {
        const share = priority === "urgent" ? Math.max(safety, 0.95) : safety
        while (true) {
          const now = yield* venueNowMs
          const blocked = tryBook(weight, share, now)
          if (blocked === undefined) return
          yield* Effect.logDebug(`Aster rate limit: waiting ${blocked.wait} ms (${blocked.why})`)
          yield* Effect.sleep(Duration.millis(blocked.wait))
        }
      })

    const observe = (headers: Readonly<Record<string, string>>, sentAt: number) =>
      Effect.map(venueNowMs, (now) => {
        for (const [name, value] of Object.entries(headers)) {
          const match = HEADER.exec(name)
          const used = Number(value)
          if (!match || !Number.isFinite(used)) continue
          const intervalMs = Number(match[1]) * (UNIT_MS[(match[2] ?? "").toUpperCase()] ?? 0)
          const w = windows.find((x) => x.intervalMs === intervalMs)
          // sent in the window before: the count may be that window's (a busy minute's total taken
          // for the new one would hold every read back until it ends); ours books the request anyway
          if (w === undefined || Math.floor(sentAt / w.intervalMs) !== Math.floor(now / w.intervalMs)) continue
          roll(w, now)
          // the venue's count includes other clients on this IP; ours includes requests in flight
          w.used = Math.max(w.used, used)
        }
      })

    return {
      acquire,
      observe,
      setLimits: (limits) => {
        const next = windowsOf(limits)
        // what was already spent in a window of the same length still counts
        return Effect.sync(() => {
          if (next.length === 0) return
          windows = next.map((w) => {
            const same = windows.find((o) => o.intervalMs === w.intervalMs)
            return same ? { ...w, start: same.start, used: same.used } : w
          })
        })
      },
      pause: (ms) =>
        Effect.map(venueNowMs, (now) => {
          pausedUntil = Math.max(pausedUntil, now + ms)
        })
    }
  })
