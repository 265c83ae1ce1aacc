/**
 * REST polling while a private stream is down, for both live adapters against the local exchange
 * (a scripted tick file, the real venue books, the exchange's own fault injector): a fill made
 * while the order stream is down (dropped and kept from reconnecting, or never connected) reaches
 * `nextUpdate` over REST within about 2 s; once the stream is back polling stops and nothing is
 * emitted twice; public-data-only adapters never poll. A message the stream delivered unreadable
 * gets a resync of its own, rationed under a flood.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Logger, Option, Redacted, TestClock } from "effect"
import { makeAsterExchange } from "../src/adapters/aster/exchange"
import { makeBackpackExchange } from "../src/adapters/backpack/exchange"
import { startStreamFallback } from "../src/adapters/common/stream-fallback"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import type { OrderUpdate } from "../src/core/domain/order"
import type { Exchange } from "../src/core/exchange"
import { DEFAULT_TEST_ACCOUNT } from "../src/sim/local-exchange/accounts"
import { makeFaults } from "../src/sim/local-exchange/faults"
import { startLocalExchange } from "../src/sim/local-exchange/local-exchange"
import { scriptedMarket } from "../src/sim/local-exchange/market-feed"
import type { Faults } from "../src/sim/local-exchange/types"
import { makerConfig, testKeys } from "./support/local-backpack"
import { writeScript } from "./support/scripted-market"

const platform = Layer.mergeAll(NodeHttpClient.layerUndici, NodeSocket.layerWebSocketConstructor)

/** Log lines of the test's fibers (the adapters' included), as text. */
const captureLogs = (into: Array<string>) =>
  Logger.add(Logger.make(({ message }) => void into.push(Array.isArray(message) ? message.map(String).join(" ") : String(message))))

type Kind = "backpack" | "aster"

/** How each venue's order stream is cut, kept down, and what one REST poll of our orders requests. */
const venues = {
  backpack: {
    stream: "account.orderUpdate*",
    // the WebSocket upgrade is refused
    refuse: { route: "GET /", venue: "backpack" as const },
    pollRoute: "GET /api/v1/orders",
    name: "backpack order stream"
  },
  aster: {
    stream: "user.orderUpdate",
    // no listenKey, no connection
    refuse: { route: "POST /fapi/v1/listenKey", venue: "aster-futures" as const },
    pollRoute: "GET /fapi/v1/order",
    name: "aster-futures user data stream"
  }
} as const

/**
 * A local exchange quoting 1.9990 / 2.0010 on both venues, its fault injector (every request it
 * sees recorded), and the adapter of `kind` on it.
 */
const setUp = (kind: Kind, options: { readonly marketDataOnly?: boolean; readonly startDown?: boolean } = {}) =>
  Effect.gen(function*() {
    const dbPath = writeScript([
      { t: 0, venue: "bp", quote: ["1.9990", "1000", "2.0010", "1000"] },
      { t: 0, venue: "as", quote: ["1.9990", "1000", "2.0010", "1000"] }
    ])
    const injector = makeFaults()
    const requests: Array<string> = []
    const messages: Array<string> = []
    const faults: Faults = {
      http: (venue, route) => Effect.zipRight(Effect.sync(() => requests.push(route)), injector.http(venue, route)),
      socket: (venue, stream) => Effect.zipRight(Effect.sync(() => messages.push(stream)), injector.socket(venue, stream))
    }
    const refuse = Effect.zipRight(injector.clear, injector.addHttp({ ...venues[kind].refuse, fault: { kind: "status", status: 502 } }))
    if (options.startDown === true) yield* refuse
    const running = yield* startLocalExchange({ dbPath, portBackpack: 0, portAster: 0, portAsterSpot: 0, faults })
    const quickStart = options.startDown === true ? 300 : 5000
    const exchange: Exchange = kind === "backpack"
      ? yield* makeBackpackExchange(makerConfig(running.urls.backpack, testKeys(9), "ASTER_USDC_PERP"), {
        timeoutMs: 2000,
        streamReadyTimeoutMs: quickStart,
        ...(options.marketDataOnly === true ? { marketDataOnly: true } : {})
      })
      : yield* makeAsterExchange({
        venue: "aster-futures",
        baseUrl: running.urls.asterFutures,
        symbol: "ASTERUSDT",
        auth: { kind: "v1", apiKey: Redacted.make(DEFAULT_TEST_ACCOUNT.asterApiKey), apiSecret: Redacted.make(DEFAULT_TEST_ACCOUNT.asterApiSecret) },
        timeoutMs: 2000,
        streamConnectTimeout: Duration.millis(quickStart),
        ...(options.marketDataOnly === true ? { marketDataOnly: true } : {})
      })
    const book = kind === "backpack" ? running.venues.backpack : running.venues.asterFutures
    return { exchange, injector, requests, messages, refuse, market: scriptedMarket(book) }
  })

