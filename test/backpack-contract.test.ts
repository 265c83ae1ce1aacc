/**
 * The live Backpack adapter against the local Backpack protocol, over real loopback HTTP and
 * WebSocket: a fake LocalVenue (the backtest's matching engine) behind the routes, a scripted
 * fault plan in front of them. Expected quantities and prices follow from the engine's rules
 * (a resting sell fills when a taker buys through it or the bid reaches it; a trade at the
 * order's price reaches it only after the queue ahead of it).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Socket from "@effect/platform/Socket"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { describe, expect, it } from "@effect/vitest"
import { BigDecimal, Deferred, Duration, Effect, Either, Exit, Layer, Option, Queue, Redacted } from "effect"
import { backpackClientId, makeBackpackClient } from "../src/adapters/backpack/client"
import { type BackpackExchangeOptions, makeBackpackExchange, mergeOrder, OwnOrders } from "../src/adapters/backpack/exchange"
import { makeSigner, signedHeaders, subscriptionSignature } from "../src/adapters/backpack/signing"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import type { Instrument } from "../src/core/domain/instrument"
import type { Fill, Order, OrderUpdate } from "../src/core/domain/order"
import type { Exchange } from "../src/core/exchange"
import type { LocalVenue } from "../src/sim/local-exchange/types"
import { makeFakeLocalVenue, PERP } from "./support/fake-local-venue"
import { localBackpack, makerConfig, serveLocalBackpack, testKeys } from "./support/local-backpack"
import { scriptedFaults } from "./support/scripted-faults"

const platform = Layer.mergeAll(NodeHttpClient.layerUndici, NodeSocket.layerWebSocketConstructor)
const keys = testKeys(7)
const options: BackpackExchangeOptions = { timeoutMs: 1000, streamReadyTimeoutMs: 5000, reconnectDelay: Duration.millis(50) }

const text = (d: BigDecimal.BigDecimal) => formatDecimal(d)

/** A venue with a market (bid 0.9990 / ask 1.0010, last 1.0000) and funding, served locally, and the adapter on it. */
const setUp = (adapterOptions: BackpackExchangeOptions = options) =>
  localBackpack(adapterOptions, {
    keys,
    venue: { funding: { markPrice: decimal("1.0001"), indexPrice: decimal("1.0002"), rate: decimal("0.0000125"), nextFundingTime: Date.UTC(2030, 0, 1, 8), intervalHours: 1 } }
  })

/** The next update within 3 s (fails the test when none comes). */
const nextUpdate = (exchange: Exchange) =>
  Effect.flatMap(exchange.nextUpdate(Duration.seconds(3)), Option.match({
    onNone: () => Effect.die(new Error("no order update within 3 s")),
    onSome: (update: OrderUpdate) => Effect.succeed(update)
  }))

/** Updates until one about `orderId` satisfies `done`. */
const updateUntil = (exchange: Exchange, orderId: string, done: (update: OrderUpdate) => boolean) =>
  Effect.gen(function*() {
    while (true) {
      const update = yield* nextUpdate(exchange)
      if (update.order.id === orderId && done(update)) return update
    }
  })

/** Polls `check` every 20 ms for up to 3 s. */
const eventually = <A, E, R>(effect: Effect.Effect<A, E, R>, check: (a: A) => boolean) =>
  Effect.gen(function*() {
    for (let i = 0; i < 150; i++) {
      const value = yield* effect
      if (check(value)) return value
      yield* Effect.sleep(Duration.millis(20))
    }
    return yield* Effect.die(new Error("condition not met within 3 s"))
  })

const sell = (price: string, qty: string, clientId: string) =>
  ({ side: "sell", price: decimal(price), qty: decimal(qty), postOnly: true, timeInForce: "GTC", clientId }) as const

const failure = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.flip(effect)

