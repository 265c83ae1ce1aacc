/**
 * Aster wire payloads (futures `/fapi`, spot `/api`; V1 and V3 share them) as Schemas, and their
 * mappings to the core domain. Field names are the documented ones; fields we do not read are
 * ignored. Prices and quantities are decimal strings decoded to BigDecimal; ids and times are
 * JSON numbers. A mapping that cannot be made (an order type the core does not know, a missing
 * filter) is a `Left` naming the field, which the client turns into `InvalidResponse`.
 */
import { BigDecimal, Either, Option, Schema } from "effect"
import type { Balance } from "../../core/domain/account"
import { type Decimal, DecimalString, formatDecimal, isMultipleOf, ZERO } from "../../core/domain/decimal"
import type { Instrument } from "../../core/domain/instrument"
import type { Ticker } from "../../core/domain/market"
import type { Fill, Order, OrderStatus, OrderUpdate, Side, TimeInForce } from "../../core/domain/order"
import type { Venue } from "../../core/domain/venue"

const Decimal = DecimalString
const Int = Schema.Number

// ---------------------------------------------------------------------------------------------
// Common

/** Every error (and a few successes, e.g. `{"code":"200",…}`): check the code's value, not its presence. */
export const ErrorBody = Schema.Struct({
  code: Schema.Union(Schema.Number, Schema.NumberFromString),
  msg: Schema.String
})
export type ErrorBody = typeof ErrorBody.Type

export const ServerTime = Schema.Struct({ serverTime: Int })

export const ListenKey = Schema.Struct({ listenKey: Schema.String.pipe(Schema.minLength(1)) })

/** `{}` answers (ping, listenKey keep-alive and close). */
export const Empty = Schema.Struct({})

export const WireSide = Schema.Literal("BUY", "SELL")
export type WireSide = typeof WireSide.Type

export const WireOrderStatus = Schema.Literal("NEW", "PARTIALLY_FILLED", "FILLED", "CANCELED", "REJECTED", "EXPIRED", "NEW_INSURANCE", "NEW_ADL")
export type WireOrderStatus = typeof WireOrderStatus.Type

/** GTX is post-only; HIDDEN rests unseen in the book. */
export const WireTimeInForce = Schema.Literal("GTC", "IOC", "FOK", "GTX", "HIDDEN")
export type WireTimeInForce = typeof WireTimeInForce.Type

// ---------------------------------------------------------------------------------------------
// exchangeInfo

export const RateLimit = Schema.Struct({
  rateLimitType: Schema.String,
  interval: Schema.String,
  intervalNum: Int,
  limit: Int
})
export type RateLimit = typeof RateLimit.Type

const PriceFilter = Schema.Struct({ filterType: Schema.Literal("PRICE_FILTER"), minPrice: Decimal, maxPrice: Decimal, tickSize: Decimal })
const LotSizeFilter = Schema.Struct({ filterType: Schema.Literal("LOT_SIZE"), minQty: Decimal, maxQty: Decimal, stepSize: Decimal })
const MarketLotSizeFilter = Schema.Struct({ filterType: Schema.Literal("MARKET_LOT_SIZE"), minQty: Decimal, maxQty: Decimal, stepSize: Decimal })
/** futures: the key is `notional` */
const FuturesMinNotionalFilter = Schema.Struct({ filterType: Schema.Literal("MIN_NOTIONAL"), notional: Decimal })
/** spot: the key is `minNotional` */
const SpotMinNotionalFilter = Schema.Struct({ filterType: Schema.Literal("MIN_NOTIONAL"), minNotional: Decimal })
const SpotNotionalFilter = Schema.Struct({
  filterType: Schema.Literal("NOTIONAL"),
  minNotional: Decimal,
  applyMinToMarket: Schema.optional(Schema.Boolean),
  maxNotional: Schema.optional(Decimal),
  applyMaxToMarket: Schema.optional(Schema.Boolean)
})
/** spot: the largest order value */
const SpotMaxNotionalFilter = Schema.Struct({ filterType: Schema.Literal("MAX_NOTIONAL"), maxNotional: Decimal })

