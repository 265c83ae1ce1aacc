/** `compare`: two reports side by side, the differences exact. */
import { BigDecimal, Effect } from "effect"
import { describe, expect, it } from "vitest"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import { compareReports, formatComparison } from "../src/core/report/compare"
import { runBacktest } from "../src/sim/backtest"
import { testConfig } from "./support/config"
import { writeScript } from "./support/scripted-market"

const market = () =>
  writeScript(
    Array.from({ length: 400 }, (_, s) => [
      { t: s * 1000, venue: "bp" as const, quote: [(2 + Math.sin(s / 15) / 50 - 0.0002).toFixed(4), "80", (2 + Math.sin(s / 15) / 50 + 0.0002).toFixed(4), "80"] as const },
      { t: s * 1000 + 2, venue: "as" as const, quote: [(2 + Math.sin(s / 15) / 50 - 0.0001).toFixed(4), "5", (2 + Math.sin(s / 15) / 50 + 0.0001).toFixed(4), "5"] as const },
      { t: s * 1000 + 500, venue: "bp" as const, trade: [(2 + Math.sin(s / 15) / 50).toFixed(4), "9", s % 2 ? "buy" : "sell"] as const }
    ]).flat()
  )

describe("compare", () => {
  it("lists both reports' figures and exact differences", async () => {
    const file = market()
    const a = await Effect.runPromise(runBacktest({ dbPath: file, config: testConfig({ trade: { offset_percent: 0.05 } }) }))
    const b = await Effect.runPromise(runBacktest({ dbPath: file, config: testConfig({ trade: { offset_percent: 0.2 } }) }))
    const comparison = compareReports(a, b)
    const byMetric = new Map(comparison.rows.map((r) => [r.metric, r]))
    for (const [metric, pick] of [["volume", (r: typeof a) => r.totals.volume], ["fees", (r: typeof a) => r.totals.fees], ["pnl", (r: typeof a) => r.totals.pnl], ["points", (r: typeof a) => r.points.total]] as const) {
      const rowFor = byMetric.get(metric)!
      expect(rowFor.a).toBe(pick(a))
      expect(rowFor.b).toBe(pick(b))
      expect(rowFor.delta).toBe(formatDecimal(BigDecimal.subtract(decimal(pick(b)), decimal(pick(a)))))
    }
    expect(byMetric.get("cycles")!.delta).toBe(String(b.cycles.count - a.cycles.count))
    expect(formatComparison(comparison)).toMatch(/^volume\s+\S+\s+\S+/m)
  })
})
