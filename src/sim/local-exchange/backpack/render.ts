/**
 * Local venue state written as Backpack's wire payloads. Every shape is typed as the `Encoded`
 * side of the adapter's Schemas (src/adapters/backpack/schemas.ts), so what the local venue sends
 * is by construction what the adapter decodes. Times: ms in REST answers (naive-UTC dates in the
 * histories, as the venue sends them), µs on the streams.
 */
import { BigDecimal } from "effect"
import { formatDecimal } from "../../../core/domain/decimal"
import type { FundingPayment } from "../../../core/accounting/ledger"
import type { Balance } from "../../../core/domain/account"
import type { Instrument } from "../../../core/domain/instrument"
import type { Fill, Order, OrderStatus, OrderUpdate } from "../../../core/domain/order"
import type {
  WireCapital,
  WireDepth,
  WireFill,
  WireFundingPayment,
  WireMarket,
  WireMarkPrice,
  WireOrder,
  WireOrderStatus,
  WirePosition,
  WireTicker,
  WsBookTicker,
  WsDepth,
  WsOrderUpdate,
  WsTrade
} from "../../../adapters/backpack/schemas"
import type { Decimal } from "../../../core/domain/decimal"
import type { LocalFunding, LocalMarketEvent, LocalTicker } from "../types"
import type { DepthDelta } from "./depth-sequence"

const text = formatDecimal
const micros = (ms: number) => Math.round(ms * 1000)
/** "2025-09-11T12:00:00.000": the venue's histories write UTC without a zone. */
export const naiveUtc = (ms: number) => new Date(ms).toISOString().replace("Z", "")

/** The venue's numeric client id, when the local venue's client id is one. */
export const wireClientId = (clientId: string): number | null => (/^\d{1,10}$/.test(clientId) && Number(clientId) <= 0xffff_ffff ? Number(clientId) : null)

/** A refused order is answered with an error, never listed; were one listed, it shows as expired. */
const wireStatus = (status: OrderStatus): typeof WireOrderStatus.Encoded => {
  switch (status) {
    case "new":
      return "New"
    case "partially-filled":
      return "PartiallyFilled"
    case "filled":
      return "Filled"
    case "cancelled":
      return "Cancelled"
    case "expired":
    case "rejected":
      return "Expired"
  }
}

export const marketOf = (instrument: Instrument, funding: LocalFunding | undefined): typeof WireMarket.Encoded => ({
  symbol: instrument.symbol,
  baseSymbol: instrument.base,
  quoteSymbol: instrument.quote,
  marketType: instrument.kind === "perp" ? "PERP" : "SPOT",
  filters: {
    price: { minPrice: text(instrument.tickSize), maxPrice: null, tickSize: text(instrument.tickSize) },
    quantity: { minQuantity: text(instrument.minQty), maxQuantity: null, stepSize: text(instrument.stepSize) }
  },
  fundingInterval: funding !== undefined ? funding.intervalHours * 3_600_000 : null,
  // the market state as it is now (a fault plan's `markets` may change it); open where nobody said
  orderBookState: instrument.trading?.state ?? "Open"
})

/** The local venue keeps no 24 h statistics: they are flat at the last price. */
export const tickerOf = (symbol: string, ticker: LocalTicker | undefined): typeof WireTicker.Encoded => {
  const last = ticker === undefined ? "0" : text(ticker.last)
  return { symbol, lastPrice: last, firstPrice: last, priceChange: "0", priceChangePercent: "0", high: last, low: last, volume: "0", quoteVolume: "0", trades: "0" }
}

type Level = readonly [Decimal, Decimal]
const ascending = (levels: ReadonlyArray<Level>) => [...levels].sort(([a], [b]) => BigDecimal.Order(a, b))

/** Both sides in ascending price, as the venue lists them. */
export const depthOf = (
  depth: { readonly ts: number; readonly lastUpdateId: number; readonly bids: ReadonlyArray<Level>; readonly asks: ReadonlyArray<Level> }
): typeof WireDepth.Encoded => ({
  asks: ascending(depth.asks).map(([p, q]) => [text(p), text(q)] as const),
  bids: ascending(depth.bids).map(([p, q]) => [text(p), text(q)] as const),
  lastUpdateId: String(depth.lastUpdateId),
  timestamp: micros(depth.ts)
})

export const markPricesOf = (symbol: string, funding: LocalFunding | undefined): ReadonlyArray<typeof WireMarkPrice.Encoded> =>
  funding === undefined
    ? []
    : [{ symbol, markPrice: text(funding.markPrice), indexPrice: text(funding.indexPrice), fundingRate: text(funding.rate), nextFundingTimestamp: funding.nextFundingTime }]

/** `history`: as the order history lists it (creation time as a naive-UTC date). */
export const orderOf = (order: Order, history = false): typeof WireOrder.Encoded => ({
  id: order.id,
  clientId: wireClientId(order.clientId),
  symbol: order.symbol,
  side: order.side === "buy" ? "Bid" : "Ask",
  orderType: order.type === "limit" ? "Limit" : "Market",
  quantity: text(order.qty),
  quoteQuantity: null,
  executedQuantity: text(order.filledQty),
  executedQuoteQuantity: text(order.filledQuote),
  price: order.price !== undefined ? text(order.price) : null,
  timeInForce: order.timeInForce,
  postOnly: order.postOnly,
  reduceOnly: null,
  selfTradePrevention: "RejectTaker",
  status: wireStatus(order.status),
  createdAt: history ? naiveUtc(order.createdAt) : order.createdAt
})

