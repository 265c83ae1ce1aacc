/**
 * A hedge the venue cannot fund is refused only after the maker leg has filled, and leaves that
 * leg unhedged. So a live start checks first that the largest hedge a leg opens, trade.quantity
 * at about the ask, can be funded:
 * - on spot, each hedge buy is paid from the free quote balance; the 2 % margin covers the taker
 *   fee and the price moving before the hedge;
 * - on perps, opening the position draws its initial margin, notional / leverage, from the
 *   available balance, with the same 2 % for the price moving, and the taker fee (at most 0.1 %
 *   of the notional) on top.
 */
import { BigDecimal } from "effect"
import type { Balance, OpeningMargin } from "../domain/account"
import { type Decimal, decimal, formatDecimal, ZERO } from "../domain/decimal"
import type { Instrument } from "../domain/instrument"

const MARGIN = decimal("1.02")
const FEE_ALLOWANCE = decimal("0.001")

/** The quote a hedge buy of `quantity` at `ask` needs, margin included. */
export const hedgeBuyCost = (quantity: Decimal, ask: Decimal): Decimal => BigDecimal.normalize(BigDecimal.multiply(BigDecimal.multiply(quantity, ask), MARGIN))

/** Whether `freeQuote` pays one hedge buy of `quantity` at `ask`. */
export const paysHedgeBuy = (quantity: Decimal, ask: Decimal, freeQuote: Decimal): boolean => BigDecimal.greaterThanOrEqualTo(freeQuote, hedgeBuyCost(quantity, ask))

/** The free balance of the instrument's quote asset (none listed: 0). */
export const freeQuote = (balances: ReadonlyArray<Balance>, instrument: Instrument): Decimal => balances.find((b) => b.asset === instrument.quote)?.free ?? ZERO

/** What a hedge buy needs, as the check and a refused start both say it. */
export const hedgeBuyNeed = (quantity: Decimal, instrument: Instrument, ask: Decimal): string =>
  `a hedge buy of ${formatDecimal(quantity)} ${instrument.base} at about ${formatDecimal(ask)} needs ${formatDecimal(hedgeBuyCost(quantity, ask))} (fee and price moves included)`

/** The margin a perp hedge opening `quantity` at `ask` needs at `leverage`, fee and price moves included. */
export const hedgeOpenMargin = (quantity: Decimal, ask: Decimal, leverage: Decimal): Decimal => {
  const notional = BigDecimal.multiply(quantity, ask)
  const initial = BigDecimal.unsafeDivide(BigDecimal.multiply(notional, MARGIN), leverage)
  return BigDecimal.normalize(BigDecimal.round(BigDecimal.sum(initial, BigDecimal.multiply(notional, FEE_ALLOWANCE)), { scale: 8, mode: "ceil" }))
}

/** Whether the available margin opens one hedge of `quantity` at `ask`. */
export const paysHedgeMargin = (quantity: Decimal, ask: Decimal, margin: OpeningMargin): boolean =>
  BigDecimal.greaterThanOrEqualTo(margin.available, hedgeOpenMargin(quantity, ask, margin.leverage))

/** What a perp hedge needs, as the check and a refused start both say it. */
export const hedgeMarginNeed = (quantity: Decimal, instrument: Instrument, ask: Decimal, margin: OpeningMargin): string =>
  `${formatDecimal(margin.available)} ${margin.asset} available; a hedge buy of ${formatDecimal(quantity)} ${instrument.base} at about ${formatDecimal(ask)} at leverage ${
    formatDecimal(margin.leverage)
  } needs ${formatDecimal(hedgeOpenMargin(quantity, ask, margin.leverage))} (fee and price moves included)`
