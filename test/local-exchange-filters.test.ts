/**
 * The local exchange changing a symbol's filters while it runs (tick, step, minimum quantity and
 * notional), as real venues sometimes do: the venue book's `changeFilters`, the fault plan's
 * `filters` entries, and both venues' wire protocols showing and applying the new filters over
 * loopback.
 */
import { BigDecimal, Effect, Either, Redacted, type Scope } from "effect"
import { describe, expect, it } from "vitest"
import { makeSigner, signedHeaders } from "../src/adapters/backpack/signing"
import { type Decimal, decimal, formatDecimal, isMultipleOf } from "../src/core/domain/decimal"
import type { Instrument } from "../src/core/domain/instrument"
import { DEFAULT_TEST_ACCOUNT } from "../src/sim/local-exchange/accounts"
import { generateBackpackTestKey } from "../src/sim/local-exchange/bot-config"
import { type FaultPlan, makeFaults, parseFaultPlan } from "../src/sim/local-exchange/faults"
import { type LocalExchangeNotice, startLocalExchange } from "../src/sim/local-exchange/local-exchange"
import { scriptedMarket } from "../src/sim/local-exchange/market-feed"
import type { LocalVenue } from "../src/sim/local-exchange/types"
import { makeLocalVenue } from "../src/sim/local-exchange/venue-book"
import { asterSignedRequest } from "./support/aster-signed-request"
import { T0, writeScript } from "./support/scripted-market"

const d = decimal
const s = (x: Decimal) => formatDecimal(x)

// ---------------------------------------------------------------------------------------------
// The venue book
// ---------------------------------------------------------------------------------------------

const INSTRUMENT: Instrument = {
  venue: "aster-futures",
  symbol: "ASTERUSDT",
  base: "ASTER",
  quote: "USDT",
  kind: "perp",
  tickSize: d("0.0001"),
  stepSize: d("0.01"),
  minQty: d("0.01"),
  minNotional: d("5")
}

/** An Aster futures book quoted 2.0000 / 2.0010; `usdt` is every account's starting margin. */
const setup = (usdt = "10000") => {
  const book = makeLocalVenue({
    instrument: INSTRUMENT,
    priceScale: 4,
    qtyScale: 2,
    fees: { maker: d("0.0001"), taker: d("0.00035") },
    startingBalances: () => new Map([["USDT", d(usdt)]]),
    funding: { intervalHours: 4, rate: d("0.0001") },
    clock: () => T0 + 60_000
  })
  const market = scriptedMarket(book)
  market.quote("2.0000", "100", "2.0010", "100")
  return { book, market }
}

const buy = (price: string, qty: string) => ({ clientId: "", side: "buy" as const, price: d(price), qty: d(qty), postOnly: true, timeInForce: "GTC" as const })

const filtersOf = (i: Instrument) => [s(i.tickSize), s(i.stepSize), s(i.minQty), s(i.minNotional)]

