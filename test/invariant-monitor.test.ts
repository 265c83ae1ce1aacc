/**
 * The invariant monitor (src/sim/invariants.ts) judges the hedge-loop property test and `npm run
 * stress`: a check that cannot fire would pass every run it judges. Each check is shown able to
 * fail here: a broken layer between the strategy and the monitored venues (through `runBacktest`'s
 * `decorate`, on top of the monitor's own) breaks the loop in exactly the way the check names, and
 * the monitor must name it. The tick and outcome checks are shown in test/stress.test.ts; a clean
 * run of the same markets finds nothing.
 */
import { BigDecimal, Effect, Option } from "effect"
import { describe, expect, it } from "vitest"
import type { HedgeConfig } from "../src/core/config/config"
import { decimal } from "../src/core/domain/decimal"
import type { Exchange } from "../src/core/exchange"
import type { RunReport } from "../src/core/report/report"
import { runBacktest } from "../src/sim/backtest"
import { invariantMonitor } from "../src/sim/invariants"
import { testConfig } from "./support/config"
import { type ScriptedTick, type ScriptOptions, writeScript } from "./support/scripted-market"

type Venues = { readonly maker: Exchange; readonly hedge: Exchange }

/** Both venues quoted each second around 2; a Backpack trade through any resting order, alternately bought and sold. */
const market = (seconds: number): Array<ScriptedTick> =>
  Array.from({ length: seconds }, (_, s) => [
    { t: s * 1000, venue: "bp" as const, quote: ["1.9990", "5", "2.0010", "5"] as const },
    { t: s * 1000, venue: "as" as const, quote: ["1.9995", "500", "2.0005", "500"] as const },
    { t: s * 1000 + 100, venue: "bp" as const, trade: [s % 2 ? "2.0300" : "1.9700", "1000", s % 2 ? "buy" : "sell"] as const }
  ]).flat()

const trade = { quantity: "10", offset_percent: 0, first_wait_seconds: 5, between_legs_sleep: 1, cycle_sleep: 1, stop_before_funding_minutes: 0, max_cycles: 3 }

/** A backtest judged by the monitor, its venues decorated by the monitor, then by `broken` on top (what the strategy talks to). */
const judged = async (
  config: HedgeConfig,
  ticks: ReadonlyArray<ScriptedTick>,
  options: ScriptOptions = {},
  broken: (venues: Venues) => Venues = (venues) => venues
): Promise<{ readonly report: RunReport; readonly violations: ReadonlyArray<string> }> => {
  const monitor = invariantMonitor(config)
  const report = await Effect.runPromise(runBacktest({
    dbPath: writeScript(ticks, options),
    config,
    decorate: (kernel, venues) => broken(monitor.decorate(kernel, venues)),
    observer: monitor.observer
  }))
  return { report, violations: monitor.violations(report) }
}

const TWO = decimal("2")
const half = (qty: BigDecimal.BigDecimal) => BigDecimal.unsafeDivide(qty, TWO)

/** A hedge layer that executes half of each market order and reports the whole quantity executed. */
const hedgesHalfReportsAll = (venues: Venues): Venues => ({
  ...venues,
  hedge: {
    ...venues.hedge,
    placeMarket: (request) =>
      Effect.map(venues.hedge.placeMarket({ ...request, qty: half(request.qty) }), (order) => ({ ...order, qty: request.qty, filledQty: request.qty }))
  }
})

/** A hedge layer that slices each market order in two halves, sent one after the other. */
const hedgesInHalves = (venues: Venues): Venues => ({
  ...venues,
  hedge: {
    ...venues.hedge,
    placeMarket: (request) =>
      Effect.gen(function*() {
        const first = yield* venues.hedge.placeMarket({ ...request, qty: half(request.qty), clientId: `${request.clientId}-a` })
        const second = yield* venues.hedge.placeMarket({ ...request, qty: half(request.qty), clientId: `${request.clientId}-b` })
        return { ...second, qty: request.qty, filledQty: BigDecimal.sum(first.filledQty, second.filledQty), filledQuote: BigDecimal.sum(first.filledQuote, second.filledQuote) }
      })
  }
})