/** Filters we do not read (PERCENT_PRICE, MAX_NUM_ORDERS, …, and any added later) pass untouched. */
const otherFilter = (known: ReadonlyArray<string>) =>
  Schema.Struct({
    filterType: Schema.String.pipe(Schema.filter((t) => !known.includes(t), { message: () => "a known filter with missing or malformed fields" }))
  })

export const FuturesFilter = Schema.Union(
  PriceFilter,
  LotSizeFilter,
  MarketLotSizeFilter,
  FuturesMinNotionalFilter,
  otherFilter(["PRICE_FILTER", "LOT_SIZE", "MARKET_LOT_SIZE", "MIN_NOTIONAL"])
)
export const SpotFilter = Schema.Union(
  PriceFilter,
  LotSizeFilter,
  MarketLotSizeFilter,
  SpotMinNotionalFilter,
  SpotNotionalFilter,
  SpotMaxNotionalFilter,
  otherFilter(["PRICE_FILTER", "LOT_SIZE", "MARKET_LOT_SIZE", "MIN_NOTIONAL", "NOTIONAL", "MAX_NOTIONAL"])
)
export type SymbolFilter = typeof FuturesFilter.Type | typeof SpotFilter.Type

const symbolFields = {
  symbol: Schema.String,
  status: Schema.String,
  baseAsset: Schema.String,
  quoteAsset: Schema.String
}
export const FuturesSymbolInfo = Schema.Struct({ ...symbolFields, contractType: Schema.optional(Schema.String), filters: Schema.Array(FuturesFilter) })
export const SpotSymbolInfo = Schema.Struct({ ...symbolFields, filters: Schema.Array(SpotFilter) })
export type SymbolInfo = typeof FuturesSymbolInfo.Type | typeof SpotSymbolInfo.Type

/**
 * exchangeInfo read shallowly: one malformed row of a symbol we do not trade must not stop us,
 * so only our symbol's row is decoded in full (FuturesSymbolInfo / SpotSymbolInfo).
 */
export const ExchangeInfoShallow = Schema.Struct({
  rateLimits: Schema.optionalWith(Schema.Array(RateLimit), { default: () => [] }),
  symbols: Schema.Array(Schema.Struct({ symbol: Schema.String }, Schema.Record({ key: Schema.String, value: Schema.Unknown })))
})
export const FuturesExchangeInfo = Schema.Struct({ rateLimits: Schema.Array(RateLimit), symbols: Schema.Array(FuturesSymbolInfo) })
export const SpotExchangeInfo = Schema.Struct({ rateLimits: Schema.Array(RateLimit), symbols: Schema.Array(SpotSymbolInfo) })

// ---------------------------------------------------------------------------------------------
// Market data

export const BookTicker = Schema.Struct({
  symbol: Schema.String,
  bidPrice: Decimal,
  bidQty: Decimal,
  askPrice: Decimal,
  askQty: Decimal,
  time: Schema.optional(Int)
})
export type BookTicker = typeof BookTicker.Type

export const PriceTicker = Schema.Struct({ symbol: Schema.String, price: Decimal, time: Schema.optional(Int) })
export type PriceTicker = typeof PriceTicker.Type

const Level = Schema.Tuple(Decimal, Decimal)
export const Depth = Schema.Struct({
  lastUpdateId: Int,
  E: Schema.optional(Int),
  T: Schema.optional(Int),
  bids: Schema.Array(Level),
  asks: Schema.Array(Level)
})

export const PremiumIndex = Schema.Struct({
  symbol: Schema.String,
  markPrice: Decimal,
  indexPrice: Decimal,
  estimatedSettlePrice: Schema.optional(Decimal),
  lastFundingRate: Decimal,
  nextFundingTime: Int,
  interestRate: Schema.optional(Decimal),
  time: Int
})

export const FundingInfo = Schema.Array(Schema.Struct({
  symbol: Schema.String,
  interestRate: Decimal,
  time: Int,
  fundingIntervalHours: Int,
  fundingFeeCap: Schema.Number,
  fundingFeeFloor: Schema.Number
}))

