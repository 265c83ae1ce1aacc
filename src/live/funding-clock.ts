/**
 * A perp venue's funding times as they pass, each with its last announced rate and mark price:
 * paper trading settles its positions with them, a recording stores them as funding events.
 */
import { Clock, Duration, Effect, Fiber, Option } from "effect"
import type { FundingQuote } from "../core/domain/market"

const FUNDING_POLL_MS = 30_000
/** the last read of a funding time's rate, this long before it */
const FUNDING_FINAL_READ_MS = 2_000
/** how far the venue's clock may run ahead of ours */
const CLOCK_SKEW_MS = 10_000

/**
 * Settles each of the venue's funding times once, at its last announced rate, on what is held at
 * that time: reads the quote every FUNDING_POLL_MS and FUNDING_FINAL_READ_MS before the time, and
 * when the time comes settles it at once with the quote read before it (a read still under way
 * then is waited for only afterwards: a slow venue cannot move the settlement past positions
 * changed meanwhile), then reads on for the next time. Within CLOCK_SKEW_MS before the time, a
 * venue already announcing the next one has passed it: settled then. A failed read keeps the last
 * quote.
 */
export const settleFundingOnTime = <E>(
  read: Effect.Effect<Option.Option<FundingQuote>, E>,
  settle: (quote: FundingQuote) => void,
  /** what the warnings call it, e.g. "paper funding" */
  label: string
) =>
  Effect.gen(function*() {
    let latest: FundingQuote | undefined
    let settledUpTo = Number.NEGATIVE_INFINITY
    let warned = false
    /** the funding time read last, while it is still to be settled */
    const pending = () => (latest !== undefined && latest.fundingTime > settledUpTo ? latest : undefined)
    /** settles the pending time if it has come (as a backtest does at the time itself, on what is held then) */
    const settleIfDue = (now: number) => {
      const due = pending()
      if (due !== undefined && now >= due.fundingTime) {
        settle(due)
        settledUpTo = due.fundingTime
      }
    }
    while (true) {
      settleIfDue(yield* Clock.currentTimeMillis)
      const reading = yield* Effect.fork(Effect.either(read))
      // the funding time may come while the venue is still answering: it is settled then, with what was read before it
      const waiting = pending()
      if (waiting !== undefined) {
        const untilDue = waiting.fundingTime - (yield* Clock.currentTimeMillis)
        const early = yield* Effect.timeoutOption(Fiber.await(reading), Duration.millis(Math.max(untilDue, 0)))
        if (Option.isNone(early)) settleIfDue(yield* Clock.currentTimeMillis)
      }
      const answer = yield* Fiber.join(reading)
      if (answer._tag === "Left" && !warned) {
        yield* Effect.logWarning(`${label}: could not read the venue's funding rate (${String(answer.left)}); using the last one read`)
      }
      // one warning per outage
      warned = answer._tag === "Left"
      // a time that is no time (0: none announced) is no funding to settle
      const fresh = answer._tag === "Right" ? Option.getOrUndefined(Option.filter(answer.right, (q) => q.fundingTime > 0)) : undefined
      const now = yield* Clock.currentTimeMillis
      if (latest !== undefined && fresh !== undefined && fresh.fundingTime === latest.fundingTime) latest = fresh
      // the venue's clock may run a little ahead of ours: a roll-over close to the time means it passed;
      // one long before it means the venue moved its schedule, and the abandoned time is not settled
      const due = pending()
      if (due !== undefined && fresh !== undefined && fresh.fundingTime > due.fundingTime && now >= due.fundingTime - CLOCK_SKEW_MS) {
        settle(due)
        settledUpTo = due.fundingTime
      }
      if (fresh !== undefined && fresh.fundingTime > settledUpTo) latest = fresh
      const next = pending()
      const until = next !== undefined ? next.fundingTime - now : Number.POSITIVE_INFINITY
      yield* Effect.sleep(until > FUNDING_FINAL_READ_MS ? Math.min(FUNDING_POLL_MS, until - FUNDING_FINAL_READ_MS) : Math.max(until, 0))
    }
  })
