/**
 * The Backpack adapter's order stream when the venue refuses its private subscription (a refusal
 * carries `"id": null`), on a first connection and during a reconnection's resync: fills still
 * come, over REST, until a new connection subscribes again; a message handler's exception drops that connection only, as any drop; and a
 * half-open connection (silent, never said to drop) is replaced; a fill message delivered
 * unreadable is made up for by reading our orders again.
 * Each failed before its fix (c.f. the commit that added this file).
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Logger, Option } from "effect"
import { type BackpackExchangeOptions, backpackWsUrl, makeBackpackExchange } from "../src/adapters/backpack/exchange"
import { runManagedSocket } from "../src/adapters/common/managed-socket"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import type { OrderUpdate } from "../src/core/domain/order"
import type { Exchange } from "../src/core/exchange"
import { makeFakeLocalVenue, PERP } from "./support/fake-local-venue"
import { localBackpack, makerConfig, serveLocalBackpack, testKeys } from "./support/local-backpack"
import { type ScriptedFaults, scriptedFaults } from "./support/scripted-faults"

const platform = Layer.mergeAll(NodeHttpClient.layerUndici, NodeSocket.layerWebSocketConstructor)
const keys = testKeys(11)
const options: BackpackExchangeOptions = { timeoutMs: 1000, streamReadyTimeoutMs: 5000, reconnectDelay: Duration.millis(50), pollWhileDownMs: 300 }

const setUp = (adapterOptions: BackpackExchangeOptions = options) => localBackpack(adapterOptions)

const sell = (price: string, qty: string, clientId: string) =>
  ({ side: "sell", price: decimal(price), qty: decimal(qty), postOnly: true, timeInForce: "GTC", clientId }) as const

/** A sell of 5 at 1.0005 placed and resting, its acceptance come over the order stream (so the stream is up) and taken off `nextUpdate`. */
const restingSell = (exchange: Exchange, plan: ScriptedFaults, clientId: string) =>
  Effect.gen(function*() {
    const placed = yield* exchange.placeLimit(sell("1.0005", "5", clientId))
    yield* eventually(() => plan.messages.some((s) => s.startsWith("account.orderUpdate")))
    yield* Effect.sleep(Duration.millis(200))
    while (Option.isSome(yield* exchange.nextUpdate(Duration.millis(100)))) {
      // drain the acceptance
    }
    return placed
  })

/** Polls `check` every 20 ms for up to `ms`. */
const eventually = (check: () => boolean, ms = 3000) =>
  Effect.gen(function*() {
    for (let waited = 0; waited < ms; waited += 20) {
      if (check()) return
      yield* Effect.sleep(Duration.millis(20))
    }
    return yield* Effect.die(new Error(`condition not met within ${ms} ms`))
  })

/** The first update about `orderId` satisfying `done` within `ms`, or none. */
const updateWithin = (exchange: Exchange, orderId: string, done: (update: OrderUpdate) => boolean, ms: number) =>
  Effect.gen(function*() {
    const until = Date.now() + ms
    while (Date.now() < until) {
      const next = yield* exchange.nextUpdate(Duration.millis(Math.max(until - Date.now(), 1)))
      if (Option.isSome(next) && next.value.order.id === orderId && done(next.value)) return next
    }
    return Option.none<OrderUpdate>()
  })

