/**
 * The local venue's state in Aster's exact response and event shapes (futures `/fapi`, spot
 * `/api`), field names and all, including the fields our adapter ignores: the same JSON a real
 * client would read. Decimals go out as plain decimal strings, ids and times as JSON numbers.
 */
import { BigDecimal } from "effect"
import type { Balance } from "../../../core/domain/account"
import { type Decimal, decimalsOf, divideToScale, formatDecimal, ZERO } from "../../../core/domain/decimal"
import type { Instrument } from "../../../core/domain/instrument"
import type { LocalVenue } from "../types"
import { type Fill, type Order, type OrderUpdate, signedQty } from "../../../core/domain/order"
import { wireSide, wireStatus, wireTimeInForce } from "../../../adapters/aster/schemas"

export type AsterMarket = "spot" | "futures"

/** Wire ids are integers: numeric local ids pass as they are, others get a number of their own. */
export class IdMap {
  private readonly toWire = new Map<string, number>()
  private readonly fromWire = new Map<number, string>()
  private next = 9_000_000_000

  wire(id: string): number {
    if (/^\d{1,15}$/.test(id)) return Number(id)
    let n = this.toWire.get(id)
    if (n === undefined) {
      n = this.next++
      this.toWire.set(id, n)
      this.fromWire.set(n, id)
    }
    return n
  }

  local(wireId: string): string {
    const n = Number(wireId)
    return this.fromWire.get(n) ?? wireId
  }
}

const fmt = formatDecimal

const avgPrice = (order: Order): string =>
  BigDecimal.isPositive(order.filledQty) ? fmt(divideToScale(order.filledQuote, order.filledQty, 8)) : "0"

const wireType = (order: Order) => (order.type === "limit" ? "LIMIT" : "MARKET")

/** A post-only order refused for crossing is answered as an expired GTX order, as the venue does. */
const statusOnWire = (order: Order & { readonly rejectCode?: string }) =>
  order.rejectCode === "postOnly" ? "EXPIRED" : wireStatus(order.status)

/**
 * The order object of new / query / cancel / openOrders, for `use`: its `time` (the creation time)
 * is on the queries only (GET order, openOrders), as documented ("time (query only)").
 */
export const wireOrder = (market: AsterMarket, order: Order & { readonly rejectCode?: string }, ids: IdMap, use: "new" | "cancel" | "query") => {
  const common = {
    orderId: ids.wire(order.id),
    symbol: order.symbol,
    status: statusOnWire(order),
    clientOrderId: order.clientId,
    price: order.price !== undefined ? fmt(order.price) : "0",
    avgPrice: avgPrice(order),
    origQty: fmt(order.qty),
    executedQty: fmt(order.filledQty),
    cumQty: fmt(order.filledQty),
    cumQuote: fmt(order.filledQuote),
    timeInForce: wireTimeInForce(order.timeInForce, order.postOnly),
    type: wireType(order),
    side: wireSide(order.side),
    stopPrice: "0",
    origType: wireType(order),
    ...(use === "query" ? { time: order.createdAt } : {}),
    updateTime: order.updatedAt
  }
  return market === "futures"
    ? { ...common, reduceOnly: false, closePosition: false, positionSide: "BOTH", workingType: "CONTRACT_PRICE", priceProtect: false }
    : common
}

export const wireTrade = (market: AsterMarket, fill: Fill, ids: IdMap, tradeIds: IdMap) => {
  const common = {
    symbol: fill.symbol,
    id: tradeIds.wire(fill.tradeId),
    orderId: ids.wire(fill.orderId),
    side: wireSide(fill.side),
    price: fmt(fill.price),
    qty: fmt(fill.qty),
    quoteQty: fmt(BigDecimal.multiply(fill.price, fill.qty)),
    commission: fmt(fill.fee),
    commissionAsset: fill.feeAsset,
    time: fill.ts,
    maker: fill.liquidity === "maker",
    buyer: fill.side === "buy"
  }
  return market === "futures" ? { ...common, realizedPnl: "0", positionSide: "BOTH" } : { ...common, counterpartyId: 0, createUpdateId: null }
}

