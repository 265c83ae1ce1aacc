/**
 * Start-up reconciliation against in-memory venues: the local exchange's venue book (the
 * backtest's matching engine plus accounts, positions and balances), wrapped as an Exchange by
 * bookExchange, as the paper exchange is. A "previous process" leaves orders and fills on the venues,
 * then `reconcile` is run as the runner would run it.
 */
import { describe, expect, it } from "@effect/vitest"
import { BigDecimal, Cause, Effect, Exit, Logger, Option, Schedule } from "effect"
import { type Decimal, decimal, decimalsOf, formatDecimal, toUnits, ZERO } from "../src/core/domain/decimal"
import type { Instrument } from "../src/core/domain/instrument"
import type { MarketOrderRequest, Order, Side } from "../src/core/domain/order"
import { VenueUnavailable } from "../src/core/errors"
import { type Exchange, HedgeVenue, MakerVenue } from "../src/core/exchange"
import { describeReconcile, reconcile, type ReconcileParams, type ReconcileSummary } from "../src/live/reconcile"
import { bookExchange, refusalOf } from "../src/sim/local-exchange/book-exchange"
import { type LocalVenueBook, makeLocalVenue } from "../src/sim/local-exchange/venue-book"
import type { ImpactModel } from "../src/sim/models/impact"
import { PERP } from "./support/fake-local-venue"

const T0 = 1_760_000_000_000
const ACCOUNT = "me"
const PREFIX = "hl"

const MAKER: Instrument = PERP

/** a coarser step than the maker's and a 5 USDT minimum notional, so rounding and minimums show */
const FUTURES: Instrument = {
  venue: "aster-futures",
  symbol: "ASTERUSDT",
  base: "ASTER",
  quote: "USDT",
  kind: "perp",
  tickSize: decimal("0.0001"),
  stepSize: decimal("0.1"),
  minQty: decimal("0.1"),
  minNotional: decimal("5")
}

const SPOT: Instrument = { ...FUTURES, venue: "aster-spot", kind: "spot" }

interface VenueOptions {
  readonly startingBase?: string
  readonly impact?: ImpactModel
  /** a market order that executes nothing comes back as an "expired" order (Aster's answer to an unfillable IOC) instead of an error */
  readonly zeroFillAsExpired?: boolean
}

interface TestVenue {
  readonly book: LocalVenueBook
  readonly exchange: Exchange
  /** every order call the Exchange received */
  readonly markets: Array<MarketOrderRequest>
  readonly cancels: Array<string>
  readonly quote: (bid: string, bidQty: string, ask: string, askQty: string) => void
  readonly trade: (price: string, qty: string, takerSide: Side) => void
  /** an order placed directly on the book by "a previous process" or by hand (not through the Exchange) */
  readonly rest: (clientId: string, side: Side, price: string, qty: string) => Order
  readonly take: (clientId: string, side: Side, qty: string) => Order
  /** the signed position as the venue reports it (spot: the whole base balance) */
  readonly held: () => Decimal
}

