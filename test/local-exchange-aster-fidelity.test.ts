/**
 * The local exchange's Aster venues (the venue book `npm run exchange` runs, served by asterRoutes)
 * against what /work/shared/reference/aster-api.md documents: client order ids unique among open
 * orders only, expired post-only orders still found by queries, the order object's `time` on
 * queries only, the order-count header and limit, and partial-book depth events whose `pu` chains
 * to the previous event's `u`. Backpack's own rules, where they differ, are checked beside them.
 */
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import * as Socket from "@effect/platform/Socket"
import { Deferred, Duration, Effect, Queue, Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { asterPath } from "../src/adapters/aster/client"
import { API_KEY_HEADER, signV1 } from "../src/adapters/aster/signing-v1"
import { decimal } from "../src/core/domain/decimal"
import { noFaults } from "../src/sim/local-exchange/faults"
import { scriptedMarket } from "../src/sim/local-exchange/market-feed"
import { makeLocalVenue } from "../src/sim/local-exchange/venue-book"
import { testAccounts, V1_KEY } from "./support/fake-aster-venue"
import { serveAster } from "./support/local-aster-server"
import { localInstrument } from "./support/local-instrument"

const d = decimal

type Market = "futures" | "spot"

/** A venue book quoted 2.0000 / 2.0010 (the same kind `npm run exchange` runs), with its starting balances. */
const quotedBook = (venue: "aster-futures" | "aster-spot" | "backpack") => {
  const book = makeLocalVenue({
    instrument: localInstrument(venue),
    priceScale: 4,
    qtyScale: 2,
    fees: { maker: d("0.0001"), taker: d("0.00035") },
    startingBalances: () => new Map([["USDT", d("100000")], ["USDC", d("100000")], ["ASTER", d("100000")]]),
    ...(venue !== "aster-spot" ? { funding: { intervalHours: 4, rate: d("0.0001") } } : {})
  })
  const feed = scriptedMarket(book)
  feed.quote("2.0000", "100", "2.0010", "100")
  return { book, feed }
}

/** That book served as Aster futures or spot on loopback. */
const asterVenue = (market: Market, routes: { readonly ordersPerMinute?: number } = {}) =>
  Effect.gen(function*() {
    const { book, feed } = quotedBook(market === "futures" ? "aster-futures" : "aster-spot")
    const baseUrl = yield* serveAster({ venue: book, market, faults: noFaults, accounts: testAccounts, ...routes })
    return { book, feed, baseUrl }
  })

interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly body: any
}

/** A V1-signed request (timestamp on the venue clock, which is Date.now here), as any client would send it. */
const signed = (baseUrl: string, market: Market, method: "GET" | "POST" | "DELETE", name: string, params: ReadonlyArray<readonly [string, string]>) =>
  Effect.promise(async (): Promise<Answer> => {
    const text = signV1(Redacted.make(V1_KEY.apiSecret), params, { timestamp: Date.now(), recvWindow: 5000 }).signed
    const url = `${baseUrl}${asterPath(market, "v1", name)}`
    const response = method === "GET"
      ? await fetch(`${url}?${text}`, { headers: { [API_KEY_HEADER]: V1_KEY.apiKey } })
      : await fetch(url, { method, body: text, headers: { [API_KEY_HEADER]: V1_KEY.apiKey, "content-type": "application/x-www-form-urlencoded" } })
    return { status: response.status, headers: response.headers, body: await response.json() }
  })

/** A GTC limit buy of 10 ASTERUSDT at `price` (below the ask: it rests). */
const restingBuy = (clientId: string, price = "1.9000"): Array<readonly [string, string]> => [
  ["symbol", "ASTERUSDT"], ["side", "BUY"], ["type", "LIMIT"], ["timeInForce", "GTC"], ["quantity", "10"], ["price", price], ["newClientOrderId", clientId]
]

const byClientId = (clientId: string): Array<readonly [string, string]> => [["symbol", "ASTERUSDT"], ["origClientOrderId", clientId]]

const run = <A>(effect: Effect.Effect<A, unknown, any>) =>
  Effect.runPromise(Effect.scoped(effect).pipe(Effect.provide(NodeSocket.layerWebSocketConstructor)) as Effect.Effect<A>)

