/**
 * Backpack's fill history may list a fill without a trade id (`tradeId` is nullable), keyed then
 * by its order and time: on a scripted loopback venue (answers written by hand).
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import { BigDecimal, Effect, Redacted } from "effect"
import * as http from "node:http"
import nacl from "tweetnacl"
import { makeBackpackClient } from "../src/adapters/backpack/client"
import { formatDecimal, ZERO } from "../src/core/domain/decimal"

const SYMBOL = "ASTER_USDC_PERP"
const seed = new Uint8Array(32).fill(5)
const keys = {
  secret: Buffer.from(seed).toString("base64"),
  publicKey: Buffer.from(nacl.sign.keyPair.fromSeed(seed).publicKey).toString("base64")
}

interface Seen {
  readonly method: string
  readonly path: string
  readonly query: URLSearchParams
  readonly body: string
}
type Answer = { readonly status: number; readonly body: unknown } | undefined

const market = {
  symbol: SYMBOL,
  baseSymbol: "ASTER",
  quoteSymbol: "USDC",
  marketType: "PERP",
  filters: { price: { minPrice: "0.0001", tickSize: "0.0001" }, quantity: { minQuantity: "0.01", stepSize: "0.01" } },
  orderBookState: "Open"
}

/** A loopback venue answering `route` (then the time and the market by default). */
const serve = (route: (seen: Seen) => Answer) =>
  Effect.acquireRelease(
    Effect.async<{ url: string; server: http.Server; seen: Array<Seen> }>((resume) => {
      const seen: Array<Seen> = []
      const server = http.createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://x")
        let body = ""
        req.on("data", (c) => (body += c))
        req.on("end", () => {
          const s = { method: req.method ?? "", path: url.pathname, query: url.searchParams, body }
          seen.push(s)
          const answer = route(s) ??
            (s.path === "/api/v1/time" ? { status: 200, body: Date.now() }
            : s.path === "/api/v1/market" ? { status: 200, body: market }
            : { status: 404, body: { code: "RESOURCE_NOT_FOUND", message: "not served" } })
          res.writeHead(answer.status, { "content-type": "application/json" })
          res.end(typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body))
        })
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server, seen })))
    }),
    ({ server }) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
  )

const connect = (url: string) =>
  makeBackpackClient({ baseUrl: url, symbol: SYMBOL, publicKey: Redacted.make(keys.publicKey), secretKey: Redacted.make(keys.secret) }, { timeoutMs: 2000 })

const text = (d: BigDecimal.BigDecimal) => formatDecimal(d)

describe("Backpack fill history rows without a trade id", () => {
  // Was: such a row was keyed `${orderId}@${timestamp}`, and the fills were de-duplicated by that
  // key: two fills of one order in the same millisecond came back as one, and orderFills, the
  // restart's check of the journal and reconcileWithFills counted too little. Now a second one on a
  // page gets its own key.
  it.scopedLive("fills without a trade id: two fills of one order in the same millisecond are both returned", () =>
    Effect.gen(function*() {
      const fill = (qty: string, price: string) => ({
        tradeId: null, clientId: null, orderId: "111", symbol: SYMBOL, side: "Ask", price, quantity: qty, fee: "0.0001", feeSymbol: "USDC", isMaker: true,
        timestamp: "2025-09-11T12:00:00.123", systemOrderType: null
      })
      const venue = yield* serve((s) => (s.path === "/wapi/v1/history/fills" ? { status: 200, body: [fill("3", "2.0005"), fill("1", "2.0005")] } : undefined))
      const client = yield* connect(venue.url)
      const fills = yield* client.fills({ orderId: "111" })
      const total = fills.reduce((acc, f) => BigDecimal.sum(acc, f.qty), ZERO)
      expect([fills.length, text(total)]).toEqual([2, "4"])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