describe("the Backpack order stream stays trustworthy", () => {
  // Was: the venue's refusal of a request on the socket, `{"id": null, "error": {...}}` (what the
  // local venue sends), is not recognised: `Schema.is(WsErrorMessage)` checks the Type side, where
  // `id` may be absent but not null. The refusal is logged as an unreadable envelope ("field stream:
  // is missing") and `fallback.down` never runs: with the private subscription refused on the
  // first connection, no fill is ever reported, neither by the stream nor by REST polling
  // (exchange.ts:158 / schemas.ts:344).
  it.scopedLive("a private subscription refused with id null (first connection): our fills come over REST", () =>
    Effect.gen(function*() {
      const venue = makeFakeLocalVenue()
      venue.quote("0.9990", "500", "1.0010", "400")
      venue.trade("1.0000", "3", "sell")
      const plan = scriptedFaults()
      const baseUrl = yield* serveLocalBackpack(venue, plan.faults)
      // the venue's clock moves 30 s on after the adapter measured it (while the socket opens):
      // the first private SUBSCRIBE is signed on the old offset and refused
      plan.http("GET /", { kind: "delay", ms: 400 })
      yield* Effect.fork(Effect.zipRight(eventually(() => plan.count("GET /") >= 1), Effect.sync(() => void (venue.skewMs = 30_000))))
      // no REST poll before that first connection (it would resync on connecting)
      const exchange = yield* makeBackpackExchange(makerConfig(baseUrl, keys, PERP.symbol), { ...options, pollWhileDownMs: 1000 })
      // the refusal has come
      yield* Effect.sleep(Duration.millis(300))
      const placed = yield* exchange.placeLimit(sell("1.0005", "5", "hl-a1"))
      expect(placed.status).toBe("new")
      venue.trade("1.0010", "5", "buy")
      const filled = yield* updateWithin(exchange, placed.id, (u) => u.order.status === "filled", 4000)
      expect(Option.map(filled, (u) => formatDecimal(u.order.filledQty))).toEqual(Option.some("5"))
    }).pipe(Effect.provide(platform)), 30_000)

  // Was: a private subscription refused while a reconnection's resync is running is forgotten:
  // the refusal's `fallback.down` comes first (a no-op, the stream is still down from the drop),
  // then onOpen's `fallback.up` stops the REST polling. The socket stays up with no order stream
  // and no polling: a fill is never reported (exchange.ts:271-277). Fails today for the id-null
  // refusal above too; with that fixed alone (checked on a patched copy) it still fails.
  it.scopedLive("a private subscription refused on a reconnection keeps the REST polling going: fills still arrive", () =>
    Effect.gen(function*() {
      const { venue, plan, exchange } = yield* setUp()
      const placed = yield* restingSell(exchange, plan, "hl-r1")
      // the venue's clock moves 30 s on (a drifted local clock): the next private SUBSCRIBE,
      // signed on the old offset, is refused; the reconnection's resync is slow to answer
      venue.skewMs = 30_000
      plan.http("GET /api/v1/orders", { kind: "delay", ms: 500 })
      plan.socket("bookTicker", { kind: "disconnect" })
      venue.quote("0.9990", "501", "1.0010", "400")
      // the reconnection has subscribed (and been refused) and resynced
      yield* eventually(() => plan.count("GET /api/v1/orders") >= 2, 5000)
      yield* Effect.sleep(Duration.millis(800))

      // the order fills: with the order stream refused, only REST can tell
      venue.trade("1.0010", "5", "buy")
      const filled = yield* updateWithin(exchange, placed.id, (u) => u.order.status === "filled", 4000)
      expect(Option.map(filled, (u) => formatDecimal(u.order.filledQty))).toEqual(Option.some("5"))
    }).pipe(Effect.provide(platform)), 30_000)

  // Was: a message handler that throws once ends the managed socket for good. connectOnce turns the
  // throw into a defect (managed-socket.ts:54), and runManagedSocket's `Effect.flip` only catches
  // failures: the defect ends its loop, with no reconnection and no onDisconnect (so no REST
  // polling either) - "a WebSocket that stays up: it reconnects with backoff after any drop".
  // One bad message (or a watchMarket listener's exception, run inside the handler) would leave
  // the Backpack adapter without its order stream for the rest of the run.
  it.scopedLive("a handler that throws on one message: the socket reconnects instead of ending for good", () =>
    Effect.gen(function*() {
      const venue = makeFakeLocalVenue()
      venue.quote("0.9990", "500", "1.0010", "400")
      const plan = scriptedFaults()
      const baseUrl = yield* serveLocalBackpack(venue, plan.faults)
      let opens = 0
      let messages = 0
      const drops: Array<string> = []
      const socket = yield* Effect.fork(runManagedSocket({
        url: backpackWsUrl(baseUrl),
        onOpen: (send) => Effect.zipRight(Effect.sync(() => void (opens += 1)), send(JSON.stringify({ method: "SUBSCRIBE", params: [`bookTicker.${PERP.symbol}`] }))),
        onMessage: () => {
          messages += 1
          if (messages === 1) throw new Error("a handler bug on one message")
        },
        onDisconnect: (reason) => Effect.sync(() => void drops.push(reason)),
        initialDelay: Duration.millis(20)
      }))
      yield* eventually(() => opens === 1)
      // the book changes until a message comes (the subscription may not have reached the venue
      // yet); the throwing message drops that connection (told as a drop), and the socket connects
      // again (waited for rather than timed: a loaded machine may take a while)
      let size = 500
      yield* eventually(() => {
        if (messages === 0) venue.quote("0.9990", String(++size), "1.0010", "400")
        return opens >= 2
      }, 10_000)
      const ended = yield* Fiber.poll(socket)
      yield* Fiber.interrupt(socket)
      expect(Option.isNone(ended)).toBe(true)
      expect(drops).toEqual([expect.stringMatching(/a message handler failed: a handler bug on one message/)])
    }).pipe(Effect.provide(platform)), 20_000)

  // Was: the Backpack socket had no idle watchdog (Aster's market stream has one): a half-open
  // connection, whose messages stop without a close, was kept for good; a fill on it was never
  // reported (until the leg's cancel answered it) and its last book was served as the market.
  it.scopedLive("a half-open connection (nothing arrives, no close) is replaced once silent for the idle timeout: a fill made meanwhile still comes", () =>
    Effect.gen(function*() {
      const { venue, plan, exchange } = yield* setUp({ ...options, streamIdleTimeout: Duration.millis(800) })
      const placed = yield* restingSell(exchange, plan, "hl-h1")
      const resyncsBefore = plan.count("GET /api/v1/orders")
      // from now on the connection delivers nothing, on any stream, and says nothing of it
      plan.socket("", ...Array.from({ length: 10_000 }, () => ({ kind: "drop" as const })))
      venue.trade("1.0010", "5", "buy")
      const filled = yield* updateWithin(exchange, placed.id, (u) => u.order.status === "filled", 5000)
      expect(Option.map(filled, (u) => formatDecimal(u.order.filledQty))).toEqual(Option.some("5"))
      // learnt by the reconnection's resync over REST
      expect(plan.count("GET /api/v1/orders")).toBeGreaterThan(resyncsBefore)
    }).pipe(Effect.provide(platform)), 30_000)

  // Was: a message that could not be read (cut off halfway) was logged and skipped, "the next
  // resync covers it"; but resyncs came only with a reconnection: a fill whose message was garbled
  // was learnt at the leg's cancel, its hedge that late.
  it.scopedLive("a fill message delivered unreadable (cut off halfway): our orders are read again at once, the fill comes", () =>
    Effect.gen(function*() {
      const { venue, plan, exchange } = yield* setUp()
      const placed = yield* restingSell(exchange, plan, "hl-g1")
      const readsBefore = plan.count("GET /api/v1/orders")
      plan.socket("account.orderUpdate", { kind: "malformed" })
      venue.trade("1.0010", "5", "buy")
      const filled = yield* updateWithin(exchange, placed.id, (u) => u.order.status === "filled", 3000)
      expect(Option.map(filled, (u) => formatDecimal(u.order.filledQty))).toEqual(Option.some("5"))
      expect(plan.count("GET /api/v1/orders")).toBe(readsBefore + 1)
    }).pipe(Effect.provide(platform)), 30_000)

  // Was: a refused private subscription was never tried again while its connection lasted (for
  // good on a healthy one): the order stream stayed off, every fill learnt by a REST poll a second late
  it.scopedLive("a refused private subscription is tried again on a new connection, signed on the venue's clock measured again: the stream carries our fills again, no REST polling", () =>
    Effect.gen(function*() {
      const venue = makeFakeLocalVenue()
      venue.quote("0.9990", "500", "1.0010", "400")
      venue.trade("1.0000", "3", "sell")
      const plan = scriptedFaults()
      const baseUrl = yield* serveLocalBackpack(venue, plan.faults)
      plan.http("GET /", { kind: "delay", ms: 400 })
      yield* Effect.fork(Effect.zipRight(eventually(() => plan.count("GET /") >= 1), Effect.sync(() => void (venue.skewMs = 30_000))))
      const logs: Array<string> = []
      const exchange = yield* makeBackpackExchange(makerConfig(baseUrl, keys, PERP.symbol), { ...options, pollWhileDownMs: 1000, resubscribeAfter: Duration.millis(600) }).pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => void logs.push(String(message)))))
      )
      const logged = (line: RegExp) => eventually(() => logs.some((l) => line.test(l)), 5000).pipe(Effect.tapDefect(() => Effect.sync(() => console.log(logs.join("\n")))))
      yield* logged(/refused a request: .*subscribed again in 1 s/)
      const timeReadsAtRefusal = plan.count("GET /api/v1/time")
      // subscribed again on a new connection, on the clock measured again, and not refused
      yield* logged(/backpack stream reconnected/)
      expect(plan.count("GET /api/v1/time")).toBeGreaterThan(timeReadsAtRefusal)
      // (its resync's read of our orders done)
      yield* Effect.sleep(Duration.millis(300))
      const polls = plan.count("GET /api/v1/orders")
      yield* Effect.sleep(Duration.millis(1500))
      expect(logs.filter((l) => /refused a request/.test(l))).toHaveLength(1)
      // no REST polling: the stream is up
      expect(plan.count("GET /api/v1/orders")).toBe(polls)
      const placed = yield* exchange.placeLimit(sell("1.0005", "5", "hl-s1"))
      const streamed = plan.messages.filter((m) => m.startsWith("account.orderUpdate")).length
      venue.trade("1.0010", "5", "buy")
      const filled = yield* updateWithin(exchange, placed.id, (u) => u.order.status === "filled", 4000)
      expect(Option.map(filled, (u) => formatDecimal(u.order.filledQty))).toEqual(Option.some("5"))
      // the stream told it
      expect(plan.messages.filter((m) => m.startsWith("account.orderUpdate")).length).toBeGreaterThan(streamed)
    }).pipe(Effect.provide(platform)), 30_000)
})
