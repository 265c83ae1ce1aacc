/**
 * A live run's usual verdict in end-to-end tests (vitest only: the chaos soak imports
 * live-processes.ts outside vitest).
 */
import * as path from "node:path"
import { expect } from "vitest"
import { formatDecimal } from "../../src/core/domain/decimal"
import { inspectJournal, type LocalExchange, netChange, positions, readReport, startLive } from "./live-processes"
import { pnlFromListedCashFlows } from "./reconcile"

/**
 * `npm run live` on the local exchange until its cycles are done: exit 0, flat across venues (the
 * venues' own positions say so), the journal consistent (nothing pending or in doubt), the report
 * completed and reconciling, every maker fill hedged.
 */
export const runsFlat = async (local: LocalExchange, moreArgs: ReadonlyArray<string> = []) => {
  const before = await positions(local.config)
  const journal = path.join(local.dir, "journal.db")
  const reportFile = path.join(local.dir, "live.json")
  const live = startLive(local.config, journal, ["--report-json", reportFile, ...moreArgs])
  expect(await live.exited, live.output()).toBe(0)
  expect(formatDecimal(netChange(before, await positions(local.config))), live.output()).toBe("0")
  const state = await inspectJournal(journal)
  expect(state.pending).toEqual([])
  expect(state.inDoubt).toEqual([])
  const report = readReport(reportFile)
  expect(report.run.outcome).toBe("completed")
  expect(pnlFromListedCashFlows(report)).toBe(report.totals.pnl)
  // every maker fill was hedged, and the report holds both sides of it (on either Aster variant)
  const hedgeVenue = Object.keys(report.venues).find((venue) => venue !== "backpack")!
  expect(report.venues["backpack"]!.makerQty).toBe(report.venues[hedgeVenue]!.takerQty)
  return { live, report }
}
