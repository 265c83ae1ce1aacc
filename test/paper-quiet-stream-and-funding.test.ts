/**
 * Paper trading (`--paper`) filling as a backtest of its own recording would, in two places:
 *
 * - a quiet market stream. Book ticker streams (Aster, Backpack) send only when the top of book
 *   changes, so a still, healthy market goes silent; after a second of that the paper venue polls
 *   the ticker, which carries prices but no sizes. A backtest of the recording of these minutes
 *   only has the streamed quotes, sizes included, so the poll must not replace sizes shown for the
 *   very same prices with "unknown" (the config's `sim.assumed_top_qty`). Prices the poll shows
 *   moved still reach the book: the stream is behind or has dropped.
 * - funding. A backtest settles each funding time at that time, on the position then held; the
 *   paper venue reads the venue's announcement over REST, which may take seconds, and a position
 *   changed during that read must not change what the funding time settles.
 */
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Option, TestClock } from "effect"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import type { FundingQuote, Ticker } from "../src/core/domain/market"
import { makePaperExchange } from "../src/live/paper-exchange"
import { bookModels } from "../src/sim/models/book-models"
import { testConfig } from "./support/config"
import { HEDGE, TICKER } from "./support/paper-venues"
import { scriptedPublicVenue } from "./support/public-venue"

const s = formatDecimal
const HOUR = 3_600_000
// queue model conservative, 2 bps of impact per further top size, no slippage, 1000 assumed at the top
const sim = testConfig().sim

/** Aster's ASTERUSDT quoted 1.5000 / 1.5004, its stream driven by the test; the ticker reads `ticker()` when polled. */
const quietMarket = (ticker: () => Ticker = () => TICKER) => {
  const market = scriptedPublicVenue(HEDGE, TICKER, { ticker: Effect.sync(ticker) })
  return Effect.map(
    makePaperExchange(market.venue, { fees: sim.hedge, models: bookModels(sim), quotePollMs: 50 }),
    (paper) => ({ market, paper })
  )
}

describe("paper venue: a stream quiet because the market is still keeps the sizes it showed", () => {
  it.live("a hedge after a quiet second walks the streamed top-of-book size, as a backtest of the recording does", () =>
    Effect.scoped(Effect.gen(function*() {
      const { market, paper } = yield* quietMarket()
      // the stream shows 10 at the ask; the ticker shows the same prices
      market.quote("1.5000", "10", "1.5004", "10")
      // no change for 1.3 s: the stream sends nothing (it is not down) and the ticker is polled
      yield* Effect.sleep("1300 millis")
      const order = yield* paper.placeMarket({ side: "buy", qty: decimal("30"), clientId: "h1" })
      // 10 at 1.5004, then 2 bps (sim.market_impact_bps) per further top size, in whole ticks up:
      // 10 at 1.5004 + ceil(3.0008) ticks = 1.5008, 10 at + ceil(6.0016) = 1.5011:
      // 15.004 + 15.008 + 15.011 = 45.023 (with the size assumed, 30 at 1.5004 = 45.012)
      expect([order.status, s(order.filledQty), s(order.filledQuote)]).toEqual(["filled", "30", "45.023"])
    })))

  it.live("a maker order joining the best level after a quiet second starts behind the size the stream showed", () =>
    Effect.scoped(Effect.gen(function*() {
      const { market, paper } = yield* quietMarket()
      market.quote("1.5000", "20", "1.5004", "10")
      yield* Effect.sleep("1300 millis")
      const order = yield* paper.placeLimit({ side: "sell", price: decimal("1.5004"), qty: decimal("3"), postOnly: true, timeInForce: "GTC", clientId: "m1" })
      // 10 shown ahead of it; 12 trade at its price: the last 2 reach it. Behind an assumed 1000,
      // nothing would fill
      market.trade("1.5004", "12", "buy")
      expect(s((yield* paper.queryOrder({ orderId: order.id })).filledQty)).toBe("2")
    })))

  it.live("prices the poll shows moved still reach the book (the stream dropped): a moved side's size is unknown, an unmoved one keeps its size", () =>
    Effect.scoped(Effect.gen(function*() {
      let ticker = TICKER
      const { market, paper } = yield* quietMarket(() => ticker)
      market.quote("1.5000", "10", "1.5004", "10")
      // the stream drops; the venue's ask moves up to 1.5014 meanwhile, its bid stays
      ticker = { ...TICKER, ask: decimal("1.5014") }
      yield* Effect.sleep("1300 millis")
      // the new ask, its size unknown: 30 within the assumed 1000 at 1.5014
      const buy = yield* paper.placeMarket({ side: "buy", qty: decimal("30"), clientId: "h1" })
      expect([buy.status, s(buy.filledQty), s(buy.filledQuote)]).toEqual(["filled", "30", "45.042"])
      // the bid still shows the streamed 10: 10 at 1.5000, 10 at 2 bps (3 ticks) lower, 10 at 4 bps
      // (6 ticks) lower: 15.000 + 14.997 + 14.994 = 44.991
      const sell = yield* paper.placeMarket({ side: "sell", qty: decimal("30"), clientId: "h2" })
      expect([sell.status, s(sell.filledQty), s(sell.filledQuote)]).toEqual(["filled", "30", "44.991"])
    })))
})

