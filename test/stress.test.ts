/**
 * `npm run stress`: the perturbations it draws and applies, the invariant monitor catching what
 * it must (a price off the tick, a hedge that failed), the search for the gentlest failing
 * perturbation, and the command as a user runs it on the bundled sample.
 */
import { BigDecimal, Effect, Either } from "effect"
import * as fc from "fast-check"
import * as fs from "node:fs"
import * as path from "node:path"
import * as YAML from "yaml"
import { describe, expect, it } from "vitest"
import { type HedgeConfig, parseConfig } from "../src/core/config/config"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import { runBacktest } from "../src/sim/backtest"
import { invariantMonitor } from "../src/sim/invariants"
import { noPerturbation, type Perturbation, perturbations, perturbed, runStress, spread } from "../src/sim/stress"
import { runCommand } from "./support/run-command"
import { tempDir } from "./support/scripted-market"

const SAMPLE = "data/sample.db"
const EXAMPLE = "config/hedge_futures.example.yaml"

/** the futures example with `trade` settings changed */
const exampleWith = (trade: Record<string, unknown>): { readonly text: string; readonly config: HedgeConfig } => {
  const doc = YAML.parse(fs.readFileSync(EXAMPLE, "utf8")) as Record<string, Record<string, unknown>>
  doc["trade"] = { ...doc["trade"], ...trade }
  const text = YAML.stringify(doc)
  return { text, config: Either.getOrThrow(parseConfig(text, "test")) }
}
const example = exampleWith({}).config

describe("stress perturbations", () => {
  it("none leaves the config as it is; each one changes the realism it names, on top of the config's own", () => {
    expect(perturbed(example, noPerturbation(example))).toEqual(example)
    const p: Perturbation = { seed: 7, extraJitterMs: 250, extraFeedLatencyMs: 500, hedgeRejectProbability: 0.2, extraSlippageBps: 5, impactMultiplier: 5, pessimisticQueue: true }
    const config = perturbed({ ...example, sim: { ...example.sim, queueModel: "probabilistic", marketSlippageBps: decimal("0.5") } }, p)
    expect([config.sim.seed, config.sim.queueModel, formatDecimal(config.sim.marketImpactBps), formatDecimal(config.sim.marketSlippageBps)]).toEqual([7, "conservative", "10", "5.5"])
    // the example's own: feed 20 ms, jitter 0, no rejects
    expect([config.sim.maker.feedLatencyMs, config.sim.maker.latencyJitterMs, config.sim.maker.marketRejectProbability]).toEqual([520, 250, 0])
    expect([config.sim.hedge.feedLatencyMs, config.sim.hedge.latencyJitterMs, config.sim.hedge.marketRejectProbability]).toEqual([520, 250, 0.2])
    // a config's own higher reject rate is kept
    const rejecting = { ...example, sim: { ...example.sim, hedge: { ...example.sim.hedge, marketRejectProbability: 0.3 } } }
    expect(perturbed(rejecting, p).sim.hedge.marketRejectProbability).toBe(0.3)
    // the strategy's settings are never touched
    expect(config.trade).toEqual(example.trade)
  })

  it("shrinks a failing example through the levels between, toward the config's own realism", () => {
    const failing: Perturbation = { seed: 99, extraJitterMs: 3000, extraFeedLatencyMs: 2000, hedgeRejectProbability: 0.5, extraSlippageBps: 20, impactMultiplier: 10, pessimisticQueue: true }
    // fails from 0.2 rejects on, whatever else
    const details = fc.check(fc.property(perturbations, (p) => p.hedgeRejectProbability < 0.2), { numRuns: 1, examples: [[failing]] })
    expect(details.counterexample).toEqual([{ seed: 99, extraJitterMs: 0, extraFeedLatencyMs: 0, hedgeRejectProbability: 0.2, extraSlippageBps: 0, impactMultiplier: 1, pessimisticQueue: false }])
  })

  it("the spread of report figures, exactly", () => {
    expect(spread(["-2.5", "0.1", "-10", "3"])).toEqual({ min: "-10", median: "-2.5", max: "3" })
    expect(spread([])).toBeUndefined()
  })
})

