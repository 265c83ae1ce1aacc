/**
 * One venue's matching engine, in integer price/quantity units. It holds the recorded top of book
 * (and the latest depth snapshot), our resting orders and their queue positions, and decides fills
 * from the replayed quotes and trades. Realism lives in the small models it is composed from.
 */
import { toUnits } from "../core/domain/decimal"
import type { Instrument } from "../core/domain/instrument"
import type { Venue } from "../core/domain/venue"
import type { ImpactModel } from "./models/impact"
import { walkDepth } from "./models/impact"
import type { QueueModel, QueuePosition } from "./models/queue"
import { type DepthLevels, TickKind } from "./tickstore/types"

export interface EngineInstrument {
  readonly tickUnits: number
  readonly stepUnits: number
  readonly minQtyUnits: number
  /** min notional in priceUnits × qtyUnits */
  readonly minNotionalUnits: bigint
}

/** An instrument's filters in the units of a venue counting prices in `priceScale` and quantities in `qtyScale` decimals. */
export const engineFilters = (instrument: Instrument, priceScale: number, qtyScale: number): EngineInstrument => ({
  tickUnits: Number(toUnits(instrument.tickSize, priceScale)),
  stepUnits: Number(toUnits(instrument.stepSize, qtyScale)),
  minQtyUnits: Number(toUnits(instrument.minQty, qtyScale)),
  minNotionalUnits: toUnits(instrument.minNotional, priceScale + qtyScale)
})

export type SimOrderStatus = "new" | "partially-filled" | "filled" | "cancelled" | "rejected" | "expired"

export interface SimOrder {
  readonly id: string
  readonly clientId: string
  /** +1 buy, -1 sell */
  readonly sign: 1 | -1
  readonly type: "limit" | "market"
  /** price units; 0 for market orders */
  readonly price: number
  readonly qty: number
  readonly postOnly: boolean
  readonly timeInForce: "GTC" | "IOC" | "FOK"
  readonly createdAt: number
  filled: number
  /** Σ priceUnits × qtyUnits of fills */
  filledQuote: bigint
  status: SimOrderStatus
  updatedAt: number
  rejectReason?: string
  /** reject filter, e.g. "postOnly" */
  rejectCode?: string
  readonly queue: QueuePosition
  /** last displayed quantity seen at our price (for cancel-driven queue models) */
  levelQty: number
}

export interface EngineListener {
  onFill(venue: Venue, order: SimOrder, ts: number, price: number, qty: number, liquidity: "maker" | "taker"): void
}

export interface EngineOptions {
  readonly assumedTopQtyUnits: number
  /** a depth snapshot older than this (µs) is not trusted for market orders */
  readonly depthMaxAgeUs: number
  /** decides whether a market order is refused (seeded; always false by default) */
  readonly rejectMarket: () => boolean
}

/**
 * Whether a tick can touch an order resting at `sellFloor` or above, or at `buyCeiling` or below:
 * a quote whose bid reaches a sell fills it, whose ask is at its price moves its queue (the mirror
 * image for buys); a taker buy at or above a sell, a taker sell at or below a buy. False means the
 * tick only moves the market. Branch-free: the replay asks it of every tick while orders rest, and
 * tick kinds alternate too irregularly for branches to be predicted.
 */
export const tickReaches = (kind: number, p1: number, p2: number, sellFloor: number, buyCeiling: number): boolean => {
  const quote = +(kind === TickKind.Quote)
  const sells = (+(p1 >= sellFloor) | (quote & +(p2 >= sellFloor))) & (quote | +(kind === TickKind.TradeBuy))
  const buys = (+(p1 <= buyCeiling) | (quote & +(p2 <= buyCeiling))) & (quote | +(kind === TickKind.TradeSell))
  return (sells | buys) !== 0
}

const isOpen = (o: SimOrder) => o.status === "new" || o.status === "partially-filled"

const KEEP_CLOSED_ORDERS = 1000

export class VenueEngine {
  bid = 0
  bidQty = 0
  ask = 0
  askQty = 0
  last = 0
  lastTradeTs = -1
  quoteTs = -1
  private depthId = -1
  private depthTs = -1
  /**
   * Copy-on-write (replaced, never mutated in place): matching loops over the array as it was when
   * the tick arrived, even when a fill takes an order off the book meanwhile.
   */
  private resting: ReadonlyArray<SimOrder> = []
  /**
   * The lowest resting sell and the highest resting buy price (±Infinity when none): a tick that
   * reaches neither cannot touch our orders, so a replay may skip it (`tickReaches`, `setQuote`).
   */
  sellFloor = Number.POSITIVE_INFINITY
  buyCeiling = Number.NEGATIVE_INFINITY
  /**
   * How often a size the recording lacked (quotes without sizes) was replaced by the configured
   * assumed top-of-book size: a report built on such fills says so.
   */
  readonly sizeAssumed = { takerOrders: 0, queues: 0 }
  /** orders that took liquidity (market orders and marketable limits) */
  takerOrders = 0
  /** limit orders that went to rest on the book */
  queuesJoined = 0
  private readonly orders = new Map<string, SimOrder>()
  /** closed orders stay queryable for a while, then are forgotten: memory stays flat over long runs */
  private readonly closed: Array<string> = []

