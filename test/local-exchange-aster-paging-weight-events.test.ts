/**
 * The local exchange's Aster side against /work/shared/reference/aster-api.md, where a review found
 * it answering differently from the real venue (an adapter tested against it would prove nothing
 * there): userTrades paging, the depth's weight at its default limit, the spot account event's
 * reason. Everything in-process on loopback, the venue clock in the test's hands.
 */
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import * as Socket from "@effect/platform/Socket"
import { Deferred, Duration, Effect, Option, Queue, Redacted } from "effect"
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

/** A venue clock the test moves (ms). */
const testClock = (start = Date.now()) => {
  let now = start
  return { now: () => now, set: (ms: number) => void (now = ms), advance: (ms: number) => void (now += ms) }
}

/** The venue book `npm run exchange` runs, quoted 2.0000 / 2.0010, served as Aster futures or spot on loopback. */
const asterVenue = (market: Market, clock = testClock()) =>
  Effect.gen(function*() {
    const venue = market === "futures" ? "aster-futures" : "aster-spot"
    const book = makeLocalVenue({
      instrument: localInstrument(venue),
      priceScale: 4,
      qtyScale: 2,
      fees: { maker: d("0.0001"), taker: d("0.00035") },
      startingBalances: () => new Map([["USDT", d("100000")], ["ASTER", d("100000")]]),
      ...(market === "futures" ? { funding: { intervalHours: 4, rate: d("0.0001") } } : {}),
      clock: clock.now
    })
    const feed = scriptedMarket(book)
    feed.quote("2.0000", "100", "2.0010", "100")
    const baseUrl = yield* serveAster({ venue: book, market, faults: noFaults, accounts: testAccounts })
    return { book, feed, baseUrl, clock }
  })

interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly body: any
}

/** A V1-signed request timed by the venue clock, as any client sends it. */
const signed = (
  venue: { readonly baseUrl: string; readonly clock: { readonly now: () => number } },
  market: Market,
  method: "GET" | "POST" | "DELETE",
  name: string,
  params: ReadonlyArray<readonly [string, string]>
) =>
  Effect.promise(async (): Promise<Answer> => {
    const text = signV1(Redacted.make(V1_KEY.apiSecret), params, { timestamp: venue.clock.now(), recvWindow: 5000 }).signed
    const url = `${venue.baseUrl}${asterPath(market, "v1", name)}`
    const response = method === "GET"
      ? await fetch(`${url}?${text}`, { headers: { [API_KEY_HEADER]: V1_KEY.apiKey } })
      : await fetch(url, { method, body: text, headers: { [API_KEY_HEADER]: V1_KEY.apiKey, "content-type": "application/x-www-form-urlencoded" } })
    return { status: response.status, headers: response.headers, body: await response.json() }
  })

const marketOrder = (side: "BUY" | "SELL", qty: string, clientId: string, extra: ReadonlyArray<readonly [string, string]> = []): Array<readonly [string, string]> => [
  ["symbol", "ASTERUSDT"], ["side", side], ["type", "MARKET"], ["quantity", qty], ["newClientOrderId", clientId], ["newOrderRespType", "RESULT"], ...extra
]

const run = <A>(effect: Effect.Effect<A, unknown, any>) =>
  Effect.runPromise(Effect.scoped(effect).pipe(Effect.provide(NodeSocket.layerWebSocketConstructor)) as Effect.Effect<A>)

/** The account's user data stream: a listenKey (API key only), then `/ws/<listenKey>`; messages arrive on the queue. */
const userStream = (venue: { readonly baseUrl: string }, market: Market) =>
  Effect.gen(function*() {
    const created = yield* Effect.promise(async () =>
      (await fetch(`${venue.baseUrl}${asterPath(market, "v1", "listenKey")}`, { method: "POST", headers: { [API_KEY_HEADER]: V1_KEY.apiKey } })).json() as Promise<{ listenKey: string }>
    )
    const socket = yield* Socket.makeWebSocket(`${venue.baseUrl.replace("http", "ws")}/ws/${created.listenKey}`)
    const received = yield* Queue.unbounded<any>()
    const opened = yield* Deferred.make<void>()
    yield* Effect.forkScoped(
      socket.runRaw((raw) => Queue.offer(received, JSON.parse(typeof raw === "string" ? raw : new TextDecoder().decode(raw))), {
        onOpen: Deferred.succeed(opened, undefined)
      })
    )
    yield* Deferred.await(opened)
    /** the first message (within `seconds`) the predicate accepts; none: Option.none */
    const next = (accept: (message: any) => boolean, seconds = 2) =>
      Effect.gen(function*() {
        while (true) {
          const message = yield* Queue.take(received)
          if (accept(message)) return message
        }
      }).pipe(Effect.timeout(Duration.seconds(seconds)), Effect.option)
    return { next }
  })

