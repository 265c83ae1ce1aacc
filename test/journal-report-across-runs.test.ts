/**
 * Reports rebuilt from a journal, where what they cover starts after something was already held or
 * earned: a window or a day opening between a maker fill and its hedge, a run whose start hedged
 * what a killed run left, runs restarted with other points weights. Each test pins a number a
 * trader reads, computed by hand. And the summary's wording of fees paid in another asset.
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { decimal } from "../src/core/domain/decimal"
import type { JournalService } from "../src/live/journal"
import { dailyReportsFromJournal, reportFromJournal } from "../src/live/journal-report"
import { formatSummary } from "../src/cli/summary"
import { testConfig } from "./support/config"
import { journalFill, startRun, writing } from "./support/journal-writing"
import { fillOf } from "./support/fills"

const T0 = 1_758_675_600_000
const root = fs.mkdtempSync(path.join(os.tmpdir(), "hedgeloop-report-across-runs-"))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))
let n = 0
const newFile = () => path.join(root, `journal-${++n}.db`)

const run = <A, E>(effect: Effect.Effect<A, E>): A => Effect.runSync(effect)


describe("windowed journal reports", () => {
  /**
   * One cycle, all at price 2, no fees: Backpack sells 10 at +1 s, Aster hedges (buy 10) at +1.2 s;
   * Backpack buys 10 at +5 s, Aster hedges (sell 10) at +5.2 s; the run ends at +10 s.
   * The net position across venues is −10 over [1, 1.2) s, +10 over [5, 5.2) s, else 0: 4 qty × s.
   * A window from +1.1 s on: −10 for 0.1 s and +10 for 0.2 s = 3 qty × s; max |net| 10; ends flat.
   */
  const writeCycle = (file: string) =>
    writing(file, (j) => {
      const id = startRun(j, T0)
      journalFill(j, id, "backpack", "sell", "10", "2", T0 + 1_000)
      journalFill(j, id, "aster-futures", "buy", "10", "2", T0 + 1_200)
      journalFill(j, id, "backpack", "buy", "10", "2", T0 + 5_000)
      journalFill(j, id, "aster-futures", "sell", "10", "2", T0 + 5_200)
      run(j.recordMark(id, "backpack", decimal("2"), T0 + 9_000))
      run(j.recordMark(id, "aster-futures", decimal("2"), T0 + 9_000))
      run(j.endRun(id, { endedAt: T0 + 10_000, outcome: "stopped" }))
    })

  it("a window opening between a maker fill and its hedge reports the exposure the account really had", () => {
    const file = newFile()
    writeCycle(file)
    // sanity: the whole run
    const whole = Effect.runSync(reportFromJournal(file))
    expect(whole.exposure).toEqual({ maxAbsNetDelta: "10", unhedgedQtySeconds: "4", finalNetPosition: "0" })

    const r = Effect.runSync(reportFromJournal(file, { since: T0 + 1_100, until: T0 + 60_000 }))
    // the window's net starts from the −10 carried in (from 0 it would read +20 held from 5 s to
    // 5.2 s and +10 held from 1.2 s to the end, 90 qty × s, for a run that ended flat)
    expect(r.exposure).toEqual({ maxAbsNetDelta: "10", unhedgedQtySeconds: "3", finalNetPosition: "0" })
  })

  it("--by-day: a cycle straddling UTC midnight does not show a phantom unhedged position on the second day", () => {
    const file = newFile()
    const midnight = Date.UTC(2025, 8, 25)
    writing(file, (j) => {
      const id = startRun(j, midnight - 60_000)
      // the maker leg fills 100 ms before midnight, its hedge 100 ms after
      journalFill(j, id, "backpack", "sell", "10", "2", midnight - 100)
      journalFill(j, id, "aster-futures", "buy", "10", "2", midnight + 100)
      run(j.recordMark(id, "backpack", decimal("2"), midnight + 1_000))
      run(j.recordMark(id, "aster-futures", decimal("2"), midnight + 1_000))
      run(j.endRun(id, { endedAt: midnight + 60_000, outcome: "stopped" }))
    })
    const days = Effect.runSync(dailyReportsFromJournal(file))
    expect(days.map((d) => d.day)).toEqual(["2025-09-24", "2025-09-25"])
    const second = days[1]!.report
    // on the 25th the account was −10 net for 0.1 s, then flat until the end (1 qty × s, max 10)
    expect(second.exposure).toEqual({ maxAbsNetDelta: "10", unhedgedQtySeconds: "1", finalNetPosition: "0" })
  })
})

