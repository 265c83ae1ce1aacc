/**
 * The original bot's two-leg cycle, written once against the Exchange service:
 *
 * | step  | maker venue (Backpack)                 | hedge venue (Aster)           | then wait          |
 * |-------|----------------------------------------|-------------------------------|--------------------|
 * | leg 1 | limit sell at last × (1 + offset/100)  | market buy what filled        | between_legs_sleep |
 * | leg 2 | limit buy  at last × (1 − offset/100)  | market sell what filled       | cycle_sleep        |
 *
 * Improvements over the original: every (partial) fill is hedged as it arrives; prices and sizes
 * follow the venues' tick/step filters, rounded passively; a fill racing a cancel is still hedged;
 * the funding guard reads each venue's next funding time; on interruption the working order is
 * cancelled and any residual hedged before the loop stops; a start first unwinds the hedged pair a
 * stop between the legs left.
 */
import { BigDecimal, Chunk, Clock, Data, Effect, Either, Option, Ref, Schedule } from "effect"
import type { HedgeConfig } from "../config/config"
import { type Decimal, decimal, decimalsOf, divideToScale, formatDecimal, roundToStep, ZERO } from "../domain/decimal"
import { floorQty, type Instrument, passivePrice } from "../domain/instrument"
import { isOpenStatus, opposite, type Order, type Side, signedQty } from "../domain/order"
import { venueLabel } from "../domain/venue"
import { type ExchangeError, InsufficientBalance, OrderRejected } from "../errors"
import { type Exchange, HedgeVenue, MakerVenue } from "../exchange"
import { logLine } from "../log-line"
import { Exposure, minimumHedgeQty } from "./exposure"
import { type HedgeSent, StrategyObserver } from "./observer"
import { postingGate } from "./posting-gate"
import { afterSale, placeWithinHolding, type Sellable, withinSellable } from "./spot-sell-shortfall"
import { hedgeSizingPrice, quantityProblems } from "./tradable-quantity"
import { cancelTracked, finalStateOf, isTransient, placeLimitTracked, retryOnFailure } from "./tracked-orders"
import { unwindLeg } from "./unwind"
import { MARKET_STATE_RECHECK_MS, VenueMarkets, WAIT_NOTICE_MS } from "./venue-markets"

export type StrategyParams = HedgeConfig["trade"] & {
  /** prefix of every client order id, so a restart can recognise its own orders */
  readonly clientIdPrefix: string
  /** unwind the maker position found at the start, then stop: no cycle (`live --unwind-only`) */
  readonly unwindOnly?: boolean
}

/** The configured quantity cannot be traded on one of the venues. */
export class StrategyConfigError extends Data.TaggedError("StrategyConfigError")<{ readonly reason: string }> {
  override get message() {
    return this.reason
  }
}

/** Hedging kept failing; `unhedged` is what is left exposed (signed base quantity). */
export class HedgeFailed extends Data.TaggedError("HedgeFailed")<{
  readonly unhedged: string
  readonly cause: ExchangeError
}> {
  override get message() {
    return `hedge failed with ${this.unhedged} unhedged: ${this.cause.message}`
  }
}

const HUNDRED = decimal("100")
/** How long to wait before re-pricing after a post-only order was refused for crossing. */
const CROSS_RETRY_MS = 500
/** the longest pause between a stop's hedge attempts */
const WIND_DOWN_MAX_BACKOFF_MS = 5000

type RetrySettings = Pick<HedgeConfig["trade"], "hedgeRetryAttempts" | "hedgeRetryBackoffMs" | "windDownHedgeMs">

/** A refused or failed hedge is tried again hedge_retry_attempts times, the backoff doubling. */
const hedgeRetrySchedule = (trade: RetrySettings) =>
  Schedule.exponential(trade.hedgeRetryBackoffMs).pipe(Schedule.intersect(Schedule.recurs(trade.hedgeRetryAttempts)))

/**
 * A stop's last hedge leaves the run flat or exposed, and a run a safety limit stopped is not
 * restarted by itself: it keeps trying for trade.wind_down_hedge_seconds, at most 5 s apart, and
 * at least as often as any other hedge.
 */
const windDownRetrySchedule = (trade: RetrySettings) =>
  Schedule.exponential(Math.max(trade.hedgeRetryBackoffMs, 1)).pipe(
    Schedule.union(Schedule.spaced(WIND_DOWN_MAX_BACKOFF_MS)),
    Schedule.upTo(trade.windDownHedgeMs),
    Schedule.union(hedgeRetrySchedule(trade))
  )

/** beyond any wind-down a config can ask for (a day at 5 s apart is 17,280) */
const MOST_ATTEMPTS_COUNTED = 100_000

/**
 * The most attempts one hedge can make in a row, each under a new client id: the wind-down
 * schedule's, run on simulated time. A start looking for hedges a run sent unrecorded must not
 * stop at a run of refused ones shorter than this.
 */
export const mostHedgeAttemptsInARow = (trade: RetrySettings): number =>
  Chunk.size(Effect.runSync(Schedule.run(windDownRetrySchedule(trade), 0, Array.from({ length: MOST_ATTEMPTS_COUNTED }, () => undefined))))
/**
 * A maker order refused while the market, read at once, is open with its filters unchanged: a
 * market that closed and reopened between the order and the reading (a short settlement, a halt)
 * looks just so. It is posted again this many times, this far apart, before the refusal stops
 * the run; nothing rests meanwhile, so waiting costs no exposure.
 */
const MAKER_REFUSAL_TRIES = 3
const MAKER_REFUSAL_PAUSE_MS = 10_000
/** how often a funding time that has passed but is still announced is read again, until the venue names the next */
const FUNDING_ROLL_RECHECK_MS = 1000
/** how long the mark read after a refused hedge sizes the hedges that follow */
const MARK_AFTER_REFUSAL_MS = 60_000
/**
 * how long after a funding time the guard's pause ends: Aster settles with a deviation of about
 * 15 s (its funding page: a position opened at 16:00:05 "may still be charged" that interval)
 */
