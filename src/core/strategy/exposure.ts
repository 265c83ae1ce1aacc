/**
 * The strategy's count of what is not hedged yet. Hedging keys off each maker order's cumulative
 * filled quantity, so a fill seen twice (stream + cancel reply) is counted once and a fill that
 * raced a cancel is still counted.
 */
import { BigDecimal } from "effect"
import { type Decimal, decimal, roundToStep, ZERO } from "../domain/decimal"
import { floorQty, type Instrument, largestOrderQty } from "../domain/instrument"
import { type Order, type Side, signedQty } from "../domain/order"
import { setNewest } from "../newest-entries"

/** what a partial hedge holds back above the hedge venue's minimum: the minimum grows as the price falls */
const HOLD_BACK_MARGIN = decimal("1.05")

/**
 * Filled maker orders whose counted quantity is kept: days of a busy run, and more orders than the
 * adapters remember (an adapter passes on a message about an order it forgot as news, and only
 * the count kept here stops its fills being hedged twice).
 */
const REMEMBERED_FILLED_ORDERS = 10_000

export class Exposure {
  /** signed base quantity: positive = net long across both venues */
  private net: Decimal = ZERO
  /** per maker order, the filled quantity already counted; a run of weeks keeps only the newest */
  private readonly seenFilled = new Map<string, Decimal>()

  constructor(private readonly rememberedOrders = REMEMBERED_FILLED_ORDERS) {}

  get unhedged(): Decimal {
    return this.net
  }

  /** Absorbs a maker order's state; returns the newly filled quantity (0 if nothing new). */
  absorbMakerOrder(order: Order): Decimal {
    const seen = this.seenFilled.get(order.id) ?? ZERO
    if (!BigDecimal.greaterThan(order.filledQty, seen)) return ZERO
    const delta = BigDecimal.subtract(order.filledQty, seen)
    setNewest(this.seenFilled, order.id, order.filledQty, this.rememberedOrders)
    this.net = BigDecimal.sum(this.net, signedQty(order.side, delta))
    return delta
  }

  filledOf(orderId: string): Decimal {
    return this.seenFilled.get(orderId) ?? ZERO
  }

  absorbHedge(side: Side, executedQty: Decimal): void {
    this.net = BigDecimal.sum(this.net, signedQty(side, executedQty))
  }

  /**
   * The hedge order to send now: the unhedged quantity floored to the hedge venue's step (never
   * crossing zero), or nothing while it is below the venue's minimum size (carried to the next
   * fill). `pendingSameSide` is the maker quantity of the current leg still to fill: a partial hedge
   * holds back enough that what is left to hedge later is never an unhedgeable crumb.
   */
  hedgeOrder(
    hedge: Instrument,
    referencePrice: Decimal,
    pendingMakerSide?: { readonly side: Side; readonly qty: Decimal }
  ): { side: Side; qty: Decimal } | undefined {
    if (BigDecimal.isZero(this.net)) return undefined
    const side: Side = BigDecimal.isPositive(this.net) ? "sell" : "buy"
    const minimum = minimumHedgeQty(hedge, referencePrice)
    let qty = BigDecimal.abs(this.net)
    const pending = pendingMakerSide !== undefined && pendingMakerSide.side !== side ? pendingMakerSide.qty : ZERO
    if (BigDecimal.isPositive(pending)) {
      // leave (unhedged − qty) + pending ≥ minimum for the hedge that will follow the next fills,
      // with 5% to spare since the minimum grows if the price falls meanwhile
      const holdBack = roundToStep(BigDecimal.multiply(minimum, HOLD_BACK_MARGIN), hedge.stepSize, "ceil")
      qty = BigDecimal.min(qty, BigDecimal.subtract(BigDecimal.sum(qty, pending), holdBack))
    }
    // beyond the venue's largest order (its quantity, or its value, judged 5% higher than the price
    // seen: a buy pays the ask), the rest goes in the next one; a rest below the venue's smallest
    // order could not go at all: this one is made smaller to leave it that much (4 + 3 + 3 for 10
    // where 4 is the largest order and 3 the smallest, not 4 + 4 and 2 stuck)
    const largest = largestOrderQty(hedge, BigDecimal.multiply(referencePrice, HOLD_BACK_MARGIN))
    if (largest !== undefined && BigDecimal.greaterThan(qty, largest)) {
      const rest = BigDecimal.subtract(qty, largest)
      const leavingMinimum = floorQty(hedge, BigDecimal.subtract(qty, minimum))
      qty = BigDecimal.lessThan(rest, minimum) && !BigDecimal.lessThan(leavingMinimum, minimum) ? leavingMinimum : largest
    }
    qty = floorQty(hedge, qty)
    if (!BigDecimal.isPositive(qty) || BigDecimal.lessThan(qty, minimum)) return undefined
    return { side, qty }
  }
}

/** Smallest order the hedge venue accepts at this price: min quantity and min notional, on the step grid. */
export const minimumHedgeQty = (hedge: Instrument, price: Decimal): Decimal => {
  const byNotional = BigDecimal.isPositive(hedge.minNotional) && BigDecimal.isPositive(price)
    ? BigDecimal.multiply(BigDecimal.fromBigInt(ceilDiv(hedge.minNotional, BigDecimal.multiply(hedge.stepSize, price))), hedge.stepSize)
    : ZERO
  return BigDecimal.max(BigDecimal.max(hedge.minQty, byNotional), hedge.stepSize)
}

/** ⌈a / b⌉ for positive decimals, exactly. */
const ceilDiv = (a: Decimal, b: Decimal): bigint => {
  const scale = Math.max(a.scale, b.scale, 0)
  const x = BigDecimal.scale(a, scale).value
  const y = BigDecimal.scale(b, scale).value
  return (x + y - 1n) / y
}
