/**
 * The live runner in-process, started on a journal that a killed process left behind: the killed
 * run's order was known filled (a reply said so) without its fill messages. The start reads those
 * fills from the venue's history and closes the run as killed, or leaves it open for the next
 * start while the history lags; a run of the other kind (live vs paper) is never touched.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { decimal } from "../src/core/domain/decimal"
import type { Fill, Order } from "../src/core/domain/order"
import type { Exchange } from "../src/core/exchange"
import { openJournal, type RunKind } from "../src/live/journal"
import { reportFromJournal } from "../src/live/journal-report"
import { runLive } from "../src/live/runner"
import { testConfig } from "./support/config"
import { paperVenuesWithTaker } from "./support/paper-venues"

const config = testConfig({ trade: { quantity: "10", offset_percent: 0, first_wait_seconds: 30, between_legs_sleep: 0, cycle_sleep: 0, stop_before_funding_minutes: 0, max_cycles: 1 } })
const KILLED_AT = Date.now() - 3_600_000

const killedOrder: Order = {
  venue: "backpack",
  symbol: "ASTER_USDC_PERP",
  id: "k1",
  clientId: "hlold-m1",
  side: "sell",
  type: "limit",
  price: decimal("1.5"),
  qty: decimal("10"),
  filledQty: decimal("10"),
  filledQuote: decimal("15"),
  status: "filled",
  postOnly: true,
  timeInForce: "GTC",
  createdAt: KILLED_AT - 2000,
  updatedAt: KILLED_AT - 1000
}

const killedFill: Fill = {
  venue: "backpack",
  symbol: "ASTER_USDC_PERP",
  orderId: "k1",
  tradeId: "kt1",
  side: "sell",
  price: decimal("1.5"),
  qty: decimal("10"),
  fee: decimal("0"),
  feeAsset: "USDC",
  liquidity: "maker",
  ts: KILLED_AT - 1000
}

/** A journal whose run 1 (of `kind`) placed `killedOrder`, learnt it filled from a reply, and was killed. */
const killedJournal = (kind: RunKind) =>
  Effect.gen(function*() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hedgeloop-restart-"))
    yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
    const file = path.join(dir, "journal.db")
    yield* Effect.scoped(Effect.gen(function*() {
      const journal = yield* openJournal(file, "write")
      const runId = yield* journal.startRun({
        kind,
        startedAt: KILLED_AT - 5000,
        config,
        maker: { venue: "backpack", symbol: "ASTER_USDC_PERP", quoteAsset: "USDC", baseAsset: "ASTER" },
        hedge: { venue: "aster-futures", symbol: "ASTERUSDT", quoteAsset: "USDT", baseAsset: "ASTER" },
        clientIdPrefix: "hlold-"
      })
      yield* journal.recordIntent({ kind: "limit", runId, venue: "backpack", clientId: killedOrder.clientId, side: "sell", qty: killedOrder.qty, price: killedOrder.price!, createdAt: KILLED_AT - 2000 })
      yield* journal.recordOrder(runId, killedOrder, KILLED_AT - 1000)
    }))
    return file
  })

/**
 * One run of `kind` on `file` over in-process venues; the maker venue's history shows `history()`
 * for the killed order (a live venue's history outlives the process; a paper book's does not, so a
 * paper start never reads it: see test/paper-restart-spot.test.ts).
 */
const start = (file: string, history: () => ReadonlyArray<Fill>, reads: { count: number }, kind: "live" | "paper" = "live") =>
  runLive({
    config,
    kind,
    journalPath: file,
    markEveryMs: 1000,
    venues: Effect.map(paperVenuesWithTaker(config).venues, ({ maker, hedge }) => ({
      hedge,
      maker: {
        ...maker,
        orderFills: (order) =>
          Effect.sync(() => {
            if (order.id !== killedOrder.id) return []
            reads.count += 1
            return history()
          })
      } satisfies Exchange
    }))
  }).pipe(Effect.scoped)

const runsOf = (file: string) =>
  Effect.scoped(Effect.gen(function*() {
    const journal = yield* openJournal(file, "read")
    return (yield* journal.runs()).map((run) => ({ id: run.id, kind: run.kind, endedAt: Option.getOrNull(run.endedAt), outcome: Option.getOrNull(run.outcome) }))
  }))

describe("a start after a kill -9", () => {
  it.scopedLive("reads the killed run's missing fills, closes it as killed at its last record, and the next start leaves it alone", () =>
    Effect.gen(function*() {
      const file = yield* killedJournal("live")
      const reads = { count: 0 }
      const first = yield* start(file, () => [killedFill], reads)
      expect(first.outcome).toBe("completed")
      expect(reads.count).toBe(1)
      const runs = yield* runsOf(file)
      expect(runs.map((r) => [r.id, r.outcome])).toEqual([[1, "killed"], [2, "completed"]])
      expect(runs[0]!.endedAt).toBe(killedFill.ts)

      yield* start(file, () => [killedFill], reads)
      expect(reads.count).toBe(1)
      const report = yield* reportFromJournal(file)
      expect(report.fills.filter((f) => f.venue === "backpack" && f.ts === killedFill.ts).map((f) => [f.side, f.qty])).toEqual([["sell", "10"]])
      expect(report.run.message).toMatch(/^3 runs: #1 killed, #2 completed, #3 completed/)
      expect(report.data.warnings).toContain("run 1 was killed or crashed: the next start completed its fills from the venues and closed it at its last record")
    }))

  it.scopedLive("leaves the killed run open while the venue's history lags, and the next start reads it again", () =>
    Effect.gen(function*() {
      const file = yield* killedJournal("live")
      const reads = { count: 0 }
      let shown: ReadonlyArray<Fill> = []
      yield* start(file, () => shown, reads)
      expect((yield* runsOf(file)).map((r) => [r.id, r.outcome])).toEqual([[1, null], [2, "completed"]])
      shown = [killedFill]
      yield* start(file, () => shown, reads)
      expect(reads.count).toBe(2)
      expect((yield* runsOf(file)).map((r) => [r.id, r.outcome])).toEqual([[1, "killed"], [2, "completed"], [3, "completed"]])
    }))

  it.scopedLive("a paper start leaves a killed live run as it is: its orders are neither looked up nor completed", () =>
    Effect.gen(function*() {
      const file = yield* killedJournal("live")
      // and a second order, still resting when the process died: the live start looks it up
      const resting: Order = { ...killedOrder, id: "k2", clientId: "hlold-m2", filledQty: decimal("0"), filledQuote: decimal("0"), status: "new" }
      yield* Effect.scoped(Effect.gen(function*() {
        const journal = yield* openJournal(file, "write")
        yield* journal.recordIntent({ kind: "limit", runId: 1, venue: "backpack", clientId: resting.clientId, side: "sell", qty: resting.qty, price: resting.price!, createdAt: KILLED_AT })
        yield* journal.recordOrder(1, resting, KILLED_AT)
      }))
      const reads = { count: 0 }
      const result = yield* start(file, () => [killedFill], reads, "paper")
      expect(result.outcome).toBe("completed")
      expect(reads.count).toBe(0)
      expect((yield* runsOf(file)).map((r) => [r.id, r.kind, r.outcome])).toEqual([[1, "live", null], [2, "paper", "completed"]])
      const pending = yield* Effect.scoped(Effect.flatMap(openJournal(file, "read"), (journal) => journal.pendingIntents()))
      expect(pending.map((p) => [p.runId, p.clientId])).toEqual([[1, "hlold-m2"]])
    }))
})
