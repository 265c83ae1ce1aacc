/**
 * Funding payments into the journal and the kill switch's PnL: read from each venue's funding
 * history a minute after each of its funding times (the venues book them late), and once more as
 * a run ends.
 */
import { Clock, Duration, Effect, Option } from "effect"
import { formatDecimal } from "../core/domain/decimal"
import type { Exchange } from "../core/exchange"
import type { RiskGuard } from "../core/risk/risk-guard"
import type { JournalService } from "./journal"
import { mustWrite } from "./journal-settlement"

/** how long after a funding time its payment is read from the venue's history */
const FUNDING_BOOKING_DELAY_MS = 60_000

/**
 * The venue's funding payments since the run started, into the journal and the kill switch's
 * PnL; returns how many were new. A venue without a funding history (spot) has none; a paper venue reports its simulated payments.
 */
export const collectFunding = (journal: JournalService, runId: number, venue: Exchange, guard: RiskGuard, sinceMs: number) =>
  Effect.gen(function*() {
    if (venue.fundingPayments === undefined) return 0
    let added = 0
    for (const payment of yield* venue.fundingPayments(sinceMs)) {
      if (!(yield* mustWrite(journal.recordFunding(runId, payment)))) continue
      added += 1
      yield* guard.recordFunding(payment.venue, payment.amount, payment.ts)
      yield* Effect.log(`funding on ${payment.venue} at ${new Date(payment.ts).toISOString()}: ${formatDecimal(payment.amount)} (rate ${formatDecimal(payment.rate)})`)
    }
    return added
  }).pipe(Effect.catchAll((error) => Effect.as(Effect.logWarning(`funding history of ${venue.venue}: ${error.message}`), 0)))

/** Reads the funding history a minute after each of the venue's funding times (the venues book it late). */
export const fundingWatcher = (journal: JournalService, runId: number, venue: Exchange, guard: RiskGuard, sinceMs: number) =>
  Effect.forever(Effect.gen(function*() {
    const next = yield* venue.nextFundingTime.pipe(Effect.orElseSucceed(() => Option.none<number>()))
    if (Option.isNone(next)) return yield* Effect.sleep(Duration.minutes(10))
    const now = yield* Clock.currentTimeMillis
    yield* Effect.sleep(Math.max(0, next.value - now) + FUNDING_BOOKING_DELAY_MS)
    yield* collectFunding(journal, runId, venue, guard, sinceMs)
  }))
