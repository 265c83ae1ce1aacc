/**
 * The PnL of a trailing window (the last 24 h, for `risk.max_loss_per_day`), across runs: the
 * cash flows of the fills and funding payments inside the window (fees included), plus the
 * quantity those fills added per market valued at the latest price known for it (a fill's, or
 * a venue's mark). An event counts while it is younger than the window: at `now` the window is
 * (now − windowMs, now].
 *
 * A position bought before the window and still held is not revalued: the strategy hedges every
 * fill at once, so what it holds is one leg for seconds, and the run's own `max_loss` marks it.
 */
import { BigDecimal } from "effect"
import { type FeeValuation, feeValuation, type TradedMarket } from "../accounting/fee-value"
import { type Decimal, ZERO } from "../domain/decimal"
import { type Fill, signedQty } from "../domain/order"
import type { Venue } from "../domain/venue"

export const DAY_MS = 24 * 60 * 60 * 1000

interface CashFlow {
  readonly ts: number
  /** `venue:symbol`; funding is cash only and names the venue alone */
  readonly market: string
  readonly cash: Decimal
  readonly qty: Decimal
}

const marketOf = (venue: Venue, symbol: string) => `${venue}:${symbol}`

export class TrailingPnl {
  /** in time order; those before `first` have left the window */
  private flows: Array<CashFlow> = []
  private first = 0
  /** events at or before it have left the window (the latest expiry's bound) */
  private cutoff = Number.NEGATIVE_INFINITY
  private cash: Decimal = ZERO
  /** Σ signed quantity of the window's fills, per market */
  private readonly held = new Map<string, Decimal>()
  private readonly prices = new Map<string, { readonly price: Decimal; readonly ts: number }>()

  /** the symbol each venue's marks price (the one the current run trades) */
  private readonly markets: ReadonlyMap<Venue, string>
  private readonly valueFee: FeeValuation

  /** `markets`: the ones the current run trades (their marks value the holdings; their assets, the fees) */
  constructor(readonly windowMs: number, markets: ReadonlyArray<TradedMarket>) {
    this.markets = new Map(markets.map((m) => [m.venue, m.symbol]))
    this.valueFee = feeValuation(markets)
  }

  addFill(fill: Fill): void {
    const market = marketOf(fill.venue, fill.symbol)
    const notional = BigDecimal.multiply(fill.price, fill.qty)
    this.add({
      ts: fill.ts,
      market,
      cash: BigDecimal.subtract(fill.side === "sell" ? notional : BigDecimal.negate(notional), this.valueFee(fill).inQuote),
      qty: signedQty(fill.side, fill.qty)
    })
    this.price(market, fill.price, fill.ts)
  }

  /** paid (negative) or received */
  addFunding(venue: Venue, amount: Decimal, ts: number): void {
    this.add({ ts, market: venue, cash: amount, qty: ZERO })
  }

  /** The venue's mark for the market the current run trades there; older prices do not replace newer ones. */
  mark(venue: Venue, price: Decimal, ts: number): void {
    const symbol = this.markets.get(venue)
    if (symbol !== undefined) this.price(marketOf(venue, symbol), price, ts)
  }

  pnlAt(now: number): Decimal {
    this.expire(now)
    return BigDecimal.normalize(this.value(this.cash, this.held))
  }

  /**
   * When the window's PnL is back above −limit if nothing more happens (no fill, same prices):
   * the time enough of its losses have left it; `now` when it is above already.
   */
  clearsAt(now: number, limit: Decimal): number {
    const floor = BigDecimal.negate(limit)
    if (BigDecimal.greaterThan(this.pnlAt(now), floor)) return now
    let cash = this.cash
    const held = new Map(this.held)
    for (let i = this.first; i < this.flows.length; i++) {
      const flow = this.flows[i]!
      cash = BigDecimal.subtract(cash, flow.cash)
      held.set(flow.market, BigDecimal.subtract(held.get(flow.market) ?? ZERO, flow.qty))
      // the window no longer holds it from its ts + windowMs on; one at the same ts leaves with it
      const next = this.flows[i + 1]
      if (next !== undefined && next.ts === flow.ts) continue
      if (BigDecimal.greaterThan(this.value(cash, held), floor)) return flow.ts + this.windowMs
    }
    // an empty window is at 0, above any (positive) limit: not reached
    return (this.flows[this.flows.length - 1]?.ts ?? now) + this.windowMs
  }

  private add(flow: CashFlow): void {
    // reported late, and already older than the window: it has left it too
    if (flow.ts <= this.cutoff) return
    let at = this.flows.length
    // venues' clocks interleave: mostly in order, so the place is found near the end
    while (at > this.first && this.flows[at - 1]!.ts > flow.ts) at--
    this.flows.splice(at, 0, flow)
    this.cash = BigDecimal.sum(this.cash, flow.cash)
    if (!BigDecimal.isZero(flow.qty)) this.held.set(flow.market, BigDecimal.sum(this.held.get(flow.market) ?? ZERO, flow.qty))
  }

  private expire(now: number): void {
    this.cutoff = Math.max(this.cutoff, now - this.windowMs)
    while (this.first < this.flows.length && this.flows[this.first]!.ts <= this.cutoff) {
      const flow = this.flows[this.first]!
      this.cash = BigDecimal.subtract(this.cash, flow.cash)
      if (!BigDecimal.isZero(flow.qty)) this.held.set(flow.market, BigDecimal.subtract(this.held.get(flow.market) ?? ZERO, flow.qty))
      this.first++
    }
    // drop what left, now and then: a run of weeks keeps about a day of flows
    if (this.first > 1024 && this.first * 2 > this.flows.length) {
      this.flows = this.flows.slice(this.first)
      this.first = 0
    }
  }

  private price(market: string, price: Decimal, ts: number): void {
    const known = this.prices.get(market)
    if (known === undefined || ts >= known.ts) this.prices.set(market, { price, ts })
  }

  private value(cash: Decimal, held: ReadonlyMap<string, Decimal>): Decimal {
    let total = cash
    for (const [market, qty] of held) {
      if (BigDecimal.isZero(qty)) continue
      total = BigDecimal.sum(total, BigDecimal.multiply(qty, this.prices.get(market)?.price ?? ZERO))
    }
    return total
  }
}