describe("Aster client order ids: unique among open orders only", () => {
  it.each(["futures", "spot"] as const)("%s: the client id of a cancelled order may be used again; a lookup or cancel by it then acts on the newest order", (market) =>
    run(Effect.gen(function*() {
      // aster-api.md §6.3: "`newClientOrderId` | STRING | NO | unique among open orders; regex `^[\.A-Z\:/a-z0-9_-]{1,36}$`"
      const { baseUrl } = yield* asterVenue(market)
      const first = yield* signed(baseUrl, market, "POST", "order", restingBuy("reuse-1"))
      expect(first.status).toBe(200)
      const cancelled = yield* signed(baseUrl, market, "DELETE", "order", byClientId("reuse-1"))
      expect(cancelled.body.status).toBe("CANCELED")
      // the id is no longer used by any open order
      const again = yield* signed(baseUrl, market, "POST", "order", restingBuy("reuse-1", "1.9100"))
      expect(again.status).toBe(200)
      expect(again.body).toMatchObject({ status: "NEW", clientOrderId: "reuse-1" })
      expect(again.body.orderId).not.toBe(first.body.orderId)
      // origClientOrderId names the newest order with that id; the first is still found by its orderId
      const found = yield* signed(baseUrl, market, "GET", "order", byClientId("reuse-1"))
      expect(found.body).toMatchObject({ orderId: again.body.orderId, status: "NEW", price: "1.91" })
      const old = yield* signed(baseUrl, market, "GET", "order", [["symbol", "ASTERUSDT"], ["orderId", String(first.body.orderId)]])
      expect(old.body).toMatchObject({ orderId: first.body.orderId, status: "CANCELED" })
      const cancelledAgain = yield* signed(baseUrl, market, "DELETE", "order", byClientId("reuse-1"))
      expect(cancelledAgain.body).toMatchObject({ orderId: again.body.orderId, status: "CANCELED" })
    })))

  it("futures: the client id of an open order is still refused (-4116), and the open order is untouched", () =>
    run(Effect.gen(function*() {
      // aster-api.md §6.3: "unique among open orders"
      const { baseUrl } = yield* asterVenue("futures")
      const first = yield* signed(baseUrl, "futures", "POST", "order", restingBuy("open-1"))
      expect(first.status).toBe(200)
      const dup = yield* signed(baseUrl, "futures", "POST", "order", restingBuy("open-1", "1.9100"))
      expect([dup.status, dup.body]).toEqual([400, { code: -4116, msg: "ClientOrderId is duplicated." }])
      const open = yield* signed(baseUrl, "futures", "GET", "openOrders", [["symbol", "ASTERUSDT"]])
      expect(open.body.map((o: { orderId: number }) => o.orderId)).toEqual([first.body.orderId])
    })))

  it("Backpack keeps its own rule: a cancelled order's client id stays taken by it", () => {
    const { book } = quotedBook("backpack")
    const order = { clientId: "7", side: "buy" as const, price: d("1.9000"), qty: d("10"), postOnly: false, timeInForce: "GTC" as const }
    const first = book.placeLimit("alice", order)
    expect(first.status).toBe("new")
    expect(book.cancel("alice", { clientId: "7" })?.status).toBe("cancelled")
    expect(book.placeLimit("alice", order).rejectCode).toBe("duplicateClientId")
    expect(book.order("alice", { clientId: "7" })?.id).toBe(first.id)
  })
})

