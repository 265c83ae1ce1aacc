/**
 * A leg the venue's new filters ended before it placed any order (its quantity below the new step
 * or minimum) filled nothing: it is no completed leg, and no 0 s time to fill.
 */
import { Effect } from "effect"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { CycleStatsCounter } from "../src/core/report/cycle-stats"
import { journalObserver } from "../src/live/journaled-exchange"
import { reportFromJournal } from "../src/live/journal-report"
import { startRun, writing } from "./support/journal-writing"
import { tempDir } from "./support/scripted-market"

const T0 = 1_758_675_600_000

describe("a leg that placed no order", () => {
  // Was: every leg-completed counted: a leg ended before any order added a leg filled in 0 s,
  // lifting the fill rate's legs and pulling the mean time to fill down
  it("counts in neither the legs filled nor the mean time to fill, in a backtest's stats or a journal's report", () => {
    const counter = new CycleStatsCounter()
    counter.legCompleted(T0, T0 + 4000, 2)
    counter.legCompleted(T0 + 5000, T0 + 5000, 0)
    expect([counter.current.completedLegs, counter.current.totalTimeToFillMs]).toEqual([1, 4000])

    const file = path.join(tempDir(), "journal.db")
    writing(file, (journal) => {
      const runId = startRun(journal, T0)
      const observer = journalObserver(journal, runId)
      Effect.runSync(observer.cycleStarted(1, T0))
      Effect.runSync(observer.legCompleted({ cycle: 1, leg: 1, side: "sell", startedAt: T0, filledAt: T0 + 4000, orders: 2 }))
      Effect.runSync(observer.legCompleted({ cycle: 1, leg: 2, side: "buy", startedAt: T0 + 5000, filledAt: T0 + 5000, orders: 0 }))
    })
    const report = Effect.runSync(reportFromJournal(file, {}))
    expect([report.cycles.completedLegs, report.cycles.meanTimeToFillSeconds]).toEqual([1, 4])
  })
})
