/** Whether a leg's quantity can be traded as is on both venues: the maker order and its hedge. */
import { BigDecimal } from "effect"
import { type Decimal, formatDecimal } from "../domain/decimal"
import { checkFilters, type Instrument, largestOrderQty } from "../domain/instrument"
import { minimumHedgeQty } from "./exposure"

/**
 * Why `quantity` cannot be traded on both venues (none: it can): the maker order at `makerPrice`,
 * its hedge at `hedgePrice`, the hedge venue's price a hedge is sized at (the lower of its last
 * price and bid: the venue checks its minimum order value at its own price).
 */
export const quantityProblems = (quantity: Decimal, maker: Instrument, hedge: Instrument, makerPrice: Decimal, hedgePrice: Decimal = makerPrice): Array<string> => {
  const problems: Array<string> = []
  const makerViolation = checkFilters(maker, quantity, undefined, makerPrice)
  if (makerViolation) problems.push(`${maker.venue} ${maker.symbol}: ${makerViolation.message}`)
  const hedgeViolation = checkFilters(hedge, quantity, undefined, hedgePrice)
  if (hedgeViolation) problems.push(`${hedge.venue} ${hedge.symbol}: ${hedgeViolation.message}`)
  // one maker order carries the leg (a hedge beyond its venue's largest order is split)
  if (maker.maxQty !== undefined && BigDecimal.greaterThan(quantity, maker.maxQty))
    problems.push(`${maker.venue} ${maker.symbol}: quantity ${formatDecimal(quantity)} is above the largest order ${formatDecimal(maker.maxQty)}`)
  // a hedge beyond the largest order value is split too, but not below the smallest order
  const largestHedge = largestOrderQty(hedge, hedgePrice)
  if (hedge.maxNotional !== undefined && largestHedge !== undefined && BigDecimal.lessThan(largestHedge, minimumHedgeQty(hedge, hedgePrice)))
    problems.push(`${hedge.venue} ${hedge.symbol}: its largest order value ${formatDecimal(hedge.maxNotional)} at price ${formatDecimal(hedgePrice)} is below its smallest order: no hedge can be sent`)
  const smallestHedge = minimumHedgeQty(hedge, hedgePrice)
  if (BigDecimal.lessThan(quantity, smallestHedge))
    problems.push(`${hedge.venue} ${hedge.symbol}: quantity ${formatDecimal(quantity)} is below the smallest hedge order ${formatDecimal(smallestHedge)} at price ${formatDecimal(hedgePrice)}`)
  return problems
}

/** The price a hedge is sized at: the lower of the hedge venue's last price and bid. */
export const hedgeSizingPrice = (ticker: { readonly last: Decimal; readonly bid: Decimal }): Decimal => BigDecimal.min(ticker.last, ticker.bid)