const FUNDING_SETTLED_AFTER_MS = 15_000
/** funding windows waited out in a row, each opening as the last closed: then the window is as long as the funding interval */
const CLOSE_FUNDING_PAUSES = 3

const utcClock = (ms: number): string => new Date(ms).toISOString().slice(11, 16)

export const runHedgeLoop = (params: StrategyParams) =>
  Effect.gen(function*() {
    const maker = yield* MakerVenue
    const hedge = yield* HedgeVenue
    const observer = yield* StrategyObserver
    const makerName = venueLabel(maker.venue)
    const hedgeName = venueLabel(hedge.venue)
    const now = Clock.currentTimeMillis

    const quantity = params.quantity
    /** the cycle under way (0: the unwind before the first), for what the observer is told */
    let cycleNow = 0
    /** the leg under way (or last under way) in it: a stop's hedge is told as that leg's */
    let legNow: 1 | 2 = 1
    /** what the cycles' maker legs hold on the maker venue (signed): the next leg 2 buys it back */
    let legsHeld = ZERO
    /** when the funding window the guard last saw opens (none: +∞): a leg 1 posting from then on is guarded again */
    let fundingWindowOpensAt = Number.POSITIVE_INFINITY
    // the filters and states every order follows, read anew as the venues change them
    const markets = new VenueMarkets({ maker, hedge }, { maker: yield* maker.instrument, hedge: yield* hedge.instrument }, yield* now, observer, () => cycleNow)
    const makerLast = (yield* maker.ticker).last
    // a hedge venue unreadable now is waited for before the first order (the posting gate): its hedge checked at the maker's price meanwhile
    const hedgePrice = Either.match(yield* Effect.either(hedge.ticker), { onLeft: () => makerLast, onRight: hedgeSizingPrice })
    yield* validateQuantity(quantity, markets.maker, markets.hedge, makerLast, hedgePrice)

    /** At a cycle's start: trade.quantity checked against filters a venue changed since the last check. */
    const checkQuantityOnNewFilters = Effect.gen(function*() {
      if (!markets.filtersChangedSinceCheck) return
      // the minimum notional needs a price: a market unreadable now puts the check off to the next cycle
      const ticker = yield* Effect.either(maker.ticker)
      const hedgeTicker = yield* Effect.either(hedge.ticker)
      if (Either.isLeft(ticker) || Either.isLeft(hedgeTicker)) return
      markets.filtersChangedSinceCheck = false
      yield* validateQuantity(quantity, markets.maker, markets.hedge, ticker.right.last, hedgeSizingPrice(hedgeTicker.right)).pipe(
        Effect.mapError((error) => new StrategyConfigError({ reason: `the venues changed their filters, and ${error.reason}` }))
      )
    })

    const exposure = new Exposure()
    /** the maker order being worked, known by client id from before it is sent */
    const working = yield* Ref.make<Option.Option<{ readonly clientId: string; readonly orderId?: string }>>(Option.none())
    const retry = hedgeRetrySchedule(params)
    const windDownRetry = windDownRetrySchedule(params)
    let clientSeq = 0
    const nextClientId = (kind: "m" | "h") => `${params.clientIdPrefix}${kind}${++clientSeq}`

    const reportExposure = Effect.flatMap(now, (ts) => observer.exposureChanged(exposure.unhedged, ts))

    /**
     * A hedge sent but not yet confirmed: if the loop is cut short (interruption, failure) before
     * the reply, its outcome is settled by client id before any other hedge goes out.
     */
    let hedgeInFlight: Omit<HedgeSent, "executedQty" | "executedQuote" | "ts"> | undefined
    /** the unhedged quantity last said to be held back (for the hedge venue's minimum): said once per amount */
    let heldBackTold: string | undefined
    /**
     * The hedge venue's mark price when it last refused a hedge, and when: Aster futures checks a
     * market order's minimum value at its mark, which may be below the bid a hedge is sized at.
     * For a while after a refusal, hedges are sized at the lower of the two (a hedge the venue
     * would refuse again is held back for more fills rather than refused until the run stops).
     */
    let markAtRefusal: { readonly price: Decimal; readonly at: number } | undefined
    const readMarkAfterRefusal = hedge.fundingQuote === undefined
      ? Effect.void
      : Effect.flatMap(Effect.either(hedge.fundingQuote), (quote) =>
        Effect.map(now, (at) => {
          if (Either.isRight(quote) && Option.isSome(quote.right) && BigDecimal.isPositive(quote.right.value.markPrice)) markAtRefusal = { price: quote.right.value.markPrice, at }
        }))
    const sizingPriceOf = (ticker: { readonly last: Decimal; readonly bid: Decimal }) =>
      Effect.map(now, (ts) =>
        markAtRefusal !== undefined && ts - markAtRefusal.at < MARK_AFTER_REFUSAL_MS ? BigDecimal.min(hedgeSizingPrice(ticker), markAtRefusal.price) : hedgeSizingPrice(ticker))

    const settleHedgeInFlight = (schedule: Schedule.Schedule<unknown, unknown>) => Effect.gen(function*() {
      if (hedgeInFlight === undefined) return
      const sent = hedgeInFlight
      // looked up as long as a hedge would be tried (a wind-down's: its whole window): a venue
      // still down must not end the wind-down with the fill unhedged
      const found = yield* retryOnFailure(hedge.queryOrder({ clientId: sent.clientId }), schedule, isTransient).pipe(
        // one still executing is waited for (its rest cancelled in the end): its fills are not final yet
        Effect.flatMap((order) => finalStateOf(hedge, order, schedule)),
        Effect.map(Option.some),
        Effect.catchTag("UnknownOrder", () => Effect.succeed(Option.none<Order>()))
      )
      hedgeInFlight = undefined
      if (Option.isSome(found) && BigDecimal.isPositive(found.value.filledQty)) {
        exposure.absorbHedge(sent.side, found.value.filledQty)
        yield* logLine(() => `hedge ${sent.clientId} had executed ${formatDecimal(found.value.filledQty)} although its reply was lost`)
        // reported as any hedge is (a journal closes its record with it)
        yield* observer.hedgeSent({ ...sent, executedQty: found.value.filledQty, executedQuote: found.value.filledQuote, ts: yield* now })
        yield* reportExposure
      }
    })

    /**
     * A hedge refused by a market that takes no market orders now (its state read after the
     * refusal): the hedge waits for it to reopen, its state read every 10 s, rather than spend its
     * retries on a market that cannot take them. The kill switch's limit on unhedged quantity ×
     * seconds bounds the wait.
     */
    const awaitHedgeMarket = (cycle: number, leg: 1 | 2, side: Side, qty: Decimal) =>
      Effect.gen(function*() {
        const since = yield* now
        let toldAt = Number.NEGATIVE_INFINITY
        let reason = ""
        while (true) {
          const closed = markets.hedgeNotTrading()
          const ts = yield* now
          const held = { cycle, leg, side, qty, unhedged: exposure.unhedged, asset: markets.hedge.base, heldForMs: ts - since, ts }
          if (closed === undefined) {
            yield* Effect.log(`${hedgeName} takes market orders again after ${Math.round((ts - since) / 1000)} s: hedging`)
            yield* observer.hedgeHeld?.({ ...held, phase: "resumed", reason }) ?? Effect.void
            return
          }
          // the trader hears of it at once: unlike a maker order held back, a fill is unhedged meanwhile
          if (reason === "") yield* observer.hedgeHeld?.({ ...held, phase: "held", reason: closed }) ?? Effect.void
          reason = closed
          if (ts - toldAt >= WAIT_NOTICE_MS) {
            toldAt = ts
            yield* Effect.logWarning(
              `hedge ${side} ${formatDecimal(qty)} waits: ${closed}; ${formatDecimal(BigDecimal.abs(exposure.unhedged))} ${markets.hedge.base} unhedged meanwhile, the market read every ${MARKET_STATE_RECHECK_MS / 1000} s`
            )
          }
          yield* Effect.sleep(MARKET_STATE_RECHECK_MS)
          yield* markets.read("hedge", "a hedge waiting on a market that takes no market orders")
        }
      })

    /**
     * Fills left unhedged because no hedge venue order can take them yet: too small for its
     * minimum, or held back so the leg's last fills are not left too small. Said once per amount,
     * so the trader never reads a quiet log as a hedged position.
     */
    const tellHeldBack = (reference: Decimal, pending?: { side: Side; qty: Decimal }) =>
      Effect.suspend(() => {
        if (BigDecimal.isZero(exposure.unhedged)) {
          heldBackTold = undefined
          return Effect.void
        }
        const amount = formatDecimal(BigDecimal.abs(exposure.unhedged))
        if (heldBackTold === amount) return Effect.void
        heldBackTold = amount
        const minimum = minimumHedgeQty(markets.hedge, reference)
        const side = BigDecimal.isPositive(exposure.unhedged) ? "sell" : "buy"
        const why = BigDecimal.lessThan(floorQty(markets.hedge, BigDecimal.abs(exposure.unhedged)), minimum)
          ? `below ${hedgeName}'s smallest order ${formatDecimal(minimum)} at ${formatDecimal(reference)}; hedged once further fills bring it there`
          : `sent with the leg's last ${formatDecimal(pending?.qty ?? ZERO)} to fill, so that they are not left below ${hedgeName}'s smallest order ${formatDecimal(minimum)}`
        return logLine(() => `hedge ${side} of ${amount} ${markets.hedge.base} held back: ${why}`)
      })

    /**
     * Sends market orders until what is hedgeable now is hedged; retries with backoff. A hedge
     * market found closed (`closedMarket`) is waited for until it reopens (`awaitHedgeMarket`),
     * or is said at once ("return": a leg whose order still rests withdraws it first, so nothing
     * more fills that could not be hedged), or is retried on the schedule as any refusal ("retry":
     * a stop's wind-down, whose own schedule bounds it). Answers "market-closed" only then.
     */
    const hedgeNow = (
      cycle: number,
      leg: 1 | 2,
      pending?: { side: Side; qty: Decimal },
      schedule: Schedule.Schedule<unknown, unknown> = retry,
      closedMarket: "wait" | "return" | "retry" = "wait",
      /** said once a hedge order is about to go (not while it is held back for the venue's minimum) */
      announce: Effect.Effect<void> = Effect.void
    ): Effect.Effect<"market-closed" | undefined, HedgeFailed | ExchangeError> =>
      Effect.gen(function*() {
        yield* settleHedgeInFlight(schedule)
        /** spot: what the account still holds to sell, once a sell was refused for want of it */
        let sellable: Sellable | undefined
        /**
         * hedges refused, or answered with nothing executed: sent again on the schedule, each
         * priced and sized afresh (the ticker read again) under a new client id
         */
        let failedAttempts: Schedule.ScheduleDriver<unknown, unknown, never> | undefined
        const backOff = (cause: ExchangeError) =>
          Effect.gen(function*() {
            failedAttempts ??= yield* Schedule.driver(schedule)
            yield* failedAttempts.next(cause).pipe(Effect.mapError(() => new HedgeFailed({ unhedged: formatDecimal(exposure.unhedged), cause })))
          })
        while (true) {
          // the venue checks min notional at its own price: size against the lowest one we see;
          // a price that cannot be read is asked for again as a refused order would be sent again
          const ticker = yield* retryOnFailure(hedge.ticker, schedule, isTransient).pipe(
            Effect.mapError((cause) => new HedgeFailed({ unhedged: formatDecimal(exposure.unhedged), cause }))
          )
          const reference = yield* sizingPriceOf(ticker)
          const planned = exposure.hedgeOrder(markets.hedge, reference, pending)
          if (planned === undefined) {
            yield* tellHeldBack(reference, pending)
            return
          }
          heldBackTold = undefined
          const order = withinSellable(planned, sellable, markets.hedge, reference)
          if (order instanceof InsufficientBalance) return yield* new HedgeFailed({ unhedged: formatDecimal(exposure.unhedged), cause: order })
          if (order !== planned) yield* Effect.logWarning(`hedge sell of ${formatDecimal(planned.qty)} cut to the ${formatDecimal(order.qty)} ${markets.hedge.base} the account holds`)
          yield* announce
          const clientId = nextClientId("h")
          const request = { side: order.side, qty: order.qty, clientId }
          const referencePrice = order.side === "buy" ? ticker.ask : ticker.bid
          hedgeInFlight = { cycle, leg, side: order.side, qty: order.qty, referencePrice, clientId }
          const attemptFailed = (reason: string) =>
            Effect.flatMap(now, (ts) => observer.hedgeFailed?.({ cycle, leg, side: order.side, qty: order.qty, clientId, reason, ts }) ?? Effect.void)
          // a refusal may be the venue's new filters: its first one re-reads them, and if they
          // changed the order is sized anew rather than sent again as it is
          let filtersRead = false
          let filtersChanged = false
          /** the reading after the refusal says the market takes no market orders now */
          let marketClosed = false
          const readFiltersOnRefusal = (error: ExchangeError) =>
            error._tag !== "OrderRejected" || filtersRead
              ? Effect.void
              : Effect.suspend(() => {
                filtersRead = true
                return Effect.map(markets.read("hedge", `a hedge was refused: ${error.reason}`), (changed) => {
                  filtersChanged = changed
                  marketClosed = closedMarket !== "retry" && markets.hedgeNotTrading() !== undefined
                })
              })
          /** the venue's refusal of this order: it is sent again only as a new one, on a fresh price */
          let refusal: OrderRejected | InsufficientBalance | undefined
          // a spot sell refused for want of balance comes back as what the account holds (src/core/strategy/spot-sell-shortfall.ts)
          const placed = yield* placeWithinHolding(
            {
              ...hedge,
              placeMarket: (r) =>
                hedge.placeMarket(r).pipe(
                  Effect.tapError((error) =>
                    Effect.zipRight(Effect.logWarning(`hedge ${order.side} ${formatDecimal(order.qty)} failed: ${error.message}`), Effect.zipRight(attemptFailed(error.message), readFiltersOnRefusal(error)))
                  )
                )
            },
            markets.hedge,
            request,
            schedule,
            sellable,
            () => false
          ).pipe(
            Effect.catchIf(() => filtersChanged || marketClosed, () => Effect.succeed(undefined)),
            Effect.catchIf((error): error is OrderRejected | InsufficientBalance => error._tag === "OrderRejected" || error._tag === "InsufficientBalance", (error) =>
              Effect.sync(() => {
                refusal = error
                return undefined
              })),
            Effect.mapError((cause) => new HedgeFailed({ unhedged: formatDecimal(exposure.unhedged), cause }))
          )
          if (placed === undefined) {
            // a refusal executed nothing; still looked up by client id, as any hedge whose answer was not taken, before the next goes
            yield* settleHedgeInFlight(schedule)
            if (marketClosed && closedMarket === "return") return "market-closed" as const
            if (marketClosed) yield* awaitHedgeMarket(cycle, leg, order.side, order.qty)
            else if (filtersChanged) yield* Effect.logWarning(`hedge ${order.side} ${formatDecimal(order.qty)} is sized anew on the ${hedgeName} filters`)
            else if (refusal !== undefined) {
              yield* readMarkAfterRefusal
              yield* backOff(refusal)
            }
            continue
          }
          if (Either.isLeft(placed)) {
            hedgeInFlight = undefined
            sellable = placed.left
            continue
          }
          if (isOpenStatus(placed.right.status)) {
            yield* Effect.logWarning(
              `hedge ${order.side} ${formatDecimal(order.qty)} (${clientId}) answered ${placed.right.status} with ${formatDecimal(placed.right.filledQty)} executed: nothing more is hedged until it has ended`
            )
          }
          // an order still executing counts only once it has ended; until then it stays in flight
          const executed = yield* finalStateOf(hedge, placed.right, schedule).pipe(
            Effect.mapError((cause) => new HedgeFailed({ unhedged: formatDecimal(exposure.unhedged), cause }))
          )
          hedgeInFlight = undefined
          sellable = afterSale(sellable, executed.filledQty)
          exposure.absorbHedge(order.side, executed.filledQty)
          yield* observer.hedgeSent({
            cycle,
            leg,
            side: order.side,
            qty: order.qty,
            executedQty: executed.filledQty,
            executedQuote: executed.filledQuote,
            referencePrice,
            clientId,
            ts: yield* now
          })
          yield* reportExposure
          // after the bookkeeping: the journal and the kill switch hear of the hedge first
          if (BigDecimal.isPositive(executed.filledQty)) yield* logLine(() => hedgeExecutedLine(leg, hedgeName, order, executed, referencePrice, markets.hedge))
          if (BigDecimal.isZero(executed.filledQty)) {
            // ended with nothing executed (expired on a book side empty for a moment, rejected),
            // answered so or read so later: a refusal, sent again with backoff under a new client
            // id (a venue may refuse a client id reused, and a look-up of it would find this one)
            const cause = new OrderRejected({ venue: hedge.venue, reason: executed.rejectReason ?? `market order ${executed.id} executed nothing (${executed.status})` })
            yield* Effect.logWarning(`hedge ${order.side} ${formatDecimal(order.qty)} failed: ${cause.message}`)
            yield* attemptFailed(cause.message)
            yield* backOff(cause)
          }
        }
      })

    /**
     * Counts a maker order's new fills (from any source) and hedges them at once. `pending` is read
     * after counting: what the leg still has to fill decides how much a partial hedge holds back.
     */
    const absorb = (
      order: Order,
      cycle: number,
      leg: 1 | 2,
      pending: () => { side: Side; qty: Decimal },
      announce?: Effect.Effect<void>,
      closedMarket: "wait" | "return" = "wait"
    ) =>
      Effect.gen(function*() {
        const fresh = exposure.absorbMakerOrder(order)
        if (BigDecimal.isZero(fresh)) return undefined
        yield* reportExposure
        return yield* hedgeNow(cycle, leg, pending(), retry, closedMarket, announce)
      })

    const awaitVenuesReady = postingGate(maker, hedge, markets, observer)

    /** One maker leg of `quantity`: post, watch, cancel-and-repost after first_wait, hedging each fill. */
    const makerLeg = (cycle: number, leg: 1 | 2, side: Side, quantity: Decimal) =>
      Effect.gen(function*() {
        legNow = leg
        const tag = `[Leg${leg}]`
        /** when the leg's first order was posted: its time to fill counts from there, not from a hold before it */
        let startedAt: number | undefined
        let filled = ZERO
        let orders = 0
        let announcedHedge = false
        let lastOrderId = ""
        /** the original bot's "filled, hedging…" line, once per leg, as its first hedge order goes */
        let legFilledNow = () => filled
        const announce = Effect.suspend(() => {
          if (announcedHedge) return Effect.void
          announcedHedge = true
          return logLine(() => `${tag} ${makerName} ${side} filled ${formatDecimal(legFilledNow())}, hedging with an ${hedgeName} market ${opposite(side)}...`)
        })
        /** refusals in a row that neither new filters nor a closed market explain */
        let unexplainedRefusals = 0
        while (BigDecimal.lessThan(filled, quantity)) {
          const left = BigDecimal.subtract(quantity, filled)
          // on the venue's step: only a step changed during the leg can leave the rest off it
          const remaining = floorQty(markets.maker, left)
          if (!BigDecimal.isPositive(remaining) || BigDecimal.lessThan(remaining, markets.maker.minQty)) {
            // no order can trade it: the leg ends, its fills hedged as always
            yield* Effect.logWarning(
              `${tag} the leg's last ${formatDecimal(left)} is below the ${makerName} step or minimum order size (${formatDecimal(markets.maker.stepSize)}, ${formatDecimal(markets.maker.minQty)}): the leg ends with ${formatDecimal(filled)} filled`
            )
            break
          }
          // with nothing unhedged, a hedge too small for the hedge venue's minimum would be stuck: held back until it is not
          yield* awaitVenuesReady(cycle, leg, () => (BigDecimal.isZero(exposure.unhedged) ? remaining : undefined))
          // the funding guard let the cycle start, but the gate may have held the leg, or its orders
          // gone unfilled, until the window: a leg 1 that has traded nothing yet waits it out too
          if (leg === 1 && cycle > 0 && BigDecimal.isZero(filled) && (yield* now) >= fundingWindowOpensAt && (yield* fundingGuard(cycle, tag))) continue
          const ticker = yield* maker.ticker
          const price = limitPrice(markets.maker, side, ticker.last, ticker.bid, ticker.ask, params.offsetPercent)
          // a partial fill's rest, or a leg 2 buying back a cut-short leg 1, worth less than the
          // venue's smallest order: refused whatever its price (the pair is carried to the next cycle)
          if ((BigDecimal.isPositive(filled) || BigDecimal.lessThan(quantity, params.quantity)) && BigDecimal.lessThan(BigDecimal.multiply(price, remaining), markets.maker.minNotional)) {
            yield* Effect.logWarning(
              `${tag} the leg's last ${formatDecimal(remaining)} at ${formatDecimal(price)} is below the ${makerName} minimum order value (${formatDecimal(markets.maker.minNotional)}): the leg ends with ${formatDecimal(filled)} filled`
            )
            break
          }
          yield* logLine(() => `${tag} ${makerName} limit ${side} price: ${formatDecimal(price)} (from last price ${formatDecimal(ticker.last)})`)
          const request = { side, price, qty: remaining, postOnly: true, timeInForce: "GTC" as const, clientId: nextClientId("m") }
          yield* Ref.set(working, Option.some({ clientId: request.clientId }))
          const placed = yield* placeLimitTracked(maker, request, retry).pipe(
            Effect.map(Option.some),
            Effect.catchTag("OrderRejected", (error) => {
              if (error.wouldTake === true) return Effect.as(Effect.zipRight(Effect.log(`${tag} post-only order would cross the book; re-pricing`), Effect.sleep(CROSS_RETRY_MS)), Option.none<Order>())
              // never sent: the next client id goes instead
              if (error.clientIdTaken === true) return Effect.as(Effect.logWarning(`${tag} ${error.message}; sending it under the next client id`), Option.none<Order>())
              // any other refusal may be the venue's new filters: priced and sized anew if they changed,
              // or a market that no longer takes it: the leg waits for it to reopen; else it is tried
              // again a few times (the market may have reopened before the reading) and then stands
              return Effect.flatMap(markets.read("maker", `an order was refused: ${error.reason}`), (changed) => {
                if (changed) return Effect.as(Effect.log(`${tag} re-pricing on the new ${makerName} filters`), Option.none<Order>())
                if (markets.closed() !== undefined) return Effect.succeed(Option.none<Order>())
                unexplainedRefusals += 1
                // refused: never booked, so the stop has no order of it to cancel
                if (unexplainedRefusals >= MAKER_REFUSAL_TRIES) return Effect.zipRight(Ref.set(working, Option.none()), Effect.fail(error))
                return Effect.as(
                  Effect.zipRight(
                    Effect.logWarning(
                      `${tag} ${error.message}; ${makerName} reads open with its filters unchanged: posting again in ${MAKER_REFUSAL_PAUSE_MS / 1000} s (refusal ${unexplainedRefusals} of ${MAKER_REFUSAL_TRIES})`
                    ),
                    Effect.sleep(MAKER_REFUSAL_PAUSE_MS)
                  ),
                  Option.none<Order>()
                )
              })
            })
          )
          if (Option.isNone(placed)) {
            yield* Ref.set(working, Option.none())
            continue
          }
          let order = placed.value
          unexplainedRefusals = 0
          orders += 1
          startedAt ??= yield* now
          lastOrderId = order.id
          yield* observer.makerOrderPlaced({ cycle, leg, orderId: order.id, side, price, qty: remaining, repost: orders > 1, ts: yield* now })
          yield* Ref.set(working, Option.some({ clientId: request.clientId, orderId: order.id }))
          yield* logLine(() => `${tag} monitoring ${makerName} ${side} order ${order.id} until filled...`)
          const pending = () => ({ side, qty: BigDecimal.subtract(remaining, exposure.filledOf(order.id)) })
          legFilledNow = () => BigDecimal.sum(filled, exposure.filledOf(order.id))
          /** why the order is cancelled before its time: a market that stopped taking the leg's orders */
          let closedWhileResting: string | undefined
          // while the order rests, a fill whose hedge market turned out closed withdraws it before
          // more fills that could not be hedged either; they are hedged once it is cancelled
          const absorbResting = (seen: Order) =>
            Effect.map(absorb(seen, cycle, leg, pending, announce, isOpenStatus(order.status) ? "return" : "wait"), (result) => {
              if (result === "market-closed") closedWhileResting = `${markets.closed()?.text ?? `${hedgeName} cannot take a hedge now`}, and a fill is unhedged`
              return result === "market-closed"
            })
          yield* absorbResting(order)
          const deadline = (yield* now) + params.firstWaitMs
          while (isOpenStatus(order.status) && closedWhileResting === undefined) {
            const ts = yield* now
            const left = deadline - ts
            if (left <= 0) break
            // a resting order is a fill waiting to happen: the markets are read every minute
            // meanwhile, and the order is withdrawn once a fill could not be hedged
            const readingIn = markets.nextReading() - ts
            if (readingIn <= 0) {
              yield* markets.readStale
              closedWhileResting = markets.closed()?.text
              if (closedWhileResting !== undefined) break
              continue
            }
            const update = yield* maker.nextUpdate(Math.min(left, readingIn))
            if (Option.isNone(update)) {
              if (readingIn < left) continue
              break
            }
            const updated = update.value.order
            if (updated.id !== order.id) {
              // a late message about an earlier order of this run: still count its fills. One about
              // an earlier run's order (an adapter passes on those a start looked up or cancelled) is
              // no news: the start counted what it held in the positions it reconciled
              if (updated.clientId.startsWith(params.clientIdPrefix)) yield* absorbResting(updated)
              continue
            }
            order = updated
            yield* absorbResting(order)
          }
          if (isOpenStatus(order.status)) {
            // Not filled in time: cancel, then count whatever filled before the cancel landed.
            if (closedWhileResting !== undefined) yield* Effect.logWarning(`${tag} ${closedWhileResting}: cancelling ${makerName} ${side} order ${order.id}`)
            order = yield* cancelTracked(maker, order.id, retry)
            yield* absorb(order, cycle, leg, pending, announce)
            // the fill whose hedge found the market closed is hedged now, the market waited for
            if (closedWhileResting !== undefined && !BigDecimal.isZero(exposure.unhedged)) yield* hedgeNow(cycle, leg, pending(), retry, "wait", announce)
            const legFilled = !BigDecimal.lessThan(BigDecimal.sum(filled, exposure.filledOf(order.id)), quantity)
            yield* logLine(() =>
              legFilled
                ? `${tag} ${makerName} ${side} order ${order.id} filled as it was being cancelled (${formatDecimal(order.filledQty)} filled)`
                : closedWhileResting !== undefined
                ? `${tag} ${makerName} ${side} order ${order.id} cancelled (${formatDecimal(order.filledQty)} filled); posting again once both venues take the leg's orders`
                : `${tag} ${makerName} ${side} order ${order.id} not filled within ${params.firstWaitMs / 1000} s (${formatDecimal(order.filledQty)} filled); re-posting at a fresh price`
            )
          }
          yield* Ref.set(working, Option.none())
          filled = BigDecimal.sum(filled, exposure.filledOf(order.id))
        }
        const filledAt = yield* now
        const postedAt = startedAt ?? filledAt
        // a leg the venue's new filters ended before any order (said above) filled nothing to tell
        if (orders > 0) {
          const after = Math.round((filledAt - postedAt) / 1000)
          yield* logLine(() =>
            BigDecimal.lessThan(filled, quantity)
              ? `${tag} ${makerName} ${side} leg ended with ${formatDecimal(filled)} of ${formatDecimal(quantity)} filled after ${after} s`
              : `${tag} ${makerName} ${side} order ${lastOrderId} filled after ${after} s`
          )
        }
        legFilledNow = () => filled
        yield* hedgeNow(cycle, leg, undefined, retry, "wait", announce)
        yield* observer.legCompleted({ cycle, leg, side, startedAt: postedAt, filledAt, orders })
        return filled
      })

    /** Waits out the funding window: no cycle starts within stop_before_funding of a funding time. True when it waited. */
    const fundingGuard = (cycle: number, tag = `[Cycle ${cycle}]`) =>
      Effect.gen(function*() {
        let paused = false
        /** the funding time this guard paused for: a venue announcing it a while after it passed is the same window */
        let pausedFor: number | undefined
        /** the funding times paused for in a row, each announced once the last had passed */
        const pausedInARow: Array<number> = []
        fundingWindowOpensAt = Number.POSITIVE_INFINITY
        while (true) {
          // a venue that cannot say now is asked again as an order would be, rather than stop the run
          const fundingTime = (venue: Exchange) => Effect.retry(venue.nextFundingTime, { schedule: retry, while: isTransient })
          const times = Option.reduceCompact([yield* fundingTime(maker), yield* fundingTime(hedge)], Number.POSITIVE_INFINITY, Math.min)
          if (!Number.isFinite(times)) return paused
          const ts = yield* now
          const until = times - ts
          // one window, one pause: said once, however long the venue takes to announce the next time
          const again = times === pausedFor
          if (until < 0 && !again) {
            // a time that has passed, still announced (venues roll it a few seconds late): no window
            // to wait in, and the next time is not known yet: asked again shortly, quietly
            yield* Effect.sleep(FUNDING_ROLL_RECHECK_MS)
            continue
          }
          if (!again) yield* logLine(() => `${tag} ${Math.floor(until / 60_000)} minutes until the ${utcClock(times)} UTC funding time`)
          // inside the window from stop_before_funding before the time (as --check says it)
          if (until > params.stopBeforeFundingMs) {
            fundingWindowOpensAt = times - params.stopBeforeFundingMs
            return paused
          }
          paused = true
          if (!again) {
            // funding times closer together than the window: each wait ends inside the next one.
            // Two venues' times a moment apart make two pauses in a row; a third is the window itself
            pausedInARow.push(times)
            if (pausedInARow.length >= CLOSE_FUNDING_PAUSES) {
              const gapMinutes = Math.round((pausedInARow[pausedInARow.length - 1]! - pausedInARow[pausedInARow.length - 2]!) / 60_000)
              return yield* new StrategyConfigError({
                reason: `trade.stop_before_funding_minutes ${params.stopBeforeFundingMs / 60_000} is as long as the time between funding times (${
                  pausedInARow.map(utcClock).join(", ")
                } UTC, ${gapMinutes} minutes apart): no cycle can ever start; set it below ${gapMinutes}`
              })
            }
            pausedFor = times
            yield* observer.fundingPause(cycle, times, ts)
            yield* logLine(() => `${tag} within ${params.stopBeforeFundingMs / 60_000} minutes of funding: waiting until ${utcClock(times)} UTC has passed`)
          }
          yield* Effect.sleep(Math.max(until, 0) + FUNDING_SETTLED_AFTER_MS)
        }
      })

    const cycle = (n: number) =>
      Effect.gen(function*() {
        cycleNow = n
        yield* logLine(() => `[Cycle ${n}] start of a new hedge cycle`)
        yield* checkQuantityOnNewFilters
        yield* fundingGuard(n)
        yield* observer.cycleStarted(n, yield* now)
        legsHeld = BigDecimal.subtract(legsHeld, yield* makerLeg(n, 1, "sell", quantity))
        // leg 2 buys back what the legs hold: leg 1 may end short (its rest below the venue's
        // minimum), and so may an earlier leg 2; buying trade.quantity would grow both venues'
        // positions cycle after cycle
        const buyBack = BigDecimal.negate(legsHeld)
        if (BigDecimal.isPositive(buyBack)) {
          yield* logLine(() => `sleeping ${params.betweenLegsSleepMs / 1000} s...`)
          yield* Effect.sleep(params.betweenLegsSleepMs)
          legsHeld = BigDecimal.sum(legsHeld, yield* makerLeg(n, 2, "buy", buyBack))
        } else yield* logLine(() => `[Cycle ${n}] leg 1 sold nothing: no leg 2`)
        if (params.maxCycles > 0 && n >= params.maxCycles) {
          yield* logLine(() => `[Cycle ${n}] done, last cycle (max_cycles ${params.maxCycles})`)
          return
        }
        yield* logLine(() => `[Cycle ${n}] done, next cycle in ${params.cycleSleepMs / 1000} s...`)
        yield* Effect.sleep(params.cycleSleepMs)
      })

    /** what the wind-down could not do, told once at its end (with what is unhedged then) */
    let cancelFailure: string | undefined

    /** A stop's first step: the working maker order cancelled and its last fills counted. */
    const cancelWorkingOnStop = Effect.gen(function*() {
      const open = yield* Ref.get(working)
      if (Option.isSome(open)) {
        // an order whose placement was cut short is looked up by client id: it may rest anyway
        const orderId = open.value.orderId ??
          (yield* maker.queryOrder({ clientId: open.value.clientId }).pipe(
            Effect.map((order): string | undefined => order.id),
            Effect.catchTag("UnknownOrder", () => Effect.succeed(undefined))
          ))
        if (orderId !== undefined) {
          const final = yield* cancelTracked(maker, orderId, retry)
          // the kill switch and the journal hear of its last fills before the residual's hedge
          if (!BigDecimal.isZero(exposure.absorbMakerOrder(final))) yield* reportExposure
          yield* Effect.log(`stopping: cancelled ${makerName} order ${final.id} (${formatDecimal(final.filledQty)} filled)`)
        }
        yield* Ref.set(working, Option.none())
      }
    }).pipe(
      // what filled is hedged whatever became of the cancel; the next start's reconciliation finds an order left resting
      Effect.catchAll((error) =>
        Effect.zipRight(
          Effect.logError(`stopping: could not cancel the ${makerName} order (${error.message}): it may still rest, and a fill of it would be unhedged until the next start reconciles`),
          Effect.sync(() => void (cancelFailure = `could not cancel the ${makerName} order: ${error.message}`))
        )
      )
    )

    /**
     * On any exit: cancel the working order, count its last fills, hedge what can be hedged. What
     * it could not do is told once, at its end, with what is unhedged then: a residual it could not
     * hedge outweighs an order it could not cancel.
     */
    const windDown = Effect.gen(function*() {
      yield* cancelWorkingOnStop
      const hedged = yield* hedgeNow(cycleNow, legNow, undefined, windDownRetry, "retry").pipe(
        Effect.as(undefined),
        Effect.catchAll((error) =>
          Effect.as(
            Effect.logError(`stopping: could not wind down cleanly: ${error.message}; unhedged ${formatDecimal(exposure.unhedged)}`),
            `could not hedge the residual: ${error.message}`
          )
        )
      )
      if (hedged === undefined) {
        const left = exposure.unhedged
        yield* Effect.log(
          BigDecimal.isZero(left) ? "stopping: flat across venues" : `stopping: ${formatDecimal(left)} left unhedged (below the ${hedgeName} minimum order size)`
        )
      }
      const failure = hedged !== undefined ? { step: "hedge" as const, reason: hedged } : cancelFailure !== undefined ? { step: "cancel" as const, reason: cancelFailure } : undefined
      if (failure !== undefined) {
        yield* observer.windDownFailed?.({
          ...failure,
          unhedged: exposure.unhedged,
          ...(hedgeInFlight !== undefined ? { hedgeInDoubt: hedgeInFlight.clientId } : {}),
          ts: yield* now
        }) ?? Effect.void
      }
    })

    /**
     * Before the first cycle: the maker position a stop between the legs left (hedged on the other
     * venue) is traded back to zero by legs on the side that reduces it, as "cycle 0"; what is too
     * small to trade on both venues stays.
     */
    const unwindAtStart = Effect.gen(function*() {
      const position = yield* maker.position.pipe(
        Effect.retry({ schedule: retry, while: isTransient }),
        Effect.map(Option.some),
        Effect.catchAll((error) => Effect.as(Effect.logWarning(`[Unwind] could not read the ${makerName} position (${error.message}): the first cycle starts as usual`), Option.none()))
      )
      if (Option.isNone(position)) return
      let left = position.value.qty
      if (BigDecimal.isZero(left) && params.unwindOnly === true) yield* Effect.log(`[Unwind] ${makerName} position 0: nothing to unwind`)
      let legs = 0
      // flat (the usual start): no price is read
      while (!BigDecimal.isZero(left)) {
        // prices asked for again as the position was: a blip must not fail the start
        const makerTicker = yield* retryOnFailure(maker.ticker, retry, isTransient)
        const hedgeTicker = yield* retryOnFailure(hedge.ticker, retry, isTransient)
        const leg = unwindLeg(left, quantity, markets.maker, markets.hedge, makerTicker.last, hedgeSizingPrice(hedgeTicker))
        if (leg === undefined) break
        if (legs > 0) {
          yield* Effect.log(`sleeping ${params.betweenLegsSleepMs / 1000} s...`)
          yield* Effect.sleep(params.betweenLegsSleepMs)
        }
        yield* Effect.log(
          `[Unwind] ${makerName} position ${formatDecimal(left)} is a hedged pair left by an interrupted run: ${leg.side} ${formatDecimal(leg.qty)} first, hedged on ${hedgeName} (${params.unwindOnly === true ? "--unwind-only" : "trade.unwind_at_start"})`
        )
        yield* fundingGuard(0, "[Unwind]")
        const filled = yield* makerLeg(0, leg.side === "sell" ? 1 : 2, leg.side, leg.qty)
        // what the leg traded, which new filters may have cut short
        left = BigDecimal.sum(left, signedQty(leg.side, filled))
        legs += 1
        if (!BigDecimal.isPositive(filled)) break
      }
      if (!BigDecimal.isZero(left)) {
        yield* Effect.log(`[Unwind] ${makerName} position ${formatDecimal(left)} is left as it is: too small to trade on both venues`)
      }
      // the first cycle follows as a cycle follows a leg 2; --unwind-only ends here
      if (legs > 0 && params.unwindOnly !== true) {
        yield* Effect.log(`[Unwind] done, first cycle in ${params.cycleSleepMs / 1000} s...`)
        yield* Effect.sleep(params.cycleSleepMs)
      }
    })

    let n = 0
    const cycles = Effect.suspend(() => cycle(++n)).pipe(Effect.repeat({ while: () => params.maxCycles === 0 || n < params.maxCycles }))
    const work = params.unwindOnly === true ? unwindAtStart : params.unwindAtStart ? Effect.zipRight(unwindAtStart, cycles) : cycles
    yield* work.pipe(Effect.ensuring(windDown))
    return { cycles: n, unhedged: exposure.unhedged }
  })

