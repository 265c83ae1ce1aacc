/**
 * A start whose config trades other markets than the runs before it (the hedge moved from Aster
 * futures to spot, or another symbol) cannot see what those runs left there: a pair stopped between
 * its legs keeps its hedge on the old market, and the start would take the maker's side for
 * unhedged and hedge it a second time, leaving a naked position. The journal's fills say what the
 * earlier live runs left on each market; one this config does not trade that is not flat refuses
 * the start (exit 4) until the trader unwinds it.
 */
import { BigDecimal, Effect } from "effect"
import { formatDecimal } from "../core/domain/decimal"
import type { Venue } from "../core/domain/venue"
import type { JournalService, Run } from "./journal"
import { mustWrite } from "./journal-settlement"
import { ReconciliationRefused } from "./reconcile"

export interface Market {
  readonly venue: Venue
  readonly symbol: string
}

/** Fails when the earlier live runs' fills leave a market that `traded` does not hold, not flat. */
export const refuseLeftOnUntradedMarkets = (journal: JournalService, earlier: ReadonlyArray<Run>, traded: ReadonlyArray<Market>) =>
  Effect.gen(function*() {
    const key = (market: Market) => `${market.venue} ${market.symbol}`
    const tradedNow = new Set(traded.map(key))
    const others = new Map<string, Market>()
    for (const run of earlier) for (const market of [run.maker, run.hedge]) if (!tradedNow.has(key(market))) others.set(key(market), market)
    if (others.size === 0) return
    const ids = earlier.map((run) => run.id)
    const left: Array<string> = []
    for (const market of others.values()) {
      const held = yield* mustWrite(journal.netFilledQty(market.venue, ids, undefined, market.symbol))
      if (!BigDecimal.isZero(held)) left.push(`${market.venue} ${market.symbol} ${formatDecimal(BigDecimal.normalize(held))}`)
    }
    if (left.length === 0) return
    return yield* new ReconciliationRefused({
      reason: `the journal's fills leave earlier runs' positions on markets this config does not trade (${left.join(", ")}): this start cannot see them, ` +
        `and would hedge their pair a second time. Unwind them first with the config that trades them (npm run live -- --config OLD --unwind-only), ` +
        `or, if they were closed outside hedgeloop, start with a new journal (--journal)`
    })
  })
