/**
 * The live Backpack venue as the core Exchange service. REST (client.ts) places, cancels and looks
 * orders up; one managed WebSocket carries the book ticker, the public trades (the last price) and
 * the signed `account.orderUpdate.<symbol>` stream, whose messages feed `nextUpdate`. Messages may
 * come twice or out of order: an order's cumulative filled quantity never goes backwards and a
 * closed order never reopens. After every reconnect the open orders are read again over REST and
 * whatever changed during the gap is emitted; while the private stream is down (and before its
 * first connection) that same read runs every `pollWhileDownMs`, so fills keep coming. With
 * `depthEveryMs`, the same socket also carries the incremental depth stream (depth-stream.ts).
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Socket from "@effect/platform/Socket"
import { BigDecimal, Deferred, Duration, Effect, Either, Layer, Option, ParseResult, Schema, type Scope } from "effect"
import type { HedgeConfig } from "../../core/config/config"
import type { Decimal } from "../../core/domain/decimal"
import type { Fill, Order, OrderStatus, OrderUpdate } from "../../core/domain/order"
import { type ExchangeError, InvalidResponse } from "../../core/errors"
import { type Exchange, MakerVenue } from "../../core/exchange"
import { makeMarketTaps } from "../common/market-taps"
import { runManagedSocket } from "../common/managed-socket"
import { makeUpdateMailbox } from "../common/update-mailbox"
import { makeWarningLimiter } from "../common/warning-limiter"
import { startStreamFallback } from "../common/stream-fallback"
import { type BackpackRestOptions, makeBackpackClient } from "./client"
import { startDepthStream } from "./depth-stream"
import { fillFromUpdate, orderFromUpdate, WsBookTicker, WsDepth, WsEnvelope, WsErrorMessage, WsOrderUpdate, WsTrade } from "./schemas"
import type { InvalidBackpackKey } from "./signing"

const VENUE = "backpack" as const
/** silence after which the stream's connection is taken for dead and replaced */
const STREAM_IDLE = Duration.seconds(60)
const RESUBSCRIBE_AFTER = Duration.seconds(30)
const MAX_RESUBSCRIBE_DELAY_MS = 10 * 60_000

// ---------------------------------------------------------------------------------------------
// Own orders: what the stream and REST told us, merged so nothing goes backwards
// ---------------------------------------------------------------------------------------------

const isClosed = (status: OrderStatus) => status !== "new" && status !== "partially-filled"
const stage = (status: OrderStatus) => (status === "new" ? 0 : status === "partially-filled" ? 1 : 2)
/** Closed orders kept for late and duplicate messages; older ones are forgotten. */
const KEEP_CLOSED = 1000

/** The later of two views of one order: the larger cumulative fill, and the further status. */
export const mergeOrder = (known: Order, seen: Order): Order => {
  const advanced = BigDecimal.greaterThan(seen.filledQty, known.filledQty)
  // the first closing status wins (a late "accepted" cannot reopen it)
  const status = stage(seen.status) > stage(known.status) ? seen.status : known.status
  return {
    ...known,
    ...(known.price === undefined && seen.price !== undefined ? { price: seen.price } : {}),
    filledQty: advanced ? seen.filledQty : known.filledQty,
    filledQuote: advanced ? seen.filledQuote : known.filledQuote,
    status,
    updatedAt: Math.max(known.updatedAt, seen.updatedAt)
  }
}

/**
 * The orders this session placed, as last known. REST answers are merged silently (the caller
 * already has them); stream messages and reconnect resyncs are merged and, when they tell
 * something new, returned as the update to emit. A fill is emitted once per trade id.
 */
export class OwnOrders {
  private readonly orders = new Map<string, Order>()
  private readonly trades = new Map<string, Set<string>>()
  private readonly closed: Array<string> = []

  get(orderId: string): Order | undefined {
    return this.orders.get(orderId)
  }

  open(): ReadonlyArray<Order> {
    return [...this.orders.values()].filter((order) => !isClosed(order.status))
  }

  /** Merges a REST answer and returns the freshest state of the order. */
  absorb(order: Order): Order {
    return this.store(order).merged
  }

