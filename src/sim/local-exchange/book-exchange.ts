/**
 * The Exchange service over one account of an in-process venue book: orders are matched at once
 * by the backtest's engine and refusals become the typed errors a venue's would. Paper trading
 * feeds such a book the live quotes; tests drive one by hand. What the book cannot say by itself
 * (the ticker, the order stream's wait, the funding clock) the caller gives.
 */
import { BigDecimal, Effect } from "effect"
import type { Order } from "../../core/domain/order"
import { InsufficientBalance, OrderRejected, UnknownOrder } from "../../core/errors"
import type { Exchange } from "../../core/exchange"
import type { LocalVenue } from "./types"

export type BookExchangeParts = Pick<Exchange, "ticker" | "nextUpdate" | "nextFundingTime">

/**
 * A refusal as the venue's error, as the live adapters map the venues' own: a post-only order
 * that would have crossed says so, and a balance the account lacks is InsufficientBalance (a spot
 * sell then sells what the account holds, src/core/strategy/spot-sell-shortfall.ts).
 */
export const refusalOf = (venue: LocalVenue, order: Order & { readonly rejectCode?: string }): OrderRejected | InsufficientBalance =>
  order.rejectCode === "insufficientBalance"
    ? new InsufficientBalance({ venue: venue.venue, reason: (order.rejectReason ?? "").replace(/^insufficient balance: /, "") || "the account lacks the funds" })
    : new OrderRejected({
      venue: venue.venue,
      reason: order.rejectReason ?? "rejected",
      ...(order.rejectCode !== undefined ? { code: order.rejectCode } : {}),
      ...(order.rejectCode === "postOnly" ? { wouldTake: true } : {})
    })

export const bookExchange = (book: LocalVenue, account: string, parts: BookExchangeParts): Exchange => {
  const venue = book.venue
  return {
    venue,
    // read per call: the book's filters may change while it runs
    instrument: Effect.sync(() => book.instrument),
    ticker: parts.ticker,
    placeLimit: (request) =>
      Effect.suspend(() => {
        const order = book.placeLimit(account, request)
        return order.status === "rejected" ? Effect.fail(refusalOf(book, order)) : Effect.succeed(order)
      }),
    placeMarket: (request) =>
      Effect.suspend(() => {
        const order = book.placeMarket(account, request)
        // a market order that executed part of its size before running out is an answer, not a refusal
        return order.status === "rejected" && BigDecimal.isZero(order.filledQty) ? Effect.fail(refusalOf(book, order)) : Effect.succeed(order)
      }),
    cancel: (orderId) =>
      Effect.suspend(() => {
        const order = book.cancel(account, { orderId })
        return order === undefined ? Effect.fail(new UnknownOrder({ venue, orderId })) : Effect.succeed(order)
      }),
    queryOrder: (ref) =>
      Effect.suspend(() => {
        const order = book.order(account, ref)
        return order === undefined ? Effect.fail(new UnknownOrder({ venue, orderId: "orderId" in ref ? ref.orderId : ref.clientId })) : Effect.succeed(order)
      }),
    openOrders: Effect.sync(() => book.openOrders(account)),
    nextUpdate: parts.nextUpdate,
    position: Effect.sync(() => ({ venue, symbol: book.instrument.symbol, qty: book.position(account) })),
    balances: Effect.sync(() => book.balances(account)),
    nextFundingTime: parts.nextFundingTime
  }
}
