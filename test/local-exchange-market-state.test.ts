/**
 * The local exchange changing a symbol's market state while it runs (a venue that stops, or
 * resumes, taking orders): the venue book's `changeMarketState`, the fault plan's `markets`
 * entries, both venues' wire protocols showing the state and refusing what it does not take, and
 * the real adapters reading the state back (`refreshInstrument`).
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { Effect, Either, Layer, Redacted, type Scope } from "effect"
import { describe, expect, it } from "vitest"
import { asterPath } from "../src/adapters/aster/client"
import { makeAsterExchange } from "../src/adapters/aster/exchange"
import { API_KEY_HEADER, signV1 } from "../src/adapters/aster/signing-v1"
import { makeBackpackExchange } from "../src/adapters/backpack/exchange"
import { makeSigner, signedHeaders } from "../src/adapters/backpack/signing"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import type { Venue } from "../src/core/domain/venue"
import { DEFAULT_TEST_ACCOUNT } from "../src/sim/local-exchange/accounts"
import { generateBackpackTestKey } from "../src/sim/local-exchange/bot-config"
import { type FaultPlan, makeFaults, parseFaultPlan } from "../src/sim/local-exchange/faults"
import { type LocalExchangeNotice, startLocalExchange } from "../src/sim/local-exchange/local-exchange"
import { scriptedMarket } from "../src/sim/local-exchange/market-feed"
import type { LocalVenue } from "../src/sim/local-exchange/types"
import { makeLocalVenue, type PlacedOrder } from "../src/sim/local-exchange/venue-book"
import { T0, writeScript } from "./support/scripted-market"
import { localInstrument } from "./support/local-instrument"

const d = decimal
const s = formatDecimal

// ---------------------------------------------------------------------------------------------
// The venue book
// ---------------------------------------------------------------------------------------------


/** A book quoted 2.0000 / 2.0010 with plenty of every asset. */
const setup = (venue: Venue = "backpack") => {
  const book = makeLocalVenue({
    instrument: localInstrument(venue),
    priceScale: 4,
    qtyScale: 2,
    fees: { maker: d("0.0001"), taker: d("0.00035") },
    startingBalances: () => new Map([["USDC", d("10000")], ["USDT", d("10000")], ["ASTER", d("1000")]]),
    ...(venue !== "aster-spot" ? { funding: { intervalHours: 4, rate: d("0.0001") } } : {}),
    clock: () => T0 + 60_000
  })
  const market = scriptedMarket(book)
  market.quote("2.0000", "100", "2.0010", "100")
  return { book, market }
}

const postOnlyBuy = (price: string) => ({ clientId: "", side: "buy" as const, price: d(price), qty: d("5"), postOnly: true, timeInForce: "GTC" as const })
const plainBuy = (price: string) => ({ ...postOnlyBuy(price), postOnly: false })
const marketBuy = { clientId: "", side: "buy" as const, qty: d("1") }