describe("Backpack adapter against the local Backpack protocol", () => {
  it.scopedLive("reads the instrument, the funding clock and the ticker", () =>
    Effect.gen(function*() {
      const { exchange } = yield* setUp()
      const instrument = yield* exchange.instrument
      expect(instrument.symbol).toBe("ASTER_USDC_PERP")
      expect(text(instrument.tickSize)).toBe("0.0001")
      expect(text(instrument.stepSize)).toBe("0.01")
      expect(instrument.kind).toBe("perp")
      expect(instrument.trading).toEqual({ state: "Open", makerOrders: true, takerOrders: true })
      expect(yield* exchange.nextFundingTime).toEqual(Option.some(Date.UTC(2030, 0, 1, 8)))
      // no stream message yet: depth and ticker over REST
      const ticker = yield* exchange.ticker
      expect([text(ticker.bid), text(ticker.ask), text(ticker.last)]).toEqual(["0.999", "1.001", "1"])
    }).pipe(Effect.provide(platform)))

  it.scopedLive("places, looks up (by order id and by client id), cancels, and reads a closed order from the history", () =>
    Effect.gen(function*() {
      const { venue, plan, exchange } = yield* setUp()
      const placed = yield* exchange.placeLimit(sell("1.0050", "5", "hl-m1"))
      expect(placed.status).toBe("new")
      expect(placed.clientId).toBe("hl-m1")
      expect([text(placed.price!), text(placed.qty), text(placed.filledQty)]).toEqual(["1.005", "5", "0"])
      expect(placed.postOnly).toBe(true)
      // the venue got Backpack's numeric client id: SHA-256("hl-m1")[0..4] as a big-endian uint32
      expect(venue.placements).toEqual([{ account: expect.any(String), clientId: String(backpackClientId("hl-m1")) }])

      const byId = yield* exchange.queryOrder({ orderId: placed.id })
      const byClientId = yield* exchange.queryOrder({ clientId: "hl-m1" })
      expect([byId.id, byId.status, byClientId.id, byClientId.clientId]).toEqual([placed.id, "new", placed.id, "hl-m1"])

      const cancelled = yield* exchange.cancel(placed.id)
      expect([cancelled.id, cancelled.status, text(cancelled.filledQty)]).toEqual([placed.id, "cancelled", "0"])

      // GET /api/v1/order only knows resting orders: the closed one comes from the history
      const historyBefore = plan.count("GET /wapi/v1/history/orders")
      const closed = yield* exchange.queryOrder({ orderId: placed.id })
      expect([closed.status, closed.clientId, text(closed.qty)]).toEqual(["cancelled", "hl-m1", "5"])
      expect(plan.count("GET /wapi/v1/history/orders")).toBe(historyBefore + 1)

      // cancelling it again: the venue says 404, the adapter answers with the final state
      const again = yield* exchange.cancel(placed.id)
      expect(again.status).toBe("cancelled")
      const unknown = yield* failure(exchange.queryOrder({ orderId: "999999" }))
      expect(unknown._tag).toBe("UnknownOrder")
    }).pipe(Effect.provide(platform)))

  it.scopedLive("delivers fills on the order-update stream, cumulative, and prices from the book-ticker and trade streams", () =>
    Effect.gen(function*() {
      const { venue, plan, exchange } = yield* setUp()
      // 1.0005 improves on the best ask (1.0010): nothing queues ahead of it
      const placed = yield* exchange.placeLimit(sell("1.0005", "5", "hl-m2"))
      venue.trade("1.0005", "2", "buy")
      const first = yield* updateUntil(exchange, placed.id, (u) => u.fill !== undefined)
      expect([text(first.fill!.qty), text(first.fill!.price), first.fill!.liquidity, first.fill!.side]).toEqual(["2", "1.0005", "maker", "sell"])
      // fee: 2 × 1.0005 × 0.0002
      expect(text(first.fill!.fee)).toBe("0.0004002")
      expect([first.order.status, text(first.order.filledQty)]).toEqual(["partially-filled", "2"])

      // the bid reaches the order: the remaining 3 fill at its price
      venue.quote("1.0005", "100", "1.0010", "400")
      const second = yield* updateUntil(exchange, placed.id, (u) => u.fill !== undefined)
      expect([text(second.fill!.qty), second.order.status, text(second.order.filledQty), text(second.order.filledQuote)]).toEqual(["3", "filled", "5", "5.0025"])
      expect(text((yield* exchange.position).qty)).toBe("-5")

      // prices now come from the streams: no further REST depth or ticker request
      const ticker = yield* eventually(exchange.ticker, (t) => text(t.bid) === "1.0005")
      expect([text(ticker.bid), text(ticker.ask), text(ticker.last)]).toEqual(["1.0005", "1.001", "1.0005"])
      const rest = plan.count("GET /api/v1/depth") + plan.count("GET /api/v1/ticker")
      yield* exchange.ticker
      expect(plan.count("GET /api/v1/depth") + plan.count("GET /api/v1/ticker")).toBe(rest)
    }).pipe(Effect.provide(platform)))

  /** Every book handed to watchMarket listeners, as "bids | asks" of price/qty. */
  const watchBooks = (exchange: Exchange) =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const side = (levels: ReadonlyArray<readonly [BigDecimal.BigDecimal, BigDecimal.BigDecimal]>) => levels.map(([p, q]) => `${text(p)}/${text(q)}`).join(" ")
      yield* exchange.watchMarket!((event) => {
        if (event._tag === "Depth") seen.push(`${side(event.depth.bids)} | ${side(event.depth.asks)}`)
      })
      return seen
    })

  it.scopedLive("with depthEveryMs, the book comes from the depth stream over one REST snapshot and goes to watchMarket listeners as it changes", () =>
    Effect.gen(function*() {
      const { exchange, venue, plan } = yield* setUp({ ...options, depthEveryMs: 50 })
      const seen = yield* watchBooks(exchange)
      venue.levels([["0.9980", "50"], ["0.9970", "70"]], [["1.0020", "30"]])
      yield* eventually(Effect.sync(() => seen.at(-1)), (last) => last === "0.999/500 0.998/50 0.997/70 | 1.001/400 1.002/30")
      const snapshots = plan.count("GET /api/v1/depth")
      // the old best levels go, the new ones come, the levels behind stay: all from the stream
      venue.quote("0.9995", "120", "1.0005", "80")
      yield* eventually(Effect.sync(() => seen.at(-1)), (last) => last === "0.9995/120 0.998/50 0.997/70 | 1.0005/80 1.002/30")
      venue.levels([["0.9970", "75"]], [])
      yield* eventually(Effect.sync(() => seen.at(-1)), (last) => last === "0.9995/120 0.997/75 | 1.0005/80")
      expect(plan.count("GET /api/v1/depth")).toBe(snapshots)
      expect(plan.messages.filter((stream) => stream === "depth.ASTER_USDC_PERP").length).toBeGreaterThanOrEqual(2)
    }).pipe(Effect.provide(platform)))

  it.scopedLive("a watcher who comes after the book was read gets it, though it has not changed since", () =>
    Effect.gen(function*() {
      const { exchange, plan } = yield* setUp({ ...options, depthEveryMs: 50 })
      yield* eventually(Effect.sync(() => plan.count("GET /api/v1/depth")), (reads) => reads > 0)
      yield* Effect.sleep(Duration.millis(200))
      const seen = yield* watchBooks(exchange)
      yield* eventually(Effect.sync(() => seen.at(-1)), (last) => last === "0.999/500 | 1.001/400")
    }).pipe(Effect.provide(platform)))

  it.scopedLive("a lost depth message makes the adapter read the book again: no book handed on misses a change", () =>
    Effect.gen(function*() {
      const { exchange, venue, plan } = yield* setUp({ ...options, depthEveryMs: 50 })
      const seen = yield* watchBooks(exchange)
      venue.levels([["0.9980", "50"]], [["1.0020", "30"]])
      yield* eventually(Effect.sync(() => seen.at(-1)), (last) => last === "0.999/500 0.998/50 | 1.001/400 1.002/30")
      const snapshots = plan.count("GET /api/v1/depth")
      // the next depth message is lost, the one after it repeated
      plan.socket("depth.", { kind: "drop" }, { kind: "duplicate" })
      venue.levels([["0.9980", "55"]], [["1.0020", "30"]])
      venue.quote("0.9991", "500", "1.0010", "400")
      yield* eventually(Effect.sync(() => seen.at(-1)), (last) => last === "0.9991/500 0.998/55 | 1.001/400 1.002/30")
      expect(plan.count("GET /api/v1/depth")).toBeGreaterThan(snapshots)
      // the change after the lost one, applied without it, would read 0.998/50
      expect(seen.filter((book) => book.includes("0.9991/500 0.998/50"))).toEqual([])
    }).pipe(Effect.provide(platform)))

  it.scopedLive("after a dropped connection the book is read again and follows the venue", () =>
    Effect.gen(function*() {
      const { exchange, venue, plan } = yield* setUp({ ...options, depthEveryMs: 50 })
      const seen = yield* watchBooks(exchange)
      venue.levels([["0.9980", "50"]], [])
      yield* eventually(Effect.sync(() => seen.at(-1)), (last) => last === "0.999/500 0.998/50 | 1.001/400")
      const snapshots = plan.count("GET /api/v1/depth")
      plan.socket("depth.", { kind: "disconnect" })
      venue.levels([["0.9980", "60"]], [])
      venue.levels([["0.9980", "60"]], [["1.0030", "10"]])
      yield* eventually(Effect.sync(() => seen.at(-1)), (last) => last === "0.999/500 0.998/60 | 1.001/400 1.003/10")
      expect(plan.count("GET /api/v1/depth")).toBeGreaterThan(snapshots)
    }).pipe(Effect.provide(platform)))

  it.scopedLive("asks the venue for the largest order the account allows (signed maxOrderQuantity), as Bid or Ask at a price", () =>
    Effect.gen(function*() {
      const { venue, exchange } = yield* setUp()
      venue.maxOrder = decimal("123.45")
      expect(text(yield* exchange.maxOrderQty!("sell", decimal("1.0050")))).toBe("123.45")
      expect(text(yield* exchange.maxOrderQty!("buy", decimal("0.999")))).toBe("123.45")
      expect(venue.maxOrderAsked).toEqual([{ side: "sell", price: "1.005" }, { side: "buy", price: "0.999" }])
    }).pipe(Effect.provide(platform)))

  it.scopedLive("places a market order that takes the best ask", () =>
    Effect.gen(function*() {
      const { exchange } = yield* setUp()
      const order = yield* exchange.placeMarket({ side: "buy", qty: decimal("3"), clientId: "hl-h1" })
      expect([order.type, order.status, text(order.filledQty), text(order.filledQuote)]).toEqual(["market", "filled", "3", "3.003"])
    }).pipe(Effect.provide(platform)))

  it.scopedLive("maps refusals: a crossing post-only order would take, off-grid prices are not sent", () =>
    Effect.gen(function*() {
      const { plan, exchange } = yield* setUp()
      const crossing = yield* failure(exchange.placeLimit(sell("0.9990", "5", "hl-m3")))
      expect(crossing).toMatchObject({ _tag: "OrderRejected", code: "INVALID_ORDER", wouldTake: true })
      const posts = plan.count("POST /api/v1/order")
      const offGrid = yield* failure(exchange.placeLimit(sell("1.00055", "5", "hl-m4")))
      expect(offGrid).toMatchObject({ _tag: "OrderRejected", code: "tick" })
      expect(plan.count("POST /api/v1/order")).toBe(posts)
    }).pipe(Effect.provide(platform)))

  it.scopedLive("a bad signature is refused by the venue with INVALID_SIGNATURE, mapped to OrderRejected", () =>
    Effect.gen(function*() {
      const venue = makeFakeLocalVenue()
      const plan = scriptedFaults()
      const baseUrl = yield* serveLocalBackpack(venue, plan.faults)
      const http = yield* HttpClient.HttpClient

      // on the wire: signed by one key, presented under another
      const signer = Either.getOrThrow(makeSigner(Redacted.make(testKeys(1).secret)))
      const headers = { ...signedHeaders(signer, { instruction: "balanceQuery", timestamp: Date.now(), window: 5000 }), "X-API-Key": testKeys(2).publicKey }
      const response = yield* http.execute(HttpClientRequest.get(`${baseUrl}/api/v1/capital`).pipe(HttpClientRequest.setHeaders(headers)))
      expect(response.status).toBe(401)
      expect(yield* response.json).toEqual({ code: "INVALID_SIGNATURE", message: "Invalid signature" })

      // through the adapter: a signature spoilt in transit
      const tampering = HttpClient.mapRequest(http, (request) =>
        request.headers["x-signature"] === undefined ? request : HttpClientRequest.setHeader(request, "X-Signature", Buffer.alloc(64, 1).toString("base64")))
      const client = yield* makeBackpackClient(makerConfig(baseUrl, keys, PERP.symbol), { timeoutMs: 1000 }).pipe(Effect.provideService(HttpClient.HttpClient, tampering))
      const refused = yield* failure(client.balances)
      expect(refused).toMatchObject({ _tag: "OrderRejected", code: "INVALID_SIGNATURE", reason: "Invalid signature" })
    }).pipe(Effect.provide(platform)))

  it.scopedLive("a key pair that does not match is refused before anything is sent, without showing a key", () =>
    Effect.gen(function*() {
      const venue = makeFakeLocalVenue()
      const plan = scriptedFaults()
      const baseUrl = yield* serveLocalBackpack(venue, plan.faults)
      const mismatched = { ...makerConfig(baseUrl, keys, PERP.symbol), publicKey: Redacted.make(testKeys(9).publicKey) }
      const exit = yield* Effect.exit(makeBackpackExchange(mismatched, options))
      expect(Exit.isFailure(exit)).toBe(true)
      const error = yield* failure(makeBackpackExchange(mismatched, options))
      expect(error._tag).toBe("InvalidBackpackKey")
      expect(error.message).not.toContain(keys.secret)
      expect(error.message).not.toContain(testKeys(9).publicKey)
      expect(plan.requests).toEqual([])
    }).pipe(Effect.provide(platform)))

  it.scopedLive("an expired timestamp is refused by the venue; the adapter measures the venue clock again and re-signs once", () =>
    Effect.gen(function*() {
      const venue = makeFakeLocalVenue()
      const plan = scriptedFaults()
      const baseUrl = yield* serveLocalBackpack(venue, plan.faults)
      const http = yield* HttpClient.HttpClient

      // on the wire: a request signed 10 s ago with a 5 s window
      const signer = Either.getOrThrow(makeSigner(Redacted.make(keys.secret)))
      const stale = signedHeaders(signer, { instruction: "balanceQuery", timestamp: Date.now() - 10_000, window: 5000 })
      const response = yield* http.execute(HttpClientRequest.get(`${baseUrl}/api/v1/capital`).pipe(HttpClientRequest.setHeaders(stale)))
      expect(response.status).toBe(400)
      expect(yield* response.json).toEqual({ code: "INVALID_CLIENT_REQUEST", message: "Request has expired" })

      // the venue clock runs 30 s ahead; the client has not measured it yet
      venue.skewMs = 30_000
      const client = yield* makeBackpackClient(makerConfig(baseUrl, keys, PERP.symbol), { timeoutMs: 1000 })
      const balances = yield* client.balances
      expect(balances.map((b) => b.asset).sort()).toEqual(["ASTER", "USDC"])
      // the stale request above, the refused one, and the one re-signed after measuring the clock
      expect([plan.count("GET /api/v1/capital"), plan.count("GET /api/v1/time")]).toEqual([3, 1])
      expect(Math.abs((yield* client.clock.offsetMs) - 30_000)).toBeLessThan(1000)
    }).pipe(Effect.provide(platform)))

  it.scopedLive("5xx is VenueUnavailable: reads are retried, a placement is looked up by client id and never resent", () =>
    Effect.gen(function*() {
      const { venue, plan, exchange } = yield* setUp()
      const status = { kind: "status", status: 503 } as const
      plan.http("GET /api/v1/position", status, status, status, status)
      const unavailable = yield* failure(exchange.position)
      expect(unavailable._tag).toBe("VenueUnavailable")
      // one request and the three retries of an idempotent read
      expect(plan.count("GET /api/v1/position")).toBe(4)

      plan.http("POST /api/v1/order", { kind: "status", status: 502 })
      const lost = yield* failure(exchange.placeLimit(sell("1.0050", "5", "hl-m5")))
      expect(lost._tag).toBe("VenueUnavailable")
      expect(lost.message).toContain("not sent again")
      expect(plan.count("POST /api/v1/order")).toBe(1)
      expect(venue.placements).toEqual([])
      expect(plan.count("GET /api/v1/order")).toBeGreaterThanOrEqual(1)
    }).pipe(Effect.provide(platform)))

  it.scopedLive("a read answered 429 is asked again once the venue's Retry-After has passed", () =>
    Effect.gen(function*() {
      const { plan, exchange } = yield* setUp()
      plan.http("GET /api/v1/capital", { kind: "rateLimit", retryAfterSeconds: 2 })
      const started = Date.now()
      yield* exchange.balances
      expect(Date.now() - started).toBeGreaterThanOrEqual(1900)
      expect(plan.count("GET /api/v1/capital")).toBe(2)
    }).pipe(Effect.provide(platform)))

  it.scopedLive("a read answered 429 four times in a row is RateLimited with the venue's delay", () =>
    Effect.gen(function*() {
      const { plan, exchange } = yield* setUp()
      const limit = { kind: "rateLimit", retryAfterSeconds: 1 } as const
      plan.http("GET /api/v1/capital", limit, limit, limit, limit)
      const limited = yield* failure(exchange.balances)
      expect(limited).toMatchObject({ _tag: "RateLimited", retryAfterMs: 1000 })
      expect(plan.count("GET /api/v1/capital")).toBe(4)
    }).pipe(Effect.provide(platform)), 15_000)

  it.scopedLive("a start measures the venue's clock through a garbled answer and a 429 (a start failing on one would be restarted into the same)", () =>
    Effect.gen(function*() {
      const venue = makeFakeLocalVenue()
      venue.quote("0.9990", "500", "1.0010", "400")
      venue.trade("1.0000", "3", "sell")
      const plan = scriptedFaults()
      const baseUrl = yield* serveLocalBackpack(venue, plan.faults)
      plan.http("GET /api/v1/time", { kind: "malformed" }, { kind: "rateLimit", retryAfterSeconds: 1 })
      const exchange = yield* makeBackpackExchange(makerConfig(baseUrl, keys, PERP.symbol), options)
      expect(plan.count("GET /api/v1/time")).toBe(3)
      expect(text((yield* exchange.ticker).bid)).toBe("0.999")
    }).pipe(Effect.provide(platform)), 15_000)

  it.scopedLive("malformed JSON on a read: asked again; garbage four times in a row is InvalidResponse naming the request", () =>
    Effect.gen(function*() {
      const { plan, exchange } = yield* setUp()
      plan.http("GET /api/v1/markPrices", { kind: "malformed" })
      yield* exchange.nextFundingTime
      expect(plan.count("GET /api/v1/markPrices")).toBe(2)
      plan.http("GET /api/v1/markPrices", { kind: "malformed" }, { kind: "malformed" }, { kind: "malformed" }, { kind: "malformed" })
      const invalid = yield* failure(exchange.nextFundingTime)
      expect(invalid._tag).toBe("InvalidResponse")
      expect(invalid.message).toContain("GET /api/v1/markPrices: malformed JSON")
      expect(plan.count("GET /api/v1/markPrices")).toBe(6)
    }).pipe(Effect.provide(platform)))

  it.scopedLive("a placement whose answer never comes is found by its client id and not sent again", () =>
    Effect.gen(function*() {
      const { venue, plan, exchange } = yield* setUp()
      plan.http("POST /api/v1/order", { kind: "timeout" })
      const placed = yield* exchange.placeLimit(sell("1.0050", "5", "hl-m6"))
      expect([placed.status, placed.clientId, text(placed.qty)]).toEqual(["new", "hl-m6", "5"])
      expect(plan.count("POST /api/v1/order")).toBe(1)
      expect(venue.placements.map((p) => p.clientId)).toEqual([String(backpackClientId("hl-m6"))])
    }).pipe(Effect.provide(platform)))

  it.scopedLive("a placement whose answer is garbled is found by its client id too", () =>
    Effect.gen(function*() {
      const { venue, plan, exchange } = yield* setUp()
      plan.http("POST /api/v1/order", { kind: "malformed" })
      const placed = yield* exchange.placeLimit(sell("1.0050", "5", "hl-m7"))
      expect([placed.status, placed.clientId]).toEqual(["new", "hl-m7"])
      expect(venue.placements).toHaveLength(1)
    }).pipe(Effect.provide(platform)))

  it.scopedLive("a duplicated stream message is delivered once", () =>
    Effect.gen(function*() {
      const { venue, plan, exchange } = yield* setUp()
      const placed = yield* exchange.placeLimit(sell("1.0005", "5", "hl-m8"))
      // the acceptance has gone out; the next order message (the fill) is sent twice
      yield* eventually(Effect.sync(() => plan.messages.filter((s) => s.startsWith("account.orderUpdate")).length), (n) => n >= 1)
      plan.socket("account.orderUpdate", { kind: "duplicate" })
      venue.trade("1.0005", "2", "buy")
      const fill = yield* updateUntil(exchange, placed.id, (u) => u.fill !== undefined)
      expect(text(fill.order.filledQty)).toBe("2")
      const more = yield* exchange.nextUpdate(Duration.millis(300))
      expect(Option.isNone(more) || more.value.fill === undefined).toBe(true)
    }).pipe(Effect.provide(platform)))

  it.scopedLive("after a dropped socket it reconnects and emits what changed meanwhile", () =>
    Effect.gen(function*() {
      const { venue, plan, exchange } = yield* setUp()
      const placed = yield* exchange.placeLimit(sell("1.0005", "5", "hl-m9"))
      yield* eventually(Effect.sync(() => plan.messages.filter((s) => s.startsWith("account.orderUpdate")).length), (n) => n >= 1)
      // the fill's message is never sent: the connection drops instead
      plan.socket("account.orderUpdate", { kind: "disconnect" })
      venue.trade("1.0010", "5", "buy")
      const update = yield* updateUntil(exchange, placed.id, (u) => u.order.status === "filled")
      expect([text(update.order.filledQty), text(update.order.filledQuote)]).toEqual(["5", "5.0025"])
      expect(update.fill).toBeUndefined()
      expect(plan.count("GET /")).toBe(2)
      // the resync read the closed order back from the history
      expect(plan.count("GET /wapi/v1/history/orders")).toBeGreaterThanOrEqual(1)
    }).pipe(Effect.provide(platform)))
})