const makeVenue = (instrument: Instrument, options: VenueOptions = {}): TestVenue => {
  let now = T0
  const priceScale = decimalsOf(instrument.tickSize)
  const qtyScale = decimalsOf(instrument.stepSize)
  const book = makeLocalVenue({
    instrument,
    priceScale,
    qtyScale,
    fees: { maker: decimal("0.0002"), taker: decimal("0.0005") },
    startingBalances: () =>
      new Map([
        [instrument.quote, decimal("100000")],
        [instrument.base, decimal(options.startingBase ?? "0")]
      ]),
    clock: () => now,
    ...(options.impact !== undefined ? { impact: options.impact } : {})
  })
  const p = (s: string) => Number(toUnits(decimal(s), priceScale))
  const q = (s: string) => Number(toUnits(decimal(s), qtyScale))
  const tick = () => (now += 10) * 1000
  const markets: Array<MarketOrderRequest> = []
  const cancels: Array<string> = []
  const held = () => {
    if (instrument.kind === "perp") return book.position(ACCOUNT)
    const base = book.balances(ACCOUNT).find((b) => b.asset === instrument.base)
    return base === undefined ? ZERO : BigDecimal.normalize(BigDecimal.sum(base.free, base.locked))
  }
  const base = bookExchange(book, ACCOUNT, {
    ticker: Effect.suspend(() => {
      const t = book.ticker()
      return t === undefined ? Effect.fail(new VenueUnavailable({ venue: instrument.venue, reason: "no quote yet" })) : Effect.succeed(t)
    }),
    nextUpdate: () => Effect.succeed(Option.none()),
    nextFundingTime: Effect.succeed(Option.none())
  })
  // the book's Exchange, recording the order calls, moving the venue clock, and reporting a
  // spot venue's position as the whole base balance (as Aster spot does)
  const exchange: Exchange = {
    ...base,
    placeMarket: (request) =>
      Effect.suspend(() => {
        markets.push(request)
        now += 10
        if (options.zeroFillAsExpired !== true) return base.placeMarket(request)
        const order = book.placeMarket(ACCOUNT, request)
        if (order.status !== "rejected" || BigDecimal.isPositive(order.filledQty)) return Effect.succeed(order)
        // the engine's own "nothing executed" carries no reject code (filter rejects do)
        return order.rejectCode === undefined ? Effect.succeed({ ...order, status: "expired" as const }) : Effect.fail(refusalOf(book, order))
      }),
    cancel: (orderId) =>
      Effect.suspend(() => {
        cancels.push(orderId)
        now += 10
        return base.cancel(orderId)
      }),
    position: Effect.sync(() => ({ venue: instrument.venue, symbol: instrument.symbol, qty: held() }))
  }
  const ok = (order: Order & { readonly rejectCode?: string }) => {
    if (order.status === "rejected") throw new Error(`set-up order refused: ${order.rejectReason}`)
    return order
  }
  return {
    book,
    exchange,
    markets,
    cancels,
    held,
    quote: (bid, bidQty, ask, askQty) => book.feed.quote(tick(), p(bid), q(bidQty), p(ask), q(askQty)),
    trade: (price, qty, takerSide) => book.feed.trade(tick(), p(price), q(qty), takerSide === "buy"),
    rest: (clientId, side, price, qty) => {
      now += 10
      return ok(book.placeLimit(ACCOUNT, { clientId, side, price: decimal(price), qty: decimal(qty), postOnly: true, timeInForce: "GTC" }))
    },
    take: (clientId, side, qty) => {
      now += 10
      return ok(book.placeMarket(ACCOUNT, { clientId, side, qty: decimal(qty) }))
    }
  }
}

/** Both venues quoted around 2 (maker 2.0000/2.0010, hedge 1.9990/2.0000). */
const setUp = (hedgeInstrument: Instrument = FUTURES, hedgeOptions: VenueOptions = {}) => {
  const maker = makeVenue(MAKER)
  const hedge = makeVenue(hedgeInstrument, hedgeOptions)
  maker.quote("2.0000", "500", "2.0010", "500")
  hedge.quote("1.9990", "500", "2.0000", "500")
  return { maker, hedge }
}

/** no delays: retries happen at once, so the tests need no clock */
const params = (extra: Partial<ReconcileParams> = {}): ReconcileParams => ({
  clientIdPrefix: PREFIX,
  maxAutoHedge: decimal("20"),
  retry: Schedule.recurs(2),
  ...extra
})

const run = (maker: TestVenue, hedge: TestVenue, p: ReconcileParams) => {
  const logs: Array<string> = []
  const collector = Logger.make(({ logLevel, message }) => {
    logs.push(`${logLevel.label} ${(Array.isArray(message) ? message : [message]).map(String).join(" ")}`)
  })
  const effect = reconcile(p).pipe(
    Effect.provideService(MakerVenue, maker.exchange),
    Effect.provideService(HedgeVenue, hedge.exchange),
    Effect.provide(Logger.add(collector)),
    Effect.exit
  )
  return Effect.map(effect, (exit) => ({ exit, logs }))
}

const success = <A, E>(exit: Exit.Exit<A, E>): A => {
  if (Exit.isSuccess(exit)) return exit.value
  throw new Error(`expected success, got ${Cause.pretty(exit.cause)}`)
}

const failure = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${JSON.stringify(exit.value)}`)
  return Option.getOrThrowWith(Cause.failureOption(exit.cause), () => new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`))
}

