/**
 * The local Backpack WebSocket: one session per connection, SUBSCRIBE / UNSUBSCRIBE of the public
 * `bookTicker.<symbol>`, `trade.<symbol>` and `depth.<symbol>` (numbered with the REST depth, see
 * depth-sequence.ts) streams and of the signed private
 * `account.orderUpdate[.<symbol>]` stream. Every outgoing stream message passes the fault plan
 * (`Faults.socket`, see ../socket-faults.ts): dropped, sent twice, held back behind the next one,
 * or the connection closed instead.
 */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Socket from "@effect/platform/Socket"
import { Effect, Either, Queue, Schema, type Scope } from "effect"
import { WsRequest } from "../../../adapters/backpack/schemas"
import { sendWithFaults } from "../socket-faults"
import type { Faults, LocalAccounts, LocalMarketEvent, LocalVenue } from "../types"
import { authenticateSubscription } from "./auth"
import type { DepthSequence } from "./depth-sequence"
import { bookTickerOf, depthUpdateOf, orderUpdateOf, type StreamMessage, tradeOf } from "./render"
import type { Reply } from "./replies"

export interface StreamDeps {
  readonly venue: LocalVenue
  readonly faults: Faults
  readonly accounts: LocalAccounts
  /** the venue's numbered book, shared with the REST depth */
  readonly depth: DepthSequence
}

const decoder = new TextDecoder()
const decodeRequest = Schema.decodeUnknownEither(Schema.parseJson(WsRequest))

/** Close code of a connection dropped by the fault plan ("service restart": clients reconnect). */
const FAULT_CLOSE_CODE = 1012

/** Serves one upgraded connection until either side closes it. */
export const backpackStream = (deps: StreamDeps): Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest | Scope.Scope> =>
  Effect.gen(function*() {
    const { venue, faults, accounts } = deps
    const symbol = venue.instrument.symbol
    const socket = yield* HttpServerRequest.upgrade
    const write = yield* socket.writer
    const outbox = yield* Queue.unbounded<StreamMessage>()
    const subscribed = new Set<string>()
    /** what to stop when a stream fed by a listener is unsubscribed */
    const listenerStreams = new Map<string, () => void>()
    let bookUpdateId = 0

    const publish = (message: StreamMessage | undefined) => {
      if (message !== undefined && subscribed.has(message.stream)) Queue.unsafeOffer(outbox, message)
    }
    const stopMarket = venue.onMarket((event: LocalMarketEvent) => {
      if (event.kind === "quote") publish(bookTickerOf(symbol, event, ++bookUpdateId, venue.now()))
      else if (event.kind === "trade") publish(tradeOf(symbol, event, venue.now()))
    })
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        stopMarket()
        for (const stop of listenerStreams.values()) stop()
      })
    )

    const reply = (id: unknown, refusal: Reply) => {
      const body = refusal.body as { readonly code: string; readonly message: string }
      return write(JSON.stringify({ id: id ?? null, error: { code: body.code, message: body.message } }))
    }

    const subscribe = (stream: string, request: typeof WsRequest.Type) =>
      Effect.gen(function*() {
        if (subscribed.has(stream)) return
        if (stream === `bookTicker.${symbol}` || stream === `trade.${symbol}`) {
          subscribed.add(stream)
          return
        }
        if (stream === `depth.${symbol}`) {
          subscribed.add(stream)
          listenerStreams.set(stream, deps.depth.onDelta((delta) => publish(depthUpdateOf(symbol, delta, venue.now()))))
          return
        }
        if (stream === "account.orderUpdate" || stream === `account.orderUpdate.${symbol}`) {
          const auth = authenticateSubscription(accounts, venue.now(), request.signature)
          if (Either.isLeft(auth)) return yield* reply(request.id, auth.left)
          subscribed.add(stream)
          listenerStreams.set(stream, venue.onOrderUpdate(auth.right.account, (update) => publish(orderUpdateOf(stream, update, venue.now()))))
          return
        }
        yield* reply(request.id, { status: 400, body: { code: "INVALID_CLIENT_REQUEST", message: `Invalid stream ${stream}` } })
      })

    const unsubscribe = (stream: string) =>
      Effect.sync(() => {
        subscribed.delete(stream)
        listenerStreams.get(stream)?.()
        listenerStreams.delete(stream)
      })

    const onRequest = (data: string | Uint8Array) =>
      Either.match(decodeRequest(typeof data === "string" ? data : decoder.decode(data)), {
        onLeft: () => reply(null, { status: 400, body: { code: "INVALID_CLIENT_REQUEST", message: "Invalid request" } }),
        onRight: (request) =>
          Effect.forEach(request.params, (stream) => (request.method === "SUBSCRIBE" ? subscribe(stream, request) : unsubscribe(stream)), { discard: true })
      }).pipe(Effect.catchAll(() => Effect.void))

    /** Sends what the venue publishes, through the fault plan; a "disconnect" ends the session. */
    const sender = sendWithFaults({
      venue: venue.venue,
      faults,
      outbox,
      textOf: (message) => JSON.stringify(message),
      send: write,
      close: write(new Socket.CloseEvent(FAULT_CLOSE_CODE, "connection dropped (fault plan)"))
    })

    yield* Effect.forkScoped(Effect.catchAll(sender, () => Effect.void))
    yield* socket.runRaw(onRequest).pipe(Effect.catchAll(() => Effect.void))
    return HttpServerResponse.empty()
  }).pipe(
    Effect.catchTag("RequestError", () => Effect.succeed(HttpServerResponse.text("expected a WebSocket upgrade", { status: 400 })))
  )