/** what each violation says, without its time, each once in order */
const kinds = (violations: ReadonlyArray<string>) => [...new Set(violations.map((v) => v.replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z: /, "")))]

/** Funding on Aster 200 s into the data, with a guard of 5 minutes: the first cycle may not start before it has passed. */
const fundingSoon: ScriptOptions = { funding: [{ t: 200_000, venue: "as", rate: "0.0001", mark: "2" }] }
const guarded = testConfig({ trade: { ...trade, stop_before_funding_minutes: 5 } })

describe("each check of the invariant monitor can fail", () => {
  it("a run nothing broke: no violation (the funding guard holding the first cycle back until the funding time passed)", async () => {
    const { report, violations } = await judged(guarded, market(300), fundingSoon)
    expect(violations).toEqual([])
    expect([report.run.outcome, report.cycles.fundingPauses, report.cycles.completedLegs, report.exposure.finalNetPosition]).toEqual(["completed", 1, 6, "0"])
    expect(report.run.to > "2025-09-24T01:03:20.000Z").toBe(true)
  })

  it("the net position across venues after a leg: a hedge layer executes half of each hedge and reports it all executed", async () => {
    const { report, violations } = await judged(testConfig({ trade }), market(300), {}, hedgesHalfReportsAll)
    // each leg 1 sells 10 and buys 5 back on Aster; each leg 2 buys 10 and sells 5: flat again after it, and at the end
    expect(violations).toEqual([
      "2025-09-24T01:00:01.125Z: net position -5 across venues after a leg (more than one step, 0.01)",
      "2025-09-24T01:00:07.125Z: net position -5 across venues after a leg (more than one step, 0.01)",
      "2025-09-24T01:00:13.125Z: net position -5 across venues after a leg (more than one step, 0.01)"
    ])
    expect([report.run.outcome, report.cycles.completedLegs, report.exposure.finalNetPosition]).toEqual(["completed", 6, "0"])
  })

  it("a cycle started inside the funding guard: the hedge venue says no funding time is coming while the data has one", async () => {
    const { report, violations } = await judged(guarded, market(300), fundingSoon, (venues) => ({
      ...venues,
      hedge: { ...venues.hedge, nextFundingTime: Effect.succeed(Option.none()) }
    }))
    expect(violations).toEqual([
      "2025-09-24T01:00:01.000Z: a cycle started 199 s before the 2025-09-24T01:03:20.000Z funding time",
      "2025-09-24T01:00:05.125Z: a cycle started 195 s before the 2025-09-24T01:03:20.000Z funding time",
      "2025-09-24T01:00:11.125Z: a cycle started 189 s before the 2025-09-24T01:03:20.000Z funding time"
    ])
    expect([report.run.outcome, report.cycles.fundingPauses]).toEqual(["completed", 0])
  })

  it("a second maker order while one was working: a maker layer sends a copy of each order (and cancels the copy before it can fill)", async () => {
    const { report, violations } = await judged(testConfig({ trade }), market(300), {}, (venues) => ({
      ...venues,
      maker: {
        ...venues.maker,
        placeLimit: (request) =>
          Effect.tap(venues.maker.placeLimit(request), () =>
            venues.maker.placeLimit({ ...request, clientId: `${request.clientId}-copy` }).pipe(Effect.flatMap((copy) => venues.maker.cancel(copy.id)), Effect.ignore))
      }
    }))
    expect(kinds(violations)).toEqual(["a second maker order while one was working"])
    // one per maker order the strategy sent
    expect(violations).toHaveLength(6)
    expect(violations[0]).toBe("2025-09-24T01:00:01.020Z: a second maker order while one was working")
    expect([report.run.outcome, report.cycles.makerOrders, report.exposure.finalNetPosition]).toEqual(["completed", 6, "0"])
  })

  it("a hedge off the hedge venue's step: a hedge layer adds half a step to each", async () => {
    const { report, violations } = await judged(testConfig({ trade }), market(300), {}, (venues) => ({
      ...venues,
      hedge: { ...venues.hedge, placeMarket: (request) => venues.hedge.placeMarket({ ...request, qty: BigDecimal.sum(request.qty, decimal("0.005")) }) }
    }))
    expect(violations[0]).toBe("2025-09-24T01:00:01.105Z: hedge quantity 10.005 breaks step 0.01 / min 0.01")
    // the venue refused every one: the leg's 10 stayed unhedged until the kill switch stopped the run
    expect(kinds(violations)).toEqual(["hedge quantity 10.005 breaks step 0.01 / min 0.01", "10 left unhedged at the end (the hedge venue takes 0.01 and more)"])
    expect(report.run.outcome).toBe("kill-switch")
  })

  it("a hedge below the hedge venue's minimum quantity: a hedge layer slices each hedge in halves", async () => {
    const { violations } = await judged(testConfig({ trade }), market(300), { asterMinQty: "6" }, hedgesInHalves)
    expect(violations[0]).toBe("2025-09-24T01:00:01.105Z: hedge quantity 5 breaks step 0.01 / min 6")
    expect(kinds(violations)).toEqual(["hedge quantity 5 breaks step 0.01 / min 6", "10 left unhedged at the end (the hedge venue takes 6 and more)"])
  })

  it("a hedge below the hedge venue's minimum notional: a hedge layer slices each hedge in halves", async () => {
    const { violations } = await judged(testConfig({ trade }), market(300), { asterMinNotional: "12" }, hedgesInHalves)
    // 5 at the ask of 2.0005 is 10.0025
    expect(violations[0]).toBe("2025-09-24T01:00:01.105Z: hedge 5 at 2.0005 is below the 12 minimum notional")
    expect(kinds(violations)).toEqual(["hedge 5 at 2.0005 is below the 12 minimum notional", "10 left unhedged at the end (the hedge venue takes 6.01 and more)"])
  })

  it("something hedgeable left unhedged at the end: a hedge layer executes half and reports it all, and the data ends mid-leg", async () => {
    // the first sell rests at 2.0000 (the mid: no trade yet), ahead of the 2.0010 ask; a trade at its price fills 4 of 10, hedged
    // as 2 (reported 4); the data ends 2 s later with the order still resting: no leg completed, so only the end can tell
    const ticks: Array<ScriptedTick> = [0, 1000, 2000, 3000].flatMap((t) => [
      { t, venue: "bp" as const, quote: ["1.9990", "5", "2.0010", "5"] as const },
      { t, venue: "as" as const, quote: ["1.9995", "500", "2.0005", "500"] as const }
    ])
    ticks.push({ t: 1100, venue: "bp", trade: ["2.0000", "4", "buy"] })
    const { report, violations } = await judged(testConfig({ trade }), ticks, {}, hedgesHalfReportsAll)
    expect(violations).toEqual(["2 left unhedged at the end (the hedge venue takes 0.01 and more)"])
    expect([report.run.outcome, report.cycles.completedLegs, report.exposure.finalNetPosition]).toEqual(["data-ended", 0, "-2"])
  })

  it("a run whose strategy the monitor never observed: its decorate given to the backtest, its observer not", async () => {
    const config = testConfig({ trade })
    const monitor = invariantMonitor(config)
    const report = await Effect.runPromise(runBacktest({ dbPath: writeScript(market(300)), config, decorate: monitor.decorate }))
    expect(report.fills.length).toBeGreaterThan(0)
    expect(monitor.violations(report)).toEqual(["the invariant monitor never observed the run's strategy: its checks after each leg and at each cycle's start did not run"])
  })

  it("a run that traded on venues the monitor never saw: its observer given to the backtest, its decorate not", async () => {
    const config = testConfig({ trade })
    const monitor = invariantMonitor(config)
    const report = await Effect.runPromise(runBacktest({ dbPath: writeScript(market(300)), config, observer: monitor.observer }))
    expect(report.fills.length).toBeGreaterThan(0)
    expect(monitor.violations(report)).toEqual(["the invariant monitor never saw the run's venues: its checks after each leg did not run"])
  })
})