describe("venue book: changeMarketState", () => {
  it("starts open, and lists the state it is put in as the core reads it (Instrument.trading), filters untouched", () => {
    const { book } = setup("backpack")
    expect(book.instrument.trading).toEqual({ state: "Open", makerOrders: true, takerOrders: true })
    expect(book.changeMarketState("LimitOnly").trading).toEqual({ state: "LimitOnly", makerOrders: true, takerOrders: false })
    expect(book.instrument.trading).toEqual({ state: "LimitOnly", makerOrders: true, takerOrders: false })
    expect(book.changeMarketState("PostOnly").trading).toEqual({ state: "PostOnly", makerOrders: true, takerOrders: false })
    expect(book.changeMarketState("CancelOnly").trading).toEqual({ state: "CancelOnly", makerOrders: false, takerOrders: false })
    expect([s(book.instrument.tickSize), s(book.instrument.stepSize), book.instrument.symbol]).toEqual(["0.0001", "0.01", "ASTER_USDC_PERP"])
    // a filter change keeps the state
    expect(book.changeFilters({ tickSize: d("0.001") }).trading?.state).toBe("CancelOnly")

    const futures = setup("aster-futures").book
    expect(futures.instrument.trading).toEqual({ state: "TRADING", makerOrders: true, takerOrders: true })
    expect(futures.changeMarketState("SETTLING").trading).toEqual({ state: "SETTLING", makerOrders: false, takerOrders: false })
    expect(setup("aster-spot").book.changeMarketState("HALT").trading).toEqual({ state: "HALT", makerOrders: false, takerOrders: false })
  })

  it("refuses a word the venue does not use, listing its words, and keeps its state", () => {
    const { book } = setup("backpack")
    expect(() => book.changeMarketState("TRADING")).toThrow(
      `backpack has no market state "TRADING": expected one of "Open", "PostOnly", "LimitOnly", "CancelOnly", "Closed" on backpack, got "TRADING"`
    )
    expect(book.instrument.trading?.state).toBe("Open")
    expect(() => setup("aster-futures").book.changeMarketState("HALT")).toThrow(
      `expected one of "TRADING", "PENDING_TRADING", "PRE_SETTLE", "SETTLING", "CLOSE" on aster-futures, got "HALT"`
    )
    expect(() => setup("aster-spot").book.changeMarketState("SETTLING")).toThrow(
      `expected one of "TRADING", "BREAK", "HALT", "PRE_TRADING", "POST_TRADING", "END_OF_DAY", "AUCTION_MATCH" on aster-spot, got "SETTLING"`
    )
  })

  // [venue, state, takes a post-only limit, a plain limit, a market order]
  const table: ReadonlyArray<readonly [Venue, string, boolean, boolean, boolean]> = [
    ["backpack", "Open", true, true, true],
    ["backpack", "PostOnly", true, false, false],
    ["backpack", "LimitOnly", true, true, false],
    ["backpack", "CancelOnly", false, false, false],
    ["backpack", "Closed", false, false, false],
    ["aster-futures", "TRADING", true, true, true],
    ...["PENDING_TRADING", "PRE_SETTLE", "SETTLING", "CLOSE"].map((state) => ["aster-futures", state, false, false, false] as const),
    ["aster-spot", "TRADING", true, true, true],
    ...["BREAK", "HALT", "PRE_TRADING", "POST_TRADING", "END_OF_DAY", "AUCTION_MATCH"].map((state) => ["aster-spot", state, false, false, false] as const)
  ]

  it.each(table)("%s %s: takes a post-only limit %s, a plain limit %s, a market order %s; refuses the others as marketClosed", (venue, state, postOnly, plain, market) => {
    const { book } = setup(venue)
    book.changeMarketState(state)
    const outcome = (placed: PlacedOrder) =>
      placed.status === "rejected" ? [placed.rejectCode, placed.rejectReason?.startsWith(`order book is ${state}: it takes `)] : "taken"
    const refused = ["marketClosed", true]
    expect([outcome(book.placeLimit("a", postOnlyBuy("1.9990"))), outcome(book.placeLimit("a", plainBuy("1.9980"))), outcome(book.placeMarket("a", marketBuy))])
      .toEqual([postOnly ? "taken" : refused, plain ? "taken" : refused, market ? "taken" : refused])
  })

  it("the reason names the state and what it takes", () => {
    const { book } = setup("backpack")
    book.changeMarketState("PostOnly")
    expect(book.placeLimit("a", plainBuy("1.9980")).rejectReason).toBe("order book is PostOnly: it takes post-only limit orders only, not limit orders that are not post-only")
    expect(book.placeMarket("a", marketBuy).rejectReason).toBe("order book is PostOnly: it takes post-only limit orders only, not market orders")
    book.changeMarketState("LimitOnly")
    expect(book.placeMarket("a", marketBuy).rejectReason).toBe("order book is LimitOnly: it takes limit orders only, not market orders")
    book.changeMarketState("Closed")
    expect(book.placeLimit("a", postOnlyBuy("1.9990")).rejectReason).toBe("order book is Closed: it takes no new orders (cancels only)")
    const futures = setup("aster-futures").book
    futures.changeMarketState("SETTLING")
    expect(futures.placeMarket("a", marketBuy).rejectReason).toBe("order book is SETTLING: it takes no new orders (cancels only)")
  })

  it("orders resting when the market closes stay on the book, and can be cancelled", () => {
    const { book } = setup("backpack")
    const resting = book.placeLimit("a", postOnlyBuy("1.9990"))
    book.changeMarketState("CancelOnly")
    expect(book.openOrders("a").map((o) => o.id)).toEqual([resting.id])
    expect(book.cancel("a", { orderId: resting.id })?.status).toBe("cancelled")
    expect(book.openOrders("a")).toEqual([])
  })

  it("a resting order does not fill while the market takes no orders (prices still move), and fills again once it reopens", () => {
    const { book, market } = setup("aster-futures")
    const resting = book.placeLimit("a", { ...postOnlyBuy("2.0005"), side: "sell" })
    expect(resting.status).toBe("new")
    book.changeMarketState("SETTLING")
    // a taker buy through it, then a bid above it: either would fill it on an open market
    market.trade("2.0006", "100", "buy")
    market.quote("2.0006", "100", "2.0012", "100")
    expect(s(book.ticker()!.bid)).toBe("2.0006")
    expect(book.order("a", { orderId: resting.id })?.status).toBe("new")
    expect(book.fills("a")).toEqual([])
    book.changeMarketState("TRADING")
    market.trade("2.0007", "100", "buy")
    expect(book.order("a", { orderId: resting.id })?.status).toBe("filled")
    expect(book.fills("a").map((f) => [f.orderId, s(f.price), s(f.qty)])).toEqual([[resting.id, "2.0005", "5"]])
  })

  it("a market still taking some orders (Backpack PostOnly) keeps filling resting ones", () => {
    const { book, market } = setup("backpack")
    const resting = book.placeLimit("a", { ...postOnlyBuy("2.0005"), side: "sell" })
    book.changeMarketState("PostOnly")
    market.trade("2.0006", "100", "buy")
    expect(book.order("a", { orderId: resting.id })?.status).toBe("filled")
  })
})