/**
 * GET /fapi/v1/fundingRate (history), ascending: the rate of each funding time. `markPrice` is not
 * in Aster's documented answer (Binance's has it, empty for old rows): read when present.
 */
export const FundingRateRow = Schema.Struct({
  symbol: Schema.String,
  fundingRate: Decimal,
  fundingTime: Int,
  markPrice: Schema.optional(Schema.Union(Schema.Literal(""), Decimal))
})
export type FundingRateRow = typeof FundingRateRow.Type
export const FundingRateHistory = Schema.Array(FundingRateRow)

// ---------------------------------------------------------------------------------------------
// Orders and account

/** The order object of new / query / cancel / openOrders, futures and spot. */
export const WireOrder = Schema.Struct({
  symbol: Schema.String,
  orderId: Int,
  clientOrderId: Schema.String,
  price: Decimal,
  avgPrice: Schema.optional(Decimal),
  origQty: Decimal,
  executedQty: Decimal,
  cumQuote: Decimal,
  status: WireOrderStatus,
  timeInForce: WireTimeInForce,
  type: Schema.String,
  side: WireSide,
  /** query responses only */
  time: Schema.optional(Int),
  updateTime: Int,
  reduceOnly: Schema.optional(Schema.Boolean),
  positionSide: Schema.optional(Schema.String)
})
export type WireOrder = typeof WireOrder.Type

export const WireOrders = Schema.Array(WireOrder)

/** userTrades rows: the fields futures and spot share. */
export const UserTrade = Schema.Struct({
  symbol: Schema.String,
  id: Int,
  orderId: Int,
  side: WireSide,
  price: Decimal,
  qty: Decimal,
  quoteQty: Schema.optional(Decimal),
  commission: Decimal,
  commissionAsset: Schema.String,
  maker: Schema.Boolean,
  buyer: Schema.optional(Schema.Boolean),
  realizedPnl: Schema.optional(Decimal),
  time: Int
})
export type UserTrade = typeof UserTrade.Type
export const UserTrades = Schema.Array(UserTrade)

/** GET /fapi/v1/income rows (futures): `income` is signed, positive = received. */
export const IncomeRow = Schema.Struct({
  symbol: Schema.String,
  incomeType: Schema.String,
  income: Decimal,
  asset: Schema.String,
  info: Schema.optional(Schema.String),
  time: Int,
  tranId: Schema.Union(Int, Schema.String),
  tradeId: Schema.optional(Schema.Union(Schema.String, Int))
})
export type IncomeRow = typeof IncomeRow.Type
export const Income = Schema.Array(IncomeRow)

/** GET /fapi/v1/positionSide/dual: true = Hedge Mode (LONG and SHORT positions), false = One-way Mode. */
export const PositionSideDual = Schema.Struct({ dualSidePosition: Schema.Boolean })

/** GET /fapi/v1/multiAssetsMargin: true = Multi-Assets mode (margin shared across the account's assets). */
export const MultiAssetsMargin = Schema.Struct({ multiAssetsMargin: Schema.Boolean })

/** GET commissionRate (futures and spot): this account's rates on the symbol, as fractions ("0.00035"). */
export const CommissionRate = Schema.Struct({ symbol: Schema.String, makerCommissionRate: Decimal, takerCommissionRate: Decimal })

export const PositionRisk = Schema.Array(Schema.Struct({
  symbol: Schema.String,
  positionAmt: Decimal,
  entryPrice: Decimal,
  markPrice: Decimal,
  unRealizedProfit: Decimal,
  positionSide: Schema.String,
  leverage: Schema.optional(Schema.String),
  marginType: Schema.optional(Schema.String),
  updateTime: Schema.optional(Int)
}))
export type PositionRisk = typeof PositionRisk.Type

