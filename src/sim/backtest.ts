/**
 * A backtest: the hedge loop from src/core run against two simulated venues replaying a tick
 * file, then the report. Backtest and live differ only in the Layers given to the strategy; the
 * kill switch applies the same `risk:` limits as live (src/sim/kill-switch.ts).
 */
import { BigDecimal, Cause, Data, Effect, Exit, FiberRef, HashSet, Layer, Logger, LogLevel, Option } from "effect"
import { type HedgeConfig, describeConfig, type SimVenueParams } from "../core/config/config"
import { decimal, formatDecimal, fromUnits } from "../core/domain/decimal"
import type { Venue } from "../core/domain/venue"
import { formatLogLine } from "../core/log-line"
import { CycleStatsCounter } from "../core/report/cycle-stats"
import { buildReport, type RunReport } from "../core/report/report"
import { RiskGuard } from "../core/risk/risk-guard"
import { runHedgeLoop } from "../core/strategy/hedge-loop"
import { StrategyObserver, type StrategyObserverService } from "../core/strategy/observer"
import { gapWarnings } from "./gap-warnings"
import { type KernelVenueConfig, SimKernel, type VenueSlot } from "./kernel"
import { flatFees } from "./models/fees"
import { bookModels } from "./models/book-models"
import { latencyOf } from "./models/latency"
import { type Rng, seededRng } from "./models/rng"
import { makeSimKillSwitch, type SimKillSwitch } from "./kill-switch"
import { makeSimExchange, simClock, type SimWaitOptions } from "./sim-exchange"
import { type Exchange, HedgeVenue, MakerVenue } from "../core/exchange"
import { openTickFile, type TickFile } from "./tickstore/reader"
import { recordingNote } from "./tickstore/recording-note"
import { RECORDING_NOTE } from "./tickstore/schema"

export class BacktestError extends Data.TaggedError("BacktestError")<{ readonly reason: string }> {
  override get message() {
    return this.reason
  }
}

export interface BacktestOptions {
  readonly dbPath: string
  readonly config: HedgeConfig
  /** strategy log lines; none when omitted */
  readonly log?: (line: string) => void
  /** called as the replay advances: fraction of the file's time range done */
  readonly onProgress?: (fraction: number, nowMs: number) => void
  /** extra per-run overrides used by property tests */
  readonly rng?: Rng
  /** also told everything the strategy reports (invariant checks in tests) */
  readonly observer?: (kernel: SimKernel) => StrategyObserverService
  /** hand the thread back to Node now and then (command line: Ctrl+C, progress) */
  readonly cooperative?: boolean
  /** the config's risk limits stop the run as they would a live one (default true; false runs past them) */
  readonly killSwitch?: boolean
  /** wraps the simulated venues (invariant checks, fault injection) */
  readonly decorate?: (kernel: SimKernel, venues: { readonly maker: Exchange; readonly hedge: Exchange }) => { readonly maker: Exchange; readonly hedge: Exchange }
}

const ms = (us: number) => Math.floor(us / 1000)
const iso = (us: number) => (Number.isFinite(us) ? new Date(ms(us)).toISOString() : "n/a")

const kernelVenue = (
  venue: Venue,
  symbol: string,
  params: SimVenueParams,
  config: HedgeConfig,
  rng: Rng,
  ticksFrom?: Venue
): KernelVenueConfig => ({
  venue,
  symbol,
  ...(ticksFrom !== undefined ? { ticksFrom } : {}),
  latency: latencyOf(params, rng),
  fees: flatFees(params.makerFee, params.takerFee),
  ...bookModels(config.sim),
  marketRejectProbability: params.marketRejectProbability
})

/** Picks the recorded instrument for the hedge venue; a spot config may replay futures ticks (flagged). */
const hedgeTicks = (file: TickFile, config: HedgeConfig, warnings: Array<string>): Venue | undefined => {
  const has = (venue: Venue) => file.instruments.some((i) => i.venue === venue && i.symbol === config.hedge.symbol)
  if (has(config.hedge.venue)) return undefined
  const other: Venue = config.hedge.venue === "aster-spot" ? "aster-futures" : "aster-spot"
  if (has(other)) {
    warnings.push(`${file.path} has no ${config.hedge.venue} ticks: the ${other} ${config.hedge.symbol} recording stands in for them`)
    return other
  }
  return undefined
}

const venueLayer = (kernel: SimKernel, maker: VenueSlot, hedge: VenueSlot, options: BacktestOptions, waits: SimWaitOptions) => {
  const plain = { maker: makeSimExchange(kernel, maker, waits), hedge: makeSimExchange(kernel, hedge, waits) }
  const venues = options.decorate ? options.decorate(kernel, plain) : plain
  return Layer.merge(Layer.succeed(MakerVenue, venues.maker), Layer.succeed(HedgeVenue, venues.hedge))
}