// ---------------------------------------------------------------------------------------------
// The fault plan
// ---------------------------------------------------------------------------------------------

const plan = (text: string): FaultPlan => Either.getOrThrowWith(parseFaultPlan(text, "test plan"), (e) => new Error(e.message))
const problems = (text: string): ReadonlyArray<string> =>
  Either.match(parseFaultPlan(text, "plan.yaml"), { onLeft: (e) => e.message.split("\n").slice(1), onRight: () => [] })

describe("markets in a fault plan", () => {
  it("decodes entries in each venue's words", () => {
    const decoded = plan(`
markets:                      # the venue stops (or resumes) taking orders on its symbol
  - venue: aster-futures
    after_orders: 4
    state: SETTLING
    for_seconds: 15
  - venue: aster-futures
    after_seconds: 30
    state: TRADING
  - venue: backpack
    after_seconds: 0
    state: PostOnly
  - venue: aster-spot
    after_orders: 1
    state: AUCTION_MATCH
`)
    expect(decoded.markets).toEqual([
      { venue: "aster-futures", after_orders: 4, state: "SETTLING", for_seconds: 15 },
      { venue: "aster-futures", after_seconds: 30, state: "TRADING" },
      { venue: "backpack", after_seconds: 0, state: "PostOnly" },
      { venue: "aster-spot", after_orders: 1, state: "AUCTION_MATCH" }
    ])
    expect(plan(`{"markets":[{"venue":"backpack","after_orders":2,"state":"CancelOnly"}]}`).markets).toHaveLength(1)
    expect(plan("seed: 2").markets).toBeUndefined()
  })

  it("refuses a bad entry with a message naming the entry and key", () => {
    expect(problems(`
markets:
  - venue: backpack
    after_orders: 1
    state: Opne
  - venue: aster-futures
    after_seconds: 3
    state: HALT
  - venue: aster-spot
    after_orders: 1
    state: SETTLING
  - venue: backpack
    state: Closed
  - venue: aster-futures
    after_orders: 1
    after_seconds: 2
    state: CLOSE
  - venue: aster
    after_orders: 1
    state: TRADING
  - venue: backpack
    after_orders: 1
  - venue: backpack
    after_orders: 1
    state: 3
  - venue: backpack
    after_orders: 1
    status: Open
  - venue: backpack
    after_orders: 1
    state: Closed
    for_seconds: 0
`)).toEqual([
      `  - markets.0.state: expected one of "Open", "PostOnly", "LimitOnly", "CancelOnly", "Closed" on backpack, got "Opne"`,
      `  - markets.1.state: expected one of "TRADING", "PENDING_TRADING", "PRE_SETTLE", "SETTLING", "CLOSE" on aster-futures, got "HALT"`,
      `  - markets.2.state: expected one of "TRADING", "BREAK", "HALT", "PRE_TRADING", "POST_TRADING", "END_OF_DAY", "AUCTION_MATCH" on aster-spot, got "SETTLING"`,
      "  - markets.3.after_orders: missing: give after_orders (a count of order placements) or after_seconds",
      "  - markets.4.after_seconds: give either after_orders or after_seconds, not both",
      `  - markets.5.venue: expected one of "backpack", "aster-futures", "aster-spot", got "aster"`,
      "  - markets.6.state: missing (required)",
      `  - markets.7.state: Expected string, actual 3`,
      "  - markets.8.status: unknown key (check its spelling and section)",
      "  - markets.8.state: missing (required)",
      "  - markets.9.for_seconds: expected seconds (a whole number ≥ 1), got 0"
    ])
  })

  it("for_seconds: the market opens again that long after the entry's change, whichever trigger made it", () => {
    const faults = makeFaults(plan(`
markets:
  - venue: backpack
    after_orders: 2
    state: CancelOnly
    for_seconds: 10
  - venue: aster-futures
    after_seconds: 5
    state: SETTLING
    for_seconds: 3
`))
    const due = (venue: Venue, trigger: Parameters<typeof faults.marketChanges.due>[1]) =>
      faults.marketChanges.due(venue, trigger).map((p) => [p.entry, p.kind === "state" ? p.state : ""])
    expect(due("backpack", { kind: "orderPlaced", ms: 1_000 })).toEqual([])
    expect(due("backpack", { kind: "orderPlaced", ms: 4_000 })).toEqual([["markets.0", "CancelOnly"]])
    // reopenings come with time, 10 s after the change (not after the exchange's start)
    expect(due("backpack", { kind: "elapsed", ms: 13_999 })).toEqual([])
    expect(due("aster-futures", { kind: "elapsed", ms: 20_000 })).toEqual([["markets.1", "SETTLING"]])
    expect(due("backpack", { kind: "elapsed", ms: 20_000 })).toEqual([["markets.0.for_seconds", "Open"]])
    expect(due("backpack", { kind: "elapsed", ms: 30_000 })).toEqual([])
    expect(due("aster-futures", { kind: "elapsed", ms: 22_999 })).toEqual([])
    expect(due("aster-futures", { kind: "elapsed", ms: 23_000 })).toEqual([["markets.1.for_seconds", "TRADING"]])
    // a new plan drops the reopenings still to come
    Effect.runSync(faults.setPlan(plan(`markets: [{ venue: backpack, after_orders: 1, state: Closed, for_seconds: 1 }]`)))
    expect(due("backpack", { kind: "orderPlaced", ms: 30_000 })).toEqual([["markets.0", "Closed"]])
    Effect.runSync(faults.clear)
    expect(due("backpack", { kind: "elapsed", ms: 99_000 })).toEqual([])
  })


  it("makes each change due once, counting a venue's placements across filters and markets", () => {
    const faults = makeFaults(plan(`
filters:
  - venue: backpack
    after_orders: 2
    tick_size: "0.001"
markets:
  - venue: backpack
    after_orders: 1
    state: PostOnly
  - venue: backpack
    after_orders: 2
    state: CancelOnly
  - venue: aster-spot
    after_seconds: 5
    state: HALT
`))
    const due = (venue: Venue, trigger: Parameters<typeof faults.marketChanges.due>[1]) =>
      faults.marketChanges.due(venue, trigger).map((p) => [p.entry, p.venue, p.kind === "state" ? p.state : Object.keys(p.change).join(",")])
    expect(faults.marketChanges.planned().map((p) => [p.kind, p.entry])).toEqual([["filters", "filters.0"], ["state", "markets.0"], ["state", "markets.1"], ["state", "markets.2"]])
    expect(due("aster-spot", { kind: "orderPlaced", ms: 0 })).toEqual([])
    expect(due("backpack", { kind: "orderPlaced", ms: 0 })).toEqual([["markets.0", "backpack", "PostOnly"]])
    expect(due("backpack", { kind: "orderPlaced", ms: 0 })).toEqual([["filters.0", "backpack", "tickSize"], ["markets.1", "backpack", "CancelOnly"]])
    expect(due("backpack", { kind: "orderPlaced", ms: 0 })).toEqual([])
    expect(due("aster-spot", { kind: "elapsed", ms: 4_999 })).toEqual([])
    expect(due("backpack", { kind: "elapsed", ms: 60_000 })).toEqual([])
    expect(due("aster-spot", { kind: "elapsed", ms: 5_000 })).toEqual([["markets.2", "aster-spot", "HALT"]])
    expect(due("aster-spot", { kind: "elapsed", ms: 9_000 })).toEqual([])

    // a new plan starts its counts again; clear drops what was not made yet
    Effect.runSync(faults.setPlan(plan(`markets: [{ venue: backpack, after_orders: 1, state: Closed }, { venue: backpack, after_orders: 2, state: Open }]`)))
    expect(due("backpack", { kind: "orderPlaced", ms: 0 })).toEqual([["markets.0", "backpack", "Closed"]])
    Effect.runSync(faults.clear)
    expect(due("backpack", { kind: "orderPlaced", ms: 0 })).toEqual([])
    expect(faults.marketChanges.planned()).toEqual([])
    expect((Effect.runSync(faults.plan)).markets).toEqual([])
  })
})