const s = formatDecimal
/** the cross-venue net once everything is done, as the venues report it */
const netAfter = (maker: TestVenue, hedge: TestVenue, baseline: Decimal = ZERO) =>
  BigDecimal.normalize(BigDecimal.sum(maker.held(), BigDecimal.subtract(hedge.held(), baseline)))

const hedgedQty = (summary: ReconcileSummary) => summary.hedges.map((o) => `${o.side} ${s(o.filledQty)}`)

describe("reconcile: orders", () => {
  it.effect("a flat account with nothing open: nothing is sent, the summary is empty", () =>
    Effect.gen(function*() {
      const { maker, hedge } = setUp()
      const { exit, logs } = yield* run(maker, hedge, params())
      const summary = success(exit)
      expect(summary.found).toEqual([])
      expect(summary.cancelled).toEqual([])
      expect(summary.foreign).toEqual([])
      expect(summary.hedges).toEqual([])
      expect(s(summary.makerPosition)).toBe("0")
      expect(s(summary.hedgePosition)).toBe("0")
      expect(s(summary.imbalance)).toBe("0")
      expect(s(summary.residual)).toBe("0")
      expect(maker.markets.length + maker.cancels.length + hedge.markets.length + hedge.cancels.length).toBe(0)
      expect(logs.filter((l) => l.startsWith("WARN"))).toEqual([])
      expect(describeReconcile(summary)).toBe(
        "reconciled: 0 open orders (0 ours cancelled with 0 filled, 0 foreign left alone); positions 0 + 0 = imbalance 0; hedged nothing; residual 0"
      )
    }))

  it.effect("our stale resting maker order is cancelled, and the part it filled is hedged", () =>
    Effect.gen(function*() {
      const { maker, hedge } = setUp()
      // the previous process's leg-1 sell, inside the spread: 4 of 10 filled before it died
      const stale = maker.rest("hl-1700000000000-7", "sell", "2.0005", "10")
      maker.trade("2.0005", "4", "buy")
      expect(s(maker.book.order(ACCOUNT, { orderId: stale.id })!.filledQty)).toBe("4")
      expect(s(maker.held())).toBe("-4")

      const { exit, logs } = yield* run(maker, hedge, params())
      const summary = success(exit)
      expect(summary.found.map((o) => o.id)).toEqual([stale.id])
      expect(summary.cancelled).toHaveLength(1)
      expect(summary.cancelled[0]).toMatchObject({ id: stale.id, status: "cancelled", side: "sell" })
      expect(s(summary.cancelled[0]!.filledQty)).toBe("4")
      expect(summary.foreign).toEqual([])
      expect(maker.cancels).toEqual([stale.id])
      expect(maker.book.openOrders(ACCOUNT)).toEqual([])
      expect(maker.markets).toEqual([])
      // short 4 on the maker: bought 4 on the hedge venue
      expect(s(summary.makerPosition)).toBe("-4")
      expect(s(summary.imbalance)).toBe("-4")
      expect(hedge.markets.map((r) => `${r.side} ${s(r.qty)}`)).toEqual(["buy 4"])
      expect(hedge.markets[0]!.clientId.startsWith(PREFIX)).toBe(true)
      expect(hedgedQty(summary)).toEqual(["buy 4"])
      expect(s(summary.residual)).toBe("0")
      expect(s(hedge.held())).toBe("4")
      expect(s(netAfter(maker, hedge))).toBe("0")
      expect(logs.some((l) => l.includes("cancelled stale") && l.includes(stale.id))).toBe(true)
      expect(describeReconcile(summary)).toBe(
        "reconciled: 1 open orders (1 ours cancelled with 4 filled, 0 foreign left alone); positions -4 + 0 = imbalance -4; hedged buy 4; residual 0"
      )
    }))

  it.effect("a fill that races the cancel is hedged too (positions are read after the cancels)", () =>
    Effect.gen(function*() {
      const { maker, hedge } = setUp()
      const stale = maker.rest("hl-1-1", "buy", "2.0005", "10")
      const realCancel = maker.exchange.cancel
      // the venue fills 6 more an instant before our cancel arrives
      const racing: Exchange = {
        ...maker.exchange,
        cancel: (orderId) => Effect.zipRight(Effect.sync(() => maker.trade("2.0005", "6", "sell")), realCancel(orderId))
      }
      const { exit } = yield* run({ ...maker, exchange: racing }, hedge, params())
      const summary = success(exit)
      expect(summary.found[0]!.filledQty).toEqual(ZERO)
      expect(s(summary.cancelled[0]!.filledQty)).toBe("6")
      expect(summary.cancelled[0]!.id).toBe(stale.id)
      expect(s(summary.makerPosition)).toBe("6")
      expect(hedgedQty(summary)).toEqual(["sell 6"])
      expect(s(netAfter(maker, hedge))).toBe("0")
    }))

  it.effect("orders that are not ours are left resting and reported; isOwn recognises ours without the prefix", () =>
    Effect.gen(function*() {
      const { maker, hedge } = setUp()
      const manual = maker.rest("web-123", "sell", "2.5000", "3")
      const anonymous = maker.rest("", "buy", "1.5000", "2")
      // Backpack hands a previous process's client id back as a 32-bit number
      const hashed = maker.rest("3735928559", "sell", "2.2000", "10")
      const hedgeForeign = hedge.rest("other-bot-1", "buy", "1.0000", "10")
      const hedgeOurs = hedge.rest("hl-1-9", "sell", "3.0000", "10")
      const { exit, logs } = yield* run(maker, hedge, params({ isOwn: (o) => o.clientId === "3735928559" }))
      const summary = success(exit)
      expect(summary.found.map((o) => o.id).sort()).toEqual([manual.id, anonymous.id, hashed.id, hedgeForeign.id, hedgeOurs.id].sort())
      expect(summary.foreign.map((o) => o.id).sort()).toEqual([manual.id, anonymous.id, hedgeForeign.id].sort())
      expect(summary.cancelled.map((o) => o.id).sort()).toEqual([hashed.id, hedgeOurs.id].sort())
      expect(summary.cancelled.every((o) => o.status === "cancelled")).toBe(true)
      expect(maker.cancels).toEqual([hashed.id])
      expect(hedge.cancels).toEqual([hedgeOurs.id])
      // the foreign ones still rest, untouched
      expect(maker.book.openOrders(ACCOUNT).map((o) => o.id).sort()).toEqual([manual.id, anonymous.id].sort())
      expect(hedge.book.openOrders(ACCOUNT).map((o) => o.id)).toEqual([hedgeForeign.id])
      expect(summary.hedges).toEqual([])
      expect(hedge.markets).toEqual([])
      const warnings = logs.filter((l) => l.startsWith("WARN"))
      expect(warnings).toHaveLength(3)
      expect(warnings.every((w) => w.includes("not ours: left alone"))).toBe(true)
      expect(warnings.some((w) => w.includes(manual.id) && w.includes("web-123"))).toBe(true)
      expect(describeReconcile(summary)).toContain("5 open orders (2 ours cancelled with 0 filled, 3 foreign left alone)")
    }))

  it.effect("a prefix is matched at the start of the client id only", () =>
    Effect.gen(function*() {
      const { maker, hedge } = setUp()
      const lookalike = maker.rest("xhl-1", "sell", "2.5000", "3")
      const summary = success((yield* run(maker, hedge, params())).exit)
      expect(summary.foreign.map((o) => o.id)).toEqual([lookalike.id])
      expect(summary.cancelled).toEqual([])
      expect(maker.cancels).toEqual([])
    }))
})

