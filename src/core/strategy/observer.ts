/**
 * What the strategy reports about its own progress (cycles, reposts, hedges). The backtest turns it
 * into report statistics, the live runner into journal rows; tests use it to check invariants.
 */
import { Context, Effect, Layer } from "effect"
import type { Decimal } from "../domain/decimal"
import type { Side } from "../domain/order"
import type { Venue } from "../domain/venue"

export interface MakerOrderPlaced {
  readonly cycle: number
  readonly leg: 1 | 2
  readonly orderId: string
  readonly side: Side
  readonly price: Decimal
  readonly qty: Decimal
  readonly repost: boolean
  readonly ts: number
}

export interface LegCompleted {
  readonly cycle: number
  readonly leg: 1 | 2
  readonly side: Side
  readonly startedAt: number
  readonly filledAt: number
  readonly orders: number
}

export interface HedgeSent {
  readonly cycle: number
  readonly leg: 1 | 2
  readonly side: Side
  readonly qty: Decimal
  readonly executedQty: Decimal
  /** Σ price × qty of what executed */
  readonly executedQuote: Decimal
  /** the best opposite price the strategy saw when it sent the hedge (ask for a buy, bid for a sell) */
  readonly referencePrice: Decimal
  readonly clientId: string
  readonly ts: number
}

/** One hedge attempt that failed: refused, lost, rate limited, or executed nothing. The strategy retries. */
export interface HedgeAttemptFailed {
  readonly cycle: number
  readonly leg: 1 | 2
  readonly side: Side
  readonly qty: Decimal
  readonly clientId: string
  readonly reason: string
  readonly ts: number
}

/** A venue's filters changed during the run; the strategy trades on the new ones. */
export interface FiltersChanged {
  readonly cycle: number
  readonly venue: Venue
  readonly symbol: string
  /** e.g. "tick 0.0001 → 0.001" */
  readonly changes: ReadonlyArray<string>
  /** what made the strategy read them: a refused order, or the check every minute */
  readonly why: string
  readonly ts: number
}

/**
 * A maker leg held its order back for a minute, its venues unable to take the order or its hedge
 * (`held`), or posts again after such a wait (`resumed`).
 */
export interface PostingHeld {
  readonly phase: "held" | "resumed"
  readonly cycle: number
  readonly leg: 1 | 2
  /** why it holds the order back (held), or why it last did (resumed) */
  readonly reason: string
  /** how long it has been holding it back */
  readonly heldForMs: number
  readonly ts: number
}

/**
 * A hedge waits for its market to take market orders again, the venue having refused it while
 * closed (`held`, at once: the fill it hedges is unhedged meanwhile), or is sent once it does
 * (`resumed`).
 */
export interface HedgeHeld {
  readonly phase: "held" | "resumed"
  readonly cycle: number
  readonly leg: 1 | 2
  readonly side: Side
  readonly qty: Decimal
  /** what is unhedged across the venues while it waits (signed), in `asset` */
  readonly unhedged: Decimal
  /** the base asset, e.g. ASTER */
  readonly asset: string
  /** why the market takes no market orders (held), or why it did not (resumed) */
  readonly reason: string
  /** how long it has waited */
  readonly heldForMs: number
  readonly ts: number
}

/**
 * The wind-down (a stop's, or the last cycle's end) could not do its part: cancel the working
 * maker order (`cancel`: it may still rest) or hedge the residual (`hedge`: it stays exposed).
 * The run did not end cleanly, however it was asked to end.
 */
export interface WindDownFailed {
  readonly step: "cancel" | "hedge"
  readonly reason: string
  /** what is unhedged across the venues after it (signed), in the base asset */
  readonly unhedged: Decimal
  /** a hedge sent whose outcome it could not learn (its look-up failed): not in `unhedged` */
  readonly hedgeInDoubt?: string
  readonly ts: number
}

export interface StrategyObserverService {
  readonly cycleStarted: (cycle: number, ts: number) => Effect.Effect<void>
  readonly fundingPause: (cycle: number, fundingTime: number, ts: number) => Effect.Effect<void>
  readonly makerOrderPlaced: (event: MakerOrderPlaced) => Effect.Effect<void>
  readonly legCompleted: (event: LegCompleted) => Effect.Effect<void>
  readonly hedgeSent: (event: HedgeSent) => Effect.Effect<void>
  /** the signed quantity still unhedged after every change, for exposure invariants */
  readonly exposureChanged: (unhedged: Decimal, ts: number) => Effect.Effect<void>
  /** optional: observers written before it need not listen (the kill switch counts these) */
  readonly hedgeFailed?: (event: HedgeAttemptFailed) => Effect.Effect<void>
  /** optional: the live runner alerts the trader */
  readonly filtersChanged?: (event: FiltersChanged) => Effect.Effect<void>
  /** optional: the live runner alerts the trader */
  readonly postingHeld?: (event: PostingHeld) => Effect.Effect<void>
  /** optional: the live runner alerts the trader */
  readonly hedgeHeld?: (event: HedgeHeld) => Effect.Effect<void>
  /** optional: the live runner ends such a run as failed, not stopped */
  readonly windDownFailed?: (event: WindDownFailed) => Effect.Effect<void>
}

/** An observer that listens to nothing. */
export const silentObserver: StrategyObserverService = {
  cycleStarted: () => Effect.void,
  fundingPause: () => Effect.void,
  makerOrderPlaced: () => Effect.void,
  legCompleted: () => Effect.void,
  hedgeSent: () => Effect.void,
  exposureChanged: () => Effect.void
}

export class StrategyObserver extends Context.Tag("hedgeloop/StrategyObserver")<StrategyObserver, StrategyObserverService>() {
  static readonly silent: Layer.Layer<StrategyObserver> = Layer.succeed(StrategyObserver, silentObserver)
}
