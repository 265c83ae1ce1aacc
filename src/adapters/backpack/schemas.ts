/**
 * Backpack's wire payloads (REST answers, request bodies, WebSocket messages) as Schemas, and their
 * mapping onto the core domain. Decoding is strict only where hedgeloop depends on a field; fields
 * the venue documents as nullable are optional. The local venue renders its answers as the
 * `Encoded` side of these same Schemas, so the adapter and the local server share one contract.
 */
import { BigDecimal, ParseResult, Schema } from "effect"
import type { FundingPayment } from "../../core/accounting/ledger"
import type { Balance } from "../../core/domain/account"
import { DecimalString, ZERO } from "../../core/domain/decimal"
import { type Instrument, InstrumentKind, type MarketTrading } from "../../core/domain/instrument"
import type { Fill, Order, OrderStatus, Side } from "../../core/domain/order"
import { bestLevels, priceOrder } from "./order-book"

const VENUE = "backpack" as const

// ---------------------------------------------------------------------------------------------
// Field types
// ---------------------------------------------------------------------------------------------

/** A field the venue may send as null or leave out. */
const optionalNullable = <A, I, R>(schema: Schema.Schema<A, I, R>) => Schema.optionalWith(schema, { nullable: true })

/** Venue times beyond this are microseconds (the docs say µs for stream and engine times). */
const MICROS_THRESHOLD = 1e14
const toMillis = (value: number): number => (value >= MICROS_THRESHOLD ? Math.floor(value / 1000) : value)

/**
 * A time in ms since epoch, sent as a number, a numeric string ("1754956800000") or a naive-UTC
 * date ("2025-09-11T12:00:00", "2025-09-11 15:33:00"), as the venue's endpoints variously do.
 */
export const EpochMillis = Schema.transformOrFail(Schema.Union(Schema.Number, Schema.String), Schema.Number, {
  strict: true,
  decode: (input, _options, ast) => {
    if (typeof input === "number") return Number.isFinite(input) ? ParseResult.succeed(toMillis(input)) : ParseResult.fail(new ParseResult.Type(ast, input, "expected a finite time"))
    const text = input.trim()
    if (/^\d+$/.test(text)) return ParseResult.succeed(toMillis(Number(text)))
    const iso = text.replace(" ", "T")
    const zoned = /(Z|[+-]\d\d:?\d\d)$/.test(iso) ? iso : `${iso}Z`
    const ms = /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(iso) ? Date.parse(zoned) : Number.NaN
    return Number.isFinite(ms) ? ParseResult.succeed(ms) : ParseResult.fail(new ParseResult.Type(ast, input, `expected a time (ms or ISO date), got ${JSON.stringify(input)}`))
  },
  encode: (ms) => ParseResult.succeed(ms)
}).annotations({ identifier: "EpochMillis" })

/**
 * Stream and engine times: µs on the venue, ms inside. Sent as a number or as a numeric string
 * (the depth stream quotes its `E`/`T`), so both are read.
 */
export const EngineTime = Schema.transformOrFail(Schema.Union(Schema.Number, Schema.String), Schema.Number, {
  strict: true,
  decode: (input, _options, ast) => {
    const value = typeof input === "number" ? input : /^\d+$/.test(input) ? Number(input) : Number.NaN
    return Number.isFinite(value) ? ParseResult.succeed(toMillis(value)) : ParseResult.fail(new ParseResult.Type(ast, input, `expected a time in µs, got ${JSON.stringify(input)}`))
  },
  encode: (ms) => ParseResult.succeed(ms * 1000)
}).annotations({ identifier: "EngineTime" })

/** Backpack's client order id: an unsigned 32-bit integer. */
export const ClientIdNumber = Schema.Number.pipe(Schema.int(), Schema.between(0, 4_294_967_295)).annotations({ identifier: "ClientIdNumber" })

const PositiveDecimal = DecimalString.pipe(Schema.filter((d) => BigDecimal.isPositive(d) || "expected a positive decimal"))