/** Execution type of an update: a fill is TRADE, a closing status names itself. */
const executionType = (market: AsterMarket, update: OrderUpdate & { readonly order: { readonly rejectCode?: string } }) => {
  if (update.fill !== undefined) return "TRADE"
  switch (update.order.status) {
    case "cancelled":
      return "CANCELED"
    case "expired":
      return "EXPIRED"
    case "rejected":
      return update.order.rejectCode === "postOnly" || market === "futures" ? "EXPIRED" : "REJECTED"
    case "new":
      return "NEW"
    default:
      return "TRADE"
  }
}

/** ORDER_TRADE_UPDATE (futures) or executionReport (spot). */
export const orderEvent = (market: AsterMarket, update: OrderUpdate & { readonly order: { readonly rejectCode?: string } }, ids: IdMap, tradeIds: IdMap, now: number) => {
  const o = update.order
  const fill = update.fill
  const x = executionType(market, update)
  const status = o.status === "rejected" && market === "futures" ? "EXPIRED" : statusOnWire(o)
  const ts = fill?.ts ?? o.updatedAt
  const last = { l: fmt(fill?.qty ?? ZERO), L: fmt(fill?.price ?? ZERO), t: fill ? tradeIds.wire(fill.tradeId) : 0 }
  const commission = fill ? { N: fill.feeAsset, n: fmt(fill.fee) } : {}
  if (market === "futures") {
    return {
      e: "ORDER_TRADE_UPDATE",
      E: now,
      T: ts,
      o: {
        s: o.symbol,
        c: o.clientId,
        S: wireSide(o.side),
        o: wireType(o),
        f: wireTimeInForce(o.timeInForce, o.postOnly),
        q: fmt(o.qty),
        p: o.price !== undefined ? fmt(o.price) : "0",
        ap: avgPrice(o),
        sp: "0",
        x,
        X: status,
        i: ids.wire(o.id),
        ...last,
        z: fmt(o.filledQty),
        ...commission,
        T: ts,
        b: "0",
        a: "0",
        m: fill?.liquidity === "maker",
        R: false,
        wt: "CONTRACT_PRICE",
        ot: wireType(o),
        ps: "BOTH",
        cp: false,
        rp: "0"
      }
    }
  }
  return {
    e: "executionReport",
    E: now,
    s: o.symbol,
    c: o.clientId,
    S: wireSide(o.side),
    o: wireType(o),
    f: wireTimeInForce(o.timeInForce, o.postOnly),
    q: fmt(o.qty),
    p: o.price !== undefined ? fmt(o.price) : "0",
    ap: avgPrice(o),
    P: "0",
    x,
    X: status,
    i: ids.wire(o.id),
    ...last,
    z: fmt(o.filledQty),
    ...(fill ? commission : { n: "0", N: null }),
    T: ts,
    m: fill?.liquidity === "maker",
    ot: wireType(o),
    O: o.createdAt,
    Z: fmt(o.filledQuote),
    Y: fill ? fmt(BigDecimal.multiply(fill.price, fill.qty)) : "0",
    Q: "0"
  }
}

/** Average entry price of the net position, from the account's fills in time order. */
export const entryPriceOf = (fills: ReadonlyArray<Fill>): Decimal => {
  let qty = ZERO
  let cost = ZERO
  for (const f of fills) {
    const signed = signedQty(f.side, f.qty)
    const next = BigDecimal.sum(qty, signed)
    if (BigDecimal.isZero(qty) || BigDecimal.sign(qty) === BigDecimal.sign(signed)) {
      cost = BigDecimal.sum(cost, BigDecimal.multiply(f.price, signed))
    } else if (BigDecimal.sign(next) === BigDecimal.sign(qty) || BigDecimal.isZero(next)) {
      // reducing: the average entry stays
      cost = BigDecimal.isZero(next) ? ZERO : BigDecimal.multiply(divideToScale(cost, qty, 12), next)
    } else {
      // flipped through zero: the remainder was opened at this fill's price
      cost = BigDecimal.multiply(f.price, next)
    }
    qty = next
  }
  return BigDecimal.isZero(qty) ? ZERO : divideToScale(cost, qty, 8)
}

