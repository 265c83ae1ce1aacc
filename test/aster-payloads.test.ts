/**
 * Every Aster payload sample of the docs decodes with our Schemas (futures and spot), maps to the
 * core domain as the docs define the fields, and garbage becomes InvalidResponse naming the field.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Option, type Schema } from "effect"
import {
  AggTradeEvent,
  BookTicker,
  BookTickerEvent,
  Depth,
  Empty,
  ErrorBody,
  FundingInfo,
  FuturesBalances,
  FuturesExchangeInfo,
  FuturesUserEvent,
  futuresOrderUpdateOf,
  ListenKey,
  OrderTradeUpdate,
  orderOf,
  PositionRisk,
  positionQtyOf,
  PremiumIndex,
  PriceTicker,
  ServerTime,
  SpotAccount,
  SpotExchangeInfo,
  SpotUserEvent,
  spotOrderUpdateOf,
  ExecutionReport,
  fillOf,
  symbolRulesOf,
  UserTrades,
  WireOrder,
  WireOrders
} from "../src/adapters/aster/schemas"
import { mapAsterError } from "../src/adapters/aster/client"
import { defaultStreamUrl } from "../src/adapters/aster/exchange"
import { decodeJson } from "../src/adapters/common/rest"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import type { Venue } from "../src/core/domain/venue"
import { futures, spot } from "./support/aster-doc-samples"

const decode = <A, I>(venue: Venue, schema: Schema.Schema<A, I>, text: string, what = "sample") => Effect.runSync(Effect.either(decodeJson(venue, schema, text, what)))
const ok = <A, I>(venue: Venue, schema: Schema.Schema<A, I>, text: string): A => {
  const result = decode(venue, schema, text)
  if (Either.isLeft(result)) throw new Error(result.left.message)
  return result.right
}
const fmt = formatDecimal

describe("futures samples", () => {
  const v = "aster-futures" as const
  const cases: ReadonlyArray<readonly [string, Schema.Schema<any, any>, string]> = [
    ["time", ServerTime, futures.time],
    ["exchangeInfo", FuturesExchangeInfo, futures.exchangeInfo],
    ["depth", Depth, futures.depth],
    ["premiumIndex", PremiumIndex, futures.premiumIndex],
    ["fundingInfo", FundingInfo, futures.fundingInfo],
    ["ticker/price", PriceTicker, futures.price],
    ["ticker/bookTicker", BookTicker, futures.bookTicker],
    ["new order", WireOrder, futures.newOrder],
    ["query order", WireOrder, futures.queryOrder],
    ["cancel order", WireOrder, futures.cancelOrder],
    ["forceOrders (order objects)", WireOrders, futures.forceOrders],
    ["balance", FuturesBalances, futures.balance],
    ["positionRisk one-way", PositionRisk, futures.positionRiskOneWay],
    ["positionRisk hedge", PositionRisk, futures.positionRiskHedge],
    ["userTrades", UserTrades, futures.userTrades],
    ["listenKey", ListenKey, futures.listenKey],
    ["keep-alive", Empty, futures.empty],
    ["error", ErrorBody, futures.error],
    ["cancel-all (code as a string)", ErrorBody, futures.cancelAll],
    ["listenKeyExpired", FuturesUserEvent, futures.listenKeyExpired],
    ["ACCOUNT_UPDATE", FuturesUserEvent, futures.accountUpdate],
    ["ORDER_TRADE_UPDATE", FuturesUserEvent, futures.orderTradeUpdate],
    ["MARGIN_CALL", FuturesUserEvent, futures.marginCall],
    ["ACCOUNT_CONFIG_UPDATE", FuturesUserEvent, futures.accountConfigUpdate],
    ["bookTicker stream", BookTickerEvent, futures.bookTickerEvent],
    ["aggTrade stream", AggTradeEvent, futures.aggTradeEvent]
  ]
  it.each(cases)("%s decodes", (_name, schema, text) => {
    expect(Either.isRight(decode(v, schema, text))).toBe(true)
  })

  it("exchangeInfo → instrument: tick from PRICE_FILTER, step and min from the lot filters, min notional from `notional`", () => {
    const info = ok(v, FuturesExchangeInfo, futures.exchangeInfo)
    const rules = Either.getOrThrow(symbolRulesOf(v, info.symbols[0]!))
    const i = rules.instrument
    expect([i.symbol, i.base, i.quote, i.kind]).toEqual(["DOGEUSDT", "BLZ", "USDT", "perp"])
    expect([fmt(i.tickSize), fmt(i.stepSize), fmt(i.minQty), fmt(i.minNotional)]).toEqual(["0.0001", "1", "1", "1"])
    expect(i.trading).toEqual({ state: "TRADING", makerOrders: true, takerOrders: true })
    expect(info.rateLimits[0]).toEqual({ interval: "MINUTE", intervalNum: 1, limit: 2400, rateLimitType: "REQUEST_WEIGHT" })
    // a contract not trading (being listed, settled, closed) takes no order
    for (const status of ["PENDING_TRADING", "PRE_SETTLE", "SETTLING", "CLOSE"]) {
      expect(Either.getOrThrow(symbolRulesOf(v, { ...info.symbols[0]!, status })).instrument.trading).toEqual({ state: status, makerOrders: false, takerOrders: false })
    }
  })

  it("orders: statuses and types mapped; an order type the core does not trade is named", () => {
    const cancelled = ok(v, WireOrder, futures.cancelOrder)
    expect(Either.getLeft(orderOf(v, cancelled))).toEqual(Option.some("type: unsupported order type TRAILING_STOP_MARKET"))
    const limit = Either.getOrThrow(orderOf(v, ok(v, WireOrders, futures.forceOrders)[0]!))
    expect(limit).toMatchObject({ id: "6071832819", clientId: "autoclose-1596107620040000020", side: "sell", type: "limit", status: "filled", timeInForce: "IOC", postOnly: false, createdAt: 1596107620044, updatedAt: 1596107620087 })
    expect([fmt(limit.price!), fmt(limit.qty), fmt(limit.filledQty), fmt(limit.filledQuote)]).toEqual(["10871.09", "0.001", "0.001", "10.91321"])
  })

  it("positionRisk: one-way is the BOTH row, hedge mode the sum of LONG and SHORT", () => {
    expect(fmt(positionQtyOf(ok(v, PositionRisk, futures.positionRiskOneWay), "BTCUSDT"))).toBe("0")
    expect(fmt(positionQtyOf(ok(v, PositionRisk, futures.positionRiskHedge), "BTCUSDT"))).toBe("10")
  })

  it("userTrades → fills (commission as the venue reports it)", () => {
    const fill = fillOf(v, ok(v, UserTrades, futures.userTrades)[0]!)
    expect(fill).toMatchObject({ orderId: "25851813", tradeId: "698759", side: "sell", liquidity: "taker", feeAsset: "USDT", ts: 1569514978020 })
    expect([fmt(fill.price), fmt(fill.qty), fmt(fill.fee)]).toEqual(["7819.01", "0.002", "-0.0781901"])
  })

  it("ORDER_TRADE_UPDATE: a trailing stop is not ours; a LIMIT trade becomes an update with its fill", () => {
    const event = ok(v, OrderTradeUpdate, futures.orderTradeUpdate)
    expect(Option.isNone(futuresOrderUpdateOf(v, event))).toBe(true)
    const trade = ok(
      v,
      OrderTradeUpdate,
      futures.orderTradeUpdate.replace(`"o": "TRAILING_STOP_MARKET"`, `"o": "LIMIT"`).replace(`"p": "0"`, `"p": "7100"`).replace(`"ap": "0"`, `"ap": "7100"`)
        .replace(`"x": "NEW"`, `"x": "TRADE"`).replace(`"X": "NEW"`, `"X": "FILLED"`).replace(`"l": "0"`, `"l": "0.001"`).replace(`"z": "0"`, `"z": "0.001"`)
        .replace(`"L": "0"`, `"L": "7100"`).replace(`"n": "0"`, `"n": "0.0014"`).replace(`"t": 0`, `"t": 77`).replace(`"m": false`, `"m": true`)
    )
    const update = Option.getOrThrow(futuresOrderUpdateOf(v, trade))
    expect(update.order).toMatchObject({ id: "8886774", clientId: "TEST", side: "sell", type: "limit", status: "filled" })
    // 7100 × 0.001: average price × filled quantity
    expect(fmt(update.order.filledQuote)).toBe("7.1")
    expect(update.fill).toMatchObject({ tradeId: "77", liquidity: "maker", feeAsset: "USDT", ts: 1568879465651 })
    expect([fmt(update.fill!.price), fmt(update.fill!.qty), fmt(update.fill!.fee)]).toEqual(["7100", "0.001", "0.0014"])
  })
})

describe("spot samples", () => {
  const v = "aster-spot" as const
  const cases: ReadonlyArray<readonly [string, Schema.Schema<any, any>, string]> = [
    ["time", ServerTime, spot.time],
    ["exchangeInfo", SpotExchangeInfo, spot.exchangeInfo],
    ["depth", Depth, spot.depth],
    ["ticker/price", PriceTicker, spot.price],
    ["ticker/bookTicker", BookTicker, spot.bookTicker],
    ["new order", WireOrder, spot.newOrder],
    ["cancel order", WireOrder, spot.cancelOrder],
    ["query order", WireOrder, spot.queryOrder],
    ["openOrders", WireOrders, spot.openOrders],
    ["account", SpotAccount, spot.account],
    ["userTrades", UserTrades, spot.userTrades],
    ["listenKey", ListenKey, spot.listenKey],
    ["cancel-all", ErrorBody, spot.cancelAll],
    ["outboundAccountPosition", SpotUserEvent, spot.outboundAccountPosition],
    ["executionReport", SpotUserEvent, spot.executionReport],
    ["bookTicker stream (no e/E/T)", BookTickerEvent, spot.bookTickerEvent],
    ["aggTrade stream", AggTradeEvent, spot.aggTradeEvent]
  ]
  it.each(cases)("%s decodes", (_name, schema, text) => {
    expect(Either.isRight(decode(v, schema, text))).toBe(true)
  })

  it("exchangeInfo → instrument: min notional from `minNotional`, step and min qty valid for both lot filters", () => {
    const info = ok(v, SpotExchangeInfo, spot.exchangeInfo)
    const rules = Either.getOrThrow(symbolRulesOf(v, info.symbols[0]!))
    const i = rules.instrument
    expect([i.symbol, i.base, i.quote, i.kind]).toEqual(["BNBUSDT", "BNB", "USDT", "spot"])
    // LOT_SIZE min 1, MARKET_LOT_SIZE min 0.001, both step 0.001
    expect([fmt(i.tickSize), fmt(i.stepSize), fmt(i.minQty), fmt(i.minNotional)]).toEqual(["0.01", "0.001", "1", "5"])
    expect([fmt(rules.marketLot.stepSize), fmt(rules.marketLot.minQty), fmt(rules.limitLot.minQty)]).toEqual(["0.001", "0.001", "1"])
  })

  it("the instrument's step fits both lot filters when they differ (least common multiple)", () => {
    const info = ok(v, SpotExchangeInfo, spot.exchangeInfo.replace(`{"stepSize": "0.00100000", "filterType": "MARKET_LOT_SIZE"`, `{"stepSize": "0.00150000", "filterType": "MARKET_LOT_SIZE"`))
    const rules = Either.getOrThrow(symbolRulesOf(v, info.symbols[0]!))
    expect(fmt(rules.instrument.stepSize)).toBe("0.003")
  })

  it("orders and fills", () => {
    const order = Either.getOrThrow(orderOf(v, ok(v, WireOrder, spot.queryOrder)))
    expect(order).toMatchObject({ id: "38", side: "buy", type: "limit", status: "filled", createdAt: 1649913186270 })
    expect([fmt(order.price!), fmt(order.filledQuote)]).toEqual(["20", "120"])
    const fill = fillOf(v, ok(v, UserTrades, spot.userTrades)[0]!)
    expect([fill.side, fill.liquidity, fmt(fill.fee), fill.feeAsset]).toEqual(["buy", "taker", "0.00105", "BNB"])
  })

  it("executionReport: cumulative quote from Z, fill from l / L / n / N, creation time 0 → trade time", () => {
    const update = Option.getOrThrow(spotOrderUpdateOf(v, ok(v, ExecutionReport, spot.executionReport)))
    expect(update.order).toMatchObject({ id: "27", clientId: "Xzh0gnxT41PStbwqOtXnjD", side: "sell", status: "partially-filled", createdAt: 1649926447190 })
    expect([fmt(update.order.filledQty), fmt(update.order.filledQuote)]).toEqual(["8.999", "171.88089996"])
    expect(update.fill).toMatchObject({ tradeId: "18", liquidity: "maker", feeAsset: "SLP25" })
    expect([fmt(update.fill!.price), fmt(update.fill!.qty), fmt(update.fill!.fee)]).toEqual(["19.1", "1", "0.00382"])
  })
})

describe("garbage becomes InvalidResponse naming the field", () => {
  const v = "aster-futures" as const
  const detail = <A, I>(schema: Schema.Schema<A, I>, text: string) => {
    const result = decode(v, schema, text, "what")
    if (Either.isRight(result)) throw new Error("decoded garbage")
    expect(result.left._tag).toBe("InvalidResponse")
    return result.left.detail
  }

  it("malformed JSON", () => {
    expect(detail(BookTicker, `{"symbol": "BTC`)).toContain("what: malformed JSON")
  })

  it("a price that is not a decimal string", () => {
    expect(detail(BookTicker, futures.bookTicker.replace(`"4.00000000"`, `4.0`))).toContain("field bidPrice")
    expect(detail(BookTicker, futures.bookTicker.replace(`"4.00000000"`, `"1e-8"`))).toContain("field bidPrice")
  })

  it("a filter field deep in exchangeInfo", () => {
    expect(detail(FuturesExchangeInfo, futures.exchangeInfo.replace(`"tickSize": "0.0001"`, `"tickSize": "abc"`))).toContain("field symbols.0.filters.0.tickSize")
    // the spot key in a futures MIN_NOTIONAL is not the futures one
    expect(detail(FuturesExchangeInfo, futures.exchangeInfo.replace(`"notional": "1"`, `"minNotional": "1"`))).toContain("field symbols.0.filters.5.notional")
  })

  it("an order with a missing or unknown field value", () => {
    expect(detail(WireOrder, futures.queryOrder.replace(`"executedQty": "0",`, ""))).toContain("field executedQty")
    expect(detail(WireOrder, futures.queryOrder.replace(`"status": "NEW"`, `"status": "OPEN"`))).toContain("field status")
  })

  it("a user data event with a broken known field", () => {
    expect(detail(FuturesUserEvent, futures.orderTradeUpdate.replace(`"z": "0"`, `"z": null`))).toContain("field o.z")
    expect(detail(SpotUserEvent, spot.executionReport.replace(`"Z": "171.88089996"`, `"Z": 171.88`))).toContain("field Z")
  })

  it("a missing filter is named by the instrument mapping", () => {
    const info = ok(v, FuturesExchangeInfo, futures.exchangeInfo.replace(`{"filterType": "PRICE_FILTER", "maxPrice": "300", "minPrice": "0.0001", "tickSize": "0.0001"},`, ""))
    expect(Either.getLeft(symbolRulesOf(v, info.symbols[0]!))).toEqual(Option.some("symbols[DOGEUSDT].filters: no PRICE_FILTER with a positive tickSize"))
  })

  it("decimal values keep their exact digits", () => {
    const index = ok(v, PremiumIndex, futures.premiumIndex)
    expect(fmt(index.markPrice)).toBe("11793.63104562")
    expect(index.nextFundingTime).toBe(1597392000000)
    expect(fmt(ok(v, PriceTicker, futures.price).price)).toBe(fmt(decimal("6000.01")))
  })
})

describe("error bodies → core errors (code and message kept)", () => {
  const v = "aster-futures" as const
  const map = (code: number, msg: string, ref?: string) => mapAsterError(v, { code, msg }, ref)

  it("rate limits, unknown outcomes, unknown orders, insufficient funds", () => {
    expect(map(-1003, "Too many requests.")._tag).toBe("RateLimited")
    expect(map(-1015, "Too many new orders.")._tag).toBe("RateLimited")
    expect(map(-1007, "Timeout waiting for response from backend server.")).toMatchObject({ _tag: "VenueUnavailable", reason: "Timeout waiting for response from backend server. (-1007)" })
    expect(map(-2013, "Order does not exist.", "42")).toMatchObject({ _tag: "UnknownOrder", orderId: "42" })
    expect(map(-2011, "Unknown order sent.", "client id hl-1")).toMatchObject({ _tag: "UnknownOrder", orderId: "client id hl-1" })
    for (const code of [-2010, -2018, -2019]) expect(map(code, "Margin is insufficient.")).toMatchObject({ _tag: "InsufficientBalance", reason: `Margin is insufficient. (${code})` })
  })

  it("-2010 (NEW_ORDER_REJECTED) is a balance shortfall only when its message says so", () => {
    expect(map(-2010, "Account has insufficient balance for requested action.")).toMatchObject({
      _tag: "InsufficientBalance",
      reason: "Account has insufficient balance for requested action. (-2010)"
    })
    expect(map(-2010, "Order would exceed the position limit.")).toMatchObject({ _tag: "OrderRejected", code: "-2010", reason: "Order would exceed the position limit." })
    expect(map(-2010, "Order rejected.")).toMatchObject({ _tag: "OrderRejected", code: "-2010", reason: "Order rejected." })
    expect(map(-2010, "Order rejected.")).not.toHaveProperty("wouldTake", true)
  })

  it("a crossing post-only order is a rejection that would have taken liquidity", () => {
    expect(map(-2010, "Order would immediately match and take.")).toMatchObject({ _tag: "OrderRejected", wouldTake: true, code: "-2010" })
    expect(map(-5022, "Due to the order could not be executed as maker, the Post Only order will be rejected.")).toMatchObject({ _tag: "OrderRejected", wouldTake: true })
  })

  it("anything else is OrderRejected with the venue's code and message", () => {
    expect(map(-4164, "Order's notional must be no smaller than 5.0 (unless you choose reduce only)")).toMatchObject({
      _tag: "OrderRejected",
      code: "-4164",
      reason: "Order's notional must be no smaller than 5.0 (unless you choose reduce only)"
    })
    expect(map(-1022, "Signature for this request is not valid.")).toMatchObject({ _tag: "OrderRejected", code: "-1022" })
  })
})

describe("stream hosts", () => {
  it("fapi → fstream, sapi → sstream (mainnet and testnet), a local exchange on its own host", () => {
    expect(defaultStreamUrl("https://fapi.asterdex.com")).toBe("wss://fstream.asterdex.com")
    expect(defaultStreamUrl("https://sapi.asterdex.com/")).toBe("wss://sstream.asterdex.com")
    expect(defaultStreamUrl("https://fapi.asterdex-testnet.com")).toBe("wss://fstream.asterdex-testnet.com")
    expect(defaultStreamUrl("http://127.0.0.1:8081")).toBe("ws://127.0.0.1:8081")
  })
})