export const fillOf = (fill: Fill, clientId: string | undefined): typeof WireFill.Encoded => ({
  tradeId: /^\d+$/.test(fill.tradeId) ? Number(fill.tradeId) : fill.tradeId,
  clientId: clientId !== undefined && wireClientId(clientId) !== null ? clientId : null,
  orderId: fill.orderId,
  symbol: fill.symbol,
  side: fill.side === "buy" ? "Bid" : "Ask",
  price: text(fill.price),
  quantity: text(fill.qty),
  fee: text(fill.fee),
  feeSymbol: fill.feeAsset,
  isMaker: fill.liquidity === "maker",
  timestamp: naiveUtc(fill.ts),
  systemOrderType: null
})

/** Open positions only, as the venue lists them. */
export const positionsOf = (symbol: string, qty: Decimal, markPrice: Decimal | undefined): ReadonlyArray<typeof WirePosition.Encoded> =>
  qty.value === 0n
    ? []
    : [{ symbol, netQuantity: text(qty), netExposureQuantity: text(qty), markPrice: markPrice !== undefined ? text(markPrice) : null, entryPrice: null, pnlRealized: null, pnlUnrealized: null }]

export const capitalOf = (balances: ReadonlyArray<Balance>): typeof WireCapital.Encoded =>
  Object.fromEntries(balances.map((b) => [b.asset, { available: text(b.free), locked: text(b.locked), staked: "0" }]))

// ---- streams ----

export interface StreamMessage {
  readonly stream: string
  readonly data: unknown
}

export const bookTickerOf = (symbol: string, quote: Extract<LocalMarketEvent, { kind: "quote" }>, updateId: number, now: number): StreamMessage => {
  const data: typeof WsBookTicker.Encoded = {
    e: "bookTicker",
    E: micros(now),
    s: symbol,
    a: text(quote.ask),
    A: text(quote.askQty),
    b: text(quote.bid),
    B: text(quote.bidQty),
    u: String(updateId),
    T: micros(quote.ts)
  }
  return { stream: `bookTicker.${symbol}`, data }
}

export const tradeOf = (symbol: string, trade: Extract<LocalMarketEvent, { kind: "trade" }>, now: number): StreamMessage => {
  const data: typeof WsTrade.Encoded = {
    e: "trade",
    E: micros(now),
    s: symbol,
    p: text(trade.price),
    q: text(trade.qty),
    t: trade.tradeId,
    T: micros(trade.ts),
    // the buyer was the maker when the taker sold
    m: trade.takerSide === "sell"
  }
  return { stream: `trade.${symbol}`, data }
}

/** depth.<symbol>: the levels that changed (its times quoted, as the venue sends them). */
export const depthUpdateOf = (symbol: string, delta: DepthDelta, now: number): StreamMessage => {
  const data: typeof WsDepth.Encoded = {
    e: "depth",
    E: String(micros(now)),
    s: symbol,
    U: delta.U,
    u: delta.u,
    a: ascending(delta.asks).map(([p, q]) => [text(p), text(q)] as const),
    b: ascending(delta.bids).map(([p, q]) => [text(p), text(q)] as const),
    T: String(micros(delta.ts))
  }
  return { stream: `depth.${symbol}`, data }
}

/** The event an own-order message reports; refused orders are not streamed (undefined). */
const eventOf = (update: OrderUpdate): string | undefined => {
  if (update.fill !== undefined) return "orderFill"
  switch (update.order.status) {
    case "new":
    case "partially-filled":
      return "orderAccepted"
    case "cancelled":
      return "orderCancelled"
    case "expired":
      return "orderExpired"
    case "filled":
      return "orderFill"
    case "rejected":
      return undefined
  }
}

export const orderUpdateOf = (stream: string, update: OrderUpdate, now: number): StreamMessage | undefined => {
  const event = eventOf(update)
  if (event === undefined) return undefined
  const { order, fill } = update
  const clientId = wireClientId(order.clientId)
  const data: typeof WsOrderUpdate.Encoded = {
    e: event,
    E: micros(now),
    s: order.symbol,
    ...(clientId !== null ? { c: clientId } : {}),
    S: order.side === "buy" ? "Bid" : "Ask",
    o: order.type === "limit" ? "LIMIT" : "MARKET",
    f: order.timeInForce,
    q: text(order.qty),
    ...(order.price !== undefined ? { p: text(order.price) } : {}),
    X: wireStatus(order.status),
    ...(order.status === "expired" ? { R: "IOC" } : {}),
    i: order.id,
    z: text(order.filledQty),
    Z: text(order.filledQuote),
    ...(fill !== undefined
      ? {
        t: /^\d+$/.test(fill.tradeId) ? Number(fill.tradeId) : fill.tradeId,
        l: text(fill.qty),
        L: text(fill.price),
        m: fill.liquidity === "maker",
        n: text(fill.fee),
        N: fill.feeAsset
      }
      : {}),
    V: "RejectTaker",
    T: micros(fill?.ts ?? order.updatedAt),
    O: "USER",
    y: order.postOnly
  }
  return { stream, data }
}

/** One funding payment of the account's history: the amount (positive = received), rate and funding time. */
export const fundingPaymentOf = (symbol: string, payment: FundingPayment): typeof WireFundingPayment.Encoded => ({
  symbol,
  quantity: text(BigDecimal.normalize(payment.amount)),
  intervalEndTimestamp: naiveUtc(payment.ts),
  fundingRate: text(payment.rate)
})
