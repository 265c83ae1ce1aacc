/**
 * Paper trading: the venue's real market data, our orders matched by the backtest's engine in an
 * in-process venue book instead of being sent. The strategy cannot tell: it gets an Exchange.
 *
 * The book is fed what the venue streams (`watchMarket`): every book ticker with its sizes, every
 * trade with its taker side, and the venue's book when the adapter keeps one (a recording with
 * depth), each stamped with the time it arrived, exactly as a recording of the same minutes would
 * be replayed by a backtest. So a resting order joins the queue the venue shows at its price,
 * moves up as others trade there, and fills when a trade or the opposite quote reaches it; a
 * market order fills against the quoted size (or the book) and the impact model beyond it. The
 * queue model, impact, slippage and assumed sizes are the config's (`sim:`), as in a backtest.
 * While the stream is quiet the ticker is polled instead: prices it shows moved are fed with their
 * sizes unknown (the engine assumes them); unchanged ones keep the sizes the stream showed.
 *
 * The venue's filters and market state are re-read when asked (`refreshInstrument`): the book
 * checks new orders against them from then on, and a market that takes no orders fills none.
 *
 * With `latency` (the config's `sim.*_latency_ms`, as a backtest of the same config uses them), an
 * order, a cancel or a lookup reaches the book only after its trip to the venue and its answer
 * comes back after the response's trip, in real time: the market moves on meanwhile, as it does
 * for a live order. Once a request has reached the book it is not taken back: an interruption
 * then waits for its answer, as a request already sent would have been carried out.
 *
 * Funding (perps) follows the venue's own clock: its announced rate and mark price are read
 * every half minute and once more just before each funding time, which then settles the paper
 * position at them (`fundingPayments`, collected by the runner as a live venue's history is).
 */
import { Duration, Effect, type Scope } from "effect"
import { type Decimal, decimal, decimalsOf, toUnits } from "../core/domain/decimal"
import type { MarketEvent } from "../core/domain/market"
import type { OrderUpdate } from "../core/domain/order"
import { InvalidResponse } from "../core/errors"
import type { Exchange } from "../core/exchange"
import type { SimVenueParams } from "../core/config/config"
import { makeUpdateMailbox } from "../adapters/common/update-mailbox"
import { bookExchange } from "../sim/local-exchange/book-exchange"
import { makeLocalVenue } from "../sim/local-exchange/venue-book"
import type { BookModels } from "../sim/models/book-models"
import type { LatencyModel } from "../sim/models/latency"
import { settleFundingOnTime } from "./funding-clock"

const ACCOUNT = "paper"
const QUOTE_POLL_MS = 250
/** the stream counts as quiet (the ticker is polled) when it has sent no book ticker for this long */
const STREAM_QUIET_MS = 1000

export interface PaperOptions {
  readonly fees: SimVenueParams
  /** the config's queue, impact and slippage models (src/sim/models/book-models.ts); absent: the config's defaults */
  readonly models?: BookModels
  /** quote-asset starting balance (perps: margin; spot: buying power) */
  readonly startingQuote?: string
  readonly startingBase?: string
  /** how often the live quote is read into the book while the venue's stream is quiet (default 250 ms) */
  readonly quotePollMs?: number
  /** requests' trips to the book and back (µs); absent: the book answers at once */
  readonly latency?: LatencyModel
}

const microseconds = (us: number) => Duration.millis(us / 1000)

/**
 * `request` carried out after the trip there, its answer (a refusal too) handed back after the
 * trip back. The first trip may be interrupted (nothing was sent); from the book on, not.
 */
