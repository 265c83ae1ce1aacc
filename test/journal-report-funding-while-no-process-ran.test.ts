/**
 * Reports over funding a later start journalled at its own times (paid on a pair held while no
 * process ran): its days and windows count it where it happened. Each figure is computed by hand.
 *
 * The fixture: run 1 (live) sells 10 ASTER on Backpack at 2 and hedges it with an Aster buy of 10
 * at 2.001, then stops holding that hedged pair (a stop between the legs). While no process runs,
 * the venues charge funding on the pair, each hour H at mark 2:
 *   Backpack, short 10 at rate 0.0001: −(−10 × 2 × 0.0001) = +0.002 (received)
 *   Aster,    long 10 at rate 0.0002:  −(10 × 2 × 0.0002)  = −0.004 (paid)
 * i.e. −0.002 net per funding time. The next start (run 2) reads the venues' funding history and
 * journals those payments under its own run, at their own times (src/live/funding-collector.ts,
 * README: "a fill or funding payment counts in the day it happened, whichever start journalled it").
 */
import { BigDecimal, Cause, Effect, Exit, Option } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { decimal, formatDecimal, ZERO } from "../src/core/domain/decimal"
import type { Fill } from "../src/core/domain/order"
import type { JournalService } from "../src/live/journal"
import { dailyReportsFromJournal, reportFromJournal } from "../src/live/journal-report"
import { fillOf } from "./support/fills"
import { startRun, writing } from "./support/journal-writing"

const DAY0 = Date.UTC(2026, 11, 1) // 2026-12-01T00:00Z
const H = 3_600_000
const root = fs.mkdtempSync(path.join(os.tmpdir(), "hedgeloop-report-funding-"))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))
let files = 0
const newFile = () => path.join(root, `journal-${++files}.db`)
const run = <A, E>(effect: Effect.Effect<A, E>): A => Effect.runSync(effect)

let ids = 0
const journalFill = (journal: JournalService, runId: number, fill: Fill) => run(journal.recordFill(runId, { ...fill, orderId: `o${++ids}`, tradeId: `t${ids}` }))

/** Run 1 over [20:00, 21:00) of 2026-12-01 leaving the hedged pair; run 2 from `run2At`, journalling the funding of `fundingHours` (hours after DAY0). */
const writeSession = (file: string, run2At: number, fundingHours: ReadonlyArray<number>) =>
  writing(file, (journal) => {
    const r1 = startRun(journal, DAY0 + 20 * H)
    journalFill(journal, r1, fillOf("backpack", "sell", "10", "2", "0.004", DAY0 + 20 * H + 1_000))
    journalFill(journal, r1, fillOf("aster-futures", "buy", "10", "2.001", "0.007", DAY0 + 20 * H + 1_050))
    run(journal.recordMark(r1, "backpack", decimal("2"), DAY0 + 20 * H + 2_000))
    run(journal.recordMark(r1, "aster-futures", decimal("2"), DAY0 + 20 * H + 2_000))
    run(journal.endRun(r1, { endedAt: DAY0 + 21 * H, outcome: "stopped" }))
    const r2 = startRun(journal, run2At)
    for (const h of fundingHours) {
      run(journal.recordFunding(r2, { venue: "backpack", ts: DAY0 + h * H, rate: decimal("0.0001"), markPrice: decimal("2"), position: decimal("-10"), amount: decimal("0.002") }))
      run(journal.recordFunding(r2, { venue: "aster-futures", ts: DAY0 + h * H, rate: decimal("0.0002"), markPrice: decimal("2"), position: decimal("10"), amount: decimal("-0.004") }))
    }
    run(journal.recordMark(r2, "backpack", decimal("2"), run2At + 2_000))
    run(journal.recordMark(r2, "aster-futures", decimal("2"), run2At + 2_000))
    run(journal.endRun(r2, { endedAt: run2At + H, outcome: "stopped" }))
  })

const sumOf = (values: ReadonlyArray<string>) => formatDecimal(values.reduce((acc, v) => BigDecimal.sum(acc, decimal(v)), ZERO))

describe("reports of a journal whose rows a later start stamped before it", () => {
  // Was: `--run 2 --by-day` began its days at run 2's start, leaving out the days before it whose
  // funding run 2 journalled: the day lines did not add up to the run's own report.
  it("--run N --by-day: the day lines hold every funding payment the run's own report counts", () => {
    const file = newFile()
    // run 2 starts 2026-12-02T01:00 and journals the payments of 22:00 and 23:00 (Dec 1) and 00:00 (Dec 2)
    writeSession(file, DAY0 + 25 * H, [22, 23, 24])
    const whole = run(reportFromJournal(file, { runId: 2 }))
    // 3 funding times × −0.002
    expect(whole.totals.funding).toBe("-0.006")
    expect(whole.funding).toHaveLength(6)
    const days = run(dailyReportsFromJournal(file, { runId: 2 }))
    // Dec 1: 22:00 and 23:00 = −0.004; Dec 2: 00:00 = −0.002
    expect(days.map((d) => [d.day, d.report.totals.funding])).toEqual([["2026-12-01", "-0.004"], ["2026-12-02", "-0.002"]])
    expect(sumOf(days.map((d) => d.report.totals.funding))).toBe(whole.totals.funding)
  })

  // Was: `--since/--until` over a day no process ran in was refused ("holds no run between …"),
  // while `--by-day` listed that day with its funding. Now it is reported under the run before it,
  // as its day is.
  it("--since/--until over a day paid funding while no process ran: the same figures as its --by-day line", () => {
    const file = newFile()
    // run 2 starts 2026-12-03T02:00 and journals the payments of Dec 1 22:00, Dec 2 06:00 and Dec 2 14:00
    writeSession(file, DAY0 + 50 * H, [22, 30, 38])
    const days = run(dailyReportsFromJournal(file))
    const dec2 = days.find((d) => d.day === "2026-12-02")
    // what --by-day prints for Dec 2: two funding times × −0.002
    expect(dec2?.report.totals.funding).toBe("-0.004")
    const exit = Effect.runSyncExit(reportFromJournal(file, { since: DAY0 + 24 * H, until: DAY0 + 48 * H }))
    const refusal = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause))?.reason : undefined
    expect(refusal).toBeUndefined()
    if (Exit.isSuccess(exit)) {
      expect(exit.value.totals.funding).toBe("-0.004")
      expect(exit.value.funding).toHaveLength(4)
    }
  })
})
