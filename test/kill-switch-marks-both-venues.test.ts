/**
 * The kill switch values a hedged pair with both venues' marks of the same moment: a move the two
 * legs share is no loss to stop a run for (the backtest's marks; the live runner's read both
 * venues, then judge).
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { runBacktest } from "../src/sim/backtest"
import { testConfig } from "./support/config"
import { type ScriptedTick, writeScript } from "./support/scripted-market"

const readmeText = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8").replace(/\s+/g, " ")

/**
 * Both venues quoted every second for `seconds` (Backpack 1.9990/2.0010, Aster 1.9995/2.0005), the
 * last price 2.0000 at 0.5 s and 110 bought at 2.0020 at 3 s (leg 1's sell of 10 fills there, its
 * hedge buys 10 on Aster at 2.0005); from `riseAt` both venues' quotes are 0.1 higher.
 */
const hedgedPairThenBothRise = (seconds: number, riseAt: number): Array<ScriptedTick> => [
  ...Array.from({ length: seconds }, (_, s) => {
    const up = s * 1000 >= riseAt
    return [
      { t: s * 1000, venue: "bp" as const, quote: [up ? "2.0990" : "1.9990", "100", up ? "2.1010" : "2.0010", "100"] as const },
      { t: s * 1000, venue: "as" as const, quote: [up ? "2.0995" : "1.9995", "100", up ? "2.1005" : "2.0005", "100"] as const }
    ]
  }).flat(),
  { t: 500, venue: "bp" as const, trade: ["2.0000", "1", "buy"] as const },
  { t: 3000, venue: "bp" as const, trade: ["2.0020", "110", "buy"] as const }
]

describe("risk.max_loss judged on both venues' marks of one moment", () => {
  // Was: every limit was judged after each venue's mark, before the other venue's was in: a
  // hedged pair held through between_legs_sleep whose venues both rose was valued with one leg at
  // the new price and the other at the old, and the phantom loss tripped the kill switch (exit 3;
  // on the bundled sample with max_loss 0.5: "PnL is -0.5842871" for a run at -0.3707871).
  it("a hedged pair whose two venues rise together is no loss: max_loss does not stop the run", async () => {
    expect(readmeText).toContain("`max_loss` in quote (50, this run's PnL)")
    // leg 1 sells 10 at 2.002 on Backpack and buys 10 at 2.0005 on Aster (no fees): PnL +0.015.
    // During the 60 s between the legs both venues rise by 0.1: Backpack's short loses 0.98,
    // Aster's long gains 0.995; the run's PnL stays +0.015, far from the limit of -0.5
    const config = testConfig({
      trade: { quantity: "10", offset_percent: 0.1, max_cycles: 1, between_legs_sleep: 60 },
      sim: { backpack: { maker_fee: "0" }, aster: { taker_fee: "0" } },
      risk: { max_loss: "0.5" }
    })
    const lines: Array<string> = []
    const report = await Effect.runPromise(runBacktest({ dbPath: writeScript(hedgedPairThenBothRise(120, 20_000)), config, log: (line) => lines.push(line) }))
    // the pair was built as scripted
    expect(report.fills.slice(0, 2).map((f) => [f.venue, f.side, f.price, f.qty])).toEqual([["backpack", "sell", "2.002", "10"], ["aster-futures", "buy", "2.0005", "10"]])
    expect(Number(report.totals.pnl)).toBeGreaterThan(-0.5)
    expect(report.run.outcome, lines.filter((l) => l.includes("kill switch")).join("\n")).not.toBe("kill-switch")
  })
})
