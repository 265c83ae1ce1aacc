/**
 * Reports rebuilt from a journal whose rows were journalled by another run than the one whose time
 * they fall in (a start completing an earlier order's fills, booking funding paid while no process
 * ran, settling a killed run's hedge), and paper sessions whose books each start flat. Each
 * `// Was:` says what an earlier build got wrong.
 */
import { it as eit } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { decimal } from "../src/core/domain/decimal"
import { dailyReportsFromJournal, reportFromJournal } from "../src/live/journal-report"
import { UnknownOrder } from "../src/core/errors"
import { runLive } from "../src/live/runner"
import { PERP } from "./support/fake-local-venue"
import { idleVenue } from "./support/idle-venue"
import { config as killedRunConfig, FUTURES, hedgeFillOf, hedgeOrderOn, journalWithRun, KILLED_AT, makerFill, makerOrder, ticker } from "./support/killed-run"
import { journalFill, journalMarks, startRun, writing } from "./support/journal-writing"

const root = fs.mkdtempSync(path.join(os.tmpdir(), "journal-report-late-rows-"))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))
let files = 0
const newFile = () => path.join(root, `journal-${++files}.db`)

const run = <A, E>(effect: Effect.Effect<A, E>): A => Effect.runSync(effect)


const T0 = Date.UTC(2025, 8, 24, 8)

describe("a run's report: what was held when it opens", () => {
  // Was: a fill journalled under a run but stamped before its start (the next start's reconcile cancels an
  // order a failed stop left resting; completeFills records its fills under the NEW run) counts twice in
  // that run's report: in the net carried in (carriedInto: fills before the start) and again as a fill (readRows
  // from `since` = −∞). The run's own report says finalNetPosition −10, max 20, on a flat account. journal-report.ts
  it("a fill of an order left resting between two runs, journalled under the next run, is not counted twice in its exposure", () => {
    const file = newFile()
    const S2 = T0 + 3_600_000
    writing(file, (j) => {
      const id1 = startRun(j, T0)
      journalMarks(j, id1, T0 + 1_000)
      run(j.endRun(id1, { endedAt: T0 + 10_000, outcome: "failed", message: "could not cancel" }))
      // run 2 starts; its reconciliation finds run 1's maker order filled 10 at S2 − 60 s and cancels
      // it (the fill recorded under run 2, as completeFills does), then hedges the 10 at S2 + 500 ms
      const id2 = startRun(j, S2)
      journalFill(j, id2, "backpack", "sell", "10", "2", S2 - 60_000)
      journalFill(j, id2, "aster-futures", "buy", "10", "2", S2 + 500)
      journalMarks(j, id2, S2 + 1_000)
      run(j.endRun(id2, { endedAt: S2 + 10_000, outcome: "stopped" }))
    })
    const r = Effect.runSync(reportFromJournal(file, { runId: 2 }))
    // the account held −10 from S2 − 60 s (before the report opens at S2) until the hedge at S2 + 0.5 s
    expect(r.exposure.finalNetPosition).toBe("0")
    expect(r.exposure.maxAbsNetDelta).toBe("10")
  })
})

describe("paper sessions", () => {
  // Was: each paper start's books begin flat (`--run 2` counts so), but the session report and its --by-day
  // lines carry paper run 1's dead −10 into run 2: run 2's day warns backpack "held -10", counts 10 × the day as
  // unhedged and ends finalNetPosition −10. journal-report.ts: sameKind/carriedInto and windowReport's one
  // ledger across paper runs (each paper run's carry should restart at zero).
  it("a day on which only the second paper run traded does not carry the first one's dead book", () => {
    const file = newFile()
    const day2 = T0 + 86_400_000
    writing(file, (j) => {
      // paper run 1 sells 10 and is killed before hedging: its book died with its process
      const id1 = startRun(j, T0, "paper")
      journalFill(j, id1, "backpack", "sell", "10", "2", T0 + 1_000)
      // paper run 2, the next day, on fresh books: one hedged pair
      const id2 = startRun(j, day2, "paper")
      journalFill(j, id2, "backpack", "sell", "10", "2", day2 + 1_000)
      journalFill(j, id2, "aster-futures", "buy", "10", "2", day2 + 1_200)
      journalMarks(j, id2, day2 + 2_000)
      run(j.endRun(id2, { endedAt: day2 + 10_000, outcome: "stopped" }))
    })
    const own = Effect.runSync(reportFromJournal(file, { runId: 2 }))
    expect(own.exposure).toEqual({ maxAbsNetDelta: "10", unhedgedQtySeconds: "2", finalNetPosition: "0" })
    const days = Effect.runSync(dailyReportsFromJournal(file))
    const second = days.find((d) => d.runIds.length === 1 && d.runIds[0] === 2)!.report
    // the day of run 2 alone reads as run 2's own report does
    expect(second.exposure).toEqual(own.exposure)
    expect(second.data.warnings.filter((w) => w.includes(" held "))).toEqual([])
  })
})