describe("the local Backpack WebSocket endpoint", () => {
  /** A raw client: what it sends, and every text it receives in a queue. */
  const connect = (url: string) =>
    Effect.gen(function*() {
      const socket = yield* Socket.makeWebSocket(url)
      const received = yield* Queue.unbounded<unknown>()
      const opened = yield* Deferred.make<void>()
      yield* Effect.forkScoped(socket.runRaw((data) => Queue.offer(received, JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data))), { onOpen: Deferred.succeed(opened, undefined) }))
      yield* Deferred.await(opened)
      const write = yield* socket.writer
      const next = Queue.take(received).pipe(Effect.timeoutFail({ duration: Duration.seconds(3), onTimeout: () => new Error("no message within 3 s") }), Effect.orDie)
      const silent = Effect.map(Queue.take(received).pipe(Effect.timeout(Duration.millis(200)), Effect.option), Option.isNone)
      const send = (message: unknown) => Effect.orDie(write(JSON.stringify(message)))
      /** The server answers requests in order: once this refusal is back, what came before is done. */
      const settled = (id: number) => Effect.zipRight(send({ method: "SUBSCRIBE", params: ["no-such-stream"], id }), Effect.flatMap(next, (reply) => (reply as { id?: unknown }).id === id ? Effect.void : Effect.die(new Error(`expected the reply to ${id}`))))
      return { send, next, silent, settled }
    })

  it.scopedLive("subscribes and unsubscribes public streams, refuses unknown streams and unsigned private ones", () =>
    Effect.gen(function*() {
      const venue = makeFakeLocalVenue()
      const plan = scriptedFaults()
      const baseUrl = yield* serveLocalBackpack(venue, plan.faults)
      const client = yield* connect(baseUrl.replace("http", "ws") + "/")

      yield* client.send({ method: "SUBSCRIBE", params: ["bookTicker.ASTER_USDC_PERP", "trade.ASTER_USDC_PERP"] })
      yield* client.settled(1)
      venue.quote("0.9990", "500", "1.0010", "400")
      const tick = (yield* client.next) as { stream: string; data: Record<string, unknown> }
      expect(tick.stream).toBe("bookTicker.ASTER_USDC_PERP")
      expect([tick.data["e"], tick.data["b"], tick.data["B"], tick.data["a"], tick.data["A"], tick.data["s"]]).toEqual(["bookTicker", "0.999", "500", "1.001", "400", "ASTER_USDC_PERP"])
      venue.trade("1.0000", "3", "sell")
      const trade = (yield* client.next) as { stream: string; data: Record<string, unknown> }
      // the taker sold: the buyer was the maker
      expect([trade.stream, trade.data["p"], trade.data["q"], trade.data["m"]]).toEqual(["trade.ASTER_USDC_PERP", "1", "3", true])

      yield* client.send({ method: "UNSUBSCRIBE", params: ["bookTicker.ASTER_USDC_PERP"] })
      yield* client.settled(2)
      venue.quote("0.9991", "500", "1.0010", "400")
      expect(yield* client.silent).toBe(true)

      // the depth stream: changed levels (0: gone), numbered on from the REST book's lastUpdateId
      yield* client.send({ method: "SUBSCRIBE", params: ["depth.ASTER_USDC_PERP"] })
      yield* client.settled(3)
      const http = yield* HttpClient.HttpClient
      const rest = (yield* (yield* http.get(`${baseUrl}/api/v1/depth?symbol=ASTER_USDC_PERP`)).json) as { lastUpdateId: string; bids: ReadonlyArray<unknown> }
      expect(rest.bids).toEqual([["0.9991", "500"]])
      venue.quote("0.9992", "450", "1.0010", "400")
      const depth = (yield* client.next) as { stream: string; data: Record<string, unknown> }
      expect(depth.stream).toBe("depth.ASTER_USDC_PERP")
      expect(depth.data).toMatchObject({ e: "depth", s: "ASTER_USDC_PERP", U: Number(rest.lastUpdateId) + 1, u: Number(rest.lastUpdateId) + 1, b: [["0.9991", "0"], ["0.9992", "450"]], a: [] })
      expect([typeof depth.data["E"], typeof depth.data["T"]]).toEqual(["string", "string"])
      yield* client.send({ method: "UNSUBSCRIBE", params: ["depth.ASTER_USDC_PERP"] })
      yield* client.settled(4)
      venue.quote("0.9993", "450", "1.0010", "400")
      expect(yield* client.silent).toBe(true)

      yield* client.send({ method: "SUBSCRIBE", params: ["kline.1m.ASTER_USDC_PERP"], id: 5 })
      expect(yield* client.next).toMatchObject({ id: 5, error: { code: "INVALID_CLIENT_REQUEST" } })
      yield* client.send({ method: "SUBSCRIBE", params: ["account.orderUpdate.ASTER_USDC_PERP"] })
      expect(yield* client.next).toMatchObject({ id: null, error: { code: "UNAUTHORIZED" } })
      const signer = Either.getOrThrow(makeSigner(Redacted.make(keys.secret)))
      const [key, , ts, window] = subscriptionSignature(signer, Date.now(), 5000)
      yield* client.send({ method: "SUBSCRIBE", params: ["account.orderUpdate"], signature: [key, Buffer.alloc(64, 2).toString("base64"), ts, window] })
      expect(yield* client.next).toMatchObject({ error: { code: "INVALID_SIGNATURE" } })
    }).pipe(Effect.provide(platform)))
})

