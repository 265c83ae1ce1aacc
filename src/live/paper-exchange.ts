/**
 * Paper trading: the venue's real market data, our orders matched by the backtest's engine in an
 * in-process venue book instead of being sent. The strategy cannot tell: it gets an Exchange.
 *
 * The book is fed the live best bid/ask (polled from the live adapter's ticker); the public feed
 * carries no trade sizes through the Exchange service, so resting orders fill when the opposite
 * quote reaches them (conservative: volume trading at our price without moving the quote does
 * not fill us). Market orders fill against the quoted size and the impact model beyond it.
 */
import { Duration, Effect, Queue, type Scope } from "effect"
import { decimal, decimalsOf, toUnits } from "../core/domain/decimal"
import type { OrderUpdate } from "../core/domain/order"
import { OrderRejected, UnknownOrder } from "../core/errors"
import type { Exchange } from "../core/exchange"
import type { SimVenueParams } from "../core/config/config"
import { makeLocalVenue } from "../sim/local-exchange/venue-book"

const ACCOUNT = "paper"
const POLL = Duration.millis(250)

export interface PaperOptions {
  readonly fees: SimVenueParams
  /** quote-asset starting balance (perps: margin; spot: buying power) */
  readonly startingQuote?: string
  readonly startingBase?: string
}

export const makePaperExchange = (live: Exchange, options: PaperOptions): Effect.Effect<Exchange, never, Scope.Scope> =>
  Effect.gen(function*() {
    const instrument = yield* Effect.orDie(live.instrument)
    const priceScale = decimalsOf(instrument.tickSize)
    const qtyScale = decimalsOf(instrument.stepSize)
    const book = makeLocalVenue({
      instrument,
      priceScale,
      qtyScale,
      fees: { maker: options.fees.makerFee, taker: options.fees.takerFee },
      startingBalances: () =>
        new Map([
          [instrument.quote, decimal(options.startingQuote ?? "100000")],
          [instrument.base, decimal(options.startingBase ?? "0")]
        ])
    })
    const updates = yield* Queue.unbounded<OrderUpdate>()
    const unsubscribe = book.onOrderUpdate(ACCOUNT, (update) => Queue.unsafeOffer(updates, update))
    yield* Effect.addFinalizer(() => Effect.sync(unsubscribe))

    // the live quote drives the book; a failed poll just waits for the next one
    const units = (value: Parameters<typeof toUnits>[0], scale: number) => Number(toUnits(value, scale))
    const feedOnce = Effect.flatMap(live.ticker, (t) =>
      Effect.sync(() => book.feed.quote(Date.now() * 1000, units(t.bid, priceScale), 0, units(t.ask, priceScale), 0))
    ).pipe(Effect.catchAll(() => Effect.void))
    yield* feedOnce
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(POLL), feedOnce)))

    const refused = (order: { readonly rejectReason?: string | undefined; readonly rejectCode?: string | undefined }) =>
      new OrderRejected({
        venue: instrument.venue,
        reason: order.rejectReason ?? "rejected",
        ...(order.rejectCode !== undefined ? { code: order.rejectCode } : {}),
        ...(order.rejectCode === "postOnly" ? { wouldTake: true } : {})
      })

    const exchange: Exchange = {
      venue: instrument.venue,
      instrument: Effect.succeed(instrument),
      ticker: live.ticker,
      placeLimit: (request) =>
        Effect.suspend(() => {
          const order = book.placeLimit(ACCOUNT, request)
          return order.status === "rejected" ? Effect.fail(refused(order)) : Effect.succeed(order)
        }),
      placeMarket: (request) =>
        Effect.suspend(() => {
          const order = book.placeMarket(ACCOUNT, request)
          return order.status === "rejected" && order.filledQty.value === 0n ? Effect.fail(refused(order)) : Effect.succeed(order)
        }),
      cancel: (orderId) =>
        Effect.suspend(() => {
          const order = book.cancel(ACCOUNT, { orderId })
          return order === undefined ? Effect.fail(new UnknownOrder({ venue: instrument.venue, orderId })) : Effect.succeed(order)
        }),
      queryOrder: (ref) =>
        Effect.suspend(() => {
          const order = book.order(ACCOUNT, ref)
          return order === undefined
            ? Effect.fail(new UnknownOrder({ venue: instrument.venue, orderId: "orderId" in ref ? ref.orderId : ref.clientId }))
            : Effect.succeed(order)
        }),
      openOrders: Effect.sync(() => book.openOrders(ACCOUNT)),
      nextUpdate: (within) => Queue.take(updates).pipe(Effect.timeout(within), Effect.option),
      position: Effect.sync(() => ({ venue: instrument.venue, symbol: instrument.symbol, qty: book.position(ACCOUNT) })),
      balances: Effect.sync(() => book.balances(ACCOUNT)),
      nextFundingTime: live.nextFundingTime
    }
    return exchange
  })