/** one cycle of the monitor's market */
const oneCycle = testConfig({ trade: { ...trade, max_cycles: 1 } })

describe("the invariant monitor's end check", () => {
  // Was: "what is left at the end is only what the hedge venue cannot take" exempted a final net
  // equal to one step even when the hedge venue takes exactly that much: a run ending 0.01 ASTER
  // unhedged on a venue whose smallest order is 0.01 (or 1 ASTER with step 1) was judged clean.
  it("flags a hedgeable one-step residual left at the end (the hedge venue takes 0.01)", async () => {
    // each hedge buy executes `short` less than asked and reports it all executed
    const underHedgesBuys = (short: BigDecimal.BigDecimal) => (venues: Venues): Venues => ({
      ...venues,
      hedge: {
        ...venues.hedge,
        placeMarket: (request) =>
          request.side !== "buy"
            ? venues.hedge.placeMarket(request)
            : Effect.map(
              venues.hedge.placeMarket({ ...request, qty: BigDecimal.subtract(request.qty, short) }),
              (order) => ({ ...order, qty: request.qty, filledQty: request.qty })
            )
      }
    })
    const { report, violations } = await judged(oneCycle, market(300), {}, underHedgesBuys(decimal("0.01")))
    // the venues' books: short 0.01 across venues at the end, and the hedge venue takes 0.01
    expect([report.run.outcome, report.cycles.completedLegs, report.exposure.finalNetPosition]).toEqual(["completed", 2, "-0.01"])
    // the same with a hedge step of 1: a whole ASTER (about 2 USDT) the hedge venue takes is left unhedged
    const coarse = await judged(oneCycle, market(300), { asterStep: "1", asterMinQty: "1" }, underHedgesBuys(decimal("1")))
    expect([coarse.report.run.outcome, coarse.report.exposure.finalNetPosition]).toEqual(["completed", "-1"])
    expect({ fine: violations, coarse: coarse.violations }).toEqual({
      fine: ["0.01 left unhedged at the end (the hedge venue takes 0.01 and more)"],
      coarse: ["1 left unhedged at the end (the hedge venue takes 1 and more)"]
    })
  })
})

