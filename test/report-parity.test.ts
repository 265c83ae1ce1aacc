/**
 * Parity of the backtest's and the journal's (live/paper) reports, and what `compare` tells a
 * trader who puts them side by side: a journal shared with runs of another market does not lend
 * its positions to this one's exposure, and compare passes on the reports' own warnings (a fee
 * counted at par, runs of other configs). Each test failed before its fix (its `Was:` comment).
 */
import { Effect, Schema } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import type { HedgeConfig } from "../src/core/config/config"
import { decimal } from "../src/core/domain/decimal"
import type { Fill } from "../src/core/domain/order"
import { compareReports, formatComparison } from "../src/core/report/compare"
import { RunReport } from "../src/core/report/report"
import { type JournalService } from "../src/live/journal"
import { reportFromJournal } from "../src/live/journal-report"
import { runBacktest } from "../src/sim/backtest"
import { testConfig } from "./support/config"
import { fillOf } from "./support/fills"
import { writing } from "./support/journal-writing"
import { tempDir, writeSwingingScript } from "./support/scripted-market"

const dirs: Array<string> = []
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true })
})
const newFile = () => {
  const dir = tempDir()
  dirs.push(dir)
  return path.join(dir, "journal.db")
}

const run = <A, E>(effect: Effect.Effect<A, E>): A => Effect.runSync(effect)

/** One live run over [from, to): a leg sold on Backpack and hedged on Aster, `hedgeFee` charged in `hedgeFeeAsset`. */
const writeLiveRun = (
  journal: JournalService,
  { from, to, config, hedgeFee = "0.00700175", hedgeFeeAsset = "USDT" }: { from: number; to: number; config: HedgeConfig; hedgeFee?: string; hedgeFeeAsset?: string }
) => {
  const runId = run(journal.startRun({
    kind: "live",
    startedAt: from,
    config,
    maker: { venue: "backpack", symbol: "ASTER_USDC_PERP", quoteAsset: "USDC", baseAsset: "ASTER" },
    hedge: { venue: "aster-futures", symbol: "ASTERUSDT", quoteAsset: "USDT", baseAsset: "ASTER" },
    clientIdPrefix: `r${from}-`
  }))
  const p = `r${runId}-`
  const fill = (f: Fill, n: number) => run(journal.recordFill(runId, { ...f, orderId: `${p}o${n}`, tradeId: `${p}t${n}` }))
  run(journal.recordCycleEvent({ runId, cycle: 1, ts: from + 1_000, detail: { event: "started" } }))
  run(journal.recordCycleEvent({ runId, cycle: 1, ts: from + 1_000, detail: { event: "maker-order", leg: 1, orderId: `${p}o1`, side: "sell", price: decimal("2"), qty: decimal("10"), repost: false } }))
  fill(fillOf("backpack", "sell", "10", "2", "0.004", from + 2_000), 1)
  fill({ ...fillOf("aster-futures", "buy", "10", "2.001", "0", from + 2_050), fee: decimal(hedgeFee), feeAsset: hedgeFeeAsset }, 2)
  run(journal.recordMark(runId, "backpack", decimal("2"), from + 3_000))
  run(journal.recordMark(runId, "aster-futures", decimal("2"), from + 3_000))
  run(journal.endRun(runId, { endedAt: to, outcome: "completed" }))
  return runId
}

const liveReport = (file: string) => Schema.decodeUnknownSync(RunReport)(JSON.parse(JSON.stringify(Effect.runSync(reportFromJournal(file)))))