/** Every update taken from the exchange, in order (to check nothing came twice). */
const recorder = (exchange: Exchange) => {
  const seen: Array<OrderUpdate> = []
  /** the first update satisfying `wanted` within `ms`, with how long it took; none after that */
  const until = (wanted: (u: OrderUpdate) => boolean, ms: number) =>
    Effect.gen(function*() {
      const started = Date.now()
      while (Date.now() - started < ms) {
        const next = yield* exchange.nextUpdate(Duration.millis(Math.max(1, ms - (Date.now() - started))))
        if (Option.isNone(next)) break
        seen.push(next.value)
        if (wanted(next.value)) return Option.some({ update: next.value, afterMs: Date.now() - started })
      }
      return Option.none()
    })
  /** everything that comes within `ms` */
  const drain = (ms: number) => Effect.map(until(() => false, ms), () => seen)
  /** the states emitted for one order, as "status filledQty" */
  const statesOf = (orderId: string) => seen.filter((u) => u.order.id === orderId).map((u) => `${u.order.status} ${formatDecimal(u.order.filledQty)}`)
  /** each state of the order emitted once, and its filled state among them */
  const onceEach = (orderId: string) => {
    const states = statesOf(orderId)
    expect(new Set(states).size).toBe(states.length)
    expect(states.filter((state) => state === "filled 5")).toHaveLength(1)
  }
  return { until, drain, statesOf, onceEach }
}

/** Waits until `check` holds (fails after `ms`). */
const eventually = (check: () => boolean, what: string, ms: number) =>
  Effect.gen(function*() {
    const started = Date.now()
    while (!check()) {
      if (Date.now() - started > ms) return yield* Effect.die(new Error(`${what}: not within ${ms} ms`))
      yield* Effect.sleep(Duration.millis(25))
    }
  })

const logged = (logs: ReadonlyArray<string>, text: string, ms: number) => eventually(() => logs.some((line) => line.includes(text)), `log line "${text}"`, ms)

const count = (lines: ReadonlyArray<string>, text: string) => lines.filter((line) => line.includes(text)).length

const sell = (clientId: string) => ({ side: "sell", price: decimal("2.0050"), qty: decimal("5"), postOnly: true, timeInForce: "GTC", clientId }) as const

