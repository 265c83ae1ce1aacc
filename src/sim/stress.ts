/**
 * `npm run stress`: property-tests a config on a tick file. fast-check draws perturbations of the
 * backtest's realism — latency spikes, slower feeds, hedge rejects, slippage on every market order,
 * deeper market impact, a pessimistic queue — on top of the config's own `sim` settings; every run is judged by the
 * invariant monitor (src/sim/invariants.ts). A run that breaks one is shrunk to the gentlest
 * perturbation that still breaks it. The first run is the config as given, for comparison.
 */
import { BigDecimal, Effect } from "effect"
import * as fc from "fast-check"
import type { HedgeConfig, SimVenueParams } from "../core/config/config"
import { decimal, formatDecimal } from "../core/domain/decimal"
import type { RunReport } from "../core/report/report"
import { type BacktestError, runBacktest } from "./backtest"
import { invariantMonitor } from "./invariants"

export interface Perturbation {
  readonly seed: number
  /** added to both venues' latency jitter (ms): requests, cancels and replies late at random */
  readonly extraJitterMs: number
  /** added to both venues' feed latency (ms): the strategy prices from older quotes */
  readonly extraFeedLatencyMs: number
  /** the hedge venue refuses this share of market orders (at least the config's own) */
  readonly hedgeRejectProbability: number
  /** added to the config's slippage (bps): every market order fills that much worse than the book */
  readonly extraSlippageBps: number
  /** market impact beyond the top level, times the config's */
  readonly impactMultiplier: number
  /** the conservative queue model whatever the config says: fewer maker fills */
  readonly pessimisticQueue: boolean
}

/**
 * One of `values`, shrinking toward the first (the config's own realism) through the ones between:
 * the index is what shrinks, so a failing run found earlier (given as an example) shrinks too.
 */
const level = <A>(values: readonly [A, ...Array<A>]): fc.Arbitrary<A> =>
  fc.integer({ min: 0, max: values.length - 1 }).map((i) => values[i]!, (value) => {
    const i = values.indexOf(value as A)
    if (i < 0) throw new Error("not one of the levels")
    return i
  })

export const perturbations: fc.Arbitrary<Perturbation> = fc.record({
  // another seed is another market path, not a gentler one: never shrunk
  seed: fc.noShrink(fc.integer({ min: 1, max: 2 ** 31 - 1 })),
  extraJitterMs: level([0, 50, 250, 1000, 3000]),
  extraFeedLatencyMs: level([0, 100, 500, 2000]),
  hedgeRejectProbability: level([0, 0.05, 0.2, 0.5]),
  extraSlippageBps: level([0, 1, 5, 20]),
  impactMultiplier: level([1, 2, 5, 10]),
  pessimisticQueue: fc.boolean()
})

/** The config as given. */
export const noPerturbation = (config: HedgeConfig): Perturbation => ({
  seed: config.sim.seed,
  extraJitterMs: 0,
  extraFeedLatencyMs: 0,
  hedgeRejectProbability: 0,
  extraSlippageBps: 0,
  impactMultiplier: 1,
  pessimisticQueue: false
})

export const perturbed = (config: HedgeConfig, p: Perturbation): HedgeConfig => {
  const venue = (v: SimVenueParams, rejects: number): SimVenueParams => ({
    ...v,
    latencyJitterMs: v.latencyJitterMs + p.extraJitterMs,
    feedLatencyMs: v.feedLatencyMs + p.extraFeedLatencyMs,
    marketRejectProbability: Math.max(v.marketRejectProbability, rejects)
  })
  return {
    ...config,
    sim: {
      ...config.sim,
      seed: p.seed,
      queueModel: p.pessimisticQueue ? "conservative" : config.sim.queueModel,
      marketSlippageBps: BigDecimal.sum(config.sim.marketSlippageBps, decimal(String(p.extraSlippageBps))),
      marketImpactBps: BigDecimal.multiply(config.sim.marketImpactBps, decimal(String(p.impactMultiplier))),
      maker: venue(config.sim.maker, 0),
      hedge: venue(config.sim.hedge, p.hedgeRejectProbability)
    }
  }
}

