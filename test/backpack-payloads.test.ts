/**
 * Backpack wire payloads: every sample in /work/shared/reference/backpack-samples.json (real venue
 * answers captured by ccxt) and every payload the reference (backpack-api.md) describes decodes,
 * maps onto the domain as the reference says, and garbage becomes an InvalidResponse naming the
 * field. Payloads built from the reference's field lists say so; expected values are read off the
 * payloads themselves.
 */
import { BigDecimal, Effect, Either, Exit, Schema } from "effect"
import * as fs from "node:fs"
import { describe, expect, it } from "vitest"
import { backpackClientId, ClientIds, venueError } from "../src/adapters/backpack/client"
import {
  bestLevelsOfDepth,
  bestOfDepth,
  fillFromUpdate,
  orderFromUpdate,
  toBalances,
  toFill,
  toInstrument,
  toOrder,
  WireCapital,
  WireDepth,
  WireErrorBody,
  WireFills,
  WireFundingRates,
  WireKlines,
  WireMarket,
  WireMarkPrices,
  WireOpenInterests,
  WireOrder,
  WirePositions,
  WireTicker,
  WsBookTicker,
  WsDepth,
  WsEnvelope,
  WsOrderUpdate,
  WsTrade
} from "../src/adapters/backpack/schemas"
import { decodeJson } from "../src/adapters/common/rest"
import { formatDecimal } from "../src/core/domain/decimal"
import type { InvalidResponse } from "../src/core/errors"

const SAMPLES = "/work/shared/reference/backpack-samples.json"
const text = (d: BigDecimal.BigDecimal) => formatDecimal(d)

/** Decodes the way the adapter does: JSON text through rest.ts's decodeJson. */
const decode = <A, I>(schema: Schema.Schema<A, I>, payload: unknown, what = "test") => Effect.runSync(decodeJson("backpack", schema, JSON.stringify(payload), what))
const decodeText = <A, I>(schema: Schema.Schema<A, I>, body: string, what = "test"): InvalidResponse => {
  const exit = Effect.runSyncExit(decodeJson("backpack", schema, body, what))
  if (Exit.isSuccess(exit)) throw new Error(`expected ${body} to be refused`)
  const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (error === undefined) throw new Error("expected a failure")
  return error
}

describe("the reference samples (backpack-samples.json)", () => {
  const samples = JSON.parse(fs.readFileSync(SAMPLES, "utf8")) as Record<string, unknown>
  /** Each request in the file and the Schema of its answer. */
  const schemaOf = (request: string): Schema.Schema<any, any> | undefined => {
    const path = request.split(" ")[1]!.split("?")[0]
    return ({
      "/api/v1/fundingRates": WireFundingRates,
      "/api/v1/markPrices": WireMarkPrices,
      "/api/v1/openInterest": WireOpenInterests,
      "/api/v1/klines": WireKlines,
      "/api/v1/ticker": WireTicker
    } as Record<string, Schema.Schema<any, any>>)[path!]
  }

  it("every sample decodes", () => {
    const requests = Object.keys(samples).filter((key) => key !== "_source")
    expect(requests.length).toBeGreaterThanOrEqual(6)
    for (const request of requests) {
      const schema = schemaOf(request)
      expect(schema, `a schema for ${request}`).toBeDefined()
      expect(() => decode(schema!, samples[request], request)).not.toThrow()
    }
  })

  it("reads the funding clock, the ticker and the klines as the venue wrote them", () => {
    const [mark] = decode(WireMarkPrices, samples["GET /api/v1/markPrices?symbol=ETH_USDC_PERP"])
    // "nextFundingTimestamp": "1754956800000" (a string of ms)
    expect(mark!.nextFundingTimestamp).toBe(1754956800000)
    expect([text(mark!.markPrice), text(mark!.fundingRate!)]).toEqual(["4307.57627888", "0.0001"])
    const rates = decode(WireFundingRates, samples["GET /api/v1/fundingRates?symbol=ETH_USDC_PERP&limit=3"])
    // naive-UTC dates, hourly
    expect(rates.map((r) => r.intervalEndTimestamp)).toEqual([Date.UTC(2025, 8, 11, 12), Date.UTC(2025, 8, 11, 11), Date.UTC(2025, 8, 11, 10)])
    const ticker = decode(WireTicker, samples["GET /api/v1/ticker?symbol=ETH_USDC"])
    expect(text(ticker.lastPrice)).toBe("4182.41")
    const [kline] = decode(WireKlines, samples["GET /api/v1/klines?interval=1m&startTime=1757604778&symbol=ETH_USDC"])
    expect(kline!.start).toBe(Date.UTC(2025, 8, 11, 15, 33))
    const [interest] = decode(WireOpenInterests, samples["GET /api/v1/openInterest?symbol=ETH_USDC_PERP"])
    expect(interest!.timestamp).toBe(1755006837991)
  })
})

