/**
 * The kill switch. A `RiskGuard` is fed what happens (the strategy's exposure and hedge outcomes
 * through `riskObserver`, the account's fills, positions and marks from the runner) and says
 * when a limit is reached; `watchdog` turns that into a failure the runner races against the
 * strategy, whose own wind-down then cancels the working order and hedges the residual. A
 * backtest, where only the strategy may wait, judges it at the strategy's waits instead
 * (src/sim/kill-switch.ts). A limit trips when its value *reaches* it, and a tripped guard stays tripped.
 *
 * Config, section `risk:` (every key optional; defaults for a trader running trade.quantity 10):
 *
 * | key                              | default                        | trips when                                                   |
 * |----------------------------------|--------------------------------|--------------------------------------------------------------|
 * | `max_unhedged_qty_seconds`       | 60 × trade.quantity (600)      | ∫ abs(unhedged) dt over one unhedged stretch reaches it (base × s) |
 * | `max_consecutive_hedge_failures` | 3                              | that many hedge attempts in a row failed                     |
 * | `max_position`                   | 5 × trade.quantity (50)        | abs(position) on either venue reaches it (base)              |
 * | `max_loss`                       | 50                             | the run's PnL (fees included, marked to market) ≤ −max_loss (quote) |
 * | `max_loss_per_day`               | none (off)                     | the last 24 h's PnL, this run's and the journal's earlier runs' of its kind ≤ −it (quote; src/core/risk/trailing-pnl.ts) |
 * | `max_auto_hedge`                 | 2 × trade.quantity (20)        | start-up: a larger cross-venue imbalance refuses to start (src/live/reconcile.ts) |
 *
 * Why:
 * - unhedged: a hedge normally lands within a second, a full leg costing about `quantity` base × s;
 *   60× that is a whole leg left exposed for a minute (or half a leg for two), long after the
 *   hedge's own retries (5 by default, about 6 s) gave up. The integral restarts whenever the
 *   strategy is flat again, so routine sub-second exposure never adds up over a long run.
 * - hedge failures: each hedge is already retried with backoff; three failed attempts in a row
 *   (about 0.6 s at the default 200 ms backoff) mean the hedge venue is refusing or unreachable,
 *   and the maker side must stop filling before the exposure grows.
 * - position: the strategy holds at most one leg (quantity) per venue; five legs means fills are
 *   piling up somewhere it does not see (it must be above trade.quantity: the config refuses less).
 *   A start that finds a position at or beyond it and unwinds it (a hedged pair left by a stop)
 *   is let through: that position may shrink, not grow, until it is under the limit again.
 * - loss: at quantity 10 on a ~1–2 USD asset a cycle trades ~40–80 notional and pays a few cents
 *   in fees, so 50 is days of fees but only a few percent adverse move on an unhedged leg; fees
 *   count, so a run of many days reaches it by design: restart or raise it deliberately.
 * - loss per day: `max_loss` starts over at each start, so a run restarted after each failure could
 *   lose it again and again; this one reads the journal's earlier runs and bounds any 24 hours. It
 *   has no default: what a day of fees at the trader's volume costs is theirs to say.
 * - auto-hedge: a crash leaves at most about one leg unhedged; anything beyond two legs did not come
 *   from this bot's own interruption and needs a human.
 */
import { BigDecimal, Clock, Data, Effect, Option, Queue } from "effect"
import { type FeeValuation, feeValuation, type TradedMarket } from "../accounting/fee-value"
import { type Decimal, formatDecimal, ZERO } from "../domain/decimal"
import type { Position } from "../domain/account"
import { type Fill, signedQty } from "../domain/order"
import type { Venue } from "../domain/venue"
import { utcTime } from "../domain/utc"
import { silentObserver, type StrategyObserverService } from "../strategy/observer"
import { DAY_MS, TrailingPnl } from "./trailing-pnl"

export interface RiskLimits {
  /** base quantity × seconds, over one unhedged stretch */
  readonly maxUnhedgedQtySeconds: Decimal
  readonly maxConsecutiveHedgeFailures: number
  /** absolute base quantity per venue */
  readonly maxPosition: Decimal
  /** quote, positive: trips when PnL ≤ −maxLoss */
  readonly maxLoss: Decimal
  /** quote, positive: trips when the last 24 h's PnL, earlier runs included, ≤ −it */
  readonly maxLossPerDay: Option.Option<Decimal>
}

