/**
 * Paper trading (`npm run live -- CONFIG --paper`): what a paper journal says about a
 * paper run killed before its end (kill -9, a crash), once the next paper start has closed it.
 * A paper start closes such a run as killed without looking anything up (its books lived in its
 * process, README "Running live" 7.): nothing of it is ever settled or read back.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { decimal } from "../src/core/domain/decimal"
import { openJournal } from "../src/live/journal"
import { reportFromJournal } from "../src/live/journal-report"
import { preflight } from "../src/live/preflight"
import { runLive } from "../src/live/runner"
import { config, FUTURES, journalWithRun, KILLED_AT, makerFill, makerOrder } from "./support/killed-run"
import { paperVenuesWithTaker } from "./support/paper-venues"

/** a paper run killed between its maker fill and its hedge's answer: the hedge request is in doubt */
const killedPaperRun = journalWithRun({ kind: "paper", hedge: FUTURES }, (journal, runId) =>
  Effect.gen(function*() {
    yield* journal.recordIntent({ kind: "limit", runId, venue: "backpack", clientId: makerOrder.clientId, side: "sell", qty: decimal("10"), price: decimal("1.5"), createdAt: KILLED_AT - 3000 })
    yield* journal.recordOrder(runId, makerOrder, KILLED_AT - 2000)
    yield* journal.recordFill(runId, makerFill)
    yield* journal.recordIntent({ kind: "market", runId, venue: "aster-futures", clientId: "hlold-h2", side: "buy", qty: decimal("10"), createdAt: KILLED_AT - 1900 })
  }))

/** the killed paper run (1), then a paper start (2) that closes it and trades its cycle */
const afterPaperRestart = Effect.gen(function*() {
  const journalPath = yield* killedPaperRun
  const restart = yield* runLive({ config, kind: "paper", journalPath, venues: paperVenuesWithTaker(config).venues, markEveryMs: 1000 }).pipe(Effect.scoped)
  expect(restart.outcome).toBe("completed")
  return journalPath
})

describe("a paper run killed before its end, closed by the next paper start", () => {
  // Was: the killed paper run's requests stay "pending" in the journal for good: closeKilledPaperRuns
  // (src/live/journal-settlement.ts:248) ends the run but leaves its intents open, and no paper start
  // ever settles them (runner.ts:268 skips settleRequestsInDoubt for paper). So every later --check
  // (preflight.ts:386-392, which counts every pending intent of the journal) warns "a start first
  // settles 1 request(s) whose outcome is unknown", which no start will do. Closing the run should
  // close its requests too (or the check should not count those of a closed paper run).
  it.scopedLive("--check after the restart does not announce requests a start would settle", () =>
    Effect.gen(function*() {
      const journalPath = yield* afterPaperRestart
      const pending = yield* Effect.scoped(Effect.flatMap(openJournal(journalPath, "read"), (journal) => journal.pendingIntents()))
      const lines = yield* preflight(config, yield* paperVenuesWithTaker(config).venues, journalPath, "paper")
      const journalLine = lines.find((line) => line.subject === "journal")!
      expect(journalLine.detail).not.toMatch(/a start first settles \d+ request\(s\)/)
      expect(journalLine.status).toBe("ok")
      expect(pending.map((p) => p.clientId)).toEqual([])
    }))

  // Was: the report of a journal holding a killed paper run says "the next start completed its fills
  // from the venues and closed it at its last record" (src/live/journal-report.ts:290, one text for
  // both kinds), but a paper start reads nothing back (closeKilledPaperRuns: its books died with its
  // process): fills the killed process had not journalled are lost, not completed. The warning for a
  // paper run should say it was closed without its books, its journalled fills being all there is.
  it.scopedLive("the report does not claim the killed paper run's fills were completed from the venues", () =>
    Effect.gen(function*() {
      const journalPath = yield* afterPaperRestart
      for (const report of [yield* reportFromJournal(journalPath, { runId: 1 }), yield* reportFromJournal(journalPath, {})]) {
        const killed = report.data.warnings.filter((w) => w.startsWith("run 1 "))
        expect(killed.length).toBe(1)
        expect(killed[0]).not.toMatch(/completed its fills from the venues/)
      }
    }))
})
