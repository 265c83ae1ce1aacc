/**
 * Paper trading's venue (`--paper`): orders never leave the process, the live quote decides the
 * fills, and funding follows the venue's own clock: each funding time is settled once, at the
 * rate the venue announced last before it, on effect's TestClock.
 */
import { describe, expect, it } from "@effect/vitest"
import { BigDecimal, Effect, Fiber, Option, Ref, TestClock } from "effect"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import type { Instrument } from "../src/core/domain/instrument"
import type { FundingQuote, Ticker } from "../src/core/domain/market"
import { VenueUnavailable } from "../src/core/errors"
import type { Exchange } from "../src/core/exchange"
import { settleFundingOnTime } from "../src/live/funding-clock"
import { makePaperExchange } from "../src/live/paper-exchange"
import { bookModels } from "../src/sim/models/book-models"
import { constantLatency } from "../src/sim/models/latency"
import { PERP } from "./support/fake-local-venue"
import { testConfig } from "./support/config"
import { scriptedPublicVenue } from "./support/public-venue"

const HOUR = 3_600_000
const s = formatDecimal

/** The live venue's public side: a quote and a funding announcement the test moves; placing orders is a defect. */
const liveVenue = (funding: Ref.Ref<Either<FundingQuote>>, ticker: Ticker) =>
  scriptedPublicVenue(PERP, ticker, {
    nextFundingTime: Effect.map(Ref.get(funding), (f) => (f._tag === "ok" ? Option.some(f.quote.fundingTime) : Option.none())),
    fundingQuote: Effect.flatMap(Ref.get(funding), (f) =>
      f._tag === "ok" ? Effect.succeed(Option.some(f.quote)) : Effect.fail(new VenueUnavailable({ venue: PERP.venue, reason: "503" })))
  })
type Either<A> = { readonly _tag: "ok"; readonly quote: A } | { readonly _tag: "down" }

const quote = (fundingTime: number, rate: string, markPrice: string): Either<FundingQuote> => ({
  _tag: "ok",
  quote: { fundingTime, rate: decimal(rate), markPrice: decimal(markPrice) }
})
const TICKER: Ticker = { ts: 0, bid: decimal("1.5"), ask: decimal("1.5001"), last: decimal("1.5") }

const paperVenue = (funding: Ref.Ref<Either<FundingQuote>>) =>
  makePaperExchange(liveVenue(funding, TICKER).venue, { fees: testConfig().sim.maker, quotePollMs: HOUR })

/** The same venue, whose market stream the test drives (book tickers, trades, books). */
const streamingVenue = Effect.map(Ref.make(quote(HOUR, "0.0001", "1.5")), (funding) => liveVenue(funding, TICKER))

const filled = (paper: Exchange, orderId: string) => Effect.map(paper.queryOrder({ orderId }), (order) => s(order.filledQty))

const amounts = (paper: Exchange) =>
  Effect.map(paper.fundingPayments!(0), (payments) => payments.map((p) => [p.ts, s(p.rate), s(p.markPrice), s(p.position), s(p.amount)]))

