/**
 * What the strategy knows of each venue's market: its filters (tick, step, minimums) and its
 * trading state as last read, and when it was read. A live venue may change either while a run
 * goes on (a coarser tick, a settlement, a halt); the strategy follows by reading the market again
 * when an order is refused, when the last reading is a minute old, and every 10 s while it waits
 * on a market that takes no orders. A backtest's venues cannot be read anew: their markets never
 * change, and nothing here ever asks them.
 */
import { Clock, Effect } from "effect"
import { filterChanges, type Instrument, notTradingFor } from "../domain/instrument"
import { venueLabel } from "../domain/venue"
import type { Exchange } from "../exchange"
import type { StrategyObserverService } from "./observer"

export type MarketRole = "maker" | "hedge"

/**
 * How old a venue's market as last read (its filters and its state) may be when a maker order
 * goes out, and how often it is read while one rests. A venue may change a symbol's tick or step,
 * or stop taking orders on it (a settlement, a halt), while a run goes on: a refused order
 * re-reads it at once; this catches within a minute a change no order ran into, above all a
 * hedge venue that stopped taking market orders before a fill needs one.
 */
export const MARKET_READ_EVERY_MS = 60_000

/** how often a market whose state takes no orders is asked again while the strategy waits on it */
export const MARKET_STATE_RECHECK_MS = 10_000

/**
 * How often a wait on a market says it is still waiting, and how long a held-back maker order
 * waits before the observer hears of it (a blip is not news).
 */
export const WAIT_NOTICE_MS = 60_000

/** The venue whose market takes none of the orders a leg needs, and why. */
export interface ClosedMarket {
  readonly closed: MarketRole
  readonly text: string
}

export class VenueMarkets {
  private readonly instruments: Record<MarketRole, Instrument>
  private readonly readAt: Record<MarketRole, number>
  private readonly readable: Record<MarketRole, boolean>
  /** a venue changed its filters since trade.quantity was last checked against them */
  filtersChangedSinceCheck = false

  /**
   * `instruments` as the start read them, at `readAt`; `cycleNow` says which cycle the observer is
   * told a filter change happened in.
   */
  constructor(
    private readonly venues: Record<MarketRole, Exchange>,
    instruments: Record<MarketRole, Instrument>,
    readAt: number,
    private readonly observer: StrategyObserverService,
    private readonly cycleNow: () => number
  ) {
    this.instruments = { ...instruments }
    this.readAt = { maker: readAt, hedge: readAt }
    this.readable = { maker: venues.maker.refreshInstrument !== undefined, hedge: venues.hedge.refreshInstrument !== undefined }
  }

  /** the maker venue's filters every price and size is rounded to: replaced when the venue changes them */
  get maker(): Instrument {
    return this.instruments.maker
  }

  /** the hedge venue's filters, likewise */
  get hedge(): Instrument {
    return this.instruments.hedge
  }

  /** false where no market can change (a backtest): then nothing is ever read again */
  get canChange(): boolean {
    return this.readable.maker || this.readable.hedge
  }

  /** when `role`'s market was last read (ms) */
  lastReadAt(role: MarketRole): number {
    return this.readAt[role]
  }

  /**
   * Re-reads one venue's market (where the venue can say it anew); true when its filters changed,
   * and from then on every price and size follows the new ones. A venue that cannot be read now
   * leaves the market as it was: the order that needed it fails as it would have.
   */
  read(role: MarketRole, why: string): Effect.Effect<boolean> {
    const venue = this.venues[role]
    const refreshInstrument = venue.refreshInstrument
    if (refreshInstrument === undefined) return Effect.succeed(false)
    const name = venueLabel(venue.venue)
    // a reading that fails counts too: it is tried again a minute later, not at every order
    return Clock.currentTimeMillis.pipe(
      Effect.flatMap((ts) => {
        this.readAt[role] = ts
        return refreshInstrument
      }),
      Effect.flatMap((fresh) => {
        const before = this.instruments[role]
        const changes = filterChanges(before, fresh)
        // what the market accepts is taken as read, filters or not
        const stateChanged = before.trading?.state !== fresh.trading?.state
        this.instruments[role] = fresh
        const stateLine = stateChanged
          ? Effect.log(`${name} ${fresh.symbol} market state ${before.trading?.state ?? "unknown"} → ${fresh.trading?.state ?? "unknown"}`)
          : Effect.void
        if (changes.length === 0) return Effect.as(stateLine, false)
        this.filtersChangedSinceCheck = true
        return Effect.zipRight(stateLine, Effect.logWarning(`${name} ${fresh.symbol} filters changed (${why}): ${changes.join(", ")}; trading on the new ones`)).pipe(
          Effect.zipRight(
            Clock.currentTimeMillis.pipe(
              Effect.flatMap((ts) => this.observer.filtersChanged?.({ cycle: this.cycleNow(), venue: venue.venue, symbol: fresh.symbol, changes, why, ts }) ?? Effect.void)
            )
          ),
          Effect.as(true)
        )
      }),
      Effect.catchAll((error) => Effect.as(Effect.logWarning(`could not re-read the ${name} filters (${why}): ${error.message}`), false))
    )
  }

  /** Re-reads each venue's market last read a minute ago or more (MARKET_READ_EVERY_MS). */
  readonly readStale: Effect.Effect<void> = Effect.flatMap(Clock.currentTimeMillis, (ts) =>
    Effect.forEach(
      (["hedge", "maker"] as const).filter((role) => this.readable[role] && ts - this.readAt[role] >= MARKET_READ_EVERY_MS),
      (role) => this.read(role, "the check every minute"),
      { discard: true }
    ))

  /** When the next market reading falls due (ms); never where no market can change (a backtest). */
  nextReading(): number {
    return Math.min(this.readable.maker ? this.readAt.maker : Number.POSITIVE_INFINITY, this.readable.hedge ? this.readAt.hedge : Number.POSITIVE_INFINITY) +
      MARKET_READ_EVERY_MS
  }

  /** Why the hedge market, as last read, takes no market orders now; undefined when it does. */
  hedgeNotTrading(): string | undefined {
    return notTradingFor(this.instruments.hedge, "hedge")
  }

  /** The venue whose market state (as last read) takes none of the orders a leg needs, and why; undefined when both take them. */
  closed(): ClosedMarket | undefined {
    const hedgeClosed = this.hedgeNotTrading()
    if (hedgeClosed !== undefined) return { closed: "hedge", text: `${venueLabel(this.venues.hedge.venue)} cannot take a hedge now (${hedgeClosed})` }
    const makerClosed = notTradingFor(this.instruments.maker, "maker")
    return makerClosed === undefined ? undefined : { closed: "maker", text: `${venueLabel(this.venues.maker.venue)} ${makerClosed}` }
  }
}
