/**
 * A Backpack placement whose answer is lost (a fast 5xx) stays acceptable to the venue for its
 * whole X-Window (backpack-api.md "Authentication"): the adapter keeps its client id in doubt
 * until then, so neither it nor the core's tracked placement (which asks the client id before
 * sending again) places the order twice.
 *
 * The loopback server answers the first POST /api/v1/order with 503 and books that order later
 * (or never), as a venue whose gateway gave up while the matching engine still had the order.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted, Schedule } from "effect"
import * as http from "node:http"
import nacl from "tweetnacl"
import { makeBackpackClient } from "../src/adapters/backpack/client"
import { decimal } from "../src/core/domain/decimal"
import type { Exchange } from "../src/core/exchange"
import { placeLimitTracked } from "../src/core/strategy/tracked-orders"

const SYMBOL = "SOL_USDC"
const seed = new Uint8Array(32).fill(9)
const keys = {
  secret: Buffer.from(seed).toString("base64"),
  publicKey: Buffer.from(nacl.sign.keyPair.fromSeed(seed).publicKey).toString("base64")
}

interface Booked {
  id: string
  clientId: number
  body: Record<string, unknown>
  createdAt: number
}

interface Venue {
  url: string
  server: http.Server
  booked: Array<Booked>
  posts: () => number
  /** while true, GET /api/v1/order answers 503 */
  lookupsDown: boolean
}

/** `bookLostAfterMs`: when the order whose POST was answered 503 is booked (never when absent). */
const serve = (bookLostAfterMs?: number) =>
  Effect.acquireRelease(
    Effect.async<Venue>((resume) => {
      const booked: Array<Booked> = []
      let posts = 0
      let nextId = 1
      const wire = (o: Booked) => ({
        id: o.id,
        clientId: o.clientId,
        symbol: SYMBOL,
        side: o.body.side,
        orderType: "Limit",
        quantity: o.body.quantity,
        executedQuantity: "0",
        executedQuoteQuantity: "0",
        price: o.body.price,
        timeInForce: "GTC",
        postOnly: true,
        selfTradePrevention: "RejectTaker",
        status: "New",
        createdAt: o.createdAt
      })
      const server = http.createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://x")
        let body = ""
        req.on("data", (c) => (body += c))
        req.on("end", () => {
          const json = (status: number, value: unknown) => {
            res.writeHead(status, { "content-type": "application/json" })
            res.end(JSON.stringify(value))
          }
          const route = `${req.method} ${url.pathname}`
          if (route === "GET /api/v1/time") return json(200, Date.now())
          if (route === "GET /api/v1/market") {
            return json(200, {
              symbol: SYMBOL,
              baseSymbol: "SOL",
              quoteSymbol: "USDC",
              marketType: "SPOT",
              filters: { price: { minPrice: "0.01", tickSize: "0.01" }, quantity: { minQuantity: "0.01", stepSize: "0.01" } },
              orderBookState: "Open"
            })
          }
          if (route === "POST /api/v1/order") {
            posts += 1
            const order: Booked = { id: String(nextId++), clientId: JSON.parse(body).clientId, body: JSON.parse(body), createdAt: Date.now() }
            if (posts === 1) {
              // the gateway gives up at once; the engine books the order a moment later, inside its window
              if (bookLostAfterMs !== undefined) setTimeout(() => booked.push(order), bookLostAfterMs)
              return json(503, { code: "SERVICE_UNAVAILABLE", message: "Service unavailable" })
            }
            booked.push(order)
            return json(200, wire(order))
          }
          if (route === "GET /api/v1/order") {
            if (venue.lookupsDown) return json(503, { code: "SERVICE_UNAVAILABLE", message: "Service unavailable" })
            const clientId = url.searchParams.get("clientId")
            const orderId = url.searchParams.get("orderId")
            const found = booked.find((o) => (clientId !== null ? String(o.clientId) === clientId : o.id === orderId))
            return found ? json(200, wire(found)) : json(404, { code: "RESOURCE_NOT_FOUND", message: "Order not found" })
          }
          if (route === "GET /wapi/v1/history/orders") return json(200, [])
          if (route === "GET /wapi/v1/history/fills") return json(200, [])
          json(404, { code: "RESOURCE_NOT_FOUND", message: route })
        })
      })
      const venue: Venue = { url: "", server, booked, posts: () => posts, lookupsDown: false }
      server.listen(0, "127.0.0.1", () => {
        const address = server.address() as { port: number }
        venue.url = `http://127.0.0.1:${address.port}`
        resume(Effect.succeed(venue))
      })
    }),
    ({ server }) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
  )

