import { BigDecimal, Schema } from "effect"
import { type Decimal, DecimalString } from "./decimal"
import { Side } from "./order"
import { Venue } from "./venue"

/** Best bid/ask with sizes (size 0 = not known from the feed). */
export const Quote = Schema.Struct({
  venue: Venue,
  ts: Schema.Number,
  bid: DecimalString,
  bidQty: DecimalString,
  ask: DecimalString,
  askQty: DecimalString
})
export type Quote = typeof Quote.Type

export const Trade = Schema.Struct({
  venue: Venue,
  ts: Schema.Number,
  price: DecimalString,
  qty: DecimalString,
  takerSide: Side
})
export type Trade = typeof Trade.Type

/** The best levels of a book, best first, as [price, quantity]. */
export interface DepthSnapshot {
  readonly venue: typeof Venue.Type
  readonly ts: number
  readonly bids: ReadonlyArray<readonly [Decimal, Decimal]>
  readonly asks: ReadonlyArray<readonly [Decimal, Decimal]>
}

/** A public market message as a venue streamed it (what recording a live run keeps). */
export type MarketEvent =
  | { readonly _tag: "Quote"; readonly quote: Quote }
  | { readonly _tag: "Trade"; readonly trade: Trade }
  | { readonly _tag: "Depth"; readonly depth: DepthSnapshot }

/** What the strategy reads of a market: top of book and the last traded price. */
export const Ticker = Schema.Struct({
  ts: Schema.Number,
  bid: DecimalString,
  ask: DecimalString,
  last: DecimalString
})
export type Ticker = typeof Ticker.Type

const HALF = BigDecimal.make(5n, 1)

/** The mark a run values open quantity at: the middle of the best bid and ask (exact: × 0.5, no division). */
export const mid = (bid: Decimal, ask: Decimal): Decimal => BigDecimal.normalize(BigDecimal.multiply(BigDecimal.sum(bid, ask), HALF))

export const FundingEvent = Schema.Struct({
  venue: Venue,
  /** the funding time, ms since epoch */
  ts: Schema.Number,
  rate: DecimalString,
  markPrice: DecimalString
})
export type FundingEvent = typeof FundingEvent.Type

/** A perp venue's announced funding: the rate it will charge at `fundingTime` (ms) and its mark price now. */
export const FundingQuote = Schema.Struct({
  fundingTime: Schema.Number,
  rate: DecimalString,
  markPrice: DecimalString
})
export type FundingQuote = typeof FundingQuote.Type