describe("npm run compare: a backtest beside a live report", () => {
  it("says when the live report counts a fee asset it cannot value at par with USDT (its fees are then not the backtest's kind of figure)", async () => {
    const config = testConfig()
    const backtest = await Effect.runPromise(runBacktest({ dbPath: writeSwingingScript(120), config }))
    const file = newFile()
    // the same period as the backtest: no note about different periods
    writing(file, (j) => writeLiveRun(j, { from: Date.parse(backtest.run.from), to: Date.parse(backtest.run.to), config, hedgeFee: "0.00105", hedgeFeeAsset: "BNB" }))
    const live = liveReport(file)
    // the live report itself knows: 0.00105 BNB (about 0.6 USDT) is counted as 0.00105 USDT
    expect(live.data.warnings.some((w) => w.includes("BNB") && w.includes("at par"))).toBe(true)

    const comparison = compareReports(backtest, live)
    // Was: compareReports never reads either report's data.warnings (src/core/report/compare.ts
    // notesOn): the "fees" and "pnl" rows set a fee counted 1 BNB = 1 USDT against the backtest's
    // real USDT fees, and nothing in the comparison says so
    expect(comparison.notes.join("\n")).toMatch(/BNB/)
    expect(formatComparison(comparison)).toMatch(/note: .*BNB/)
  })

  it("says when the live report's runs traded with other settings than the config it shows (not 'config: the same settings')", async () => {
    const config = testConfig()
    const backtest = await Effect.runPromise(runBacktest({ dbPath: writeSwingingScript(120), config }))
    const from = Date.parse(backtest.run.from)
    const to = Date.parse(backtest.run.to)
    const mid = Math.floor((from + to) / 2)
    const file = newFile()
    // a session restarted half way: its first run quoted at another offset, with Aster's taker volume counted 1×
    const earlier = testConfig({ trade: { offset_percent: 0.05 }, points: { aster: { maker_weight: 1, taker_weight: 1 } } })
    writing(file, (j) => {
      writeLiveRun(j, { from, to: mid - 5_000, config: earlier })
      writeLiveRun(j, { from: mid, to, config })
    })
    const live = liveReport(file)
    expect(live.data.warnings.some((w) => w.includes("configs differ"))).toBe(true)

    const comparison = compareReports(backtest, live)
    // Was: the comparison reads only the report's `config` (the last run's) and drops its warnings:
    // it prints "config: the same settings" although half of B traded at offset 0.05 and its points
    // were counted at other weights
    expect(comparison.notes.join("\n")).toMatch(/config/i)
    expect(formatComparison(comparison)).not.toMatch(/^config: the same settings$/m)
  })
})

describe("a live run's report after live runs of another market in the same journal", () => {
  it("starts its exposure from what earlier runs held of ITS markets, not of another symbol on the same venues", () => {
    const file = newFile()
    const T = Date.UTC(2026, 11, 1, 10, 0, 0)
    let second = 0
    writing(file, (j) => {
      // a week earlier the same journal (out/live-journal.db, the default) farmed SOL: that run was
      // killed after its Backpack leg sold 10 SOL, unhedged (the SOL pair has nothing to do with ASTER)
      const sol = run(j.startRun({
        kind: "live",
        startedAt: T - 7 * 86_400_000,
        config: testConfig({ bp: { symbol: "SOL_USDC_PERP" }, aster: { symbol: "SOLUSDT" } }),
        maker: { venue: "backpack", symbol: "SOL_USDC_PERP", quoteAsset: "USDC", baseAsset: "SOL" },
        hedge: { venue: "aster-futures", symbol: "SOLUSDT", quoteAsset: "USDT", baseAsset: "SOL" },
        clientIdPrefix: "sol-"
      }))
      run(j.recordFill(sol, { ...fillOf("backpack", "sell", "10", "150", "0.3", T - 7 * 86_400_000 + 5_000, "SOL_USDC_PERP"), orderId: "sol-o1", tradeId: "sol-t1" }))
      run(j.endRun(sol, { endedAt: T - 7 * 86_400_000 + 6_000, outcome: "killed" }))
      // now ASTER: one leg of 10 sold and hedged 50 ms later, over a run of an hour
      second = writeLiveRun(j, { from: T, to: T + 3_600_000, config: testConfig() })
    })
    const report = Schema.decodeUnknownSync(RunReport)(JSON.parse(JSON.stringify(Effect.runSync(reportFromJournal(file, { runId: second })))))
    // the ASTER run: at most 10 ASTER unhedged, for 50 ms
    // Was: carriedInto (src/live/journal-report.ts) asks journal.netFilledQty(venue, …) for every
    // earlier live run's fills on the venue, whatever their symbol: the SOL run's -10 SOL is taken
    // as ASTER held on Backpack, so the exposure opens at -10, peaks at 20 and counts 10 × the whole
    // hour as unhedged (36000.5 instead of 0.5), and a warning says Backpack "held -10" of it
    expect(report.exposure.maxAbsNetDelta).toBe("10")
    expect(report.exposure.unhedgedQtySeconds).toBe("0.5")
    expect(report.exposure.finalNetPosition).toBe("0")
    expect(report.data.warnings.filter((w) => w.includes("from before"))).toEqual([])
  })
})
