/**
 * Paper trading and recording read public market data only: whatever keys the config holds, or
 * lacks, none is used, so none can stop them.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Schedule } from "effect"
import { formatDecimal } from "../src/core/domain/decimal"
import { publicDataVenues } from "../src/live/public-venues"
import { startLocalExchange } from "../src/sim/local-exchange/local-exchange"
import { testConfig } from "./support/config"
import { testKeys } from "./support/local-backpack"

const platform = Layer.mergeAll(NodeHttpClient.layerUndici, NodeSocket.layerWebSocketConstructor)

describe("public data venues (--paper, record)", () => {
  // Was: a Backpack secret key without its public half was handed to the adapter, which refused
  // it, and a V3 config whose signing key was kept elsewhere failed the V3 check: neither command
  // signs anything
  it.scopedLive("read both markets with half a Backpack key pair and V3 addresses without their key", () =>
    Effect.gen(function*() {
      const running = yield* startLocalExchange({ dbPath: "data/sample.db", portBackpack: 0, portAster: 0, portAsterSpot: 0 })
      const base = testConfig({
        bp: { base_url: running.urls.backpack },
        aster: { base_url: running.urls.asterFutures, market: "futures", user: `0x${"1".repeat(40)}`, signer: `0x${"2".repeat(40)}` }
      })
      expect(base.hedge.v3 !== undefined && Redacted.value(base.hedge.v3.signerPrivateKey)).toBe("")
      const config = { ...base, maker: { ...base.maker, publicKey: Redacted.make(""), secretKey: Redacted.make(testKeys(3).secret) } }
      const { maker, hedge } = yield* publicDataVenues(config)
      // the local markets' first quotes come a moment after the start
      const settled = Schedule.intersect(Schedule.spaced("100 millis"), Schedule.recurs(50))
      const [makerTicker, hedgeTicker] = yield* Effect.all([Effect.retry(maker.ticker, settled), Effect.retry(hedge.ticker, settled)])
      expect(formatDecimal(makerTicker.ask) > formatDecimal(makerTicker.bid)).toBe(true)
      expect(formatDecimal(hedgeTicker.ask) > formatDecimal(hedgeTicker.bid)).toBe(true)
    }).pipe(Effect.provide(platform)), 30_000)
})
