/**
 * What a fill's fee costs in its market's quote asset. A venue may charge the fee in another
 * asset: Aster's "Pay fee in ASTER" takes it from the ASTER balance (5 % off), so an ASTERUSDT
 * fill's fee arrives as an amount of ASTER, the market's base asset. Counting that amount as
 * USDT would understate the cost by the ASTER price. A fee in the base asset is valued at the
 * fill's own price (exact: the rate the trade itself set); one in the quote asset (or none) is
 * taken as it is; any other asset cannot be valued here, so it is counted at par and said so.
 */
import { BigDecimal } from "effect"
import type { Decimal } from "../domain/decimal"
import type { Fill } from "../domain/order"
import type { Venue } from "../domain/venue"

/** A market a run trades: the fills of `symbol` on `venue` are valued in `quote`. */
export interface TradedMarket {
  readonly venue: Venue
  readonly symbol: string
  readonly base: string
  readonly quote: string
}

export interface FeeValue {
  /** the fee in the market's quote asset */
  readonly inQuote: Decimal
  /** how: as charged (quote, no asset named, or a market not known), at the fill's price (base), or at par (another asset) */
  readonly basis: "as-charged" | "at-fill-price" | "at-par"
}

export type FeeValuation = (fill: Fill) => FeeValue

/** Every fee as charged: for fills known to be charged in the quote asset (the simulator's). */
export const feesAsCharged: FeeValuation = (fill) => ({ inQuote: fill.fee, basis: "as-charged" })

/** Values each fill's fee by the market it traded (venue and symbol) among `markets`. */
export const feeValuation = (markets: Iterable<TradedMarket>): FeeValuation => {
  const byKey = new Map<string, TradedMarket>()
  for (const market of markets) byKey.set(`${market.venue}:${market.symbol}`, market)
  return (fill) => {
    const market = byKey.get(`${fill.venue}:${fill.symbol}`)
    // a market not known (an earlier run's, of another symbol): as charged, as it always was
    if (market === undefined || fill.feeAsset === "" || fill.feeAsset === market.quote || BigDecimal.isZero(fill.fee)) return { inQuote: fill.fee, basis: "as-charged" }
    if (fill.feeAsset === market.base) return { inQuote: BigDecimal.multiply(fill.fee, fill.price), basis: "at-fill-price" }
    return { inQuote: fill.fee, basis: "at-par" }
  }
}