/** futures `/fapi/v2/balance` (`/fapi/v3/balance`) */
export const FuturesBalances = Schema.Array(Schema.Struct({
  asset: Schema.String,
  balance: Decimal,
  availableBalance: Decimal,
  crossWalletBalance: Schema.optional(Decimal),
  crossUnPnl: Schema.optional(Decimal),
  maxWithdrawAmount: Schema.optional(Decimal),
  updateTime: Schema.optional(Int)
}))
export type FuturesBalances = typeof FuturesBalances.Type

/** spot `/api/v1/account` */
export const SpotAccount = Schema.Struct({
  canTrade: Schema.optional(Schema.Boolean),
  updateTime: Schema.optional(Int),
  balances: Schema.Array(Schema.Struct({ asset: Schema.String, free: Decimal, locked: Decimal }))
})
export type SpotAccount = typeof SpotAccount.Type

// ---------------------------------------------------------------------------------------------
// User data stream events

export const OrderTradeUpdate = Schema.Struct({
  e: Schema.Literal("ORDER_TRADE_UPDATE"),
  E: Int,
  T: Int,
  o: Schema.Struct({
    s: Schema.String,
    c: Schema.String,
    S: WireSide,
    o: Schema.String,
    f: WireTimeInForce,
    q: Decimal,
    p: Decimal,
    ap: Decimal,
    sp: Schema.optional(Decimal),
    x: Schema.String,
    X: WireOrderStatus,
    i: Int,
    l: Decimal,
    z: Decimal,
    L: Decimal,
    /** commission asset and amount: omitted when there is none */
    N: Schema.optional(Schema.String),
    n: Schema.optional(Decimal),
    T: Int,
    t: Int,
    m: Schema.Boolean,
    R: Schema.optional(Schema.Boolean),
    ps: Schema.optional(Schema.String),
    rp: Schema.optional(Decimal)
  })
})
export type OrderTradeUpdate = typeof OrderTradeUpdate.Type

export const AccountUpdate = Schema.Struct({
  e: Schema.Literal("ACCOUNT_UPDATE"),
  E: Int,
  T: Int,
  a: Schema.Struct({
    m: Schema.String,
    B: Schema.Array(Schema.Struct({ a: Schema.String, wb: Decimal, cw: Decimal, bc: Schema.optional(Decimal) })),
    P: Schema.optionalWith(
      Schema.Array(Schema.Struct({
        s: Schema.String,
        pa: Decimal,
        ep: Decimal,
        cr: Schema.optional(Decimal),
        up: Decimal,
        mt: Schema.String,
        iw: Decimal,
        ps: Schema.String
      })),
      { default: () => [] }
    )
  })
})

export const ListenKeyExpired = Schema.Struct({ e: Schema.Literal("listenKeyExpired"), E: Int })

export const ExecutionReport = Schema.Struct({
  e: Schema.Literal("executionReport"),
  E: Int,
  s: Schema.String,
  c: Schema.String,
  S: WireSide,
  o: Schema.String,
  f: WireTimeInForce,
  q: Decimal,
  p: Decimal,
  ap: Schema.optional(Decimal),
  P: Schema.optional(Decimal),
  x: Schema.String,
  X: WireOrderStatus,
  i: Int,
  l: Decimal,
  z: Decimal,
  L: Decimal,
  n: Schema.optional(Decimal),
  N: Schema.optional(Schema.NullOr(Schema.String)),
  T: Int,
  t: Int,
  m: Schema.Boolean,
  ot: Schema.optional(Schema.String),
  /** creation time; 0 in the doc sample */
  O: Int,
  /** cumulative quote transacted: exact, unlike futures' average price */
  Z: Decimal,
  Y: Schema.optional(Decimal),
  Q: Schema.optional(Decimal)
})
export type ExecutionReport = typeof ExecutionReport.Type

export const OutboundAccountPosition = Schema.Struct({
  e: Schema.Literal("outboundAccountPosition"),
  E: Int,
  T: Int,
  m: Schema.optional(Schema.String),
  B: Schema.Array(Schema.Struct({ a: Schema.String, f: Decimal, l: Decimal }))
})