describe("reconcile: the imbalance", () => {
  it.effect("net long: sold on the hedge venue, exactly", () =>
    Effect.gen(function*() {
      const { maker, hedge } = setUp()
      maker.take("hl-1-2", "buy", "7.5")
      const { exit, logs } = yield* run(maker, hedge, params())
      const summary = success(exit)
      expect(s(summary.makerPosition)).toBe("7.5")
      expect(s(summary.hedgePosition)).toBe("0")
      expect(s(summary.imbalance)).toBe("7.5")
      expect(hedge.markets.map((r) => `${r.side} ${s(r.qty)}`)).toEqual(["sell 7.5"])
      expect(summary.hedges[0]).toMatchObject({ venue: "aster-futures", type: "market", side: "sell", status: "filled" })
      expect(s(hedge.held())).toBe("-7.5")
      expect(s(netAfter(maker, hedge))).toBe("0")
      expect(s(summary.residual)).toBe("0")
      expect(logs.some((l) => l.includes("hedged the 7.5 imbalance") && l.includes("market sell 7.5 of 7.5"))).toBe(true)
    }))

  it.effect("net short across both venues: bought, exactly", () =>
    Effect.gen(function*() {
      const { maker, hedge } = setUp()
      maker.take("hl-1-2", "sell", "13")
      hedge.take("hl-1-3", "buy", "4.2")
      const summary = success((yield* run(maker, hedge, params())).exit)
      expect(s(summary.makerPosition)).toBe("-13")
      expect(s(summary.hedgePosition)).toBe("4.2")
      expect(s(summary.imbalance)).toBe("-8.8")
      expect(hedgedQty(summary)).toEqual(["buy 8.8"])
      expect(s(hedge.held())).toBe("13")
      expect(s(netAfter(maker, hedge))).toBe("0")
    }))

  it.effect("an imbalance off the hedge step is floored: the rest (below one step) is the residual", () =>
    Effect.gen(function*() {
      const { maker, hedge } = setUp()
      maker.take("hl-1-2", "sell", "3.27")
      const { exit, logs } = yield* run(maker, hedge, params())
      const summary = success(exit)
      expect(hedgedQty(summary)).toEqual(["buy 3.2"])
      expect(s(summary.residual)).toBe("-0.07")
      const net = netAfter(maker, hedge)
      expect(s(net)).toBe("-0.07")
      expect(BigDecimal.lessThan(BigDecimal.abs(net), FUTURES.stepSize)).toBe(true)
      expect(logs.some((l) => l.startsWith("WARN") && l.includes("-0.07 left unhedged"))).toBe(true)
    }))

  it.effect("a hedge the venue fills in parts is sent again until the imbalance is hedged", () =>
    Effect.gen(function*() {
      // the venue fills only the top of the book: 3 per market order
      const topOnly: ImpactModel = { walk: (_sign, qty, best, top) => [[best, Math.min(qty, top)]] }
      const { maker, hedge } = setUp(FUTURES, { impact: topOnly })
      hedge.quote("1.9990", "3", "2.0000", "3")
      maker.take("hl-1-2", "buy", "9")
      const summary = success((yield* run(maker, hedge, params())).exit)
      expect(hedge.markets.map((r) => `${r.side} ${s(r.qty)}`)).toEqual(["sell 9", "sell 6", "sell 3"])
      expect(hedgedQty(summary)).toEqual(["sell 3", "sell 3", "sell 3"])
      expect(summary.hedges.map((o) => o.status)).toEqual(["expired", "expired", "filled"])
      // every attempt has its own client id
      expect(new Set(hedge.markets.map((r) => r.clientId)).size).toBe(3)
      expect(s(netAfter(maker, hedge))).toBe("0")
      expect(s(summary.residual)).toBe("0")
    }))

  it.effect("after partial hedges, a remainder below the minimum notional is the residual", () =>
    Effect.gen(function*() {
      const topOnly: ImpactModel = { walk: (_sign, qty, best, top) => [[best, Math.min(qty, top)]] }
      const { maker, hedge } = setUp(FUTURES, { impact: topOnly })
      hedge.quote("1.9990", "3", "2.0000", "3")
      maker.take("hl-1-2", "buy", "7")
      const summary = success((yield* run(maker, hedge, params())).exit)
      // 1 × 1.999 is below 5 USDT: not sent
      expect(hedge.markets.map((r) => `${r.side} ${s(r.qty)}`)).toEqual(["sell 7", "sell 4"])
      expect(hedgedQty(summary)).toEqual(["sell 3", "sell 3"])
      expect(s(summary.residual)).toBe("1")
      expect(s(netAfter(maker, hedge))).toBe("1")
    }))

  it.effect("an imbalance at the limit is hedged; one step beyond it is refused and nothing is sent", () =>
    Effect.gen(function*() {
      const atLimit = setUp()
      atLimit.maker.take("hl-1-2", "sell", "20")
      const hedged = success((yield* run(atLimit.maker, atLimit.hedge, params())).exit)
      expect(hedgedQty(hedged)).toEqual(["buy 20"])

      const beyond = setUp()
      beyond.maker.take("hl-1-2", "sell", "20.01")
      const error = failure((yield* run(beyond.maker, beyond.hedge, params())).exit)
      expect(error._tag).toBe("ReconciliationRefused")
      expect(error.message).toContain("risk.max_auto_hedge 20")
      expect(error.message).toContain("imbalance is -20.01 ASTER")
      expect(error.message).toContain("backpack -20.01, aster-futures 0")
      expect(beyond.hedge.markets).toEqual([])
      expect(s(beyond.hedge.held())).toBe("0")
    }))

  it.effect("a large imbalance either way is refused", () =>
    Effect.gen(function*() {
      for (const side of ["buy", "sell"] as const) {
        const { maker, hedge } = setUp()
        hedge.take("hl-1-2", side, "25")
        const error = failure((yield* run(maker, hedge, params())).exit)
        expect(error._tag).toBe("ReconciliationRefused")
        expect(error.message).toMatch(/^start-up reconciliation refused to start trading: /)
        expect(error.message).toContain(`imbalance is ${side === "buy" ? "25" : "-25"} ASTER`)
        expect(error.message).toContain("risk.max_auto_hedge")
        expect(hedge.markets).toEqual([])
        expect(maker.markets).toEqual([])
      }
    }))

  it.effect("max_auto_hedge 0 refuses any imbalance, and passes a flat account", () =>
    Effect.gen(function*() {
      const flat = setUp()
      expect(success((yield* run(flat.maker, flat.hedge, params({ maxAutoHedge: ZERO }))).exit).hedges).toEqual([])
      const { maker, hedge } = setUp()
      maker.take("hl-1-2", "buy", "0.01")
      const error = failure((yield* run(maker, hedge, params({ maxAutoHedge: ZERO }))).exit)
      expect(error.message).toContain("beyond risk.max_auto_hedge 0")
      expect(hedge.markets).toEqual([])
    }))

  it.effect("a residual below the hedge venue's minimum notional is left and reported", () =>
    Effect.gen(function*() {
      // 2.4 at a bid of 1.999 is 4.8 USDT: below the 5 USDT minimum
      const { maker, hedge } = setUp()
      maker.take("hl-1-2", "buy", "2.4")
      const { exit, logs } = yield* run(maker, hedge, params())
      const summary = success(exit)
      expect(summary.hedges).toEqual([])
      expect(hedge.markets).toEqual([])
      expect(s(summary.imbalance)).toBe("2.4")
      expect(s(summary.residual)).toBe("2.4")
      expect(logs.some((l) => l.startsWith("WARN") && l.includes("2.4 left unhedged") && l.includes("aster-futures minimum"))).toBe(true)
      expect(describeReconcile(summary)).toContain("hedged nothing; residual 2.4")
    }))

  it.effect("just above the minimum notional it is hedged (min notional is judged at the lower of bid and last)", () =>
    Effect.gen(function*() {
      // 2.6 × 1.999 = 5.1974 ≥ 5
      const { maker, hedge } = setUp()
      maker.take("hl-1-2", "buy", "2.6")
      const summary = success((yield* run(maker, hedge, params())).exit)
      expect(hedgedQty(summary)).toEqual(["sell 2.6"])
      expect(s(summary.residual)).toBe("0")
    }))

  it.effect("the minimum notional of a sell is judged at the bid it will fill at, not the ask", () =>
    Effect.gen(function*() {
      // 2.5 × 2.0000 (ask) = 5, but 2.5 × 1.9990 (bid) = 4.9975: the venue would refuse the sell
      const { maker, hedge } = setUp()
      maker.take("hl-1-2", "buy", "2.5")
      const summary = success((yield* run(maker, hedge, params())).exit)
      expect(hedge.markets).toEqual([])
      expect(s(summary.residual)).toBe("2.5")
    }))

  it.effect("a residual below the hedge venue's minimum quantity is left and reported", () =>
    Effect.gen(function*() {
      const lot: Instrument = { ...FUTURES, minQty: decimal("1"), minNotional: ZERO }
      const { maker, hedge } = setUp(lot)
      maker.take("hl-1-2", "sell", "0.9")
      const summary = success((yield* run(maker, hedge, params())).exit)
      expect(summary.hedges).toEqual([])
      expect(hedge.markets).toEqual([])
      expect(s(summary.residual)).toBe("-0.9")
    }))

  it.effect("a hedge that executes nothing refuses to start", () =>
    Effect.gen(function*() {
      // price protection: the venue's IOC finds nothing it may take and expires unfilled
      const nothing: ImpactModel = { walk: () => [] }
      const { maker, hedge } = setUp(FUTURES, { impact: nothing, zeroFillAsExpired: true })
      maker.take("hl-1-2", "sell", "5")
      const error = failure((yield* run(maker, hedge, params())).exit)
      expect(error._tag).toBe("ReconciliationRefused")
      expect(error.message).toContain("the start-up hedge buy 5 on aster-futures executed nothing (expired")
      expect(hedge.markets).toHaveLength(1)
      expect(s(hedge.held())).toBe("0")
    }))

  it.effect("a hedge the venue refuses is retried, then the venue's error stops the start", () =>
    Effect.gen(function*() {
      const nothing: ImpactModel = { walk: () => [] }
      const { maker, hedge } = setUp(FUTURES, { impact: nothing })
      maker.take("hl-1-2", "sell", "5")
      const error = failure((yield* run(maker, hedge, params({ retry: Schedule.recurs(2) }))).exit)
      expect(error._tag).toBe("OrderRejected")
      // the first attempt and two retries
      expect(hedge.markets).toHaveLength(3)
      expect(s(hedge.held())).toBe("0")
    }))
})

