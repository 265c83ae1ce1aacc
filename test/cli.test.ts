/** The commands as a user runs them: help, clear errors with non-zero exits, and the report file. */
import { BigDecimal, Effect, Schema } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { decimal, divideToScale, formatDecimal } from "../src/core/domain/decimal"
import { compareReports } from "../src/core/report/compare"
import { RunReport } from "../src/core/report/report"
import { runBacktest } from "../src/sim/backtest"
import { testConfig } from "./support/config"
import { pnlFromListedCashFlows } from "./support/reconcile"
import { runCommand as run } from "./support/run-command"
import { tempDir, writeScript, writeSwingingScript } from "./support/scripted-market"


const noStackTrace = (text: string) => expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m)

describe("backtest command", () => {
  it("prints its help", async () => {
    const r = await run("src/cli/backtest.ts", ["--help"])
    expect(r.code).toBe(0)
    expect(r.all).toMatch(/--report-json/)
    expect(r.all).toMatch(/--quiet/)
  })

  it("refuses a misspelt flag by name, rather than taking it for the tick file", async () => {
    const r = await run("src/cli/backtest.ts", ["--qiet"])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe("error: unknown option --qiet (hedgeloop backtest --help lists the options)\n")
    // the flags it knows, a negative number as a value and a subcommand's own flags still pass
    const withValue = await run("src/cli/backtest.ts", ["no/such/file.db", "--quiet", "--report-json=x.json"])
    expect(withValue.stderr).not.toMatch(/unknown option/)
    const subcommand = await run("src/cli/import.ts", ["aster-csv", "--trades", "missing.csv", "--proxy", "backpack:ASTER_USDC_PERP", "--proxy-basis-bps", "-5", "--venue", "aster-futures", "--symbol", "S", "--out", path.join(tempDir(), "x.db")])
    expect(subcommand.stderr).toMatch(/^error: .*missing\.csv/m)
    const misspeltInSubcommand = await run("src/cli/import.ts", ["aster-csv", "--trade", "missing.csv"])
    expect([misspeltInSubcommand.code, misspeltInSubcommand.stderr]).toEqual([2, "error: unknown option --trade (hedgeloop import --help lists the options)\n"])
  })

  it("refuses a missing tick file with a clear message", async () => {
    const r = await run("src/cli/backtest.ts", ["no/such/file.db"])
    expect(r.code).not.toBe(0)
    expect(r.all).toMatch(/no\/such\/file\.db/)
    noStackTrace(r.all)
  })

  it("refuses a file that is not a tick file", async () => {
    const dir = tempDir()
    const bogus = path.join(dir, "bogus.db")
    fs.writeFileSync(bogus, "this is not sqlite")
    const r = await run("src/cli/backtest.ts", [bogus])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^error: .*bogus\.db/m)
    noStackTrace(r.all)
  })

  it("names the bad key of a config", async () => {
    const dir = tempDir()
    const config = path.join(dir, "bad.yaml")
    fs.writeFileSync(config, fs.readFileSync("config/hedge_futures.example.yaml", "utf8").replace('quantity: "10"', 'quantity: "ten"'))
    const r = await run("src/cli/backtest.ts", ["--config", config])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/trade\.quantity: expected a decimal number/)
    noStackTrace(r.all)
  })

  it("writes a report that decodes, is flagged synthetic and reconciles", async () => {
    const ticks = Array.from({ length: 120 }, (_, s) => [
      { t: s * 1000, venue: "bp" as const, quote: ["1.9990", "100", "2.0010", "100"] as const },
      { t: s * 1000, venue: "as" as const, quote: ["1.9995", "100", "2.0005", "100"] as const },
      { t: s * 1000 + 500, venue: "bp" as const, trade: [s % 2 ? "2.0100" : "1.9900", "50", s % 2 ? "buy" : "sell"] as const }
    ]).flat()
    const db = writeScript(ticks)
    const out = path.join(tempDir(), "nested", "report.json")
    const r = await run("src/cli/backtest.ts", [db, "--config", "config/hedge_futures.example.yaml", "--report-json", out])
    expect(r.code).toBe(0)
    // once, in the backtest's format (time, level, text): no second logger beside the backtest's
    expect(r.stdout.match(/^\S+Z INFO  \[Cycle 1\] start of a new hedge cycle$/gm)).toHaveLength(1)
    expect(r.stdout).toMatch(/SYNTHETIC DATA/)
    const report = Schema.decodeUnknownSync(RunReport)(JSON.parse(fs.readFileSync(out, "utf8")))
    expect(report.kind).toBe("backtest")
    expect(report.data.synthetic).toBe(true)
    expect(Object.keys(report.venues).sort()).toEqual(["aster-futures", "backpack"])
    expect(report.fills.length).toBeGreaterThan(0)
    expect(pnlFromListedCashFlows(report)).toBe(report.totals.pnl)
    // points: maker and taker volume by their weights, and what 1000 of them cost
    const points = decimal(report.points.total)
    const expected = BigDecimal.sum(decimal(report.venues["backpack"]!.makerVolume), BigDecimal.multiply(decimal(report.venues["aster-futures"]!.takerVolume), decimal("2")))
    expect(report.points.total).toBe(formatDecimal(expected))
    expect(report.points.costPer1000Points).toBe(formatDecimal(divideToScale(BigDecimal.multiply(BigDecimal.negate(decimal(report.totals.pnl)), decimal("1000")), points, 6)))
    // secrets never reach the report
    expect(JSON.stringify(report.config)).not.toMatch(/api_secret"?\s*:\s*"[^<]/)
    const quiet = await run("src/cli/backtest.ts", [db, "--quiet"])
    expect(quiet.stdout).not.toMatch(/\[Cycle 1\]/)
    expect(quiet.stdout).toMatch(/backtest report/)
  })
})