describe("Aster: a post-only (GTX) order the venue expired stays findable", () => {
  it.each(["futures", "spot"] as const)("%s: found by GET order, by orderId and by client id, as EXPIRED; never open", (market) =>
    run(Effect.gen(function*() {
      // aster-api.md §13.8: "`GET order`/`allOrders` don't return CANCELED/EXPIRED orders with no fills older than 7 days."
      // (so an EXPIRED order without fills that is seconds old IS returned)
      const { baseUrl } = yield* asterVenue(market)
      const placed = yield* signed(baseUrl, market, "POST", "order", [
        ["symbol", "ASTERUSDT"], ["side", "BUY"], ["type", "LIMIT"], ["timeInForce", "GTX"], ["quantity", "10"], ["price", "2.0020"], ["newClientOrderId", "gtx-cross-1"], ["newOrderRespType", "RESULT"]
      ])
      // the crossing GTX order is answered as EXPIRED, with an order id
      expect(placed.status).toBe(200)
      expect(placed.body.status).toBe("EXPIRED")
      const byId = yield* signed(baseUrl, market, "GET", "order", [["symbol", "ASTERUSDT"], ["orderId", String(placed.body.orderId)]])
      expect(byId.body).toMatchObject({ orderId: placed.body.orderId, status: "EXPIRED", executedQty: "0" })
      const byClient = yield* signed(baseUrl, market, "GET", "order", byClientId("gtx-cross-1"))
      expect(byClient.body).toMatchObject({ orderId: placed.body.orderId, status: "EXPIRED" })
      const open = yield* signed(baseUrl, market, "GET", "openOrders", [["symbol", "ASTERUSDT"]])
      expect(open.body).toEqual([])
      // closed, it cannot be cancelled; its client id is free again (it is no open order's)
      const cancel = yield* signed(baseUrl, market, "DELETE", "order", byClientId("gtx-cross-1"))
      expect(cancel.body).toEqual({ code: -2011, msg: "Unknown order sent." })
      const reused = yield* signed(baseUrl, market, "POST", "order", restingBuy("gtx-cross-1"))
      expect(reused.body).toMatchObject({ status: "NEW", clientOrderId: "gtx-cross-1" })
    })))

  it("Backpack keeps its own rule: a crossing post-only order is refused and not kept", () => {
    // backpack-api.md: "A post-only order that would cross is rejected (not filled)."
    const { book } = quotedBook("backpack")
    const crossing = book.placeLimit("alice", { clientId: "9", side: "buy", price: d("2.0020"), qty: d("10"), postOnly: true, timeInForce: "GTC" })
    expect([crossing.status, crossing.rejectCode]).toEqual(["rejected", "postOnly"])
    expect(book.order("alice", { orderId: crossing.id })).toBeUndefined()
    expect(book.order("alice", { clientId: "9" })).toBeUndefined()
  })
})

describe("Aster: the order object's `time` is on queries only", () => {
  it.each(["futures", "spot"] as const)("%s: no `time` in the new-order and cancel answers; GET order and openOrders carry it", (market) =>
    run(Effect.gen(function*() {
      // aster-api.md §6.2: "**Order object** (new/query/cancel/openOrders/allOrders): `clientOrderId, …, symbol, time (query only), timeInForce, …`"
      // aster-api.md §7 (spot): "(+`time` on query)"
      const { baseUrl } = yield* asterVenue(market)
      const placed = yield* signed(baseUrl, market, "POST", "order", restingBuy("no-time-1"))
      expect(placed.status).toBe(200)
      expect(placed.body).not.toHaveProperty("time")
      expect(placed.body).toHaveProperty("updateTime")
      const queried = yield* signed(baseUrl, market, "GET", "order", byClientId("no-time-1"))
      expect(typeof queried.body.time).toBe("number")
      const open = yield* signed(baseUrl, market, "GET", "openOrders", [["symbol", "ASTERUSDT"]])
      expect(open.body.map((o: { time?: number }) => typeof o.time)).toEqual(["number"])
      const cancelled = yield* signed(baseUrl, market, "DELETE", "order", byClientId("no-time-1"))
      expect(cancelled.body.status).toBe("CANCELED")
      expect(cancelled.body).not.toHaveProperty("time")
    })))
})

describe("Aster order-count rate limit", () => {
  it("futures: an accepted order's answer carries X-MBX-ORDER-COUNT-<n><letter>", () =>
    run(Effect.gen(function*() {
      // aster-api.md §5: "order responses carry `X-MBX-ORDER-COUNT-<n><letter>` (not guaranteed on rejected orders)"
      const { baseUrl } = yield* asterVenue("futures")
      const placed = yield* signed(baseUrl, "futures", "POST", "order", restingBuy("count-1"))
      expect(placed.status).toBe(200)
      const orderCount = [...placed.headers.keys()].filter((name) => /^x-mbx-order-count-\d+[smhd]$/i.test(name))
      expect(orderCount.length).toBeGreaterThan(0)
      expect(placed.headers.get("x-mbx-order-count-1m")).toBe("1")
    })))

  it("futures: past the account's ORDERS limit a new order is refused with -1015 and not placed", () =>
    run(Effect.gen(function*() {
      // aster-api.md §5: limits are "per **account** for order count"; live values in `exchangeInfo.rateLimits`
      // (`rateLimitType` `ORDERS`); §8: "-1015 | TOO_MANY_ORDERS | order rate limit"
      const { baseUrl } = yield* asterVenue("futures", { ordersPerMinute: 2 })
      const info = yield* Effect.promise(async () => (await fetch(`${baseUrl}/fapi/v1/exchangeInfo`)).json() as Promise<any>)
      expect(info.rateLimits).toContainEqual({ rateLimitType: "ORDERS", interval: "MINUTE", intervalNum: 1, limit: 2 })
      const answers: Array<Answer> = []
      for (const id of ["limit-1", "limit-2", "limit-3"]) answers.push(yield* signed(baseUrl, "futures", "POST", "order", restingBuy(id)))
      // a minute boundary between the requests would start a new window: then all three are taken
      if (answers[2]!.status === 200) return
      expect(answers.map((a) => a.status)).toEqual([200, 200, 429])
      expect(answers[2]!.body).toEqual({ code: -1015, msg: "Too many new orders; current limit is 2 orders per MINUTE." })
      const open = yield* signed(baseUrl, "futures", "GET", "openOrders", [["symbol", "ASTERUSDT"]])
      expect(open.body.map((o: { clientOrderId: string }) => o.clientOrderId).sort()).toEqual(["limit-1", "limit-2"])
    })))
})