// ---------------------------------------------------------------------------------------------
// Over the wire
// ---------------------------------------------------------------------------------------------

/** A minute of both venues quoting (Backpack 1.9990/2.0010, Aster 1.9995/2.0005), starting now. */
const quotes = () =>
  writeScript(
    Array.from({ length: 60 }, (_, t) => [
      { t: t * 1000, venue: "bp" as const, quote: ["1.9990", "100", "2.0010", "100"] as const },
      { t: t * 1000, venue: "as" as const, quote: ["1.9995", "100", "2.0005", "100"] as const }
    ]).flat(),
    { startMs: Date.now() }
  )

const quoted = (venue: LocalVenue) =>
  Effect.gen(function*() {
    for (let i = 0; i < 150 && venue.ticker() === undefined; i++) yield* Effect.sleep("20 millis")
    if (venue.ticker() === undefined) return yield* Effect.die(new Error(`${venue.venue} never quoted`))
  })

const getJson = (url: string) => Effect.promise(async () => (await (await fetch(url)).json()) as any)

const run = (effect: Effect.Effect<void, unknown, Scope.Scope>) => Effect.runPromise(Effect.scoped(effect))

const start = (faults = makeFaults(), notices: Array<LocalExchangeNotice> = []) =>
  startLocalExchange({ dbPath: quotes(), portBackpack: 0, portAster: 0, portAsterSpot: 0, faults, onNotice: (n) => notices.push(n) })