describe("own-order stream merging", () => {
  const base = (status: Order["status"], filled: string, updatedAt: number): Order => ({
    venue: "backpack",
    symbol: "ASTER_USDC_PERP",
    id: "42",
    clientId: "hl-m1",
    side: "sell",
    type: "limit",
    price: decimal("1.0005"),
    qty: decimal("5"),
    filledQty: decimal(filled),
    filledQuote: BigDecimal.multiply(decimal(filled), decimal("1.0005")),
    status,
    postOnly: true,
    timeInForce: "GTC",
    createdAt: 1,
    updatedAt
  })
  const fill = (tradeId: string, qty: string): Fill => ({
    venue: "backpack",
    symbol: "ASTER_USDC_PERP",
    orderId: "42",
    tradeId,
    side: "sell",
    price: decimal("1.0005"),
    qty: decimal(qty),
    fee: decimal("0"),
    feeAsset: "USDC",
    liquidity: "maker",
    ts: 2
  })

  it("never lets the cumulative fill go backwards, nor a closed order reopen", () => {
    const own = new OwnOrders()
    expect(own.apply(base("new", "0", 1))?.order.status).toBe("new")
    const second = own.apply(base("partially-filled", "3", 3), fill("t2", "1"))
    const first = own.apply(base("partially-filled", "2", 2), fill("t1", "2"))
    // the older fill arrives last: still delivered (new trade), but the order stays at 3 filled
    expect([text(second!.order.filledQty), text(first!.order.filledQty), first!.fill!.tradeId]).toEqual(["3", "3", "t1"])
    expect(own.apply(base("cancelled", "3", 4))?.order.status).toBe("cancelled")
    // a late acceptance cannot reopen it
    expect(own.apply(base("new", "0", 1))).toBeUndefined()
    expect(own.get("42")?.status).toBe("cancelled")
  })

  it("delivers a fill once per trade id, and stays silent on repeats", () => {
    const own = new OwnOrders()
    own.absorb(base("new", "0", 1))
    expect(own.apply(base("partially-filled", "2", 2), fill("t1", "2"))).toBeDefined()
    expect(own.apply(base("partially-filled", "2", 2), fill("t1", "2"))).toBeUndefined()
    expect(own.apply(base("partially-filled", "2", 2))).toBeUndefined()
    // a REST answer merged silently still moves the state on
    expect(text(own.absorb(base("filled", "5", 5)).filledQty)).toBe("5")
    expect(own.apply(base("filled", "5", 5))).toBeUndefined()
  })

  it("takes the larger cumulative quantity with its quote amount", () => {
    const merged = mergeOrder(base("partially-filled", "3", 3), base("partially-filled", "2", 9))
    expect([text(merged.filledQty), text(merged.filledQuote), merged.updatedAt]).toEqual(["3", "3.0015", 9])
  })
})

