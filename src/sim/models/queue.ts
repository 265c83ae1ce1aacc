/**
 * Where a resting limit order stands in its price level's queue. Quantities are in the
 * instrument's quantity units. The engine calls these; the model only moves `ahead`.
 */
export interface QueueModel {
  readonly name: string
  /**
   * Volume traded at our price: returns the quantity that reaches our order (0 while the volume
   * only eats into the queue ahead of us). `position.ahead` is updated in place.
   */
  trade(position: QueuePosition, tradedQty: number): number
  /** The displayed quantity at our price shrank by `decrease` without a trade (cancels). */
  /**
   * The level the recording shows fell by `decrease` from `levelQtyBefore`. `ownAhead` of what is
   * ahead are our own earlier orders at the price, which the recording does not show: a cancel
   * in the level takes nothing of them.
   */
  levelDecrease(position: QueuePosition, decrease: number, levelQtyBefore: number, ownAhead: number): void
}

export interface QueuePosition {
  /** quantity resting ahead of our order at our price */
  ahead: number
}

const consume = (position: QueuePosition, tradedQty: number): number => {
  if (position.ahead >= tradedQty) {
    position.ahead -= tradedQty
    return 0
  }
  const reaching = tradedQty - position.ahead
  position.ahead = 0
  return reaching
}

/** Our order advances only by volume traded at its price; cancels never help us. */
export const conservativeQueue: QueueModel = {
  name: "conservative",
  trade: consume,
  levelDecrease: () => {}
}

/**
 * hftbacktest-style probabilistic queue: a level decrease (cancels) is split between the queue
 * ahead of us and behind us with probability f(ahead) / (f(ahead) + f(behind)), f(x) = x^n. What
 * is ahead never exceeds what the level still shows (the share may leave more than that), and
 * our own earlier orders at the price, which the level does not show.
 */
export const probabilisticQueue = (power: number): QueueModel => ({
  name: `probabilistic(n=${power})`,
  trade: consume,
  levelDecrease(position, decrease, levelQtyBefore, ownAhead) {
    // what the recording shows of the queue ahead: our own earlier orders are not in its level
    const shownAhead = Math.max(position.ahead - ownAhead, 0)
    if (decrease <= 0 || shownAhead <= 0) return
    const behind = Math.max(levelQtyBefore - shownAhead, 0)
    // as 1 / (1 + (behind/ahead)^n): the powers of sizes in quantity units overflow a double
    // (Infinity / Infinity) long before their ratio does
    const share = 1 / (1 + Math.pow(behind / shownAhead, power))
    position.ahead = position.ahead - shownAhead + Math.max(0, Math.min(shownAhead - Math.round(decrease * share), levelQtyBefore - decrease))
  }
})
