/**
 * The local exchange's Aster side (futures `/fapi` and spot `/api`) where it spoke otherwise than
 * Aster (/work/shared/reference/aster-api.md) and what the live adapter reads. Everything
 * in-process on loopback, the venue clock in the test's hands, requests V1-signed as any client
 * sends them.
 */
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { Effect, Redacted, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { asterPath } from "../src/adapters/aster/client"
import { futuresBalancesOf, FuturesBalances } from "../src/adapters/aster/schemas"
import { API_KEY_HEADER, signV1 } from "../src/adapters/aster/signing-v1"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
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
  return { now: () => now, advance: (ms: number) => void (now += ms) }
}

/**
 * The venue book `npm run exchange` runs (taker 0.00035 on futures, 0.0004 on spot), quoted
 * 2.0000 / 2.0010 with deep tops, served as Aster futures or spot on loopback.
 */
const asterVenue = (market: Market, options: { readonly start?: ReadonlyArray<readonly [string, string]>; readonly paysFeesInAster?: boolean } = {}) =>
  Effect.gen(function*() {
    const clock = testClock()
    const venue = market === "futures" ? "aster-futures" : "aster-spot"
    const book = makeLocalVenue({
      instrument: localInstrument(venue),
      priceScale: 4,
      qtyScale: 2,
      fees: market === "futures" ? { maker: d("0.0001"), taker: d("0.00035") } : { maker: d("0.00005"), taker: d("0.0004") },
      startingBalances: () => new Map((options.start ?? [["USDT", "10000"]]).map(([asset, amount]) => [asset, d(amount)])),
      ...(options.paysFeesInAster === true ? { paysFeesInBase: () => true } : {}),
      ...(market === "futures" ? { funding: { intervalHours: 4, rate: d("0.0001") } } : {}),
      clock: clock.now
    })
    const feed = scriptedMarket(book)
    feed.quote("2.0000", "100000", "2.0010", "100000")
    const baseUrl = yield* serveAster({ venue: book, market, faults: noFaults, accounts: testAccounts })
    return { book, feed, baseUrl, clock }
  })

/** A V1-signed request timed by the venue clock. */
const signed = (
  venue: { readonly baseUrl: string; readonly clock: { readonly now: () => number } },
  market: Market,
  method: "GET" | "POST" | "DELETE",
  name: string,
  params: ReadonlyArray<readonly [string, string]>
) =>
  Effect.promise(async () => {
    const text = signV1(Redacted.make(V1_KEY.apiSecret), params, { timestamp: venue.clock.now(), recvWindow: 5000 }).signed
    const url = `${venue.baseUrl}${asterPath(market, "v1", name)}`
    const response = method === "GET"
      ? await fetch(`${url}?${text}`, { headers: { [API_KEY_HEADER]: V1_KEY.apiKey } })
      : await fetch(url, { method, body: text, headers: { [API_KEY_HEADER]: V1_KEY.apiKey, "content-type": "application/x-www-form-urlencoded" } })
    return { status: response.status, body: await response.json() as any }
  })

const marketOrder = (side: "BUY" | "SELL", qty: string, clientId: string, extra: ReadonlyArray<readonly [string, string]> = []): Array<readonly [string, string]> => [
  ["symbol", "ASTERUSDT"], ["side", side], ["type", "MARKET"], ["quantity", qty], ["newClientOrderId", clientId], ["newOrderRespType", "RESULT"], ...extra
]

const run = <A>(effect: Effect.Effect<A, unknown, any>) =>
  Effect.runPromise(Effect.scoped(effect).pipe(Effect.provide(NodeSocket.layerWebSocketConstructor)) as Effect.Effect<A>)