/** Accepts the venue's spellings regardless of case and underscores (REST "Limit", streams "LIMIT"). */
const looseLiteral = <const L extends readonly [string, ...Array<string>]>(...values: L) => {
  const key = (text: string) => text.replace(/_/g, "").toLowerCase()
  return Schema.transformOrFail(Schema.String, Schema.Literal(...values), {
    strict: true,
    decode: (text, _options, ast) => {
      const found = values.find((value) => key(value) === key(text))
      return found !== undefined
        ? ParseResult.succeed(found as L[number])
        : ParseResult.fail(new ParseResult.Type(ast, text, `expected one of ${values.join(", ")}, got ${JSON.stringify(text)}`))
    },
    encode: (value) => ParseResult.succeed(value)
  })
}

export const WireSide = Schema.Literal("Bid", "Ask")
export type WireSide = typeof WireSide.Type
export const WireOrderType = looseLiteral("Limit", "Market")
export const WireTimeInForce = looseLiteral("GTC", "IOC", "FOK")
export const WireOrderStatus = looseLiteral("New", "PartiallyFilled", "Filled", "Cancelled", "Expired", "TriggerPending", "Triggered", "TriggerFailed")
export type WireOrderStatus = typeof WireOrderStatus.Type

/** SPOT is spot; the venue's perpetual kinds are perps; anything else is not tradable here. */
export const WireMarketType = Schema.transformOrFail(Schema.String, InstrumentKind, {
  strict: true,
  decode: (text, _options, ast) =>
    text === "SPOT" ? ParseResult.succeed("spot" as const)
    : text === "PERP" || text === "IPERP" ? ParseResult.succeed("perp" as const)
    : ParseResult.fail(new ParseResult.Type(ast, text, `unsupported market type ${JSON.stringify(text)}`)),
  encode: (kind) => ParseResult.succeed(kind === "spot" ? "SPOT" : "PERP")
})

// ---------------------------------------------------------------------------------------------
// REST answers
// ---------------------------------------------------------------------------------------------

/** GET /api/v1/time: the server time in ms (a bare JSON number). */
export const WireServerTime = Schema.Union(Schema.Number, Schema.NumberFromString)

/** GET /api/v1/market(s): one market with its filters. */
export const WireMarket = Schema.Struct({
  symbol: Schema.String,
  baseSymbol: Schema.String,
  quoteSymbol: Schema.String,
  marketType: WireMarketType,
  filters: Schema.Struct({
    price: Schema.Struct({
      minPrice: DecimalString,
      maxPrice: optionalNullable(DecimalString),
      tickSize: PositiveDecimal
    }),
    quantity: Schema.Struct({
      minQuantity: DecimalString,
      maxQuantity: optionalNullable(DecimalString),
      stepSize: PositiveDecimal
    })
  }),
  /** ms; the venue sends it as a number or a string */
  fundingInterval: optionalNullable(Schema.Union(Schema.Number, Schema.NumberFromString)),
  orderBookState: optionalNullable(Schema.String)
})
export type WireMarket = typeof WireMarket.Type
export const WireMarkets = Schema.Array(WireMarket)

/** GET /api/v1/ticker: 24 h statistics; only the last price is relied upon. */
export const WireTicker = Schema.Struct({
  symbol: Schema.String,
  lastPrice: DecimalString,
  firstPrice: optionalNullable(DecimalString),
  priceChange: optionalNullable(DecimalString),
  priceChangePercent: optionalNullable(DecimalString),
  high: optionalNullable(DecimalString),
  low: optionalNullable(DecimalString),
  volume: optionalNullable(DecimalString),
  quoteVolume: optionalNullable(DecimalString),
  trades: optionalNullable(Schema.Union(Schema.String, Schema.Number))
})
export type WireTicker = typeof WireTicker.Type

const Level = Schema.Tuple(DecimalString, DecimalString)

/** GET /api/v1/depth: [price, qty] levels (the venue lists both sides in ascending price). */
export const WireDepth = Schema.Struct({
  asks: Schema.Array(Level),
  bids: Schema.Array(Level),
  lastUpdateId: optionalNullable(Schema.Union(Schema.String, Schema.Number)),
  timestamp: optionalNullable(EngineTime)
})
export type WireDepth = typeof WireDepth.Type