  /** Merges a stream message or resync; the update to emit, if it says anything new. */
  apply(order: Order, fill?: Fill): OrderUpdate | undefined {
    const { before, merged } = this.store(order)
    if (fill !== undefined) {
      const seen = this.trades.get(order.id) ?? new Set<string>()
      this.trades.set(order.id, seen)
      if (seen.has(fill.tradeId)) return undefined
      seen.add(fill.tradeId)
      return { order: merged, fill }
    }
    if (before === undefined) return { order: merged }
    const changed = merged.status !== before.status || !BigDecimal.equals(merged.filledQty, before.filledQty)
    return changed ? { order: merged } : undefined
  }

  private store(order: Order): { readonly before: Order | undefined; readonly merged: Order } {
    const before = this.orders.get(order.id)
    const merged = before === undefined ? order : mergeOrder(before, order)
    this.orders.set(order.id, merged)
    if (isClosed(merged.status) && (before === undefined || !isClosed(before.status))) {
      this.closed.push(order.id)
      if (this.closed.length > KEEP_CLOSED) {
        const forgotten = this.closed.shift()!
        this.orders.delete(forgotten)
        this.trades.delete(forgotten)
      }
    }
    return { before, merged }
  }
}

// ---------------------------------------------------------------------------------------------
// The exchange
// ---------------------------------------------------------------------------------------------

export interface BackpackExchangeOptions extends BackpackRestOptions {
  /** default: wss://ws.backpack.exchange for the venue's API host, else the base URL's own host */
  readonly wsUrl?: string
  /** how long start-up waits for the first subscription before carrying on over REST (default 10 s) */
  readonly streamReadyTimeoutMs?: number
  /** first reconnection delay of the WebSocket (default: the managed socket's, 200 ms) */
  readonly reconnectDelay?: Duration.DurationInput
  /** public data only (paper trading): no private subscription, no signed request unless an order method is called */
  readonly marketDataOnly?: boolean
  /** while the order stream is down, our orders are read over REST this often (default 1000 ms; 0 = never) */
  readonly pollWhileDownMs?: number
  /** a connection silent this long is taken for half-open and replaced (default 60 s) */
  readonly streamIdleTimeout?: Duration.DurationInput
  /** a refused private subscription is tried again this long after (default 30 s), then twice as long each time, up to 10 min */
  readonly resubscribeAfter?: Duration.DurationInput
  /**
   * For the market's watchers (a recording): the book's best DEPTH_LEVELS levels a side, kept from
   * the `depth.<symbol>` stream and handed over when it changes, at most once per this many ms
   * while it keeps changing. Default: no depth.
   */
  readonly depthEveryMs?: number
}

/** The venue's stream host for its API host; a local venue serves both on one port. */
export const backpackWsUrl = (baseUrl: string): string => {
  const url = new URL(baseUrl)
  if (url.hostname === "api.backpack.exchange") return "wss://ws.backpack.exchange"
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:"
  url.pathname = "/"
  url.search = ""
  return url.toString()
}

interface MarketView {
  readonly book?: { readonly ts: number; readonly bid: Decimal; readonly ask: Decimal }
  readonly last?: Decimal
}

/**
 * A stream message that does not fit becomes an InvalidResponse naming the first bad field.
 * Synchronous: stream messages are decoded as they arrive, without a fiber (a fill's hot path).
 */
const decodeStream = <A, I>(schema: Schema.Schema<A, I>, data: unknown, stream: string): Either.Either<A, InvalidResponse> =>
  Either.mapLeft(Schema.decodeUnknownEither(schema)(data), (error) => {
    const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
    const field = issue && issue.path.length > 0 ? issue.path.map(String).join(".") : "(message)"
    return new InvalidResponse({ venue: VENUE, detail: `stream ${stream}: field ${field}: ${issue?.message ?? error.message}` })
  })

/** A refusal: decoded, since its `id` may be null (a type guard on the decoded form would refuse that) */
const streamError = Schema.decodeUnknownOption(WsErrorMessage)