/** Events we do not act on (MARGIN_CALL, ACCOUNT_CONFIG_UPDATE, announcements, …). */
const otherEvent = (known: ReadonlyArray<string>) =>
  Schema.Struct({
    e: Schema.String.pipe(Schema.filter((e) => !known.includes(e), { message: () => "a known event with missing or malformed fields" }))
  })

export const FuturesUserEvent = Schema.Union(
  OrderTradeUpdate,
  AccountUpdate,
  ListenKeyExpired,
  otherEvent(["ORDER_TRADE_UPDATE", "ACCOUNT_UPDATE", "listenKeyExpired"])
)
export const SpotUserEvent = Schema.Union(
  ExecutionReport,
  OutboundAccountPosition,
  ListenKeyExpired,
  otherEvent(["executionReport", "outboundAccountPosition", "listenKeyExpired"])
)
export type UserEvent = typeof FuturesUserEvent.Type | typeof SpotUserEvent.Type

// ---------------------------------------------------------------------------------------------
// Market streams

/** `<symbol>@bookTicker`; spot omits `e`, `E` and `T`. */
export const BookTickerEvent = Schema.Struct({
  e: Schema.optional(Schema.Literal("bookTicker")),
  u: Int,
  E: Schema.optional(Int),
  T: Schema.optional(Int),
  s: Schema.String,
  b: Decimal,
  B: Decimal,
  a: Decimal,
  A: Decimal
})
export type BookTickerEvent = typeof BookTickerEvent.Type

export const AggTradeEvent = Schema.Struct({
  e: Schema.Literal("aggTrade"),
  E: Int,
  s: Schema.String,
  a: Int,
  p: Decimal,
  q: Decimal,
  f: Int,
  l: Int,
  T: Int,
  m: Schema.Boolean
})
export type AggTradeEvent = typeof AggTradeEvent.Type

/** `<symbol>@depth<N>[@500ms|@100ms]`, a partial book: the best N levels each time (futures). */
export const FuturesPartialDepthEvent = Schema.Struct({
  e: Schema.Literal("depthUpdate"),
  E: Int,
  T: Schema.optional(Int),
  s: Schema.String,
  b: Schema.Array(Level),
  a: Schema.Array(Level)
})

/**
 * The same stream on spot puts the levels under `bids` / `asks`, the event fields as futures has
 * them (the spot docs' sample) or none but `lastUpdateId` (the REST depth's shape): either is read.
 */
export const SpotPartialDepthEvent = Schema.Struct({
  e: Schema.optional(Schema.Literal("depthUpdate")),
  E: Schema.optional(Int),
  T: Schema.optional(Int),
  s: Schema.optional(Schema.String),
  lastUpdateId: Schema.optional(Int),
  bids: Schema.Array(Level),
  asks: Schema.Array(Level)
})

export const PartialDepthEvent = Schema.Union(FuturesPartialDepthEvent, SpotPartialDepthEvent)

/** `/stream?streams=…` wraps each payload. */
export const CombinedStreamMessage = Schema.Struct({ stream: Schema.String, data: Schema.Unknown })

// =============================================================================================
// Mappings to the core domain

export const sideOf = (side: WireSide): Side => (side === "BUY" ? "buy" : "sell")
export const wireSide = (side: Side): WireSide => (side === "buy" ? "BUY" : "SELL")

/** Liquidation orders (NEW_INSURANCE / NEW_ADL) are in flight until they fill. */
export const statusOf = (status: WireOrderStatus): OrderStatus => {
  switch (status) {
    case "NEW":
    case "NEW_INSURANCE":
    case "NEW_ADL":
      return "new"
    case "PARTIALLY_FILLED":
      return "partially-filled"
    case "FILLED":
      return "filled"
    case "CANCELED":
      return "cancelled"
    case "REJECTED":
      return "rejected"
    case "EXPIRED":
      return "expired"
  }
}

export const wireStatus = (status: OrderStatus): WireOrderStatus => {
  switch (status) {
    case "new":
      return "NEW"
    case "partially-filled":
      return "PARTIALLY_FILLED"
    case "filled":
      return "FILLED"
    case "cancelled":
      return "CANCELED"
    case "rejected":
      return "REJECTED"
    case "expired":
      return "EXPIRED"
  }
}