const afterTrips = <A, E>(there: () => number, back: () => number, request: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  Effect.zipRight(
    Effect.suspend(() => Effect.sleep(microseconds(there()))),
    Effect.uninterruptible(Effect.flatten(Effect.zipLeft(Effect.exit(request), Effect.suspend(() => Effect.sleep(microseconds(back()))))))
  )

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
      ...options.models,
      startingBalances: () =>
        new Map([
          [instrument.quote, decimal(options.startingQuote ?? "100000")],
          [instrument.base, decimal(options.startingBase ?? "0")]
        ])
    })
    const updates = makeUpdateMailbox<OrderUpdate>()
    const unsubscribe = book.onOrderUpdate(ACCOUNT, updates.offer)
    yield* Effect.addFinalizer(() => Effect.sync(unsubscribe))

    const units = (value: Decimal, scale: number) => Number(toUnits(value, scale))
    const levels = (side: ReadonlyArray<readonly [Decimal, Decimal]>) => side.map(([p, q]) => [units(p, priceScale), units(q, qtyScale)] as const)
    let lastStreamQuote = Number.NEGATIVE_INFINITY
    /** One streamed message into the book, stamped on arrival; one off the venue's grid is skipped. */
    const onMarket = (event: MarketEvent) => {
      const nowUs = Date.now() * 1000
      try {
        switch (event._tag) {
          case "Quote": {
            const q = event.quote
            book.feed.quote(nowUs, units(q.bid, priceScale), units(q.bidQty, qtyScale), units(q.ask, priceScale), units(q.askQty, qtyScale))
            lastStreamQuote = Date.now()
            return
          }
          case "Trade": {
            const t = event.trade
            book.feed.trade(nowUs, units(t.price, priceScale), units(t.qty, qtyScale), t.takerSide === "buy")
            return
          }
          case "Depth":
            book.feed.depth(nowUs, { bids: levels(event.depth.bids), asks: levels(event.depth.asks) })
            return
        }
      } catch {
        // a price or size finer than the instrument's filters cannot be a real book level
      }
    }
    if (live.watchMarket !== undefined) yield* live.watchMarket(onMarket)

    /**
     * The polled ticker into the book. A book ticker stream sends only on change, so a quiet stream
     * may be a healthy one over a still market: the ticker then shows the book's prices, whose sizes
     * the stream told and a backtest of the recording keeps; nothing is fed. Prices that moved mean
     * the stream is behind (or dropped): they are fed, a moved side's size unknown (the engine
     * assumes it), a side still at its price keeping the size known for it.
     */
    const feedPolled = (bid: number, ask: number) => {
      const engine = book.engine
      if (bid === engine.bid && ask === engine.ask) return
      book.feed.quote(Date.now() * 1000, bid, bid === engine.bid ? engine.bidQty : 0, ask, ask === engine.ask ? engine.askQty : 0)
    }
    // while the stream is quiet the ticker is read instead; a failed read just waits for the next
    // one, and an answer overtaken by a stream quote is dropped (its prices are older than the book's)
    const feedOnce = Effect.suspend(() => {
      if (Date.now() - lastStreamQuote < STREAM_QUIET_MS) return Effect.void
      const streamedBefore = lastStreamQuote
      return Effect.flatMap(live.ticker, (t) =>
        Effect.sync(() => {
          if (lastStreamQuote === streamedBefore) feedPolled(units(t.bid, priceScale), units(t.ask, priceScale))
        }))
    }).pipe(Effect.catchAllCause(() => Effect.void))
    yield* feedOnce
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(options.quotePollMs ?? QUOTE_POLL_MS), feedOnce)))
    if (instrument.kind === "perp" && live.fundingQuote !== undefined) {
      yield* Effect.forkScoped(settleFundingOnTime(live.fundingQuote, (quote) => book.feed.settleFunding(quote.fundingTime, quote.rate, quote.markPrice), "paper funding"))
    }

    const atBook = bookExchange(book, ACCOUNT, {
      ticker: live.ticker,
      nextUpdate: updates.take,
      nextFundingTime: live.nextFundingTime
    })
    const latency = options.latency
    const exchange: Exchange = {
      ...atBook,
      ...(latency !== undefined
        ? {
          placeLimit: (request) => afterTrips(latency.submit, latency.response, atBook.placeLimit(request)),
          placeMarket: (request) => afterTrips(latency.submit, latency.response, atBook.placeMarket(request)),
          cancel: (orderId) => afterTrips(latency.cancel, latency.response, atBook.cancel(orderId)),
          queryOrder: (ref) => afterTrips(latency.submit, latency.response, atBook.queryOrder(ref)),
          openOrders: afterTrips(latency.submit, latency.response, atBook.openOrders)
        } satisfies Partial<Exchange>
        : {}),
      ...(instrument.kind === "perp" && live.fundingQuote !== undefined
        ? {
          fundingQuote: live.fundingQuote,
          fundingPayments: (sinceMs: number) => Effect.sync(() => book.fundingPayments(ACCOUNT).filter((payment) => payment.ts >= sinceMs))
        }
        : {}),
      // the live venue's new filters and market state, which the book checks new orders against from
      // then on (a closed market fills nothing); filters finer than the book's units (the decimals of
      // the filters at the start) fail and leave the old ones
      ...(live.refreshInstrument !== undefined
        ? {
          refreshInstrument: Effect.flatMap(live.refreshInstrument, (fresh) =>
            Effect.try({
              try: () => {
                // the market state first: a closed market takes no orders even when its new filters cannot be taken
                if (fresh.trading !== undefined) book.adoptMarketTrading(fresh.trading)
                return book.changeFilters({ tickSize: fresh.tickSize, stepSize: fresh.stepSize, minQty: fresh.minQty, minNotional: fresh.minNotional })
              },
              catch: (cause) => new InvalidResponse({ venue: live.venue, detail: `the paper book cannot take the venue's new filters: ${cause instanceof Error ? cause.message : String(cause)}` })
            }))
        }
        : {}),
      // the venue's own market messages (a recording of a paper run keeps them)
      ...(live.watchMarket !== undefined ? { watchMarket: live.watchMarket } : {})
    }
    return exchange
  })