describe.each(["backpack", "aster"] as const)("%s: REST polling while the order stream is down", (kind) => {
  const { name, stream, pollRoute } = venues[kind]

  it.scopedLive("a fill made while the stream is down arrives over REST within 2 s; when it is back polling stops and nothing comes twice", () => {
    const logs: Array<string> = []
    return Effect.gen(function*() {
      const { exchange, injector, requests, messages, refuse, market } = yield* setUp(kind)
      const updates = recorder(exchange)
      const streamed = () => messages.filter((m) => m.startsWith(stream.replace("*", ""))).length
      const placed = yield* exchange.placeLimit(sell("hl-f1"))
      // a buy resting throughout: the polls have an open order to read
      const resting = yield* exchange.placeLimit({ ...sell("hl-f1b"), side: "buy", price: decimal("1.9000") })
      expect([placed.status, resting.status]).toEqual(["new", "new"])
      // both acceptances went out on the stream: it is up
      yield* eventually(() => streamed() >= 2, "the acceptances on the stream", 3000)

      // the fill's message takes the connection down, and reconnecting is refused
      yield* refuse
      yield* injector.addSocket({ stream, times: 1, fault: { kind: "disconnect" } })
      market.quote("2.0060", "1000", "2.0070", "1000")
      const filled = yield* updates.until((u) => u.order.id === placed.id && u.order.status === "filled", 2500)
      expect(Option.isSome(filled)).toBe(true)
      const { update, afterMs } = Option.getOrThrow(filled)
      expect(afterMs).toBeLessThan(2200)
      expect([formatDecimal(update.order.filledQty), formatDecimal(update.order.filledQuote)]).toEqual(["5", "10.025"])
      // it came over REST: the stream's message was never sent
      expect(count(logs, `${name} down: reading our orders over REST`)).toBe(1)

      // the stream comes back: one log line, polling stops, and the reconnection's resync is silent
      yield* injector.clear
      yield* logged(logs, `${name} back: REST polling stopped`, 10_000)
      const polls = requests.filter((r) => r === pollRoute).length
      yield* updates.drain(1500)
      expect(requests.filter((r) => r === pollRoute).length).toBe(polls)
      updates.onceEach(placed.id)
      // the resting order did not change: told at most once (its acceptance), however many polls read it
      expect(updates.statesOf(resting.id).filter((state) => state !== "new 0")).toEqual([])
      expect(updates.statesOf(resting.id).length).toBeLessThanOrEqual(1)
      expect([count(logs, `${name} down: reading`), count(logs, `${name} back:`)]).toEqual([1, 1])
    }).pipe(Effect.provide(Layer.mergeAll(platform, captureLogs(logs))))
  }, 40_000)

  it.scopedLive("before the stream's first connection, fills come over REST too; its first connection adds nothing", () => {
    const logs: Array<string> = []
    return Effect.gen(function*() {
      const { exchange, injector, market } = yield* setUp(kind, { startDown: true })
      const updates = recorder(exchange)
      const placed = yield* exchange.placeLimit(sell("hl-f2"))
      market.quote("2.0060", "1000", "2.0070", "1000")
      const filled = yield* updates.until((u) => u.order.id === placed.id && u.order.status === "filled", 2500)
      expect(Option.isSome(filled)).toBe(true)
      expect(formatDecimal(Option.getOrThrow(filled).update.order.filledQty)).toBe("5")

      yield* injector.clear
      yield* logged(logs, `${name} back: REST polling stopped`, 10_000)
      yield* updates.drain(1000)
      updates.onceEach(placed.id)
      expect([count(logs, `${name} down: reading`), count(logs, `${name} back:`)]).toEqual([1, 1])
    }).pipe(Effect.provide(Layer.mergeAll(platform, captureLogs(logs))))
  }, 40_000)

  it.scopedLive("public data only: no order stream, no polling", () => {
    const logs: Array<string> = []
    return Effect.gen(function*() {
      const { requests } = yield* setUp(kind, { marketDataOnly: true, startDown: true })
      yield* Effect.sleep(Duration.millis(1500))
      expect(requests.filter((r) => r === pollRoute || r === "GET /api/v1/order" || r.endsWith("/listenKey")).length).toBe(0)
      expect(count(logs, "REST every")).toBe(0)
    }).pipe(Effect.provide(Layer.mergeAll(platform, captureLogs(logs))))
  }, 20_000)
})

describe("the stream's unreadable messages", () => {
  it.scoped("each gets a resync of our orders: shared by those that come together, at most one a second under a flood, none while polling", () =>
    Effect.gen(function*() {
      let polls = 0
      const fallback = yield* startStreamFallback({ name: "test stream", every: Duration.seconds(1), poll: Effect.sync(() => void ++polls) })
      yield* fallback.up
      // a burst of ten: one resync, 100 ms later
      for (let i = 0; i < 10; i++) yield* fallback.missed
      yield* TestClock.adjust("99 millis")
      expect(polls).toBe(0)
      yield* TestClock.adjust("1 millis")
      expect(polls).toBe(1)
      // a flood: one every 50 ms for 3 s, each may have been a fill; resyncs a second apart
      for (let t = 0; t < 3000; t += 50) {
        yield* fallback.missed
        yield* TestClock.adjust("50 millis")
      }
      // (at 0.1, 1.1, 2.1 and 3.1 s)
      expect(polls).toBe(4)
      // one missed in the pause after a resync is not forgotten: it gets the next, when the pause ends
      yield* TestClock.adjust("50 millis")
      yield* fallback.missed
      yield* TestClock.adjust("949 millis")
      expect(polls).toBe(4)
      yield* TestClock.adjust("1 millis")
      expect(polls).toBe(5)
      yield* TestClock.adjust("5 seconds")
      expect(polls).toBe(5)
      // while the stream is down, polling covers them: no resync of their own
      yield* fallback.down
      yield* fallback.missed
      yield* TestClock.adjust("500 millis")
      expect(polls).toBe(5)
    }))
})
