import { BigDecimal, Schema } from "effect"
import { DecimalString } from "./decimal"
import { Venue } from "./venue"

export const Side = Schema.Literal("buy", "sell")
export type Side = typeof Side.Type
export const opposite = (side: Side): Side => (side === "buy" ? "sell" : "buy")
/** A quantity as it changes a position: bought adds, sold takes away. */
export const signedQty = (side: Side, qty: BigDecimal.BigDecimal): BigDecimal.BigDecimal => (side === "buy" ? qty : BigDecimal.negate(qty))

export const OrderType = Schema.Literal("limit", "market")
export type OrderType = typeof OrderType.Type

export const TimeInForce = Schema.Literal("GTC", "IOC", "FOK")
export type TimeInForce = typeof TimeInForce.Type

export const OrderStatus = Schema.Literal("new", "partially-filled", "filled", "cancelled", "rejected", "expired")
export type OrderStatus = typeof OrderStatus.Type

export const isOpenStatus = (status: OrderStatus): boolean => status === "new" || status === "partially-filled"

export const Liquidity = Schema.Literal("maker", "taker")
export type Liquidity = typeof Liquidity.Type

export const LimitOrderRequest = Schema.Struct({
  side: Side,
  price: DecimalString,
  qty: DecimalString,
  postOnly: Schema.Boolean,
  timeInForce: TimeInForce,
  clientId: Schema.String
})
export type LimitOrderRequest = typeof LimitOrderRequest.Type

export const MarketOrderRequest = Schema.Struct({
  side: Side,
  qty: DecimalString,
  clientId: Schema.String
})
export type MarketOrderRequest = typeof MarketOrderRequest.Type

/** A venue's view of one of our orders. `filledQty` is cumulative: hedging keys off it. */
export const Order = Schema.Struct({
  venue: Venue,
  symbol: Schema.String,
  id: Schema.String,
  clientId: Schema.String,
  side: Side,
  type: OrderType,
  price: Schema.optional(DecimalString),
  qty: DecimalString,
  filledQty: DecimalString,
  /** Σ price × qty of the fills so far (quote currency). */
  filledQuote: DecimalString,
  status: OrderStatus,
  postOnly: Schema.Boolean,
  timeInForce: TimeInForce,
  /** ms since epoch, venue clock */
  createdAt: Schema.Number,
  updatedAt: Schema.Number,
  rejectReason: Schema.optional(Schema.String)
})
export type Order = typeof Order.Type

export const Fill = Schema.Struct({
  venue: Venue,
  symbol: Schema.String,
  orderId: Schema.String,
  tradeId: Schema.String,
  side: Side,
  price: DecimalString,
  qty: DecimalString,
  fee: DecimalString,
  feeAsset: Schema.String,
  liquidity: Liquidity,
  /** ms since epoch, venue clock */
  ts: Schema.Number
})
export type Fill = typeof Fill.Type

/** One message of the own-order stream: the order's new state and the fill behind it, if any. */
export const OrderUpdate = Schema.Struct({
  order: Order,
  fill: Schema.optional(Fill)
})
export type OrderUpdate = typeof OrderUpdate.Type