describe("Aster depth weight", () => {
  it("futures: GET depth without `limit` (default 500) is charged the weight of limit 100", () =>
    run(Effect.gen(function*() {
      // Was: routes.ts:500 charges depthWeight(limit ?? 100) = 5, but the futures default limit is 500 (routes.ts:248 and
      // aster-api.md §6.1 "`limit` (default 500 …)"), whose weight is 10 ("500→10"). Right: X-MBX-USED-WEIGHT-1M rises by 10.
      const venue = yield* asterVenue("futures")
      const answer = yield* Effect.promise(() => fetch(`${venue.baseUrl}/fapi/v1/depth?symbol=ASTERUSDT`))
      expect(answer.status).toBe(200)
      expect(answer.headers.get("x-mbx-used-weight-1m")).toBe("10")
    })))
})

describe("Aster userTrades paging", () => {
  it("futures: fromId gives the newest `limit` trades instead of those from fromId on; endTime is ignored", () =>
    run(Effect.gen(function*() {
      // Was: routes.ts:419-429 (userTrades) keeps rows with id ≥ fromId and then slices the LAST `limit` of them, and never
      // reads endTime. Aster (Binance-style, aster-api.md §6.1 `startTime`, `endTime`, `fromId`, `limit`): fromId = "Trade id
      // to fetch from" (trades ≥ fromId, oldest first), and nothing after endTime. A client paging by fromId skips trades.
      // Right: fromId=t1&limit=2 → [t1, t2]; endTime before t3 → [t1, t2].
      const venue = yield* asterVenue("futures")
      const times: Array<number> = []
      for (const id of ["p-1", "p-2", "p-3"]) {
        venue.clock.advance(1000)
        times.push(venue.clock.now())
        expect((yield* signed(venue, "futures", "POST", "order", marketOrder("BUY", "10", id))).status).toBe(200)
      }
      const all = yield* signed(venue, "futures", "GET", "userTrades", [["symbol", "ASTERUSDT"]])
      const ids: Array<number> = all.body.map((t: { id: number }) => t.id)
      expect(ids.length).toBe(3)
      const page = yield* signed(venue, "futures", "GET", "userTrades", [["symbol", "ASTERUSDT"], ["fromId", String(ids[0])], ["limit", "2"]])
      const window = yield* signed(venue, "futures", "GET", "userTrades", [["symbol", "ASTERUSDT"], ["startTime", String(times[0])], ["endTime", String(times[1])]])
      expect({
        page: page.body.map((t: { id: number }) => t.id),
        window: window.body.map((t: { id: number }) => t.id)
      }).toEqual({ page: [ids[0], ids[1]], window: [ids[0], ids[1]] })
    })))
})

describe("Aster spot user data stream", () => {
  it("spot outboundAccountPosition: no `m` field", () =>
    run(Effect.gen(function*() {
      // Was: wire.ts:257 sends {e, E, T, B} for spot. aster-api.md §11.4: "Spot events: `outboundAccountPosition`
      // `{e, E, T, m, B:[{a, f, l}]}`" (the doc sample has "m": "WITHDRAW"). Right: the event carries `m`, the reason.
      const venue = yield* asterVenue("spot")
      const stream = yield* userStream(venue, "spot")
      expect((yield* signed(venue, "spot", "POST", "order", marketOrder("BUY", "10", "spot-1"))).status).toBe(200)
      const update = yield* stream.next((m) => m.e === "outboundAccountPosition")
      expect(Option.isSome(update)).toBe(true)
      expect(typeof Option.getOrThrow(update).m).toBe("string")
    })))
})
