/**
 * Property tests of the whole loop on the simulated exchange: random markets (price paths, thin
 * books, trades too small to fill at once, prices that run away), random latency spikes, hedge
 * rejects and slippage on every hedge. After every run the invariants a hedger relies on must hold.
 */
import { Effect } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { type ExchangeError, VenueUnavailable } from "../src/core/errors"
import type { Exchange } from "../src/core/exchange"
import { runBacktest } from "../src/sim/backtest"
import { invariantMonitor } from "../src/sim/invariants"
import { seededRng } from "../src/sim/models/rng"
import { testConfig } from "./support/config"
import { pnlFromListedCashFlows } from "./support/reconcile"
import { type ScriptedTick, writeScript } from "./support/scripted-market"

interface Scenario {
  readonly seed: number
  readonly seconds: number
  readonly volatilityTicks: number
  readonly tradesPerSecond: number
  readonly maxTradeQty: number
  readonly topQty: number
  readonly basisTicks: number
  readonly quantity: string
  readonly offsetPercent: number
  readonly firstWait: number
  readonly jitterMs: number
  readonly rejectProbability: number
  /** every market order this many bps worse than the book */
  readonly slippageBps: number
  readonly queueModel: "conservative" | "probabilistic"
  readonly asterStep: "0.01" | "0.1" | "1"
  readonly asterMinQty: string
  readonly asterMinNotional: string
  readonly fundingEverySeconds: number
  readonly stopBeforeMinutes: number
  /** replies lost after the venue acted (timeouts, 5xx): the outcome is unknown to the strategy */
  readonly lostReplyProbability: number
  /** requests lost before reaching the venue */
  readonly lostRequestProbability: number
}

const scenarioFields = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 30 }),
  seconds: fc.integer({ min: 240, max: 1200 }),
  volatilityTicks: fc.integer({ min: 0, max: 6 }),
  tradesPerSecond: fc.integer({ min: 0, max: 4 }),
  maxTradeQty: fc.integer({ min: 1, max: 40 }),
  topQty: fc.integer({ min: 1, max: 300 }),
  basisTicks: fc.integer({ min: -5, max: 5 }),
  quantity: fc.integer({ min: 300, max: 3000 }).map((cents) => (cents / 100).toFixed(2)),
  offsetPercent: fc.constantFrom(0, 0.01, 0.05, 0.1, 0.3),
  firstWait: fc.integer({ min: 1, max: 20 }),
  jitterMs: fc.constantFrom(0, 50, 400, 2000),
  rejectProbability: fc.constantFrom(0, 0.1, 0.4),
  slippageBps: fc.constantFrom(0, 0, 2, 25),
  queueModel: fc.constantFrom("conservative" as const, "probabilistic" as const),
  asterStep: fc.constantFrom("0.01" as const, "0.1" as const, "1" as const),
  asterMinQty: fc.constantFrom("0.01", "1", "2"),
  asterMinNotional: fc.constantFrom("0", "5"),
  fundingEverySeconds: fc.constantFrom(0, 120, 600),
  stopBeforeMinutes: fc.constantFrom(0, 1, 3),
  lostReplyProbability: fc.constantFrom(0, 0, 0.1, 0.3),
  lostRequestProbability: fc.constantFrom(0, 0, 0.1)
})

/** The configured quantity must be tradable on both venues: a multiple of the hedge step. */
const scenario: fc.Arbitrary<Scenario> = scenarioFields.map((s) => {
  const step = Number(s.asterStep) * 100
  const cents = Math.max(step, Math.round(Number(s.quantity) * 100 / step) * step)
  return { ...s, quantity: (Math.max(cents, 300 + ((step - (300 % step)) % step)) / 100).toFixed(2) }
})

const price = (ticks: number) => (ticks / 10_000).toFixed(4)