describe("the invariant monitor's filter checks", () => {
  // Was: "no order breaks a filter" checked a maker order's tick, step and minimum quantity but not
  // the maker venue's minimum notional, which the simulated venue enforces: a tick file whose maker
  // instrument has one (an import with a proxy) let orders that break it pass unreported.
  it("names a maker order below the maker venue's minimum notional", async () => {
    // a maker layer that first sends a 0.01 copy of each order (0.02 USDC, below the 5 minimum), and
    // ignores its refusal: the venue refuses it, the strategy never hears of it
    const refusals: Array<string> = []
    const tinyCopyFirst = (venues: Venues): Venues => ({
      ...venues,
      maker: {
        ...venues.maker,
        placeLimit: (request) =>
          Effect.zipRight(
            venues.maker.placeLimit({ ...request, qty: decimal("0.01"), clientId: `${request.clientId}-tiny` }).pipe(
              Effect.catchAll((error) => Effect.sync(() => void refusals.push(error.message)))
            ),
            venues.maker.placeLimit(request)
          )
      }
    })
    const { report, violations } = await judged(oneCycle, market(300), { makerMinNotional: "5" }, tinyCopyFirst)
    expect(report.run.outcome).toBe("completed")
    // the venue refused each copy for the filter it broke
    expect(refusals.length).toBe(report.cycles.makerOrders)
    expect(refusals.every((r) => /minimum notional/.test(r))).toBe(true)
    expect(violations.some((v) => /maker .*0\.01.*minimum notional|minimum notional.*maker/.test(v))).toBe(true)
  })
})
