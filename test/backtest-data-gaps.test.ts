/**
 * A backtest of a file with gaps (a recording's downtime, an import's silences) says how much of
 * the run rested on them: the book stands still through a gap, so a hedge sent in one fills at the
 * quote from before it.
 */
import { describe, expect, it } from "vitest"
import { decimal } from "../src/core/domain/decimal"
import type { Fill } from "../src/core/domain/order"
import { gapWarnings } from "../src/sim/gap-warnings"
import { FIRST_TRADE, LEG1_FILLS, quotes, scriptedBacktest } from "./support/scripted-backtest"
import { T0 } from "./support/scripted-market"

const at = (ms: number) => new Date(T0 + ms).toISOString()

describe("backtest of a file with gaps", () => {
  it("names each market's gaps in the run, and the fills that came inside one", async () => {
    // Aster is silent from 2 s to 40 s (marked as a gap); leg 1's maker fill at 3 s is hedged there
    const aster = quotes(0, 60).filter((t) => t.venue === "bp" || t.t <= 2000 || t.t >= 40_000)
    const { report } = await scriptedBacktest([...aster, FIRST_TRADE, LEG1_FILLS], { trade: { max_cycles: 1 } }, undefined, {
      gaps: [
        { venue: "as", from: 2000, to: 40_000 },
        // outside the run's hedges: before the first quote of the maker venue's second silence
        { venue: "bp", from: 50_000, to: 52_000 },
        { venue: "bp", from: 53_000, to: 58_000 }
      ]
    })
    const asterFills = report.fills.filter((f) => f.venue === "aster-futures")
    expect(asterFills.length).toBeGreaterThan(0)
    const inGap = asterFills.filter((f) => f.ts > T0 + 2000 && f.ts < T0 + 40_000).length
    expect(inGap).toBeGreaterThan(0)
    const makerFills = report.fills.filter((f) => f.venue === "backpack").length
    expect(report.data.warnings).toContain(
      `aster-futures ASTERUSDT: the data has 1 gap (38s, from ${at(2000)} to ${at(40_000)}), through which its book stood still; ${inGap} of this run's ${asterFills.length} fill(s) there came inside one, at a quote from before it`
    )
    expect(report.data.warnings).toContain(
      `backpack ASTER_USDC_PERP: the data has 2 gaps (7s in all, the longest 5s from ${at(53_000)} to ${at(58_000)}), through which its book stood still; none of this run's ${makerFills} fill(s) there came inside one`
    )
  })

  it("says nothing of gaps outside the replayed time, or of a file without any", async () => {
    const plain = await scriptedBacktest([...quotes(0, 30), FIRST_TRADE, LEG1_FILLS], { trade: { max_cycles: 1 } })
    expect(plain.report.data.warnings.filter((w) => w.includes("gap"))).toEqual([])
    // a gap marked after the last tick (the run ends with the data) is not in the run
    const after = await scriptedBacktest([...quotes(0, 30), FIRST_TRADE, LEG1_FILLS], { trade: { max_cycles: 1 } }, undefined, { gaps: [{ venue: "as", from: 100_000, to: 200_000 }] })
    expect(after.report.data.warnings.filter((w) => w.includes("gap"))).toEqual([])
  })

  it("counts a fill once however many gaps hold it, and not one at a gap's bounds (the ticks around it)", () => {
    const fill = (ts: number): Fill => ({ venue: "aster-futures", symbol: "ASTERUSDT", orderId: "1", tradeId: String(ts), side: "buy", price: decimal("2"), qty: decimal("1"), fee: decimal("0"), feeAsset: "USDT", liquidity: "taker", ts })
    const gaps = [
      { instrumentIdx: 1, fromTs: 10_000_000, toTs: 30_000_000 },
      { instrumentIdx: 1, fromTs: 20_000_000, toTs: 40_000_000 },
      { instrumentIdx: 1, fromTs: 60_000_000, toTs: 70_000_000 },
      // another instrument's
      { instrumentIdx: 0, fromTs: 0, toTs: 100_000_000 }
    ]
    const [warning] = gapWarnings(gaps, [{ venue: "aster-futures", symbol: "ASTERUSDT", instrumentIdx: 1 }], [10_000, 25_000, 35_000, 50_000, 65_000, 70_000, 80_000].map(fill), 0, 100_000_000)
    expect(warning).toMatch(/3 of this run's 7 fill\(s\) there came inside one/)
    // only the replayed part of a gap counts
    expect(gapWarnings(gaps, [{ venue: "aster-futures", symbol: "ASTERUSDT", instrumentIdx: 1 }], [], 65_000_000, 100_000_000)[0]).toMatch(/1 gap \(5s, from/)
  })
})

describe("a file that ends before both venues have quoted", () => {
  // Was: outcome "completed", as if the strategy had run to its end, for a run that never started
  it("ends data-ended, says why, and trades nothing", async () => {
    const onlyBackpack = quotes(0, 30).filter((t) => t.venue === "bp")
    const { report } = await scriptedBacktest([...onlyBackpack, FIRST_TRADE], { trade: { max_cycles: 1 } })
    expect(report.run.outcome).toBe("data-ended")
    expect(report.data.warnings).toContain("the recording ended before both venues had a two-sided quote: nothing was traded")
    expect(report.fills).toEqual([])
  })
})