/** Records what the strategy reports, for the report's cycle statistics. */
const recordingObserver = (stats: CycleStatsCounter): StrategyObserverService => ({
  cycleStarted: () => Effect.sync(() => stats.cycleStarted()),
  fundingPause: () => Effect.sync(() => stats.fundingPause()),
  makerOrderPlaced: (e) => Effect.sync(() => stats.makerOrder(e.repost)),
  legCompleted: (e) => Effect.sync(() => stats.legCompleted(e.startedAt, e.filledAt, e.orders)),
  hedgeSent: (e) => Effect.sync(() => stats.hedge(e.side, { qty: e.executedQty, quote: e.executedQuote, referencePrice: e.referencePrice })),
  exposureChanged: () => Effect.void
})

const bothObservers = (a: StrategyObserverService, b: StrategyObserverService): StrategyObserverService => ({
  cycleStarted: (cycle, ts) => Effect.zipRight(a.cycleStarted(cycle, ts), b.cycleStarted(cycle, ts)),
  fundingPause: (cycle, time, ts) => Effect.zipRight(a.fundingPause(cycle, time, ts), b.fundingPause(cycle, time, ts)),
  makerOrderPlaced: (e) => Effect.zipRight(a.makerOrderPlaced(e), b.makerOrderPlaced(e)),
  legCompleted: (e) => Effect.zipRight(a.legCompleted(e), b.legCompleted(e)),
  hedgeSent: (e) => Effect.zipRight(a.hedgeSent(e), b.hedgeSent(e)),
  exposureChanged: (u, ts) => Effect.zipRight(a.exposureChanged(u, ts), b.exposureChanged(u, ts)),
  // the optional ones reach whichever of the two listens
  hedgeFailed: (e) => Effect.zipRight(a.hedgeFailed?.(e) ?? Effect.void, b.hedgeFailed?.(e) ?? Effect.void),
  filtersChanged: (e) => Effect.zipRight(a.filtersChanged?.(e) ?? Effect.void, b.filtersChanged?.(e) ?? Effect.void),
  postingHeld: (e) => Effect.zipRight(a.postingHeld?.(e) ?? Effect.void, b.postingHeld?.(e) ?? Effect.void),
  hedgeHeld: (e) => Effect.zipRight(a.hedgeHeld?.(e) ?? Effect.void, b.hedgeHeld?.(e) ?? Effect.void)
})

const markPrice = (slot: VenueSlot) => {
  const e = slot.engine
  if (e.bid > 0 && e.ask > 0) return BigDecimal.unsafeDivide(fromUnits(e.bid + e.ask, slot.priceScale), decimal("2"))
  return fromUnits(Math.max(e.last, 0), slot.priceScale)
}

/** Fills the recording could not size: its quotes carried no sizes, so sim.assumed_top_qty stood in. */
const assumedSizeWarnings = (slots: ReadonlyArray<VenueSlot>, config: HedgeConfig): Array<string> => {
  const assumed = formatDecimal(config.sim.assumedTopQty)
  const warnings: Array<string> = []
  for (const slot of slots) {
    const { engine } = slot
    const where = `${slot.venue} ${slot.instrument.symbol}`
    if (engine.sizeAssumed.takerOrders > 0)
      warnings.push(
        `${engine.sizeAssumed.takerOrders} of ${engine.takerOrders} taker orders on ${where} met a quote without size: they filled against sim.assumed_top_qty (${assumed}) at the top of the book`
      )
    if (engine.sizeAssumed.queues > 0)
      warnings.push(`${engine.sizeAssumed.queues} of ${engine.queuesJoined} maker orders on ${where} joined a best level without size: the queue ahead of them was taken as sim.assumed_top_qty (${assumed})`)
  }
  return warnings
}