const BPS = decimal("10000")

/**
 * What a hedge did, for the trader watching: e.g. `[Leg1] ASTER market buy 10 executed at 2.0007
 * on average (ask seen 2.0005: 1 bps slippage)`. Slippage is what was paid beyond the quote seen
 * when sending (a sell: received below it), as the report counts it.
 */
export const hedgeExecutedLine = (leg: 1 | 2, venueName: string, sent: { readonly side: Side; readonly qty: Decimal }, placed: Order, referencePrice: Decimal, instrument: Instrument): string => {
  const average = divideToScale(placed.filledQuote, placed.filledQty, decimalsOf(instrument.tickSize) + 2)
  const part = BigDecimal.lessThan(placed.filledQty, sent.qty) ? ` of ${formatDecimal(sent.qty)}` : ""
  const seen = `${sent.side === "buy" ? "ask" : "bid"} seen ${formatDecimal(referencePrice)}`
  const atReference = BigDecimal.multiply(referencePrice, placed.filledQty)
  const beyond = BigDecimal.multiply(BigDecimal.subtract(placed.filledQuote, atReference), sent.side === "buy" ? BPS : BigDecimal.negate(BPS))
  const slippage = BigDecimal.isPositive(referencePrice) ? `: ${formatDecimal(divideToScale(beyond, atReference, 2))} bps slippage` : ""
  return `[Leg${leg}] ${venueName} market ${sent.side} ${formatDecimal(placed.filledQty)}${part} executed at ${formatDecimal(average)} on average (${seen}${slippage})`
}