describe("Aster spot: fees paid in ASTER", () => {
  // Was: with "Pay fee in ASTER" on, a spot sell's fee was taken in ASTER whenever the account
  // held enough ASTER before the sale, the ASTER being sold included: selling the whole holding left
  // the spot wallet at a negative ASTER balance (-0.0038 here), which the adapter reads as a
  // negative spot position.
  it("spot: selling the whole ASTER holding never leaves a negative ASTER balance; a buy's fee comes out of what it bought", () =>
    run(Effect.gen(function*() {
      const venue = yield* asterVenue("spot", { start: [["USDT", "10000"], ["ASTER", "10"]], paysFeesInAster: true })
      const aster = () => Effect.map(signed(venue, "spot", "GET", "account", []), (answer) => answer.body.balances.find((b: { asset: string }) => b.asset === "ASTER"))
      const lastFeeAsset = () =>
        Effect.map(signed(venue, "spot", "GET", "userTrades", [["symbol", "ASTERUSDT"]]), (answer) => (answer.body as ReadonlyArray<{ commissionAsset: string }>).at(-1)?.commissionAsset)
      // the sale of all 10 leaves no ASTER to pay its fee with: it is paid in USDT
      const sold = yield* signed(venue, "spot", "POST", "order", marketOrder("SELL", "10", "s-1"))
      expect(sold.body.status).toBe("FILLED")
      expect(yield* aster()).toMatchObject({ free: "0", locked: "0" })
      expect(yield* lastFeeAsset()).toBe("USDT")
      // a buy's fee (10 × 0.0004 × 0.95 = 0.0038) comes out of the ASTER it bought
      const bought = yield* signed(venue, "spot", "POST", "order", marketOrder("BUY", "10", "b-1"))
      expect(bought.body.status).toBe("FILLED")
      expect(yield* aster()).toMatchObject({ free: "9.9962", locked: "0" })
      expect(yield* lastFeeAsset()).toBe("ASTER")
    })))
})

describe("Aster futures: reduceOnly", () => {
  // Was: POST /fapi/v1/order ignored `reduceOnly`: a reduce-only BUY on a flat account opened a
  // long here, where Aster refuses it (-2022 REDUCE_ONLY_REJECT).
  it("futures: a reduce-only order on a flat account is refused (-2022), not filled", () =>
    run(Effect.gen(function*() {
      const venue = yield* asterVenue("futures")
      const answer = yield* signed(venue, "futures", "POST", "order", marketOrder("BUY", "10", "ro-1", [["reduceOnly", "true"]]))
      const position = (yield* signed(venue, "futures", "GET", "positionRisk", [["symbol", "ASTERUSDT"]])).body[0].positionAmt
      expect({ status: answer.status, code: answer.body.code, position }).toEqual({ status: 400, code: -2022, position: "0" })
    })))
})

describe("Aster futures: balance vs unrealised PnL", () => {
  // Was: GET /fapi/v2/balance reported `balance` and `crossWalletBalance` as wallet + unrealised
  // PnL and `crossUnPnl` as "0" always; Aster's `balance` is the wallet balance (uPnL is
  // `crossUnPnl`; `availableBalance` = wallet + uPnL − margin). The adapter reads `balance`
  // (locked = balance − available), so `--check` showed 190.05 USDT locked where Aster gives 290.55.
  it("futures: `balance` is the wallet balance, the unrealised PnL is `crossUnPnl`", () =>
    run(Effect.gen(function*() {
      const venue = yield* asterVenue("futures")
      // a long of 1000 at 2.001 (taker fee 0.70035), then the market drops to 1.9000 / 1.9010 (mark 1.9005)
      expect((yield* signed(venue, "futures", "POST", "order", marketOrder("BUY", "1000", "b-1"))).body.status).toBe("FILLED")
      venue.feed.quote("1.9000", "100000", "1.9010", "100000")
      const risk = (yield* signed(venue, "futures", "GET", "positionRisk", [["symbol", "ASTERUSDT"]])).body[0]
      expect(risk.unRealizedProfit).toBe("-100.5")
      const rows = (yield* signed(venue, "futures", "GET", "balance", [])).body
      const usdt = rows.find((r: { asset: string }) => r.asset === "USDT")
      // wallet = 10000 − 0.70035; available = wallet − 100.5 − 1000 × 1.9005 / 10
      expect(usdt.availableBalance).toBe("9708.74965")
      const adapterView = futuresBalancesOf("aster-futures", Schema.decodeUnknownSync(FuturesBalances)(rows)).find((b) => b.asset === "USDT")!
      expect({
        balance: usdt.balance,
        crossWalletBalance: usdt.crossWalletBalance,
        crossUnPnl: usdt.crossUnPnl,
        adapterLocked: formatDecimal(adapterView.locked)
      }).toEqual({ balance: "9999.29965", crossWalletBalance: "9999.29965", crossUnPnl: "-100.5", adapterLocked: "290.55" })
    })))
})