export const runBacktest = (options: BacktestOptions): Effect.Effect<RunReport, BacktestError> =>
  Effect.gen(function*() {
    const { config } = options
    const file = yield* Effect.try({
      try: () => openTickFile(options.dbPath),
      catch: (error) => new BacktestError({ reason: error instanceof Error ? error.message : String(error) })
    })
    if (file.tickCount === 0) {
      file.close()
      // what a recording stopped before the venues' first message leaves: its markets, no market data
      return yield* new BacktestError({ reason: `${options.dbPath} holds no ticks: there is nothing to replay` })
    }
    try {
      const warnings: Array<string> = []
      const rng = options.rng ?? seededRng(config.sim.seed)
      const kernel = yield* Effect.try({
        try: () =>
          new SimKernel(file, {
            rng,
            venues: [
              kernelVenue(config.maker.venue, config.maker.symbol, config.sim.maker, config, rng),
              kernelVenue(config.hedge.venue, config.hedge.symbol, config.sim.hedge, config, rng, hedgeTicks(file, config, warnings))
            ]
          }),
        catch: (error) => new BacktestError({ reason: error instanceof Error ? error.message : String(error) })
      })
      const span = Math.max(file.lastTs - file.firstTs, 1)
      if (options.onProgress) {
        const report = options.onProgress
        kernel.onProgress = (now) => report(Math.min(1, (now - file.firstTs) / span), ms(now))
      }
      const maker = kernel.slot(config.maker.venue)
      const hedge = kernel.slot(config.hedge.venue)
      for (const slot of [maker, hedge]) {
        if (slot.instrument.kind === "perp" && slot.fundingTimes.length === 0)
          warnings.push(
            `the data has no funding events for ${slot.venue} ${slot.instrument.symbol}: no funding is paid or received and the funding guard never pauses (${
              file.meta.notes[RECORDING_NOTE] !== undefined
                ? "no funding time passed while it was recorded"
                : "import with --funding-interval-hours to add a schedule"
            })`
          )
      }
      for (const change of Option.match(recordingNote(file.meta.notes), { onNone: () => [], onSome: (note) => note.filterChanges ?? [] })) {
        warnings.push(
          `${change.venue} ${change.symbol} changed its filters at ${change.at} while it was recorded (${change.changes.join(", ")}): this backtest trades on those the recording started with throughout`
        )
      }
      const startedAt = kernel.now
      const stats = new CycleStatsCounter()

      let exit: Exit.Exit<unknown, unknown> = Exit.void
      let killSwitch: SimKillSwitch | undefined
      const warmedUp = kernel.warmUp()
      if (!warmedUp) {
        warnings.push("the recording ended before both venues had a two-sided quote: nothing was traded")
      } else {
        const log = options.log
        const logger = Logger.make(({ logLevel, message }) => {
          if (!log) return
          log(formatLogLine(iso(kernel.now), logLevel, message))
        })
        if (options.killSwitch ?? true) {
          killSwitch = makeSimKillSwitch(kernel, yield* RiskGuard.make(config.risk, [maker.instrument, hedge.instrument]))
        }
        const observer = options.observer ? bothObservers(recordingObserver(stats), options.observer(kernel)) : recordingObserver(stats)
        const waits: SimWaitOptions = { cooperative: options.cooperative ?? false, ...(killSwitch ? { gate: killSwitch.gate } : {}) }
        exit = yield* runHedgeLoop({ ...config.trade, clientIdPrefix: "hl-" }).pipe(
          Effect.provide(venueLayer(kernel, maker, hedge, options, waits)),
          Effect.provide(Layer.succeed(StrategyObserver, killSwitch ? killSwitch.observer(observer) : observer)),
          Effect.withClock(simClock(kernel, waits)),
          // its lines alone, on the replay's clock: in place of whatever loggers the caller runs with
          Effect.locally(FiberRef.currentLoggers, HashSet.make<ReadonlyArray<Logger.Logger<unknown, unknown>>>(logger)),
          // without a sink, skip the loggers altogether (a long backtest logs millions of lines)
          Logger.withMinimumLogLevel(!log ? LogLevel.None : config.debug ? LogLevel.Debug : LogLevel.Info),
          Effect.exit
        )
      }
      kernel.ledger.close(ms(kernel.now))
      warnings.push(...assumedSizeWarnings([maker, hedge], config))
      warnings.push(...gapWarnings(
        file.gaps,
        [maker, hedge].map((slot) => ({ venue: slot.venue, symbol: slot.instrument.symbol, instrumentIdx: slot.stored.idx })),
        kernel.ledger.fills,
        startedAt,
        kernel.now
      ))
      if (options.onProgress) options.onProgress(1, ms(kernel.now))

      const failure = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none()
      const failureMessage = Option.map(failure, (e) => (e instanceof Error ? e.message : String(e)))
      const tripped = killSwitch ? killSwitch.tripped() : Option.none()
      const outcome = Option.isSome(tripped)
        ? { outcome: "kill-switch", message: tripped.value.message + Option.match(failureMessage, { onNone: () => "", onSome: (m) => `; then, winding down: ${m}` }) }
        : !warmedUp
        ? { outcome: "data-ended" }
        : Exit.isSuccess(exit)
        ? { outcome: "completed" }
        : Option.isSome(failureMessage)
        ? { outcome: "failed", message: failureMessage.value }
        : Cause.isInterruptedOnly(exit.cause) && kernel.ended
        ? { outcome: "data-ended" }
        : { outcome: "failed", message: Cause.pretty(exit.cause) }
      const proxy = file.meta.proxy
      return buildReport({
        kind: "backtest",
        data: {
          file: options.dbPath,
          source: file.meta.source,
          synthetic: file.meta.synthetic,
          proxy: proxy.length > 0,
          proxyVenues: proxy.map((p) => ({ venue: p.venue, symbol: p.symbol, from: p.from, parameters: p.parameters })),
          from: iso(file.firstTs),
          to: iso(file.lastTs),
          ticks: file.tickCount,
          warnings
        },
        config: describeConfig(config),
        run: { from: iso(startedAt), to: iso(kernel.now), ...outcome },
        ledger: kernel.ledger,
        venues: [
          { venue: maker.venue, symbol: maker.instrument.symbol, quoteAsset: maker.instrument.quote, markPrice: markPrice(maker), points: config.points.maker },
          { venue: hedge.venue, symbol: hedge.instrument.symbol, quoteAsset: hedge.instrument.quote, markPrice: markPrice(hedge), points: config.points.hedge }
        ],
        cycles: stats.current
      })
    } finally {
      file.close()
    }
  })