  constructor(
    readonly venue: Venue,
    private filters: EngineInstrument,
    private readonly queue: QueueModel,
    private readonly impact: ImpactModel,
    private readonly loadDepth: (snapshotId: number) => DepthLevels,
    private readonly listener: EngineListener,
    private readonly options: EngineOptions
  ) {}

  get instrument(): EngineInstrument {
    return this.filters
  }

  /** The venue changed its filters: orders entered from now on are checked against these; resting ones stay. */
  changeFilters(instrument: EngineInstrument): void {
    this.filters = instrument
  }

  get restingCount(): number {
    return this.resting.length
  }

  order(id: string): SimOrder | undefined {
    return this.orders.get(id)
  }

  /** the orders resting on the book, oldest first */
  openOrders(): ReadonlyArray<SimOrder> {
    return this.resting.slice()
  }

  private setResting(orders: ReadonlyArray<SimOrder>): void {
    this.resting = orders
    let floor = Number.POSITIVE_INFINITY
    let ceiling = Number.NEGATIVE_INFINITY
    for (const o of orders) {
      if (o.sign < 0) floor = Math.min(floor, o.price)
      else ceiling = Math.max(ceiling, o.price)
    }
    this.sellFloor = floor
    this.buyCeiling = ceiling
  }

  private retire(o: SimOrder): void {
    this.closed.push(o.id)
    if (this.closed.length > KEEP_CLOSED_ORDERS) this.orders.delete(this.closed.shift()!)
  }

  // ---- market data (hot path) ----

  onQuote(ts: number, bid: number, bidQty: number, ask: number, askQty: number): void {
    this.setQuote(ts, bid, bidQty, ask, askQty)
    if (this.resting.length !== 0) this.restingOnQuote(ts)
  }

  onTrade(ts: number, price: number, qty: number, takerBuys: boolean): void {
    this.setLastTrade(ts, price)
    if (this.resting.length !== 0) this.restingOnTrade(ts, price, qty, takerBuys)
  }

  /**
   * The top of book without matching: a replay that skipped the ticks which could not reach a
   * resting order (`tickReaches`) catches up on the latest one.
   */
  setQuote(ts: number, bid: number, bidQty: number, ask: number, askQty: number): void {
    this.bid = bid
    this.bidQty = bidQty
    this.ask = ask
    this.askQty = askQty
    this.quoteTs = ts
  }

  setLastTrade(ts: number, price: number): void {
    this.last = price
    this.lastTradeTs = ts
  }

  onDepth(ts: number, snapshotId: number): void {
    this.depthId = snapshotId
    this.depthTs = ts
  }

  private restingOnQuote(ts: number): void {
    const resting = this.resting
    for (let i = 0; i < resting.length; i++) {
      const o = resting[i]!
      // a best price beyond ours shows our level empty: whoever was ahead of us has left it
      if (o.sign < 0) {
        if (this.bid > 0 && this.bid >= o.price) this.fill(o, ts, o.price, o.qty - o.filled, "maker")
        else if (this.ask === o.price && this.askQty > 0) this.observeLevel(o, this.askQty)
        else if (this.ask > o.price) this.observeLevel(o, 0)
      } else {
        if (this.ask > 0 && this.ask <= o.price) this.fill(o, ts, o.price, o.qty - o.filled, "maker")
        else if (this.bid === o.price && this.bidQty > 0) this.observeLevel(o, this.bidQty)
        else if (this.bid > 0 && this.bid < o.price) this.observeLevel(o, 0)
      }
    }
  }

  private observeLevel(o: SimOrder, shown: number): void {
    if (shown < o.levelQty) this.queue.levelDecrease(o.queue, o.levelQty - shown, o.levelQty, this.ownRestingBefore(o))
    o.levelQty = shown
  }

  /** What our own orders placed before `o` at its price still rest: ahead of it, and not in the recorded level. */
  private ownRestingBefore(o: SimOrder): number {
    let ours = 0
    for (const r of this.resting) {
      if (r === o) break
      if (r.sign === o.sign && r.price === o.price) ours += r.qty - r.filled
    }
    return ours
  }

