/**
 * The local exchange's `reject` (HTTP) and `reorder` (WebSocket) faults: decoded from a plan, seen
 * on the wire over loopback, and what the real Backpack and Aster adapters make of them (a typed
 * rejection with the venue's message and nothing executed; swapped order updates that never
 * move an order backwards).
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Socket from "@effect/platform/Socket"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { BigDecimal, Deferred, Duration, Effect, Either, Layer, Option, Queue, Redacted, type Scope } from "effect"
import { describe, expect, it } from "vitest"
import { makeAsterExchange } from "../src/adapters/aster/exchange"
import { makeBackpackExchange } from "../src/adapters/backpack/exchange"
import { makeSigner, subscriptionSignature } from "../src/adapters/backpack/signing"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import type { OrderUpdate } from "../src/core/domain/order"
import type { Exchange } from "../src/core/exchange"
import { DEFAULT_TEST_ACCOUNT } from "../src/sim/local-exchange/accounts"
import { generateBackpackTestKey } from "../src/sim/local-exchange/bot-config"
import { type FaultPlan, makeFaults, parseFaultPlan } from "../src/sim/local-exchange/faults"
import { startLocalExchange } from "../src/sim/local-exchange/local-exchange"
import type { LocalVenue } from "../src/sim/local-exchange/types"
import { writeScript } from "./support/scripted-market"

const platform = Layer.mergeAll(NodeHttpClient.layerUndici, NodeSocket.layerWebSocketConstructor)
const decoder = new TextDecoder()

const plan = (text: string): FaultPlan => Either.getOrThrowWith(parseFaultPlan(text, "test plan"), (e) => new Error(e.message))
const problems = (text: string): ReadonlyArray<string> =>
  Either.match(parseFaultPlan(text, "plan.yaml"), { onLeft: (e) => e.message.split("\n").slice(1), onRight: () => [] })

/**
 * Two minutes of both venues quoting 3 lots a side (Backpack 1.9990/2.0010, Aster 1.9995/2.0005),
 * starting now: a market order for 5 fills in two trades (3 at the top, 2 beyond it).
 */
const thinQuotes = () =>
  writeScript(
    Array.from({ length: 120 }, (_, s) => [
      { t: s * 1000, venue: "bp" as const, quote: ["1.9990", "3", "2.0010", "3"] as const },
      { t: s * 1000, venue: "as" as const, quote: ["1.9995", "3", "2.0005", "3"] as const }
    ]).flat(),
    { startMs: Date.now() }
  )

const asterV1 = { kind: "v1" as const, apiKey: Redacted.make(DEFAULT_TEST_ACCOUNT.asterApiKey), apiSecret: Redacted.make(DEFAULT_TEST_ACCOUNT.asterApiSecret) }

/** Waits (up to 3 s) until the feed has quoted the venue. */
const quoted = (venue: LocalVenue) =>
  Effect.gen(function*() {
    for (let i = 0; i < 150 && venue.ticker() === undefined; i++) yield* Effect.sleep("20 millis")
    if (venue.ticker() === undefined) return yield* Effect.die(new Error(`${venue.venue} never quoted`))
  })

/** A raw WebSocket client: every message it receives, parsed, with its arrival time. */
const rawClient = (url: string) =>
  Effect.gen(function*() {
    const socket = yield* Socket.makeWebSocket(url)
    const received = yield* Queue.unbounded<{ readonly at: number; readonly json: any }>()
    const opened = yield* Deferred.make<void>()
    yield* Effect.forkScoped(
      socket.runRaw((data) => Queue.offer(received, { at: Date.now(), json: JSON.parse(typeof data === "string" ? data : decoder.decode(data)) }), {
        onOpen: Deferred.succeed(opened, undefined)
      })
    )
    yield* Deferred.await(opened)
    const write = yield* socket.writer
    const next = Queue.take(received).pipe(Effect.timeoutFail({ duration: Duration.seconds(3), onTimeout: () => new Error("no message within 3 s") }), Effect.orDie)
    const send = (message: unknown) => Effect.orDie(write(JSON.stringify(message)))
    return { next, send }
  })