describe("paper venue", () => {
  it.scoped("fills a market order against the live quote without sending it anywhere", () =>
    Effect.gen(function*() {
      const funding = yield* Ref.make(quote(HOUR, "0.0001", "1.5"))
      const paper = yield* paperVenue(funding)
      const order = yield* paper.placeMarket({ side: "buy", qty: decimal("2"), clientId: "c1" })
      expect([order.status, s(order.filledQty)]).toEqual(["filled", "2"])
      expect(s((yield* paper.position).qty)).toBe("2")
    }))

  it.scoped("matches with the config's models: a market order pays its sim.market_slippage_bps as in a backtest", () =>
    Effect.gen(function*() {
      const funding = yield* Ref.make(quote(HOUR, "0.0001", "1.5"))
      const sim = { ...testConfig().sim, marketSlippageBps: decimal("10") }
      const paper = yield* makePaperExchange(liveVenue(funding, TICKER).venue, { fees: sim.maker, models: bookModels(sim), quotePollMs: HOUR })
      // 1.5001 × 10 bps = 0.00150010: 16 ticks up
      const order = yield* paper.placeMarket({ side: "buy", qty: decimal("2"), clientId: "c1" })
      expect([order.status, s(order.filledQty), s(order.filledQuote)]).toEqual(["filled", "2", "3.0034"])
      // without the models, the default realism: the ask itself
      const plain = yield* paperVenue(funding)
      expect(s((yield* plain.placeMarket({ side: "buy", qty: decimal("2"), clientId: "c2" })).filledQuote)).toBe("3.0002")
    }))

  it.scoped("with the config's latencies an order meets the market as it is when it reaches the book, and its answer comes a trip later", () =>
    Effect.gen(function*() {
      const live = yield* streamingVenue
      const latency = constantLatency({ submitLatencyMs: 40, cancelLatencyMs: 30, responseLatencyMs: 40, feedLatencyMs: 20 })
      const paper = yield* makePaperExchange(live.venue, { fees: testConfig().sim.maker, quotePollMs: HOUR, latency })
      live.quote("1.5000", "20", "1.5004", "10")
      const hedge = yield* Effect.fork(paper.placeMarket({ side: "buy", qty: decimal("2"), clientId: "h1" }))
      // the ask moves while the order is on its way: it takes the new one
      yield* TestClock.adjust("20 millis")
      live.quote("1.5010", "20", "1.5012", "10")
      yield* TestClock.adjust("20 millis")
      // at the venue it has filled; the answer is still on its way back
      expect(s((yield* paper.position).qty)).toBe("2")
      expect(Option.isNone(yield* Fiber.poll(hedge))).toBe(true)
      yield* TestClock.adjust("39 millis")
      expect(Option.isNone(yield* Fiber.poll(hedge))).toBe(true)
      yield* TestClock.adjust("1 millis")
      const order = yield* Fiber.join(hedge)
      expect([order.status, s(order.filledQty), s(order.filledQuote)]).toEqual(["filled", "2", "3.0024"])

      const roundTrip = <A, E>(request: Effect.Effect<A, E>) =>
        Effect.gen(function*() {
          const fiber = yield* Effect.fork(request)
          yield* TestClock.adjust("80 millis")
          return yield* Fiber.join(fiber)
        })
      const sell = (clientId: string) => paper.placeLimit({ side: "sell", price: decimal("1.5020"), qty: decimal("1"), postOnly: true, timeInForce: "GTC", clientId })
      // stopped on its way there: nothing reached the venue
      const unsent = yield* Effect.fork(sell("m1"))
      yield* TestClock.adjust("39 millis")
      yield* Fiber.interrupt(unsent)
      expect(yield* roundTrip(paper.openOrders)).toEqual([])
      // stopped once at the venue: it rests there, and the interruption waits for its answer
      const sent = yield* Effect.fork(sell("m2"))
      yield* TestClock.adjust("40 millis")
      const interrupting = yield* Effect.fork(Fiber.interrupt(sent))
      yield* TestClock.adjust("39 millis")
      expect(Option.isNone(yield* Fiber.poll(interrupting))).toBe(true)
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(interrupting)
      expect((yield* roundTrip(paper.openOrders)).map((o) => [o.clientId, o.status])).toEqual([["m2", "new"]])
      // a cancel takes its own trip there (30 ms) and its answer the trip back
      const cancel = yield* Effect.fork(paper.cancel((yield* roundTrip(paper.openOrders))[0]!.id))
      yield* TestClock.adjust("69 millis")
      expect(Option.isNone(yield* Fiber.poll(cancel))).toBe(true)
      yield* TestClock.adjust("1 millis")
      expect((yield* Fiber.join(cancel)).status).toBe("cancelled")
    }))

  it.scoped("a resting order waits behind the queue the stream shows and fills as the venue's trades at its price reach it", () =>
    Effect.gen(function*() {
      const live = yield* streamingVenue
      const paper = yield* makePaperExchange(live.venue, { fees: testConfig().sim.maker, quotePollMs: HOUR })
      live.quote("1.5000", "20", "1.5004", "10")
      const order = yield* paper.placeLimit({ side: "sell", price: decimal("1.5004"), qty: decimal("3"), postOnly: true, timeInForce: "GTC", clientId: "m1" })
      expect(order.status).toBe("new")
      // the 10 ahead of us trade first, then our 3
      live.trade("1.5004", "10", "buy")
      expect(yield* filled(paper, order.id)).toBe("0")
      live.trade("1.5004", "2", "buy")
      expect(yield* filled(paper, order.id)).toBe("2")
      // a trade at another price, or by a seller, does not reach a resting sell at 1.5004
      live.trade("1.5003", "5", "sell")
      expect(yield* filled(paper, order.id)).toBe("2")
      live.trade("1.5004", "5", "buy")
      expect(yield* filled(paper, order.id)).toBe("3")
    }))

  it.scoped("an order behind the best price starts behind what the streamed book shows at its price", () =>
    Effect.gen(function*() {
      const live = yield* streamingVenue
      const paper = yield* makePaperExchange(live.venue, { fees: testConfig().sim.maker, quotePollMs: HOUR })
      live.quote("1.5000", "20", "1.5004", "10")
      live.book([["1.5000", "20"]], [["1.5004", "10"], ["1.5006", "4"]])
      const order = yield* paper.placeLimit({ side: "sell", price: decimal("1.5006"), qty: decimal("1"), postOnly: true, timeInForce: "GTC", clientId: "m2" })
      live.trade("1.5006", "4", "buy")
      expect(yield* filled(paper, order.id)).toBe("0")
      live.trade("1.5006", "1", "buy")
      expect(yield* filled(paper, order.id)).toBe("1")
    }))

  it.scoped("refreshInstrument takes the live venue's new filters into the book; one finer than the book's units is refused and the old ones kept", () =>
    Effect.gen(function*() {
      let listed: Instrument = PERP
      const live = scriptedPublicVenue(PERP, TICKER, { refreshInstrument: Effect.sync(() => listed) })
      const paper = yield* makePaperExchange(live.venue, { fees: testConfig().sim.maker, quotePollMs: HOUR })
      const filters = (i: Instrument) => [s(i.tickSize), s(i.stepSize), s(i.minQty)]
      const sell = (price: string, qty: string, clientId: string) =>
        paper.placeLimit({ side: "sell", price: decimal(price), qty: decimal(qty), postOnly: true, timeInForce: "GTC", clientId })
      listed = { ...PERP, tickSize: decimal("0.0005"), stepSize: decimal("0.1"), minQty: decimal("0.1") }
      // until refreshed, the book keeps the filters read at the start
      expect(filters(yield* paper.instrument)).toEqual(["0.0001", "0.01", "0.01"])
      expect((yield* sell("1.5101", "5", "p0")).status).toBe("new")

      expect(filters(yield* paper.refreshInstrument!)).toEqual(["0.0005", "0.1", "0.1"])
      expect(filters(yield* paper.instrument)).toEqual(["0.0005", "0.1", "0.1"])
      const refused = [
        yield* Effect.flip(sell("1.5101", "5", "p1")),
        yield* Effect.flip(sell("1.5105", "5.05", "p2")),
        yield* Effect.flip(paper.placeMarket({ side: "buy", qty: decimal("5.05"), clientId: "p3" }))
      ]
      expect(refused.map((e) => e._tag === "OrderRejected" && e.code)).toEqual(["tick", "step", "step"])
      expect((yield* sell("1.5105", "5.1", "p4")).status).toBe("new")
      expect(s((yield* paper.placeMarket({ side: "buy", qty: decimal("5.1"), clientId: "p5" })).filledQty)).toBe("5.1")

      // a tick finer than the book's price units (4 decimals): refused, the filters stay
      listed = { ...listed, tickSize: decimal("0.00005") }
      const finer = yield* Effect.flip(paper.refreshInstrument!)
      expect(finer._tag === "InvalidResponse" && finer.detail).toContain("tickSize 0.00005 is finer than the venue's price units (4 decimals)")
      expect(filters(yield* paper.instrument)).toEqual(["0.0005", "0.1", "0.1"])
      expect((yield* Effect.flip(sell("1.5106", "5", "p6")))._tag).toBe("OrderRejected")
    }))

  it.scoped("refreshInstrument takes the live venue's market state into the book: a settling market refuses orders and fills none resting, until it trades again", () =>
    Effect.gen(function*() {
      const live = yield* streamingVenue
      let listed: Instrument = { ...PERP, trading: { state: "Open", makerOrders: true, takerOrders: true } }
      const paper = yield* makePaperExchange({ ...live.venue, instrument: Effect.sync(() => listed), refreshInstrument: Effect.sync(() => listed) }, { fees: testConfig().sim.maker, quotePollMs: HOUR })
      live.quote("1.5000", "20", "1.5004", "10")
      const sell = (price: string, clientId: string) => paper.placeLimit({ side: "sell", price: decimal(price), qty: decimal("3"), postOnly: true, timeInForce: "GTC", clientId })
      const resting = yield* sell("1.5004", "s1")
      // a word no table of ours has: what the venue's reading says it takes decides
      listed = { ...listed, trading: { state: "Maintenance", makerOrders: false, takerOrders: false } }
      expect((yield* paper.refreshInstrument!).trading?.state).toBe("Maintenance")
      expect((yield* paper.instrument).trading?.state).toBe("Maintenance")
      const refused = yield* Effect.flip(sell("1.5005", "s2"))
      expect(refused._tag === "OrderRejected" && refused.reason).toMatch(/Maintenance/)
      live.trade("1.5004", "20", "buy")
      expect(yield* filled(paper, resting.id)).toBe("0")
      listed = { ...listed, trading: { state: "Open", makerOrders: true, takerOrders: true } }
      yield* paper.refreshInstrument!
      live.trade("1.5004", "20", "buy")
      expect(yield* filled(paper, resting.id)).toBe("3")
      expect((yield* sell("1.5005", "s3")).status).toBe("new")
    }))

  it.scoped("has no refreshInstrument where the live venue has none", () =>
    Effect.gen(function*() {
      const paper = yield* paperVenue(yield* Ref.make(quote(HOUR, "0.0001", "1.5")))
      expect(paper.refreshInstrument).toBeUndefined()
    }))

  it.live("the ticker is polled only while the stream is quiet", () =>
    Effect.scoped(Effect.gen(function*() {
      const live = yield* streamingVenue
      let tickerReads = 0
      const counted: Exchange = { ...live.venue, ticker: Effect.sync(() => (tickerReads += 1, TICKER)) }
      yield* makePaperExchange(counted, { fees: testConfig().sim.maker, quotePollMs: 50 })
      // the stream speaks: no poll while it does
      for (let i = 0; i < 6; i++) {
        live.quote("1.5000", "20", "1.5004", "10")
        yield* Effect.sleep("100 millis")
      }
      const whileStreaming = tickerReads
      // quiet for more than a second: polled again
      yield* Effect.sleep("1300 millis")
      expect(tickerReads).toBeGreaterThan(whileStreaming)
      // at most the read at start and one from before the first streamed quote
      expect(whileStreaming).toBeLessThanOrEqual(2)
    })))

  it.scoped("settles each funding time once, at the rate announced last before it, on the position then held", () =>
    Effect.gen(function*() {
      const funding = yield* Ref.make(quote(HOUR, "0.0001", "1.5"))
      const paper = yield* paperVenue(funding)
      yield* paper.placeMarket({ side: "buy", qty: decimal("2"), clientId: "c1" })
      // the announcement changes twice before the funding time; the last read (2 s before) counts
      yield* TestClock.adjust(HOUR - 60_000)
      yield* Ref.set(funding, quote(HOUR, "0.0002", "1.6"))
      yield* TestClock.adjust(50_000)
      yield* Ref.set(funding, quote(HOUR, "0.0003", "1.7"))
      yield* TestClock.adjust(9_000) // 1 s before: the final read has happened
      expect(yield* amounts(paper)).toEqual([])
      yield* Ref.set(funding, quote(2 * HOUR, "-0.0005", "1.8")) // the venue rolls over at the funding time
      yield* TestClock.adjust(1_000)
      // long 2 at mark 1.7, rate +0.0003: longs pay 2 × 1.7 × 0.0003
      expect(yield* amounts(paper)).toEqual([[HOUR, "0.0003", "1.7", "2", "-0.00102"]])
      yield* TestClock.adjust(HOUR / 2)
      expect((yield* amounts(paper)).length).toBe(1)
      // flat at the next funding time: nothing is paid
      yield* paper.placeMarket({ side: "sell", qty: decimal("2"), clientId: "c2" })
      yield* TestClock.adjust(HOUR)
      expect((yield* amounts(paper)).length).toBe(1)
      // a short receives a positive rate
      yield* paper.placeMarket({ side: "sell", qty: decimal("3"), clientId: "c3" })
      yield* Ref.set(funding, quote(4 * HOUR, "0.0001", "2"))
      yield* TestClock.adjust(2 * HOUR)
      const all = yield* amounts(paper)
      expect(all[1]).toEqual([4 * HOUR, "0.0001", "2", "-3", "0.0006"])
      expect(s((yield* paper.fundingPayments!(3 * HOUR)).reduce((sum, p) => BigDecimal.sum(sum, p.amount), decimal("0")))).toBe("0.0006")
    }))

  it.scoped("a venue that stops answering: the funding time is still settled at the last rate read", () =>
    Effect.gen(function*() {
      const funding = yield* Ref.make(quote(HOUR, "0.0004", "1.5"))
      const paper = yield* paperVenue(funding)
      yield* paper.placeMarket({ side: "sell", qty: decimal("1"), clientId: "c1" })
      yield* TestClock.adjust(HOUR - 45_000)
      yield* Ref.set(funding, { _tag: "down" })
      yield* TestClock.adjust(45_000)
      expect(yield* amounts(paper)).toEqual([[HOUR, "0.0004", "1.5", "-1", "0.0006"]])
      // back up, already announcing the next time: nothing is settled twice
      yield* Ref.set(funding, quote(2 * HOUR, "0.0001", "1.5"))
      yield* TestClock.adjust(30_000)
      expect((yield* amounts(paper)).length).toBe(1)
    }))

  it.effect("a venue clock running ahead rolls over just before our time: settled once; a schedule moved far ahead: not settled", () =>
    Effect.gen(function*() {
      const announced = yield* Ref.make(Option.some<FundingQuote>({ fundingTime: HOUR, rate: decimal("0.0001"), markPrice: decimal("1") }))
      const settled: Array<[number, string]> = []
      const fiber = yield* Effect.fork(settleFundingOnTime(Ref.get(announced), (q) => settled.push([q.fundingTime, s(q.rate)]), "paper funding"))
      // an hour early the venue moves its schedule: the abandoned time is never settled
      yield* TestClock.adjust(1_000)
      yield* Ref.set(announced, Option.some<FundingQuote>({ fundingTime: 4 * HOUR, rate: decimal("0.0002"), markPrice: decimal("1") }))
      yield* TestClock.adjust(HOUR)
      expect(settled).toEqual([])
      // the venue rolls over 1 s before our clock reaches 4 h (its clock runs ahead)
      yield* TestClock.adjust(3 * HOUR - 2_000 - 1_000 - 1)
      yield* Ref.set(announced, Option.some<FundingQuote>({ fundingTime: 8 * HOUR, rate: decimal("0.0003"), markPrice: decimal("1") }))
      yield* TestClock.adjust(2_000)
      expect(settled).toEqual([[4 * HOUR, "0.0002"]])
      yield* TestClock.adjust(4 * HOUR) // one millisecond before 8 h
      expect(settled.length).toBe(1)
      yield* TestClock.adjust(1)
      expect(settled).toEqual([[4 * HOUR, "0.0002"], [8 * HOUR, "0.0003"]])
      yield* Fiber.interrupt(fiber)
    }))
})