export type RiskLimitKey = "max_unhedged_qty_seconds" | "max_consecutive_hedge_failures" | "max_position" | "max_loss" | "max_loss_per_day"

/** A limit was reached: trading must stop. `value` and `limit` are as the message shows them. */
export class KillSwitchTripped extends Data.TaggedError("KillSwitchTripped")<{
  readonly key: RiskLimitKey
  /** what was measured, e.g. "backpack position" */
  readonly subject: string
  readonly value: string
  readonly limit: string
  /** ms since epoch, when it was seen */
  readonly ts: number
  /** a limit over a trailing window: when it is no longer reached if nothing more is lost (ms since epoch) */
  readonly clearsAt?: number
}> {
  override get message() {
    const reached = `kill switch (risk.${this.key}): ${this.subject} is ${this.value}, the limit is ${this.limit}`
    return this.clearsAt === undefined
      ? reached
      : `${reached}; trading may start again from ${utcTime(this.clearsAt)}, when enough of that loss is over 24 hours old`
  }
}

/** A limit was already reached before the first cycle (the last day's loss, a position too large): trading never starts. */
export class LimitReachedBeforeTrading extends Data.TaggedError("LimitReachedBeforeTrading")<{
  readonly trip: KillSwitchTripped
  /** what the trader can do about it, when something can be done */
  readonly hint?: string
  /** what the start sent before the limits were judged (cancels, its hedge of what an earlier run left), if anything */
  readonly sentAtStart?: string
}> {
  override get message() {
    const sent = this.sentAtStart === undefined
      ? "reached before the first order: nothing was sent"
      : `reached before the first cycle, after the start ${this.sentAtStart}; nothing more was sent`
    return `${this.trip.message} (${sent})${this.hint !== undefined ? `; ${this.hint}` : ""}`
  }
}

/** What the guard knows now, for logs. */
export interface RiskStatus {
  readonly unhedged: Decimal
  readonly unhedgedQtySeconds: Decimal
  readonly consecutiveHedgeFailures: number
  readonly positions: ReadonlyArray<{ readonly venue: Venue; readonly qty: Decimal }>
  /** what this run traded and paid per venue, from its fills and funding (quote) */
  readonly venues: ReadonlyArray<{ readonly venue: Venue; readonly makerVolume: Decimal; readonly takerVolume: Decimal; readonly fees: Decimal; readonly funding: Decimal }>
  readonly pnl: Decimal
  /** the last 24 h's PnL, earlier runs included, when risk.max_loss_per_day is set */
  readonly pnlLastDay: Option.Option<Decimal>
  readonly tripped: Option.Option<KillSwitchTripped>
}

interface PnlBook {
  /** Σ sell notional − Σ buy notional − fees + funding */
  cash: Decimal
  /** Σ signed fill quantity of this run */
  qty: Decimal
  /** the latest mark or fill price, by their times (a fill read back late does not replace a newer mark) */
  price: Decimal
  /** the time of `price` */
  priceTs: number
  makerVolume: Decimal
  takerVolume: Decimal
  fees: Decimal
  funding: Decimal
}

/** The book's price becomes `price` unless it already holds a newer one. */
const setPrice = (book: PnlBook, price: Decimal, ts: number): void => {
  if (ts < book.priceTs) return
  book.price = price
  book.priceTs = ts
}

const MS_PER_S = BigDecimal.fromBigInt(1000n)

/** ⌈a / b⌉ for a ≥ 0, b > 0, exactly. */
const ceilDiv = (a: Decimal, b: Decimal): bigint => {
  const scale = Math.max(a.scale, b.scale, 0)
  const x = BigDecimal.scale(a, scale).value
  const y = BigDecimal.scale(b, scale).value
  return (x + y - 1n) / y
}