/** A signed Aster V1 request (futures or spot) with the default test account. */
const aster = (baseUrl: string, market: "futures" | "spot", method: "POST" | "DELETE", name: string, params: ReadonlyArray<readonly [string, string]>) =>
  Effect.promise(async () => {
    const signed = signV1(Redacted.make(DEFAULT_TEST_ACCOUNT.asterApiSecret), params, { timestamp: Date.now(), recvWindow: 5000 }).signed
    const res = await fetch(`${baseUrl}${asterPath(market, "v1", name)}`, {
      method,
      body: signed,
      headers: { [API_KEY_HEADER]: DEFAULT_TEST_ACCOUNT.asterApiKey, "content-type": "application/x-www-form-urlencoded" }
    })
    return { status: res.status, body: (await res.json()) as any }
  })
const asterLimit = (baseUrl: string, market: "futures" | "spot", price: string, tif: "GTX" | "GTC" = "GTX") =>
  aster(baseUrl, market, "POST", "order", [["symbol", "ASTERUSDT"], ["side", "BUY"], ["type", "LIMIT"], ["timeInForce", tif], ["quantity", "5"], ["price", price]])
const asterMarket = (baseUrl: string, market: "futures" | "spot") =>
  aster(baseUrl, market, "POST", "order", [["symbol", "ASTERUSDT"], ["side", "BUY"], ["type", "MARKET"], ["quantity", "5"]])
const asterStatus = (baseUrl: string, market: "futures" | "spot") =>
  Effect.map(getJson(`${baseUrl}${asterPath(market, "v1", "exchangeInfo")}`), (info) => info.symbols[0].status as string)

const ASTER_CLOSED = { code: -4140, msg: "Invalid symbol status for opening position." }

/** A signed Backpack request with a fresh test key. */
const backpack = (baseUrl: string, key: ReturnType<typeof generateBackpackTestKey>) => {
  const signer = Either.getOrThrow(makeSigner(Redacted.make(key.secretKeyB64), Redacted.make(key.publicKeyB64)))
  const send = (method: "POST" | "DELETE", instruction: string, body: Record<string, string | boolean>) =>
    Effect.promise(async () => {
      const headers = signedHeaders(signer, { instruction, body, timestamp: Date.now(), window: 5000 })
      const res = await fetch(`${baseUrl}/api/v1/order`, { method, body: JSON.stringify(body), headers: { ...headers, "content-type": "application/json" } })
      return { status: res.status, body: (await res.json()) as any }
    })
  const symbol = "ASTER_USDC_PERP"
  return {
    limit: (price: string, postOnly = true) => send("POST", "orderExecute", { symbol, side: "Bid", orderType: "Limit", price, quantity: "5", postOnly, timeInForce: "GTC" }),
    market: () => send("POST", "orderExecute", { symbol, side: "Bid", orderType: "Market", quantity: "5" }),
    cancel: (orderId: string) => send("DELETE", "orderCancel", { symbol, orderId }),
    /** orderBookState as GET /api/v1/market and /api/v1/markets list it */
    state: Effect.all([
      Effect.map(getJson(`${baseUrl}/api/v1/market?symbol=${symbol}`), (m) => m.orderBookState as string),
      Effect.map(getJson(`${baseUrl}/api/v1/markets`), (ms) => ms[0].orderBookState as string)
    ])
  }
}