describe("venue book: changeFilters", () => {
  it("tick: an order on the old grid but off the new one is refused, one on the new grid rests", () => {
    const { book } = setup()
    expect(book.placeLimit("a", buy("1.9995", "5")).status).toBe("new") // on the 0.0001 grid
    const changed = book.changeFilters({ tickSize: d("0.001") })
    expect(filtersOf(changed)).toEqual(["0.001", "0.01", "0.01", "5"])
    expect(filtersOf(book.instrument)).toEqual(["0.001", "0.01", "0.01", "5"])
    expect([book.instrument.symbol, book.instrument.venue]).toEqual(["ASTERUSDT", "aster-futures"])
    const off = book.placeLimit("a", buy("1.9995", "5"))
    expect([off.status, off.rejectCode]).toEqual(["rejected", "tick"])
    const on = book.placeLimit("a", buy("1.9990", "5"))
    expect([on.status, on.rejectCode]).toEqual(["new", undefined])
  })

  it("tick: the book's own pre-checks follow the new filters too (a filter refusal, not a balance one)", () => {
    // 10 USDT × leverage 10 affords 100 of notional: 1000 × 1.9995 is far beyond it
    const { book } = setup("10")
    expect(book.placeLimit("a", buy("1.9995", "1000")).rejectCode).toBe("insufficientBalance")
    book.changeFilters({ tickSize: d("0.001") })
    expect(book.placeLimit("a", buy("1.9995", "1000")).rejectCode).toBe("tick")
    expect(book.placeLimit("a", buy("1.9990", "1000")).rejectCode).toBe("insufficientBalance")
  })

  it("step, min qty and min notional: orders entered afterwards are checked against the new values", () => {
    const { book } = setup()
    expect(book.placeLimit("a", buy("1.9990", "10.05")).status).toBe("new")
    book.changeFilters({ stepSize: d("0.1") })
    expect(book.placeLimit("a", buy("1.9990", "10.05")).rejectCode).toBe("step")
    expect(book.placeLimit("a", buy("1.9990", "10.1")).status).toBe("new")
    // the largest affordable order is counted in whole new steps
    const most = book.maxOrderQty("a", "buy", d("1.9990"))
    expect([BigDecimal.isPositive(most), isMultipleOf(most, d("0.1"))]).toEqual([true, true])

    expect(book.placeLimit("a", buy("1.9990", "3")).status).toBe("new") // 5.997 of notional
    book.changeFilters({ minQty: d("4") })
    expect(book.placeLimit("a", buy("1.9990", "3")).rejectCode).toBe("minQty")
    expect(book.placeLimit("a", buy("1.9990", "4")).status).toBe("new")

    book.changeFilters({ minNotional: d("20") })
    expect(book.placeLimit("a", buy("1.9990", "10")).rejectCode).toBe("minNotional") // 19.99
    expect(book.placeLimit("a", buy("1.9990", "10.1")).status).toBe("new") // 20.1899
    // a market order's notional at the best bid: 5 × 2.0000 = 10 < 20
    expect(book.placeMarket("a", { clientId: "", side: "sell", qty: d("5") }).rejectCode).toBe("minNotional")
    expect(filtersOf(book.instrument)).toEqual(["0.0001", "0.1", "4", "20"])
  })

  it("an order resting before the change stays on the book and still fills", () => {
    const { book, market } = setup()
    const resting = book.placeLimit("a", { ...buy("2.0005", "5"), side: "sell" })
    expect(resting.status).toBe("new")
    book.changeFilters({ tickSize: d("0.001"), stepSize: d("1"), minQty: d("10") })
    expect(book.openOrders("a").map((o) => [o.id, s(o.price!), s(o.qty)])).toEqual([[resting.id, "2.0005", "5"]])
    // a taker buy at 2.0006 trades through it
    market.trade("2.0006", "100", "buy")
    expect(book.order("a", { orderId: resting.id })?.status).toBe("filled")
    expect(book.fills("a").map((f) => [f.orderId, s(f.price), s(f.qty)])).toEqual([[resting.id, "2.0005", "5"]])
    expect(s(book.position("a"))).toBe("-5")
  })

  it("refuses a value the venue cannot take, naming the field and value, and changes nothing", () => {
    const { book } = setup()
    expect(() => book.changeFilters({ tickSize: d("0.00001") })).toThrow(/tickSize 0\.00001 is finer than the venue's price units \(4 decimals\)/)
    expect(() => book.changeFilters({ stepSize: d("0") })).toThrow(/stepSize 0 must be positive/)
    expect(() => book.changeFilters({ tickSize: d("-0.001") })).toThrow(/tickSize -0\.001 must be positive/)
    expect(() => book.changeFilters({ minQty: d("-1") })).toThrow(/minQty -1 must be 0 or more/)
    expect(() => book.changeFilters({ minNotional: d("0.0000001") })).toThrow(/minNotional 0\.0000001 is finer than the venue's notional units \(6 decimals\)/)
    // one bad field refuses the whole change
    expect(() => book.changeFilters({ tickSize: d("0.001"), stepSize: d("0.001") })).toThrow(/stepSize 0\.001 is finer than the venue's quantity units \(2 decimals\)/)
    expect(filtersOf(book.instrument)).toEqual(["0.0001", "0.01", "0.01", "5"])
    expect(book.placeLimit("a", buy("1.9995", "5")).status).toBe("new")
    // zero minimums are fine
    expect(filtersOf(book.changeFilters({ minQty: d("0"), minNotional: d("0") }))).toEqual(["0.0001", "0.01", "0", "0"])
  })
})

// ---------------------------------------------------------------------------------------------
// The fault plan
// ---------------------------------------------------------------------------------------------

const plan = (text: string): FaultPlan => Either.getOrThrowWith(parseFaultPlan(text, "test plan"), (e) => new Error(e.message))
const problems = (text: string): ReadonlyArray<string> =>
  Either.match(parseFaultPlan(text, "plan.yaml"), { onLeft: (e) => e.message.split("\n").slice(1), onRight: () => [] })

describe("filters in a fault plan", () => {
  it("decodes entries with decimal strings or numbers", () => {
    const decoded = plan(`
filters:
  - venue: backpack
    after_orders: 3
    tick_size: "0.001"
  - venue: aster-spot
    after_seconds: 2.5
    step_size: 0.1
    min_qty: 0
    min_notional: "10"
`)
    expect(decoded.filters?.map((f) => [f.venue, f.after_orders, f.after_seconds, f.tick_size && s(f.tick_size), f.step_size && s(f.step_size), f.min_qty && s(f.min_qty), f.min_notional && s(f.min_notional)])).toEqual([
      ["backpack", 3, undefined, "0.001", undefined, undefined, undefined],
      ["aster-spot", undefined, 2.5, undefined, "0.1", "0", "10"]
    ])
    expect(plan(`{"filters":[{"venue":"aster-futures","after_orders":1,"min_notional":5}]}`).filters).toHaveLength(1)
    expect(plan("seed: 2").filters).toBeUndefined()
  })

  it("refuses a bad entry with a message naming the entry and key", () => {
    expect(problems(`
filters:
  - venue: backpack
    after_orders: 3
    after_seconds: 20
    tick_size: "0.001"
  - venue: backpack
    tick_size: "0.001"
  - venue: aster-futures
    after_orders: 1
  - venue: binance
    after_orders: 1
    tick_size: "0.001"
  - venue: aster-spot
    after_seconds: 1
    tick_size: "a tenth"
    step_size: 0
    min_qty: -1
  - venue: backpack
    after_orders: 0
    tick: "0.001"
`)).toEqual([
      "  - filters.0.after_seconds: give either after_orders or after_seconds, not both",
      "  - filters.1.after_orders: missing: give after_orders (a count of order placements) or after_seconds",
      "  - filters.2: no filter to change: give at least one of tick_size, step_size, min_qty, min_notional",
      `  - filters.3.venue: expected one of "backpack", "aster-futures", "aster-spot", got "binance"`,
      `  - filters.4.tick_size: expected a decimal number such as "10" or "0.25", got "a tenth"`,
      "  - filters.4.step_size: expected a decimal above 0, got 0",
      "  - filters.4.min_qty: expected a decimal of 0 or more, got -1",
      "  - filters.5.tick: unknown key (check its spelling and section)",
      "  - filters.5.after_orders: expected a count of order placements (a whole number ≥ 1), got 0"
    ])
  })

  it("makes each change due once: after the venue's Nth order placement, or its time", () => {
    const faults = makeFaults(plan(`
filters:
  - venue: backpack
    after_orders: 3
    tick_size: "0.001"
  - venue: aster-futures
    after_seconds: 20
    min_notional: 10
`))
    const due = (venue: "backpack" | "aster-futures", trigger: Parameters<typeof faults.marketChanges.due>[1]) =>
      faults.marketChanges.due(venue, trigger).map((p) => [p.entry, p.venue, p.kind === "filters" ? Object.entries(p.change).map(([k, v]) => `${k}=${s(v)}`).join(",") : p.state])
    expect(faults.marketChanges.planned().map((p) => p.entry)).toEqual(["filters.0", "filters.1"])
    // another venue's placements do not count
    expect(due("aster-futures", { kind: "orderPlaced", ms: 0 })).toEqual([])
    expect(due("backpack", { kind: "orderPlaced", ms: 0 })).toEqual([])
    expect(due("backpack", { kind: "orderPlaced", ms: 0 })).toEqual([])
    expect(due("backpack", { kind: "elapsed", ms: 60_000 })).toEqual([])
    expect(due("backpack", { kind: "orderPlaced", ms: 0 })).toEqual([["filters.0", "backpack", "tickSize=0.001"]])
    expect(due("backpack", { kind: "orderPlaced", ms: 0 })).toEqual([])
    expect(due("aster-futures", { kind: "elapsed", ms: 19_999 })).toEqual([])
    expect(due("aster-futures", { kind: "elapsed", ms: 20_000 })).toEqual([["filters.1", "aster-futures", "minNotional=10"]])
    expect(due("aster-futures", { kind: "elapsed", ms: 30_000 })).toEqual([])

    // a new plan starts its counts again; clear drops what was not made yet
    Effect.runSync(faults.setPlan(plan(`filters: [{ venue: backpack, after_orders: 1, step_size: "0.1" }, { venue: backpack, after_orders: 2, min_qty: 1 }]`)))
    expect(due("backpack", { kind: "orderPlaced", ms: 0 })).toEqual([["filters.0", "backpack", "stepSize=0.1"]])
    Effect.runSync(faults.clear)
    expect(due("backpack", { kind: "orderPlaced", ms: 0 })).toEqual([])
    expect(faults.marketChanges.planned()).toEqual([])
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
    { startMs: Date.now(), asterMinNotional: "5" }
  )

const quoted = (venue: LocalVenue) =>
  Effect.gen(function*() {
    for (let i = 0; i < 150 && venue.ticker() === undefined; i++) yield* Effect.sleep("20 millis")
    if (venue.ticker() === undefined) return yield* Effect.die(new Error(`${venue.venue} never quoted`))
  })

const getJson = (url: string) => Effect.promise(async () => (await (await fetch(url)).json()) as any)

/** The Aster PRICE_FILTER / LOT_SIZE of exchangeInfo, as listed. */
const asterFilter = (info: any, type: string) => info.symbols[0].filters.find((f: any) => f.filterType === type)

const asterCredentials = { apiKey: DEFAULT_TEST_ACCOUNT.asterApiKey, apiSecret: DEFAULT_TEST_ACCOUNT.asterApiSecret }
/** A signed Aster futures order placement: a post-only (GTX) limit buy. */
const asterBuy = (baseUrl: string, price: string, qty = "5") =>
  Effect.promise(() =>
    asterSignedRequest(baseUrl, asterCredentials, "POST", "order", [["symbol", "ASTERUSDT"], ["side", "BUY"], ["type", "LIMIT"], ["timeInForce", "GTX"], ["quantity", qty], ["price", price]])
  )

/** A signed Backpack order placement: a post-only limit buy of 5. */
const backpackBuy = (baseUrl: string, key: { readonly publicKeyB64: string; readonly secretKeyB64: string }, price: string) =>
  Effect.promise(async () => {
    const signer = Either.getOrThrow(makeSigner(Redacted.make(key.secretKeyB64), Redacted.make(key.publicKeyB64)))
    const body = { symbol: "ASTER_USDC_PERP", side: "Bid", orderType: "Limit", price, quantity: "5", postOnly: true, timeInForce: "GTC" }
    const headers = signedHeaders(signer, { instruction: "orderExecute", body, timestamp: Date.now(), window: 5000 })
    const res = await fetch(`${baseUrl}/api/v1/order`, { method: "POST", body: JSON.stringify(body), headers: { ...headers, "content-type": "application/json" } })
    return { status: res.status, body: (await res.json()) as any }
  })

const backpackTick = (baseUrl: string) => Effect.map(getJson(`${baseUrl}/api/v1/market?symbol=ASTER_USDC_PERP`), (m) => m.filters.price.tickSize as string)

const run = (effect: Effect.Effect<void, unknown, Scope.Scope>) => Effect.runPromise(Effect.scoped(effect))

describe("filter changes through the real servers", () => {
  it("after_orders: each venue lists the new tick right after its Nth order, not before, and refuses orders off it in its own format", () =>
    run(Effect.gen(function*() {
      const notices: Array<LocalExchangeNotice> = []
      const faults = makeFaults(plan(`
filters:
  - venue: backpack
    after_orders: 3
    tick_size: "0.001"
  - venue: aster-futures
    after_orders: 2
    tick_size: "0.001"
    min_notional: 10
`))
      const running = yield* startLocalExchange({ dbPath: quotes(), portBackpack: 0, portAster: 0, portAsterSpot: 0, faults, onNotice: (n) => notices.push(n) })
      const { urls, venues } = running
      yield* quoted(venues.asterFutures)
      yield* quoted(venues.backpack)
      const asterInfo = () => getJson(`${urls.asterFutures}/fapi/v1/exchangeInfo`)

      // Aster futures: the 1st order leaves the filters alone, the 2nd changes them
      expect(asterFilter(yield* asterInfo(), "PRICE_FILTER").tickSize).toBe("0.0001")
      const first = yield* asterBuy(urls.asterFutures, "1.9000")
      expect([first.status, (first.body as any).status]).toEqual([200, "NEW"])
      expect(asterFilter(yield* asterInfo(), "PRICE_FILTER").tickSize).toBe("0.0001")
      expect(notices).toEqual([])
      const second = yield* asterBuy(urls.asterFutures, "1.9005")
      expect([second.status, (second.body as any).status]).toEqual([200, "NEW"])
      const info = yield* asterInfo()
      expect([asterFilter(info, "PRICE_FILTER").tickSize, asterFilter(info, "MIN_NOTIONAL").notional]).toEqual(["0.001", "10"])
      expect(info.symbols[0].pricePrecision).toBe(3)
      expect(notices.map((n) => [n.kind, n.venue, n.message])).toEqual([
        ["filtersChanged", "aster-futures", "aster-futures ASTERUSDT filters changed: tick 0.0001 → 0.001, min notional 5 → 10 (filters.1)"]
      ])
      // off the new grid: Aster's own refusal; on it: accepted
      const off = yield* asterBuy(urls.asterFutures, "1.9005")
      expect([off.status, off.body]).toEqual([400, { code: -4014, msg: "Price not increased by tick size." }])
      const small = yield* asterBuy(urls.asterFutures, "1.9010") // 9.505 of notional
      expect([small.status, small.body]).toEqual([400, { code: -4164, msg: "Order's notional must be no smaller than 10 (unless you choose reduce only)." }])
      const on = yield* asterBuy(urls.asterFutures, "1.9010", "6")
      expect([on.status, (on.body as any).status]).toEqual([200, "NEW"])
      // the order resting from before the change is still there
      const open = venues.asterFutures.openOrders(DEFAULT_TEST_ACCOUNT.account).map((o) => s(o.price!))
      expect(open.sort()).toEqual(["1.9", "1.9005", "1.901"])

      // Backpack counts its own placements only: still the old tick after Aster's five
      expect(yield* backpackTick(urls.backpack)).toBe("0.0001")
      const key = generateBackpackTestKey()
      for (const price of ["1.9000", "1.9005"]) {
        expect((yield* backpackBuy(urls.backpack, key, price)).status).toBe(200)
        expect(yield* backpackTick(urls.backpack)).toBe("0.0001")
      }
      expect((yield* backpackBuy(urls.backpack, key, "1.9015")).status).toBe(200)
      expect(yield* backpackTick(urls.backpack)).toBe("0.001")
      expect((yield* getJson(`${urls.backpack}/api/v1/markets`))[0].filters.price.tickSize).toBe("0.001")
      expect(notices.map((n) => n.message)[1]).toBe("backpack ASTER_USDC_PERP filters changed: tick 0.0001 → 0.001 (filters.0)")
      const refused = yield* backpackBuy(urls.backpack, key, "1.9025")
      expect(refused.status).toBe(400)
      expect(refused.body.code).toBe("INVALID_ORDER")
      expect(refused.body.message).toMatch(/tick size/)
      expect((yield* backpackBuy(urls.backpack, key, "1.9020")).status).toBe(200)
      expect(venues.backpack.openOrders(key.publicKeyB64).map((o) => s(o.price!)).sort()).toEqual(["1.9", "1.9005", "1.9015", "1.902"])
    })), 30_000)

  it("after_seconds: the change comes when its time does", () =>
    run(Effect.gen(function*() {
      const notices: Array<LocalExchangeNotice> = []
      const faults = makeFaults(plan(`filters: [{ venue: aster-spot, after_seconds: 1, step_size: "0.1", min_qty: 1 }]`))
      const started = Date.now()
      const running = yield* startLocalExchange({ dbPath: quotes(), portBackpack: 0, portAster: 0, portAsterSpot: 0, faults, onNotice: (n) => notices.push(n) })
      const lot = () => Effect.map(getJson(`${running.urls.asterSpot}/api/v1/exchangeInfo`), (info) => asterFilter(info, "LOT_SIZE"))
      expect(yield* lot()).toMatchObject({ stepSize: "0.01", minQty: "0.01" })
      let seen: any
      while (Date.now() - started < 5000) {
        seen = yield* lot()
        if (seen.stepSize !== "0.01") break
        yield* Effect.sleep("50 millis")
      }
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000)
      expect(seen).toMatchObject({ stepSize: "0.1", minQty: "1" })
      expect(notices.map((n) => n.message)).toEqual(["aster-spot ASTERUSDT filters changed: step 0.01 → 0.1, min qty 0.01 → 1 (filters.0)"])
    })), 30_000)

  it("a change the venue cannot take: refused at the start, or (set at runtime) reported without stopping the exchange", () =>
    run(Effect.gen(function*() {
      const badPlan = makeFaults(plan(
        `filters: [{ venue: backpack, after_orders: 1, tick_size: "0.00001" }, { venue: aster-spot, after_seconds: 1, min_notional: "0.0000001" }, { venue: backpack, after_orders: 2, min_notional: 10 }]`
      ))
      const refused = yield* Effect.flip(startLocalExchange({ dbPath: quotes(), portBackpack: 0, portAster: 0, portAsterSpot: 0, faults: badPlan }))
      expect(refused.message.split("\n")).toEqual([
        expect.stringMatching(/^the fault plan's market changes do not fit /),
        "  - filters.0.tick_size: 0.00001 is finer than the venue's price units (4 decimals) on backpack",
        "  - filters.1.min_notional: 0.0000001 is finer than the venue's notional units (6 decimals) on aster-spot",
        "  - filters.2.min_notional: 10 is no Backpack filter (Backpack has no minimum notional) on backpack"
      ])

      const notices: Array<LocalExchangeNotice> = []
      const faults = makeFaults()
      const running = yield* startLocalExchange({ dbPath: quotes(), portBackpack: 0, portAster: 0, portAsterSpot: 0, faults, onNotice: (n) => notices.push(n) })
      yield* quoted(running.venues.backpack)
      yield* faults.setPlan(plan(`filters: [{ venue: backpack, after_orders: 1, step_size: "0.001" }]`))
      const key = generateBackpackTestKey()
      expect((yield* backpackBuy(running.urls.backpack, key, "1.9000")).status).toBe(200)
      expect(notices.map((n) => [n.kind, n.entry, n.message])).toEqual([
        ["filtersRefused", "filters.0", "filters.0: backpack ASTER_USDC_PERP: cannot change the filters: stepSize 0.001 is finer than the venue's quantity units (2 decimals)"]
      ])
      const market = yield* getJson(`${running.urls.backpack}/api/v1/market?symbol=ASTER_USDC_PERP`)
      expect(market.filters.quantity.stepSize).toBe("0.01")
      expect((yield* backpackBuy(running.urls.backpack, key, "1.9001")).status).toBe(200)
    })), 30_000)
})