export class RiskGuard {
  private unhedged: Decimal = ZERO
  /** time of the last exposure event; the stretch's integral is known up to it */
  private since: number | undefined
  /** ∫ |unhedged| dt of the current unhedged stretch, base × ms */
  private stretchQtyMs: Decimal = ZERO
  private failures = 0
  private readonly positions = new Map<Venue, Decimal>()
  /**
   * Positions found at or beyond max_position that the run trades back toward zero (a start
   * unwinding a hedged pair): each may shrink but not grow, the smallest size it has had being its
   * ceiling, until it is under the limit and the limit applies as usual.
   */
  private readonly shrinkOnly = new Map<Venue, Decimal>()
  private readonly books = new Map<Venue, PnlBook>()
  private tripped: KillSwitchTripped | undefined
  private pnlSoFar: Decimal | undefined
  /** the last 24 h, earlier runs included: only kept when max_loss_per_day is set */
  private readonly lastDay: TrailingPnl | undefined
  /** the limits as compared (judged after every event: no division, no negation each time) */
  private readonly maxUnhedgedQtyMs: Decimal
  private readonly lossFloor: Decimal
  /** max_loss_per_day and its floor (−limit), when set */
  private readonly dayLoss: { readonly limit: Decimal; readonly floor: Decimal } | undefined

  private readonly valueFee: FeeValuation

  private constructor(readonly limits: RiskLimits, markets: ReadonlyArray<TradedMarket>, private readonly changes: Queue.Queue<void>) {
    this.valueFee = feeValuation(markets)
    this.lastDay = Option.isSome(limits.maxLossPerDay) ? new TrailingPnl(DAY_MS, markets) : undefined
    this.maxUnhedgedQtyMs = BigDecimal.multiply(limits.maxUnhedgedQtySeconds, MS_PER_S)
    this.lossFloor = BigDecimal.negate(limits.maxLoss)
    this.dayLoss = Option.match(limits.maxLossPerDay, { onNone: () => undefined, onSome: (limit) => ({ limit, floor: BigDecimal.negate(limit) }) })
  }

  /** `markets`: what the run trades on each venue (its marks value the last day's holdings; its assets, the fees) */
  static make(limits: RiskLimits, markets: ReadonlyArray<TradedMarket> = []): Effect.Effect<RiskGuard> {
    // one pending wake-up is enough: the watchdog re-reads everything when it wakes
    return Effect.map(Queue.sliding<void>(1), (changes) => new RiskGuard(limits, markets, changes))
  }

  /**
   * Earlier runs' fills and funding payments (from the journal) for `max_loss_per_day`; they do
   * not count toward this run's positions or `max_loss`. Judged at `now`.
   */
  recordEarlierRuns(fills: ReadonlyArray<Fill>, funding: ReadonlyArray<{ readonly venue: Venue; readonly amount: Decimal; readonly ts: number }>, now: number): Effect.Effect<void> {
    return this.record(now, () => {
      for (const fill of fills) this.lastDay?.addFill(fill)
      for (const payment of funding) this.lastDay?.addFunding(payment.venue, payment.amount, payment.ts)
    })
  }

  /** Resolves at the next recorded event (the watchdog's wake-up). */
  get changed(): Effect.Effect<void> {
    return Queue.take(this.changes)
  }

  /** The strategy's signed unhedged quantity after a change, at `ts` (ms). */
  recordExposure(unhedged: Decimal, ts: number): Effect.Effect<void> {
    return this.record(ts, () => {
      if (this.since !== undefined && ts > this.since) this.stretchQtyMs = this.integralAt(ts)
      this.since = Math.max(this.since ?? ts, ts)
      // the stretch that just ended is judged before it is forgotten
      this.tripped ??= this.evaluate(ts)
      this.unhedged = unhedged
      if (BigDecimal.isZero(unhedged)) this.stretchQtyMs = ZERO
    })
  }

  /** A hedge that executed something: the failure count starts over. */
  recordHedgeSucceeded(ts: number): Effect.Effect<void> {
    return this.record(ts, () => {
      this.failures = 0
    })
  }

  recordHedgeFailed(ts: number): Effect.Effect<void> {
    return this.record(ts, () => {
      this.failures += 1
    })
  }

  /** One of this run's fills on either venue: position, cash and fee. */
  recordFill(fill: Fill): Effect.Effect<void> {
    return Effect.sync(() => this.unsafeRecordFill(fill))
  }