/** GET /api/v1/markPrices: mark price and the funding clock. */
export const WireMarkPrice = Schema.Struct({
  symbol: Schema.String,
  markPrice: DecimalString,
  indexPrice: optionalNullable(DecimalString),
  fundingRate: optionalNullable(DecimalString),
  nextFundingTimestamp: optionalNullable(EpochMillis)
})
export type WireMarkPrice = typeof WireMarkPrice.Type
export const WireMarkPrices = Schema.Array(WireMarkPrice)

/** GET /api/v1/fundingRates */
export const WireFundingRate = Schema.Struct({ symbol: Schema.String, fundingRate: DecimalString, intervalEndTimestamp: EpochMillis })
export const WireFundingRates = Schema.Array(WireFundingRate)

/**
 * GET /wapi/v1/history/funding (`fundingHistoryQueryAll`): one funding payment of the account.
 * `quantity` is the amount paid or received (positive = received), `intervalEndTimestamp` the
 * funding time (a naive-UTC date). Neither the position nor the mark price is given.
 */
export const WireFundingPayment = Schema.Struct({
  userId: optionalNullable(Schema.Number),
  subaccountId: optionalNullable(Schema.Number),
  symbol: Schema.String,
  quantity: DecimalString,
  intervalEndTimestamp: EpochMillis,
  fundingRate: DecimalString
})
export type WireFundingPayment = typeof WireFundingPayment.Type
export const WireFundingPayments = Schema.Array(WireFundingPayment)

/** GET /api/v1/openInterest */
export const WireOpenInterest = Schema.Struct({ symbol: Schema.String, openInterest: DecimalString, timestamp: optionalNullable(EpochMillis) })
export const WireOpenInterests = Schema.Array(WireOpenInterest)

/** GET /api/v1/klines (start/end are naive-UTC dates) */
export const WireKline = Schema.Struct({
  start: EpochMillis,
  end: optionalNullable(EpochMillis),
  open: optionalNullable(DecimalString),
  high: optionalNullable(DecimalString),
  low: optionalNullable(DecimalString),
  close: optionalNullable(DecimalString),
  volume: DecimalString,
  quoteVolume: optionalNullable(DecimalString),
  trades: Schema.Union(Schema.String, Schema.Number)
})
export const WireKlines = Schema.Array(WireKline)

/** An order as GET/POST/DELETE /api/v1/order, GET /api/v1/orders and the order history return it. */
export const WireOrder = Schema.Struct({
  id: Schema.String,
  clientId: optionalNullable(ClientIdNumber),
  symbol: Schema.String,
  side: WireSide,
  orderType: WireOrderType,
  /** absent on a market order sized in quote */
  quantity: optionalNullable(DecimalString),
  quoteQuantity: optionalNullable(DecimalString),
  executedQuantity: DecimalString,
  executedQuoteQuantity: DecimalString,
  price: optionalNullable(DecimalString),
  timeInForce: optionalNullable(WireTimeInForce),
  postOnly: optionalNullable(Schema.Boolean),
  reduceOnly: optionalNullable(Schema.Boolean),
  selfTradePrevention: optionalNullable(Schema.String),
  status: WireOrderStatus,
  /** ms (open orders) or a naive-UTC date (history) */
  createdAt: EpochMillis
})
export type WireOrder = typeof WireOrder.Type
export const WireOrders = Schema.Array(WireOrder)

/** GET /wapi/v1/history/fills */
export const WireFill = Schema.Struct({
  tradeId: optionalNullable(Schema.Union(Schema.Number, Schema.String)),
  clientId: optionalNullable(Schema.Union(Schema.String, Schema.Number)),
  orderId: Schema.String,
  symbol: Schema.String,
  side: WireSide,
  price: DecimalString,
  quantity: DecimalString,
  fee: DecimalString,
  feeSymbol: Schema.String,
  isMaker: Schema.Boolean,
  timestamp: EpochMillis,
  systemOrderType: optionalNullable(Schema.String)
})
export type WireFill = typeof WireFill.Type
export const WireFills = Schema.Array(WireFill)