const timeInForceOf = (tif: WireTimeInForce): { readonly timeInForce: TimeInForce; readonly postOnly: boolean } =>
  tif === "GTX" ? { timeInForce: "GTC", postOnly: true } : tif === "HIDDEN" ? { timeInForce: "GTC", postOnly: false } : { timeInForce: tif, postOnly: false }

export const wireTimeInForce = (tif: TimeInForce, postOnly: boolean): WireTimeInForce => (postOnly ? "GTX" : tif)

const orderTypeOf = (type: string): Either.Either<"limit" | "market", string> =>
  type === "LIMIT" ? Either.right("limit") : type === "MARKET" ? Either.right("market") : Either.left(`type: unsupported order type ${type}`)

/** A REST order object as the core's Order. A market order's price (0 on the wire) is left out. */
export const orderOf = (venue: Venue, wire: WireOrder): Either.Either<Order, string> =>
  Either.map(orderTypeOf(wire.type), (type) => ({
    venue,
    symbol: wire.symbol,
    id: String(wire.orderId),
    clientId: wire.clientOrderId,
    side: sideOf(wire.side),
    type,
    ...(type === "limit" ? { price: wire.price } : {}),
    qty: wire.origQty,
    filledQty: wire.executedQty,
    filledQuote: wire.cumQuote,
    status: statusOf(wire.status),
    ...timeInForceOf(wire.timeInForce),
    createdAt: wire.time ?? wire.updateTime,
    updatedAt: wire.updateTime
  }))

export const fillOf = (venue: Venue, trade: UserTrade): Fill => ({
  venue,
  symbol: trade.symbol,
  orderId: String(trade.orderId),
  tradeId: String(trade.id),
  side: sideOf(trade.side),
  price: trade.price,
  qty: trade.qty,
  fee: trade.commission,
  feeAsset: trade.commissionAsset,
  liquidity: trade.maker ? "maker" : "taker",
  ts: trade.time
})

export const tickerOf = (book: BookTicker, last: PriceTicker, nowMs: number): Ticker => ({
  ts: book.time ?? last.time ?? nowMs,
  bid: book.bidPrice,
  ask: book.askPrice,
  last: last.price
})

/**
 * A futures ORDER_TRADE_UPDATE as an OrderUpdate. The event has no cumulative quote, so
 * `filledQuote` is average price × filled quantity (exact to the venue's `ap` precision; the REST
 * order's `cumQuote` is exact). Orders of other types (liquidations, stops) are not ours: none.
 */
export const futuresOrderUpdateOf = (venue: Venue, event: OrderTradeUpdate): Option.Option<OrderUpdate> => {
  const o = event.o
  const type = orderTypeOf(o.o)
  if (Either.isLeft(type)) return Option.none()
  const order: Order = {
    venue,
    symbol: o.s,
    id: String(o.i),
    clientId: o.c,
    side: sideOf(o.S),
    type: type.right,
    ...(type.right === "limit" ? { price: o.p } : {}),
    qty: o.q,
    filledQty: o.z,
    filledQuote: BigDecimal.multiply(o.ap, o.z),
    status: statusOf(o.X),
    ...timeInForceOf(o.f),
    createdAt: o.T,
    updatedAt: o.T
  }
  return Option.some({ order, ...(isTrade(o.x, o.l) ? { fill: streamFill(venue, o.s, order.id, o.S, o.t, o.L, o.l, o.n, o.N, o.m, o.T) } : {}) })
}