const backpackClosed = (message: string) => ({ code: "INVALID_ORDER", message })

describe("market state changes through the real servers", () => {
  it("after_orders: Aster futures lists SETTLING right after its Nth order, refuses every new order with -4140 and takes cancels", () =>
    run(Effect.gen(function*() {
      const notices: Array<LocalExchangeNotice> = []
      const { urls, venues } = yield* start(makeFaults(plan(`markets: [{ venue: aster-futures, after_orders: 2, state: SETTLING }]`)), notices)
      yield* quoted(venues.asterFutures)
      expect(yield* asterStatus(urls.asterFutures, "futures")).toBe("TRADING")
      const first = yield* asterLimit(urls.asterFutures, "futures", "1.9000")
      expect([first.status, first.body.status]).toEqual([200, "NEW"])
      expect(yield* asterStatus(urls.asterFutures, "futures")).toBe("TRADING")
      expect(notices).toEqual([])
      const second = yield* asterLimit(urls.asterFutures, "futures", "1.9005")
      expect([second.status, second.body.status]).toEqual([200, "NEW"])
      expect(yield* asterStatus(urls.asterFutures, "futures")).toBe("SETTLING")
      expect(notices.map((n) => [n.kind, n.venue, n.entry, n.message])).toEqual([
        ["marketStateChanged", "aster-futures", "markets.0", "aster-futures ASTERUSDT market state TRADING → SETTLING (markets.0)"]
      ])

      // a post-only limit, a plain limit and a market order: each refused in Aster's format
      for (const refused of [yield* asterLimit(urls.asterFutures, "futures", "1.9010"), yield* asterLimit(urls.asterFutures, "futures", "1.9010", "GTC"), yield* asterMarket(urls.asterFutures, "futures")])
        expect([refused.status, refused.body]).toEqual([400, ASTER_CLOSED])
      // the orders resting from before stay, and a cancel is taken
      const account = DEFAULT_TEST_ACCOUNT.account
      expect(venues.asterFutures.openOrders(account).map((o) => s(o.price!)).sort()).toEqual(["1.9", "1.9005"])
      const cancelled = yield* aster(urls.asterFutures, "futures", "DELETE", "order", [["symbol", "ASTERUSDT"], ["orderId", String(first.body.orderId)]])
      expect([cancelled.status, cancelled.body.status]).toEqual([200, "CANCELED"])
      expect(venues.asterFutures.openOrders(account).map((o) => s(o.price!))).toEqual(["1.9005"])
      // the other venues are untouched
      expect(yield* asterStatus(urls.asterSpot, "spot")).toBe("TRADING")
      expect(yield* backpack(urls.backpack, generateBackpackTestKey()).state).toEqual(["Open", "Open"])
    })), 30_000)

  it("after_seconds: Aster spot halts when its time comes, refuses orders with -4140, and takes them again once TRADING", () =>
    run(Effect.gen(function*() {
      const notices: Array<LocalExchangeNotice> = []
      const started = Date.now()
      const { urls, venues } = yield* start(makeFaults(plan(`markets: [{ venue: aster-spot, after_seconds: 1, state: HALT }]`)), notices)
      yield* quoted(venues.asterSpot)
      expect(yield* asterStatus(urls.asterSpot, "spot")).toBe("TRADING")
      let status = "TRADING"
      while (Date.now() - started < 5000 && status === "TRADING") {
        yield* Effect.sleep("50 millis")
        status = yield* asterStatus(urls.asterSpot, "spot")
      }
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000)
      expect(status).toBe("HALT")
      expect(notices.map((n) => n.message)).toEqual(["aster-spot ASTERUSDT market state TRADING → HALT (markets.0)"])
      const refused = yield* asterMarket(urls.asterSpot, "spot")
      expect([refused.status, refused.body]).toEqual([400, ASTER_CLOSED])
      const refusedLimit = yield* asterLimit(urls.asterSpot, "spot", "1.9000", "GTC")
      expect([refusedLimit.status, refusedLimit.body]).toEqual([400, ASTER_CLOSED])
      expect(yield* asterStatus(urls.asterFutures, "futures")).toBe("TRADING")

      venues.asterSpot.changeMarketState("TRADING")
      expect(yield* asterStatus(urls.asterSpot, "spot")).toBe("TRADING")
      const taken = yield* asterMarket(urls.asterSpot, "spot")
      expect([taken.status, taken.body.status]).toEqual([200, "FILLED"])
    })), 30_000)

  it("Backpack: /api/v1/market(s) show orderBookState; each state refuses what it does not take with INVALID_ORDER naming the state; CancelOnly takes cancels", () =>
    run(Effect.gen(function*() {
      const notices: Array<LocalExchangeNotice> = []
      const { urls, venues } = yield* start(makeFaults(plan(`markets: [{ venue: backpack, after_orders: 1, state: PostOnly }]`)), notices)
      yield* quoted(venues.backpack)
      const key = generateBackpackTestKey()
      const bp = backpack(urls.backpack, key)
      expect(yield* bp.state).toEqual(["Open", "Open"])
      const first = yield* bp.limit("1.9000")
      expect(first.status).toBe(200)
      expect(yield* bp.state).toEqual(["PostOnly", "PostOnly"])
      expect(notices.map((n) => [n.kind, n.message])).toEqual([["marketStateChanged", "backpack ASTER_USDC_PERP market state Open → PostOnly (markets.0)"]])

      // PostOnly: a post-only limit is taken, a plain limit and a market order are not
      expect((yield* bp.limit("1.9001")).status).toBe(200)
      const plain = yield* bp.limit("1.9002", false)
      expect([plain.status, plain.body]).toEqual([400, backpackClosed("Order book is PostOnly: it takes post-only limit orders only, not limit orders that are not post-only")])
      const market = yield* bp.market()
      expect([market.status, market.body]).toEqual([400, backpackClosed("Order book is PostOnly: it takes post-only limit orders only, not market orders")])

      // LimitOnly: limits of both kinds, no market orders
      venues.backpack.changeMarketState("LimitOnly")
      expect(yield* bp.state).toEqual(["LimitOnly", "LimitOnly"])
      expect((yield* bp.limit("1.9002", false)).status).toBe(200)
      const limitOnlyMarket = yield* bp.market()
      expect([limitOnlyMarket.status, limitOnlyMarket.body]).toEqual([400, backpackClosed("Order book is LimitOnly: it takes limit orders only, not market orders")])

      // CancelOnly: nothing new, cancels work, resting orders stay
      venues.backpack.changeMarketState("CancelOnly")
      expect(yield* bp.state).toEqual(["CancelOnly", "CancelOnly"])
      const refused = yield* bp.limit("1.9003")
      expect([refused.status, refused.body]).toEqual([400, backpackClosed("Order book is CancelOnly: it takes no new orders (cancels only)")])
      const cancelled = yield* bp.cancel(first.body.id)
      expect([cancelled.status, cancelled.body.status]).toEqual([200, "Cancelled"])
      expect(venues.backpack.openOrders(key.publicKeyB64).map((o) => s(o.price!)).sort()).toEqual(["1.9001", "1.9002"])

      venues.backpack.changeMarketState("Closed")
      expect(yield* bp.state).toEqual(["Closed", "Closed"])
      expect((yield* bp.market()).body).toEqual(backpackClosed("Order book is Closed: it takes no new orders (cancels only)"))
      venues.backpack.changeMarketState("Open")
      expect((yield* bp.market()).status).toBe(200)
    })), 30_000)

  it("a plan set at runtime with a word the venue does not use is reported without stopping the exchange; one given at the start is refused", () =>
    run(Effect.gen(function*() {
      // a plan written as a literal skips the decoder's check
      const literal: FaultPlan = { seed: 1, http: [], socket: [], markets: [{ venue: "backpack", after_orders: 1, state: "Halted" }] }
      const startError = yield* Effect.flip(start(makeFaults(literal)))
      expect(startError.message.split("\n")).toEqual([
        expect.stringMatching(/^the fault plan's market changes do not fit /),
        `  - markets.0.state: expected one of "Open", "PostOnly", "LimitOnly", "CancelOnly", "Closed" on backpack, got "Halted"`
      ])

      const notices: Array<LocalExchangeNotice> = []
      const faults = makeFaults()
      const { urls, venues } = yield* start(faults, notices)
      yield* quoted(venues.backpack)
      yield* faults.setPlan(literal)
      const bp = backpack(urls.backpack, generateBackpackTestKey())
      expect((yield* bp.limit("1.9000")).status).toBe(200)
      expect(notices.map((n) => [n.kind, n.message])).toEqual([
        ["marketStateRefused", `markets.0: backpack has no market state "Halted": expected one of "Open", "PostOnly", "LimitOnly", "CancelOnly", "Closed" on backpack, got "Halted"`]
      ])
      expect(yield* bp.state).toEqual(["Open", "Open"])
      expect((yield* bp.limit("1.9001")).status).toBe(200)
    })), 30_000)
})

