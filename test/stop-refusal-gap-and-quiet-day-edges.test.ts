/**
 * Edges of a refused placement, gaps and quiet days: a placement refused and then interrupted
 * (nothing in doubt), a fill
 * at the tick closing a gap, overlapping gaps, and funding on a day no run traded. Each `// Was:`
 * says what an earlier build got wrong.
 */
import { describe, expect, it } from "@effect/vitest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { BigDecimal, Duration, Effect, Fiber, Layer } from "effect"
import { decimal } from "../src/core/domain/decimal"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { Fill } from "../src/core/domain/order"
import { gapWarnings } from "../src/sim/gap-warnings"
import { dailyReportsFromJournal, reportFromJournal } from "../src/live/journal-report"
import { fillOf } from "./support/fills"
import { journalMarks, startRun, writing } from "./support/journal-writing"
import { localAster, v1Auth } from "./support/local-aster-server"

const platform = Layer.mergeAll(NodeHttpClient.layerUndici, NodeSocket.layerWebSocketConstructor)

const tempDir = (prefix: string) =>
  Effect.gen(function*() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
    yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
    return dir
  })

describe("placements interrupted in doubt (adapters/*/client.ts)", () => {
  // Was: `acceptance.until` is set when a request is SIGNED and never cleared, so the new
  // onInterrupt marks a placement in doubt even when nothing of it can be booked: here the venue
  // refused the only sending (-1021) and the stop came during the clock resync before the resend.
  // A look-up of that client id (the wind-down's) then waits out a window that proves nothing
  // (recvWindow + 1 s; V3 10 s + 1 s; also a stop during V3 / off-thread Backpack signing).
  // src/adapters/aster/client.ts:newOrder (onInterrupt) / request; same in backpack/client.ts:sendOrder.
  it.scopedLive("Aster: a placement refused by the venue and interrupted before its resend is not looked up as if in doubt", () =>
    Effect.gen(function*() {
      const { faults, exchange } = yield* localAster("futures", v1Auth(), { recvWindowMs: 5000 })
      faults.http("POST /fapi/v1/order", { kind: "reject", code: -1021, message: "Timestamp for this request is outside of the recvWindow." })
      faults.http("GET /fapi/v1/time", { kind: "delay", ms: 3000 })
      const placing = yield* Effect.fork(exchange.placeLimit({ side: "buy", price: decimal("1.9000"), qty: decimal("10"), postOnly: true, timeInForce: "GTC", clientId: "hl-rv1" }))
      // the refusal has come back; the resync's /time is on its way
      yield* Effect.sleep(Duration.millis(500))
      expect(faults.count("POST /fapi/v1/order")).toBe(1)
      yield* Fiber.interrupt(placing)
      const started = Date.now()
      const looked = yield* Effect.either(exchange.queryOrder({ clientId: "hl-rv1" }))
      const tookMs = Date.now() - started
      expect(faults.count("POST /fapi/v1/order")).toBe(1)
      expect(looked._tag).toBe("Left")
      // one look-up: the only request sent was refused, nothing can be booked
      expect(tookMs).toBeLessThan(1500)
    }).pipe(Effect.provide(platform)), 20_000)
})