  private restingOnTrade(ts: number, price: number, qty: number, takerBuys: boolean): void {
    const resting = this.resting
    // the print's volume at its price, shared among our orders there oldest first: never filled twice
    let unfilled = qty
    for (let i = 0; i < resting.length; i++) {
      const o = resting[i]!
      // a taker buy lifts asks (our sells); a taker sell hits bids (our buys)
      if ((o.sign < 0) !== takerBuys) continue
      const through = o.sign < 0 ? price > o.price : price < o.price
      if (through) {
        this.fill(o, ts, o.price, o.qty - o.filled, "maker")
      } else if (price === o.price) {
        o.levelQty = Math.max(0, o.levelQty - qty)
        const reaching = Math.min(this.queue.trade(o.queue, qty), unfilled)
        if (reaching > 0) {
          const filled = Math.min(reaching, o.qty - o.filled)
          unfilled -= filled
          this.fill(o, ts, o.price, filled, "maker")
        }
      }
    }
  }

  private fill(o: SimOrder, ts: number, price: number, qty: number, liquidity: "maker" | "taker"): void {
    if (qty <= 0) return
    o.filled += qty
    o.filledQuote += BigInt(price) * BigInt(qty)
    o.updatedAt = ts
    if (o.filled >= o.qty) {
      o.status = "filled"
      if (this.resting.includes(o)) {
        this.setResting(this.resting.filter((r) => r !== o))
        this.retire(o)
      }
    } else {
      o.status = "partially-filled"
    }
    this.listener.onFill(this.venue, o, ts, price, qty, liquidity)
  }

  // ---- order entry (at the moment a request reaches the venue) ----

  private reject(o: SimOrder, ts: number, code: string, reason: string): SimOrder {
    this.retire(o)
    o.status = "rejected"
    o.rejectCode = code
    o.rejectReason = reason
    o.updatedAt = ts
    return o
  }

  private checkSize(o: SimOrder, ts: number, notionalPrice: number): SimOrder | undefined {
    const inst = this.instrument
    if (o.qty <= 0 || o.qty % inst.stepUnits !== 0) return this.reject(o, ts, "step", "quantity is not a multiple of the step size")
    if (o.qty < inst.minQtyUnits) return this.reject(o, ts, "minQty", "quantity is below the minimum quantity")
    if (notionalPrice > 0 && BigInt(notionalPrice) * BigInt(o.qty) < inst.minNotionalUnits)
      return this.reject(o, ts, "minNotional", "order value is below the minimum notional")
    return undefined
  }

  submitLimit(ts: number, o: SimOrder): SimOrder {
    this.orders.set(o.id, o)
    const inst = this.instrument
    if (o.price <= 0 || o.price % inst.tickUnits !== 0) return this.reject(o, ts, "tick", "price is not a multiple of the tick size")
    const sizeReject = this.checkSize(o, ts, o.price)
    if (sizeReject) return sizeReject
    const crosses = o.sign < 0 ? this.bid > 0 && o.price <= this.bid : this.ask > 0 && o.price >= this.ask
    if (crosses && o.postOnly) return this.reject(o, ts, "postOnly", "post-only order would immediately match")
    if (crosses) {
      // marketable limit: takes the top of book up to its price; fill-or-kill takes nothing unless
      // the top covers it all, and an IOC's rest expires. A GTC rest would sit crossing the
      // recording's book, which does not know our order: the next unchanged quote would fill it as
      // maker at its own price. It takes at its own price at once instead, as taker (the worst
      // price its limit allows, for liquidity it took)
      this.takerOrders += 1
      const top = this.shownOrAssumed(o.sign > 0 ? this.askQty : this.bidQty, "takerOrders")
      const best = o.sign > 0 ? this.ask : this.bid
      if (o.timeInForce === "FOK" && top < o.qty) {
        o.status = "expired"
        o.updatedAt = ts
        this.retire(o)
        return o
      }
      this.fill(o, ts, best, Math.min(top, o.qty), "taker")
      if (o.status !== "filled" && o.timeInForce === "GTC") this.fill(o, ts, o.price, o.qty - o.filled, "taker")
      if (o.status === "filled") return o
      o.status = "expired"
      return o
    } else if (o.timeInForce !== "GTC") {
      o.status = "expired"
      o.updatedAt = ts
      return o
    }
    const recorded = this.recordedAhead(o, ts)
    // our own orders resting at its price came before it (the recording does not show them)
    o.queue.ahead = this.ownRestingBefore(o) + recorded
    // the level as the recording shows it (our own orders are not in it): what later quotes are compared with
    o.levelQty = recorded
    this.setResting([...this.resting, o])
    return o
  }

