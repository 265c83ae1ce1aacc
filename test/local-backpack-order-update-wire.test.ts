/**
 * The local Backpack's wire protocol (src/sim/local-exchange/backpack/*) against
 * /work/shared/reference/backpack-api.md and the official client's types it cites
 * (bpx-api-client types/src/order.rs `OrderUpdate`, fill.rs `Fill`), on the real venue book
 * (venue-book.ts) rather than the fake venue the contract tests use: a change that breaks what
 * the real venue's client reads shows.
 */
import { Effect, Either, Redacted, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { createRequire } from "node:module"
import { fillFromUpdate, WireFills, WsOrderUpdate } from "../src/adapters/backpack/schemas"
import { makeSigner, signedHeaders, subscriptionSignature } from "../src/adapters/backpack/signing"
import { formatDecimal } from "../src/core/domain/decimal"
import { noFaults } from "../src/sim/local-exchange/faults"
import { quotedLocalBackpack, serveLocalBackpack, testKeys } from "./support/local-backpack"

/** the `ws` package (a dev dependency; untyped here): just what the test uses, a client that sends any frame */
interface RawSocket {
  on(event: "message", listener: (data: unknown) => void): void
  on(event: "open", listener: () => void): void
  send(text: string): void
  close(): void
}
const WebSocket = createRequire(import.meta.url)("ws") as new (url: string) => RawSocket

const SYMBOL = "ASTER_USDC_PERP"
const keys = testKeys(11)
const signer = Either.getOrThrow(makeSigner(Redacted.make(keys.secret), Redacted.make(keys.publicKey)))


const run = <A>(effect: Effect.Effect<A, unknown, any>) => Effect.runPromise(Effect.scoped(effect) as Effect.Effect<A>)

const signedCall = async (baseUrl: string, method: string, path: string, instruction: string, opts: { query?: Record<string, string>; body?: Record<string, unknown> } = {}) => {
  const query = opts.query ? Object.entries(opts.query) : []
  const headers = signedHeaders(signer, { instruction, query, ...(opts.body ? { body: opts.body as any } : {}), timestamp: Date.now(), window: 5000 })
  const qs = query.length ? `?${new URLSearchParams(query).toString()}` : ""
  const res = await fetch(`${baseUrl}${path}${qs}`, { method, ...(opts.body ? { body: JSON.stringify(opts.body) } : {}), headers: { ...headers, "content-type": "application/json; charset=utf-8" } })
  return { status: res.status, body: (await res.json()) as any }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** the fields the official client's OrderUpdate requires (no Option): a message lacking one fails its decode */
const REQUIRED = ["e", "E", "s", "S", "o", "f", "q", "X", "i", "z", "Z", "V", "T", "O"]

describe("local Backpack (venue book): account.orderUpdate as the venue's clients read it", () => {
  it("partial maker fill, cancel, market fill, IOC expiry: every field the official client requires, typed as it reads them, and fills agreeing with the fill history", () =>
    run(Effect.gen(function*() {
      const { book, market } = quotedLocalBackpack()
      const baseUrl = yield* serveLocalBackpack(book, noFaults)
      const out = yield* Effect.promise(async () => {
        const ws = new WebSocket(baseUrl.replace("http", "ws") + "/")
        const messages: Array<any> = []
        ws.on("message", (data) => messages.push(JSON.parse(String(data))))
        await new Promise((resolve) => ws.on("open", () => resolve(undefined)))
        ws.send(JSON.stringify({ method: "SUBSCRIBE", params: [`account.orderUpdate.${SYMBOL}`], signature: subscriptionSignature(signer, Date.now(), 5000) }))
        await sleep(100)
        const placed = await signedCall(baseUrl, "POST", "/api/v1/order", "orderExecute", { body: { symbol: SYMBOL, side: "Ask", orderType: "Limit", price: "2.0005", quantity: "10", postOnly: true, timeInForce: "GTC", clientId: 7 } })
        market.trade("2.0005", "4", "buy")
        const cancelled = await signedCall(baseUrl, "DELETE", "/api/v1/order", "orderCancel", { body: { symbol: SYMBOL, orderId: placed.body.id } })
        await signedCall(baseUrl, "POST", "/api/v1/order", "orderExecute", { body: { symbol: SYMBOL, side: "Bid", orderType: "Market", quantity: "3", clientId: 8 } })
        await signedCall(baseUrl, "POST", "/api/v1/order", "orderExecute", { body: { symbol: SYMBOL, side: "Bid", orderType: "Limit", price: "1.9", quantity: "3", timeInForce: "IOC", clientId: 9 } })
        await sleep(200)
        const fills = await signedCall(baseUrl, "GET", "/wapi/v1/history/fills", "fillHistoryQueryAll", { query: { symbol: SYMBOL } })
        ws.close()
        return { cancelled, messages, fills }
      })
      const updates = out.messages.map((m) => m.data)
      expect(out.messages.every((m) => m.stream === `account.orderUpdate.${SYMBOL}`)).toBe(true)
      expect(updates.map((u) => [u.e, u.X, u.c])).toEqual([
        ["orderAccepted", "New", 7], ["orderFill", "PartiallyFilled", 7], ["orderCancelled", "Cancelled", 7],
        ["orderAccepted", "New", 8], ["orderFill", "Filled", 8],
        ["orderAccepted", "New", 9], ["orderExpired", "Expired", 9]
      ])
      for (const u of updates) {
        for (const key of REQUIRED) expect(u[key], `${u.e}.${key}`).toBeDefined()
        // µs integers (E, T), the client id an integer, the order id a string
        expect([Number.isSafeInteger(u.E) && u.E > 1e15, Number.isSafeInteger(u.T) && u.T > 1e15, typeof u.i, typeof u.c]).toEqual([true, true, "string", "number"])
        expect(["LIMIT", "MARKET"]).toContain(u.o)
      }
      // fills: trade id a u64, l/L/m/n/N as the fill history lists the same trade
      const history = Schema.decodeUnknownSync(WireFills)(out.fills.body)
      for (const u of updates.filter((u) => u.e === "orderFill")) {
        expect(Number.isSafeInteger(u.t)).toBe(true)
        const fill = fillFromUpdate(Schema.decodeUnknownSync(WsOrderUpdate)(u))!
        const listed = history.find((h) => String(h.tradeId) === String(u.t))!
        expect([formatDecimal(fill.qty), formatDecimal(fill.price), fill.liquidity, formatDecimal(fill.fee), fill.feeAsset]).toEqual(
          [formatDecimal(listed.quantity), formatDecimal(listed.price), listed.isMaker ? "maker" : "taker", formatDecimal(listed.fee), listed.feeSymbol]
        )
      }
      // z/Z cumulative: the cancel's answer and message say the same 4 at 2.0005
      expect([out.cancelled.body.executedQuantity, out.cancelled.body.executedQuoteQuantity, updates[2].z, updates[2].Z]).toEqual(["4", "8.002", "4", "8.002"])
    })))
})