describe("reconcile: spot hedge venue", () => {
  it.effect("without the journaled baseline it refuses, and sends no hedge", () =>
    Effect.gen(function*() {
      const { maker, hedge } = setUp(SPOT, { startingBase: "100" })
      maker.take("hl-1-2", "sell", "4")
      const error = failure((yield* run(maker, hedge, params())).exit)
      expect(error._tag).toBe("ReconciliationRefused")
      expect(error.message).toContain("aster-spot is spot")
      expect(error.message).toContain("whole ASTER balance (100)")
      expect(error.message).toContain("baseline")
      expect(hedge.markets).toEqual([])
    }))

  it.effect("even a flat-looking account is refused without the baseline: the balance alone says nothing", () =>
    Effect.gen(function*() {
      const { maker, hedge } = setUp(SPOT)
      const error = failure((yield* run(maker, hedge, params())).exit)
      expect(error._tag).toBe("ReconciliationRefused")
    }))

  it.effect("with the baseline: the change since it counts, and the imbalance is hedged", () =>
    Effect.gen(function*() {
      const { maker, hedge } = setUp(SPOT, { startingBase: "100" })
      const baseline = decimal("100")
      // the previous process: sold 10 on Backpack, bought 4 of its hedge on spot, then died
      maker.take("hl-1-2", "sell", "10")
      hedge.take("hl-1-3", "buy", "4")
      expect(s(hedge.held())).toBe("104")
      const summary = success((yield* run(maker, hedge, params({ hedgeBaseline: baseline }))).exit)
      expect(s(summary.hedgePosition)).toBe("4")
      expect(s(summary.imbalance)).toBe("-6")
      expect(hedgedQty(summary)).toEqual(["buy 6"])
      expect(s(hedge.held())).toBe("110")
      expect(s(netAfter(maker, hedge, baseline))).toBe("0")
    }))

  it.effect("with the baseline, a long imbalance is sold out of the spot balance", () =>
    Effect.gen(function*() {
      const { maker, hedge } = setUp(SPOT, { startingBase: "50" })
      const baseline = decimal("50")
      maker.take("hl-1-2", "buy", "8")
      const summary = success((yield* run(maker, hedge, params({ hedgeBaseline: baseline }))).exit)
      expect(s(summary.hedgePosition)).toBe("0")
      expect(hedgedQty(summary)).toEqual(["sell 8"])
      expect(s(hedge.held())).toBe("42")
      expect(s(netAfter(maker, hedge, baseline))).toBe("0")
    }))

  it.effect("with the baseline, a change beyond the limit is still refused", () =>
    Effect.gen(function*() {
      const { maker, hedge } = setUp(SPOT, { startingBase: "100" })
      const error = failure((yield* run(maker, hedge, params({ hedgeBaseline: decimal("70") }))).exit)
      expect(error.message).toContain("imbalance is 30 ASTER")
      expect(error.message).toContain("aster-spot 30")
      expect(error.message).toContain("risk.max_auto_hedge")
      expect(hedge.markets).toEqual([])
    }))
})