  /**
   * What the recording shows ahead of a new order at its price (a queue joined, counted): depth if
   * known (nothing, at a price inside the levels shown where none rests), else the top size, else none.
   */
  private recordedAhead(o: SimOrder, ts: number): number {
    this.queuesJoined += 1
    const best = o.sign < 0 ? this.ask : this.bid
    const bestQty = o.sign < 0 ? this.askQty : this.bidQty
    const improves = best === 0 || (o.sign < 0 ? o.price < best : o.price > best)
    // a quote at least as new as the snapshot says what rests at its best price and better
    if (best !== 0 && this.quoteTs >= this.depthTs) {
      if (improves) return 0
      if (o.price === best) return this.shownOrAssumed(bestQty, "queues")
    }
    const levels = this.freshDepth(ts)
    if (levels) {
      const side = o.sign < 0 ? levels.asks : levels.bids
      const level = side.find(([p]) => p === o.price)
      if (level) return level[1]
      // the levels shown are the best ones, best first: a gap between the best and the deepest is
      // an empty price; a price better than the snapshot's best is the quote's to say (it is newer)
      const shownBest = side[0]
      const deepest = side[side.length - 1]
      if (shownBest !== undefined && deepest !== undefined && (o.sign < 0 ? o.price > shownBest[0] && o.price < deepest[0] : o.price < shownBest[0] && o.price > deepest[0])) return 0
    }
    if (improves) return 0
    return this.shownOrAssumed(bestQty, "queues")
  }

  /** The size the book shows, or the configured assumed one when the recording showed none (counted). */
  private shownOrAssumed(shown: number, use: keyof VenueEngine["sizeAssumed"]): number {
    if (shown > 0) return shown
    this.sizeAssumed[use] += 1
    return this.options.assumedTopQtyUnits
  }

  private freshDepth(ts: number): DepthLevels | undefined {
    if (this.depthId < 0 || ts - this.depthTs > this.options.depthMaxAgeUs) return undefined
    return this.loadDepth(this.depthId)
  }

  submitMarket(ts: number, o: SimOrder): SimOrder {
    this.orders.set(o.id, o)
    const best = o.sign > 0 ? this.ask : this.bid
    if (best <= 0) return this.reject(o, ts, "noLiquidity", "no liquidity on the book")
    const sizeReject = this.checkSize(o, ts, best)
    if (sizeReject) return sizeReject
    if (this.options.rejectMarket()) return this.reject(o, ts, "simulated", "simulated rejection of a market order")
    this.takerOrders += 1
    for (const [price, qty] of this.takerWalk(ts, o.sign, o.qty)) this.fill(o, ts, price, qty, "taker")
    if (o.filled < o.qty) o.status = o.filled > 0 ? "expired" : "rejected"
    this.retire(o)
    return o
  }

  /** What `qty` taken now would fill at: fresh depth beyond the top when known, else the top and the impact model. */
  private takerWalk(ts: number, sign: 1 | -1, qty: number): ReadonlyArray<readonly [number, number]> {
    const best = sign > 0 ? this.ask : this.bid
    const topQty = this.shownOrAssumed(sign > 0 ? this.askQty : this.bidQty, "takerOrders")
    const depth = this.freshDepth(ts)
    const levels = depth ? (sign > 0 ? depth.asks.filter(([p]) => p > best) : depth.bids.filter(([p]) => p < best)) : undefined
    return levels && levels.length > 0
      ? walkDepth([[best, topQty], ...levels], sign, qty, this.impact, this.instrument.tickUnits)
      : this.impact.walk(sign, qty, best, topQty, this.instrument.tickUnits)
  }

  /** Cancels if still open; returns the order's final state, or undefined for an unknown id. */
  cancel(ts: number, id: string): SimOrder | undefined {
    const o = this.orders.get(id)
    if (!o) return undefined
    if (isOpen(o)) {
      o.status = "cancelled"
      o.updatedAt = ts
      // what is left of it no longer stands ahead of our later orders at its price (the recording
      // never showed it, so no quote would take it out)
      const left = o.qty - o.filled
      let after = false
      for (const r of this.resting) {
        if (r === o) after = true
        else if (after && r.sign === o.sign && r.price === o.price) r.queue.ahead = Math.max(0, r.queue.ahead - left)
      }
      this.setResting(this.resting.filter((r) => r !== o))
      this.retire(o)
    }
    return o
  }
}
