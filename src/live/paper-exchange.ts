/**
 * Paper trading: the venue's real market data, our orders matched by the backtest's engine in an
 * in-process venue book instead of being sent. The strategy cannot tell: it gets an Exchange.
 *
 * The book is fed the live best bid/ask (polled from the live adapter's ticker); the public feed
 * carries no trade sizes through the Exchange service, so resting orders fill when the opposite
 * quote reaches them (conservative: volume trading at our price without moving the quote does
 * not fill us). Market orders fill against the quoted size and the impact model beyond it.
 *
 * Funding (perps) follows the venue's own clock: its announced rate and mark price are read
 * every half minute and once more just before each funding time, which then settles the paper
 * position at them (`fundingPayments`, collected by the runner as a live venue's history is).
 */
import { Effect, type Scope } from "effect"
import { decimal, decimalsOf, toUnits } from "../core/domain/decimal"
import type { OrderUpdate } from "../core/domain/order"
import type { Exchange } from "../core/exchange"
import type { SimVenueParams } from "../core/config/config"
import { makeUpdateMailbox } from "../adapters/common/update-mailbox"
import { bookExchange } from "../sim/local-exchange/book-exchange"
import { makeLocalVenue } from "../sim/local-exchange/venue-book"
import { settleFundingOnTime } from "./funding-clock"

const ACCOUNT = "paper"
const QUOTE_POLL_MS = 250

export interface PaperOptions {
  readonly fees: SimVenueParams
  /** quote-asset starting balance (perps: margin; spot: buying power) */
  readonly startingQuote?: string
  readonly startingBase?: string
  /** how often the live quote is read into the book (default 250 ms) */
  readonly quotePollMs?: number
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
    const updates = makeUpdateMailbox<OrderUpdate>()
    const unsubscribe = book.onOrderUpdate(ACCOUNT, updates.offer)
    yield* Effect.addFinalizer(() => Effect.sync(unsubscribe))

    // the live quote drives the book; a failed poll just waits for the next one
    const units = (value: Parameters<typeof toUnits>[0], scale: number) => Number(toUnits(value, scale))
    const feedOnce = Effect.flatMap(live.ticker, (t) =>
      Effect.sync(() => book.feed.quote(Date.now() * 1000, units(t.bid, priceScale), 0, units(t.ask, priceScale), 0))
    ).pipe(Effect.catchAll(() => Effect.void))
    yield* feedOnce
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(options.quotePollMs ?? QUOTE_POLL_MS), feedOnce)))
    if (instrument.kind === "perp" && live.fundingQuote !== undefined) {
      yield* Effect.forkScoped(settleFundingOnTime(live.fundingQuote, (quote) => book.feed.settleFunding(quote.fundingTime, quote.rate, quote.markPrice), "paper funding"))
    }

    const exchange: Exchange = {
      ...bookExchange(book, ACCOUNT, {
        ticker: live.ticker,
        nextUpdate: updates.take,
        nextFundingTime: live.nextFundingTime
      }),
      ...(instrument.kind === "perp" && live.fundingQuote !== undefined
        ? {
          fundingQuote: live.fundingQuote,
          fundingPayments: (sinceMs: number) => Effect.sync(() => book.fundingPayments(ACCOUNT).filter((payment) => payment.ts >= sinceMs))
        }
        : {}),
      // the venue's own market messages (a recording of a paper run keeps them)
      ...(live.watchMarket !== undefined ? { watchMarket: live.watchMarket } : {})
    }
    return exchange
  })