export const wirePositionRisk = (symbol: string, position: Decimal, entryPrice: Decimal, markPrice: Decimal, leverage: number, now: number) => [{
  symbol,
  positionAmt: fmt(position),
  entryPrice: fmt(entryPrice),
  markPrice: fmt(markPrice),
  unRealizedProfit: fmt(BigDecimal.isZero(position) ? ZERO : BigDecimal.multiply(BigDecimal.subtract(markPrice, entryPrice), position)),
  liquidationPrice: "0",
  leverage: String(leverage),
  maxNotionalValue: "1000000",
  marginType: "cross",
  isolatedMargin: "0",
  isAutoAddMargin: "false",
  positionSide: "BOTH",
  updateTime: now
}]

/** An account's unrealised PnL, in the instrument's quote asset (the futures margin asset). */
export const unrealizedOf = (venue: LocalVenue, account: string) => ({ asset: venue.instrument.quote, amount: venue.unrealizedPnl?.(account) ?? ZERO })

/**
 * A balance's wallet part and its unrealised PnL: Aster's `balance` is the wallet, the unrealised
 * PnL (on the quote asset's, the margin asset) is told apart as `crossUnPnl`, and both are in what
 * is free and locked.
 */
const walletAndUnrealized = (b: Balance, unrealized: { readonly asset: string; readonly amount: Decimal }) => {
  const pnl = b.asset === unrealized.asset ? unrealized.amount : ZERO
  return { wallet: BigDecimal.subtract(BigDecimal.sum(b.free, b.locked), pnl), pnl }
}

export const wireFuturesBalances = (balances: ReadonlyArray<Balance>, unrealized: { readonly asset: string; readonly amount: Decimal }, now: number) =>
  balances.map((b) => {
    const { wallet, pnl } = walletAndUnrealized(b, unrealized)
    return {
      accountAlias: "local",
      asset: b.asset,
      balance: fmt(wallet),
      crossWalletBalance: fmt(wallet),
      crossUnPnl: fmt(pnl),
      availableBalance: fmt(b.free),
      maxWithdrawAmount: fmt(b.free),
      marginAvailable: true,
      updateTime: now
    }
  })

export const wireSpotAccount = (balances: ReadonlyArray<Balance>, now: number) => ({
  feeTier: 0,
  canTrade: true,
  canDeposit: true,
  canWithdraw: true,
  canBurnAsset: true,
  updateTime: now,
  balances: balances.map((b) => ({ asset: b.asset, free: fmt(b.free), locked: fmt(b.locked) }))
})

/** ACCOUNT_UPDATE (futures) or outboundAccountPosition (spot), sent after a fill. */
export const accountEvent = (
  market: AsterMarket,
  symbol: string,
  balances: ReadonlyArray<Balance>,
  unrealized: { readonly asset: string; readonly amount: Decimal },
  position: Decimal,
  entryPrice: Decimal,
  now: number
) =>
  market === "futures"
    ? {
      e: "ACCOUNT_UPDATE",
      E: now,
      T: now,
      a: {
        m: "ORDER",
        B: balances.map((b) => {
          const { wallet } = walletAndUnrealized(b, unrealized)
          return { a: b.asset, wb: fmt(wallet), cw: fmt(wallet), bc: "0" }
        }),
        P: [{ s: symbol, pa: fmt(position), ep: fmt(entryPrice), cr: "0", up: fmt(unrealized.amount), mt: "cross", iw: "0", ps: "BOTH" }]
      }
    }
    : { e: "outboundAccountPosition", E: now, T: now, m: "ORDER", B: balances.map((b) => ({ a: b.asset, f: fmt(b.free), l: fmt(b.locked) })) }

const filtersOf = (market: AsterMarket, i: Instrument) => {
  const lot = { minQty: fmt(i.minQty), maxQty: "10000000", stepSize: fmt(i.stepSize) }
  const common = [
    { filterType: "PRICE_FILTER", minPrice: fmt(i.tickSize), maxPrice: "1000000", tickSize: fmt(i.tickSize) },
    { filterType: "LOT_SIZE", ...lot },
    { filterType: "MARKET_LOT_SIZE", ...lot },
    { filterType: "MAX_NUM_ORDERS", limit: 200 }
  ]
  return market === "futures"
    ? [...common, { filterType: "MAX_NUM_ALGO_ORDERS", limit: 100 }, { filterType: "MIN_NOTIONAL", notional: fmt(i.minNotional) }, {
      filterType: "PERCENT_PRICE",
      multiplierUp: "1.1500",
      multiplierDown: "0.8500",
      multiplierDecimal: 4
    }]
    : [...common, { filterType: "MIN_NOTIONAL", minNotional: fmt(i.minNotional) }, {
      filterType: "NOTIONAL",
      minNotional: fmt(i.minNotional),
      maxNotional: "10000000",
      avgPriceMins: 5,
      applyMinToMarket: true,
      applyMaxToMarket: false
    }, { filterType: "PERCENT_PRICE", multiplierUp: "5", multiplierDown: "0.2", multiplierDecimal: "0" }]
}