/** last × (1 ± offset/100) on the tick grid, rounded and clamped so it rests passively. */
export const limitPrice = (
  instrument: Instrument,
  side: Side,
  last: Decimal,
  bid: Decimal,
  ask: Decimal,
  offsetPercent: Decimal
): Decimal => {
  const factor = BigDecimal.unsafeDivide(offsetPercent, HUNDRED)
  const raw = BigDecimal.multiply(last, side === "sell" ? BigDecimal.sum(decimal("1"), factor) : BigDecimal.subtract(decimal("1"), factor))
  const price = passivePrice(instrument, side, raw)
  // the nearest price on the grid that does not cross: a quote may be off the grid (orders
  // resting from before the venue coarsened its tick), so it is not simply bid + tick
  if (side === "sell") {
    const floor = BigDecimal.sum(roundToStep(bid, instrument.tickSize, "floor"), instrument.tickSize)
    return BigDecimal.isPositive(bid) && BigDecimal.lessThan(price, floor) ? floor : price
  }
  const ceiling = BigDecimal.subtract(roundToStep(ask, instrument.tickSize, "ceil"), instrument.tickSize)
  return BigDecimal.isPositive(ask) && BigDecimal.greaterThan(price, ceiling) ? ceiling : price
}

/** The configured quantity must be tradable as is on both venues. */
const validateQuantity = (quantity: Decimal, maker: Instrument, hedge: Instrument, makerPrice: Decimal, hedgePrice: Decimal): Effect.Effect<void, StrategyConfigError> => {
  const problems = quantityProblems(quantity, maker, hedge, makerPrice, hedgePrice)
  return problems.length === 0
    ? Effect.void
    : Effect.fail(new StrategyConfigError({ reason: `trade.quantity cannot be traded: ${problems.join("; ")}` }))
}
