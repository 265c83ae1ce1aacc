/**
 * A journal report's window inside a run without an end: it ends where the run was last alive
 * (its marks included), never before it opens. Figures computed by hand.
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { reportFromJournal } from "../src/live/journal-report"
import { journalFill, journalMarks, startRun, writing } from "./support/journal-writing"

const T0 = 1_758_675_600_000
const HOUR = 3_600_000
const root = fs.mkdtempSync(path.join(os.tmpdir(), "hedgeloop-window-of-unended-run-"))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))
let n = 0
const newFile = () => path.join(root, `journal-${++n}.db`)
const run = <A, E>(effect: Effect.Effect<A, E>): A => Effect.runSync(effect)

describe("a journal report's window inside a run that has no end (killed, or still running)", () => {
  // Was: a window in which a run without an end journalled no fill, funding, cycle or hedge row
  // (it only marked prices every 5 s: e.g. waiting out a closed hedge market with 10 unhedged)
  // ended at the run's START: run.to (01:00) was before run.from (03:00), and the 10 held
  // unhedged through the whole hour counted 0 qty×s (the --by-day report and the daily digest of a
  // running run the same; compare's per-hour figures n/a).
  it("ends where the window does when the run journalled past it, and counts the unhedged quantity held through it", () => {
    const file = newFile()
    writing(file, (j) => {
      const id = startRun(j, T0)
      // a maker fill at +1 min left 10 unhedged; the run kept marking prices, and its next
      // cycle started at +5 h; then it was killed: no end
      journalFill(j, id, "backpack", "buy", "10", "2", T0 + 60_000)
      for (let t = T0 + 60_000; t <= T0 + 5 * HOUR; t += HOUR / 2) journalMarks(j, id, t)
      run(j.recordCycleEvent({ runId: id, cycle: 2, ts: T0 + 5 * HOUR, detail: { event: "started" } }))
    })
    const r = Effect.runSync(reportFromJournal(file, { since: T0 + 2 * HOUR, until: T0 + 3 * HOUR }))
    expect(r.data.warnings.some((w) => w.includes("backpack held 10"))).toBe(true)
    expect(r.run.from).toBe(new Date(T0 + 2 * HOUR).toISOString())
    expect(r.run.to).toBe(new Date(T0 + 3 * HOUR).toISOString())
    // 10 unhedged for the window's whole hour: 36000 qty × s
    expect(r.exposure).toEqual({ maxAbsNetDelta: "10", unhedgedQtySeconds: "36000", finalNetPosition: "10" })
  })
})