/** GET /api/v1/position: open perp positions (netQuantity is signed, negative = short). */
export const WirePosition = Schema.Struct({
  symbol: Schema.String,
  netQuantity: DecimalString,
  netExposureQuantity: optionalNullable(DecimalString),
  entryPrice: optionalNullable(DecimalString),
  markPrice: optionalNullable(DecimalString),
  pnlRealized: optionalNullable(DecimalString),
  pnlUnrealized: optionalNullable(DecimalString)
})
export type WirePosition = typeof WirePosition.Type
export const WirePositions = Schema.Array(WirePosition)

/** GET /api/v1/capital: asset → balances. */
export const WireCapital = Schema.Record({
  key: Schema.String,
  value: Schema.Struct({ available: DecimalString, locked: DecimalString, staked: optionalNullable(DecimalString) })
})
export type WireCapital = typeof WireCapital.Type

/** GET /api/v1/account/limits/order: the largest order the account's balances and margin allow now. */
export const WireMaxOrder = Schema.Struct({ symbol: Schema.String, side: Schema.String, maxOrderQuantity: DecimalString })

/** Every error answer: `{"code": "...", "message": "..."}` with an HTTP status. */
export const WireErrorBody = Schema.Struct({ code: Schema.String, message: Schema.String })
export type WireErrorBody = typeof WireErrorBody.Type

// ---------------------------------------------------------------------------------------------
// Request payloads (built by the adapter, decoded by the local venue)
// ---------------------------------------------------------------------------------------------

/** POST /api/v1/order body (the fields hedgeloop sends or the venue documents for them). */
export const OrderExecuteBody = Schema.Struct({
  symbol: Schema.String,
  side: WireSide,
  orderType: Schema.Literal("Limit", "Market"),
  quantity: Schema.optional(DecimalString),
  quoteQuantity: Schema.optional(DecimalString),
  price: Schema.optional(DecimalString),
  postOnly: Schema.optional(Schema.Boolean),
  timeInForce: Schema.optional(Schema.Literal("GTC", "IOC", "FOK")),
  clientId: Schema.optional(ClientIdNumber),
  reduceOnly: Schema.optional(Schema.Boolean),
  selfTradePrevention: Schema.optional(Schema.Literal("RejectTaker", "RejectMaker", "RejectBoth", "Allow"))
})
export type OrderExecuteBody = typeof OrderExecuteBody.Type

/** DELETE /api/v1/order body: the symbol and one of orderId / clientId. */
export const OrderCancelBody = Schema.Struct({
  symbol: Schema.String,
  orderId: Schema.optional(Schema.String),
  clientId: Schema.optional(ClientIdNumber)
})

const ClientIdFromString = Schema.compose(Schema.NumberFromString, ClientIdNumber)

/** GET /api/v1/order query: the symbol and one of orderId / clientId. */
export const OrderQueryParams = Schema.Struct({
  symbol: Schema.String,
  orderId: Schema.optional(Schema.String),
  clientId: Schema.optional(ClientIdFromString)
})

/** GET /wapi/v1/history/orders and /wapi/v1/history/fills query. */
export const HistoryQueryParams = Schema.Struct({
  symbol: Schema.optional(Schema.String),
  orderId: Schema.optional(Schema.String),
  from: Schema.optional(Schema.NumberFromString),
  to: Schema.optional(Schema.NumberFromString),
  limit: Schema.optional(Schema.NumberFromString),
  offset: Schema.optional(Schema.NumberFromString)
})

/** GET /wapi/v1/history/funding query: newest first unless `sortDirection` says Asc. */
export const FundingHistoryQueryParams = Schema.Struct({
  symbol: Schema.optional(Schema.String),
  subaccountId: Schema.optional(Schema.NumberFromString),
  limit: Schema.optional(Schema.NumberFromString),
  offset: Schema.optional(Schema.NumberFromString),
  sortDirection: Schema.optional(Schema.Literal("Asc", "Desc"))
})

// ---------------------------------------------------------------------------------------------
// WebSocket
// ---------------------------------------------------------------------------------------------

