/**
 * Funding payments from the venues' own histories, over loopback with the real adapters: the
 * local exchange replays a scripted tick file whose funding rows set the rate, settles funding at
 * the venue's funding time on every account holding a position (longs pay a positive rate), and
 * lists the payments where the venues do (Backpack GET /wapi/v1/history/funding, Aster
 * GET /fapi/v1/income with the rate from GET /fapi/v1/fundingRate). An answer that does not decode
 * is an InvalidResponse naming the field.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { describe, expect, it } from "@effect/vitest"
import { BigDecimal, Duration, Effect, Layer, Redacted } from "effect"
import type { AsterAuth } from "../src/adapters/aster/client"
import { makeAsterExchange } from "../src/adapters/aster/exchange"
import { makeBackpackExchange } from "../src/adapters/backpack/exchange"
import type { FundingPayment } from "../src/core/accounting/ledger"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import { DEFAULT_TEST_ACCOUNT } from "../src/sim/local-exchange/accounts"
import { startLocalExchange } from "../src/sim/local-exchange/local-exchange"
import { makerConfig, testKeys } from "./support/local-backpack"
import { writeScript } from "./support/scripted-market"
import { rewritingProxy } from "./support/rest-proxy"

const platform = Layer.mergeAll(NodeHttpClient.layerUndici, NodeSocket.layerWebSocketConstructor)

const HOUR = 3_600_000
/** The funding time: the venue clock starts this long before it (positions are opened meanwhile). */
const LEAD_MS = 4000
const BP_RATE = "0.0001"
const AS_RATE = "0.0002"

const asterAuth: AsterAuth = { kind: "v1", apiKey: Redacted.make(DEFAULT_TEST_ACCOUNT.asterApiKey), apiSecret: Redacted.make(DEFAULT_TEST_ACCOUNT.asterApiSecret) }
const keys = testKeys(11)

const row = (p: FundingPayment) => ({
  venue: p.venue,
  ts: p.ts,
  rate: formatDecimal(p.rate),
  markPrice: formatDecimal(p.markPrice),
  position: formatDecimal(p.position),
  amount: formatDecimal(BigDecimal.normalize(p.amount))
})

/**
 * Both venues quote 1.9990 / 2.0010 (mid 2.0000); the file's funding rows (one hour in) give
 * Backpack 0.0001 and Aster 0.0002. The venue clock is set LEAD_MS before a 4-hour UTC boundary:
 * a funding time of both (Backpack funds hourly, Aster every 4 h: the defaults without a spacing
 * of rows in the file).
 */
const setUp = Effect.gen(function*() {
  const dbPath = writeScript(
    [
      { t: 0, venue: "bp", quote: ["1.9990", "1000", "2.0010", "1000"] },
      { t: 0, venue: "as", quote: ["1.9990", "1000", "2.0010", "1000"] }
    ],
    { funding: [{ t: HOUR, venue: "bp", rate: BP_RATE, mark: "2.5" }, { t: HOUR, venue: "as", rate: AS_RATE, mark: "2.5" }] }
  )
  const fundingTime = (Math.floor(Date.now() / (4 * HOUR)) + 1) * 4 * HOUR
  const offset = fundingTime - LEAD_MS - Date.now()
  const clock = () => Date.now() + offset
  const running = yield* startLocalExchange({ dbPath, portBackpack: 0, portAster: 0, portAsterSpot: 0, clock })
  return { running, fundingTime, clock }
})

const backpackOn = (baseUrl: string, wsUrl?: string) =>
  makeBackpackExchange(makerConfig(baseUrl, keys, "ASTER_USDC_PERP"), { timeoutMs: 2000, ...(wsUrl !== undefined ? { wsUrl } : {}) })

const asterOn = (baseUrl: string, market: "futures" | "spot" = "futures", streamUrl?: string) =>
  makeAsterExchange({
    venue: market === "futures" ? "aster-futures" : "aster-spot",
    baseUrl,
    symbol: "ASTERUSDT",
    auth: asterAuth,
    timeoutMs: 2000,
    ...(streamUrl !== undefined ? { streamUrl } : {})
  })

/** Sleeps until the venue clock has passed `ts`. */
const until = (clock: () => number, ts: number) => Effect.suspend(() => Effect.sleep(Duration.millis(Math.max(0, ts - clock() + 300))))

/** a proxy in front of a local venue whose answer to `path` is `body`, whatever the venue said */
const answering = (target: string, path: string, body: string) => rewritingProxy(target, path, () => body)

