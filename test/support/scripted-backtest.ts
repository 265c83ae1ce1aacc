/**
 * A backtest of a scripted market (test/support/scripted-market.ts conventions: Backpack quoted
 * 1.9990/2.0010, Aster 1.9995/2.0005, size 100, every second), trading 10 at a 0.1 % offset
 * unless the config patch says otherwise: the hedge loop's tests script a leg and read the report.
 */
import { BigDecimal, Effect } from "effect"
import { decimal } from "../../src/core/domain/decimal"
import { type BacktestOptions, runBacktest } from "../../src/sim/backtest"
import { testConfig } from "./config"
import { type ScriptedTick, type ScriptOptions, writeScript } from "./scripted-market"

/** Both venues quoted every second from `from` to `to` (s); Aster's bid/ask may be given. */
export const quotes = (from: number, to: number, aster: readonly [string, string] = ["1.9995", "2.0005"]): Array<ScriptedTick> =>
  Array.from({ length: to - from }, (_, i) => [
    { t: (from + i) * 1000, venue: "bp" as const, quote: ["1.9990", "100", "2.0010", "100"] as const },
    { t: (from + i) * 1000, venue: "as" as const, quote: [aster[0], "100", aster[1], "100"] as const }
  ]).flat()

/** the last price the first leg is priced from */
export const FIRST_TRADE: ScriptedTick = { t: 500, venue: "bp", trade: ["2.0000", "1", "buy"] }
/** leg 1 sells its 10 at 2.002 (offset 0.1 %) when this trade goes through */
export const LEG1_FILLS: ScriptedTick = { t: 3000, venue: "bp", trade: ["2.0020", "110", "buy"] }

/** `patch`: config sections over the test config, its `trade` over quantity 10 and offset 0.1 %. */
export const scriptedBacktest = (ticks: ReadonlyArray<ScriptedTick>, patch: Record<string, unknown>, decorate?: BacktestOptions["decorate"], script: ScriptOptions = {}) => {
  const lines: Array<string> = []
  const { trade, ...rest } = patch as { trade?: Record<string, unknown> }
  return Effect.runPromise(
    runBacktest({
      dbPath: writeScript(ticks, script),
      config: testConfig({ ...rest, trade: { quantity: "10", offset_percent: 0.1, ...trade } }),
      log: (line) => lines.push(line),
      ...(decorate !== undefined ? { decorate } : {})
    })
  ).then((report) => ({ report, lines, log: lines.join("\n") }))
}

type Report = Awaited<ReturnType<typeof scriptedBacktest>>["report"]

/** What a venue's fills of one side add up to. */
export const sum = (report: Report, venue: string, side: "buy" | "sell") =>
  report.fills.filter((f) => f.venue === venue && f.side === side).reduce((total, f) => BigDecimal.sum(total, decimal(f.qty)), decimal("0"))

export const qty = (d: BigDecimal.BigDecimal) => BigDecimal.format(BigDecimal.normalize(d))
