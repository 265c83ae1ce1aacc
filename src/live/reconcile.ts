/**
 * Start-up reconciliation, before the strategy's first order. A previous process may have died
 * with an order resting or a fill unhedged: its own orders (client id with our prefix) are
 * cancelled, whatever they filled shows in the positions read afterwards, and the cross-venue
 * imbalance is hedged on the hedge venue exactly as the strategy would (Exposure's rounding,
 * tracked orders). Other orders on the account are left alone and reported. An imbalance beyond
 * `maxAutoHedge` is not ours to fix: trading must not start. A spot sell the account cannot fund
 * in full sells what it holds; what the journal's fills left but fees taken in the base asset
 * consumed is no exposure, and trading starts (src/core/strategy/spot-sell-shortfall.ts).
 */
import { BigDecimal, Clock, Data, Effect, Either, Schedule } from "effect"
import { type Decimal, formatDecimal, sum, ZERO } from "../core/domain/decimal"
import type { Order } from "../core/domain/order"
import { type ExchangeError, InsufficientBalance } from "../core/errors"
import { type Exchange, HedgeVenue, MakerVenue } from "../core/exchange"
import { Exposure } from "../core/strategy/exposure"
import { afterSale, placeWithinHolding, type Sellable, withinSellable } from "../core/strategy/spot-sell-shortfall"
import { cancelTracked } from "../core/strategy/tracked-orders"
import { hedgeSizingPrice } from "../core/strategy/tradable-quantity"

/** Trading must not start; `reason` says what was found and which limit it breaks. */
export class ReconciliationRefused extends Data.TaggedError("ReconciliationRefused")<{ readonly reason: string }> {
  override get message() {
    return `start-up reconciliation refused to start trading: ${this.reason}`
  }
}

export interface ReconcileParams {
  /** the prefix of the client ids of the start-up hedges */
  readonly clientIdPrefix: string
  /**
   * client ids starting with one of these are ours (every run's prefix the journal holds); by
   * default `clientIdPrefix` alone. Another bot's ids may share any shorter root.
   */
  readonly ownPrefixes?: ReadonlyArray<string>
  /** the largest imbalance (base quantity) hedged automatically; beyond it trading must not start */
  readonly maxAutoHedge: Decimal
  /**
   * Spot hedge venue: its `position` (the base balance) when the bot was last flat, as journaled;
   * the imbalance counts the change since. Required when the hedge instrument is spot.
   */
  readonly hedgeBaseline?: Decimal
  /**
   * Also ours, whatever the client id says. Backpack's client ids are 32-bit hashes: an order from
   * a previous process comes back with a number, which only a journal of our ids can recognise.
   */
  readonly isOwn?: (order: Order) => boolean
  /** retries of the cancels and the hedge (default: the strategy's, 200 ms doubling, 5 times) */
  readonly retry?: Schedule.Schedule<unknown, unknown>
}

export interface ReconcileSummary {
  /** every open order found, both venues */
  readonly found: ReadonlyArray<Order>
  /** our stale orders, in their final state after the cancel (fills that raced it included) */
  readonly cancelled: ReadonlyArray<Order>
  /** orders that are not ours, left resting */
  readonly foreign: ReadonlyArray<Order>
  /** signed base positions after the cancels (spot hedge: the change since the baseline) */
  readonly makerPosition: Decimal
  readonly hedgePosition: Decimal
  /** makerPosition + hedgePosition: positive = net long */
  readonly imbalance: Decimal
  /** the market orders sent to hedge it */
  readonly hedges: ReadonlyArray<Order>
  /** what is left, below the hedge venue's smallest order */
  readonly residual: Decimal
}

/** An imbalance a start must not hedge by itself (`--check` asks the same). */
export const beyondAutoHedge = (imbalance: Decimal, maxAutoHedge: Decimal): boolean => BigDecimal.greaterThan(BigDecimal.abs(imbalance), maxAutoHedge)

const defaultRetry = Schedule.exponential(200).pipe(Schedule.intersect(Schedule.recurs(5)))

const describeOrder = (order: Order) =>
  `${order.venue} ${order.side} order ${order.id} (client id ${order.clientId || "none"}, ${formatDecimal(order.filledQty)} of ${formatDecimal(order.qty)} filled)`