  /** `recordFill` outside Effect (a replay feeds the guard between the strategy's steps). */
  unsafeRecordFill(fill: Fill): void {
    this.applyVenue(fill.ts, () => {
      const signed = signedQty(fill.side, fill.qty)
      const notional = BigDecimal.multiply(fill.price, fill.qty)
      const book = this.book(fill.venue, fill.price)
      const fee = this.valueFee(fill).inQuote
      book.cash = BigDecimal.subtract(fill.side === "sell" ? BigDecimal.sum(book.cash, notional) : BigDecimal.subtract(book.cash, notional), fee)
      book.qty = BigDecimal.sum(book.qty, signed)
      setPrice(book, fill.price, fill.ts)
      if (fill.liquidity === "maker") book.makerVolume = BigDecimal.sum(book.makerVolume, notional)
      else book.takerVolume = BigDecimal.sum(book.takerVolume, notional)
      book.fees = BigDecimal.sum(book.fees, fee)
      this.setPosition(fill.venue, BigDecimal.sum(this.positions.get(fill.venue) ?? ZERO, signed))
      this.lastDay?.addFill(fill)
    })
  }

  /**
   * A position read from the venue: replaces what the fills added up to (it includes older
   * holdings). `unwinding`: the run is about to trade it back toward zero, so at or beyond
   * max_position it may shrink (not grow) instead of stopping the run.
   */
  recordPosition(position: Position, ts: number, options: { readonly unwinding?: boolean } = {}): Effect.Effect<void> {
    return this.recordVenue(ts, () => {
      const size = BigDecimal.abs(position.qty)
      if (options.unwinding === true && BigDecimal.greaterThanOrEqualTo(size, this.limits.maxPosition)) this.shrinkOnly.set(position.venue, size)
      else this.shrinkOnly.delete(position.venue)
      this.positions.set(position.venue, position.qty)
    })
  }

  /** A position that changed by a fill; one allowed only to shrink lowers its ceiling, or leaves that rule under the limit. */
  private setPosition(venue: Venue, qty: Decimal): void {
    this.positions.set(venue, qty)
    const ceiling = this.shrinkOnly.get(venue)
    if (ceiling === undefined) return
    const size = BigDecimal.abs(qty)
    if (BigDecimal.lessThan(size, this.limits.maxPosition)) this.shrinkOnly.delete(venue)
    else if (BigDecimal.lessThan(size, ceiling)) this.shrinkOnly.set(venue, size)
  }

  /** The venue's mark (or mid) price: open quantity is valued at it. */
  recordMark(venue: Venue, price: Decimal, ts: number): Effect.Effect<void> {
    return Effect.sync(() => this.unsafeRecordMark(venue, price, ts))
  }

  unsafeRecordMark(venue: Venue, price: Decimal, ts: number): void {
    this.unsafeRecordMarks([{ venue, price }], ts)
  }

  /**
   * Several venues' marks of one moment, judged once they are all in: a hedged pair whose venues
   * moved together is no loss, where marking one venue and judging before the other would see one.
   */
  recordMarks(marks: ReadonlyArray<{ readonly venue: Venue; readonly price: Decimal }>, ts: number): Effect.Effect<void> {
    return Effect.sync(() => this.unsafeRecordMarks(marks, ts))
  }

  unsafeRecordMarks(marks: ReadonlyArray<{ readonly venue: Venue; readonly price: Decimal }>, ts: number): void {
    if (marks.length === 0) return
    this.applyVenue(ts, () => {
      for (const { venue, price } of marks) {
        setPrice(this.book(venue, price), price, ts)
        this.lastDay?.mark(venue, price, ts)
      }
    })
  }

  /** Funding paid (negative) or received on a perp. */
  recordFunding(venue: Venue, amount: Decimal, ts: number): Effect.Effect<void> {
    return Effect.sync(() => this.unsafeRecordFunding(venue, amount, ts))
  }

  unsafeRecordFunding(venue: Venue, amount: Decimal, ts: number): void {
    this.applyVenue(ts, () => {
      const book = this.book(venue, ZERO)
      book.cash = BigDecimal.sum(book.cash, amount)
      book.funding = BigDecimal.sum(book.funding, amount)
      this.lastDay?.addFunding(venue, amount, ts)
    })
  }

  /** Whether to stop at `now` (ms), and why. Once tripped it stays tripped. */
  check(now: number): Option.Option<KillSwitchTripped> {
    this.tripped ??= this.evaluate(now)
    return Option.fromNullable(this.tripped)
  }

  /**
   * The limit reached as of the last recorded event, without judging anew (cheap: a replay asks
   * after every wait, and judges with `check` only once `nextTripTime` has come).
   */
  trippedSoFar(): Option.Option<KillSwitchTripped> {
    return Option.fromNullable(this.tripped)
  }