// ---------------------------------------------------------------------------------------------
// The adapters read what the wire sends
// ---------------------------------------------------------------------------------------------

const platform = Layer.mergeAll(NodeHttpClient.layerUndici, NodeSocket.layerWebSocketConstructor)

describe("the adapters against the local exchange: refreshInstrument reads the new market state", () => {
  it.each(["futures", "spot"] as const)("Aster %s: TRADING, then the venue's closed word (orders refused with -4140), then TRADING again", (market) =>
    run(Effect.gen(function*() {
      const { urls, venues } = yield* start()
      const book = market === "futures" ? venues.asterFutures : venues.asterSpot
      yield* quoted(book)
      const exchange = yield* makeAsterExchange({
        venue: market === "futures" ? "aster-futures" : "aster-spot",
        baseUrl: market === "futures" ? urls.asterFutures : urls.asterSpot,
        symbol: "ASTERUSDT",
        auth: { kind: "v1", apiKey: Redacted.make(DEFAULT_TEST_ACCOUNT.asterApiKey), apiSecret: Redacted.make(DEFAULT_TEST_ACCOUNT.asterApiSecret) },
        marketDataOnly: true
      })
      expect((yield* exchange.instrument).trading).toEqual({ state: "TRADING", makerOrders: true, takerOrders: true })
      const closed = market === "futures" ? "SETTLING" : "HALT"
      book.changeMarketState(closed)
      expect((yield* exchange.refreshInstrument!).trading).toEqual({ state: closed, makerOrders: false, takerOrders: false })
      const refused = yield* Effect.flip(exchange.placeMarket({ side: "buy", qty: decimal("5"), clientId: "ms-h1" }))
      expect(refused._tag === "OrderRejected" && [refused.code, refused.reason]).toEqual(["-4140", "Invalid symbol status for opening position."])
      book.changeMarketState("TRADING")
      expect((yield* exchange.refreshInstrument!).trading).toEqual({ state: "TRADING", makerOrders: true, takerOrders: true })
    }).pipe(Effect.provide(platform))), 30_000)

  it("Backpack: Open, LimitOnly, PostOnly, CancelOnly (a maker order refused naming the state), Open again", () =>
    run(Effect.gen(function*() {
      const { urls, venues } = yield* start()
      yield* quoted(venues.backpack)
      const key = generateBackpackTestKey()
      const exchange = yield* makeBackpackExchange({
        baseUrl: urls.backpack,
        symbol: "ASTER_USDC_PERP",
        publicKey: Redacted.make(key.publicKeyB64),
        secretKey: Redacted.make(key.secretKeyB64)
      }, { marketDataOnly: true })
      expect((yield* exchange.instrument).trading).toEqual({ state: "Open", makerOrders: true, takerOrders: true })
      const readAfter = (state: string) => Effect.flatMap(Effect.sync(() => venues.backpack.changeMarketState(state)), () => Effect.map(exchange.refreshInstrument!, (i) => i.trading))
      expect(yield* readAfter("LimitOnly")).toEqual({ state: "LimitOnly", makerOrders: true, takerOrders: false })
      expect(yield* readAfter("PostOnly")).toEqual({ state: "PostOnly", makerOrders: true, takerOrders: false })
      expect(yield* readAfter("CancelOnly")).toEqual({ state: "CancelOnly", makerOrders: false, takerOrders: false })
      const refused = yield* Effect.flip(exchange.placeLimit({ side: "buy", price: decimal("1.9000"), qty: decimal("5"), postOnly: true, timeInForce: "GTC", clientId: "ms-m1" }))
      expect(refused._tag === "OrderRejected" && [refused.code, refused.reason]).toEqual(["INVALID_ORDER", "Order book is CancelOnly: it takes no new orders (cancels only)"])
      expect(yield* readAfter("Open")).toEqual({ state: "Open", makerOrders: true, takerOrders: true })
    }).pipe(Effect.provide(platform))), 30_000)
})