/** The `data` of the combined stream's messages, per stream, once `count` have come (3 s at most). */
const streamEvents = (url: string, count: number, onOpen: () => void) =>
  Effect.gen(function*() {
    const socket = yield* Socket.makeWebSocket(url)
    const received = yield* Queue.unbounded<{ readonly stream: string; readonly data: any }>()
    const opened = yield* Deferred.make<void>()
    yield* Effect.forkScoped(
      socket.runRaw((raw) => Queue.offer(received, JSON.parse(typeof raw === "string" ? raw : new TextDecoder().decode(raw))), {
        onOpen: Deferred.succeed(opened, undefined)
      })
    )
    yield* Deferred.await(opened)
    onOpen()
    const events: Array<{ readonly stream: string; readonly data: any }> = []
    for (let i = 0; i < count; i++) {
      events.push(yield* Queue.take(received).pipe(Effect.timeoutFail({ duration: Duration.seconds(3), onTimeout: () => new Error(`${i} of ${count} messages within 3 s`) }), Effect.orDie))
    }
    return events
  })

describe("Aster futures market streams: partial book depth", () => {
  it("each depthUpdate's `pu` is the previous event's `u`", () =>
    run(Effect.gen(function*() {
      // aster-api.md §11.2: "`<symbol>@depth<N>` ... | `depthUpdate` | ... | `E,T,s,U,u,pu,b[[p,q]],a[[p,q]]`" and, for the
      // local book: "thereafter each event's `pu` must equal previous `u` (else resync)"
      const { baseUrl, feed } = yield* asterVenue("futures")
      const events = (yield* streamEvents(`${baseUrl.replace("http", "ws")}/stream?streams=asterusdt@depth5`, 3, () => {
        feed.quote("2.0001", "100", "2.0010", "100")
        feed.quote("2.0002", "100", "2.0010", "100")
        feed.quote("2.0003", "100", "2.0010", "100")
      })).map((e) => e.data as { readonly u: number; readonly pu: number })
      expect(events.length).toBe(3)
      expect(events[1]!.pu).toBe(events[0]!.u)
      expect(events[2]!.pu).toBe(events[1]!.u)
    })))

  it("two partial books and the book ticker on one connection: each depth stream's events chain on their own", () =>
    run(Effect.gen(function*() {
      // aster-api.md §11.2: "each event's `pu` must equal previous `u`", per stream
      const { baseUrl, feed } = yield* asterVenue("futures")
      const url = `${baseUrl.replace("http", "ws")}/stream?streams=asterusdt@depth5/asterusdt@depth10@100ms/asterusdt@bookTicker`
      // 3 quotes × 3 streams
      const events = yield* streamEvents(url, 9, () => {
        feed.quote("2.0001", "100", "2.0010", "100")
        feed.quote("2.0002", "100", "2.0010", "100")
        feed.quote("2.0003", "100", "2.0010", "100")
      })
      for (const stream of ["asterusdt@depth5", "asterusdt@depth10@100ms"]) {
        const chain = events.filter((e) => e.stream === stream).map((e) => e.data as { readonly e: string; readonly U: number; readonly u: number; readonly pu: number })
        expect(chain.map((e) => e.e)).toEqual(["depthUpdate", "depthUpdate", "depthUpdate"])
        expect(chain[1]!.pu).toBe(chain[0]!.u)
        expect(chain[2]!.pu).toBe(chain[1]!.u)
        for (const e of chain) expect(e.U).toBeLessThanOrEqual(e.u)
        expect(chain[2]!.u).toBeGreaterThan(chain[1]!.u)
      }
    })))
})