export const reconcile = (
  params: ReconcileParams
): Effect.Effect<ReconcileSummary, ReconciliationRefused | ExchangeError, MakerVenue | HedgeVenue> =>
  Effect.gen(function*() {
    const maker = yield* MakerVenue
    const hedge = yield* HedgeVenue
    const retry = params.retry ?? defaultRetry
    const ownPrefixes = params.ownPrefixes ?? [params.clientIdPrefix]
    const isOwn = (order: Order) => ownPrefixes.some((prefix) => order.clientId.startsWith(prefix)) || params.isOwn?.(order) === true

    const found: Array<Order> = []
    const cancelled: Array<Order> = []
    const foreign: Array<Order> = []
    const sweep = (venue: Exchange) =>
      Effect.gen(function*() {
        for (const order of yield* venue.openOrders) {
          found.push(order)
          if (!isOwn(order)) {
            foreign.push(order)
            yield* Effect.logWarning(`reconcile: ${describeOrder(order)} is not ours: left alone`)
            continue
          }
          const final = yield* cancelTracked(venue, order.id, retry)
          cancelled.push(final)
          yield* Effect.log(`reconcile: cancelled stale ${describeOrder(final)}`)
        }
      })
    yield* sweep(maker)
    yield* sweep(hedge)

    // read after the cancels, so whatever the stale orders filled is in
    const hedgeInstrument = yield* hedge.instrument
    const makerPosition = (yield* maker.position).qty
    const hedgeHeld = (yield* hedge.position).qty
    if (hedgeInstrument.kind === "spot" && params.hedgeBaseline === undefined) {
      return yield* new ReconciliationRefused({
        reason: `${hedge.venue} is spot: its position is the whole ${hedgeInstrument.base} balance (${formatDecimal(hedgeHeld)}), and without the journaled baseline the imbalance cannot be told`
      })
    }
    const hedgePosition = BigDecimal.normalize(BigDecimal.subtract(hedgeHeld, params.hedgeBaseline ?? ZERO))
    const imbalance = BigDecimal.normalize(BigDecimal.sum(makerPosition, hedgePosition))
    const positions = `${maker.venue} ${formatDecimal(makerPosition)}, ${hedge.venue} ${formatDecimal(hedgePosition)}`
    if (beyondAutoHedge(imbalance, params.maxAutoHedge)) {
      return yield* new ReconciliationRefused({
        reason: `the cross-venue imbalance is ${formatDecimal(imbalance)} ${hedgeInstrument.base} (${positions}), beyond risk.max_auto_hedge ${
          formatDecimal(params.maxAutoHedge)
        }: flatten it by hand, or raise the limit, before starting`
      })
    }

    // hedged as the strategy hedges a fill: floored to the step, nothing below the venue's minimum
    const exposure = new Exposure()
    if (!BigDecimal.isZero(imbalance)) exposure.absorbHedge(BigDecimal.isPositive(imbalance) ? "buy" : "sell", BigDecimal.abs(imbalance))
    const hedges: Array<Order> = []
    // the start time keeps these client ids apart from any earlier start's
    const stamp = yield* Clock.currentTimeMillis
    /** spot: what the account still holds to sell, once a sell was refused for want of it */
    let sellable: Sellable | undefined
    let shortOfBase = false
    /** every attempt its own client id: a sell cut to what is held is another order than the one refused */
    let attempts = 0
    while (true) {
      const ticker = yield* hedge.ticker
      const reference = hedgeSizingPrice(ticker)
      const planned = exposure.hedgeOrder(hedgeInstrument, reference)
      if (planned === undefined) break
      const order = withinSellable(planned, sellable, hedgeInstrument, reference)
      if (order instanceof InsufficientBalance) {
        // what the journal's fills left and the account does not hold (fees took it) is no exposure: trading starts
        yield* Effect.logWarning(`reconcile: ${formatDecimal(exposure.unhedged)} left unhedged: ${order.message}`)
        shortOfBase = true
        break
      }
      const clientId = `${params.clientIdPrefix}r${stamp}-${++attempts}`
      const attempt = yield* placeWithinHolding(hedge, hedgeInstrument, { side: order.side, qty: order.qty, clientId }, retry, sellable).pipe(
        // the run fails with the venue's answer: this line says what it was answering
        Effect.tapError((error) =>
          Effect.logError(`reconcile: the start-up hedge of the ${formatDecimal(imbalance)} imbalance (${positions}), ${hedge.venue} market ${order.side} ${formatDecimal(order.qty)}, failed: ${error.message}`)
        )
      )
      if (Either.isLeft(attempt)) {
        sellable = attempt.left
        continue
      }
      const placed = attempt.right
      sellable = afterSale(sellable, placed.filledQty)
      hedges.push(placed)
      exposure.absorbHedge(order.side, placed.filledQty)
      yield* Effect.log(`reconcile: hedged the ${formatDecimal(imbalance)} imbalance (${positions}): ${hedge.venue} market ${order.side} ${formatDecimal(placed.filledQty)} of ${formatDecimal(order.qty)}`)
      if (BigDecimal.isZero(placed.filledQty)) {
        return yield* new ReconciliationRefused({
          reason: `the start-up hedge ${order.side} ${formatDecimal(order.qty)} on ${hedge.venue} executed nothing (${placed.status}${placed.rejectReason ? `: ${placed.rejectReason}` : ""})`
        })
      }
    }
    const residual = BigDecimal.normalize(exposure.unhedged)
    if (!BigDecimal.isZero(residual) && !shortOfBase) yield* Effect.logWarning(`reconcile: ${formatDecimal(residual)} left unhedged (below the ${hedge.venue} minimum order size)`)
    return { found, cancelled, foreign, makerPosition, hedgePosition, imbalance, hedges, residual }
  })

/** One line for the start-up log. */
/** What the reconciliation sent the venues, in a few words ("cancelled 1 stale order and hedged buy 10 on aster-futures"); undefined: nothing. */
export const sentByReconcile = (summary: ReconcileSummary): string | undefined => {
  const parts = [
    ...(summary.cancelled.length === 0 ? [] : [`cancelled ${summary.cancelled.length} stale order(s)`]),
    ...summary.hedges.map((o) =>
      BigDecimal.isPositive(o.filledQty)
        ? `hedged ${o.side} ${formatDecimal(o.filledQty)} on ${o.venue}`
        : `sent a hedge (${o.side} ${formatDecimal(o.qty)} on ${o.venue}) that filled nothing`
    )
  ]
  return parts.length === 0 ? undefined : parts.join(" and ")
}

export const describeReconcile = (summary: ReconcileSummary): string => {
  const filled = formatDecimal(sum(summary.cancelled.map((o) => o.filledQty)))
  const hedged = summary.hedges.map((o) => `${o.side} ${formatDecimal(o.filledQty)}`).join(", ") || "nothing"
  return `reconciled: ${summary.found.length} open orders (${summary.cancelled.length} ours cancelled with ${filled} filled, ${summary.foreign.length} foreign left alone); ` +
    `positions ${formatDecimal(summary.makerPosition)} + ${formatDecimal(summary.hedgePosition)} = imbalance ${formatDecimal(summary.imbalance)}; hedged ${hedged}; residual ${
      formatDecimal(summary.residual)
    }`
}