/**
 * The adapter's updates about one order until `done` holds (5 s at most), then whatever else
 * comes within 400 ms: a late, older state must not be passed on as a newer one.
 */
const updatesOf = (exchange: Exchange, orderId: string, done: (seen: ReadonlyArray<OrderUpdate>) => boolean) =>
  Effect.gen(function*() {
    const seen: Array<OrderUpdate> = []
    const deadline = Date.now() + 5000
    while (!done(seen) && Date.now() < deadline) {
      const next = yield* exchange.nextUpdate(Duration.seconds(1))
      if (Option.isSome(next) && next.value.order.id === orderId) seen.push(next.value)
    }
    while (true) {
      const more = yield* exchange.nextUpdate(Duration.millis(400))
      if (Option.isNone(more)) break
      if (more.value.order.id === orderId) seen.push(more.value)
    }
    return seen
  })

/** The filled quantity of each update, in the order they came, and the same sorted: equal when it never goes backwards. */
const filledSequence = (updates: ReadonlyArray<OrderUpdate>) => {
  const seen = updates.map((u) => u.order.filledQty)
  const sorted = [...seen].sort((a, b) => BigDecimal.Order(a, b))
  return { seen: seen.map(formatDecimal), ascending: sorted.map(formatDecimal) }
}

const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  Effect.promise(async () => {
    const res = await fetch(url, { method: "POST", body, headers })
    return { status: res.status, contentType: res.headers.get("content-type") ?? "", body: JSON.parse(await res.text()) as unknown }
  })

const run = (effect: Effect.Effect<void, unknown, Scope.Scope | Socket.WebSocketConstructor | HttpClient.HttpClient>) =>
  Effect.runPromise(Effect.scoped(effect).pipe(Effect.provide(platform)))

// ---------------------------------------------------------------------------------------------
// The plan
// ---------------------------------------------------------------------------------------------