describe("gen-data and import commands", () => {
  it("reject a bad flag value without a stack trace", async () => {
    const r = await run("src/cli/gen-data.ts", ["--seed", "abc"])
    expect(r.code).not.toBe(0)
    expect(r.all).toMatch(/abc/)
    noStackTrace(r.all)
  })

  it("reject a missing input file naming it", async () => {
    const r = await run("src/cli/import.ts", ["aster-csv", "--trades", "missing.csv", "--venue", "aster-futures", "--symbol", "ASTERUSDT", "--out", path.join(tempDir(), "x.db")])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^error: .*missing\.csv/m)
    noStackTrace(r.all)
  })
})

describe("compare command", () => {
  const reports = async () => {
    const db = writeSwingingScript(200)
    const dir = tempDir()
    const write = async (name: string, offset: number) => {
      const report = await Effect.runPromise(runBacktest({ dbPath: db, config: testConfig({ trade: { offset_percent: offset } }) }))
      const file = path.join(dir, name)
      fs.writeFileSync(file, JSON.stringify(report, null, 2))
      return { report, file }
    }
    return { dir, a: await write("a.json", 0.05), b: await write("b.json", 0.2) }
  }

  it("prints two reports side by side and writes the same comparison as JSON", async () => {
    const { dir, a, b } = await reports()
    expect(a.report.fills.length).toBeGreaterThan(0)
    const out = path.join(dir, "out", "comparison.json")
    const r = await run("src/cli/compare.ts", [a.file, b.file, "--json", out])
    expect(r.code).toBe(0)
    const expected = compareReports(a.report, b.report)
    expect(JSON.parse(fs.readFileSync(out, "utf8"))).toEqual(JSON.parse(JSON.stringify(expected)))
    const volume = expected.rows.find((row) => row.metric === "volume")!
    expect(r.stdout).toMatch(new RegExp(`^volume\\s+${volume.a}\\s+${volume.b}\\s`, "m"))
    expect(r.stdout.trimEnd().split("\n").slice(-2)).toEqual(["config: 1 setting(s) differ (A → B)", "  trade.offsetPercent  0.05 → 0.2"])
  })

  it("names the file and the field of a report it cannot read, without a stack trace", async () => {
    const { dir, a } = await reports()
    const broken = path.join(dir, "broken.json")
    const json = JSON.parse(fs.readFileSync(a.file, "utf8"))
    fs.writeFileSync(broken, JSON.stringify({ ...json, totals: { ...json.totals, volume: 5 } }))
    const wrongField = await run("src/cli/compare.ts", [a.file, broken])
    expect(wrongField.code).toBe(1)
    expect(wrongField.stderr).toMatch(/^error: .*broken\.json: a backtest report this version cannot read \(totals\.volume: .*\): made by another hedgeloop version \(make it again\), or edited$/m)
    // a JSON object that is no report at all is said to be none
    const foreign = path.join(dir, "foreign.json")
    fs.writeFileSync(foreign, JSON.stringify({ name: "something else" }))
    expect((await run("src/cli/compare.ts", [a.file, foreign])).stderr).toMatch(/^error: .*foreign\.json: not a hedgeloop report: kind: /m)
    noStackTrace(wrongField.all)
    const notJson = path.join(dir, "truncated.json")
    fs.writeFileSync(notJson, fs.readFileSync(a.file, "utf8").slice(0, 100))
    const cut = await run("src/cli/compare.ts", [notJson, a.file])
    expect(cut.code).toBe(1)
    expect(cut.stderr).toMatch(/^error: .*truncated\.json: not JSON/m)
    noStackTrace(cut.all)
  })
})
