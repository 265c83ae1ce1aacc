/**
 * The orders this adapter placed, as last seen. The user data stream carries every order of the
 * account on every symbol, can repeat itself and is "not guaranteed in order": an update is passed
 * on only if it is about one of our orders and is not older than what we already know (less
 * filled, or open again after closing), or if it carries a fill not passed on yet (a trade message
 * overtaken by a later one, or by a multi-level hedge's REST answer): that fill goes with the state
 * known. Repeats of the same state pass: consumers key off the cumulative filled quantity. A REST resync (after a reconnection, or polling while the stream is
 * down) passes on only a state that differs from the last one passed on, so polling never repeats.
 */
import { BigDecimal } from "effect"
import { isOpenStatus, type Order } from "../../core/domain/order"
import { setNewest } from "../../core/newest-entries"

/** Orders remembered (open ones are never forgotten before closing in practice: far below this). */
const CAPACITY = 2000

export class OwnOrders {
  private readonly clientIds = new Set<string>()
  private readonly latest = new Map<string, Order>()
  /** the last state passed on to `nextUpdate`, per order */
  private readonly passed = new Map<string, Order>()
  /** the trade ids whose fills were passed on, per order */
  private readonly trades = new Map<string, Set<string>>()

  /** before sending: the stream's first message about the order may beat the HTTP answer */
  register(clientId: string): void {
    this.clientIds.add(clientId)
    trim(this.clientIds)
  }

  isOwn(order: Order): boolean {
    return this.clientIds.has(order.clientId) || this.latest.has(order.id)
  }

  known(orderId: string): Order | undefined {
    return this.latest.get(orderId)
  }

  /** Records the state; false when it is older than the one known (so not worth passing on). */
  accept(order: Order): boolean {
    const known = this.latest.get(order.id)
    if (known !== undefined) {
      if (BigDecimal.lessThan(order.filledQty, known.filledQty)) return false
      if (!isOpenStatus(known.status) && isOpenStatus(order.status)) return false
    }
    setNewest(this.latest, order.id, order, CAPACITY)
    return true
  }

  /** Records a fill's trade id as passed on; false when it was already. */
  newTrade(orderId: string, tradeId: string): boolean {
    const seen = this.trades.get(orderId) ?? new Set<string>()
    if (seen.has(tradeId)) return false
    seen.add(tradeId)
    setNewest(this.trades, orderId, seen, CAPACITY)
    return true
  }

  /** Records the state just passed on to `nextUpdate`. */
  passedOn(order: Order): void {
    setNewest(this.passed, order.id, order, CAPACITY)
  }

  /** Whether `order` tells nothing beyond the last state passed on (same cumulative fill and status). */
  alreadyPassedOn(order: Order): boolean {
    const last = this.passed.get(order.id)
    return last !== undefined && last.status === order.status && BigDecimal.equals(last.filledQty, order.filledQty)
  }

  /** our orders last seen open: what a reconnection must look up */
  open(): ReadonlyArray<Order> {
    return [...this.latest.values()].filter((o) => isOpenStatus(o.status))
  }
}

/** Forgets the oldest ids (a Set iterates in insertion order). */
const trim = (ids: Set<string>) => {
  for (const id of ids) {
    if (ids.size <= CAPACITY) return
    ids.delete(id)
  }
}
