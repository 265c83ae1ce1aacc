/**
 * The kill switch in a backtest, with the live run's limits (`risk:`) and its `RiskGuard`.
 *
 * Live, a watchdog fiber races the strategy and sleeps until the exposure limit would be reached.
 * In a replay a sleep advances the market, so only the strategy may wait. Its own waits (the
 * maker venue's `nextUpdate`, the clock's `sleep`, which retries' backoffs use too) therefore end
 * no later than that moment. Before and after each wait the guard hears what the replay did:
 * both venues' fills and funding payments, and each venue's mid as a mark (at most every 5 s, as
 * the live runner records them; a wait is not cut short for a mark, so a loss that builds up
 * during a long sleep is judged when it ends). A limit reached interrupts the strategy, whose
 * wind-down cancels the working order and hedges the residual, as live; the report's outcome is
 * "kill-switch" and its message says which limit.
 */
import { BigDecimal, type Clock, Duration, Effect, Option } from "effect"
import { mid } from "../core/domain/market"
import type { Exchange } from "../core/exchange"
import { type KillSwitchTripped, type RiskGuard, riskObserver } from "../core/risk/risk-guard"
import type { StrategyObserverService } from "../core/strategy/observer"
import type { SimKernel } from "./kernel"

/** the live runner's default mark interval */
const MARK_EVERY_MS = 5000

export interface SimKillSwitch {
  readonly guard: RiskGuard
  /** a venue whose waits end at the latest when a limit would be reached, and are judged after */
  readonly venue: (exchange: Exchange) => Exchange
  /** the same for the strategy's clock */
  readonly clock: (clock: Clock.Clock) => Clock.Clock
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

  /** Tells the guard what the replay did since the last wait (it judges each event as it records it). */
  const catchUp = (now: number): void => {
    const { fills, funding } = kernel.ledger
    while (fillsSeen < fills.length) guard.unsafeRecordFill(fills[fillsSeen++]!)
    while (fundingSeen < funding.length) {
      const payment = funding[fundingSeen++]!
      guard.unsafeRecordFunding(payment.venue, payment.amount, payment.ts)
    }
    if (now >= nextMarkAt) {
      nextMarkAt = now + MARK_EVERY_MS
      for (const slot of kernel.slots) {
        const { bid, ask } = slot.engine
        // a mark values open quantity only: a flat venue's would change nothing
        if (bid > 0 && ask > 0 && !BigDecimal.isZero(kernel.ledger.book(slot.venue).position)) {
          guard.unsafeRecordMark(slot.venue, mid(slot.price(bid), slot.price(ask)), now)
        }
      }
    }
  }

  /**
   * Whether a limit is reached at `now`: if so, what stops the strategy. Once only, and never
   * inside its wind-down (not interruptible: the data ended, or it failed), which must finish as
   * it would live, where the watchdog's race waits for it.
   */
  const verdict = (now: number): Effect.Effect<void> | undefined => {
    // the exposure integral grows with time alone: judged anew once its deadline has come
    const due = guard.nextTripTime()
    const trip = due !== undefined && due <= now ? guard.check(now) : guard.trippedSoFar()
    if (Option.isNone(trip)) return undefined
    return Effect.checkInterruptible((interruptible) => {
      if (!interruptible) return Effect.void
      stopped = trip.value
      return Effect.zipRight(Effect.logError(`${trip.value.message}: cancelling the working order and hedging the residual`), Effect.interrupt)
    })
  }

  /** After a wait: the guard hears what the replay did and judges, then `next` runs. */
  const judged = <A, E>(next: Effect.Effect<A, E>): Effect.Effect<A, E> => {
    if (stopped !== undefined) return next
    const now = nowMs()
    const { fills, funding } = kernel.ledger
    if (fillsSeen < fills.length || fundingSeen < funding.length || now >= nextMarkAt) catchUp(now)
    const stop = verdict(now)
    return stop === undefined ? next : Effect.zipRight(stop, next)
  }

  /**
   * Waits `ms` in steps that end when a limit would be reached, judging before (what the
   * strategy's requests did: a hedge's fills) and after each step; `done` ends it early.
   */
  const bounded = <A, E>(ms: number, wait: (ms: number) => Effect.Effect<A, E>, done: (a: A) => boolean): Effect.Effect<A, E> =>
    Effect.suspend(() => judged(stepwise(ms, wait, done)))

  const stepwise = <A, E>(ms: number, wait: (ms: number) => Effect.Effect<A, E>, done: (a: A) => boolean): Effect.Effect<A, E> =>
    Effect.suspend(() => {
      const due = stopped === undefined ? guard.nextTripTime() : undefined
      const left = due === undefined ? Number.POSITIVE_INFINITY : due - nowMs()
      // at least 1 ms: the deadline is rounded up, so a wait until it always finds the limit reached
      const step = left < ms ? Math.max(1, left) : ms
      return Effect.flatMap(wait(step), (a) => judged(step >= ms || done(a) ? Effect.succeed(a) : stepwise(ms - step, wait, done)))
    })

  return {
    guard,
    venue: (exchange) => ({
      ...exchange,
      nextUpdate: (within) => bounded(Duration.toMillis(within), (ms) => exchange.nextUpdate(ms), Option.isSome)
    }),
    clock: (clock) => ({
      ...clock,
      sleep: (duration) => bounded(Duration.toMillis(duration), (ms) => clock.sleep(Duration.millis(ms)), () => false)
    }),
    observer: (inner) => riskObserver(guard, inner),
    tripped: () => Option.fromNullable(stopped)
  }
}