/** A spot executionReport as an OrderUpdate (`Z` gives the exact cumulative quote). */
export const spotOrderUpdateOf = (venue: Venue, event: ExecutionReport): Option.Option<OrderUpdate> => {
  const type = orderTypeOf(event.o)
  if (Either.isLeft(type)) return Option.none()
  const order: Order = {
    venue,
    symbol: event.s,
    id: String(event.i),
    clientId: event.c,
    side: sideOf(event.S),
    type: type.right,
    ...(type.right === "limit" ? { price: event.p } : {}),
    qty: event.q,
    filledQty: event.z,
    filledQuote: event.Z,
    status: event.x === "REJECTED" ? "rejected" : statusOf(event.X),
    ...timeInForceOf(event.f),
    createdAt: event.O > 0 ? event.O : event.T,
    updatedAt: event.T
  }
  return Option.some({
    order,
    ...(isTrade(event.x, event.l) ? { fill: streamFill(venue, event.s, order.id, event.S, event.t, event.L, event.l, event.n, event.N ?? undefined, event.m, event.T) } : {})
  })
}

const isTrade = (executionType: string, lastQty: Decimal) => executionType === "TRADE" && BigDecimal.isPositive(lastQty)

const streamFill = (
  venue: Venue,
  symbol: string,
  orderId: string,
  side: WireSide,
  tradeId: number,
  price: Decimal,
  qty: Decimal,
  fee: Decimal | undefined,
  feeAsset: string | undefined,
  maker: boolean,
  ts: number
): Fill => ({
  venue,
  symbol,
  orderId,
  tradeId: String(tradeId),
  side: sideOf(side),
  price,
  qty,
  fee: fee ?? ZERO,
  feeAsset: feeAsset ?? "",
  liquidity: maker ? "maker" : "taker",
  ts
})

/** Net signed position of one symbol: one-way mode has one BOTH row, hedge mode LONG and SHORT. */
export const positionQtyOf = (rows: PositionRisk, symbol: string): Decimal =>
  rows.filter((r) => r.symbol === symbol).reduce((acc, r) => BigDecimal.sum(acc, r.positionAmt), ZERO)

export const futuresBalancesOf = (venue: Venue, rows: FuturesBalances): ReadonlyArray<Balance> =>
  rows.map((r) => ({
    venue,
    asset: r.asset,
    free: r.availableBalance,
    locked: BigDecimal.max(ZERO, BigDecimal.subtract(r.balance, r.availableBalance))
  }))

export const spotBalancesOf = (venue: Venue, account: SpotAccount): ReadonlyArray<Balance> =>
  account.balances.map((b) => ({ venue, asset: b.asset, free: b.free, locked: b.locked }))

/** What orders on one symbol must satisfy, per order type. */
export interface SymbolRules {
  readonly instrument: Instrument
  readonly tickSize: Decimal
  readonly limitLot: { readonly stepSize: Decimal; readonly minQty: Decimal }
  readonly marketLot: { readonly stepSize: Decimal; readonly minQty: Decimal }
}

/** Least common multiple of two positive steps, exactly (0.01 and 0.015 → 0.03). */
const lcmStep = (a: Decimal, b: Decimal): Decimal => {
  const scale = Math.max(a.scale, b.scale, 0)
  const x = BigDecimal.scale(a, scale).value
  const y = BigDecimal.scale(b, scale).value
  const gcd = (p: bigint, q: bigint): bigint => (q === 0n ? p : gcd(q, p % q))
  return BigDecimal.normalize(BigDecimal.make((x / gcd(x, y)) * y, scale))
}

/**
 * The instrument of one symbol row. Its step and minimum quantity are those every order type
 * accepts (LOT_SIZE and MARKET_LOT_SIZE together: the coarser grid, the larger minimum), so a
 * quantity the strategy sizes against it is valid as a hedge market order and as a limit order.
 * A MARKET_LOT_SIZE step of 0 (disabled) falls back to LOT_SIZE.
 */