describe("points across runs", () => {
  it("--by-day points add up to the whole report's when a restart changed the points weights", () => {
    const file = newFile()
    const day1 = Date.UTC(2025, 8, 24, 12)
    const day2 = Date.UTC(2025, 8, 25, 12)
    /** one hedged pair per run: Backpack maker sell 10 at 2 (volume 20), Aster taker buy 10 at 2 (volume 20) */
    const pair = (j: JournalService, id: number, at: number) => {
      journalFill(j, id, "backpack", "sell", "10", "2", at + 1_000)
      journalFill(j, id, "aster-futures", "buy", "10", "2", at + 1_200)
      run(j.recordMark(id, "backpack", decimal("2"), at + 2_000))
      run(j.recordMark(id, "aster-futures", decimal("2"), at + 2_000))
      run(j.endRun(id, { endedAt: at + 10_000, outcome: "stopped" }))
    }
    writing(file, (j) => {
      // run 1: default weights (Backpack 1/1, Aster 1/2): 20 + 2 × 20 = 60 points
      pair(j, startRun(j, day1), day1)
      // run 2, the next day, restarted with Aster's taker weight at 3: 20 + 3 × 20 = 80 points
      const id2 = run(j.startRun({
        kind: "live",
        startedAt: day2,
        config: testConfig({ points: { aster: { maker_weight: "1", taker_weight: "3" } } }),
        maker: { venue: "backpack", symbol: "ASTER_USDC_PERP", quoteAsset: "USDC", baseAsset: "ASTER" },
        hedge: { venue: "aster-futures", symbol: "ASTERUSDT", quoteAsset: "USDT", baseAsset: "ASTER" },
        clientIdPrefix: "second-"
      }))
      pair(j, id2, day2)
    })
    const days = Effect.runSync(dailyReportsFromJournal(file))
    expect(days.map((d) => [d.day, d.report.points.total])).toEqual([["2025-09-24", "60"], ["2025-09-25", "80"]])
    // the whole session: what each run earned under the weights it ran with, 60 + 80
    const whole = Effect.runSync(reportFromJournal(file))
    expect(whole.points.total).toBe("140")
  })
})

describe("a restarted run's own report (the one a live run writes and alerts with as it ends)", () => {
  it("a start-up hedge of what the killed run left unhedged is not reported as a new unhedged position", () => {
    const file = newFile()
    const S2 = T0 + 100_000
    writing(file, (j) => {
      // run 1: the maker leg fills (Backpack −10), then the process is killed before hedging it
      const id1 = startRun(j, T0)
      journalFill(j, id1, "backpack", "sell", "10", "2", T0 + 1_000)
      // run 2: its start hedges the −10 it found (Aster +10) 0.5 s in, then trades nothing
      const id2 = startRun(j, S2)
      journalFill(j, id2, "aster-futures", "buy", "10", "2", S2 + 500)
      run(j.recordMark(id2, "backpack", decimal("2"), S2 + 1_000))
      run(j.recordMark(id2, "aster-futures", decimal("2"), S2 + 1_000))
      run(j.endRun(id2, { endedAt: S2 + 100_000, outcome: "stopped" }))
    })
    const r = Effect.runSync(reportFromJournal(file, { runId: 2 }))
    // the account was −10 net for the first 0.5 s of run 2 (5 qty × s), then flat to the end (from
    // 0 the run would read +10 unhedged for 99.5 s, 995, and end "NOT HEDGED: net 10")
    expect(r.exposure).toEqual({ maxAbsNetDelta: "10", unhedgedQtySeconds: "5", finalNetPosition: "0" })
  })
})

describe("a paper run's own report", () => {
  it("carries nothing in from an earlier paper run: each paper start's books begin flat", () => {
    const file = newFile()
    const S2 = T0 + 100_000
    writing(file, (j) => {
      const paper = (startedAt: number) =>
        run(j.startRun({
          kind: "paper",
          startedAt,
          config: testConfig(),
          maker: { venue: "backpack", symbol: "ASTER_USDC_PERP", quoteAsset: "USDC", baseAsset: "ASTER" },
          hedge: { venue: "aster-futures", symbol: "ASTERUSDT", quoteAsset: "USDT", baseAsset: "ASTER" },
          clientIdPrefix: `p${startedAt}-`
        }))
      // paper run 1 sold 10 and was killed before hedging: that book died with its process
      journalFill(j, paper(T0), "backpack", "sell", "10", "2", T0 + 1_000)
      // paper run 2, on fresh books, trades one hedged pair
      const id2 = paper(S2)
      journalFill(j, id2, "backpack", "sell", "10", "2", S2 + 1_000)
      journalFill(j, id2, "aster-futures", "buy", "10", "2", S2 + 1_200)
      run(j.endRun(id2, { endedAt: S2 + 10_000, outcome: "stopped" }))
    })
    const r = Effect.runSync(reportFromJournal(file, { runId: 2 }))
    // −10 for 0.2 s on its own fresh books, then flat: not the −10 of run 1 carried in
    expect(r.exposure).toEqual({ maxAbsNetDelta: "10", unhedgedQtySeconds: "2", finalNetPosition: "0" })
    expect(r.data.warnings.filter((w) => w.includes("held"))).toEqual([])
  })
})

describe("the printed summary", () => {
  it("does not say a fee counted at par (BNB) was counted at its fill's price", () => {
    const file = newFile()
    writing(file, (j) => {
      const id = startRun(j, T0)
      journalFill(j, id, "backpack", "sell", "10", "2", T0 + 1_000)
      run(j.recordFill(id, { ...fillOf("aster-futures", "buy", "10", "2", "0", T0 + 1_200), fee: decimal("0.001"), feeAsset: "BNB", orderId: "bnb", tradeId: "bnb" }))
      run(j.endRun(id, { endedAt: T0 + 10_000, outcome: "stopped" }))
    })
    const r = Effect.runSync(reportFromJournal(file))
    // 0.001 BNB counted as 0.001 USDT (at par, with a warning): not 0.001 × 2
    expect(r.venues["aster-futures"]!.fees).toBe("0.001")
    const line = formatSummary(r).split("\n").find((l) => l.includes("fees paid in BNB"))
    expect(line).toBeDefined()
    expect(line).toMatch(/at par, not valued/)
  })
})