export const describePerturbation = (p: Perturbation): string =>
  [
    `seed ${p.seed}`,
    `jitter +${p.extraJitterMs} ms`,
    `feed +${p.extraFeedLatencyMs} ms`,
    `hedge rejects ${p.hedgeRejectProbability}`,
    `slippage +${p.extraSlippageBps} bps`,
    `impact ×${p.impactMultiplier}`,
    p.pessimisticQueue ? "conservative queue" : "the config's queue"
  ].join(", ")

export interface StressRun {
  readonly perturbation: Perturbation
  readonly report: RunReport
  /** broken invariants, empty when every one held */
  readonly violations: ReadonlyArray<string>
}

/** One backtest with the perturbation applied, watched by the invariant monitor. */
export const stressRun = (dbPath: string, config: HedgeConfig, p: Perturbation, cooperative = false): Effect.Effect<StressRun, BacktestError> =>
  Effect.gen(function*() {
    const applied = perturbed(config, p)
    const monitor = invariantMonitor(applied)
    const report = yield* runBacktest({ dbPath, config: applied, decorate: monitor.decorate, observer: monitor.observer, cooperative })
    return { perturbation: p, report, violations: monitor.violations(report) }
  })

export interface StressOptions {
  readonly dbPath: string
  readonly config: HedgeConfig
  /** how many runs, the config as given first */
  readonly runs: number
  /** fast-check's seed: the same seed draws the same perturbations */
  readonly seed: number
  /** told of each run as it ends (`shrinking`: a run of the search for the gentlest failure) */
  readonly onRun?: (run: StressRun, shrinking: boolean) => void
  /** the runs yield now and then, so that an interruption (Ctrl+C) is heard during one (a command's) */
  readonly cooperative?: boolean
}

export interface StressResult {
  readonly runs: ReadonlyArray<StressRun>
  /** the gentlest failing run that shrinking found from the first failing one (`from`, its index in `runs`), and its steps */
  readonly failure?: { readonly run: StressRun; readonly from: number; readonly shrinks: number }
}

/**
 * Every run first (the config as given, then `runs − 1` drawn perturbations), so the spread covers
 * them all; then, if one broke an invariant, fast-check shrinks the first that did.
 */
export const runStress = (options: StressOptions): Effect.Effect<StressResult, BacktestError> =>
  Effect.gen(function*() {
    const drawn = options.runs > 1 ? fc.sample(perturbations, { numRuns: options.runs - 1, seed: options.seed }) : []
    const runs: Array<StressRun> = []
    for (const p of [noPerturbation(options.config), ...drawn]) {
      const run = yield* stressRun(options.dbPath, options.config, p, options.cooperative)
      runs.push(run)
      options.onRun?.(run, false)
    }
    const firstFailing = runs.find((run) => run.violations.length > 0)
    if (firstFailing === undefined) return { runs }

    // deterministic for a file, config and seed: the example fails again, and is shrunk
    let gentlest = firstFailing
    let failure: BacktestError | undefined
    const property = fc.asyncProperty(perturbations, async (p) => {
      const run = await Effect.runPromise(Effect.either(stressRun(options.dbPath, options.config, p)))
      if (run._tag === "Left") {
        failure = run.left
        return true
      }
      options.onRun?.(run.right, true)
      if (run.right.violations.length === 0) return true
      gentlest = run.right
      return false
    })
    const details = yield* Effect.promise(() => fc.check(property, { numRuns: 1, seed: options.seed, examples: [[firstFailing.perturbation]] }))
    if (failure !== undefined) return yield* Effect.fail(failure)
    return { runs, failure: { run: gentlest, from: runs.indexOf(firstFailing), shrinks: details.numShrinks } }
  })

/** The smallest, middle and largest of some decimals (as the report writes them). */
export const spread = (values: ReadonlyArray<string>): { readonly min: string; readonly median: string; readonly max: string } | undefined => {
  if (values.length === 0) return undefined
  const sorted = values.map(decimal).sort(BigDecimal.Order)
  const at = (i: number) => formatDecimal(sorted[i]!)
  return { min: at(0), median: at(Math.floor((sorted.length - 1) / 2)), max: at(sorted.length - 1) }
}
