/**
 * A perp venue's funding times as they pass, each with its last announced rate and mark price:
 * paper trading settles its positions with them, a recording stores them as funding events.
 */
import { Clock, Effect, Option } from "effect"
import type { FundingQuote } from "../core/domain/market"

const FUNDING_POLL_MS = 30_000
/** the last read of a funding time's rate, this long before it */
const FUNDING_FINAL_READ_MS = 2_000
/** how far the venue's clock may run ahead of ours */
const CLOCK_SKEW_MS = 10_000

/**
 * Settles each of the venue's funding times once, at its last announced rate: reads the quote
 * every FUNDING_POLL_MS and FUNDING_FINAL_READ_MS before the time, then settles when the time has
 * passed (or, within CLOCK_SKEW_MS of it, the venue already announces the next one). A failed
 * read keeps the last quote.
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
    while (true) {
      const answer = yield* Effect.either(read)
      if (answer._tag === "Left" && !warned) {
        yield* Effect.logWarning(`${label}: could not read the venue's funding rate (${String(answer.left)}); using the last one read`)
      }
      // one warning per outage
      warned = answer._tag === "Left"
      const fresh = answer._tag === "Right" ? Option.getOrUndefined(answer.right) : undefined
      const now = yield* Clock.currentTimeMillis
      if (latest !== undefined && fresh !== undefined && fresh.fundingTime === latest.fundingTime) latest = fresh
      // the venue's clock may run a little ahead of ours: a roll-over close to the time means it passed;
      // one long before it means the venue moved its schedule, and the abandoned time is not settled
      const rolledOver = fresh !== undefined && latest !== undefined && fresh.fundingTime > latest.fundingTime
      if (latest !== undefined && latest.fundingTime > settledUpTo && (now >= latest.fundingTime || (rolledOver && now >= latest.fundingTime - CLOCK_SKEW_MS))) {
        settle(latest)
        settledUpTo = latest.fundingTime
      }
      if (fresh !== undefined && fresh.fundingTime > settledUpTo) latest = fresh
      const until = latest !== undefined && latest.fundingTime > settledUpTo ? latest.fundingTime - now : Number.POSITIVE_INFINITY
      yield* Effect.sleep(until > FUNDING_FINAL_READ_MS ? Math.min(FUNDING_POLL_MS, until - FUNDING_FINAL_READ_MS) : Math.max(until, 0))
    }
  })
