/**
 * The kill switch in a backtest (src/sim/kill-switch.ts): the config's `risk:` limits stop a
 * replay where they would stop a live run, at the moment worked out from the script. Latencies as
 * in hedge-loop.test.ts: submit/cancel/response 10 ms, feed 5 ms.
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { runBacktest } from "../src/sim/backtest"
import { testConfig } from "./support/config"
import { pnlFromListedCashFlows } from "./support/reconcile"
import { runCommand } from "./support/run-command"
import { type ScriptedTick, T0, tempDir, writeScript } from "./support/scripted-market"

/** Both venues quoted every second (Backpack 1.9990/2.0010, Aster 1.9995/2.0005); last 2.0000 at 0.5 s; 110 bought at 2.0020 at 3 s fills a sell of 10 there (100 ahead). */
const oneFill = (seconds: number): Array<ScriptedTick> => [
  ...Array.from({ length: seconds }, (_, s) => [
    { t: s * 1000, venue: "bp" as const, quote: ["1.9990", "100", "2.0010", "100"] as const },
    { t: s * 1000, venue: "as" as const, quote: ["1.9995", "100", "2.0005", "100"] as const }
  ]).flat(),
  { t: 500, venue: "bp" as const, trade: ["2.0000", "1", "buy"] as const },
  { t: 3000, venue: "bp" as const, trade: ["2.0020", "110", "buy"] as const }
]

const run = async (patch: Record<string, unknown>, killSwitch?: boolean) => {
  const lines: Array<string> = []
  const report = await Effect.runPromise(runBacktest({
    dbPath: writeScript(oneFill(60)),
    config: testConfig(patch),
    log: (line) => lines.push(line),
    ...(killSwitch !== undefined ? { killSwitch } : {})
  }))
  return { report, lines }
}

const iso = (ms: number) => new Date(T0 + ms).toISOString()

/** Every hedge refused: the 10 sold at 3 s stay unhedged. */
const hedgesRefused = {
  trade: { quantity: "10", offset_percent: 0.1, max_cycles: 1, hedge_retry_attempts: 5, hedge_retry_backoff_ms: 100 },
  sim: { aster: { market_reject_probability: 1 } }
}