describe("reject and reorder in a fault plan", () => {
  it("decodes them bare and with parameters", () => {
    const decoded = plan(`
http:
  - route: "POST /fapi/v1/order"
    fault: reject
  - route: "POST /fapi/v1/order"
    venue: aster-futures
    fault: { kind: reject, code: -2010, message: "Account has insufficient balance for requested action." }
  - route: "POST /api/v1/order"
    venue: backpack
    fault: { kind: reject, code: INVALID_ORDER, message: "Quantity decimal too long" }
  - route: "*"
    fault: { kind: reject, message: "Margin is insufficient for this order." }
socket:
  - stream: "user.orderUpdate"
    fault: reorder
  - stream: "*orderUpdate*"
    fault: { kind: reorder, ms: 50 }
`)
    expect(decoded.http.map((r) => r.fault)).toEqual([
      { kind: "reject" },
      { kind: "reject", code: -2010, message: "Account has insufficient balance for requested action." },
      { kind: "reject", code: "INVALID_ORDER", message: "Quantity decimal too long" },
      { kind: "reject", message: "Margin is insufficient for this order." }
    ])
    expect(decoded.socket.map((r) => r.fault)).toEqual([{ kind: "reorder", ms: 200 }, { kind: "reorder", ms: 50 }])
    // JSON too, and bare kinds in JSON
    expect(plan(`{"http":[{"route":"*","fault":"reject"}],"socket":[{"stream":"*","fault":"reorder"}]}`).socket[0]!.fault).toEqual({ kind: "reorder", ms: 200 })
  })

  it("refuses a bad one with a message naming the field", () => {
    expect(problems(`
http:
  - route: "POST /fapi/v1/order"
    venue: aster
    fault: { kind: reject, code: "-2010" }
  - route: "POST /api/v1/order"
    venue: backpack
    fault: { kind: reject, code: -2019 }
  - route: "POST /fapi/v1/order"
    venue: aster-futures
    fault: { kind: reject, code: INSUFFICIENT_FUNDS }
  - route: "*"
    fault: { kind: reject, code: 2.5, message: "" }
  - route: "*"
    fault: { kind: reject, status: 400 }
socket:
  - stream: "user.orderUpdate"
    fault: { kind: reorder, ms: -1 }
  - stream: "user.orderUpdate"
    fault: { kind: reorder, every: 2 }
  - stream: "user.orderUpdate"
    fault: reordr
`)).toEqual([
      `  - http.0.fault.code: expected a venue error code: a negative whole number for Aster (e.g. -2010) or an upper-case name for Backpack (e.g. "INSUFFICIENT_FUNDS"), got "-2010"`,
      `  - http.1.fault.code: venue backpack takes a Backpack error code (a name such as "INSUFFICIENT_FUNDS"), got -2019`,
      `  - http.2.fault.code: venue aster-futures takes an Aster error code (a negative whole number such as -2019), got "INSUFFICIENT_FUNDS"`,
      `  - http.3.fault.code: expected a venue error code: a negative whole number for Aster (e.g. -2010) or an upper-case name for Backpack (e.g. "INSUFFICIENT_FUNDS"), got 2.5`,
      `  - http.3.fault.message: expected the venue's error message, a non-empty text`,
      `  - http.4.fault.status: unknown key (check its spelling and section)`,
      `  - socket.0.fault.ms: expected milliseconds (a number ≥ 0), got -1`,
      `  - socket.1.fault.every: unknown key (check its spelling and section)`,
      `  - socket.2.fault: expected a WebSocket fault: a mapping with kind one of "drop", "duplicate", "disconnect", "malformed", "reorder" (or just "drop", "duplicate", "disconnect", "malformed", "reorder"), got "reordr"`
    ])
  })

  it("fires a reject with a code only on the venues that speak that code", () => {
    // "POST /api/v1/order" is both Backpack's and Aster spot's order route
    const faults = makeFaults(plan(`
http:
  - route: "POST /api/v1/order"
    fault: { kind: reject, code: INVALID_ORDER }
  - route: "POST /api/v1/order"
    fault: { kind: reject, code: -2010 }
  - route: "GET /api/v1/depth"
    fault: reject
`))
    const ask = (venue: "backpack" | "aster-spot", route: string) => Effect.runSync(faults.http(venue, route))
    expect(ask("backpack", "POST /api/v1/order")).toEqual({ kind: "reject", code: "INVALID_ORDER" })
    expect(ask("aster-spot", "POST /api/v1/order")).toEqual({ kind: "reject", code: -2010 })
    expect(ask("backpack", "GET /api/v1/depth")).toEqual({ kind: "reject" })
    expect(ask("aster-spot", "GET /api/v1/depth")).toEqual({ kind: "reject" })
  })
})

// ---------------------------------------------------------------------------------------------
// reject over loopback
// ---------------------------------------------------------------------------------------------