const connect = (venue: Venue, windowMs?: number) =>
  Effect.gen(function*() {
    const client = yield* makeBackpackClient({
      baseUrl: venue.url,
      symbol: SYMBOL,
      publicKey: Redacted.make(keys.publicKey),
      secretKey: Redacted.make(keys.secret)
    }, { timeoutMs: 2000, ...(windowMs !== undefined ? { windowMs } : {}) })
    yield* client.clock.resync
    return client
  })

const sell = (clientId: string) => ({ side: "sell", price: decimal("150.00"), qty: decimal("1.00"), postOnly: true, timeInForce: "GTC", clientId }) as const

describe("Backpack: a placement whose answer is lost stays in doubt until the venue can no longer book it", () => {
  it.scopedLive("booked late but inside its X-Window: found by its client id, not sent again (through the core's tracked placement)", () =>
    Effect.gen(function*() {
      const venue = yield* serve(1500)
      const client = yield* connect(venue)
      // the core's tracked placement over the adapter, with the default hedge retry (200 ms, exponential)
      const exchange = { venue: "backpack", placeLimit: client.placeLimit, queryOrder: client.queryOrder } as unknown as Exchange
      const placed = yield* placeLimitTracked(exchange, sell("hl-m1"), Schedule.exponential(200).pipe(Schedule.intersect(Schedule.recurs(5))))
      expect(placed.clientId).toBe("hl-m1")
      // let anything else in flight land: the venue must hold one order, not two
      yield* Effect.sleep(2500)
      expect(venue.booked.length).toBe(1)
      expect(venue.posts()).toBe(1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)), 20_000)

  it.scopedLive("never booked: reported only once its window (plus a margin) has passed, after which it may be sent again", () =>
    Effect.gen(function*() {
      const venue = yield* serve()
      const client = yield* connect(venue, 2000)
      const started = Date.now()
      const lost = yield* Effect.flip(client.placeLimit(sell("hl-m2")))
      expect(Date.now() - started).toBeGreaterThanOrEqual(2900)
      expect(lost._tag).toBe("VenueUnavailable")
      expect(lost.message).toContain("no order with client id hl-m2 booked by the end of its 2000 ms window (not sent again)")
      // settled: the client id is unknown at once, and sending it again places it once
      const asked = Date.now()
      expect((yield* Effect.flip(client.queryOrder({ clientId: "hl-m2" })))._tag).toBe("UnknownOrder")
      expect(Date.now() - asked).toBeLessThan(1000)
      yield* client.placeLimit(sell("hl-m2"))
      expect([venue.posts(), venue.booked.length]).toEqual([2, 1])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)), 20_000)

  it.scopedLive("a look-up of the client id meanwhile waits for the window instead of answering UnknownOrder", () =>
    Effect.gen(function*() {
      const venue = yield* serve(1000)
      const client = yield* connect(venue, 2000)
      const placing = yield* Effect.fork(client.placeLimit(sell("hl-m3")))
      yield* Effect.sleep(300)
      const queried = yield* client.queryOrder({ clientId: "hl-m3" })
      expect(queried.clientId).toBe("hl-m3")
      expect((yield* placing.await)._tag).toBe("Success")
      expect([venue.posts(), venue.booked.length]).toEqual([1, 1])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)), 20_000)

  it.scopedLive("while its look-ups fail it stays in doubt: placing it again looks it up instead of sending", () =>
    Effect.gen(function*() {
      const venue = yield* serve(500)
      venue.lookupsDown = true
      const client = yield* connect(venue, 2000)
      const lost = yield* Effect.flip(client.placeLimit(sell("hl-m4")))
      expect(lost._tag).toBe("VenueUnavailable")
      expect(lost.message).toContain("looking up client id hl-m4 failed too")
      expect(lost.message).toContain("outcome unknown")
      venue.lookupsDown = false
      const placed = yield* client.placeLimit(sell("hl-m4"))
      expect([placed.clientId, placed.id]).toEqual(["hl-m4", venue.booked[0]?.id])
      expect([venue.posts(), venue.booked.length]).toEqual([1, 1])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)), 20_000)
})
