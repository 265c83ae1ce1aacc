/**
 * How a market order's fills are priced. A flat slippage first: every fill lands `slippageBps`
 * basis points worse than the level it takes (rounded up to the tick, away from the taker), for
 * the adverse moves a recording of the top of book cannot show. Then, when the file has no depth,
 * the walk: the top-of-book size fills at the best price, every further top-size chunk `bps`
 * basis points worse. Units: price and quantity units of the instrument.
 */
import { BigDecimal } from "effect"
import type { Decimal } from "../../core/domain/decimal"
import { ZERO } from "../../core/domain/decimal"

export interface ImpactModel {
  /** fills [priceUnits, qtyUnits] for a taker of `qty`; `sign` +1 buys (walks asks up) */
  walk(sign: 1 | -1, qty: number, bestPrice: number, topQty: number, tickUnits: number): Array<[number, number]>
  /** what a taker pays (`sign` +1) or gets (−1) for a level at `priceUnits`, slippage included (none: that price) */
  slip?(sign: 1 | -1, priceUnits: number, tickUnits: number): number
}

/** `bps` basis points of `priceUnits`, in whole ticks rounded up: integer arithmetic, exact for any decimal `bps`. */
export const adverseTicks = (priceUnits: number, bps: Decimal, tickUnits: number): number => {
  if (BigDecimal.isZero(bps)) return 0
  const { scale, value } = BigDecimal.normalize(bps)
  const numerator = BigInt(priceUnits) * value * (scale < 0 ? 10n ** BigInt(-scale) : 1n)
  const denominator = 10_000n * BigInt(tickUnits) * (scale > 0 ? 10n ** BigInt(scale) : 1n)
  return Number((numerator + denominator - 1n) / denominator)
}

export const linearImpact = (bpsPerTopSize: Decimal, assumedTopQty: number, slippageBps: Decimal = ZERO): ImpactModel => {
  const slip = (sign: 1 | -1, priceUnits: number, tickUnits: number): number =>
    priceUnits + sign * adverseTicks(priceUnits, slippageBps, tickUnits) * tickUnits
  return {
    slip,
    walk(sign, qty, bestPrice, topQty, tickUnits) {
      const chunk = topQty > 0 ? topQty : assumedTopQty
      if (!(chunk > 0)) throw new Error("market impact needs a positive top-of-book size")
      const start = slip(sign, bestPrice, tickUnits)
      const fills: Array<[number, number]> = []
      let left = qty
      for (let k = 0; left > 0; k++) {
        const walked = adverseTicks(bestPrice, BigDecimal.multiply(bpsPerTopSize, BigDecimal.fromBigInt(BigInt(k))), tickUnits)
        const price = start + sign * walked * tickUnits
        if (price <= 0) break
        const take = Math.min(left, chunk)
        fills.push([price, take])
        left -= take
      }
      return fills
    }
  }
}

/** Walks real depth levels (best first), then continues with the impact model past the last level. */
export const walkDepth = (
  levels: ReadonlyArray<readonly [number, number]>,
  sign: 1 | -1,
  qty: number,
  beyond: ImpactModel,
  tickUnits: number
): Array<[number, number]> => {
  const fills: Array<[number, number]> = []
  let left = qty
  let lastPrice = 0
  let lastQty = 0
  for (const [price, size] of levels) {
    if (left <= 0) break
    const paid = beyond.slip?.(sign, price, tickUnits) ?? price
    // a sell slipped to nothing: nobody is left to take it
    if (paid <= 0) return fills
    const take = Math.min(left, size)
    if (take > 0) fills.push([paid, take])
    left -= take
    lastPrice = price
    // a level shown empty (a recording may keep one) says nothing of the sizes beyond it
    if (size > 0) lastQty = size
  }
  if (left > 0 && lastPrice > 0) {
    const rest = beyond.walk(sign, left, lastPrice + sign * tickUnits, lastQty, tickUnits)
    fills.push(...rest)
  }
  return fills
}