describe("kill switch in a backtest", () => {
  it("stops at the moment the unhedged quantity × seconds reaches the limit, inside a hedge's retries", async () => {
    // the fill is seen at 3.005 s: 10 unhedged from then reach 25 base × s at 5.505 s. The hedge's
    // attempts (20 ms each, each refusal looked up by client id: 20 ms, the first also re-reading
    // the filters: 20 ms) fail at 3.025, 3.185, 3.425, 3.865 and 4.705 s, the last backoff (1.6 s)
    // would run to 6.325 s: it is cut at 5.505 s
    const { report, lines } = await run({ ...hedgesRefused, risk: { max_unhedged_qty_seconds: 25, max_consecutive_hedge_failures: 100 } })
    expect(report.run.outcome).toBe("kill-switch")
    expect(report.run.message).toBe("kill switch (risk.max_unhedged_qty_seconds): unhedged base quantity × seconds is 25, the limit is 25")
    const tripLine = lines.find((line) => line.includes("ERROR kill switch"))
    expect(tripLine).toBe(`${iso(5505)} ERROR kill switch (risk.max_unhedged_qty_seconds): unhedged base quantity × seconds is 25, the limit is 25: cancelling the working order and hedging the residual`)
    // five attempts before the trip, then the wind-down tries again (the venue still refuses)
    const failedBefore = lines.filter((line) => line.includes("WARN  hedge buy 10 failed") && line < `${iso(5505)}`)
    expect(failedBefore.length).toBe(5)
    expect(lines.some((line) => line.includes("stopping: could not wind down cleanly"))).toBe(true)
    expect(report.exposure.finalNetPosition).toBe("-10")
    expect(pnlFromListedCashFlows(report)).toBe(report.totals.pnl)

    // without the kill switch the same run goes on until the hedge's retries give up
    const unguarded = await run({ ...hedgesRefused, risk: { max_unhedged_qty_seconds: 25, max_consecutive_hedge_failures: 100 } }, false)
    expect(unguarded.report.run.outcome).toBe("failed")
    expect(unguarded.report.run.message).toMatch(/^hedge failed/)
    expect(unguarded.lines.some((line) => line.includes("ERROR kill switch"))).toBe(false)
  })

  it("stops on consecutive hedge failures at the third refused attempt", async () => {
    // attempts fail at 3.025, 3.185 and 3.425 s: the third trips the limit of 3 (a default)
    const { report, lines } = await run(hedgesRefused)
    expect(report.run.outcome).toBe("kill-switch")
    expect(report.run.message).toBe("kill switch (risk.max_consecutive_hedge_failures): consecutive failed hedge attempts is 3, the limit is 3")
    expect(lines.find((line) => line.includes("ERROR kill switch"))?.slice(0, 24)).toBe(iso(3425))
  })

  it("stops on the run's loss, counting the hedge's fee as soon as the hedge is back", async () => {
    // leg 1 sells 10 at 2.002 (maker, no fee) and buys 10 at 2.0005 on Aster paying 1%: 0.20005.
    // Valued at the fill prices, the PnL is 20.02 − 20.005 − 0.20005 + (−10 × 2.002 + 10 × 2.0005)
    // = −0.20005 ≤ −0.1, judged before the between-legs sleep, when the hedge's reply lands (3.025 s)
    const patch = {
      trade: { quantity: "10", offset_percent: 0.1, max_cycles: 1 },
      sim: { backpack: { maker_fee: "0" }, aster: { taker_fee: "0.01" } },
      risk: { max_loss: "0.1" }
    }
    const { report, lines } = await run(patch)
    expect(report.run.outcome).toBe("kill-switch")
    expect(report.run.message).toBe("kill switch (risk.max_loss): PnL is -0.20005, the limit is -0.1")
    expect(lines.find((line) => line.includes("ERROR kill switch"))?.slice(0, 24)).toBe(iso(3025))
    // stopped before leg 2: both legs of the hedge are held, flat across venues
    expect(report.fills.map((f) => [f.venue, f.side, f.qty])).toEqual([["backpack", "sell", "10"], ["aster-futures", "buy", "10"]])
    expect(report.exposure.finalNetPosition).toBe("0")
    expect(lines.some((line) => line.includes("stopping: flat across venues"))).toBe(true)

    // limits a run stays inside change nothing: the same backtest with the limit off or wide matches
    const unguarded = await run(patch, false)
    const wide = await run({ ...patch, risk: { max_loss: "1" } })
    expect(unguarded.report.run.outcome).toBe("data-ended")
    const comparable = (r: typeof wide.report) => ({ ...r, config: undefined, data: { ...r.data, file: undefined } })
    expect(comparable(wide.report)).toEqual(comparable(unguarded.report))
  })

  it("exits 3 from the command line, the report written; --no-kill-switch runs past the limit", async () => {
    const dir = tempDir()
    const db = writeScript(oneFill(60))
    const config = path.join(dir, "tight.yaml")
    fs.writeFileSync(config, `${fs.readFileSync("config/hedge_futures.example.yaml", "utf8")}\nrisk:\n  max_consecutive_hedge_failures: 1\n`
      .replace("offset_percent: 0.2", "offset_percent: 0.1")
      .replace(/aster:\n(\s+)maker_fee/, "aster:\n$1market_reject_probability: 1\n$1maker_fee"))
    const out = path.join(dir, "report.json")
    const cli = (...args: Array<string>) => runCommand("src/cli/backtest.ts", [db, "--config", config, "--quiet", ...args])
    const stopped = await cli("--report-json", out)
    expect(stopped.stderr).toMatch(/^error: stopped at .*: kill switch \(risk\.max_consecutive_hedge_failures\): consecutive failed hedge attempts is 1, the limit is 1 \(the report above runs until then; --no-kill-switch runs past the limits\)$/m)
    expect(stopped.code).toBe(3)
    expect(JSON.parse(fs.readFileSync(out, "utf8")).run.outcome).toBe("kill-switch")
    const past = await cli("--no-kill-switch")
    expect(past.stdout).not.toMatch(/kill-switch/)
    expect(past.code).not.toBe(3)
  })
})
