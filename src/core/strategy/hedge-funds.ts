/**
 * A spot hedge venue pays for each hedge buy from its free quote balance. A leg's largest hedge
 * buy is trade.quantity at about the ask; one the account cannot pay is refused by the venue only
 * after the maker leg has filled, and leaves that leg unhedged. So a live start on spot checks it
 * first. The 2 % margin covers the taker fee and the price moving before the hedge.
 */
import { BigDecimal } from "effect"
import type { Balance } from "../domain/account"
import { type Decimal, decimal, formatDecimal, ZERO } from "../domain/decimal"
import type { Instrument } from "../domain/instrument"

const MARGIN = decimal("1.02")

/** The quote a hedge buy of `quantity` at `ask` needs, margin included. */
export const hedgeBuyCost = (quantity: Decimal, ask: Decimal): Decimal => BigDecimal.normalize(BigDecimal.multiply(BigDecimal.multiply(quantity, ask), MARGIN))

/** Whether `freeQuote` pays one hedge buy of `quantity` at `ask`. */
export const paysHedgeBuy = (quantity: Decimal, ask: Decimal, freeQuote: Decimal): boolean => BigDecimal.greaterThanOrEqualTo(freeQuote, hedgeBuyCost(quantity, ask))

/** The free balance of the instrument's quote asset (none listed: 0). */
export const freeQuote = (balances: ReadonlyArray<Balance>, instrument: Instrument): Decimal => balances.find((b) => b.asset === instrument.quote)?.free ?? ZERO

/** What a hedge buy needs, as the check and a refused start both say it. */
export const hedgeBuyNeed = (quantity: Decimal, instrument: Instrument, ask: Decimal): string =>
  `a hedge buy of ${formatDecimal(quantity)} ${instrument.base} at about ${formatDecimal(ask)} needs ${formatDecimal(hedgeBuyCost(quantity, ask))} (fee and price moves included)`