describe("reject through the real servers and adapters", () => {
  it("Aster futures and spot: a typed error with the venue's message, nothing executed", () =>
    run(Effect.gen(function*() {
      const faults = makeFaults(plan(`
http:
  - route: "POST /fapi/v1/order"
    times: 1
    fault: reject
  - route: "POST /fapi/v1/order"
    venue: aster-futures
    times: 1
    fault: { kind: reject, code: -4131, message: "The counterparty's best price does not meet the PERCENT_PRICE filter limit." }
  - route: "POST /api/v1/order"
    venue: aster-spot
    times: 1
    fault: reject
`))
      const running = yield* startLocalExchange({ dbPath: thinQuotes(), portBackpack: 0, portAster: 0, portAsterSpot: 0, faults })
      const account = DEFAULT_TEST_ACCOUNT.account
      const futures = running.venues.asterFutures
      yield* quoted(futures)
      const hedge = yield* makeAsterExchange({ venue: "aster-futures", baseUrl: running.urls.asterFutures, symbol: "ASTERUSDT", auth: asterV1 })

      // the default: -2019, which the adapter reads as insufficient balance
      const refused = yield* Effect.flip(hedge.placeMarket({ side: "buy", qty: decimal("5"), clientId: "rj-h1" }))
      expect(refused._tag).toBe("InsufficientBalance")
      expect(refused._tag === "InsufficientBalance" && refused.reason).toBe("Margin is insufficient. (-2019)")
      expect(formatDecimal((yield* hedge.position).qty)).toBe("0")
      expect([futures.fills(account).length, futures.openOrders(account).length]).toEqual([0, 0])
      expect(futures.order(account, { clientId: "rj-h1" })).toBeUndefined()

      // another code: a plain rejection keeping the venue's code and message
      const other = yield* Effect.flip(hedge.placeMarket({ side: "buy", qty: decimal("5"), clientId: "rj-h2" }))
      expect(other._tag).toBe("OrderRejected")
      expect(other._tag === "OrderRejected" && [other.code, other.reason]).toEqual(["-4131", "The counterparty's best price does not meet the PERCENT_PRICE filter limit."])
      expect(futures.order(account, { clientId: "rj-h2" })).toBeUndefined()
      expect(formatDecimal((yield* hedge.position).qty)).toBe("0")

      // the rules are spent: the same order now executes
      const placed = yield* hedge.placeMarket({ side: "buy", qty: decimal("5"), clientId: "rj-h3" })
      expect([placed.status, formatDecimal(placed.filledQty)]).toEqual(["filled", "5"])
      expect(formatDecimal((yield* hedge.position).qty)).toBe("5")

      // spot: the same default body
      const spotVenue = running.venues.asterSpot
      yield* quoted(spotVenue)
      const spot = yield* makeAsterExchange({ venue: "aster-spot", baseUrl: running.urls.asterSpot, symbol: "ASTERUSDT", auth: asterV1 })
      const balancesBefore = JSON.stringify(spotVenue.balances(account))
      const spotRefused = yield* Effect.flip(spot.placeMarket({ side: "buy", qty: decimal("5"), clientId: "rj-s1" }))
      expect(spotRefused._tag === "InsufficientBalance" && spotRefused.reason).toBe("Margin is insufficient. (-2019)")
      expect(JSON.stringify(spotVenue.balances(account))).toBe(balancesBefore)
      expect(spotVenue.fills(account)).toHaveLength(0)

      expect((yield* faults.history).map((h) => [h.venue, h.target, h.fault.kind])).toEqual([
        ["aster-futures", "POST /fapi/v1/order", "reject"],
        ["aster-futures", "POST /fapi/v1/order", "reject"],
        ["aster-spot", "POST /api/v1/order", "reject"]
      ])

      // on the wire: HTTP 400 and the venue's JSON error body, before authentication
      yield* faults.addHttp({ route: "POST /fapi/v1/order", fault: { kind: "reject" } })
      yield* faults.addHttp({ route: "POST /api/v1/order", venue: "aster-spot", fault: { kind: "reject", code: -2010, message: "Account has insufficient balance for requested action." } })
      const order = "symbol=ASTERUSDT&side=BUY&type=MARKET&quantity=5"
      const wire = yield* post(`${running.urls.asterFutures}/fapi/v1/order`, order)
      expect(wire.status).toBe(400)
      expect(wire.contentType).toMatch(/^application\/json/)
      expect(wire.body).toEqual({ code: -2019, msg: "Margin is insufficient." })
      const spotWire = yield* post(`${running.urls.asterSpot}/api/v1/order`, order)
      expect([spotWire.status, spotWire.body]).toEqual([400, { code: -2010, msg: "Account has insufficient balance for requested action." }])
      expect(futures.fills(account)).toHaveLength(2) // the two trades of rj-h3 only
    })), 30_000)

  it("Backpack: a typed error with the venue's message, nothing executed", () =>
    run(Effect.gen(function*() {
      const faults = makeFaults(plan(`
http:
  - route: "POST /api/v1/order"
    venue: backpack
    times: 1
    fault: reject
  - route: "POST /api/v1/order"
    times: 1
    fault: { kind: reject, code: INVALID_ORDER, message: "Quantity decimal too long" }
`))
      const running = yield* startLocalExchange({ dbPath: thinQuotes(), portBackpack: 0, portAster: 0, portAsterSpot: 0, faults })
      const venue = running.venues.backpack
      yield* quoted(venue)
      const key = generateBackpackTestKey()
      const account = key.publicKeyB64
      const maker = yield* makeBackpackExchange({ baseUrl: running.urls.backpack, symbol: "ASTER_USDC_PERP", publicKey: Redacted.make(key.publicKeyB64), secretKey: Redacted.make(key.secretKeyB64) })

      const refused = yield* Effect.flip(maker.placeMarket({ side: "sell", qty: decimal("5"), clientId: "rj-m1" }))
      expect(refused._tag).toBe("InsufficientBalance")
      expect(refused._tag === "InsufficientBalance" && refused.reason).toBe("Insufficient funds (INSUFFICIENT_FUNDS)")
      expect(formatDecimal((yield* maker.position).qty)).toBe("0")
      expect([venue.fills(account).length, venue.openOrders(account).length]).toEqual([0, 0])

      // the string code makes the second rule Backpack's (Aster spot shares the route)
      const other = yield* Effect.flip(maker.placeLimit({ side: "sell", price: decimal("2.0100"), qty: decimal("5"), postOnly: true, timeInForce: "GTC", clientId: "rj-m2" }))
      expect(other._tag === "OrderRejected" && [other.code, other.reason]).toEqual(["INVALID_ORDER", "Quantity decimal too long"])
      expect(venue.openOrders(account)).toHaveLength(0)
      expect(yield* maker.openOrders).toHaveLength(0)

      const placed = yield* maker.placeMarket({ side: "sell", qty: decimal("5"), clientId: "rj-m3" })
      expect(formatDecimal(placed.filledQty)).toBe("5")
      expect(formatDecimal((yield* maker.position).qty)).toBe("-5")

      // on the wire: 400 and Backpack's {code, message} body
      yield* faults.addHttp({ route: "POST /api/v1/order", venue: "backpack", fault: { kind: "reject" } })
      const wire = yield* post(`${running.urls.backpack}/api/v1/order`, JSON.stringify({ symbol: "ASTER_USDC_PERP", side: "Ask", orderType: "Market", quantity: "5" }), { "content-type": "application/json" })
      expect(wire.status).toBe(400)
      expect(wire.contentType).toMatch(/^application\/json/)
      expect(wire.body).toEqual({ code: "INSUFFICIENT_FUNDS", message: "Insufficient funds" })
      expect(venue.fills(account)).toHaveLength(2) // the two trades of rj-m3 only
    })), 30_000)
})