export const makeBackpackExchange = (
  config: Pick<HedgeConfig["maker"], "baseUrl" | "symbol" | "publicKey" | "secretKey" | "windowMs">,
  options: BackpackExchangeOptions = {}
): Effect.Effect<Exchange, ExchangeError | InvalidBackpackKey, Scope.Scope | HttpClient.HttpClient | Socket.WebSocketConstructor> =>
  Effect.gen(function*() {
    const client = yield* makeBackpackClient(config, options)
    const symbol = config.symbol
    yield* client.clock.resync
    // base, quote and kind: a venue's filter change leaves them as they are
    const instrument = yield* client.instrument

    const own = new OwnOrders()
    const updates = makeUpdateMailbox<OrderUpdate>()
    /** what the public streams said last (written as messages arrive, synchronously) */
    let market: MarketView = {}
    const taps = makeMarketTaps()
    const subscribed = yield* Deferred.make<void>()

    const depth = options.depthEveryMs !== undefined && options.depthEveryMs > 0 ? yield* startDepthStream({ client, taps, everyMs: options.depthEveryMs }) : undefined

    const emitNow = (update: OrderUpdate | undefined) => {
      if (update !== undefined) updates.offer(update)
    }
    const emit = (update: OrderUpdate | undefined) => Effect.sync(() => emitNow(update))

    /** Ours = placed by this session (by client id) or already known by order id. */
    const onOrderUpdate = (msg: WsOrderUpdate) => {
      if (msg.s !== symbol || (!client.clientIds.isOwn(msg.c) && own.get(msg.i) === undefined)) return
      const known = own.get(msg.i)
      const order = orderFromUpdate(msg, known?.clientId ?? client.clientIds.nameOf(msg.c), known)
      emitNow(own.apply(order, fillFromUpdate(msg)))
    }

    // a message we cannot read is logged and skipped; the next resync covers it. The market streams
    // send many a second: their repeats are counted, not each logged
    const limitedWarning = makeWarningLimiter()
    const skipped = (error: InvalidResponse, stream?: string) =>
      stream === undefined || stream.startsWith("account.") ? Effect.logWarning(`backpack stream: ${error.message}`) : limitedWarning(stream, `backpack stream: ${error.message}`)

    /** private subscriptions refused in a row: the next is tried later each time (none once one brings an update) */
    let refusalsInARow = 0
    const resubscribeAfterMs = Duration.toMillis(options.resubscribeAfter ?? RESUBSCRIBE_AFTER)

    /** a message that could not be read may have been one of our fills: our orders are read again */
    const resyncAfterMiss = Effect.suspend(() => fallback?.missed ?? Effect.void)

    /** Handles a message as it arrives; only what needs logging, a fallback switch or a new connection returns an Effect. */
    const onMessage = (text: string): Effect.Effect<void, string> | undefined => {
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        return Effect.zipRight(skipped(new InvalidResponse({ venue: VENUE, detail: `stream: malformed JSON: ${text.slice(0, 200)}` }), "malformed JSON"), resyncAfterMiss)
      }
      // only a message carrying `error` is decoded as one: every price message passes here
      const refusal = typeof json === "object" && json !== null && "error" in json ? streamError(json) : Option.none()
      if (Option.isSome(refusal)) {
        // a refused private subscription leaves the socket up with no order updates on it: poll
        // (and a connection still resyncing must not then say the stream is up)
        refusedConnection = connectionNumber
        const { code, message } = refusal.value.error
        if (fallback === undefined) return Effect.logError(`backpack stream refused a request: ${code}: ${message}`)
        // and subscribe again later, on a new connection signed afresh on the venue's clock measured
        // again (the refusal may be a drifted clock's, or the venue's moment); later each time it is refused
        const retryInMs = Math.min(resubscribeAfterMs * 2 ** refusalsInARow, MAX_RESUBSCRIBE_DELAY_MS)
        refusalsInARow += 1
        return Effect.logError(
          `backpack stream refused a request: ${code}: ${message}; our orders are read over REST meanwhile, and the order stream subscribed again in ${Math.round(retryInMs / 1000)} s`
        ).pipe(
          Effect.zipRight(fallback.down),
          Effect.zipRight(Effect.sleep(retryInMs)),
          Effect.zipRight(client.resyncClock.pipe(Effect.catchAll(() => Effect.void))),
          Effect.zipRight(Effect.fail("subscribing again after a refused subscription"))
        )
      }
      const envelope = decodeStream(WsEnvelope, json, "envelope")
      if (Either.isLeft(envelope)) return skipped(envelope.left, "envelope")
      const { stream, data } = envelope.right
      if (stream === `bookTicker.${symbol}`) {
        const tick = decodeStream(WsBookTicker, data, stream)
        if (Either.isLeft(tick)) return skipped(tick.left, stream)
        const t = tick.right
        market = { ...market, book: { ts: t.T ?? t.E, bid: t.b, ask: t.a } }
        taps.publish(() => ({ _tag: "Quote", quote: { venue: VENUE, ts: t.T ?? t.E, bid: t.b, bidQty: t.B, ask: t.a, askQty: t.A } }))
      } else if (stream === `trade.${symbol}`) {
        const trade = decodeStream(WsTrade, data, stream)
        if (Either.isLeft(trade)) return skipped(trade.left, stream)
        const t = trade.right
        market = { ...market, last: t.p }
        // `m`: the buyer was the maker, so the taker sold; a trade without it has no known side
        const maker = t.m
        if (maker !== undefined) taps.publish(() => ({ _tag: "Trade", trade: { venue: VENUE, ts: t.T ?? t.E, price: t.p, qty: t.q, takerSide: maker ? "sell" : "buy" } }))
      } else if (depth !== undefined && stream === depth.stream) {
        const message = decodeStream(WsDepth, data, stream)
        if (Either.isLeft(message)) return skipped(message.left, stream)
        return depth.onMessage(message.right)
      } else if (stream.startsWith("account.orderUpdate")) {
        // the subscription works
        refusalsInARow = 0
        const update = decodeStream(WsOrderUpdate, data, stream)
        if (Either.isLeft(update)) return Effect.zipRight(skipped(update.left), resyncAfterMiss)
        onOrderUpdate(update.right)
      }
      return undefined
    }

    /** What changed while the stream was down: open orders again, and the final state of the rest. */
    const resync = Effect.gen(function*() {
      const open = yield* client.openOrders
      const stillOpen = new Set(open.map((order) => order.id))
      // ours: known by id, or placed by this session (an order whose answer was lost counts too)
      for (const order of open) if (own.get(order.id) !== undefined || client.clientIds.knows(order.clientId)) yield* emit(own.apply(order))
      for (const order of own.open()) {
        if (stillOpen.has(order.id)) continue
        const closed = yield* client.queryOrder({ orderId: order.id }).pipe(
          // the venue has forgotten it: nothing to tell, and no reason to drop the stream again
          Effect.catchTag("UnknownOrder", () => Effect.as(Effect.logWarning(`backpack: order ${order.id} is neither open nor in the history`), undefined))
        )
        if (closed !== undefined) yield* emit(own.apply(closed))
      }
    })

    // while the private stream is down, the same resync polled over REST (not for public data only)
    const fallback = options.marketDataOnly === true
      ? undefined
      : yield* startStreamFallback({ name: "backpack order stream", every: Duration.millis(options.pollWhileDownMs ?? 1000), poll: resync })

    /** the connection under way (1 for the first), and the last one a request was refused on */
    let connectionNumber = 0
    let refusedConnection = 0
    const onOpen = (send: (text: string) => Effect.Effect<void>) =>
      Effect.gen(function*() {
        const connection = ++connectionNumber
        yield* send(JSON.stringify({ method: "SUBSCRIBE", params: [`bookTicker.${symbol}`, `trade.${symbol}`, ...(depth !== undefined ? [depth.stream] : [])] }))
        depth?.onSubscribed()
        if (fallback !== undefined) {
          const signature = yield* client.subscriptionSignature
          yield* send(JSON.stringify({ method: "SUBSCRIBE", params: [`account.orderUpdate.${symbol}`], signature }))
        }
        const reconnect = connection > 1
        if (fallback !== undefined) {
          // a first connection that comes after REST polling may have missed what changed since the last poll
          if (reconnect || (yield* fallback.polledWhileDown)) {
            yield* Effect.logInfo(`backpack stream ${reconnect ? "reconnected" : "connected"}; reading open orders again`)
            yield* resync
          }
          // refused while resyncing: the stream carries no order updates, so polling goes on
          if (refusedConnection !== connection) yield* fallback.up
        }
        yield* Deferred.succeed(subscribed, undefined)
      })

    yield* Effect.forkScoped(runManagedSocket<ExchangeError>({
      url: options.wsUrl ?? backpackWsUrl(config.baseUrl),
      onOpen,
      onMessage,
      onDisconnect: (reason) =>
        Effect.zipRight(
          Effect.zipRight(Effect.sync(() => {
            market = {}
            depth?.onDisconnect()
          }), fallback?.down ?? Effect.void),
          Effect.logWarning(`backpack stream dropped (${reason}); reconnecting`)
        ),
      ...(options.reconnectDelay !== undefined ? { initialDelay: options.reconnectDelay } : {}),
      // the book ticker talks many times a minute: a minute of silence is a half-open connection
      // (its pings never reach us), whose fills would never come and whose last book would be
      // served as the market; the reconnection resyncs our orders over REST
      idleTimeout: options.streamIdleTimeout ?? STREAM_IDLE
    }))
    yield* Deferred.await(subscribed).pipe(
      Effect.timeout(Duration.millis(options.streamReadyTimeoutMs ?? 10_000)),
      Effect.catchAll(() =>
        Effect.logWarning(`backpack stream not up yet: ${fallback !== undefined ? "our orders are read over REST until it is, " : ""}prices come over REST meanwhile`))
    )

    /** Stream prices when the socket has them, REST for whatever it does not. */
    const ticker = Effect.gen(function*() {
      const view = market
      const [book, last] = yield* Effect.all([
        view.book !== undefined ? Effect.succeed(view.book) : client.bookTop,
        view.last !== undefined ? Effect.succeed(view.last) : client.lastPrice
      ], { concurrency: 2 })
      // a trade may have arrived meanwhile: keep the stream's last price
      if (view.last === undefined && market.last === undefined) market = { ...market, last }
      return { ts: book.ts, bid: book.bid, ask: book.ask, last }
    })

    /** Spot has no position: the change of the base balance since start-up stands for it. */
    const baseHeld = Effect.map(client.balances, (balances) => {
      const base = balances.find((b) => b.asset === instrument.base)
      return base === undefined ? BigDecimal.fromBigInt(0n) : BigDecimal.sum(base.free, base.locked)
    })
    const startingBase = instrument.kind === "spot" && options.marketDataOnly !== true ? yield* baseHeld : undefined

    const exchange: Exchange = {
      venue: VENUE,
      // the client's kept instrument, which its placeLimit / placeMarket check orders against
      instrument: client.instrument,
      refreshInstrument: client.refreshInstrument,
      ticker,
      placeLimit: (request) => Effect.map(client.placeLimit(request), (order) => own.absorb(order)),
      placeMarket: (request) => Effect.map(client.placeMarket(request), (order) => own.absorb(order)),
      cancel: (orderId) => Effect.map(client.cancel(orderId), (order) => own.absorb(order)),
      queryOrder: (ref) => Effect.map(client.queryOrder(ref), (order) => (own.get(order.id) !== undefined ? own.absorb(order) : order)),
      orderFills: (order) => Effect.map(client.fills({ orderId: order.id }), (fills) => fills.filter((fill) => fill.orderId === order.id)),
      // client ids this session did not send read as the venue's number (they are hashed on the way out)
      openOrders: Effect.map(client.openOrders, (orders) => orders.map((order) => (own.get(order.id) !== undefined ? own.absorb(order) : order))),
      nextUpdate: updates.take,
      position: startingBase === undefined
        ? Effect.map(client.positionQty, (qty) => ({ venue: VENUE, symbol, qty }))
        : Effect.map(baseHeld, (held) => ({ venue: VENUE, symbol, qty: BigDecimal.subtract(held, startingBase) })),
      balances: client.balances,
      maxOrderQty: client.maxOrderQty,
      fundingPayments: (sinceMs) => (instrument.kind === "spot" ? Effect.succeed([]) : client.fundingPayments(sinceMs)),
      nextFundingTime: instrument.kind === "spot"
        ? Effect.succeedNone
        : Effect.map(client.markPrice, (mark) =>
          Option.flatMap(mark, (m) => (m.nextFundingTimestamp !== undefined && m.nextFundingTimestamp > 0 ? Option.some(m.nextFundingTimestamp) : Option.none()))),
      fundingQuote: instrument.kind === "spot"
        ? Effect.succeedNone
        : Effect.map(client.markPrice, (mark) =>
          Option.flatMap(mark, (m) =>
            m.nextFundingTimestamp !== undefined && m.nextFundingTimestamp > 0 && m.fundingRate !== undefined
              ? Option.some({ fundingTime: m.nextFundingTimestamp, rate: m.fundingRate, markPrice: m.markPrice })
              : Option.none())),
      watchMarket: taps.watch
    }
    return exchange
  })

/** The maker venue over live Backpack, its socket and fibers bound to the layer's scope. */
export const BackpackMakerVenue = (
  config: Pick<HedgeConfig["maker"], "baseUrl" | "symbol" | "publicKey" | "secretKey" | "windowMs">,
  options: BackpackExchangeOptions = {}
): Layer.Layer<MakerVenue, ExchangeError | InvalidBackpackKey, HttpClient.HttpClient | Socket.WebSocketConstructor> =>
  Layer.scoped(MakerVenue, makeBackpackExchange(config, options))