/** `{"method":"SUBSCRIBE","params":[…],"signature":[key, sig, "ts", "window"]}` */
export const WsRequest = Schema.Struct({
  method: Schema.Literal("SUBSCRIBE", "UNSUBSCRIBE"),
  params: Schema.Array(Schema.String),
  signature: Schema.optional(Schema.Tuple(Schema.String, Schema.String, Schema.String, Schema.String)),
  id: optionalNullable(Schema.Union(Schema.Number, Schema.String))
})
export type WsRequest = typeof WsRequest.Encoded

/** Every stream message: `{"stream": "...", "data": {...}}`. */
export const WsEnvelope = Schema.Struct({ stream: Schema.String, data: Schema.Unknown })

/** A refused request on the socket (the local venue's shape; the real one is unconfirmed). */
export const WsErrorMessage = Schema.Struct({
  id: optionalNullable(Schema.Union(Schema.Number, Schema.String)),
  error: Schema.Struct({ code: Schema.Union(Schema.String, Schema.Number), message: Schema.String })
})

/** bookTicker.<symbol> */
export const WsBookTicker = Schema.Struct({
  e: Schema.Literal("bookTicker"),
  E: EngineTime,
  s: Schema.String,
  a: DecimalString,
  A: DecimalString,
  b: DecimalString,
  B: DecimalString,
  u: optionalNullable(Schema.Union(Schema.String, Schema.Number)),
  T: optionalNullable(EngineTime)
})
export type WsBookTicker = typeof WsBookTicker.Type

/** An update id: a number, or the same quoted (as the venue quotes its other large numbers). */
const UpdateId = Schema.Union(Schema.Number, Schema.NumberFromString).pipe(Schema.int(), Schema.nonNegative())

/**
 * depth.<symbol>: the levels that changed since the previous message, as absolute quantities (0:
 * the level is gone), numbered `U`..`u`; each message starts where the previous one ended.
 */
export const WsDepth = Schema.Struct({
  e: Schema.Literal("depth"),
  E: EngineTime,
  s: Schema.String,
  U: UpdateId,
  u: UpdateId,
  a: Schema.Array(Level),
  b: Schema.Array(Level),
  T: optionalNullable(EngineTime)
})
export type WsDepth = typeof WsDepth.Type

/** trade.<symbol> (`m`: the buyer was the maker, so the taker sold) */
export const WsTrade = Schema.Struct({
  e: Schema.Literal("trade"),
  E: EngineTime,
  s: Schema.String,
  p: DecimalString,
  q: DecimalString,
  b: optionalNullable(Schema.String),
  a: optionalNullable(Schema.String),
  t: optionalNullable(Schema.Union(Schema.Number, Schema.String)),
  T: optionalNullable(EngineTime),
  m: optionalNullable(Schema.Boolean)
})
export type WsTrade = typeof WsTrade.Type

/** account.orderUpdate[.<symbol>]: one mutation of one of our orders. */
export const WsOrderUpdate = Schema.Struct({
  e: Schema.String,
  E: EngineTime,
  s: Schema.String,
  c: optionalNullable(ClientIdNumber),
  S: WireSide,
  o: optionalNullable(WireOrderType),
  f: optionalNullable(WireTimeInForce),
  q: optionalNullable(DecimalString),
  Q: optionalNullable(DecimalString),
  p: optionalNullable(DecimalString),
  X: optionalNullable(WireOrderStatus),
  R: optionalNullable(Schema.String),
  i: Schema.String,
  t: optionalNullable(Schema.Union(Schema.Number, Schema.String)),
  l: optionalNullable(DecimalString),
  z: optionalNullable(DecimalString),
  Z: optionalNullable(DecimalString),
  L: optionalNullable(DecimalString),
  m: optionalNullable(Schema.Boolean),
  n: optionalNullable(DecimalString),
  N: optionalNullable(Schema.String),
  V: optionalNullable(Schema.String),
  T: optionalNullable(EngineTime),
  O: optionalNullable(Schema.String),
  y: optionalNullable(Schema.Boolean)
})
export type WsOrderUpdate = typeof WsOrderUpdate.Type

