/**
 * The Aster adapter against the venue's documented behaviour (aster-api.md): the fills history of
 * an order (dated right, read whole) and a ban that names its end only in its body. Each `// Was:`
 * says what an earlier build got wrong.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { makeAsterClient } from "../src/adapters/aster/client"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import { localAster, v1Auth } from "./support/local-aster-server"
import { awaitUpdate } from "./support/await-update"

const Live = Layer.mergeAll(NodeHttpClient.layerUndici, NodeSocket.layerWebSocketConstructor)
const fmt = formatDecimal

/** A bare HTTP server on loopback answering each request with `answer`, every request's path kept. */
const stubServer = (answer: (req: http.IncomingMessage) => { status: number; body: unknown; headers?: Record<string, string> }) =>
  Effect.acquireRelease(
    Effect.async<{ baseUrl: string; paths: Array<string>; server: http.Server }>((resume) => {
      const paths: Array<string> = []
      const server = http.createServer((req, res) => {
        paths.push(`${req.method} ${(req.url ?? "").split("?")[0]}`)
        req.resume()
        req.on("end", () => {
          const a = answer(req)
          res.writeHead(a.status, { "content-type": "application/json", ...(a.headers ?? {}) })
          res.end(JSON.stringify(a.body))
        })
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, paths, server })))
    }),
    ({ server }) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
  )

describe("Aster fills history (orderFills)", () => {
  // Was: an order object from DELETE order (and any answer without the query-only `time`) gets
  // createdAt = updateTime, i.e. the cancel's time (schemas.ts:orderOf `wire.time ?? wire.updateTime`),
  // and orderFills (exchange.ts) reads userTrades from createdAt − 1 s only. So the fills history of a
  // cancelled order (e.g. a hedge answered still executing and cancelled by finalStateOf) misses every
  // fill older than a second before the cancel: fill-backfill / restart settlement never complete it.
  it.scopedLive("the fills history of a partly filled order that was then cancelled lists its fills", () =>
    Effect.gen(function*() {
      const { venue, exchange } = yield* localAster("futures", v1Auth())
      const placed = yield* exchange.placeLimit({ side: "buy", price: decimal("1.9000"), qty: decimal("5"), postOnly: true, timeInForce: "GTC", clientId: "hl-rf1" })
      venue.fillResting(placed.id, "2")
      yield* awaitUpdate(exchange, (u) => u.fill !== undefined)
      // the rest is cancelled a little later, as cancelTracked does once the order did not end
      yield* Effect.sleep(Duration.millis(1500))
      const cancelled = yield* exchange.cancel(placed.id)
      expect(fmt(cancelled.filledQty)).toBe("2")
      const fills = yield* exchange.orderFills!(cancelled)
      expect(fills.map((f) => [f.orderId, fmt(f.qty)])).toEqual([[placed.id, "2"]])
    }).pipe(Effect.provide(Live)))
})

describe("Aster fills history, paged", () => {
  it.scopedLive("an order filled in more pieces than a page of the trade history holds is read whole", () =>
    Effect.gen(function*() {
      const { venue, exchange } = yield* localAster("futures", v1Auth())
      const placed = yield* exchange.placeLimit({ side: "buy", price: decimal("1.9000"), qty: decimal("1100"), postOnly: true, timeInForce: "GTC", clientId: "hl-rf2" })
      // another order's trades come first in the history
      const other = yield* exchange.placeLimit({ side: "buy", price: decimal("1.8000"), qty: decimal("600"), postOnly: true, timeInForce: "GTC", clientId: "hl-rf3" })
      for (let i = 0; i < 600; i++) venue.fillResting(other.id, "1")
      for (let i = 0; i < 1001; i++) venue.fillResting(placed.id, "1")
      const cancelled = yield* exchange.cancel(placed.id)
      expect(fmt(cancelled.filledQty)).toBe("1001")
      const fills = yield* exchange.orderFills!(cancelled)
      expect([fills.length, new Set(fills.map((f) => f.tradeId)).size, fills.every((f) => f.orderId === placed.id)]).toEqual([1001, 1001, true])
    }).pipe(Effect.provide(Live)))
})

describe("Aster rate limits", () => {
  // Was: a 418 (IP banned) whose answer carries no Retry-After header (the futures docs promise none;
  // only the spot docs do) but says "IP banned until <ms>" in its -1003 body is taken for a 1 s pause
  // (rest.ts:once → RateLimited without retryAfterMs; client.ts:request pauses 1000 ms): the adapter
  // keeps sending during the ban, and every request then extends it (2 min → 3 days, aster-api.md §4).
  it.scopedLive("a 418 ban without Retry-After: nothing is sent until the time its body names", () =>
    Effect.gen(function*() {
      const bannedUntil = Date.now() + 120_000
      const stub = yield* stubServer((req) => {
        const path = (req.url ?? "").split("?")[0]
        if (path === "/fapi/v1/time") return { status: 200, body: { serverTime: Date.now() } }
        if (path === "/fapi/v1/order") {
          return { status: 418, body: { code: -1003, msg: `Way too many requests; IP banned until ${bannedUntil}. Please use the websocket for live updates to avoid bans.` } }
        }
        return { status: 200, body: { symbol: "ASTERUSDT", bidPrice: "1.9990", bidQty: "10", askPrice: "2.0010", askQty: "10", time: Date.now() } }
      })
      const client = yield* makeAsterClient({ venue: "aster-futures", baseUrl: stub.baseUrl, auth: v1Auth(), timeoutMs: 2000 })
      yield* client.clock.resync
      const refused = yield* Effect.flip(client.newOrder({ symbol: "ASTERUSDT", side: "BUY", type: "MARKET", quantity: "10", clientId: "hl-ban1" }))
      expect(refused._tag).toBe("RateLimited")
      // within the next 2.5 s (the ban lasts 2 minutes) a read must not reach the venue
      yield* Effect.timeout(client.bookTicker("ASTERUSDT"), Duration.millis(2500)).pipe(Effect.ignore)
      const sentDuringBan = stub.paths.filter((p) => p.includes("bookTicker")).length
      expect({ sentDuringBan, retryAfterMs: refused._tag === "RateLimited" && (refused.retryAfterMs ?? 0) >= 100_000 })
        .toEqual({ sentDuringBan: 0, retryAfterMs: true })
    }).pipe(Effect.provide(Live)))
})
