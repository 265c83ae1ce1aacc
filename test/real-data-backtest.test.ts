/** The real Aster futures recording in ../shared/data, imported here, backtested to the end. */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { runBacktest } from "../src/sim/backtest"
import { importAsterCsv } from "../src/sim/data/import-aster-csv"
import { testConfig } from "./support/config"
import { pnlFromListedCashFlows } from "./support/reconcile"
import { tempDir } from "./support/scripted-market"

const SHARED = path.resolve(process.cwd(), "../shared/data/aster-futures-ASTERUSDT-2025-09-24")

describe.skipIf(!fs.existsSync(SHARED))("backtest on the real Aster recording", () => {
  it("imports it with a Backpack proxy and runs the hedge loop to the end of the data", async () => {
    const out = path.join(tempDir(), "aster.db")
    importAsterCsv({
      trades: path.join(SHARED, "aggtrades.csv"),
      quotes: path.join(SHARED, "bbo.csv"),
      venue: "aster-futures",
      symbol: "ASTERUSDT",
      out,
      proxy: { venue: "backpack", symbol: "ASTER_USDC_PERP", basisBps: 2, spreadBps: 1, latencyMs: 30, volumeRatio: 0.5 }
    })
    const report = await Effect.runPromise(runBacktest({ dbPath: out, config: testConfig({ trade: { quantity: "10", offset_percent: 0.2, between_legs_sleep: 60 } }) }))
    expect(report.data.synthetic).toBe(false)
    expect(report.data.proxy).toBe(true)
    expect(report.data.proxyVenues[0]).toMatchObject({ venue: "backpack", from: "aster-futures" })
    expect(report.run.outcome).toBe("data-ended")
    // the strategy ran until the recording's last tick
    expect(report.run.to >= report.data.to).toBe(true)
    expect(report.cycles.completedLegs).toBeGreaterThan(10)
    expect(report.exposure.finalNetPosition).toBe("0")
    expect(pnlFromListedCashFlows(report)).toBe(report.totals.pnl)
    // bbo.csv has no sizes and the recording no funding: the report says what stood in for them
    const hedges = report.cycles.hedgeOrders
    expect(report.data.warnings).toEqual(expect.arrayContaining([
      expect.stringMatching(/^the data has no funding events for backpack ASTER_USDC_PERP: /),
      expect.stringMatching(/^the data has no funding events for aster-futures ASTERUSDT: /),
      `${hedges} of ${hedges} taker orders on aster-futures ASTERUSDT met a quote without size: they filled against sim.assumed_top_qty (1000) at the top of the book`
    ]))
  })
})