// ---------------------------------------------------------------------------------------------
// Mapping onto the core domain
// ---------------------------------------------------------------------------------------------

export const sideOf = (side: WireSide): Side => (side === "Bid" ? "buy" : "sell")
export const wireSideOf = (side: Side): WireSide => (side === "buy" ? "Bid" : "Ask")

/** Trigger states only concern trigger orders (never placed here); they are still open orders. */
export const orderStatusOf = (status: WireOrderStatus): OrderStatus => {
  switch (status) {
    case "New":
    case "TriggerPending":
    case "Triggered":
      return "new"
    case "PartiallyFilled":
      return "partially-filled"
    case "Filled":
      return "filled"
    case "Cancelled":
      return "cancelled"
    case "Expired":
      return "expired"
    case "TriggerFailed":
      return "rejected"
  }
}

/**
 * What each order book state accepts (the order types a maker leg and a hedge send): PostOnly and
 * LimitOnly take post-only limits but no market orders; CancelOnly and Closed take neither. A
 * state this list does not know takes nothing: better a held order than a refused hedge.
 */
const TRADING_BY_STATE: Record<string, { readonly makerOrders: boolean; readonly takerOrders: boolean }> = {
  Open: { makerOrders: true, takerOrders: true },
  PostOnly: { makerOrders: true, takerOrders: false },
  LimitOnly: { makerOrders: true, takerOrders: false },
  CancelOnly: { makerOrders: false, takerOrders: false },
  Closed: { makerOrders: false, takerOrders: false }
}
const tradingOf = (state: string): MarketTrading => ({ state, ...(TRADING_BY_STATE[state] ?? { makerOrders: false, takerOrders: false }) })

/** Backpack publishes no minimum notional: 0 per the Instrument convention. */
export const toInstrument = (market: WireMarket): Instrument => ({
  venue: VENUE,
  symbol: market.symbol,
  base: market.baseSymbol,
  quote: market.quoteSymbol,
  kind: market.marketType,
  tickSize: market.filters.price.tickSize,
  stepSize: market.filters.quantity.stepSize,
  minQty: market.filters.quantity.minQuantity,
  minNotional: ZERO,
  ...(market.orderBookState !== undefined && market.orderBookState !== null ? { trading: tradingOf(market.orderBookState) } : {}),
  ...(market.filters.quantity.maxQuantity !== undefined && BigDecimal.isPositive(market.filters.quantity.maxQuantity) ? { maxQty: BigDecimal.normalize(market.filters.quantity.maxQuantity) } : {})
})

/** `observedAt`: venue time at which this state was read (REST answers carry no update time). */
export const toOrder = (wire: WireOrder, clientId: string, observedAt: number): Order => ({
  venue: VENUE,
  symbol: wire.symbol,
  id: wire.id,
  clientId,
  side: sideOf(wire.side),
  type: wire.orderType === "Limit" ? "limit" : "market",
  ...(wire.orderType === "Limit" && wire.price !== undefined ? { price: wire.price } : {}),
  qty: wire.quantity ?? wire.executedQuantity,
  filledQty: wire.executedQuantity,
  filledQuote: wire.executedQuoteQuantity,
  status: orderStatusOf(wire.status),
  postOnly: wire.postOnly ?? false,
  timeInForce: wire.timeInForce ?? "GTC",
  createdAt: wire.createdAt,
  updatedAt: Math.max(wire.createdAt, observedAt)
})

export const toFill = (wire: WireFill): Fill => ({
  venue: VENUE,
  symbol: wire.symbol,
  orderId: wire.orderId,
  tradeId: wire.tradeId === undefined ? `${wire.orderId}@${wire.timestamp}` : String(wire.tradeId),
  side: sideOf(wire.side),
  price: wire.price,
  qty: wire.quantity,
  fee: wire.fee,
  feeAsset: wire.feeSymbol,
  liquidity: wire.isMaker ? "maker" : "taker",
  ts: wire.timestamp
})

/**
 * A funding payment as the ledger keeps it. The venue reports the amount, the rate and the funding
 * time only: the mark price and the position are not given, so both read 0 ("not reported").
 */
