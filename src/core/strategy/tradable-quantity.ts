/** Whether a leg's quantity can be traded as is on both venues: the maker order and its hedge. */
import { BigDecimal } from "effect"
import { type Decimal, formatDecimal } from "../domain/decimal"
import { checkFilters, type Instrument } from "../domain/instrument"
import { minimumHedgeQty } from "./exposure"

/** Why `quantity` cannot be traded on both venues at `price` (none: it can). */
export const quantityProblems = (quantity: Decimal, maker: Instrument, hedge: Instrument, price: Decimal): Array<string> => {
  const problems: Array<string> = []
  const makerViolation = checkFilters(maker, quantity, undefined, price)
  if (makerViolation) problems.push(`${maker.venue} ${maker.symbol}: ${makerViolation.message}`)
  const hedgeViolation = checkFilters(hedge, quantity, undefined, price)
  if (hedgeViolation) problems.push(`${hedge.venue} ${hedge.symbol}: ${hedgeViolation.message}`)
  const smallestHedge = minimumHedgeQty(hedge, price)
  if (BigDecimal.lessThan(quantity, smallestHedge))
    problems.push(`${hedge.venue} ${hedge.symbol}: quantity ${formatDecimal(quantity)} is below the smallest hedge order ${formatDecimal(smallestHedge)} at price ${formatDecimal(price)}`)
  return problems
}
