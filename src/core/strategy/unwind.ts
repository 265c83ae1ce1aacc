/**
 * A hedged pair left by an interrupted run is unwound before the first cycle. A stop between the
 * legs (Ctrl+C, a crash, the kill switch) leaves the maker venue short one leg and the hedge venue
 * long as much; the next run would start with a sell again, so each such stop would leave one more
 * pair, paying funding on both venues, until `max_position` stopped the run. Unwinding legs trade
 * the maker position back towards zero, each one posted, watched and hedged as any leg is.
 */
import { BigDecimal } from "effect"
import { type Decimal, ZERO } from "../domain/decimal"
import { floorQty, type Instrument } from "../domain/instrument"
import type { Side } from "../domain/order"
import { minimumHedgeQty } from "./exposure"
import { quantityProblems } from "./tradable-quantity"

export interface UnwindLeg {
  readonly side: Side
  readonly qty: Decimal
}

/**
 * The next unwinding leg for a maker position (signed base quantity): at most one leg's `quantity`,
 * on both venues' step grids; none when the position is flat or what is left cannot be traded on
 * both venues (below a minimum), which then stays as it is. The hedge's minimum is judged at the
 * hedge venue's own price (`hedgePrice`, as the posting gate and the hedge size it): a leg judged
 * at the maker's would be held back by the gate for good.
 */
export const unwindLeg = (
  makerPosition: Decimal,
  quantity: Decimal,
  maker: Instrument,
  hedge: Instrument,
  makerPrice: Decimal,
  hedgePrice: Decimal
): UnwindLeg | undefined => {
  if (BigDecimal.isZero(makerPosition)) return undefined
  const side: Side = BigDecimal.isNegative(makerPosition) ? "buy" : "sell"
  const held = BigDecimal.abs(makerPosition)
  const tradable = (qty: Decimal) => BigDecimal.greaterThan(qty, ZERO) && quantityProblems(qty, maker, hedge, makerPrice, hedgePrice).length === 0
  const qty = floorQty(hedge, floorQty(maker, BigDecimal.min(quantity, held)))
  if (!tradable(qty)) return undefined
  // a rest below either venue's smallest order could never be unwound: this leg is made smaller
  // to leave that much (8 + 4 for 12 in legs of 10 where 4 is the smallest, not 10 and 2 stuck)
  const rest = BigDecimal.subtract(held, qty)
  if (BigDecimal.isPositive(rest) && !tradable(rest)) {
    const smallest = BigDecimal.max(minimumHedgeQty(maker, makerPrice), minimumHedgeQty(hedge, hedgePrice))
    const leaving = floorQty(hedge, floorQty(maker, BigDecimal.subtract(held, smallest)))
    if (tradable(leaving) && tradable(BigDecimal.subtract(held, leaving))) return { side, qty: leaving }
  }
  return { side, qty }
}

/**
 * Whether a start unwinds a leg before its first cycle (trade.unwind_at_start, and `unwindLeg`
 * gives one): its first order is then not cycle 1's sell. A position too small to unwind on both
 * venues is left as it is.
 */
export const unwindsFirst = (unwindAtStart: boolean, ...leg: Parameters<typeof unwindLeg>): boolean => unwindAtStart && unwindLeg(...leg) !== undefined

/**
 * Which positions a start's unwinding trades toward zero (`unwinds`: unwind_at_start or
 * --unwind-only): the maker venue's when it is not flat, and the hedge venue's when it is the other
 * side of that pair. The kill switch lets these shrink from beyond max_position.
 */
export const shrunkByUnwinding = (makerPosition: Decimal, hedgePosition: Decimal, unwinds: boolean): { readonly maker: boolean; readonly hedge: boolean } => {
  const maker = unwinds && !BigDecimal.isZero(makerPosition)
  return { maker, hedge: maker && BigDecimal.sign(hedgePosition) === -BigDecimal.sign(makerPosition) }
}
