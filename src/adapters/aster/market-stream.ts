/**
 * The best bid/ask and last trade from Aster's market streams (`<symbol>@bookTicker` and
 * `<symbol>@aggTrade` on one combined connection, and the best 10 levels when asked, for
 * recordings), for a ticker without a REST round trip. While
 * the connection is down, or before the book has spoken, there is no ticker: callers fall back
 * to REST rather than act on a stale book. A quiet market may trade rarely: once the book is known
 * on a connection, the last price is read over REST in the background (once, until the trade
 * stream keeps it fresh), so that no ticker read (a hedge's) waits for that round trip.
 */
import type * as Socket from "@effect/platform/Socket"
import { Deferred, Duration, Effect, Either, Fiber, Option, Ref, Schema, type Scope } from "effect"
import type { Decimal } from "../../core/domain/decimal"
import type { Ticker } from "../../core/domain/market"
import type { Venue } from "../../core/domain/venue"
import type { MarketTaps } from "../common/market-taps"
import { runManagedSocket } from "../common/managed-socket"
import { makeWarningLimiter } from "../common/warning-limiter"
import { AggTradeEvent, BookTickerEvent, CombinedStreamMessage, PartialDepthEvent } from "./schemas"

/** silence after which the market stream's connection is taken for dead and replaced */
const MARKET_STREAM_IDLE = Duration.seconds(60)

interface Seen {
  readonly bid?: Decimal
  readonly ask?: Decimal
  readonly last?: Decimal
  readonly ts: number
}

export interface TickerStream<E> {
  /** the ticker from the streams, or none while they cannot tell (the caller reads REST then) */
  readonly ticker: Effect.Effect<Option.Option<Ticker>, E>
  /** done once the streams have given a whole ticker (book and last price) for the first time */
  readonly ready: Effect.Effect<void>
}

const decodeMessage = Schema.decodeUnknownEither(Schema.parseJson(CombinedStreamMessage))
const decodeBook = Schema.decodeUnknownEither(BookTickerEvent)
const decodeTrade = Schema.decodeUnknownEither(AggTradeEvent)
const decodeDepth = Schema.decodeUnknownEither(PartialDepthEvent)

