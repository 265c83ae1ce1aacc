/**
 * How a market order walks the book when the file has no depth: the top-of-book size fills at the
 * best price, every further top-size chunk `bps` basis points worse (rounded to the tick, away
 * from the taker). Units: price and quantity units of the instrument.
 */
export interface ImpactModel {
  /** fills [priceUnits, qtyUnits] for a taker of `qty`; `sign` +1 buys (walks asks up) */
  walk(sign: 1 | -1, qty: number, bestPrice: number, topQty: number, tickUnits: number): Array<[number, number]>
}

export const linearImpact = (bpsPerTopSize: number, assumedTopQty: number): ImpactModel => ({
  walk(sign, qty, bestPrice, topQty, tickUnits) {
    const chunk = topQty > 0 ? topQty : assumedTopQty
    if (!(chunk > 0)) throw new Error("market impact needs a positive top-of-book size")
    const fills: Array<[number, number]> = []
    let left = qty
    for (let k = 0; left > 0; k++) {
      const slip = (bestPrice * bpsPerTopSize * k) / 10_000
      const ticks = Math.ceil(slip / tickUnits - 1e-9)
      const price = bestPrice + sign * ticks * tickUnits
      if (price <= 0) break
      const take = Math.min(left, chunk)
      fills.push([price, take])
      left -= take
    }
    return fills
  }
})

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
    const take = Math.min(left, size)
    if (take > 0) fills.push([price, take])
    left -= take
    lastPrice = price
    lastQty = size
  }
  if (left > 0 && lastPrice > 0) {
    const rest = beyond.walk(sign, left, lastPrice + sign * tickUnits, lastQty, tickUnits)
    fills.push(...rest)
  }
  return fills
}
