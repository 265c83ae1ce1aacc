/**
 * `--paper` (src/live/paper-exchange.ts) and market recording (src/live/market-recorder.ts) at
 * their edges: paper fills that a backtest of the same ticks would not give, and recordings that
 * must say what a later backtest needs to know.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Scope } from "effect"
import * as path from "node:path"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import type { Instrument } from "../src/core/domain/instrument"
import type { MarketEvent, Ticker } from "../src/core/domain/market"
import { makeMarketTaps } from "../src/adapters/common/market-taps"
import { makePaperExchange } from "../src/live/paper-exchange"
import { startMarketRecording } from "../src/live/market-recorder"
import { bookModels } from "../src/sim/models/book-models"
import { openTickFile } from "../src/sim/tickstore/reader"
import { testConfig } from "./support/config"
import { PERP } from "./support/fake-local-venue"
import { HEDGE } from "./support/paper-venues"
import { scriptedPublicVenue } from "./support/public-venue"
import { tempDir } from "./support/scripted-market"
import { streamingVenue } from "./support/streaming-venue"

const s = formatDecimal
const sim = testConfig().sim

describe("paper venue: polls, filters and market state", () => {
  // Was: a ticker poll started while the stream was quiet was fed into the book when it answered,
  // even if the stream had sent a newer quote meanwhile: the older prices overwrote the newer book
  // and filled a resting maker order that no streamed (or recorded) quote ever reached, a false
  // fill a backtest of the same ticks never makes.
  it.live("a poll answered after a newer stream quote does not roll the book back and fill a maker order", () =>
    Effect.scoped(Effect.gen(function*() {
      const before: Ticker = { ts: 0, bid: decimal("1.5010"), ask: decimal("1.5014"), last: decimal("1.5012") }
      const after: Ticker = { ts: 0, bid: decimal("1.4990"), ask: decimal("1.4994"), last: decimal("1.4992") }
      let book = before
      let hold: Deferred.Deferred<void> | undefined
      // the venue answers with the book it had when the request reached it (captured at the start)
      const ticker = Effect.suspend(() => {
        const seen = book
        const waiting = hold
        return waiting === undefined ? Effect.succeed(seen) : Effect.as(Deferred.await(waiting), seen)
      })
      const market = scriptedPublicVenue(PERP, before, { ticker })
      const paper = yield* makePaperExchange(market.venue, { fees: sim.maker, models: bookModels(sim), quotePollMs: 50 })
      market.quote("1.5010", "10", "1.5014", "10")
      // a still market: the stream is quiet, the ticker is polled (and shows the same book)
      yield* Effect.sleep("1200 millis")
      // the next poll reaches the venue and its answer is slow to come back
      const slow = yield* Deferred.make<void>()
      hold = slow
      yield* Effect.sleep("150 millis")
      // meanwhile the market moves down, on the stream (and at the venue)
      book = after
      market.quote("1.4990", "10", "1.4994", "10")
      // a post-only sell above the new bid rests
      const order = yield* paper.placeLimit({ side: "sell", price: decimal("1.5000"), qty: decimal("1"), postOnly: true, timeInForce: "GTC", clientId: "m1" })
      expect(order.status).toBe("new")
      // the slow poll answers with the book from before the move
      hold = undefined
      yield* Deferred.succeed(slow, undefined)
      yield* Effect.sleep("100 millis")
      // no streamed quote ever reached 1.5000 after the order rested: a backtest fills nothing
      expect(s((yield* paper.queryOrder({ orderId: order.id })).filledQty)).toBe("0")
    })))

  // Was: once the venue's filters became finer than the paper book's units (a finer tick), every
  // refresh failed before the market state was taken: a market that then closed (Aster SETTLING)
  // kept filling paper hedges that the real venue refuses.
  it.scoped("a market closed in the same reading as a finer tick takes no more paper orders", () =>
    Effect.gen(function*() {
      const ticker: Ticker = { ts: 0, bid: decimal("1.5000"), ask: decimal("1.5004"), last: decimal("1.5002") }
      let fresh: Instrument = { ...HEDGE, trading: { state: "TRADING", makerOrders: true, takerOrders: true } }
      const market = scriptedPublicVenue(HEDGE, ticker, { refreshInstrument: Effect.sync(() => fresh) })
      const paper = yield* makePaperExchange(market.venue, { fees: sim.hedge, quotePollMs: 3_600_000 })
      market.quote("1.5000", "100", "1.5004", "100")
      // the venue refines its tick and stops taking orders
      fresh = { ...HEDGE, tickSize: decimal("0.00001"), trading: { state: "SETTLING", makerOrders: false, takerOrders: false } }
      yield* Effect.either(paper.refreshInstrument!)
      const hedge = yield* Effect.either(paper.placeMarket({ side: "buy", qty: decimal("2"), clientId: "h1" }))
      expect(hedge._tag).toBe("Left")
    }))
})

describe("market recording: silence up to the end", () => {
  const BACKPACK: Instrument = PERP
  const ASTER: Instrument = { ...BACKPACK, venue: "aster-futures", symbol: "ASTERUSDT", quote: "USDT" }
  const T0 = 1_758_672_000_000_000
  const quote = (venue: Instrument["venue"], bid: string, ask: string): MarketEvent => ({
    _tag: "Quote",
    quote: { venue, ts: 0, bid: decimal(bid), bidQty: decimal("5"), ask: decimal(ask), askQty: decimal("5") }
  })

  // Was: a venue silent from some time to the end of the recording (its stream stuck, its market
  // closed) got no gap: the recorder noted one only when that venue ticked again. A backtest of the
  // file then traded on its stale book with no gap warning, though the README says "any silence
  // over 30 s on one venue" becomes a gap.
  it.effect("a venue silent for the last two minutes of a recording is marked as a gap", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "ticks.db")
      let now = T0
      const scope = yield* Scope.make()
      const maker = makeMarketTaps()
      const hedge = makeMarketTaps()
      yield* Scope.extend(
        startMarketRecording({ maker: streamingVenue(BACKPACK, maker), hedge: streamingVenue(ASTER, hedge) }, { kind: "paper", path: file, nowUs: () => now }),
        scope
      )
      maker.publish(() => quote("backpack", "1.9990", "2.0010"))
      hedge.publish(() => quote("aster-futures", "1.9990", "2.0010"))
      // Backpack goes silent; Aster goes on for two more minutes
      for (let second = 1; second <= 120; second++) {
        now = T0 + second * 1_000_000
        hedge.publish(() => quote("aster-futures", second % 2 === 0 ? "1.9990" : "1.9991", "2.0010"))
      }
      yield* Scope.close(scope, Exit.void)
      const f = openTickFile(file)
      const gaps = f.gaps
      f.close()
      // Aster's silence-free minutes need none; Backpack's two silent minutes, from its last tick on, do
      expect(gaps.filter((g) => g.instrumentIdx === 1)).toEqual([])
      const backpack = gaps.filter((g) => g.instrumentIdx === 0)
      expect(backpack.map((g) => g.fromTs)).toEqual([T0])
      expect(backpack[0]!.toTs).toBeGreaterThanOrEqual(T0 + 120_000_000)
    }))
})
