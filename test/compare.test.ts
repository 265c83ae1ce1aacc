/** `compare`: two reports side by side, the differences exact. */
import { BigDecimal, Effect } from "effect"
import { describe, expect, it } from "vitest"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import { compareReports, formatComparison } from "../src/core/report/compare"
import { runBacktest } from "../src/sim/backtest"
import { testConfig } from "./support/config"
import { writeSwingingScript } from "./support/scripted-market"

const market = () => writeSwingingScript(400)

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
    // and the one setting that made the difference
    expect(comparison.configDifferences).toEqual([{ key: "trade.offsetPercent", a: "0.05", b: "0.2" }])
    expect(formatComparison(comparison).split("\n").slice(-2)).toEqual(["config: 1 setting(s) differ (A → B)", "  trade.offsetPercent  0.05 → 0.2"])
  })

  it("lists the settings that differ among those both runs used: not a live run's sim, not whether keys are set", async () => {
    const a = await Effect.runPromise(runBacktest({ dbPath: market(), config: testConfig() }))
    expect(compareReports(a, a).configDifferences).toEqual([])
    expect(formatComparison(compareReports(a, a)).split("\n").at(-1)).toBe("config: the same settings")

    const config = a.config as { readonly maker: Record<string, unknown>; readonly sim: Record<string, unknown>; readonly trade: Record<string, unknown> }
    // a live run: real keys, its own URL, no sim realism of its own, a setting the backtest's version had not
    const live = {
      ...a,
      kind: "live" as const,
      config: {
        ...config,
        source: "config/hedge_futures.yaml",
        maker: { ...config.maker, baseUrl: "http://127.0.0.1:9000", publicKey: "<set>", secretKey: "<set>" },
        sim: { ...config.sim, marketSlippageBps: "5", seed: 9 },
        trade: { ...config.trade, newSetting: 3 }
      }
    }
    expect(compareReports(a, live).configDifferences).toEqual([
      { key: "maker.baseUrl", a: String(config.maker["baseUrl"]), b: "http://127.0.0.1:9000" },
      { key: "trade.newSetting", a: null, b: "3" }
    ])
    expect(formatComparison(compareReports(a, live))).toContain("  trade.newSetting  (not set) → 3")
    // a paper run matches with the config's sim: there it counts
    const paper = { ...live, kind: "paper" as const }
    expect(compareReports(a, paper).configDifferences.map((d) => d.key)).toEqual(["maker.baseUrl", "sim.seed", "sim.marketSlippageBps", "trade.newSetting"])

    // many: the first 20 printed, all in the comparison (--json)
    const many = { ...a, config: { ...config, trade: Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`k${i}`, i])) } }
    const comparison = compareReports(a, many)
    expect(comparison.configDifferences.length).toBeGreaterThan(25)
    const lines = formatComparison(comparison).split("\n")
    expect(lines.at(-1)).toBe(`  … and ${comparison.configDifferences.length - 20} more (all of them with --json)`)
    expect(lines.filter((line) => /^  \S+ {2,}.+ → .+$/.test(line)).length).toBe(20)
  })

  it("says when the two did not see the same market: other periods, synthetic or proxy data, filters that changed", async () => {
    const file = market()
    const warned = await Effect.runPromise(runBacktest({ dbPath: file, config: testConfig() }))
    // the reports' own warnings are the comparison's notes too, once when both say it
    const noFunding = (venue: string) => `A and B: the data has no funding events for ${venue}: no funding is paid or received and the funding guard never pauses (import with --funding-interval-hours to add a schedule)`
    expect(compareReports(warned, warned).notes.slice(2)).toEqual([noFunding("backpack ASTER_USDC_PERP"), noFunding("aster-futures ASTERUSDT")])
    expect(compareReports(warned, { ...warned, data: { ...warned.data, warnings: ["fees charged in BNB are counted at par"] } }).notes.slice(2)).toEqual([
      noFunding("backpack ASTER_USDC_PERP").replace("A and B:", "A:"),
      noFunding("aster-futures ASTERUSDT").replace("A and B:", "A:"),
      "B: fees charged in BNB are counted at par"
    ])
    const a = { ...warned, data: { ...warned.data, warnings: [] } }
    // the scripted market is synthetic and covers the same 400 s in both
    expect(compareReports(a, a).notes).toEqual([`A ran on synthetic data (${file})`, `B ran on synthetic data (${file})`])
    const real = { ...a, data: { ...a.data, synthetic: false } }
    expect(compareReports(real, real).notes).toEqual([])

    // B: a live run of 30 minutes, 6 of them (a's first 400 s minus 40) in common
    const from = Date.parse(a.run.from)
    const live = { ...real, kind: "live" as const, run: { ...real.run, from: new Date(from + 40_000).toISOString(), to: new Date(from + 1_840_000).toISOString() } }
    const ahead = { ...real, data: { ...real.data, proxyVenues: [{ venue: "backpack", symbol: "ASTER_USDC_PERP", from: "aster-futures", parameters: {} }] } }
    const notes = compareReports(ahead, live).notes
    const min = (ms: number) => String(Number((ms / 60_000).toFixed(1)))
    expect(notes).toEqual([
      `A and B ran over different periods (${min(Date.parse(a.run.to) - from)} min and 30 min, ${min(Date.parse(a.run.to) - from - 40_000)} min in common): part of every difference is the market's, not the strategy's; to compare like for like, record the live run's market (npm run live -- CONFIG --record FILE) and backtest that file`,
      "A's backpack ASTER_USDC_PERP feed is a proxy derived from aster-futures, not a recording"
    ])
    expect(formatComparison(compareReports(ahead, live))).toContain(`note: ${notes[0]}`)
    const later = { ...live, run: { ...live.run, from: new Date(from + 3_600_000).toISOString(), to: new Date(from + 3_700_000).toISOString() } }
    expect(compareReports(real, later).notes[0]).toMatch(/no time in common/)
    // two live runs: no recording would make them like for like
    expect(compareReports(live, later).notes).toEqual([`A and B ran over different periods (30 min and ${min(100_000)} min, no time in common): part of every difference is the market's, not the strategy's`])

    // a live run whose venue changed its filters: the backtest kept its recording's
    const changed = { ...real, kind: "live" as const, filterChanges: [{ venue: "aster-futures", symbol: "ASTERUSDT", ts: from + 60_000, cycle: 2, changes: ["step 0.01 → 1"], why: "a hedge order was refused" }] }
    expect(compareReports(real, changed).notes).toEqual([
      `B's aster-futures ASTERUSDT changed its filters at ${new Date(from + 60_000).toISOString()} (step 0.01 → 1): its orders were priced and sized on the new ones from then on`
    ])
    // a journal's report also warns of it: said once, as its warning
    const filterWarning = `aster-futures ASTERUSDT changed its filters during run 1 at ${new Date(from + 60_000).toISOString()} (step 0.01 → 1): the run traded on the new ones from then on; a backtest keeps its recording's filters`
    const journalled = { ...changed, data: { ...changed.data, warnings: [filterWarning] } }
    expect(compareReports(real, journalled).notes).toEqual([`B: ${filterWarning}`])
  })

  it("puts runs of different lengths on one footing: volume, points and PnL per hour", async () => {
    const a = await Effect.runPromise(runBacktest({ dbPath: market(), config: testConfig() }))
    const from = Date.parse("2026-12-01T10:00:00Z")
    const over = (minutes: number, volume: string, points: string, pnl: string) => ({
      ...a,
      run: { ...a.run, from: new Date(from).toISOString(), to: new Date(from + minutes * 60_000).toISOString() },
      totals: { ...a.totals, volume, pnl },
      points: { ...a.points, total: points }
    })
    // six hours of backtest against 45 minutes live
    const byMetric = new Map(compareReports(over(360, "6000", "9000", "-2.4"), over(45, "150", "300", "-0.3")).rows.map((r) => [r.metric, r]))
    expect(byMetric.get("hours")).toMatchObject({ a: "6", b: "0.75" })
    expect(byMetric.get("volume per hour")).toMatchObject({ a: "1000", b: "200", delta: "-800", deltaPercent: "-80" })
    expect(byMetric.get("points per hour")).toMatchObject({ a: "1500", b: "400", delta: "-1100" })
    expect(byMetric.get("pnl per hour")).toMatchObject({ a: "-0.4", b: "-0.4", delta: "0" })
    // a report whose period has no length has no rates
    expect(compareReports(over(0, "1", "1", "0"), a).rows.find((r) => r.metric === "volume per hour")).toMatchObject({ a: null, delta: null })
  })

  it("says how each run ended, and when one was stopped early", async () => {
    const file = market()
    // the same backtest with a loss limit that the first cycle's fees reach
    const config = (patch: Record<string, unknown>) => testConfig({ sim: { aster: { taker_fee: "0.01" } }, ...patch })
    const full = await Effect.runPromise(runBacktest({ dbPath: file, config: config({}) }))
    const stopped = await Effect.runPromise(runBacktest({ dbPath: file, config: config({ risk: { max_loss: "0.1" } }) }))
    expect(stopped.run.outcome).toBe("kill-switch")
    const comparison = compareReports(full, stopped)
    expect([comparison.a.outcome, comparison.b.outcome]).toEqual([full.run.outcome, "kill-switch"])
    expect(comparison.notes).toContain(`B ended kill-switch (${stopped.run.message}): its figures stop there`)
    expect(comparison.notes.some((note) => note.startsWith("A ended"))).toBe(false)
    expect(formatComparison(comparison).split("\n")[1]).toBe(`B: backtest ${file} (${stopped.run.from} → ${stopped.run.to}, kill-switch)`)
  })
})