describe("the invariant monitor", () => {
  it("finds nothing wrong in a clean backtest of the sample, and it does not change the report", async () => {
    const monitor = invariantMonitor(example)
    const watched = await Effect.runPromise(runBacktest({ dbPath: SAMPLE, config: example, decorate: monitor.decorate, observer: monitor.observer }))
    expect(monitor.violations(watched)).toEqual([])
    expect(watched).toEqual(await Effect.runPromise(runBacktest({ dbPath: SAMPLE, config: example })))
  })

  it("catches a maker price off the tick grid sent by what sits above it, and the run that failed on it", async () => {
    const monitor = invariantMonitor(example)
    const report = await Effect.runPromise(runBacktest({
      dbPath: SAMPLE,
      config: example,
      // a broken layer between the strategy and the venue: prices half a tick off
      decorate: (kernel, venues) => {
        const watched = monitor.decorate(kernel, venues)
        return { ...watched, maker: { ...watched.maker, placeLimit: (request) => watched.maker.placeLimit({ ...request, price: BigDecimal.sum(request.price, decimal("0.00005")) }) } }
      },
      observer: monitor.observer
    }))
    const violations = monitor.violations(report)
    expect(violations[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z: maker price \d+\.\d{5} off the 0\.0001 tick$/)
    expect(violations.at(-1)).toMatch(/^the run ended failed: /)
  })
})

describe("runStress", () => {
  it("runs the config as given, then the drawn perturbations; shrinks the first failure to the gentlest", async () => {
    // no retries: a single refused hedge leaves the leg unhedged and stops the loop
    const { config } = exampleWith({ hedge_retry_attempts: 0 })
    const seen: Array<boolean> = []
    const result = await Effect.runPromise(runStress({ dbPath: SAMPLE, config, runs: 4, seed: 3, onRun: (_run, shrinking) => void seen.push(shrinking) }))
    expect(result.runs.map((r) => r.perturbation)).toEqual([noPerturbation(config), ...fc.sample(perturbations, { numRuns: 3, seed: 3 })])
    // the config as given: no rejects, every invariant held
    expect(result.runs[0]!.violations).toEqual([])
    expect(seen.slice(0, 4)).toEqual([false, false, false, false])
    // the sample's seed 3 draws at least one perturbation with rejects: about 160 hedges, none retried
    expect(result.runs.some((r) => r.perturbation.hedgeRejectProbability > 0)).toBe(true)
    expect(result.failure).toBeDefined()
    const gentlest = result.failure!.run
    // shrunk from the first run that broke one
    expect(result.failure!.from).toBe(result.runs.findIndex((r) => r.violations.length > 0))
    expect(result.runs[result.failure!.from]!.perturbation.hedgeRejectProbability).toBeGreaterThan(0)
    expect(gentlest.perturbation).toMatchObject({ extraJitterMs: 0, extraFeedLatencyMs: 0, hedgeRejectProbability: 0.05, extraSlippageBps: 0, impactMultiplier: 1, pessimisticQueue: false })
    expect(gentlest.violations[0]).toMatch(/^the run ended failed: hedge failed with -?[\d.]+ unhedged/)
    expect(seen.slice(4).every(Boolean)).toBe(true)
  })
})

describe("npm run stress", () => {
  const run = (args: ReadonlyArray<string>) => runCommand("src/cli/stress.ts", args)

  it("prints a line per run and the spread; an invariant that breaks is shown at its gentlest, exit 1", async () => {
    const dir = tempDir()
    const json = path.join(dir, "stress.json")
    const ok = await run(["--runs", "2", "--seed", "5", "--json", json])
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toMatch(/^0 +\+0 +\+0 +0 +\+0 +×1 +own +data-ended +6340\.001 +-2\.4664936 +0\.259359 +95\.8 +ok$/m)
    expect(ok.stdout).toMatch(/^ {2}volume +[\d.]+ \/ [\d.]+ \/ [\d.]+$/m)
    const written = JSON.parse(fs.readFileSync(json, "utf8")) as { runs: Array<{ report: { totals: { volume: string } } }> }
    expect(written.runs).toHaveLength(2)
    expect(written.runs[0]!.report.totals.volume).toBe("6340.001")

    const fragile = path.join(dir, "fragile.yaml")
    fs.writeFileSync(fragile, exampleWith({ hedge_retry_attempts: 0 }).text)
    const broken = await run(["--runs", "4", "--seed", "3", "--config", fragile])
    expect(broken.code).toBe(1)
    expect(broken.stdout).toMatch(/the gentlest perturbation found that breaks an invariant \(from run [1-3], after \d+ shrinking step\(s\)\): seed \d+, jitter \+0 ms, feed \+0 ms, hedge rejects 0\.05, slippage \+0 bps, impact ×1, the config's queue/)
    expect(broken.stderr).toMatch(/^error: an invariant broke under stress: the run ended failed: hedge failed/m)

    const bad = await run(["--runs", "0"])
    // a bad command line (2), not an invariant that broke (1)
    expect([bad.code, bad.stderr]).toEqual([2, "error: --runs: expected at least 1\n"])
  })
})