describe("gap warnings (sim/gap-warnings.ts)", () => {
  const fill = (ts: number): Fill => ({
    venue: "aster-futures", symbol: "ASTERUSDT", orderId: "1", tradeId: String(ts), side: "buy", price: decimal("2"), qty: decimal("1"),
    fee: decimal("0"), feeAsset: "USDT", liquidity: "taker", ts
  })
  const market = [{ venue: "aster-futures" as const, symbol: "ASTERUSDT", instrumentIdx: 1 }]

  // Was: a gap ends at the first tick after it (µs, as a recording stamps it); a fill that tick
  // triggers is stamped floor(µs / 1000) ms by the kernel, so fill.ts * 1000 falls just BEFORE the
  // gap's end and the fill is counted "inside one, at a quote from before it", though it came at the
  // new quote. The gap's start is compared the same way and is not affected, so only the end is off.
  // src/sim/gap-warnings.ts:gapWarnings (within(f.ts * 1000) against µs bounds).
  it("a fill at the tick that closes a gap did not come inside it", () => {
    // the gap's bounds: the ticks at 10.000500 s and 40.000500 s; the fill at the closing tick, stamped 40 000 ms
    const gaps = [{ instrumentIdx: 1, fromTs: 10_000_500, toTs: 40_000_500 }]
    const [warning] = gapWarnings(gaps, market, [fill(Math.floor(40_000_500 / 1000))], 0, 100_000_000)
    expect(warning).toMatch(/none of this run's 1 fill\(s\) there came inside one/)
  })

  // Was: "N gaps (T in all ...)" sums each gap's length, so gaps that overlap (which the fill count
  // was just made to handle: counted once) have their common time counted twice: 10–30 s and
  // 20–40 s are 30 s without data, said as "40s in all". src/sim/gap-warnings.ts:gapWarnings (total).
  it("says the time overlapping gaps cover once", () => {
    const gaps = [{ instrumentIdx: 1, fromTs: 10_000_000, toTs: 30_000_000 }, { instrumentIdx: 1, fromTs: 20_000_000, toTs: 40_000_000 }]
    const [warning] = gapWarnings(gaps, market, [], 0, 100_000_000)
    expect(warning).toMatch(/\(30s in all/)
  })
})

describe("journal reports by day (live/journal-report.ts)", () => {
  const T0 = Date.UTC(2025, 8, 24, 8)
  const DAY = 86_400_000
  const run = <A, E>(effect: Effect.Effect<A, E>): A => Effect.runSync(effect)

  // Was: rows now count where they happened whichever run journalled them, but the by-day loop still
  // skips every UTC day that no run overlaps (`if (firstRun === undefined) continue`). A pair held over a
  // day without any process (stopped Friday, restarted Sunday): Saturday's funding, journalled by
  // Sunday's run at Saturday's times, is in no day: --by-day / the daily digest do not add up to the
  // whole report. src/live/journal-report.ts:dailyReportsFromJournal (days chosen by run overlap only).
  it.scoped("--by-day funding adds up to the whole report's when the payments fell on a day no run traded", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir("hedgeloop-report-quiet-day-")
      const file = path.join(dir, "journal.db")
      writing(file, (j) => {
        // run 1, day D: one leg sold and hedged, then stopped between the legs (the pair is held)
        const id1 = startRun(j, T0)
        run(j.recordFill(id1, { ...fillOf("backpack", "sell", "10", "2", "0", T0 + 1_000), orderId: "o1", tradeId: "t1" }))
        run(j.recordFill(id1, { ...fillOf("aster-futures", "buy", "10", "2", "0", T0 + 1_200), orderId: "o2", tradeId: "t2" }))
        journalMarks(j, id1, T0 + 2_000)
        run(j.endRun(id1, { endedAt: T0 + 10_000, outcome: "stopped" }))
        // run 2 starts on day D+2; its funding collector books day D+1's payment on the held pair
        const id2 = startRun(j, T0 + 2 * DAY)
        const at = T0 + DAY + 4 * 3_600_000
        run(j.recordFunding(id2, { venue: "backpack", ts: at, rate: decimal("0.0002"), markPrice: decimal("2"), position: decimal("-10"), amount: decimal("0.004") }))
        journalMarks(j, id2, T0 + 2 * DAY + 2_000)
        run(j.endRun(id2, { endedAt: T0 + 2 * DAY + 10_000, outcome: "stopped" }))
      })
      const whole = yield* reportFromJournal(file)
      expect(whole.totals.funding).toBe("0.004")
      const days = yield* dailyReportsFromJournal(file)
      const byDays = days.reduce((s, d) => BigDecimal.sum(s, decimal(d.report.totals.funding)), decimal("0"))
      expect(BigDecimal.format(BigDecimal.normalize(byDays))).toBe("0.004")
    }))
})
