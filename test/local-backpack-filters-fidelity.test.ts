/**
 * The local exchange's Backpack side against /work/shared/reference/backpack-api.md: it enforces
 * only filters Backpack has and publishes (it took a minimum notional, which Backpack has not,
 * enforced it and listed none; the change is now refused).
 * The live Backpack adapter is tested only against this local venue, so a refusal the local venue
 * makes that the real one cannot (and that nothing the venue publishes explains) trains the
 * adapter's tests on a venue that does not exist.
 */
import { Effect, Either, Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { makeSigner, signedHeaders } from "../src/adapters/backpack/signing"
import { decimal } from "../src/core/domain/decimal"
import { noFaults } from "../src/sim/local-exchange/faults"
import { quotedLocalBackpack, serveLocalBackpack, testKeys } from "./support/local-backpack"

const d = decimal
const SYMBOL = "ASTER_USDC_PERP"


const run = <A>(effect: Effect.Effect<A, unknown, any>) => Effect.runPromise(Effect.scoped(effect) as Effect.Effect<A>)

describe("local Backpack: filters it enforces are filters Backpack has and publishes", () => {
  it("a minimum notional on Backpack is refused as a filter change, and the venue keeps taking the order its published filters allow", () =>
    run(Effect.gen(function*() {
      // Was: backpack-api.md lists Backpack's filters as price {minPrice, maxPrice, tickSize} and
      // quantity {minQuantity, maxQuantity, stepSize}: there is no minimum notional, and the adapter
      // reads none (toInstrument: minNotional 0). The fault plan's `filters` section nevertheless
      // takes `min_notional` for `venue: backpack` (the README documents it for every venue, and
      // says the venue "lists the new filters ... Backpack /api/v1/market(s)"), the book then
      // refuses small orders with INVALID_ORDER "order value is below the minimum notional", while
      // GET /api/v1/market shows nothing changed. Real Backpack would take the order.
      const { book } = quotedLocalBackpack()
      // a filter Backpack does not have is refused, so nothing is enforced unseen
      expect(() => book.changeFilters({ minNotional: d("100") })).toThrow(/is no Backpack filter/)
      const baseUrl = yield* serveLocalBackpack(book, noFaults)
      const market = yield* Effect.promise(() => fetch(`${baseUrl}/api/v1/market?symbol=${SYMBOL}`).then((r) => r.json() as Promise<any>))
      // what the venue publishes: the order below fits every one of these filters
      expect(market.filters).toEqual({
        price: { minPrice: "0.0001", maxPrice: null, tickSize: "0.0001" },
        quantity: { minQuantity: "0.01", maxQuantity: null, stepSize: "0.01" }
      })
      const keys = testKeys(11)
      const signer = Either.getOrThrow(makeSigner(Redacted.make(keys.secret), Redacted.make(keys.publicKey)))
      // a post-only limit buy of 10 at 1.9000 (notional 19): on the tick, on the step, above the minimum quantity
      const body = { symbol: SYMBOL, side: "Bid", orderType: "Limit", price: "1.9000", quantity: "10", postOnly: true, timeInForce: "GTC", clientId: 7 }
      const answer = yield* Effect.promise(async () => {
        const headers = signedHeaders(signer, { instruction: "orderExecute", body, timestamp: Date.now(), window: 5000 })
        const res = await fetch(`${baseUrl}/api/v1/order`, { method: "POST", body: JSON.stringify(body), headers: { ...headers, "content-type": "application/json; charset=utf-8" } })
        return { status: res.status, body: (await res.json()) as any }
      })
      expect(answer).toMatchObject({ status: 200, body: { status: "New", clientId: 7 } })
    })))
})