export const symbolRulesOf = (venue: Venue, row: SymbolInfo): Either.Either<SymbolRules, string> => {
  const filters: ReadonlyArray<SymbolFilter> = row.filters
  const find = <T extends SymbolFilter["filterType"]>(type: T) =>
    filters.find((f): f is Extract<SymbolFilter, { filterType: T }> => f.filterType === type)
  const price = find("PRICE_FILTER")
  const lot = find("LOT_SIZE")
  const marketLot = find("MARKET_LOT_SIZE")
  const where = `symbols[${row.symbol}].filters`
  if (!price || !BigDecimal.isPositive(price.tickSize)) return Either.left(`${where}: no PRICE_FILTER with a positive tickSize`)
  if (!lot || !BigDecimal.isPositive(lot.stepSize)) return Either.left(`${where}: no LOT_SIZE with a positive stepSize`)
  const market = marketLot && BigDecimal.isPositive(marketLot.stepSize) ? { stepSize: marketLot.stepSize, minQty: marketLot.minQty } : { stepSize: lot.stepSize, minQty: lot.minQty }
  const limit = { stepSize: lot.stepSize, minQty: lot.minQty }
  // futures MIN_NOTIONAL says `notional`, spot's says `minNotional`; spot's NOTIONAL may add one
  const minNotional = filters.reduce<Decimal>((acc, f) => {
    if (f.filterType === "MIN_NOTIONAL" && "notional" in f) return BigDecimal.max(acc, f.notional)
    if (f.filterType === "MIN_NOTIONAL" && "minNotional" in f) return BigDecimal.max(acc, f.minNotional)
    if (f.filterType === "NOTIONAL" && "minNotional" in f && !("applyMinToMarket" in f && f.applyMinToMarket === false)) return BigDecimal.max(acc, f.minNotional)
    return acc
  }, ZERO)
  // spot's largest order value: MAX_NOTIONAL, and NOTIONAL's when it applies to market orders (hedges)
  const maxNotional = filters.reduce<Decimal | undefined>((acc, f) => {
    const cap = f.filterType === "MAX_NOTIONAL" && "maxNotional" in f
      ? f.maxNotional
      : f.filterType === "NOTIONAL" && "maxNotional" in f && f.maxNotional !== undefined && !("applyMaxToMarket" in f && f.applyMaxToMarket === false)
      ? f.maxNotional
      : undefined
    return cap === undefined || !BigDecimal.isPositive(cap) ? acc : acc === undefined ? cap : BigDecimal.min(acc, cap)
  }, undefined)
  const stepSize = lcmStep(limit.stepSize, market.stepSize)
  // the largest any order type takes (market orders are often capped far below limit orders)
  const maxQty = [lot.maxQty, ...(marketLot && BigDecimal.isPositive(marketLot.stepSize) ? [marketLot.maxQty] : [])]
    .filter(BigDecimal.isPositive)
    .reduce<Decimal | undefined>((acc, q) => (acc === undefined ? q : BigDecimal.min(acc, q)), undefined)
  return Either.right({
    instrument: {
      venue,
      symbol: row.symbol,
      base: row.baseAsset,
      quote: row.quoteAsset,
      kind: venue === "aster-spot" ? "spot" : "perp",
      tickSize: BigDecimal.normalize(price.tickSize),
      stepSize,
      minQty: BigDecimal.normalize(BigDecimal.max(limit.minQty, market.minQty)),
      minNotional: BigDecimal.normalize(minNotional),
      // futures list PENDING_TRADING, PRE_SETTLE, SETTLING and CLOSE besides; spot says TRADING when open
      trading: { state: row.status, makerOrders: row.status === "TRADING", takerOrders: row.status === "TRADING" },
      ...(maxQty !== undefined ? { maxQty: BigDecimal.normalize(maxQty) } : {}),
      ...(maxNotional !== undefined ? { maxNotional: BigDecimal.normalize(maxNotional) } : {})
    },
    tickSize: BigDecimal.normalize(price.tickSize),
    limitLot: { stepSize: BigDecimal.normalize(limit.stepSize), minQty: limit.minQty },
    marketLot: { stepSize: BigDecimal.normalize(market.stepSize), minQty: market.minQty }
  })
}

/** A price or quantity as sent: refused (not rounded) when off the grid, never from a float. */
export const onGrid = (value: Decimal, step: Decimal, what: string): Either.Either<Decimal, string> =>
  BigDecimal.isPositive(value) && isMultipleOf(value, step)
    ? Either.right(BigDecimal.normalize(value))
    : Either.left(`${what} ${formatDecimal(value)} is not a positive multiple of ${formatDecimal(step)}`)