/** A random market on both venues, one quote per venue per second plus trades on Backpack. */
const marketTicks = (s: Scenario): Array<ScriptedTick> => {
  const rng = seededRng(s.seed)
  const ticks: Array<ScriptedTick> = []
  let mid = 20_000
  for (let sec = 0; sec < s.seconds; sec++) {
    mid = Math.max(1000, mid + Math.round((rng.next() * 2 - 1) * s.volatilityTicks))
    const spread = 1 + Math.floor(rng.next() * 3)
    const bid = mid - spread
    const ask = mid + spread
    const size = String(1 + Math.floor(rng.next() * s.topQty))
    ticks.push({ t: sec * 1000, venue: "bp", quote: [price(bid), size, price(ask), size] })
    ticks.push({ t: sec * 1000 + 1, venue: "as", quote: [price(bid + s.basisTicks), size, price(ask + s.basisTicks), size] })
    for (let k = 0; k < s.tradesPerSecond; k++) {
      const buy = rng.next() < 0.5
      // trades sometimes print a few ticks through the touch (sweeps)
      const sweep = Math.floor(rng.next() * rng.next() * 8)
      const at = buy ? ask + sweep : bid - sweep
      const qty = (1 + Math.floor(rng.next() * s.maxTradeQty * 100)) / 100
      ticks.push({ t: sec * 1000 + 100 + k * 200, venue: "bp", trade: [price(at), qty.toFixed(2), buy ? "buy" : "sell"] })
    }
  }
  return ticks
}

const fundingTimes = (s: Scenario) =>
  s.fundingEverySeconds === 0 ? [] : Array.from({ length: Math.floor(s.seconds / s.fundingEverySeconds) }, (_, i) => (i + 1) * s.fundingEverySeconds * 1000)

const runScenario = async (s: Scenario) => {
  const funding = fundingTimes(s)
  const file = writeScript(marketTicks(s), {
    asterStep: s.asterStep,
    asterMinQty: s.asterMinQty,
    asterMinNotional: s.asterMinNotional,
    funding: funding.flatMap((t, i) => [
      { t, venue: "bp" as const, rate: i % 2 === 0 ? "0.0001" : "-0.00005", mark: "2" },
      { t, venue: "as" as const, rate: "0.0002", mark: "2" }
    ])
  })
  const config = testConfig({
    trade: {
      quantity: s.quantity,
      offset_percent: s.offsetPercent,
      first_wait_seconds: s.firstWait,
      between_legs_sleep: 5,
      cycle_sleep: 10,
      stop_before_funding_minutes: s.stopBeforeMinutes,
      hedge_retry_attempts: 30,
      hedge_retry_backoff_ms: 50
    },
    sim: {
      seed: s.seed,
      queue_model: s.queueModel,
      assumed_top_qty: "50",
      market_slippage_bps: s.slippageBps,
      backpack: { latency_jitter_ms: s.jitterMs },
      aster: { latency_jitter_ms: s.jitterMs, market_reject_probability: s.rejectProbability }
    }
  })
  const monitor = invariantMonitor(config)
  const report = await Effect.runPromise(
    runBacktest({
      dbPath: file,
      config,
      // PROPERTY_LOG=1 prints the strategy's log lines (with PROPERTY_SEED / PROPERTY_PATH to replay one case)
      ...(process.env.PROPERTY_LOG ? { log: (line: string) => console.log(line) } : {}),
      // the invariant monitor outermost: it sees what the strategy sends, before the faults
      decorate: (kernel, venues) => monitor.decorate(kernel, unreliableVenues(s, venues)),
      observer: monitor.observer
    })
  )
  return { report, violations: monitor.violations(report) }
}

/** the lost messages the runs met so far (the coverage below asks that some did) */
const lostMessages = { requests: 0, replies: 0 }

/** Requests that never arrive, and requests that act while their reply is lost. */
const unreliableVenues = (s: Scenario, venues: { readonly maker: Exchange; readonly hedge: Exchange }) => {
  const faults = seededRng(s.seed ^ 0x5bd1e995)
  const unavailable = (venue: "backpack" | "aster-futures") => new VenueUnavailable({ venue, reason: "simulated lost message" })
  const unreliable = <A>(venue: "backpack" | "aster-futures", call: Effect.Effect<A, ExchangeError>): Effect.Effect<A, ExchangeError> =>
    Effect.suspend(() => {
      if (faults.next() < s.lostRequestProbability) {
        lostMessages.requests += 1
        return Effect.fail(unavailable(venue))
      }
      const lost = faults.next() < s.lostReplyProbability
      if (lost) lostMessages.replies += 1
      return lost ? Effect.flatMap(call, () => Effect.fail(unavailable(venue))) : call
    })
  return {
    maker: { ...venues.maker, placeLimit: (request) => unreliable("backpack", venues.maker.placeLimit(request)), cancel: (orderId) => unreliable("backpack", venues.maker.cancel(orderId)) } satisfies Exchange,
    hedge: { ...venues.hedge, placeMarket: (request) => unreliable("aster-futures", venues.hedge.placeMarket(request)) } satisfies Exchange
  }
}