describe("the payloads the reference describes (backpack-api.md)", () => {
  // "GET /api/v1/markets … filters.price {minPrice, maxPrice?, tickSize}, filters.quantity {…}, fundingInterval (ms, perps)"
  const perpMarket = {
    symbol: "ASTER_USDC_PERP",
    baseSymbol: "ASTER",
    quoteSymbol: "USDC",
    marketType: "PERP",
    filters: { price: { minPrice: "0.0001", maxPrice: null, tickSize: "0.0001" }, quantity: { minQuantity: "0.01", maxQuantity: null, stepSize: "0.01" } },
    fundingInterval: "3600000",
    fundingRateUpperBound: "100",
    fundingRateLowerBound: "-100",
    openInterestLimit: "0",
    orderBookState: "Open",
    createdAt: "2025-01-21T06:34:54.691858",
    visible: true
  }

  it("markets map onto the Instrument (tick, step, minimum quantity; no minimum notional)", () => {
    const instrument = toInstrument(decode(WireMarket, perpMarket))
    expect([instrument.kind, text(instrument.tickSize), text(instrument.stepSize), text(instrument.minQty), text(instrument.minNotional)]).toEqual(["perp", "0.0001", "0.01", "0.01", "0"])
    expect([instrument.base, instrument.quote]).toEqual(["ASTER", "USDC"])
    const spot = decode(WireMarket, { ...perpMarket, symbol: "SOL_USDC", marketType: "SPOT", fundingInterval: 28800000 })
    expect([toInstrument(spot).kind, spot.fundingInterval]).toEqual(["spot", 28800000])
  })

  it("the order book state says which orders the market takes: post-only limits (maker legs), market orders (hedges)", () => {
    const trading = (orderBookState: string | null | undefined) => {
      const { orderBookState: _open, ...rest } = perpMarket
      return toInstrument(decode(WireMarket, orderBookState === undefined ? rest : { ...rest, orderBookState })).trading
    }
    expect(trading("Open")).toEqual({ state: "Open", makerOrders: true, takerOrders: true })
    expect(trading("PostOnly")).toEqual({ state: "PostOnly", makerOrders: true, takerOrders: false })
    expect(trading("LimitOnly")).toEqual({ state: "LimitOnly", makerOrders: true, takerOrders: false })
    expect(trading("CancelOnly")).toEqual({ state: "CancelOnly", makerOrders: false, takerOrders: false })
    expect(trading("Closed")).toEqual({ state: "Closed", makerOrders: false, takerOrders: false })
    // a state not known here takes nothing; none said: nothing is assumed
    expect(trading("Auction")).toEqual({ state: "Auction", makerOrders: false, takerOrders: false })
    expect(trading(null)).toBeUndefined()
    expect(trading(undefined)).toBeUndefined()
  })

  it("depth: best bid and ask whatever the order of the levels", () => {
    // the venue lists bids in ascending price: the best bid is the last one
    const depth = decode(WireDepth, { asks: [["1.0010", "400"], ["1.0020", "50"]], bids: [["0.9980", "10"], ["0.9990", "500"]], lastUpdateId: "1504999670", timestamp: 1753102447307501 })
    const best = bestOfDepth(depth)
    expect([text(best.bid![0]), text(best.bid![1]), text(best.ask![0]), text(best.ask![1])]).toEqual(["0.999", "500", "1.001", "400"])
    // engine time in µs, kept in ms
    expect(depth.timestamp).toBe(1753102447307)
  })

  it("depth: the best n levels a side, best first, empty levels left out", () => {
    const depth = decode(WireDepth, {
      asks: [["1.0010", "400"], ["1.0020", "0"], ["1.0030", "7"], ["1.0040", "9"]],
      bids: [["0.9970", "3"], ["0.9980", "0"], ["0.9990", "500"]]
    })
    const levels = (n: number) => {
      const best = bestLevelsOfDepth(depth, n)
      const side = (l: ReadonlyArray<readonly [BigDecimal.BigDecimal, BigDecimal.BigDecimal]>) => l.map(([p, q]) => `${text(p)}/${text(q)}`).join(" ")
      return [side(best.bids), side(best.asks)]
    }
    expect(levels(2)).toEqual(["0.999/500 0.997/3", "1.001/400 1.003/7"])
    expect(levels(1)).toEqual(["0.999/500", "1.001/400"])
    expect(levels(10)).toEqual(["0.999/500 0.997/3", "1.001/400 1.003/7 1.004/9"])
  })

  it("markPrices: nextFundingTimestamp as a string or a number of ms", () => {
    const [asString] = decode(WireMarkPrices, [{ symbol: "X", markPrice: "1", indexPrice: "1", fundingRate: "0.0001", nextFundingTimestamp: "1754956800000" }])
    const [asNumber] = decode(WireMarkPrices, [{ symbol: "X", markPrice: "1", indexPrice: "1", fundingRate: "0.0001", nextFundingTimestamp: 1754956800000 }])
    expect([asString!.nextFundingTimestamp, asNumber!.nextFundingTimestamp]).toEqual([1754956800000, 1754956800000])
  })

  // "Order object: id (string), clientId?, symbol, side, orderType, quantity, executedQuantity, …"
  const order = (status: string, extra: Record<string, unknown> = {}) => ({
    id: "4228978330",
    clientId: backpackClientId("hl-m1"),
    symbol: "ASTER_USDC_PERP",
    side: "Ask",
    orderType: "Limit",
    quantity: "5",
    executedQuantity: "2",
    executedQuoteQuantity: "2.001",
    price: "1.0005",
    timeInForce: "GTC",
    postOnly: true,
    reduceOnly: null,
    selfTradePrevention: "RejectTaker",
    status,
    createdAt: 1753626206762,
    triggerPrice: null,
    ...extra
  })

  it("every order status maps onto the core's", () => {
    const ids = new ClientIds()
    ids.register("hl-m1")
    const expected: Record<string, string> = {
      New: "new",
      PartiallyFilled: "partially-filled",
      Filled: "filled",
      Cancelled: "cancelled",
      Expired: "expired",
      TriggerPending: "new",
      Triggered: "new"
    }
    for (const [wire, core] of Object.entries(expected)) {
      const mapped = toOrder(decode(WireOrder, order(wire)), ids.nameOf(backpackClientId("hl-m1")), 1753626206999)
      expect(mapped.status, wire).toBe(core)
      expect([mapped.clientId, mapped.side, mapped.type, text(mapped.price!), text(mapped.filledQty), text(mapped.filledQuote)]).toEqual(["hl-m1", "sell", "limit", "1.0005", "2", "2.001"])
      expect([mapped.createdAt, mapped.updatedAt]).toEqual([1753626206762, 1753626206999])
    }
  })

  it("the order history's naive-UTC creation time, and an order without a client id", () => {
    const wire = decode(WireOrder, order("Cancelled", { createdAt: "2025-07-27T14:23:26.762", clientId: null }))
    expect(wire.createdAt).toBe(Date.UTC(2025, 6, 27, 14, 23, 26, 762))
    expect(toOrder(wire, new ClientIds().nameOf(wire.clientId), 0).clientId).toBe("")
  })

  it("fills, positions and capital", () => {
    const [fill] = decode(WireFills, [{ clientId: "123", fee: "0.0004002", feeSymbol: "USDC", isMaker: true, orderId: "42", price: "1.0005", quantity: "2", side: "Ask", symbol: "ASTER_USDC_PERP", systemOrderType: null, timestamp: "2025-09-11T12:00:00.123", tradeId: 77 }])
    expect(toFill(fill!)).toMatchObject({ orderId: "42", tradeId: "77", side: "sell", liquidity: "maker", feeAsset: "USDC", ts: Date.UTC(2025, 8, 11, 12, 0, 0, 123) })
    const [position] = decode(WirePositions, [{ symbol: "ASTER_USDC_PERP", netQuantity: "-5", netExposureQuantity: "-5", entryPrice: "1.0005", markPrice: "1.0001", pnlRealized: "0", pnlUnrealized: "0.002", positionId: "1", userId: 1, subaccountId: null }])
    expect(text(position!.netQuantity)).toBe("-5")
    const balances = toBalances(decode(WireCapital, { USDC: { available: "100.5", locked: "2", staked: "0" }, ASTER: { available: "3", locked: "0", staked: "0" } }))
    expect(balances.map((b) => [b.asset, text(b.free), text(b.locked)])).toEqual([["USDC", "100.5", "2"], ["ASTER", "3", "0"]])
  })

  it("every error code the reference lists decodes and maps onto a core error, keeping the venue's code and message", () => {
    const cases: Array<[string, number, string]> = [
      ["INVALID_CLIENT_REQUEST", 400, "OrderRejected"],
      ["INVALID_ORDER", 400, "OrderRejected"],
      ["INVALID_SIGNATURE", 401, "OrderRejected"],
      ["UNAUTHORIZED", 401, "OrderRejected"],
      ["RESOURCE_NOT_FOUND", 404, "UnknownOrder"],
      ["INSUFFICIENT_FUNDS", 400, "InsufficientBalance"],
      ["TOO_MANY_REQUESTS", 429, "RateLimited"],
      ["SERVICE_UNAVAILABLE", 400, "VenueUnavailable"],
      ["INTERNAL_ERROR", 400, "VenueUnavailable"],
      ["SOMETHING_NEW", 400, "OrderRejected"]
    ]
    for (const [code, status, tag] of cases) {
      const body = decode(WireErrorBody, { code, message: `message of ${code}` })
      const error = venueError(status, body, "42")
      expect(error._tag, code).toBe(tag)
      if (error._tag === "OrderRejected") expect([error.code, error.reason]).toEqual([code, `message of ${code}`])
      if (error._tag === "InsufficientBalance") expect(error.reason).toContain(`message of ${code}`)
      if (error._tag === "UnknownOrder") expect(error.orderId).toBe("42")
    }
    // outside order look-ups a missing resource is a plain refusal
    expect(venueError(404, { code: "RESOURCE_NOT_FOUND", message: "Market not found" })._tag).toBe("OrderRejected")
    // a post-only order that would cross is flagged for the strategy
    expect(venueError(400, { code: "INVALID_ORDER", message: "Order would immediately match and take" })).toMatchObject({ wouldTake: true })
  })

  it("stream envelope and book ticker (times in µs)", () => {
    const message = decode(WsEnvelope, { stream: "bookTicker.SOL_USDC", data: { e: "bookTicker", E: 1694687965941000, s: "SOL_USDC", a: "18.70", A: "1.000", b: "18.67", B: "2.000", u: "111063070525358080", T: 1694687965940999 } })
    const tick = decode(WsBookTicker, message.data)
    expect([text(tick.b), text(tick.a), tick.T, tick.E]).toEqual(["18.67", "18.7", 1694687965940, 1694687965941])
    const trade = decode(WsTrade, { e: "trade", E: 1694688638091000, s: "SOL_USDC", p: "18.68", q: "0.122", b: "111063114377265150", a: "111063114585735170", t: 12345, T: 1694688638089000, m: true })
    expect([text(trade.p), trade.m]).toEqual(["18.68", true])
  })

  // "depth.<symbol>": the changed levels, numbered U..u; times may come quoted (µs as a string)
  it("depth stream message, its times quoted or not", () => {
    const depth = decode(WsDepth, { e: "depth", E: "1759338824897386", s: "BTC_USDC_PERP", U: 1662976171, u: 1662976173, a: [], b: [["117357.0", "0.00000"], ["117356.5", "0.25"]], T: "1759338824895616" })
    expect([depth.U, depth.u, depth.E, depth.T, depth.b.map(([p, q]) => `${text(p)}/${text(q)}`)]).toEqual([1662976171, 1662976173, 1759338824897, 1759338824895, ["117357/0", "117356.5/0.25"]])
    expect(decode(WsBookTicker, { e: "bookTicker", E: "1694687965941000", s: "X", a: "1", A: "1", b: "1", B: "1" }).E).toBe(1694687965941)
    expect(decode(WsDepth, { e: "depth", E: 1, s: "X", U: "41", u: "42", a: [], b: [] })).toMatchObject({ U: 41, u: 42 })
  })

  // "account.orderUpdate data: e one of orderAccepted, orderCancelled, orderExpired, orderFill, orderModified, triggerPlaced, triggerFailed …"
  const update = (e: string, extra: Record<string, unknown> = {}) => ({
    e,
    E: 1694687692980000,
    s: "ASTER_USDC_PERP",
    c: 123,
    S: "Ask",
    o: "LIMIT",
    f: "GTC",
    q: "5",
    p: "1.0005",
    X: "New",
    i: "1111343026172067",
    z: "0",
    Z: "0",
    V: "RejectTaker",
    T: 1694687692989999,
    O: "USER",
    ...extra
  })

  it("every order-update event decodes", () => {
    for (const e of ["orderAccepted", "orderCancelled", "orderExpired", "orderFill", "orderModified", "triggerPlaced", "triggerFailed"]) {
      expect(() => decode(WsOrderUpdate, update(e)), e).not.toThrow()
    }
  })

  it("an order fill becomes the order's new state and the fill; missing fields come from before", () => {
    const accepted = orderFromUpdate(decode(WsOrderUpdate, update("orderAccepted")), "hl-m1", undefined)
    expect([accepted.status, accepted.type, text(accepted.qty), accepted.createdAt]).toEqual(["new", "limit", "5", 1694687692989])
    const msg = decode(WsOrderUpdate, update("orderFill", { X: "PartiallyFilled", q: undefined, p: undefined, t: 567, l: "2", z: "2", Z: "2.001", L: "1.0005", m: true, n: "0.0004002", N: "USDC", R: undefined }))
    const filled = orderFromUpdate(msg, "hl-m1", accepted)
    expect([filled.status, text(filled.qty), text(filled.price!), text(filled.filledQty), text(filled.filledQuote), filled.createdAt]).toEqual(["partially-filled", "5", "1.0005", "2", "2.001", accepted.createdAt])
    expect(fillFromUpdate(msg)).toMatchObject({ tradeId: "567", side: "sell", liquidity: "maker", feeAsset: "USDC", ts: 1694687692989 })
    expect(text(fillFromUpdate(msg)!.fee)).toBe("0.0004002")
    // no trade fields: no fill
    expect(fillFromUpdate(decode(WsOrderUpdate, update("orderCancelled", { X: "Cancelled" })))).toBeUndefined()
    // without X, the event says the status
    const cancelled = orderFromUpdate(decode(WsOrderUpdate, update("orderCancelled", { X: undefined })), "hl-m1", filled)
    expect([cancelled.status, text(cancelled.filledQty)]).toEqual(["cancelled", "0"])
  })
})