// ---------------------------------------------------------------------------------------------
// reorder over loopback
// ---------------------------------------------------------------------------------------------

/**
 * A market order for 5 against 3 lots at the top: on the order-update stream it is accepted,
 * partially filled (3), filled (5); Aster follows each fill with an ACCOUNT_UPDATE. Holding back
 * the partial fill, and on Aster the account update after it too, delivers the two fills swapped.
 */
const SWAP_FILLS_ASTER = `
socket:
  - stream: "user.orderUpdate"
    every: 2
    times: 1
    fault: reorder
  - stream: "user.accountUpdate"
    times: 1
    fault: reorder
`
const SWAP_FILLS_BACKPACK = `
socket:
  - stream: "account.orderUpdate*"
    every: 2
    times: 1
    fault: reorder
`

describe("reorder through the real servers", () => {
  it("Aster user stream: two order updates arrive swapped; a held message with nothing after it goes after ms", () =>
    run(Effect.gen(function*() {
      const faults = makeFaults(plan(`${SWAP_FILLS_ASTER}
  - stream: "user.accountUpdate"
    every: 2
    times: 1
    fault: { kind: reorder, ms: 400 }
`))
      const running = yield* startLocalExchange({ dbPath: thinQuotes(), portBackpack: 0, portAster: 0, portAsterSpot: 0, faults })
      const futures = running.venues.asterFutures
      yield* quoted(futures)
      const key = yield* post(`${running.urls.asterFutures}/fapi/v1/listenKey`, "", { "X-MBX-APIKEY": DEFAULT_TEST_ACCOUNT.asterApiKey })
      const listenKey = (key.body as { listenKey: string }).listenKey
      const client = yield* rawClient(`${running.urls.asterFuturesWs}/ws/${listenKey}`)

      const placed = futures.placeMarket(DEFAULT_TEST_ACCOUNT.account, { clientId: "ro-raw-1", side: "buy", qty: decimal("5") })
      expect([placed.status, formatDecimal(placed.filledQty)]).toEqual(["filled", "5"])
      const messages = []
      for (let i = 0; i < 5; i++) messages.push(yield* client.next)
      const described = messages.map(({ json }) => (json.e === "ORDER_TRADE_UPDATE" ? `${json.o.c} ${json.o.X} ${json.o.z}` : json.e))
      expect(described).toEqual([
        "ro-raw-1 NEW 0",
        "ro-raw-1 FILLED 5", // sent before …
        "ro-raw-1 PARTIALLY_FILLED 3", // … the partial fill held back behind it
        "ACCOUNT_UPDATE", // held with it
        "ACCOUNT_UPDATE" // held with nothing after it: sent 400 ms later
      ])
      expect(messages[4]!.at - messages[3]!.at).toBeGreaterThanOrEqual(300)
      expect(messages[3]!.at - messages[1]!.at).toBeLessThan(150) // released by the next message, not by the 200 ms default
      expect((yield* faults.history).map((h) => [h.target, h.fault.kind])).toEqual([
        ["user.orderUpdate", "reorder"],
        ["user.accountUpdate", "reorder"],
        ["user.accountUpdate", "reorder"]
      ])
    })), 30_000)

  it("Backpack order-update stream: two fills arrive swapped", () =>
    run(Effect.gen(function*() {
      const faults = makeFaults(plan(SWAP_FILLS_BACKPACK))
      const running = yield* startLocalExchange({ dbPath: thinQuotes(), portBackpack: 0, portAster: 0, portAsterSpot: 0, faults })
      const venue = running.venues.backpack
      yield* quoted(venue)
      const key = generateBackpackTestKey()
      const signer = Either.getOrThrow(makeSigner(Redacted.make(key.secretKeyB64)))
      const client = yield* rawClient(running.urls.backpackWs)
      yield* client.send({ method: "SUBSCRIBE", params: ["account.orderUpdate.ASTER_USDC_PERP"], signature: subscriptionSignature(signer, Date.now(), 5000) })
      // requests are answered in order: once this refusal is back, the subscription is in place
      yield* client.send({ method: "SUBSCRIBE", params: ["no-such-stream"], id: 1 })
      expect((yield* client.next).json.id).toBe(1)

      venue.placeMarket(key.publicKeyB64, { clientId: "7", side: "buy", qty: decimal("5") })
      const described = []
      for (let i = 0; i < 3; i++) {
        const { json } = yield* client.next
        described.push(`${json.data.e} ${json.data.X} ${json.data.z}${json.data.l !== undefined ? ` last ${json.data.l}` : ""}`)
      }
      expect(described).toEqual([
        "orderAccepted New 0",
        "orderFill Filled 5 last 2",
        "orderFill PartiallyFilled 3 last 3"
      ])
    })), 30_000)
})

