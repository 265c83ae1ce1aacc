/**
 * The gate a maker order passes before it is posted: the hedge venue must be able to take its
 * hedge now (its market readable, from its stream else over REST, taking market orders, and the
 * hedge no smaller than its smallest order at its price) and the maker venue its post-only order.
 * An order resting while the hedge venue cannot hedge could fill with nothing to hedge it on, so
 * the leg holds the order back until both can.
 */
import { BigDecimal, Clock, Effect, Either } from "effect"
import { type Decimal, formatDecimal } from "../domain/decimal"
import type { Ticker } from "../domain/market"
import { venueLabel } from "../domain/venue"
import type { ExchangeError } from "../errors"
import type { Exchange } from "../exchange"
import { minimumHedgeQty } from "./exposure"
import type { StrategyObserverService } from "./observer"
import { hedgeSizingPrice } from "./tradable-quantity"
import { MARKET_STATE_RECHECK_MS, type VenueMarkets, WAIT_NOTICE_MS } from "./venue-markets"

/** how often a leg that holds back its maker order checks the venues again */
const POSTING_RECHECK_MS = 5_000

/** `awaitVenuesReady(cycle, leg)`: returns once both venues can take the leg's orders. */
export const postingGate = (maker: Exchange, hedge: Exchange, markets: VenueMarkets, observer: StrategyObserverService) => {
  const makerName = venueLabel(maker.venue)
  const hedgeName = venueLabel(hedge.venue)
  const now = Clock.currentTimeMillis

  /**
   * Why the maker order cannot go out now (undefined: it can), given what reading the hedge
   * venue's market gave and the hedge its fill would need (`hedgeQty`, none: not checked);
   * `closed` names the venue whose market state is the reason (none when it is the hedge venue's
   * price or reading).
   */
  const notPostingBecause = (market: Either.Either<Ticker, ExchangeError>, hedgeQty: Decimal | undefined) => {
    if (Either.isLeft(market)) return { closed: undefined, text: `${hedgeName} cannot take a hedge now (${market.left.message})` }
    if (hedgeQty !== undefined) {
      const price = hedgeSizingPrice(market.right)
      const smallest = minimumHedgeQty(markets.hedge, price)
      if (BigDecimal.lessThan(hedgeQty, smallest))
        return {
          closed: undefined,
          text: `its hedge of ${formatDecimal(hedgeQty)} would be below ${hedgeName}'s smallest order ${formatDecimal(smallest)} at ${formatDecimal(price)} (minimum order value ${
            formatDecimal(markets.hedge.minNotional)
          })`
        }
    }
    return markets.closed()
  }
  const whyNotPosting = (hedgeQty: () => Decimal | undefined) => Effect.map(Effect.either(hedge.ticker), (market) => notPostingBecause(market, hedgeQty()))

  /**
   * Before a maker order is posted: the hedge venue must be able to take its hedge now (its
   * market readable, from its stream else over REST, and taking market orders) and the maker
   * venue its post-only order. An order resting while the hedge venue cannot hedge could fill
   * with nothing to hedge it on, so the leg holds the order back and checks again every few
   * seconds, as long as it takes (a closed market's state is read anew every 10 s); a stop ends
   * the wait.
   */
  const awaitVenuesReady = (cycle: number, leg: 1 | 2, hedgeQty: () => Decimal | undefined = () => undefined): Effect.Effect<void> => {
    // the usual case in as few steps as can be: a backtest asks this at every maker order
    const check = Effect.flatMap(Effect.either(hedge.ticker), (market) => (notPostingBecause(market, hedgeQty()) === undefined ? Effect.void : waitForVenues(cycle, leg, hedgeQty)))
    return markets.canChange ? Effect.zipRight(markets.readStale, check) : check
  }

  /** The wait itself: checks every few seconds until both venues can take the orders. */
  const waitForVenues = (cycle: number, leg: 1 | 2, hedgeQty: () => Decimal | undefined): Effect.Effect<void> =>
    Effect.gen(function*() {
      const tag = `[Leg${leg}]`
      let waitingSince: number | undefined
      let waitedOn: "maker" | "hedge" = "hedge"
      let lastReason = ""
      /** the observer hears of a wait once it has lasted a notice period (a blip is not news), and then of its end */
      let observed = false
      let toldAt = Number.NEGATIVE_INFINITY
      while (true) {
        let problem = yield* whyNotPosting(hedgeQty)
        const ts = yield* now
        if (problem?.closed !== undefined && ts - markets.lastReadAt(problem.closed) >= MARKET_STATE_RECHECK_MS) {
          // a market state is as fresh as its last reading: read it again before waiting on it
          yield* markets.read(problem.closed, "a market state that takes no orders")
          problem = yield* whyNotPosting(hedgeQty)
        }
        if (problem === undefined) {
          if (waitingSince !== undefined) {
            const again = waitedOn === "maker" ? `${makerName} takes post-only orders` : `${hedgeName} can take hedges`
            yield* Effect.log(`${tag} ${again} again after ${Math.round((ts - waitingSince) / 1000)} s: posting`)
            if (observed) yield* observer.postingHeld?.({ phase: "resumed", cycle, leg, reason: lastReason, heldForMs: ts - waitingSince, ts }) ?? Effect.void
          }
          return
        }
        waitingSince ??= ts
        waitedOn = problem.closed ?? "hedge"
        lastReason = problem.text
        if (!observed && ts - waitingSince >= WAIT_NOTICE_MS) {
          observed = true
          yield* observer.postingHeld?.({ phase: "held", cycle, leg, reason: problem.text, heldForMs: ts - waitingSince, ts }) ?? Effect.void
        }
        if (ts - toldAt >= WAIT_NOTICE_MS) {
          toldAt = ts
          yield* Effect.logWarning(
            `${tag} not posting on ${makerName}: ${problem.text}${ts > waitingSince ? ` for ${Math.round((ts - waitingSince) / 1000)} s` : ""}; checking again every ${
              POSTING_RECHECK_MS / 1000
            } s`
          )
        }
        yield* Effect.sleep(POSTING_RECHECK_MS)
      }
    })

  return awaitVenuesReady
}