describe("garbage is an InvalidResponse naming the field", () => {
  it("names the bad decimal, the bad time, the missing field and the bad filter", () => {
    const base = { id: "1", symbol: "X", side: "Ask", orderType: "Limit", quantity: "5", executedQuantity: "0", executedQuoteQuantity: "0", status: "New", createdAt: 1 }
    expect(decodeText(WireOrder, JSON.stringify({ ...base, executedQuantity: "abc" }), "GET /api/v1/order").detail).toMatch(/^GET \/api\/v1\/order: field executedQuantity: /)
    expect(decodeText(WireOrder, JSON.stringify({ ...base, status: "Bogus" })).detail).toContain("field status")
    expect(decodeText(WireOrder, JSON.stringify({ ...base, id: undefined })).detail).toContain("field id")
    expect(decodeText(WireOrder, JSON.stringify({ ...base, createdAt: "yesterday" })).detail).toContain("field createdAt")
    expect(decodeText(WireMarkPrices, JSON.stringify([{ symbol: "X", markPrice: "1", nextFundingTimestamp: "soon" }])).detail).toContain("field 0.nextFundingTimestamp")
    expect(decodeText(WireMarket, JSON.stringify({ symbol: "X", baseSymbol: "A", quoteSymbol: "B", marketType: "PERP", filters: { price: { minPrice: "0", tickSize: "0" }, quantity: { minQuantity: "1", stepSize: "1" } } })).detail).toContain("field filters.price.tickSize")
    expect(decodeText(WireMarket, JSON.stringify({ symbol: "X", baseSymbol: "A", quoteSymbol: "B", marketType: "OPTION", filters: { price: { minPrice: "0", tickSize: "1" }, quantity: { minQuantity: "1", stepSize: "1" } } })).detail).toContain("field marketType")
    expect(decodeText(WsOrderUpdate, JSON.stringify({ e: "orderFill", E: 1, s: "X", S: "Sell", i: "1" })).detail).toContain("field S")
    expect(decodeText(WsDepth, JSON.stringify({ e: "depth", E: "soon", s: "X", U: 1, u: 1, a: [], b: [] })).detail).toContain("field E")
    expect(decodeText(WsDepth, JSON.stringify({ e: "depth", E: 1, s: "X", U: 1, u: 1.5, a: [], b: [] })).detail).toContain("field u")
  })

  it("says malformed JSON for a body that is not JSON", () => {
    expect(decodeText(WireTicker, '{"symbol":"X","lastPr', "GET /api/v1/ticker").detail).toBe('GET /api/v1/ticker: malformed JSON: {"symbol":"X","lastPr')
  })
})

