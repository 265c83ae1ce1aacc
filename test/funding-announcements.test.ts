/**
 * Funding times as venues really announce them: Aster's "no next time" (0) is no funding event
 * (a recording got one dated 1970), and a venue that rolls its next time a few seconds late is
 * one funding pause, not one a second. Each test failed before its fix (its `Was:` comment).
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Layer, Option, Scope } from "effect"
import * as path from "node:path"
import { makeMarketTaps } from "../src/adapters/common/market-taps"
import { startMarketRecording } from "../src/live/market-recorder"
import { runBacktest } from "../src/sim/backtest"
import type { LocalVenue } from "../src/sim/local-exchange/types"
import { openTickFile } from "../src/sim/tickstore/reader"
import { testConfig } from "./support/config"
import { PERP } from "./support/fake-local-venue"
import { localAster, v1Auth } from "./support/local-aster-server"
import { type ScriptedTick, T0, tempDir, writeScript } from "./support/scripted-market"
import { streamingVenue } from "./support/streaming-venue"

const Live = Layer.mergeAll(NodeHttpClient.layerUndici, NodeSocket.layerWebSocketConstructor)


/** Both venues quoted every second: Backpack 1.9990/2.0010, Aster 1.9995/2.0005. */
const steadyQuotes = (seconds: number): Array<ScriptedTick> =>
  Array.from({ length: seconds }, (_, s) => [
    { t: s * 1000, venue: "bp" as const, quote: ["1.9990", "100", "2.0010", "100"] as const },
    { t: s * 1000, venue: "as" as const, quote: ["1.9995", "100", "2.0005", "100"] as const }
  ]).flat()

describe("funding times as venues announce them", () => {
  // Was: src/adapters/aster/exchange.ts:305-306 — fundingQuote wraps premiumIndex.nextFundingTime
  // unchecked, while nextFundingTime (303) treats 0 ("no next time announced") as none. A 0 reaches
  // settleFundingOnTime as a funding time long past, settled at once: a --record file gets a funding
  // event dated 1970-01-01 (and a paper book a settlement at ts 0).
  it.scopedLive("Aster announcing no next funding time (0) records no funding event at 1970", () =>
    Effect.gen(function*() {
      const { venue, exchange } = yield* localAster("futures", v1Auth(), { tickerFromStream: true, marketStreamReadyTimeout: "100 millis" })
      const announced = venue.funding
      ;(venue as { funding: LocalVenue["funding"] }).funding = () => {
        const f = announced()
        return f === undefined ? undefined : { ...f, nextFundingTime: 0 }
      }
      // the adapter itself says there is no next funding time
      expect(yield* exchange.nextFundingTime).toEqual(Option.none())

      const file = path.join(tempDir(), "rec.db")
      const scope = yield* Scope.make()
      yield* Scope.extend(
        startMarketRecording({ maker: streamingVenue(PERP, makeMarketTaps()), hedge: exchange }, { kind: "live", path: file, commitEvery: "100 millis" }),
        scope
      )
      yield* Effect.sleep(Duration.millis(800))
      yield* Scope.close(scope, Exit.void)

      const recorded = openTickFile(file)
      try {
        expect(recorded.funding.map((f) => new Date(f.ts / 1000).toISOString())).toEqual([])
      } finally {
        recorded.close()
      }
    }).pipe(Effect.provide(Live)), 30_000)

  // Was: src/core/strategy/hedge-loop.ts:500-512 — fundingGuard calls observer.fundingPause (and logs
  // "-1 minutes until … / within 5 minutes of funding") on every pass of its 1 s re-check loop. A venue
  // whose nextFundingTime still shows the time just passed for a few seconds (it rolls late, or its
  // clock lags ours) turns one pause into one per second: the report's cycles.fundingPauses (and the
  // journal's funding-pause events of a live run) count a single funding window several times.
  it("one funding window is one pause, even when the venue rolls its next funding time a few seconds late", async () => {
    const FUNDING = T0 + 180_000
    const ticks = [...steadyQuotes(400), { t: 500, venue: "bp" as const, trade: ["2.0000", "1", "buy"] as const }]
    const file = writeScript(ticks, { funding: [{ t: 180_000, venue: "as", rate: "0.0001", mark: "2" }] })
    const lines: Array<string> = []
    const report = await Effect.runPromise(runBacktest({
      dbPath: file,
      config: testConfig({ trade: { quantity: "10", offset_percent: 0.1, stop_before_funding_minutes: 5, max_cycles: 1 } }),
      log: (l) => lines.push(l),
      // Aster still announces 01:03:00 until 01:03:05, then none (the file's last funding time)
      decorate: (kernel, venues) => ({
        maker: venues.maker,
        hedge: {
          ...venues.hedge,
          nextFundingTime: Effect.map(venues.hedge.nextFundingTime, (next) => (kernel.now / 1000 < FUNDING + 5000 ? Option.some(FUNDING) : next))
        }
      })
    }))
    expect(lines.filter((l) => l.includes("within 5 minutes of funding")).length).toBe(1)
    expect(report.cycles.fundingPauses).toBe(1)
  })
})