export const wireExchangeInfo = (market: AsterMarket, i: Instrument, now: number, weightPerMinute: number, ordersPerMinute: number) => {
  const precision = { pricePrecision: decimalsOf(i.tickSize), quantityPrecision: decimalsOf(i.stepSize), baseAssetPrecision: 8, quotePrecision: 8 }
  const rateLimits = [
    { rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: weightPerMinute },
    { rateLimitType: "ORDERS", interval: "MINUTE", intervalNum: 1, limit: ordersPerMinute }
  ]
  const timeInForce = ["GTC", "IOC", "FOK", "GTX", "HIDDEN"]
  if (market === "futures") {
    return {
      timezone: "UTC",
      serverTime: now,
      rateLimits,
      exchangeFilters: [],
      assets: [{ asset: i.quote, marginAvailable: true, autoAssetExchange: 0 }],
      symbols: [{
        symbol: i.symbol,
        pair: i.symbol,
        contractType: "PERPETUAL",
        deliveryDate: 4133404800000,
        onboardDate: 1598252400000,
        // the market state as it is now (a fault plan's `markets` may change it); open where nobody said
        status: i.trading?.state ?? "TRADING",
        maintMarginPercent: "2.5000",
        requiredMarginPercent: "5.0000",
        baseAsset: i.base,
        quoteAsset: i.quote,
        marginAsset: i.quote,
        ...precision,
        underlyingType: "COIN",
        underlyingSubType: [],
        settlePlan: 0,
        triggerProtect: "0.0500",
        filters: filtersOf(market, i),
        OrderType: ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"],
        timeInForce,
        liquidationFee: "0.010000",
        marketTakeBound: "0.30"
      }]
    }
  }
  return {
    timezone: "UTC",
    serverTime: now,
    rateLimits,
    exchangeFilters: [],
    assets: [{ asset: i.base }, { asset: i.quote }],
    symbols: [{
      // as on futures
      status: i.trading?.state ?? "TRADING",
      baseAsset: i.base,
      quoteAsset: i.quote,
      ...precision,
      filters: filtersOf(market, i),
      orderTypes: ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET"],
      timeInForce,
      symbol: i.symbol,
      ocoAllowed: false
    }]
  }
}

/** The venue's error answer for a local rejection code (see LocalVenue). */
export const rejectionError = (market: AsterMarket, instrument: Instrument, rejectCode: string | undefined, reason: string | undefined): { readonly code: number; readonly msg: string } => {
  switch (rejectCode) {
    case "tick":
      return { code: -4014, msg: "Price not increased by tick size." }
    case "step":
      return { code: -4023, msg: "Quantity not increased by step size." }
    case "minQty":
      return { code: -4004, msg: "Quantity less than minimum quantity." }
    case "minNotional":
      return { code: -4164, msg: `Order's notional must be no smaller than ${fmt(instrument.minNotional)} (unless you choose reduce only).` }
    case "noLiquidity":
      return { code: -2020, msg: "Unable to fill." }
    case "insufficientBalance":
      return market === "futures" ? { code: -2019, msg: "Margin is insufficient." } : { code: -2018, msg: "Balance is insufficient." }
    case "duplicateClientId":
      // not in Aster's published list; Binance USDⓈ-M's code for it
      return { code: -4116, msg: "ClientOrderId is duplicated." }
    case "reduceOnly":
      return { code: -2022, msg: "ReduceOnly Order is rejected." }
    case "marketClosed":
      // INVALID_OPENING_POSITION_STATUS, in both of Aster's error lists (futures and spot); which code
      // Aster really answers a symbol that is not TRADING with is not documented: the local exchange's choice
      return { code: -4140, msg: "Invalid symbol status for opening position." }
    default:
      return { code: -1013, msg: reason ?? "INVALID_MESSAGE" }
  }
}
