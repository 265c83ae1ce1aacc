/**
 * Order calls whose outcome can be unknown. A timeout or a 5xx (`VenueUnavailable`) does not say
 * whether the venue took the order, so before anything is sent again the order is looked up by
 * its client id; only an order the venue has never seen is sent again. Rate limits are waited
 * out (their Retry-After). Every retry follows the given Schedule.
 */
import { Duration, Effect, Schedule } from "effect"
import { isOpenStatus, type LimitOrderRequest, type MarketOrderRequest, type Order } from "../domain/order"
import { type ExchangeError, type InsufficientBalance, type OrderRejected, UnknownOrder, VenueUnavailable } from "../errors"
import type { Exchange } from "../exchange"

/** An outcome unknown (timeout, 5xx) or a rate limit: worth asking again. */
export const isTransient = (error: ExchangeError) => error._tag === "VenueUnavailable" || error._tag === "RateLimited"

/**
 * A rate limit's Retry-After, as a schedule: asked again sooner, a venue answers 429 again (and
 * may ban the key). Aster's adapter also holds every request until then; Backpack's does not.
 */
const waitOutRateLimit = Schedule.identity<ExchangeError>().pipe(
  Schedule.addDelay((error) => Duration.millis(error._tag === "RateLimited" ? error.retryAfterMs ?? 0 : 0))
)

/**
 * `Effect.retry`, set up only once a first attempt has failed: the schedule sees that failure
 * first, so delays and attempt counts are exactly `Effect.retry`'s (a rate limit's attempt comes
 * no sooner than its Retry-After), while a call that succeeds at once (nearly every call, and on a
 * hedge's critical path) pays nothing for the schedule.
 */
export const retryOnFailure = <A, R>(
  effect: Effect.Effect<A, ExchangeError, R>,
  schedule: Schedule.Schedule<unknown, unknown>,
  retryWhile: (error: ExchangeError) => boolean
): Effect.Effect<A, ExchangeError, R> =>
  Effect.catchIf(effect, retryWhile, (first) =>
    Effect.suspend(() => {
      let replayFirst = true
      const again = Effect.suspend(() => {
        if (!replayFirst) return effect
        replayFirst = false
        return Effect.fail(first)
      })
      return Effect.retry(again, { schedule: Schedule.intersect(schedule, waitOutRateLimit), while: retryWhile })
    }))

/** Sends once; after an unknown outcome, asks the venue about the client id instead of resending. */
const placeOnce = (venue: Exchange, clientId: string, send: Effect.Effect<Order, ExchangeError>) => {
  let outcomeUnknown = false
  return Effect.suspend(() =>
    outcomeUnknown
      ? venue.queryOrder({ clientId }).pipe(
        // an order the venue refused (an earlier attempt under this client id) is as good as unsent
        Effect.filterOrFail((order) => order.status !== "rejected", () => new UnknownOrder({ venue: venue.venue, orderId: clientId })),
        Effect.catchTag("UnknownOrder", () => {
          // the venue never saw it: sending again cannot double it
          outcomeUnknown = false
          return send
        })
      )
      : send
  ).pipe(
    Effect.tapErrorTag("VenueUnavailable", () =>
      Effect.sync(() => {
        outcomeUnknown = true
      })
    )
  )
}

export const placeLimitTracked = (venue: Exchange, request: LimitOrderRequest, retry: Schedule.Schedule<unknown, unknown>) =>
  retryOnFailure(placeOnce(venue, request.clientId, venue.placeLimit(request)), retry, isTransient)

/**
 * Market orders also retry venue rejections, margin included (a hedge must not be given up on
 * lightly), unless `retryRejections` says otherwise for one of them.
 */
export const placeMarketTracked = (
  venue: Exchange,
  request: MarketOrderRequest,
  retry: Schedule.Schedule<unknown, unknown>,
  retryRejections: boolean | ((refusal: OrderRejected | InsufficientBalance) => boolean)
) =>
  retryOnFailure(
    placeOnce(venue, request.clientId, venue.placeMarket(request)),
    retry,
    (error) =>
      isTransient(error) ||
      ((error._tag === "OrderRejected" || error._tag === "InsufficientBalance") && (typeof retryRejections === "boolean" ? retryRejections : retryRejections(error)))
  )

/** An order still open where it should have ended: asked about again, as an unknown outcome is. */
const stillOpen = (venue: Exchange, order: Order, what: string) =>
  new VenueUnavailable({ venue: venue.venue, reason: `${what}: order ${order.id} still reads ${order.status}` })

/** After a cancel of unknown outcome: the order as it reads now if it has ended, else `error` (asked again). */
const readBackAfterCancel = (venue: Exchange, orderId: string, error: VenueUnavailable) =>
  venue.queryOrder({ orderId }).pipe(Effect.flatMap((order) => (isOpenStatus(order.status) ? Effect.fail(error) : Effect.succeed(order))))

/**
 * Cancels and returns the order's final state (fills that raced the cancel included). An order
 * the venue no longer knows as open, or whose cancel it refused, is read back instead (a refused
 * cancel of one still open is sent again); after an unknown outcome the order is
 * read back (so after an answer that could not be read), and cancelled again only if still open. A cancel the venue answered before carrying
 * it out (the order still open) is asked about again too: until the order has ended, its fills
 * may still come, and another order of the leg would double them.
 */
export const cancelTracked = (venue: Exchange, orderId: string, retry: Schedule.Schedule<unknown, unknown>) =>
  retryOnFailure(
    venue.cancel(orderId).pipe(
      Effect.catchTag("UnknownOrder", () => venue.queryOrder({ orderId })),
      // an answer lost or garbled (cut short, not JSON): the cancel may have been carried out all the same
      Effect.catchTags({
        VenueUnavailable: (error) => readBackAfterCancel(venue, orderId, error),
        InvalidResponse: (error) => readBackAfterCancel(venue, orderId, new VenueUnavailable({ venue: venue.venue, reason: `cancel of ${orderId}: ${error.message}` })),
        // a cancel refused (a 400 whose code we do not know: the order just filled, or busy
        // matching): an order that has ended is simply read back; one still open is asked again
        OrderRejected: (error) => readBackAfterCancel(venue, orderId, new VenueUnavailable({ venue: venue.venue, reason: `cancel of ${orderId} refused: ${error.message}` }))
      }),
      Effect.filterOrElse((order) => !isOpenStatus(order.status), (order) => Effect.fail(stillOpen(venue, order, "cancel not carried out yet")))
    ),
    retry,
    isTransient
  )

/**
 * The final state of an order answered while still open (a market order the venue had not
 * finished executing): read back until it has ended and, if it is still open once the schedule
 * has passed, what it has not executed is cancelled. It is never sent again.
 */
export const finalStateOf = (venue: Exchange, order: Order, retry: Schedule.Schedule<unknown, unknown>): Effect.Effect<Order, ExchangeError> =>
  !isOpenStatus(order.status)
    ? Effect.succeed(order)
    : retryOnFailure(
      Effect.filterOrElse(venue.queryOrder({ orderId: order.id }), (read) => !isOpenStatus(read.status), (read) => Effect.fail(stillOpen(venue, read, "not ended yet"))),
      retry,
      isTransient
    ).pipe(Effect.orElse(() => cancelTracked(venue, order.id, retry)))