  /** When the exposure limit will be reached if nothing changes (ms), if it is running at all. */
  nextTripTime(): number | undefined {
    if (this.tripped !== undefined || this.since === undefined || BigDecimal.isZero(this.unhedged)) return undefined
    const left = BigDecimal.subtract(this.maxUnhedgedQtyMs, this.stretchQtyMs)
    if (!BigDecimal.isPositive(left)) return this.since
    return this.since + Number(ceilDiv(left, BigDecimal.abs(this.unhedged)))
  }

  status(now: number): RiskStatus {
    return {
      unhedged: this.unhedged,
      unhedgedQtySeconds: BigDecimal.normalize(BigDecimal.unsafeDivide(this.integralAt(now), MS_PER_S)),
      consecutiveHedgeFailures: this.failures,
      positions: [...this.positions].map(([venue, qty]) => ({ venue, qty })),
      venues: [...this.books].map(([venue, b]) => ({ venue, makerVolume: b.makerVolume, takerVolume: b.takerVolume, fees: b.fees, funding: b.funding })),
      pnl: this.pnl(),
      pnlLastDay: Option.fromNullable(this.lastDay?.pnlAt(now)),
      tripped: Option.fromNullable(this.tripped)
    }
  }

  private record(ts: number, change: () => void): Effect.Effect<void> {
    return Effect.sync(() => this.apply(ts, change, ts))
  }

  /** Applies an event, judges it, and wakes the watchdog. */
  private apply(ts: number, change: () => void, exposureUpTo: number): void {
    change()
    this.tripped ??= this.evaluate(ts, exposureUpTo)
    Queue.unsafeOffer(this.changes, undefined)
  }

  /**
   * An event stamped by a venue's clock (fills, positions, marks, funding): its own limits are
   * judged at once, but the exposure integral is not extended to a venue time, which may run
   * ahead of the strategy's clock; the watchdog extends it on the Clock.
   */
  private recordVenue(ts: number, change: () => void): Effect.Effect<void> {
    return Effect.sync(() => this.applyVenue(ts, change))
  }

  private applyVenue(ts: number, change: () => void): void {
    this.pnlSoFar = undefined
    this.apply(ts, change, Math.min(ts, this.since ?? ts))
  }

  private book(venue: Venue, price: Decimal): PnlBook {
    let book = this.books.get(venue)
    if (book === undefined) {
      book = { cash: ZERO, qty: ZERO, price, priceTs: Number.NEGATIVE_INFINITY, makerVolume: ZERO, takerVolume: ZERO, fees: ZERO, funding: ZERO }
      this.books.set(venue, book)
    }
    return book
  }

  /** The stretch's integral extended to `now` at the current exposure (never backwards). */
  private integralAt(now: number): Decimal {
    if (this.since === undefined || now <= this.since) return this.stretchQtyMs
    const dt = BigDecimal.fromBigInt(BigInt(Math.round(now - this.since)))
    return BigDecimal.sum(this.stretchQtyMs, BigDecimal.multiply(BigDecimal.abs(this.unhedged), dt))
  }

  /** the run's PnL as of the last venue event (only those change it; the guard judges after every event) */
  private pnl(): Decimal {
    if (this.pnlSoFar === undefined) {
      let total = ZERO
      for (const book of this.books.values()) total = BigDecimal.sum(total, BigDecimal.sum(book.cash, BigDecimal.multiply(book.qty, book.price)))
      this.pnlSoFar = BigDecimal.normalize(total)
    }
    return this.pnlSoFar
  }