describe("client ids", () => {
  it("are the decimal itself when already a uint32, else the first 4 bytes of SHA-256, big-endian", async () => {
    const { createHash } = await import("node:crypto")
    expect(backpackClientId("4242")).toBe(4242)
    expect(backpackClientId("4294967295")).toBe(4294967295)
    const digest = createHash("sha256").update("4294967296").digest()
    expect(backpackClientId("4294967296")).toBe(((digest[0]! << 24) >>> 0) + (digest[1]! << 16) + (digest[2]! << 8) + digest[3]!)
    const hl = createHash("sha256").update("hl-m1").digest()
    expect(backpackClientId("hl-m1")).toBe(hl.readUInt32BE(0))
    expect(backpackClientId("hl-m1")).toBe(backpackClientId("hl-m1"))
  })

  it("remember their string, and refuse a second string on the same number", () => {
    const ids = new ClientIds()
    expect(ids.register("hl-m1")).toEqual(Either.right(backpackClientId("hl-m1")))
    expect(ids.nameOf(backpackClientId("hl-m1"))).toBe("hl-m1")
    expect(ids.isOwn(backpackClientId("hl-m1"))).toBe(true)
    expect(ids.nameOf(17)).toBe("17")
    // "04242" is sent as 4242 too: a second order under 4242 would be ambiguous, so it is refused
    expect(ids.register("4242")).toEqual(Either.right(4242))
    expect(ids.register("4242")).toEqual(Either.right(4242))
    expect(ids.register("04242")).toEqual(Either.left("4242"))
  })

  it("keep only the latest ids: an id used again stays, the oldest is forgotten and no longer blocks its number", () => {
    const ids = new ClientIds(2)
    expect(ids.register("4242")).toEqual(Either.right(4242))
    ids.register("hl-m1")
    // used again: now the latest
    ids.register("4242")
    ids.register("hl-m2")
    expect([ids.isOwn(4242), ids.isOwn(backpackClientId("hl-m1")), ids.isOwn(backpackClientId("hl-m2"))]).toEqual([true, false, true])
    expect(ids.nameOf(backpackClientId("hl-m1"))).toBe(String(backpackClientId("hl-m1")))
    expect(ids.register("04242")).toEqual(Either.left("4242"))
    ids.register("hl-m3")
    expect(ids.register("04242")).toEqual(Either.right(4242))
    expect(ids.nameOf(4242)).toBe("04242")
  })
})