describe("hedge loop on random simulated markets", () => {
  it("keeps every invariant", async () => {
    const seen = { runs: 0, withLegs: 0, withReposts: 0, withSplitHedges: 0, withFunding: 0, withFundingPause: 0, dataEndedMidLeg: 0, stoppedByKillSwitch: 0, withLostRequests: 0, withLostReplies: 0, windowAsLongAsInterval: 0 }
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const lostBefore = { ...lostMessages }
        const { report, violations } = await runScenario(s)
        seen.runs += 1
        // a funding window as long as the time between funding times: the run ends saying so once
        // it has waited out three windows in a row, before any cycle (else the funding times the
        // file holds run out first, and the invariants below judge the run as any)
        if (s.fundingEverySeconds > 0 && s.stopBeforeMinutes * 60 >= s.fundingEverySeconds && report.run.outcome === "failed") {
          seen.windowAsLongAsInterval += 1
          expect(report.run.message).toMatch(/^trade\.stop_before_funding_minutes \d+ is as long as the time between funding times .*: no cycle can ever start/)
          expect([report.cycles.count, report.fills.length]).toEqual([0, 0])
          return
        }
        if (lostMessages.requests > lostBefore.requests) seen.withLostRequests += 1
        if (lostMessages.replies > lostBefore.replies) seen.withLostReplies += 1
        if (report.cycles.completedLegs > 0) seen.withLegs += 1
        if (report.cycles.reposts > 0) seen.withReposts += 1
        if (report.cycles.hedgeOrders > report.cycles.completedLegs) seen.withSplitHedges += 1
        if (report.funding.length > 0) seen.withFunding += 1
        if (report.cycles.fundingPauses > 0) seen.withFundingPause += 1
        // the recording ended with the pair held (a leg filled, its mirror not yet): the end's wind-down leaves it hedged
        if (Object.values(report.venues).some((venue) => venue.position !== "0")) seen.dataEndedMidLeg += 1
        if (report.run.outcome === "kill-switch") seen.stoppedByKillSwitch += 1
        // every order within the venue's filters, one working maker order, within one step after
        // every leg, no cycle inside the funding guard, a clean end (the kill switch's stop is
        // one: hedge rejects and lost replies trip it), nothing hedgeable left over
        expect(violations).toEqual([])
        // report PnL = cash flows of fills − fees + funding + open positions at the mark
        expect(pnlFromListedCashFlows(report)).toBe(report.totals.pnl)
        expect(report.fills.filter((f) => f.venue === "aster-futures").every((f) => f.liquidity === "taker")).toBe(true)
      }),
      {
        numRuns: Number(process.env.PROPERTY_RUNS ?? 60),
        seed: Number(process.env.PROPERTY_SEED ?? 20250924),
        ...(process.env.PROPERTY_PATH ? { path: process.env.PROPERTY_PATH, endOnFailure: true } : {})
      }
    )
    // the generated markets must actually exercise the loop, or the invariants above say nothing
    console.log("property coverage", seen)
    expect(seen.withLegs / seen.runs).toBeGreaterThan(0.3)
    expect(seen.withReposts).toBeGreaterThan(0)
    expect(seen.withSplitHedges).toBeGreaterThan(0)
    expect(seen.withFunding).toBeGreaterThan(0)
    expect(seen.withFundingPause).toBeGreaterThan(0)
    // the kill switch's wind-down is held to the same invariants
    expect(seen.stoppedByKillSwitch).toBeGreaterThan(0)
    // requests lost on their way and replies lost after the venue acted, and recordings that end mid-leg
    expect(seen.withLostRequests).toBeGreaterThan(0)
    expect(seen.withLostReplies).toBeGreaterThan(0)
    expect(seen.dataEndedMidLeg).toBeGreaterThan(0)
  })
})