describe("reorder with the real adapters: the order never goes backwards", () => {
  it("Aster futures", () =>
    run(Effect.gen(function*() {
      const faults = makeFaults(plan(SWAP_FILLS_ASTER))
      const running = yield* startLocalExchange({ dbPath: thinQuotes(), portBackpack: 0, portAster: 0, portAsterSpot: 0, faults })
      yield* quoted(running.venues.asterFutures)
      const hedge = yield* makeAsterExchange({ venue: "aster-futures", baseUrl: running.urls.asterFutures, symbol: "ASTERUSDT", auth: asterV1 })

      const placed = yield* hedge.placeMarket({ side: "buy", qty: decimal("5"), clientId: "ro-h1" })
      expect([placed.status, formatDecimal(placed.filledQty)]).toEqual(["filled", "5"])
      const updates = yield* updatesOf(hedge, placed.id, (seen) => seen.some((u) => u.order.status === "filled"))
      expect(updates.length).toBeGreaterThan(0)
      const filled = filledSequence(updates)
      expect(filled.seen).toEqual(filled.ascending)
      // the late partial fill is not passed on after the final state
      const last = updates[updates.length - 1]!
      expect([last.order.status, formatDecimal(last.order.filledQty)]).toEqual(["filled", "5"])
      const afterFilled = updates.slice(updates.findIndex((u) => u.order.status === "filled"))
      expect(afterFilled.map((u) => `${u.order.status} ${formatDecimal(u.order.filledQty)}`)).toEqual(afterFilled.map(() => "filled 5"))
      const final = yield* hedge.queryOrder({ clientId: "ro-h1" })
      expect([final.status, formatDecimal(final.filledQty)]).toEqual(["filled", "5"])
      expect(formatDecimal((yield* hedge.position).qty)).toBe("5")
      // the swap did happen on the adapter's own connection
      expect((yield* faults.history).map((h) => [h.target, h.fault.kind])).toEqual([["user.orderUpdate", "reorder"], ["user.accountUpdate", "reorder"]])
    })), 30_000)

  it("Backpack", () =>
    run(Effect.gen(function*() {
      const faults = makeFaults(plan(SWAP_FILLS_BACKPACK))
      const running = yield* startLocalExchange({ dbPath: thinQuotes(), portBackpack: 0, portAster: 0, portAsterSpot: 0, faults })
      yield* quoted(running.venues.backpack)
      const key = generateBackpackTestKey()
      const maker = yield* makeBackpackExchange({ baseUrl: running.urls.backpack, symbol: "ASTER_USDC_PERP", publicKey: Redacted.make(key.publicKeyB64), secretKey: Redacted.make(key.secretKeyB64) })
      // the private subscription is sent when the socket opens; give the venue a moment to take it
      yield* Effect.sleep("200 millis")

      const placed = yield* maker.placeMarket({ side: "buy", qty: decimal("5"), clientId: "ro-m1" })
      expect(formatDecimal(placed.filledQty)).toBe("5")
      const fillsSeen = (seen: ReadonlyArray<OrderUpdate>) => seen.flatMap((u) => (u.fill !== undefined ? [formatDecimal(u.fill.qty)] : []))
      const updates = yield* updatesOf(maker, placed.id, (seen) => fillsSeen(seen).length === 2)
      // both trades are told, the later one first, and the order never moves back to 3
      expect(fillsSeen(updates)).toEqual(["2", "3"])
      const filled = filledSequence(updates)
      expect(filled.seen).toEqual(filled.ascending)
      expect(updates.filter((u) => u.fill !== undefined).map((u) => [u.order.status, formatDecimal(u.order.filledQty)])).toEqual([["filled", "5"], ["filled", "5"]])
      const final = yield* maker.queryOrder({ clientId: "ro-m1" })
      expect([final.status, formatDecimal(final.filledQty)]).toEqual(["filled", "5"])
      expect(formatDecimal((yield* maker.position).qty)).toBe("5")
      expect((yield* faults.history).map((h) => [h.target, h.fault.kind])).toEqual([["account.orderUpdate.ASTER_USDC_PERP", "reorder"]])
    })), 30_000)
})