describe("a killed run's period, as a restart closes it", () => {
  // Was: a restart settles the killed run's hedge in doubt with recordHedgeOutcome, which restamps the hedge row
  // with the restart's time (journal-settlement.ts; journal.ts recordHedge `ts = excluded.ts`); closeKilledRuns
  // then ends the run at lastActivity(), i.e. at the restart. A run that traded 3 s "lasted" an hour, past the
  // next start: run.to, compare's hours and every per-hour figure are off ~1000×.
  eit.scopedLive("the killed run ends at its own last record, not at the restart that settled its hedge", () =>
    Effect.gen(function*() {
      const hedgeOrder = hedgeOrderOn(FUTURES)
      const file = yield* journalWithRun({ kind: "live", hedge: FUTURES }, (journal, runId) =>
        Effect.gen(function*() {
          yield* journal.recordIntent({ kind: "limit", runId, venue: "backpack", clientId: makerOrder.clientId, side: "sell", qty: makerOrder.qty, price: makerOrder.price!, createdAt: KILLED_AT - 3000 })
          yield* journal.recordOrder(runId, makerOrder, KILLED_AT - 2000)
          yield* journal.recordFill(runId, makerFill)
          // the hedge was sent; the process died before its reply was journalled
          yield* journal.recordIntent({ kind: "market", runId, venue: "aster-futures", clientId: hedgeOrder.clientId, side: "buy", qty: hedgeOrder.qty, createdAt: KILLED_AT - 1950 })
        }))
      const hedge = idleVenue(FUTURES, ticker, () => decimal("10"), {
        queryOrder: (ref) =>
          "clientId" in ref && ref.clientId === hedgeOrder.clientId ? Effect.succeed(hedgeOrder) : Effect.fail(new UnknownOrder({ venue: "aster-futures", orderId: "x" })),
        orderFills: (order) => Effect.succeed(order.id === hedgeOrder.id ? [hedgeFillOf(hedgeOrder)] : [])
      })
      const maker = idleVenue(PERP, ticker, () => decimal("-10"))
      const stop = yield* Deferred.make<void>()
      yield* Deferred.succeed(stop, undefined)
      yield* runLive({ config: killedRunConfig, kind: "live", journalPath: file, markEveryMs: 1000, stop, venues: Effect.succeed({ maker, hedge }) }).pipe(Effect.scoped, Effect.either)
      const first = yield* reportFromJournal(file, { runId: 1 })
      const second = yield* reportFromJournal(file, { runId: 2 })
      expect(first.fills.map((f) => `${f.venue} ${f.side} ${f.qty}`)).toEqual(["backpack sell 10", "aster-futures buy 10"])
      // its last record is the hedge's fill at KILLED_AT − 1.9 s; it did not outlast the next start
      expect(Date.parse(first.run.to)).toBeLessThan(Date.parse(second.run.from))
      expect(Date.parse(first.run.to)).toBeLessThanOrEqual(KILLED_AT)
    }))
})

describe("funding booked while no run traded", () => {
  // Was: a start journals funding paid since the FIRST run's start (runner.ts fundingSince) under the NEW run,
  // stamped at its funding time. A window/UTC day reads only the rows of runs overlapping it (journal-report.ts
  // readRows by run ids), so day D's payment journalled by day D+1's run is in no day: --by-day, the daily
  // digest and --since/--until over D leave it out, and the days no longer add up to the whole.
  it("--by-day funding adds up to the whole report's when a payment of day D was journalled by the next day's run", () => {
    const file = newFile()
    const day2 = T0 + 86_400_000
    writing(file, (j) => {
      // run 1, day D: one leg sold and hedged, then stopped between the legs (the pair is held)
      const id1 = startRun(j, T0)
      journalFill(j, id1, "backpack", "sell", "10", "2", T0 + 1_000)
      journalFill(j, id1, "aster-futures", "buy", "10", "2", T0 + 1_200)
      journalMarks(j, id1, T0 + 2_000)
      run(j.endRun(id1, { endedAt: T0 + 10_000, outcome: "stopped" }))
      // run 2, day D+1: its funding collector finds the payment of day D 12:00 on the held pair
      const id2 = startRun(j, day2)
      const at = T0 + 4 * 3_600_000
      run(j.recordFunding(id2, { venue: "backpack", ts: at, rate: decimal("0.0001"), markPrice: decimal("2"), position: decimal("-10"), amount: decimal("0.002") }))
      run(j.recordFunding(id2, { venue: "aster-futures", ts: at, rate: decimal("0.0001"), markPrice: decimal("2"), position: decimal("10"), amount: decimal("-0.002") }))
      run(j.recordFunding(id2, { venue: "backpack", ts: at + 3_600_000, rate: decimal("0.0002"), markPrice: decimal("2"), position: decimal("-10"), amount: decimal("0.004") }))
      journalMarks(j, id2, day2 + 2_000)
      run(j.endRun(id2, { endedAt: day2 + 10_000, outcome: "stopped" }))
    })
    const whole = Effect.runSync(reportFromJournal(file))
    expect(whole.totals.funding).toBe("0.004")
    const days = Effect.runSync(dailyReportsFromJournal(file))
    const byDay = days.map((d) => [d.day, d.report.totals.funding])
    // day D holds all three payments (12:00 and 13:00 UTC of 2025-09-24): 0.002 − 0.002 + 0.004
    expect(byDay).toEqual([["2025-09-24", "0.004"], ["2025-09-25", "0"]])
  })
})