export const toFundingPayment = (wire: WireFundingPayment): FundingPayment => ({
  venue: VENUE,
  ts: wire.intervalEndTimestamp,
  rate: wire.fundingRate,
  markPrice: ZERO,
  position: ZERO,
  amount: wire.quantity
})

export const toBalances = (capital: WireCapital): ReadonlyArray<Balance> =>
  Object.entries(capital).map(([asset, balance]) => ({ venue: VENUE, asset, free: balance.available, locked: balance.locked }))

type PriceLevel = readonly [BigDecimal.BigDecimal, BigDecimal.BigDecimal]

/** The best `n` levels a side with something on them, best first, whatever order the venue lists them in. */
export const bestLevelsOfDepth = (depth: WireDepth, n: number): { readonly bids: ReadonlyArray<PriceLevel>; readonly asks: ReadonlyArray<PriceLevel> } => {
  const live = (levels: ReadonlyArray<PriceLevel>) => levels.filter(([, qty]) => BigDecimal.isPositive(qty))
  return {
    bids: bestLevels(live(depth.bids), n, "bids", priceOrder),
    asks: bestLevels(live(depth.asks), n, "asks", priceOrder)
  }
}

/** The best bid/ask of a depth answer. */
export const bestOfDepth = (depth: WireDepth): { readonly bid?: PriceLevel; readonly ask?: PriceLevel } => {
  const { bids: [bid], asks: [ask] } = bestLevelsOfDepth(depth, 1)
  return { ...(bid ? { bid } : {}), ...(ask ? { ask } : {}) }
}

/** The status an order update implies when the message leaves `X` out. */
const statusOfUpdate = (msg: WsOrderUpdate, previous: Order | undefined, filled: BigDecimal.BigDecimal, qty: BigDecimal.BigDecimal): OrderStatus => {
  if (msg.X !== undefined) return orderStatusOf(msg.X)
  switch (msg.e) {
    case "orderCancelled":
      return "cancelled"
    case "orderExpired":
      return "expired"
    case "orderFill":
      return BigDecimal.greaterThanOrEqualTo(filled, qty) ? "filled" : "partially-filled"
    default:
      return previous?.status ?? "new"
  }
}

/**
 * An order update as an Order: fields the message leaves out (quantity, price, cumulative quote)
 * come from what was known of the order before.
 */
export const orderFromUpdate = (msg: WsOrderUpdate, clientId: string, previous: Order | undefined): Order => {
  const filledQty = msg.z ?? previous?.filledQty ?? ZERO
  const qty = msg.q ?? previous?.qty ?? filledQty
  const type = msg.o !== undefined ? (msg.o === "Limit" ? "limit" : "market") : previous?.type ?? "limit"
  const price = msg.p ?? previous?.price
  const at = msg.T ?? msg.E
  return {
    venue: VENUE,
    symbol: msg.s,
    id: msg.i,
    clientId,
    side: sideOf(msg.S),
    type,
    ...(type === "limit" && price !== undefined ? { price } : {}),
    qty,
    filledQty,
    filledQuote: msg.Z ?? previous?.filledQuote ?? ZERO,
    status: statusOfUpdate(msg, previous, filledQty, qty),
    postOnly: msg.y ?? previous?.postOnly ?? false,
    timeInForce: msg.f ?? previous?.timeInForce ?? "GTC",
    createdAt: previous?.createdAt ?? at,
    updatedAt: at
  }
}

/** The fill an `orderFill` message reports (none when its trade fields are missing). */
export const fillFromUpdate = (msg: WsOrderUpdate): Fill | undefined => {
  if (msg.e !== "orderFill" || msg.t === undefined || msg.l === undefined || msg.L === undefined) return undefined
  return {
    venue: VENUE,
    symbol: msg.s,
    orderId: msg.i,
    tradeId: String(msg.t),
    side: sideOf(msg.S),
    price: msg.L,
    qty: msg.l,
    fee: msg.n ?? ZERO,
    feeAsset: msg.N ?? "",
    liquidity: (msg.m ?? msg.y ?? false) ? "maker" : "taker",
    ts: msg.T ?? msg.E
  }
}
