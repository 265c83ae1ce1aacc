/**
 * The kill switch in a backtest, with the live run's limits (`risk:`) and its `RiskGuard`.
 *
 * Live, a watchdog fiber races the strategy and sleeps until the exposure limit would be reached.
 * In a replay a sleep advances the market, so only the strategy may wait. Its own waits (the
 * maker venue's `nextUpdate`, the clock's `sleep`, which retries' backoffs use too) therefore end
 * no later than that moment: this module is their `WaitGate` (src/sim/sim-exchange.ts). Before
 * and after each wait the guard hears what the replay did: both venues' fills and funding
 * payments, and each venue's mid as a mark (at most every 5 s, as the live runner records them,
 * with a judgement of every limit as of then: the day's PnL moves with time alone; a wait is not
 * cut short for a mark, so a loss that builds up during a long sleep is judged when
 * it ends: cutting every wait into 5 s steps made the replay a quarter slower). A limit reached
 * interrupts the strategy, whose wind-down cancels the working order and hedges the residual, as
 * live; the report's outcome is "kill-switch" and its message says which limit.
 */
import { BigDecimal, Effect, Option } from "effect"
import type { Decimal } from "../core/domain/decimal"
import { mid } from "../core/domain/market"
import type { Venue } from "../core/domain/venue"
import { type KillSwitchTripped, type RiskGuard, riskObserver } from "../core/risk/risk-guard"
import type { StrategyObserverService } from "../core/strategy/observer"
import type { SimKernel } from "./kernel"
import type { WaitGate } from "./sim-exchange"

/** the live runner's default mark interval */
const MARK_EVERY_MS = 5000

export interface SimKillSwitch {
  readonly guard: RiskGuard
  /** for the simulated venues' and clock's waits: they end when a limit would be reached, and are judged */
  readonly gate: WaitGate
  /** the strategy's observer, also telling the guard its exposure and hedge outcomes */
  readonly observer: (inner: StrategyObserverService) => StrategyObserverService
  /** the limit that stopped the run, if one did */
  readonly tripped: () => Option.Option<KillSwitchTripped>
}

export const makeSimKillSwitch = (kernel: SimKernel, guard: RiskGuard): SimKillSwitch => {
  const nowMs = () => Math.floor(kernel.now / 1000)
  let fillsSeen = 0
  let fundingSeen = 0
  let nextMarkAt = Number.NEGATIVE_INFINITY
  let stopped: KillSwitchTripped | undefined
  /** a limit that time alone moves, beside the exposure's own deadline: the day's PnL */
  const judgedByTime = Option.isSome(guard.limits.maxLossPerDay)

  /**
   * Tells the guard what the replay did since it last asked (it judges each event as it records
   * it). True when it was time for marks.
   */
  const catchUp = (now: number): boolean => {
    const { fills, funding } = kernel.ledger
    while (fillsSeen < fills.length) guard.unsafeRecordFill(fills[fillsSeen++]!)
    while (fundingSeen < funding.length) {
      const payment = funding[fundingSeen++]!
      guard.unsafeRecordFunding(payment.venue, payment.amount, payment.ts)
    }
    if (now < nextMarkAt) return false
    nextMarkAt = now + MARK_EVERY_MS
    const marks: Array<{ readonly venue: Venue; readonly price: Decimal }> = []
    for (const slot of kernel.slots) {
      const { bid, ask } = slot.engine
      // a mark values open quantity only: a flat venue's would change nothing of the run's PnL; but
      // the last 24 hours' may hold quantity on a flat venue (a round trip half out of the window),
      // valued at today's mark as the live runner's marks of both venues do
      if (bid > 0 && ask > 0 && (judgedByTime || !BigDecimal.isZero(kernel.ledger.book(slot.venue).position))) {
        marks.push({ venue: slot.venue, price: mid(slot.price(bid), slot.price(ask)) })
      }
    }
    // judged once both are in, as live: a pair whose venues moved together is no loss
    guard.unsafeRecordMarks(marks, now)
    return true
  }

  const gate: WaitGate = {
    bound: (deadline) => {
      const due = stopped === undefined ? guard.nextTripTime() : undefined
      // at least 1 ms on: the deadline is rounded up, so a wait until it always finds the limit reached
      return due === undefined ? deadline : Math.min(deadline, Math.max(kernel.now + 1000, due * 1000))
    },
    /**
     * Hears what happened, then whether a limit is reached: if so, what stops the strategy. Once
     * only, and never inside its wind-down (not interruptible: the data ended, or it failed),
     * which must finish as it would live, where the watchdog's race waits for it.
     */
    judge: () => {
      if (stopped !== undefined) return undefined
      const now = nowMs()
      const { fills, funding } = kernel.ledger
      const marked = (fillsSeen < fills.length || fundingSeen < funding.length || now >= nextMarkAt) && catchUp(now)
      // the exposure integral grows with time alone: judged anew once its deadline has come; so
      // does the last 24 hours' PnL (a gain leaves the window while flat): judged at each round of
      // marks, as the live watchdog wakes at each mark
      const due = guard.nextTripTime()
      const trip = (due !== undefined && due <= now) || (marked && judgedByTime) ? guard.check(now) : guard.trippedSoFar()
      if (Option.isNone(trip)) return undefined
      return Effect.checkInterruptible((interruptible) => {
        if (!interruptible || stopped !== undefined) return Effect.void
        stopped = trip.value
        return Effect.zipRight(Effect.logError(`${trip.value.message}: cancelling the working order and hedging the residual`), Effect.interrupt)
      })
    }
  }

  return {
    guard,
    gate,
    observer: (inner) => riskObserver(guard, inner),
    tripped: () => Option.fromNullable(stopped)
  }
}
