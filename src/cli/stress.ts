/**
 * `npm run stress -- [DB] [--config FILE] [--runs N] [--seed N] [--json FILE]`
 * Property-tests a config on a tick file against latency spikes, slower feeds, hedge rejects,
 * slippage and missed fills (src/sim/stress.ts): a line per run, the spread of the results, and
 * the gentlest perturbation that breaks an invariant if one does (exit 1).
 */
import { Args, Command, Options } from "@effect/cli"
import * as FileSystem from "@effect/platform/FileSystem"
import { Console, Effect, Option } from "effect"
import { parseConfigEffect } from "../core/config/config"
import { describePerturbation, runStress, spread, type StressRun } from "../sim/stress"
import { BadCommandLine, runCli } from "./run-cli"
import { checkJsonTarget, writeJsonFile } from "./json-file"

const db = Args.file({ name: "DB", exists: "yes" }).pipe(Args.withDescription("tick file (SQLite) to replay"), Args.withDefault("data/sample.db"))
const config = Options.file("config", { exists: "yes" }).pipe(
  Options.withDescription("hedge config (the original bot's YAML); its sim section is the realism each run perturbs"),
  Options.withDefault("config/hedge_futures.example.yaml")
)
const runs = Options.integer("runs").pipe(Options.withDescription("backtests to run, the config as given first (each takes as long as one backtest of DB)"), Options.withDefault(20))
const seed = Options.integer("seed").pipe(Options.withDescription("the same seed draws the same perturbations"), Options.withDefault(1))
const json = Options.file("json").pipe(Options.withDescription("write every run (perturbation, figures, broken invariants) and the failure found as JSON"), Options.optional)

const widths = [4, 7, 7, 7, 5, 7, 6, 11, 12, 12, 11, 9, 9]
const row = (cells: ReadonlyArray<string>) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" ")

const runLine = (run: StressRun, label: string) => {
  const { perturbation: p, report: r } = run
  return row([
    label,
    `+${p.extraJitterMs}`,
    `+${p.extraFeedLatencyMs}`,
    String(p.hedgeRejectProbability),
    `+${p.extraSlippageBps}`,
    `×${p.impactMultiplier}`,
    p.pessimisticQueue ? "cons" : "own",
    r.run.outcome,
    r.totals.volume,
    r.totals.pnl,
    r.points.costPer1000Points ?? "n/a",
    r.exposure.unhedgedQtySeconds,
    run.violations.length === 0 ? "ok" : `${run.violations.length} broken`
  ])
}

/** How many runs the kill switch stopped, by limit: "stopped 3 of 20 runs (max_consecutive_hedge_failures 3)". */
const killSwitchStops = (runs: ReadonlyArray<StressRun>): string | undefined => {
  const byLimit = new Map<string, number>()
  for (const run of runs) {
    if (run.report.run.outcome !== "kill-switch") continue
    const limit = /\(risk\.([a-z_]+)\)/.exec(run.report.run.message ?? "")?.[1] ?? "unknown limit"
    byLimit.set(limit, (byLimit.get(limit) ?? 0) + 1)
  }
  const stopped = [...byLimit.values()].reduce((a, b) => a + b, 0)
  if (stopped === 0) return undefined
  return `stopped ${stopped} of ${runs.length} runs (${[...byLimit].map(([limit, n]) => `${limit} ${n}`).join(", ")})`
}

const command = Command.make("stress", { db, config, runs, seed, json }, (args) =>
  Effect.gen(function*() {
    if (args.runs < 1) return yield* new BadCommandLine({ reason: "--runs: expected at least 1" })
    if (Option.isSome(args.json)) yield* checkJsonTarget(args.json.value, [args.db, args.config])
    const fs = yield* FileSystem.FileSystem
    const hedgeConfig = yield* parseConfigEffect(yield* fs.readFileString(args.config), args.config)
    for (const note of hedgeConfig.notes) yield* Effect.logWarning(note)
    yield* Console.log(`stress: ${args.runs} backtest(s) of ${args.config} on ${args.db} (seed ${args.seed}); run 0 is the config as given`)
    yield* Console.log(row(["run", "jitter", "feed", "rejects", "slip", "impact", "queue", "outcome", "volume", "pnl", "cost/1000", "unhedged", "invariants"]))
    let index = 0
    let shrinkRuns = 0
    const result = yield* runStress({
      dbPath: args.db,
      config: hedgeConfig,
      runs: args.runs,
      seed: args.seed,
      cooperative: true,
      onRun: (run, shrinking) => {
        // the search for the gentlest failure prints a line now and then: it can take a while
        if (!shrinking) console.log(runLine(run, String(index++)))
        else if (++shrinkRuns % 5 === 1) console.error(`looking for the gentlest failing perturbation: ${shrinkRuns} run(s) so far...`)
      }
    })
    const figures = (pick: (run: StressRun) => string | null) => {
      const s = spread(result.runs.map(pick).filter((v): v is string => v !== null))
      return s === undefined ? "n/a" : `${s.min} / ${s.median} / ${s.max}`
    }
    yield* Console.log("")
    yield* Console.log(`over ${result.runs.length} runs (min / median / max):`)
    yield* Console.log(`  volume               ${figures((r) => r.report.totals.volume)}`)
    yield* Console.log(`  pnl                  ${figures((r) => r.report.totals.pnl)}`)
    yield* Console.log(`  cost per 1000 points ${figures((r) => r.report.points.costPer1000Points)}`)
    yield* Console.log(`  fees                 ${figures((r) => r.report.totals.fees)}`)
    yield* Console.log(`  hedge slippage bps   ${figures((r) => r.report.cycles.hedgeSlippageBps)}`)
    yield* Console.log(`  unhedged qty×s       ${figures((r) => r.report.exposure.unhedgedQtySeconds)}`)
    yield* Console.log(`  max |net| position   ${figures((r) => r.report.exposure.maxAbsNetDelta)}`)
    const stopped = killSwitchStops(result.runs)
    if (stopped !== undefined) yield* Console.log(`  kill switch          ${stopped}`)
    if (Option.isSome(args.json)) {
      yield* writeJsonFile(args.json.value, { db: args.db, config: args.config, seed: args.seed, ...result }, [args.db, args.config])
      yield* Console.log(`written to ${args.json.value}`)
    }
    if (result.failure === undefined) {
      yield* Console.log(`invariants held in every run: every order within the venues' filters, one working maker order, within one step after each leg, no cycle inside the funding guard, a clean end (a kill switch stop is one), nothing hedgeable left over`)
      return
    }
    const { run, from, shrinks } = result.failure
    yield* Console.log("")
    yield* Console.log(`the gentlest perturbation found that breaks an invariant (from run ${from}, after ${shrinks} shrinking step(s)): ${describePerturbation(run.perturbation)}`)
    for (const violation of run.violations.slice(0, 10)) yield* Console.log(`  - ${violation}`)
    if (run.violations.length > 10) yield* Console.log(`  … and ${run.violations.length - 10} more`)
    return yield* Effect.fail(new Error(`an invariant broke under stress: ${run.violations[0]}`))
  })
).pipe(Command.withDescription("Property-test a config on a tick file: backtests under random latency spikes, slower feeds, hedge rejects, slippage and a pessimistic queue, each checked against the invariants a hedger relies on; the config's risk: limits apply as in a backtest (a kill switch stop is a clean end, counted in the summary). Exit codes: 0 every invariant held; 1 one broke (the gentlest perturbation that breaks it is printed) or a bad file or config; 2 a bad command line"))

runCli(command, "hedgeloop stress")
