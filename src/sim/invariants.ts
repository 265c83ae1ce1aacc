/**
 * The invariants a hedger relies on, watched over one backtest: every order the strategy sends
 * is checked against the venue's filters as it leaves, the net position across venues after each
 * leg, the funding guard at each cycle start, and at the end the run's outcome and what is left
 * unhedged. The property tests and `npm run stress` judge runs by the same list.
 */
import { BigDecimal, Effect } from "effect"
import type { HedgeConfig } from "../core/config/config"
import { type Decimal, decimal, formatDecimal, isMultipleOf } from "../core/domain/decimal"
import type { Exchange } from "../core/exchange"
import type { RunReport } from "../core/report/report"
import { minimumHedgeQty } from "../core/strategy/exposure"
import { silentObserver, type StrategyObserverService } from "../core/strategy/observer"
import type { SimKernel } from "./kernel"

type Venues = { readonly maker: Exchange; readonly hedge: Exchange }

export interface InvariantMonitor {
  /** wraps the simulated venues (outermost, so it sees what the strategy sends) */
  readonly decorate: (kernel: SimKernel, venues: Venues) => Venues
  readonly observer: (kernel: SimKernel) => StrategyObserverService
  /** everything broken during the run, then the end-of-run checks on its report */
  readonly violations: (report: RunReport) => ReadonlyArray<string>
}

const ms = (us: number) => Math.floor(us / 1000)

/** how a run may end: on its own, at the data's end, or stopped by the kill switch (risk.*) */
const CLEAN_ENDS: ReadonlySet<string> = new Set(["completed", "data-ended", "kill-switch"])

export const invariantMonitor = (config: HedgeConfig): InvariantMonitor => {
  const seen: Array<string> = []
  let kernelSeen: SimKernel | undefined
  const legNets: Array<{ readonly net: Decimal; readonly ts: number }> = []
  const cycleStarts: Array<number> = []

  const decorate = (kernel: SimKernel, venues: Venues): Venues => {
    kernelSeen = kernel
    const maker = kernel.slot(config.maker.venue)
    const hedge = kernel.slot(config.hedge.venue)
    const at = () => new Date(ms(kernel.now)).toISOString()
    return {
      maker: {
        ...venues.maker,
        placeLimit: (request) =>
          Effect.suspend(() => {
            const { tickSize, stepSize, minQty, minNotional } = maker.instrument
            if (maker.engine.restingCount > 0) seen.push(`${at()}: a second maker order while one was working`)
            if (!isMultipleOf(request.price, tickSize)) seen.push(`${at()}: maker price ${formatDecimal(request.price)} off the ${formatDecimal(tickSize)} tick`)
            if (!isMultipleOf(request.qty, stepSize) || BigDecimal.lessThan(request.qty, minQty)) {
              seen.push(`${at()}: maker quantity ${formatDecimal(request.qty)} breaks step ${formatDecimal(stepSize)} / min ${formatDecimal(minQty)}`)
            }
            if (!BigDecimal.isPositive(request.price) || BigDecimal.lessThan(BigDecimal.multiply(request.price, request.qty), minNotional)) {
              seen.push(`${at()}: maker ${formatDecimal(request.qty)} at ${formatDecimal(request.price)} is below the ${formatDecimal(minNotional)} minimum notional`)
            }
            return venues.maker.placeLimit(request)
          })
      },
      hedge: {
        ...venues.hedge,
        placeMarket: (request) =>
          Effect.suspend(() => {
            const { stepSize, minQty, minNotional } = hedge.instrument
            if (!isMultipleOf(request.qty, stepSize) || BigDecimal.lessThan(request.qty, minQty)) {
              seen.push(`${at()}: hedge quantity ${formatDecimal(request.qty)} breaks step ${formatDecimal(stepSize)} / min ${formatDecimal(minQty)}`)
            }
            const quote = request.side === "buy" ? hedge.engine.ask : hedge.engine.bid
            if (quote > 0 && BigDecimal.lessThan(BigDecimal.multiply(hedge.price(quote), request.qty), minNotional)) {
              seen.push(`${at()}: hedge ${formatDecimal(request.qty)} at ${formatDecimal(hedge.price(quote))} is below the ${formatDecimal(minNotional)} minimum notional`)
            }
            return venues.hedge.placeMarket(request)
          })
      }
    }
  }

  /** the run's strategy was given the monitor's observer (else the checks after each leg see no leg) */
  let observed = false
  const observer = (kernel: SimKernel): StrategyObserverService => {
    observed = true
    return observerOn(kernel)
  }
  const observerOn = (kernel: SimKernel): StrategyObserverService => ({
    ...silentObserver,
    cycleStarted: (_cycle, ts) => Effect.sync(() => void cycleStarts.push(ts)),
    legCompleted: () => Effect.sync(() => void legNets.push({ net: kernel.ledger.netPosition, ts: ms(kernel.now) }))
  })

  const violations = (report: RunReport): ReadonlyArray<string> => {
    const found = [...seen]
    // the kill switch stopping a run is the safety net working: its wind-down is judged below as any end is
    if (!CLEAN_ENDS.has(report.run.outcome)) found.push(`the run ended ${report.run.outcome}${report.run.message ? `: ${report.run.message}` : ""}`)
    const kernel = kernelSeen
    if (kernel === undefined) {
      // a run that traded without the monitor on its venues was judged by nothing below
      if (report.fills.length > 0) found.push("the invariant monitor never saw the run's venues: its checks after each leg did not run")
      return found
    }
    if (!observed && report.fills.length > 0) found.push("the invariant monitor never observed the run's strategy: its checks after each leg and at each cycle's start did not run")
    const maker = kernel.slot(config.maker.venue)
    const hedge = kernel.slot(config.hedge.venue)
    // after every leg the net position across venues is within one step
    const oneStep = BigDecimal.max(maker.instrument.stepSize, hedge.instrument.stepSize)
    for (const { net, ts } of legNets) {
      if (BigDecimal.greaterThan(BigDecimal.abs(net), oneStep)) found.push(`${new Date(ts).toISOString()}: net position ${formatDecimal(net)} across venues after a leg (more than one step, ${formatDecimal(oneStep)})`)
    }
    // no cycle starts inside the funding guard
    const fundingMs = [...maker.fundingTimes, ...hedge.fundingTimes].map(ms).sort((a, b) => a - b)
    for (const ts of cycleStarts) {
      const next = fundingMs.find((f) => f > ts)
      if (next !== undefined && next - ts < config.trade.stopBeforeFundingMs) {
        found.push(`${new Date(ts).toISOString()}: a cycle started ${((next - ts) / 1000).toFixed(0)} s before the ${new Date(next).toISOString()} funding time`)
      }
    }
    // what is left at the end is only what the hedge venue cannot take (below its smallest order,
    // on its own step: the maker's step does not make a hedgeable residual acceptable)
    const finalNet = BigDecimal.abs(decimal(report.exposure.finalNetPosition))
    const lastPrice = hedge.price(Math.max(hedge.engine.bid, 1))
    const smallestHedge = minimumHedgeQty(hedge.instrument, lastPrice)
    if (!BigDecimal.lessThan(finalNet, smallestHedge)) {
      found.push(`${formatDecimal(finalNet)} left unhedged at the end (the hedge venue takes ${formatDecimal(smallestHedge)} and more)`)
    }
    return found
  }

  return { decorate, observer, violations }
}