describe("Backpack: the venue changes the market's filters while we run", () => {
  const filters = (i: Instrument) => [text(i.tickSize), text(i.stepSize), text(i.minQty)]
  const OLD = ["0.0001", "0.01", "0.01"]
  const NEW = ["0.0005", "0.1", "0.1"]
  const venueId = (clientId: string) => String(backpackClientId(clientId))

  /**
   * The venue of setUp, served through a view that can list the market under another symbol
   * (what a venue answering for the wrong market would send).
   */
  const setUpRelistable = () =>
    Effect.gen(function*() {
      const venue = makeFakeLocalVenue()
      venue.quote("0.9990", "500", "1.0010", "400")
      venue.trade("1.0000", "3", "sell")
      const listing: { symbol?: string } = {}
      const served: LocalVenue = Object.create(venue, {
        instrument: { get: () => (listing.symbol === undefined ? venue.instrument : { ...venue.instrument, symbol: listing.symbol }) }
      })
      const plan = scriptedFaults()
      const baseUrl = yield* serveLocalBackpack(served, plan.faults)
      const exchange = yield* makeBackpackExchange(makerConfig(baseUrl, keys, PERP.symbol), options)
      return { venue, plan, exchange, listing }
    })

  it.scopedLive("refreshInstrument reads the new filters; orders off the new grid are refused unsent, orders on it go through", () =>
    Effect.gen(function*() {
      const { venue, exchange } = yield* setUp()
      // finer than the venue's units: refused by the fake, which keeps its filters
      expect(() => venue.changeFilters({ tickSize: decimal("0.00005") })).toThrow("tickSize 0.00005 is finer than the venue's price units (4 decimals)")
      expect(filters(venue.instrument)).toEqual(OLD)
      venue.changeFilters({ tickSize: decimal("0.0005"), stepSize: decimal("0.1"), minQty: decimal("0.1") })
      // until refreshed, the filters read at the start
      expect(filters(yield* exchange.instrument)).toEqual(OLD)
      // and the adapter still checks against them: 1.0101 (on the old tick only) reaches the venue, which refuses it
      const stale = yield* failure(exchange.placeLimit(sell("1.0101", "5", "hl-f0")))
      expect(stale._tag === "OrderRejected" && stale.code).toBe("INVALID_ORDER")
      expect(venue.placements.map((p) => p.clientId)).toEqual([venueId("hl-f0")])

      expect(filters(yield* exchange.refreshInstrument!)).toEqual(NEW)
      expect(filters(yield* exchange.instrument)).toEqual(NEW)
      const offTick = yield* failure(exchange.placeLimit(sell("1.0101", "5", "hl-f1")))
      const offStep = yield* failure(exchange.placeLimit(sell("1.0105", "5.05", "hl-f2")))
      const offMarketStep = yield* failure(exchange.placeMarket({ side: "buy", qty: decimal("5.05"), clientId: "hl-f3" }))
      expect([offTick, offStep, offMarketStep].map((e) => e._tag === "OrderRejected" && [e.code, e.reason])).toEqual([
        ["tick", "price 1.0101 is not a positive multiple of 0.0005 (not sent)"],
        ["step", "quantity 5.05 is not a positive multiple of 0.1 (not sent)"],
        ["step", "quantity 5.05 is not a positive multiple of 0.1 (not sent)"]
      ])
      // none of them reached the venue
      expect(venue.placements).toHaveLength(1)

      const placed = yield* exchange.placeLimit(sell("1.0105", "5.1", "hl-f4"))
      expect([placed.status, text(placed.price!), text(placed.qty)]).toEqual(["new", "1.0105", "5.1"])
      const taken = yield* exchange.placeMarket({ side: "buy", qty: decimal("5.1"), clientId: "hl-f5" })
      expect([taken.status, text(taken.filledQty)]).toEqual(["filled", "5.1"])
      expect(venue.placements.map((p) => p.clientId)).toEqual([venueId("hl-f0"), venueId("hl-f4"), venueId("hl-f5")])
    }).pipe(Effect.provide(platform)))

  it.scopedLive("a refresh answered with garbage or with another market fails with InvalidResponse and keeps the old filters", () =>
    Effect.gen(function*() {
      const { venue, plan, exchange, listing } = yield* setUpRelistable()
      venue.changeFilters({ tickSize: decimal("0.0005"), stepSize: decimal("0.1"), minQty: decimal("0.1") })

      // garbage on every attempt (a read is asked again three times)
      const before = plan.count("GET /api/v1/market")
      plan.http("GET /api/v1/market", { kind: "malformed" }, { kind: "malformed" }, { kind: "malformed" }, { kind: "malformed" })
      const garbage = yield* failure(exchange.refreshInstrument!)
      expect(garbage._tag === "InvalidResponse" && garbage.detail).toContain("GET /api/v1/market: malformed JSON")
      expect(plan.count("GET /api/v1/market")).toBe(before + 4)

      // the venue answers for another market: the same symbol check as the first read
      listing.symbol = "OTHER_USDC_PERP"
      const other = yield* failure(exchange.refreshInstrument!)
      expect(other._tag === "InvalidResponse" && other.detail).toBe("GET /api/v1/market: field symbol: asked for ASTER_USDC_PERP, got OTHER_USDC_PERP")
      delete listing.symbol

      // the old filters are still what the adapter reports and enforces: 1.0101 (off the new tick)
      // is sent, and refused by the venue, which checks the new ones
      expect(filters(yield* exchange.instrument)).toEqual(OLD)
      const sentOld = yield* failure(exchange.placeLimit(sell("1.0101", "5", "hl-g1")))
      expect(sentOld._tag === "OrderRejected" && sentOld.code).toBe("INVALID_ORDER")
      expect(venue.placements.map((p) => p.clientId)).toEqual([venueId("hl-g1")])

      // the next refresh that reads a valid answer takes the new filters
      expect(filters(yield* exchange.refreshInstrument!)).toEqual(NEW)
      expect(filters(yield* exchange.instrument)).toEqual(NEW)
    }).pipe(Effect.provide(platform)))
})