export const startTickerStream = <E>(
  streamUrl: string,
  symbol: string,
  venueNowMs: Effect.Effect<number>,
  restLast: Effect.Effect<Decimal, E>,
  /** where every book-ticker and trade message is also published (Exchange.watchMarket) */
  taps: { readonly venue: Venue; readonly taps: MarketTaps },
  /** also read the best 10 levels (`<symbol>@depth10@500ms`, on spot `<symbol>@depth10`) for the taps */
  withDepth = false,
  /** the market the streams are on: spot serves partial books at other speeds */
  market: "futures" | "spot" = "futures"
): Effect.Effect<TickerStream<E>, never, Scope.Scope | Socket.WebSocketConstructor> =>
  Effect.gen(function*() {
    const name = symbol.toLowerCase()
    const seen = yield* Ref.make<Seen>({ ts: 0 })
    const ready = yield* Deferred.make<void>()
    /** a last price read over REST, kept unless a trade (or another read) came first or the book was lost meanwhile */
    const keepLast = (last: Decimal) => Ref.update(seen, (now) => (now.last === undefined && now.bid !== undefined ? { ...now, last } : now))
    /**
     * The REST read of the last price, one at a time: whoever needs it while it runs (a ticker read
     * during the background one) waits for the same answer. It runs in the stream's scope, so a
     * caller interrupted meanwhile does not cut it short for the others.
     */
    const scope = yield* Effect.scope
    let reading: Fiber.RuntimeFiber<Decimal, E> | undefined
    const readLast = Effect.suspend(() => {
      if (reading !== undefined) return Fiber.join(reading)
      const read = Effect.ensuring(Effect.tap(restLast, keepLast), Effect.sync(() => (reading = undefined)))
      return Effect.flatMap(Effect.forkIn(read, scope), (fiber) => {
        if (fiber.unsafePoll() === null) reading = fiber
        return Fiber.join(fiber)
      })
    })
    /** the background read, started by a connection's first book; not again within a second of a failed one */
    let primeAgainAt = 0
    const primeLast = Effect.suspend(() => {
      if (reading !== undefined || Date.now() < primeAgainAt) return Effect.void
      return readLast.pipe(
        Effect.zipRight(markReady),
        Effect.catchAll((error) =>
          Effect.zipRight(
            Effect.sync(() => (primeAgainAt = Date.now() + 1000)),
            Effect.logDebug(`Aster market stream: reading the last price failed (${error instanceof Error ? error.message : String(error)}); a ticker read will try again`)
          ))
      )
    })
    let isReady = false
    const markReady = Effect.suspend(() =>
      isReady ? Effect.void : Effect.flatMap(Ref.get(seen), (s) => {
        if (s.bid === undefined || s.last === undefined) return Effect.void
        isReady = true
        return Deferred.succeed(ready, undefined)
      }))
    // futures serves the best levels every 500 ms; spot every 1000 ms (or 100 ms), not at 500
    const depthStream = withDepth ? (market === "spot" ? `${name}@depth10` : `${name}@depth10@500ms`) : undefined
    const skipped = makeWarningLimiter()

    const onMessage = (text: string) =>
      Effect.gen(function*() {
        const message = decodeMessage(text)
        if (Either.isLeft(message)) return yield* Effect.logDebug(`Aster market stream: skipped ${text.slice(0, 120)}`)
        const { stream, data } = message.right
        const now = yield* venueNowMs
        if (stream === `${name}@bookTicker`) {
          const book = decodeBook(data)
          if (Either.isRight(book)) {
            const b = book.right
            const ts = b.T ?? b.E ?? now
            const known = yield* Ref.updateAndGet(seen, (s) => ({ ...s, bid: b.b, ask: b.a, ts }))
            taps.taps.publish(() => ({ _tag: "Quote", quote: { venue: taps.venue, ts, bid: b.b, bidQty: b.B, ask: b.a, askQty: b.A } }))
            yield* known.last === undefined ? primeLast : markReady
          }
        } else if (stream === depthStream) {
          const depth = decodeDepth(data)
          if (Either.isRight(depth)) {
            const d = depth.right
            const levels = "b" in d ? { bids: d.b, asks: d.a, ts: d.T ?? d.E } : { bids: d.bids, asks: d.asks, ts: d.T ?? d.E ?? now }
            taps.taps.publish(() => ({ _tag: "Depth", depth: { venue: taps.venue, ...levels } }))
          } else {
            // a recording would hold no book: said, not dropped in silence
            yield* skipped(stream, `Aster market stream ${stream}: a message that does not read as a partial book was skipped: ${JSON.stringify(data).slice(0, 120)}`)
          }
        } else if (stream === `${name}@aggTrade`) {
          const trade = decodeTrade(data)
          if (Either.isRight(trade)) {
            const t = trade.right
            yield* Ref.update(seen, (s) => ({ ...s, last: t.p, ts: Math.max(s.ts, t.T) }))
            yield* markReady
            // `m`: the buyer was the maker, so the taker sold
            taps.taps.publish(() => ({ _tag: "Trade", trade: { venue: taps.venue, ts: t.T, price: t.p, qty: t.q, takerSide: t.m ? "sell" : "buy" } }))
          }
        }
      })

    yield* Effect.forkScoped(runManagedSocket({
      url: `${streamUrl}/stream?streams=${[`${name}@bookTicker`, `${name}@aggTrade`, ...(depthStream !== undefined ? [depthStream] : [])].join("/")}`,
      onOpen: () => Effect.void,
      onMessage,
      onDisconnect: (reason) => Effect.zipRight(Ref.set(seen, { ts: 0 }), Effect.logWarning(`Aster market stream dropped (${reason}); using REST until it is back`)),
      // book tickers and trades talk many times a second: a minute of silence is a half-open
      // connection (its pings never reach us), whose last book must not be served as the market
      idleTimeout: MARKET_STREAM_IDLE
    }))

    // a read before the background one has answered waits for it (or starts it)
    const ticker = Effect.gen(function*() {
      const s = yield* Ref.get(seen)
      if (s.bid === undefined || s.ask === undefined) return Option.none<Ticker>()
      const last = s.last ?? (yield* readLast)
      return Option.some({ ts: s.ts, bid: s.bid, ask: s.ask, last })
    })
    return { ticker, ready: Deferred.await(ready) }
  })
