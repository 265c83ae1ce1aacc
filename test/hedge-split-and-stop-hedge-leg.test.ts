/**
 * The strategy's hedges at their edges, driven through the backtest: one split at the hedge
 * venue's largest order, and the one a stop sends for what the working leg filled.
 * Script conventions (test/support/scripted-market.ts): Backpack quoted 1.9990/2.0010 (size 100),
 * Aster 1.9995/2.0005 (size 100), every second; latencies 10 ms, feeds 5 ms; T0 = 01:00:00 UTC.
 */
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { decimal } from "../src/core/domain/decimal"
import type { HedgeSent } from "../src/core/strategy/observer"
import { silentObserver } from "../src/core/strategy/observer"
import type { BacktestOptions } from "../src/sim/backtest"
import { runBacktest } from "../src/sim/backtest"
import { testConfig } from "./support/config"
import { FIRST_TRADE, qty, quotes, scriptedBacktest as backtest, sum } from "./support/scripted-backtest"
import { writeScript } from "./support/scripted-market"

type Decorate = NonNullable<BacktestOptions["decorate"]>

/** Aster's largest order (MARKET_LOT_SIZE maxQty) at `max`. */
const hedgeMaxQty = (max: string): Decorate => (_kernel, venues) => ({
  ...venues,
  hedge: { ...venues.hedge, instrument: Effect.map(venues.hedge.instrument, (i) => ({ ...i, maxQty: decimal(max) })) }
})

describe("a hedge split at the hedge venue's largest order", () => {
  // Was: each hedge was capped at the venue's largest order without looking at what that leaves: a
  // leg of 10 with Aster maxQty 4 and minQty 3 was hedged 4 + 4, and the last 2 (below the minimum)
  // stayed unhedged after the leg, though 4 + 3 + 3 hedges it all.
  it("leg 1's 10 is hedged in full (e.g. 4 + 3 + 3), not 4 + 4 with 2 left unhedged", async () => {
    // bp-1 (sell 10 at 2.002) fills whole at 2 s; leg 2 (buy at 1.9999) fills at 20 s
    const ticks = [...quotes(0, 40), FIRST_TRADE, { t: 2000, venue: "bp" as const, trade: ["2.0020", "110", "buy"] as const }, {
      t: 20_000,
      venue: "bp" as const,
      trade: ["1.9980", "110", "sell"] as const
    }]
    const { report, log } = await backtest(ticks, { trade: { between_legs_sleep: 10, max_cycles: 1 } }, hedgeMaxQty("4"), { asterMinQty: "3" })
    expect(qty(sum(report, "backpack", "sell"))).toBe("10")
    const leg1Hedges = report.fills.filter((f) => f.venue === "aster-futures" && f.side === "buy")
    expect(leg1Hedges.every((f) => Number(f.qty) <= 4 && Number(f.qty) >= 3)).toBe(true)
    expect(qty(sum(report, "aster-futures", "buy"))).toBe("10")
    expect(log).not.toMatch(/hedge buy of 2 ASTER held back/)
  })
})

describe("the hedge a stop sends for what the working leg filled", () => {
  // Was: the wind-down hedged the residual as cycle 0 leg 1 whatever leg was working: a stop during
  // cycle 1's leg 2 logged its sell hedge as "[Leg1] ASTER market sell 6 executed …" and the live
  // journal's hedge row said cycle 0 (the unwind before the first cycle).
  it("is told and logged as the leg it hedges (cycle 1, leg 2), not as cycle 0 leg 1", async () => {
    // Aster minimum 5. Leg 1 sells 10 at 2.002 (3 s) and is hedged; leg 2 (buy 10 at 1.9999, posted
    // at ~23 s, resting 30 s) fills 6 at 30 s: its hedge is held back (min(6, 6 + 4 − 5.25) = 4.75 < 5).
    // The recording ends at 40 s: the stop cancels bp-2 and sells the 6 on Aster.
    const ticks = [
      ...quotes(0, 40),
      FIRST_TRADE,
      { t: 3000, venue: "bp" as const, trade: ["2.0020", "110", "buy"] as const },
      { t: 30_000, venue: "bp" as const, trade: ["1.9999", "6", "sell"] as const }
    ]
    const hedges: Array<HedgeSent> = []
    const lines: Array<string> = []
    const report = await Effect.runPromise(runBacktest({
      dbPath: writeScript(ticks, { asterMinQty: "5" }),
      config: testConfig({ trade: { quantity: "10", offset_percent: 0.1, first_wait_seconds: 30 } }),
      log: (line) => lines.push(line),
      observer: () => ({ ...silentObserver, hedgeSent: (e) => Effect.sync(() => void hedges.push(e)) })
    }))
    expect(report.run.outcome).toBe("data-ended")
    const sells = hedges.filter((h) => h.side === "sell")
    expect(sells.map((h) => qty(h.executedQty))).toEqual(["6"])
    expect(lines.join("\n")).toMatch(/ASTER market sell 6 executed/)
    expect(lines.join("\n")).not.toMatch(/\[Leg1\] ASTER market sell/)
    expect(sells.map((h) => [h.cycle, h.leg])).toEqual([[1, 2]])
  })
})