describe("funding payments from the venues' histories (local exchange, real adapters)", () => {
  it.scopedLive("a position held over the funding time: the exact amount, signed, on both venues; nothing before or after", () =>
    Effect.gen(function*() {
      const { running, fundingTime, clock } = yield* setUp
      const maker = yield* backpackOn(running.urls.backpack)
      const hedge = yield* asterOn(running.urls.asterFutures)
      const spot = yield* asterOn(running.urls.asterSpot, "spot")

      // short 10 on Backpack (sold at the bid), long 10 on Aster (bought at the ask), before the funding time
      const sold = yield* maker.placeMarket({ side: "sell", qty: decimal("10"), clientId: "hl-fund-1" })
      const bought = yield* hedge.placeMarket({ side: "buy", qty: decimal("10"), clientId: "hl-fund-2" })
      expect([formatDecimal(sold.filledQty), formatDecimal(bought.filledQty)]).toEqual(["10", "10"])
      expect(clock()).toBeLessThan(fundingTime)
      expect(yield* maker.fundingPayments!(fundingTime - HOUR)).toEqual([])
      expect(yield* hedge.fundingPayments!(fundingTime - HOUR)).toEqual([])

      yield* until(clock, fundingTime)
      const bp = yield* maker.fundingPayments!(fundingTime - HOUR)
      const as = yield* hedge.fundingPayments!(fundingTime - HOUR)
      // mark = the mid 2.0000; the short receives 10 × 2 × 0.0001, the long pays 10 × 2 × 0.0002.
      // Backpack reports neither mark nor position; Aster's rate comes from its rate history, which
      // has no mark; neither reports the position: those read 0.
      expect(bp.map(row)).toEqual([{ venue: "backpack", ts: fundingTime, rate: BP_RATE, markPrice: "0", position: "0", amount: "0.002" }])
      expect(as.map(row)).toEqual([{ venue: "aster-futures", ts: fundingTime, rate: AS_RATE, markPrice: "0", position: "0", amount: "-0.004" }])

      // the local venues booked the same amounts, on the positions and mark the venues do not report
      const [bpBooked] = running.venues.backpack.fundingPayments(keys.publicKey)
      const [asBooked] = running.venues.asterFutures.fundingPayments(DEFAULT_TEST_ACCOUNT.account)
      expect([formatDecimal(bpBooked!.position), formatDecimal(bpBooked!.markPrice), formatDecimal(bpBooked!.amount)]).toEqual(["-10", "2", "0.002"])
      expect([formatDecimal(asBooked!.position), formatDecimal(asBooked!.markPrice), formatDecimal(asBooked!.amount)]).toEqual(["10", "2", "-0.004"])

      // since after the funding time: nothing; spot: never any
      expect(yield* maker.fundingPayments!(fundingTime + 1)).toEqual([])
      expect(yield* hedge.fundingPayments!(fundingTime + 1)).toEqual([])
      expect(yield* spot.fundingPayments!(fundingTime - HOUR)).toEqual([])
    }).pipe(Effect.provide(platform)), 60_000)

  it.scopedLive("an answer that does not decode is an InvalidResponse naming the field, on both venues", () =>
    Effect.gen(function*() {
      const { running, fundingTime } = yield* setUp
      const bpProxy = yield* answering(
        running.urls.backpack,
        "/wapi/v1/history/funding",
        JSON.stringify([{ symbol: "ASTER_USDC_PERP", quantity: "lots", intervalEndTimestamp: "2025-09-24T01:00:00", fundingRate: "0.0001" }])
      )
      const asProxy = yield* answering(
        running.urls.asterFutures,
        "/fapi/v1/income",
        JSON.stringify([{ symbol: "ASTERUSDT", incomeType: "FUNDING_FEE", income: "-0.004", asset: "USDT", info: "FUNDING_FEE", time: "soon", tranId: 1, tradeId: "" }])
      )
      const maker = yield* backpackOn(bpProxy.url, running.urls.backpackWs)
      const hedge = yield* asterOn(asProxy.url, "futures", running.urls.asterFuturesWs)

      const bpError = yield* Effect.flip(maker.fundingPayments!(fundingTime - HOUR))
      expect(bpError._tag).toBe("InvalidResponse")
      expect(bpError.message).toContain("GET /wapi/v1/history/funding: field 0.quantity")
      const asError = yield* Effect.flip(hedge.fundingPayments!(fundingTime - HOUR))
      expect(asError._tag).toBe("InvalidResponse")
      expect(asError.message).toContain("GET /fapi/v1/income: field 0.time")
    }).pipe(Effect.provide(platform)), 60_000)
})
