/**
 * Aster's WebSocket streams over a LocalVenue, served by upgrading an HTTP request:
 * - the user data stream `/ws/<listenKey>`: ORDER_TRADE_UPDATE / executionReport for each order
 *   update, ACCOUNT_UPDATE / outboundAccountPosition after each fill, `listenKeyExpired` (then the
 *   connection closes) once the key lapses or is closed;
 * - market streams `/ws/<symbol>@bookTicker|@aggTrade|@depth<5|10|20>[@100ms|@500ms]` (raw; spot's books at 100 ms or its default only) and
 *   `/stream?streams=a/b` (combined, `{"stream","data"}`), with live SUBSCRIBE / UNSUBSCRIBE /
 *   LIST_SUBSCRIPTIONS. A partial book is sent after each quote, whatever speed was asked for.
 * Every outgoing message first asks `Faults.socket(venue, stream)`: drop, duplicate, disconnect or
 * reorder (held back behind the next message; see ../socket-faults.ts).
 * Fault stream names: `user.orderUpdate`, `user.accountUpdate`, `user.listenKeyExpired`, and the
 * market stream names themselves (e.g. `asterusdt@bookTicker`).
 */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Socket from "@effect/platform/Socket"
import { Duration, Effect, Queue, type Scope } from "effect"
import { formatDecimal } from "../../../core/domain/decimal"
import { sendWithFaults } from "../socket-faults"
import type { Faults, LocalMarketEvent, LocalVenue } from "../types"
import type { ListenKeys } from "./listen-keys"
import { accountEvent, type AsterMarket, entryPriceOf, type IdMap, orderEvent, unrealizedOf } from "./wire"

interface Outgoing {
  readonly stream: string
  readonly text: string
  /** close the connection after this one */
  readonly last?: boolean
}

const decoder = new TextDecoder()
/** partial books at the speeds each market serves: futures 250 (the default), 500 or 100 ms; spot 1000 (the default) or 100 ms */
const partialDepth = {
  futures: /^([a-z0-9]+)@depth(5|10|20)(?:@(?:100|250|500)ms)?$/,
  spot: /^([a-z0-9]+)@depth(5|10|20)(?:@100ms)?$/
}

/**
 * Upgrades the request and runs the connection until either side closes it: `outbox` is what to
 * send (each message through the fault plan), `onText` answers what the client sends.
 */