describe("paper venue: funding settled at the funding time, on the position held then", () => {
  /** The venue announces `announced`; a read issued at or after `slowFrom` takes 5 s. */
  const slowVenue = (announced: () => FundingQuote, slowFrom: number) => {
    const read = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      now >= slowFrom
        ? Effect.as(Effect.sleep("5 seconds"), Option.some(announced()))
        : Effect.sync(() => Option.some(announced())))
    const market = scriptedPublicVenue(HEDGE, TICKER, { fundingQuote: read, nextFundingTime: Effect.sync(() => Option.some(announced().fundingTime)) })
    return makePaperExchange(market.venue, { fees: sim.hedge, quotePollMs: HOUR })
  }
  const payments = (paper: Effect.Effect.Success<ReturnType<typeof slowVenue>>) =>
    Effect.map(paper.fundingPayments!(0), (all) => all.map((p) => [p.ts, s(p.position), s(p.amount)]))
  const atHour: FundingQuote = { fundingTime: HOUR, rate: decimal("0.0001"), markPrice: decimal("1.5") }

  it.scoped("a position closed while the read at the funding time is still under way still pays that funding", () =>
    Effect.gen(function*() {
      const paper = yield* slowVenue(() => atHour, HOUR)
      yield* paper.placeMarket({ side: "buy", qty: decimal("2"), clientId: "b1" })
      // long 2 at the funding time, when the venue takes 5 s to answer
      yield* TestClock.adjust(HOUR)
      // one second after the funding time (that read is still on its way) the position is closed
      yield* TestClock.adjust(1_000)
      yield* paper.placeMarket({ side: "sell", qty: decimal("2"), clientId: "s1" })
      yield* TestClock.adjust(10_000)
      // long 2 at mark 1.5, rate 0.0001: pays 2 × 1.5 × 0.0001 = 0.0003
      expect(yield* payments(paper)).toEqual([[HOUR, "2", "-0.0003"]])
    }))

  it.scoped("a read issued just before the funding time and answered after it does not delay the settlement; each time settles once", () =>
    Effect.gen(function*() {
      let announced = atHour
      // the final read, 2 s before the time, takes 5 s: it is answered 3 s after the time
      const paper = yield* slowVenue(() => announced, HOUR - 2_000)
      yield* paper.placeMarket({ side: "buy", qty: decimal("2"), clientId: "b1" })
      yield* TestClock.adjust(HOUR)
      // closed at the time + 1 s, before that read is answered: the time still settles long 2
      yield* TestClock.adjust(1_000)
      yield* paper.placeMarket({ side: "sell", qty: decimal("2"), clientId: "s1" })
      yield* TestClock.adjust(10_000)
      expect(yield* payments(paper)).toEqual([[HOUR, "2", "-0.0003"]])
      // the venue still announces the passed time for a while, then the next one: nothing twice
      yield* TestClock.adjust(60_000)
      expect((yield* payments(paper)).length).toBe(1)
      yield* paper.placeMarket({ side: "sell", qty: decimal("1"), clientId: "s2" })
      announced = { fundingTime: 2 * HOUR, rate: decimal("0.0002"), markPrice: decimal("1.5") }
      // short 1 at the next time (its reads slow too): receives 1 × 1.5 × 0.0002 = 0.0003
      yield* TestClock.adjust(HOUR)
      expect(yield* payments(paper)).toEqual([[HOUR, "2", "-0.0003"], [2 * HOUR, "-1", "0.0003"]])
    }))
})