  /** `exposureUpTo`: how far the exposure integral is known (the strategy's clock), default `now` */
  private evaluate(now: number, exposureUpTo: number = now): KillSwitchTripped | undefined {
    const { limits } = this
    if (this.failures >= limits.maxConsecutiveHedgeFailures)
      return trip("max_consecutive_hedge_failures", "consecutive failed hedge attempts", String(this.failures), String(limits.maxConsecutiveHedgeFailures), now)
    for (const [venue, qty] of this.positions) {
      const size = BigDecimal.abs(qty)
      const ceiling = this.shrinkOnly.get(venue)
      if (ceiling !== undefined) {
        if (BigDecimal.greaterThan(size, ceiling)) {
          return trip("max_position", `${venue} position (beyond the limit, being unwound: it may shrink, not grow)`, formatDecimal(qty), `±${formatDecimal(ceiling)}`, now)
        }
      } else if (BigDecimal.greaterThanOrEqualTo(size, limits.maxPosition)) {
        return trip("max_position", `${venue} position`, formatDecimal(qty), `±${formatDecimal(limits.maxPosition)}`, now)
      }
    }
    const pnl = this.pnl()
    if (BigDecimal.lessThanOrEqualTo(pnl, this.lossFloor)) return trip("max_loss", "PnL", formatDecimal(pnl), formatDecimal(this.lossFloor), now)
    if (this.lastDay !== undefined && this.dayLoss !== undefined) {
      const lastDay = this.lastDay.pnlAt(now)
      if (BigDecimal.lessThanOrEqualTo(lastDay, this.dayLoss.floor)) {
        return new KillSwitchTripped({
          key: "max_loss_per_day",
          subject: "the PnL of the last 24 hours (this run and the journal's earlier ones)",
          value: formatDecimal(lastDay),
          limit: formatDecimal(this.dayLoss.floor),
          ts: now,
          clearsAt: this.lastDay.clearsAt(now, this.dayLoss.limit)
        })
      }
    }
    const qtyMs = this.integralAt(exposureUpTo)
    if (BigDecimal.greaterThanOrEqualTo(qtyMs, this.maxUnhedgedQtyMs)) {
      const qtySeconds = BigDecimal.unsafeDivide(qtyMs, MS_PER_S)
      return trip("max_unhedged_qty_seconds", "unhedged base quantity × seconds", formatDecimal(qtySeconds), formatDecimal(limits.maxUnhedgedQtySeconds), now)
    }
    return undefined
  }
}

const trip = (key: RiskLimitKey, subject: string, value: string, limit: string, ts: number) => new KillSwitchTripped({ key, subject, value, limit, ts })

/**
 * Tells the guard the strategy's exposure and hedge outcomes, and `inner` everything. After an
 * event that trips the guard the strategy yields, so a watchdog waiting on the guard acts before
 * the strategy's next step (in a simulation nothing else would ever get a turn).
 */
export const riskObserver = (guard: RiskGuard, inner: StrategyObserverService = silentObserver): StrategyObserverService => {
  const feed = (record: Effect.Effect<void>) =>
    Effect.zipRight(record, Effect.suspend(() => (Option.isSome(guard.trippedSoFar()) ? Effect.yieldNow() : Effect.void)))
  return {
    ...inner,
    exposureChanged: (unhedged, ts) => Effect.zipRight(inner.exposureChanged(unhedged, ts), feed(guard.recordExposure(unhedged, ts))),
    hedgeSent: (event) =>
      Effect.zipRight(inner.hedgeSent(event), BigDecimal.isPositive(event.executedQty) ? feed(guard.recordHedgeSucceeded(event.ts)) : Effect.void),
    hedgeFailed: (event) => Effect.zipRight(inner.hedgeFailed?.(event) ?? Effect.void, feed(guard.recordHedgeFailed(event.ts)))
  }
}

/**
 * Fails with the reason as soon as a limit is reached, after `onTrip` (log it, journal it). It
 * wakes at every recorded event and, while exposure is open, at the moment the exposure limit
 * would be reached; time is read from the Clock, so it must be the clock the events carry.
 * Race it against the strategy (`Effect.raceFirst`): the strategy is then interrupted and winds down.
 */
export const watchdog = <R = never>(
  guard: RiskGuard,
  onTrip: (reason: KillSwitchTripped) => Effect.Effect<void, never, R>
): Effect.Effect<never, KillSwitchTripped, R> =>
  Effect.gen(function*() {
    while (true) {
      const now = yield* Clock.currentTimeMillis
      const tripped = guard.check(now)
      if (Option.isSome(tripped)) {
        yield* onTrip(tripped.value)
        return yield* Effect.fail(tripped.value)
      }
      const at = guard.nextTripTime()
      // at least 1 ms: the deadline is rounded up, so waking at it always finds the limit reached
      yield* at === undefined ? guard.changed : Effect.raceFirst(guard.changed, Effect.sleep(Math.max(1, at - now)))
    }
  })