const serveSocket = (
  venue: LocalVenue,
  faults: Faults,
  outbox: Queue.Queue<Outgoing>,
  onText: (text: string, reply: (text: string) => Effect.Effect<void>) => Effect.Effect<void>
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest | Scope.Scope> =>
  Effect.gen(function*() {
    const socket = yield* HttpServerRequest.upgrade
    const write = yield* socket.writer
    const send = (text: string) => Effect.ignore(write(text))
    const close = Effect.ignore(write(new Socket.CloseEvent(1001, "closed by the local exchange")))
    const sender = sendWithFaults({ venue: venue.venue, faults, outbox, textOf: (message) => message.text, send, close, isLast: (message) => message.last === true })
    yield* Effect.forkScoped(sender)
    yield* socket.runRaw((data) => onText(typeof data === "string" ? data : decoder.decode(data), send)).pipe(Effect.ignore)
    return HttpServerResponse.empty()
  }).pipe(
    Effect.catchTag("RequestError", () => Effect.succeed(HttpServerResponse.text("expected a WebSocket upgrade", { status: 400 })))
  )

export interface UserStreamDeps {
  readonly venue: LocalVenue
  readonly market: AsterMarket
  readonly faults: Faults
  readonly keys: ListenKeys
  readonly ids: IdMap
  readonly tradeIds: IdMap
}

/** `/ws/<listenKey>` for `account`. */
export const serveUserStream = (deps: UserStreamDeps, account: string, listenKey: string) =>
  Effect.gen(function*() {
    const { venue, market } = deps
    const outbox = yield* Queue.unbounded<Outgoing>()
    const push = (stream: string, payload: unknown, last?: boolean) =>
      Queue.unsafeOffer(outbox, { stream, text: JSON.stringify(payload), ...(last ? { last } : {}) })
    // the venue calls its listeners synchronously, inside the request that caused the update
    yield* Effect.acquireRelease(
      Effect.sync(() =>
        venue.onOrderUpdate(account, (update) => {
          if (update.order.symbol !== venue.instrument.symbol) return
          const now = venue.now()
          push("user.orderUpdate", orderEvent(market, update, deps.ids, deps.tradeIds, now))
          if (update.fill !== undefined) {
            push("user.accountUpdate", accountEvent(market, venue.instrument.symbol, venue.balances(account), unrealizedOf(venue, account), venue.position(account), entryPriceOf(venue.fills(account)), now))
          }
        })
      ),
      (unsubscribe) => Effect.sync(unsubscribe)
    )
    // a lapsed or closed key ends the stream, as on the venue
    yield* Effect.forkScoped(
      Effect.gen(function*() {
        while (deps.keys.accountOf(listenKey) === account) yield* Effect.sleep(Duration.millis(250))
        push("user.listenKeyExpired", { e: "listenKeyExpired", E: venue.now() }, true)
      })
    )
    return yield* serveSocket(venue, deps.faults, outbox, () => Effect.void)
  })

export interface MarketStreamDeps {
  readonly venue: LocalVenue
  readonly market: AsterMarket
  readonly faults: Faults
}

/** Market streams: `combined` wraps each payload as `{"stream","data"}`. */
export const serveMarketStreams = (deps: MarketStreamDeps, initial: ReadonlyArray<string>, combined: boolean) =>
  Effect.gen(function*() {
    const { venue, market } = deps
    const symbol = venue.instrument.symbol
    const name = symbol.toLowerCase()
    const subscribed = new Set(initial)
    const outbox = yield* Queue.unbounded<Outgoing>()
    /** the book's update id: one more on each change of the book (a quote, a depth snapshot) */
    let updateId = 0
    /** each partial-book stream's last `u`: its next event's `pu` (futures), so its events chain */
    const lastDepthId = new Map<string, number>()
    const push = (stream: string, data: unknown) => {
      if (!subscribed.has(stream)) return
      Queue.unsafeOffer(outbox, { stream, text: JSON.stringify(combined ? { stream, data } : data) })
    }
    /**
     * partial books (`@depth5|10|20`, at a speed the market serves): the best levels after each change of the
     * book, `u` the book's update id, `pu` the stream's previous `u` and `U` the first id after it
     */
    const pushDepths = (now: number) => {
      for (const stream of subscribed) {
        const match = partialDepth[market].exec(stream)
        if (match === null || match[1] !== name) continue
        const book = venue.depth(Number(match[2]))
        const levels = (side: typeof book.bids) => side.map(([p, q]) => [formatDecimal(p), formatDecimal(q)])
        const u = updateId
        const pu = lastDepthId.get(stream) ?? u - 1
        lastDepthId.set(stream, u)
        push(stream, market === "futures"
          ? { e: "depthUpdate", E: now, T: book.ts, s: symbol, U: pu + 1, u, pu, b: levels(book.bids), a: levels(book.asks) }
          : { e: "depthUpdate", E: now, T: book.ts, s: symbol, U: pu + 1, u, pu, bids: levels(book.bids), asks: levels(book.asks) })
      }
    }
    const onMarket = (event: LocalMarketEvent) => {
      const now = venue.now()
      if (event.kind === "quote") {
        const book = { u: ++updateId, s: symbol, b: formatDecimal(event.bid), B: formatDecimal(event.bidQty), a: formatDecimal(event.ask), A: formatDecimal(event.askQty) }
        // spot's bookTicker has no e / E / T
        push(`${name}@bookTicker`, market === "futures" ? { e: "bookTicker", u: book.u, E: now, T: event.ts, s: symbol, b: book.b, B: book.B, a: book.a, A: book.A } : book)
        pushDepths(now)
      } else if (event.kind === "depth") {
        updateId += 1
        pushDepths(now)
      } else {
        push(`${name}@aggTrade`, {
          e: "aggTrade",
          E: now,
          s: symbol,
          a: event.tradeId,
          p: formatDecimal(event.price),
          q: formatDecimal(event.qty),
          f: event.tradeId,
          l: event.tradeId,
          T: event.ts,
          // the buyer made the market when the taker sold
          m: event.takerSide === "sell",
          ...(market === "spot" ? { M: true } : {})
        })
      }
    }
    yield* Effect.acquireRelease(Effect.sync(() => venue.onMarket(onMarket)), (unsubscribe) => Effect.sync(unsubscribe))

    const onText = (text: string, reply: (text: string) => Effect.Effect<void>) => {
      let request: { method?: unknown; params?: unknown; id?: unknown }
      try {
        request = JSON.parse(text) as typeof request
      } catch {
        return reply(JSON.stringify({ code: 3, msg: "Invalid JSON: expected value at line 1 column 1" }))
      }
      const id = typeof request.id === "number" && Number.isInteger(request.id) && request.id >= 0 ? request.id : undefined
      if (id === undefined) return reply(JSON.stringify({ code: 2, msg: "Invalid request: request ID must be an unsigned integer" }))
      const params = Array.isArray(request.params) ? request.params.filter((p): p is string => typeof p === "string") : []
      switch (request.method) {
        case "SUBSCRIBE":
          params.forEach((p) => subscribed.add(p))
          return reply(JSON.stringify({ result: null, id }))
        case "UNSUBSCRIBE":
          // subscribed again later, a partial book starts a new chain
          params.forEach((p) => {
            subscribed.delete(p)
            lastDepthId.delete(p)
          })
          return reply(JSON.stringify({ result: null, id }))
        case "LIST_SUBSCRIPTIONS":
          return reply(JSON.stringify({ result: [...subscribed], id }))
        default:
          return reply(JSON.stringify({ code: 2, msg: `Invalid request: unknown variant ${String(request.method)}, expected one of SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY` }))
      }
    }
    return yield* serveSocket(venue, deps.faults, outbox, onText)
  })
