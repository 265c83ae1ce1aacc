/**
 * The live runner: the backtest's strategy, unchanged, on real venues (or on paper), made
 * crash-safe by the journal. One run:
 *
 * 1. open the journal and start a run (its client ids get a prefix of their own);
 * 2. settle what an earlier process left in doubt: every request it journalled without a known
 *    outcome is looked up by client id (found: recorded, with its fills; not found: it never
 *    arrived), so nothing is ever sent twice; the fills a killed run knew of only by an order's
 *    filled quantity are read from the venues' histories, and the run is closed as killed
 *    (`journal-settlement.ts`);
 * 3. reconcile: cancel our stale orders, hedge a cross-venue imbalance (or refuse to trade); then
 *    refuse to trade if a kill-switch limit is already reached (risk.max_loss_per_day counting
 *    the journal's earlier runs of the last 24 hours);
 * 4. run the strategy, raced against the kill switch and a stop request (Ctrl+C); the hedge
 *    venue's own-order stream is drained into the journal meanwhile, fills the streams missed
 *    are read back (`fill-backfill.ts`), and marks are polled;
 * 5. whatever ended it, the strategy winds down (cancel, hedge the residual), late fills are
 *    collected, the run is closed in the journal and the report is built from the journal.
 *
 * A journal that stops taking writes mid-run stops the run as the kill switch does: the strategy
 * winds down, unrecorded (see `journal-guard.ts`), and the run ends "failed" saying why.
 */
import { BigDecimal, Cause, Clock, Data, Deferred, Duration, Effect, Either, Option, type Scope } from "effect"
import { backpackClientId } from "../adapters/backpack/client"
import type { HedgeConfig } from "../core/config/config"
import { type Decimal, formatDecimal, ZERO } from "../core/domain/decimal"
import type { Instrument } from "../core/domain/instrument"
import { mid } from "../core/domain/market"
import { type Order, signedQty } from "../core/domain/order"
import { carriedExitCode, type ExchangeError } from "../core/errors"
import { type Venue, venueLabel } from "../core/domain/venue"
import { type Exchange, HedgeVenue, MakerVenue } from "../core/exchange"
import { minimumHedgeQty } from "../core/strategy/exposure"
import { HedgeFailed, runHedgeLoop, StrategyConfigError } from "../core/strategy/hedge-loop"
import { shrunkByUnwinding, unwindLeg, unwindsFirst } from "../core/strategy/unwind"
import { hedgeSizingPrice } from "../core/strategy/tradable-quantity"
import { StrategyObserver, type StrategyObserverService, type WindDownFailed } from "../core/strategy/observer"
import type { RunReport } from "../core/report/report"
import { JournalError, type JournalService, openJournal, type RunKind } from "./journal"
import { makeFillBackfill } from "./fill-backfill"
import { collectFunding, fundingWatcher } from "./funding-collector"
import { baseFeeFloatVerdict, firstSellFundingVerdict, hedgeFundingVerdict } from "./funding-checks"
import { guardJournal } from "./journal-guard"
import { closeKilledPaperRuns, closeKilledRuns, completeEndedRuns, completeFills, completeFillsOfRun, mustWrite, recordHedgeOutcome, settleRequestsInDoubt, venueOf } from "./journal-settlement"
import { drainUpdates, journaled, journalObserver } from "./journaled-exchange"
import { reportFromJournal } from "./journal-report"
import { type RecordingError, type RecordingOptions, type RecordingSummary, startMarketRecording } from "./market-recorder"
import { type AlertsService, noAlerts } from "./alerts"
import { dailyDigest } from "./daily-digest"
import { beyondAutoHedge, describeReconcile, reconcile, ReconciliationRefused, sentByReconcile } from "./reconcile"
import { refuseLeftOnUntradedMarkets } from "./untraded-markets"
import { endedAlert, failedAlert, filterChangeAlerts, hedgeFailureAlerts, hedgeHeldAlerts, lossWarnings, postingHeldAlerts, startedAlert } from "./run-alerts"
import { KillSwitchTripped, LimitReachedBeforeTrading, RiskGuard, riskObserver, watchdog } from "../core/risk/risk-guard"
import { progressObserver } from "./run-progress"
import { DAY_MS } from "../core/risk/trailing-pnl"

/** Every client id this bot sends starts with it; a run adds its own stamp after it. */
export const CLIENT_ID_ROOT = "hl"

export interface Venues {
  readonly maker: Exchange
  readonly hedge: Exchange
}

export interface RunnerOptions<E, R> {
  readonly config: HedgeConfig
  readonly kind: RunKind
  readonly journalPath: string
  /** builds both venues (live adapters, or paper venues over live data) in the run's scope */
  readonly venues: Effect.Effect<Venues, E, R | Scope.Scope>
  /** completing it stops the run cleanly (Ctrl+C): wind down, report, exit */
  readonly stop?: Deferred.Deferred<void>
  /** how often marks are read for the kill switch and the report (default 5 s) */
  readonly markEveryMs?: number
  /** record both venues' market data into this tick file (`--record`) */
  readonly record?: Omit<RecordingOptions, "kind">
  /** where alerts go (config.alerts says which are sent); none by default */
  readonly alerts?: AlertsService
  /** `--unwind-only`: unwind the hedged pair a stopped run left, then end, with no cycle */
  readonly unwindOnly?: boolean
  /** tests: wraps the journal once opened (to make its writes fail) */
  readonly wrapJournal?: (journal: JournalService) => JournalService
}

export type RunOutcome = "completed" | "stopped" | "kill-switch" | "hedge-failed" | "failed" | "refused"

export interface RunResult {
  readonly runId: number
  readonly outcome: RunOutcome
  readonly message?: string
  readonly report: RunReport
  readonly recording?: RecordingSummary
}

/**
 * The process's exit code for a run's outcome, so a supervisor can tell a run worth restarting
 * from one a person must look at first: 0 clean; 1 failed (a venue unreachable beyond the retries,
 * the journal unwritable), which a restart after a pause may cure; 3 stopped by a safety limit
 * (the kill switch, a hedge that could not be placed); 4 refused to start trading (an imbalance
 * beyond risk.max_auto_hedge, a quantity the venues cannot trade, a kill-switch limit already
 * reached, such as risk.max_loss_per_day). 2 stays the command line's.
 */
export const exitCodeOf = (outcome: RunOutcome): number => {
  switch (outcome) {
    case "completed":
    case "stopped":
      return 0
    case "kill-switch":
    case "hedge-failed":
      return 3
    case "refused":
      return 4
    case "failed":
      return 1
  }
}

/** The run ended in a way that must make the process exit non-zero; the report was written. */
export class RunStopped extends Data.TaggedError("RunStopped")<{ readonly outcome: RunOutcome; readonly reason: string }> {
  override get message() {
    return `${this.outcome}: ${this.reason}`
  }
  /** read by the command line runner (run-cli.ts) */
  get exitCode(): number {
    return exitCodeOf(this.outcome)
  }
}

const QUIET_AFTER_STOP = Duration.millis(500)
/** both venues' signing window when the config sets none (bp.window, aster.recv_window) */
const DEFAULT_SIGNING_WINDOW_MS = 5000
const HEDGE_STREAM_POLL = Duration.seconds(1)

/**
 * What the journal's fills of `symbol` on `venue` added to the position there, signed, over its runs of this
 * kind (`--check` reads it too): a paper run's fills moved nothing on a live account, nor a live
 * run's on a paper book; and paper books start afresh in each process, so nothing an earlier paper
 * run traded is on them.
 */
export const journalledNetQty = (journal: JournalService, venue: Venue, symbol: string, kind: RunKind): Effect.Effect<Decimal> =>
  kind === "paper"
    ? Effect.succeed(ZERO)
    : mustWrite(Effect.flatMap(journal.runs(), (runs) => journal.netFilledQty(venue, runs.filter((run) => run.kind === kind).map((run) => run.id), undefined, symbol)))

/**
 * For risk.max_loss_per_day: the fills and funding payments of the last 24 hours before `now` of
 * the journal's runs of this kind but `except` (paper losses never stop a live run).
 */
export const earlierRunsLastDay = (journal: JournalService, kind: RunKind, now: number, except?: number) =>
  Effect.gen(function*() {
    const runs = (yield* journal.runs()).filter((run) => run.kind === kind && run.id !== except).map((run) => run.id)
    return { fills: yield* journal.fills(runs, now - DAY_MS), funding: yield* journal.funding(runs, now - DAY_MS) }
  })

/**
 * A spot hedge venue's "position" is its whole base balance: the journal's fills say what the bot
 * moved, and so do the orders of a killed run the journal knows executed more than its fills hold
 * (the fill messages were still being written, and the venue's history lags): their executed
 * quantity counts, else a hedge already made would look like an imbalance to hedge again.
 */
const spotBaseline = (journal: JournalService, hedge: Exchange, kind: RunKind, lacking: ReadonlyArray<Order>) =>
  Effect.gen(function*() {
    const held = (yield* hedge.position).qty
    const symbol = (yield* hedge.instrument).symbol
    const moved = yield* movedByTrading(journal, hedge.venue, symbol, kind, lacking)
    return BigDecimal.normalize(BigDecimal.subtract(held, moved))
  })

/**
 * What this bot's trading moved a venue's position by: its journalled fills, and what the orders
 * `lacking` (short of fills: the venue's history lags) executed beyond them.
 */
const movedByTrading = (journal: JournalService, venue: Venue, symbol: string, kind: RunKind, lacking: ReadonlyArray<Order>) =>
  Effect.gen(function*() {
    let moved = yield* journalledNetQty(journal, venue, symbol, kind)
    for (const order of lacking.filter((o) => o.venue === venue && o.symbol === symbol)) {
      const unjournalled = BigDecimal.subtract(order.filledQty, yield* mustWrite(journal.filledQty(order.venue, order.id)))
      if (BigDecimal.isPositive(unjournalled)) moved = BigDecimal.sum(moved, signedQty(order.side, unjournalled))
    }
    return moved
  })

/** The orders of live runs that the next start will read fills for (runs without an end, or ended lacking some). */
const ordersLackingFills = (journal: JournalService) =>
  Effect.gen(function*() {
    const orders: Array<Order> = []
    for (const run of (yield* mustWrite(journal.runs())).filter((r) => r.kind === "live" && (Option.isNone(r.endedAt) || r.fillsLacking))) {
      orders.push(...(yield* mustWrite(journal.ordersShortOfFills(run.id))))
    }
    return orders
  })

/** An error that refuses the start itself (exit 4: an account the bot cannot trade as it stands), as an adapter or the command line says it. */
const refusesWithExit4 = (error: unknown): boolean => carriedExitCode(error) === 4

const describeExit = (error: unknown): { outcome: RunOutcome; reason: string } => {
  if (error instanceof KillSwitchTripped) return { outcome: "kill-switch", reason: error.message }
  if (error instanceof HedgeFailed) return { outcome: "hedge-failed", reason: error.message }
  if (error instanceof ReconciliationRefused) return { outcome: "refused", reason: error.message }
  if (error instanceof StrategyConfigError) return { outcome: "refused", reason: error.message }
  if (error instanceof LimitReachedBeforeTrading) return { outcome: "refused", reason: error.message }
  if (refusesWithExit4(error)) return { outcome: "refused", reason: error instanceof Error ? error.message : String(error) }
  if (error instanceof JournalError) return { outcome: "failed", reason: `${error.message}: the journal stopped taking writes, so trading stopped; the journal lacks what followed (the log has it), and the next start reconciles from the venues` }
  return { outcome: "failed", reason: error instanceof Error ? error.message : String(error) }
}

/**
 * A stop (or the last cycle) whose wind-down failed: a residual it could not hedge ends the run as
 * a hedge that could not be placed (exit 3), an order it could not cancel as a failure (exit 1:
 * the next start's reconciliation cancels it).
 */
const describeWindDownFailure = (failure: WindDownFailed): { outcome: RunOutcome; reason: string } => ({
  outcome: failure.step === "hedge" ? "hedge-failed" : "failed",
  reason: `the wind-down ${failure.reason}; ${formatDecimal(failure.unhedged)} unhedged across the venues`
})

/**
 * What the failed wind-down left unhedged once the runner has settled the requests in doubt: a
 * hedge whose look-up failed may have executed after all (then undefined: the run is flat).
 */
const stillUnhedged = (journal: JournalService, runId: number, failure: WindDownFailed) =>
  Effect.gen(function*() {
    if (failure.step !== "hedge" || failure.hedgeInDoubt === undefined) return failure
    const hedge = (yield* mustWrite(journal.orders(runId))).find((o) => o.clientId === failure.hedgeInDoubt)
    if (hedge === undefined) return failure
    const executed = hedge.side === "buy" ? hedge.filledQty : BigDecimal.negate(hedge.filledQty)
    const unhedged = BigDecimal.sum(failure.unhedged, executed)
    return BigDecimal.isZero(unhedged) ? undefined : { ...failure, unhedged }
  })

/** The outcome a failure gives the run, and why: its error's, else the defect's first line. */
const describeCause = (cause: Cause.Cause<unknown>): { outcome: RunOutcome; reason: string } =>
  Option.match(Cause.failureOption(cause), {
    onSome: describeExit,
    onNone: () => ({ outcome: "failed", reason: Cause.pretty(cause).split("\n")[0] ?? "defect" })
  })

export const runLive = <E, R>(options: RunnerOptions<E, R>): Effect.Effect<RunResult, E | RunStopped | RecordingError | ExchangeError, R | Scope.Scope> => {
  const alerts = options.alerts ?? noAlerts
  const alertOn = Option.getOrUndefined(options.config.alerts)
  return Effect.gen(function*() {
    const { config } = options
    const opened = yield* mustWrite(openJournal(options.journalPath, "write"))
    const guarded = yield* guardJournal(options.wrapJournal?.(opened) ?? opened)
    const journal = guarded.journal
    if (Option.isSome(journal.replacedLock)) {
      const gone = journal.replacedLock.value
      yield* Effect.log(`journal ${options.journalPath}: took over the lock of process ${gone.pid} (started ${new Date(gone.startedAt).toISOString()}), which is no longer running`)
    }
    const venues = yield* options.venues
    const makerInstrument = yield* venues.maker.instrument
    const hedgeInstrument = yield* venues.hedge.instrument
    const recording = options.record !== undefined ? yield* startMarketRecording(venues, { ...options.record, kind: options.kind }) : undefined
    /** how long after signing each venue may still book a request: its configured signing window */
    const acceptanceWindowMs = (venue: Venue) =>
      venue === config.maker.venue ? config.maker.windowMs ?? DEFAULT_SIGNING_WINDOW_MS : venue === config.hedge.venue ? config.hedge.recvWindowMs ?? DEFAULT_SIGNING_WINDOW_MS : 0
    const startedAt = yield* Clock.currentTimeMillis
    // a prefix per start: client ids never repeat across restarts (Aster allows 36 characters)
    const clientIdPrefix = `${CLIENT_ID_ROOT}${startedAt.toString(36)}-`
    const runId = yield* mustWrite(journal.startRun({
      kind: options.kind,
      startedAt,
      config,
      maker: { venue: venues.maker.venue, symbol: makerInstrument.symbol, quoteAsset: makerInstrument.quote, baseAsset: makerInstrument.base },
      hedge: { venue: venues.hedge.venue, symbol: hedgeInstrument.symbol, quoteAsset: hedgeInstrument.quote, baseAsset: hedgeInstrument.base },
      clientIdPrefix
    }))
    yield* Effect.log(`${options.kind} run ${runId} started: journal ${options.journalPath}, client ids ${clientIdPrefix}…`)
    const runs = yield* mustWrite(journal.runs())
    // funding is collected from the first start of a run of this kind: a payment booked while no
    // process ran counts too, but not one on a position held before the bot first traded live
    const fundingSince = Math.min(startedAt, ...runs.filter((run) => run.kind === options.kind).map((run) => run.startedAt))

    const guard = yield* RiskGuard.make(config.risk, [makerInstrument, hedgeInstrument])
    // the fills of this run's orders feed the kill switch; those the streams miss are read back
    const backfill = yield* makeFillBackfill({ journal, runId, guard, clientIdPrefix })
    const maker = backfill.watch(journaled(venues.maker, journal, runId))
    const hedge = backfill.watch(journaled(venues.hedge, journal, runId))
    const both = { maker, hedge }

    /** what the wind-down could not do (it tells it once): a run asked to stop (or done) that ends so did not end cleanly */
    let windDownFailure: WindDownFailed | undefined
    const trade = Effect.gen(function*() {
      // a paper run's venues know nothing of a live run's orders, nor live venues of a paper run's;
      // and paper books live in their process: an earlier paper run's orders are nowhere to look up
      const earlier = runs.filter((run) => run.id !== runId && run.kind === options.kind)
      const killed = earlier.filter((run) => Option.isNone(run.endedAt))
      let lacking: ReadonlyArray<Order> = []
      if (options.kind === "paper") yield* closeKilledPaperRuns(journal, runId, killed)
      else {
        const earlierIds = new Set(earlier.map((run) => run.id))
        // looked up on the venues themselves: a found order is recorded as its own run's, not this one's
        const settling = yield* settleRequestsInDoubt(journal, (id) => earlierIds.has(id), venues, "restart", acceptanceWindowMs)
        if (settling.settled > 0) yield* Effect.log(`restart: ${settling.settled} request(s) of an earlier run settled by client id`)
        // an order is counted once, however many of these found it short of fills
        const byId = new Map<string, Order>()
        for (const order of [...settling.lacking, ...(yield* closeKilledRuns(journal, runId, killed, venues)), ...(yield* completeEndedRuns(journal, earlier, venues))]) {
          byId.set(`${order.venue} ${order.id}`, order)
        }
        lacking = [...byId.values()]
      }
      yield* Effect.forkScoped(backfill.run)

      // Backpack hashes client ids to numbers: an order of ours that the venue lists by number is
      // recognised by the hashes of the ids the journal still holds open
      const pendingIds = new Set((yield* mustWrite(journal.pendingIntents())).map((p) => String(backpackClientId(p.clientId))))
      // a journal that stopped taking writes while settling: nothing may be sent unrecorded (the
      // start-up hedge would be, and the next start would make it again)
      const failedWhileSettling = guarded.failure()
      if (failedWhileSettling !== undefined) return yield* failedWhileSettling
      // a pair an earlier run left on a market this config does not trade is invisible to the reconciling below
      if (options.kind === "live") yield* refuseLeftOnUntradedMarkets(journal, earlier, [makerInstrument, hedgeInstrument])
      const baseline = hedgeInstrument.kind === "spot" ? yield* spotBaseline(journal, hedge, options.kind, lacking) : undefined
      const summary = yield* reconcile({
        // its hedges' ids are not this run's own (whose fills the watchers hand the kill switch:
        // these are counted from the journal below); ours: the orders of the journal's runs, by
        // their prefixes. Another bot's order whose id merely starts with the same root is left alone
        clientIdPrefix: CLIENT_ID_ROOT,
        ownPrefixes: runs.map((run) => run.clientIdPrefix),
        maxAutoHedge: config.risk.maxAutoHedge,
        isOwn: (order) => order.venue === "backpack" && pendingIds.has(order.clientId),
        ...(baseline !== undefined ? { hedgeBaseline: baseline } : {})
      }).pipe(Effect.provideService(MakerVenue, maker), Effect.provideService(HedgeVenue, hedge))
      const reconciled = describeReconcile(summary)
      yield* Effect.log(reconciled)
      for (const order of summary.hedges) {
        yield* recordHedgeOutcome(journal, order.clientId, runId, order, BigDecimal.isPositive(order.filledQty) ? "done" : "failed")
        // its fills count in the last 24 hours below: read back now if its stream message is behind
        yield* completeFills(journal, hedge, runId, order)
      }
      for (const order of summary.cancelled) {
        // an earlier run's order, filled as it was cancelled: a history that lags is read again by the next start
        if (!(yield* completeFills(journal, venueOf(both, order.venue), runId, order))) yield* mustWrite(journal.fillsLackingFor(order.venue, order.id))
      }

      // the kill switch starts from the positions as they are now; those the strategy is about to
      // unwind may be beyond max_position (a stop, the kill switch's among them, left the pair)
      const now = yield* Clock.currentTimeMillis
      const makerHeld = yield* maker.position
      const hedgeHeld = yield* hedge.position
      const hedgeMoved = BigDecimal.subtract(hedgeHeld.qty, baseline ?? ZERO)
      const unwinding = shrunkByUnwinding(makerHeld.qty, hedgeMoved, config.trade.unwindAtStart || options.unwindOnly === true)
      yield* guard.recordPosition(makerHeld, now, { unwinding: unwinding.maker })
      yield* guard.recordPosition({ ...hedgeHeld, qty: hedgeMoved }, now, { unwinding: unwinding.hedge })

      // a hedge the venue cannot fund would be refused only after the maker leg filled, leaving it
      // unhedged (a spot buy is paid from the quote balance, a perp opens on margin). Unwinding
      // alone (--unwind-only) only trades the pair back, freeing funds: it is never refused here
      if (options.kind === "live" && options.unwindOnly !== true) {
        const makerTicker = yield* maker.ticker
        const hedgeTicker = yield* hedge.ticker
        const unwinds = unwindsFirst(config.trade.unwindAtStart, makerHeld.qty, config.trade.quantity, makerInstrument, hedgeInstrument, makerTicker.last, hedgeSizingPrice(hedgeTicker))
        // judged as after the unwinding, which sells back what the pair's hedge bought (or frees its margin)
        const unwinding = unwinds ? { qty: makerHeld.qty, bid: hedgeTicker.bid } : undefined
        const funding = yield* hedgeFundingVerdict(hedge, hedgeInstrument, config.trade.quantity, hedgeTicker.ask, unwinding).pipe(
          Effect.catchAll((error) => Effect.as(Effect.logWarning(`could not read whether ${venueLabel(hedge.venue)} can fund a hedge: ${error.message}`), undefined))
        )
        if (funding?.status === "refuse") return yield* new StrategyConfigError({ reason: funding.startMessage })
        if (funding?.status === "warn") yield* Effect.logWarning(funding.startMessage)
        const float = yield* baseFeeFloatVerdict(hedge, hedgeInstrument, config.trade.quantity, config.sim.hedge.takerFee, journal, hedgeMoved).pipe(
          Effect.catchAll((error) => Effect.as(Effect.logWarning(`could not read the spare ${hedgeInstrument.base} its fees need: ${error.message}`), undefined))
        )
        if (float?.status === "warn") yield* Effect.logWarning(float.startMessage)
        // the first cycle's sell must fit the maker account too, else the run fails at its first order
        const makerFunding = yield* firstSellFundingVerdict(maker, makerInstrument, config.trade, makerTicker, unwinds).pipe(
          Effect.catchAll((error) => Effect.as(Effect.logWarning(`could not read what ${venueLabel(maker.venue)} allows an order: ${error.message}`), undefined))
        )
        if (makerFunding?.status === "refuse") return yield* new StrategyConfigError({ reason: makerFunding.startMessage })
      }

      // the strategy reads the maker's stream; the hedge venue's (its fills and fees) is read here
      yield* Effect.forkScoped(Effect.forever(drainUpdates(hedge, HEDGE_STREAM_POLL).pipe(
        Effect.catchAll((error) => Effect.zipRight(Effect.logWarning(`hedge venue stream: ${error.message}`), Effect.sleep(HEDGE_STREAM_POLL)))
      )))
      // both venues read first, then judged together: a pair moving together is no loss (a venue
      // that cannot say keeps its last mark)
      const recordMarks = Effect.gen(function*() {
        const read = yield* Effect.forEach([maker, hedge], (venue) =>
          venue.ticker.pipe(
            Effect.map((t) => [{ venue: venue.venue, price: mid(t.bid, t.ask) }]),
            Effect.catchAll(() => Effect.succeed([]))
          ), { concurrency: 2 })
        const marks = read.flat()
        const ts = yield* Clock.currentTimeMillis
        for (const { venue, price } of marks) yield* mustWrite(journal.recordMark(runId, venue, price, ts))
        yield* guard.recordMarks(marks, ts)
      })
      yield* recordMarks
      if (venues.maker.fundingPayments !== undefined) yield* Effect.forkScoped(fundingWatcher(journal, runId, maker, guard, fundingSince))
      if (venues.hedge.fundingPayments !== undefined) yield* Effect.forkScoped(fundingWatcher(journal, runId, hedge, guard, fundingSince))
      yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(options.markEveryMs ?? 5000), recordMarks)))

      const judgedAt = yield* Clock.currentTimeMillis
      if (Option.isSome(config.risk.maxLossPerDay)) {
        const { fills, funding } = yield* mustWrite(earlierRunsLastDay(journal, options.kind, judgedAt, runId))
        // and this run's own fills so far: the start's hedge of what an earlier run left, and the
        // fills of stale orders it cancelled, which no watcher hands the kill switch (not of this
        // run's client ids); its funding so far has reached the guard already
        const own = yield* mustWrite(journal.fills(runId, judgedAt - DAY_MS))
        yield* guard.recordEarlierRuns([...fills, ...own], funding, judgedAt)
        const status = guard.status(judgedAt)
        yield* Effect.log(`risk.max_loss_per_day ${formatDecimal(config.risk.maxLossPerDay.value)}: the last 24 hours' PnL is ${formatDecimal(Option.getOrElse(status.pnlLastDay, () => ZERO))} (${fills.length} fill(s) of earlier runs, and this run's so far)`)
      }
      // a limit already reached (the last day's loss, a position left too large) stops the start before any order
      const reachedAlready = guard.check(judgedAt)
      if (Option.isSome(reachedAlready)) {
        const trip = reachedAlready.value
        // a hedged pair kept (unwind_at_start off) can still be unwound, the limit notwithstanding
        const hint = trip.key === "max_position" && !unwinding.maker && !BigDecimal.isZero(makerHeld.qty)
          ? `${unwindOnlyCommand(config)} trades the ${venueLabel(maker.venue)} position ${formatDecimal(makerHeld.qty)} back to zero, hedged, and stops`
          : undefined
        const sentAtStart = sentByReconcile(summary)
        return yield* new LimitReachedBeforeTrading({ trip, ...(hint !== undefined ? { hint } : {}), ...(sentAtStart !== undefined ? { sentAtStart } : {}) })
      }

      const points = new Map([[maker.venue, config.points.maker], [hedge.venue, config.points.hedge]])
      // a venue changing its filters, a leg holding its order back for a minute, or a hedge waiting
      // for a closed market, is told whenever alerts are on: all are rare, and change what the run
      // costs, earns or risks
      const journalled = alertOn !== undefined
        ? hedgeHeldAlerts(alerts, options.kind, runId, postingHeldAlerts(alerts, options.kind, runId, filterChangeAlerts(alerts, options.kind, runId, journalObserver(journal, runId))))
        : journalObserver(journal, runId)
      const alerted = alertOn?.onHedgeFailure === true ? hedgeFailureAlerts(alerts, options.kind, runId, journalled) : journalled
      const observer: StrategyObserverService = {
        ...riskObserver(
          guard,
          progressObserver(guard, points, alertOn?.onLossWarning === true ? lossWarnings(alerts, guard, options.kind, runId, alerted) : alerted)
        ),
        windDownFailed: (event) => Effect.sync(() => void (windDownFailure = event))
      }
      if (alertOn?.onStart === true) yield* alerts.send(startedAlert(options.kind, runId, config, reconciled))
      if (alertOn?.dailyDigest === true) yield* Effect.forkScoped(dailyDigest(alerts, options.journalPath, options.kind))
      const strategy = runHedgeLoop({ ...config.trade, clientIdPrefix, unwindOnly: options.unwindOnly === true }).pipe(
        Effect.provideService(MakerVenue, maker),
        Effect.provideService(HedgeVenue, hedge),
        Effect.provideService(StrategyObserver, observer)
      )
      const kill = watchdog(guard, (reason) => Effect.logError(`${reason.message}: cancelling the working order and hedging the residual`))
      const stop = options.stop === undefined
        ? Effect.never
        : Effect.zipRight(Deferred.await(options.stop), Effect.log("stop requested: winding down (cancel the working order, hedge the residual)"))
      const journalFailed = Effect.flatMap(Deferred.await(guarded.failed), Effect.fail)
      // the first to finish, by success or failure, wins; the strategy, interrupted, winds down
      // before the race returns
      return yield* Effect.raceFirst(Effect.raceFirst(Effect.raceFirst(Effect.asVoid(strategy), kill), stop), journalFailed)
    })

    const exit = yield* Effect.exit(trade)
    // a failed journal write decides the outcome, whichever way it ended the strategy (a new
    // maker order that could not be recorded ends it as a defect)
    const journalFailure = guarded.failure()
    const failed = journalFailure !== undefined
      ? describeExit(journalFailure)
      : exit._tag === "Failure"
      ? describeCause(exit.cause)
      : undefined
    let outcome: RunOutcome = "completed"
    let reason: string | undefined
    if (failed !== undefined) {
      outcome = failed.outcome
      reason = failed.reason
      yield* Effect.logError(`run ${runId} ${outcome}: ${reason}`)
    } else if (options.stop !== undefined && (yield* Deferred.isDone(options.stop))) outcome = "stopped"

    /** what the venues hold against each other at the end, once read (the end check; the hint below) */
    let held: HeldAcrossVenues | undefined
    // completing the journal: pointless once it takes no writes (the next start does it)
    if (journalFailure === undefined) {
      // late messages (a fill that raced the last cancel), then any fill the streams never delivered
      yield* Effect.all([drainUpdates(maker, QUIET_AFTER_STOP), drainUpdates(hedge, QUIET_AFTER_STOP)], { concurrency: 2 }).pipe(Effect.catchAll(() => Effect.void))
      // a funding time passed in the last minute is booked by now or at the next start
      yield* collectFunding(journal, runId, maker, guard, fundingSince)
      yield* collectFunding(journal, runId, hedge, guard, fundingSince)
      // a request whose reply the stop cut short, or a hedge answered just before it: settled now,
      // so a run that stops cleanly leaves nothing in doubt (else the next start does it)
      // (no wait for a signing window here: the drain above has heard the venues' streams since the
      // stop, and an order booked meanwhile came on them; the adapters wait out their own lost answers)
      const settledAtStop = yield* settleRequestsInDoubt(journal, (id) => id === runId, { maker, hedge }, "stopping").pipe(
        Effect.catchAll((error) =>
          Effect.as(Effect.logWarning(`stopping: could not settle every request by client id (${error.message}); the next start looks them up`), undefined)
        )
      )
      // a maker order booked after the wind-down looked for it: cancelled just now, but what it filled meanwhile is unhedged
      const filledAtStop = settledAtStop?.filledAtStop ?? []
      const openAtStop = settledAtStop?.leftOpenAtStop ?? []
      if (failed === undefined && (filledAtStop.length > 0 || openAtStop.length > 0)) {
        const parts = [
          ...filledAtStop.map((o) =>
            `order ${o.id} on ${o.venue}, booked as the run stopped, ${o.side === "sell" ? "sold" : "bought"} ${formatDecimal(o.filledQty)}${
              o.status === "cancelled" ? " before it was cancelled" : ""
            }: unhedged until the next start hedges it`
          ),
          ...openAtStop.map(({ order, why }) => `order ${order.id} on ${order.venue}, booked as the run stopped, could not be cancelled (${why}): the next start's reconciliation cancels it`)
        ]
        outcome = filledAtStop.length > 0 ? "hedge-failed" : "failed"
        reason = parts.join("; ")
        yield* Effect.logError(`run ${runId} ${outcome}: ${reason}`)
      }
      // a clean end's wind-down that failed: judged now that the requests in doubt are settled
      if (failed === undefined && windDownFailure !== undefined) {
        const left = yield* stillUnhedged(journal, runId, windDownFailure)
        if (left !== undefined) {
          const judged = describeWindDownFailure(left)
          outcome = judged.outcome
          reason = judged.reason
          yield* Effect.logError(`run ${runId} ${outcome}: ${reason}`)
        } else yield* Effect.log(`stopping: hedge ${windDownFailure.hedgeInDoubt} had executed although the wind-down could not look it up: flat across venues`)
      }
      const lacking = yield* completeFillsOfRun(journal, runId, both)
      // the next start reads them (a spot hedge venue's baseline counts them meanwhile)
      if (lacking.length > 0) {
        yield* Effect.logWarning(`stopping: ${lacking.map((o) => `${o.venue} order ${o.id}`).join(", ")} filled more than the journal holds (the venue's history lags); the next start reads the fills`)
      }
      // however it came about (a maker order booked as the run stopped filled, say), a clean end
      // leaves nothing hedgeable unhedged, as the venues' own positions say (the fills a run has
      // heard may lag them); a spot hedge venue's side is what the bot's trading moved there
      if (failed === undefined && (outcome === "stopped" || outcome === "completed")) {
        const read = yield* Effect.either(heldAcrossVenues(journal, venues.maker, venues.hedge, options.kind))
        if (Either.isLeft(read)) yield* Effect.logWarning(`stopping: could not read the venues' positions to check the end is hedged (${read.left.message})`)
        else {
          held = read.right
          if (BigDecimal.greaterThanOrEqualTo(held.hedgeable, held.smallest)) {
            const ending = outcome === "stopped" ? "stop" : "end"
            outcome = "hedge-failed"
            reason = `${formatDecimal(held.imbalance)} unhedged across the venues after the ${ending} (${held.makerVenue} ${formatDecimal(held.makerQty)}, ${held.hedgeVenue} ${
              formatDecimal(held.hedgeQty)
            }${held.hedgeInstrument.kind === "spot" ? " moved by this bot's trading" : ""}): fills the wind-down did not hedge; the next start hedges it`
            yield* Effect.logError(`run ${runId} ${outcome}: ${reason}`)
          }
        }
      }
      const endedAt = yield* Clock.currentTimeMillis
      yield* mustWrite(journal.endRun(runId, { endedAt, outcome, ...(reason !== undefined ? { message: reason } : {}), ...(lacking.length > 0 ? { fillsLacking: true } : {}) }))
    }
    // what the run leaves on live venues: an imbalance, or the pair a stop between the legs leaves (paper venues start flat)
    if (options.kind === "live") yield* positionsLeftHint(config, journal, venues.maker, venues.hedge, held)
    const report = yield* mustWrite(reportFromJournal(options.journalPath, { runId }))
    yield* alerts.send(endedAlert(options.kind, runId, outcome, reason, report, guard.status(yield* Clock.currentTimeMillis).positions))
    return {
      runId,
      outcome,
      ...(reason !== undefined ? { message: reason } : {}),
      report,
      ...(recording !== undefined ? { recording: yield* recording.summary } : {})
    }
  }).pipe(
    // a run that could not start, or whose wind-down failed, has no outcome of its own to report
    Effect.tapErrorCause((cause) =>
      Cause.isInterruptedOnly(cause)
        ? Effect.void
        : Effect.suspend(() => {
          const { outcome, reason } = describeCause(cause)
          return alerts.send(failedAlert(options.kind, reason, outcome))
        })
    )
  )
}

/** The command that unwinds the hedged pair a stop left, and stops (the trader's way out). */
export const unwindOnlyCommand = (config: HedgeConfig): string => `npm run live -- ${config.source} --unwind-only`

/** The venues' holdings against each other: the maker's position, and the hedge venue's (a spot one's: what the bot's trading moved there). */
interface HeldAcrossVenues {
  readonly makerInstrument: Instrument
  readonly hedgeInstrument: Instrument
  readonly makerVenue: Venue
  readonly hedgeVenue: Venue
  readonly makerQty: Decimal
  readonly hedgeQty: Decimal
  /** their sum: what is exposed across the venues */
  readonly imbalance: Decimal
  /** the smallest order the hedge venue takes now (its minimum quantity and value, on its step) */
  readonly smallest: Decimal
  /**
   * how much of the imbalance an order could hedge: a spot sell only what the account holds (the
   * ASTER fees took from what the hedges bought is no exposure, and a start does not sell it)
   */
  readonly hedgeable: Decimal
}

/**
 * Read from the venues, their filters as last read (a venue may have changed them during the
 * run). A spot hedge venue's base balance is not the bot's alone: its side is what the journal's
 * trading moved, its orders whose fills the history has not listed yet included (a start counts
 * it so); a paper book starts flat in each process, so its position is the run's own.
 */
const heldAcrossVenues = (journal: JournalService, maker: Exchange, hedge: Exchange, kind: RunKind) =>
  Effect.gen(function*() {
    const makerInstrument = yield* maker.instrument
    const hedgeInstrument = yield* hedge.instrument
    const makerQty = (yield* maker.position).qty
    const spot = hedgeInstrument.kind === "spot"
    const hedgeQty = spot && kind === "live"
      ? yield* movedByTrading(journal, hedge.venue, hedgeInstrument.symbol, "live", yield* ordersLackingFills(journal))
      : (yield* hedge.position).qty
    const imbalance = BigDecimal.normalize(BigDecimal.sum(makerQty, hedgeQty))
    // at the price a hedge would be sized at (unread: the minimum quantity and step alone)
    const smallest = yield* hedge.ticker.pipe(
      Effect.map((ticker) => minimumHedgeQty(hedgeInstrument, hedgeSizingPrice(ticker))),
      Effect.orElseSucceed(() => minimumHedgeQty(hedgeInstrument, ZERO))
    )
    const heldBase = spot && BigDecimal.isPositive(imbalance)
      ? (yield* hedge.balances).find((b) => b.asset === hedgeInstrument.base)?.free ?? ZERO
      : undefined
    return {
      makerInstrument,
      hedgeInstrument,
      makerVenue: maker.venue,
      hedgeVenue: hedge.venue,
      makerQty,
      hedgeQty,
      imbalance,
      smallest,
      hedgeable: heldBase === undefined ? BigDecimal.abs(imbalance) : BigDecimal.min(BigDecimal.abs(imbalance), heldBase)
    } satisfies HeldAcrossVenues
  })

/**
 * At the end of a live run, what it leaves on the venues (`held`, as the end check read it, or
 * read now): an imbalance (hedges the venue refused to the end), said as an error with what the
 * next start does about it; else the hedged pair a stop between the legs leaves, and what becomes
 * of it. Nothing when flat, too small to trade, or unreadable (the run is ending).
 */
const positionsLeftHint = (config: HedgeConfig, journal: JournalService, maker: Exchange, hedge: Exchange, read: HeldAcrossVenues | undefined) =>
  Effect.gen(function*() {
    const { makerInstrument, hedgeInstrument, makerQty, hedgeQty, imbalance, smallest: smallestOrder, hedgeable } = read ?? (yield* heldAcrossVenues(journal, maker, hedge, "live"))
    const makerName = venueLabel(maker.venue)
    const hedgeName = venueLabel(hedge.venue)
    if (BigDecimal.greaterThanOrEqualTo(hedgeable, smallestOrder)) {
      const order = `an ${hedgeName} market ${BigDecimal.isPositive(imbalance) ? "sell" : "buy"} of ${formatDecimal(BigDecimal.abs(imbalance))}`
      const next = beyondAutoHedge(imbalance, config.risk.maxAutoHedge)
        ? `it is beyond risk.max_auto_hedge ${formatDecimal(config.risk.maxAutoHedge)}, so the next start refuses to trade until it is hedged (${order})`
        : `the next start hedges it before anything else (${order})`
      return yield* Effect.logError(
        `NOT HEDGED: ${makerName} holds ${formatDecimal(makerQty)} ${makerInstrument.base} and ${hedgeName} ${formatDecimal(hedgeQty)}${
          hedgeInstrument.kind === "spot" ? " (what this bot's trading moved)" : ""
        }: ${formatDecimal(imbalance)} ${makerInstrument.base} is exposed until then; ${next}`
      )
    }
    if (BigDecimal.lessThan(hedgeable, BigDecimal.abs(imbalance)) && BigDecimal.lessThan(hedgeable, smallestOrder)) {
      yield* Effect.logWarning(
        `${hedgeName}: this bot's trading counts ${formatDecimal(imbalance)} ${makerInstrument.base} more there than the account holds (the fees taken in ${makerInstrument.base} took it): no exposure, and the next start does not sell it`
      )
    } else if (!BigDecimal.isZero(imbalance)) {
      yield* Effect.logWarning(
        `${formatDecimal(imbalance)} ${makerInstrument.base} stays exposed across the venues: below the ${hedgeName} minimum order size (${formatDecimal(smallestOrder)}), no order can hedge it`
      )
    }
    if (BigDecimal.isZero(makerQty)) return
    const leg = unwindLeg(makerQty, config.trade.quantity, makerInstrument, hedgeInstrument, (yield* maker.ticker).last, hedgeSizingPrice(yield* hedge.ticker))
    if (leg === undefined) return
    yield* Effect.log(
      `${makerName} holds ${formatDecimal(makerQty)} ${makerInstrument.base}, hedged on the other venue: ${
        config.trade.unwindAtStart ? "the next start unwinds it before its first cycle" : "it stays (trade.unwind_at_start is off)"
      }; ${unwindOnlyCommand(config)} unwinds it and stops`
    )
    // a journal that failed reads as a defect: the hint is skipped, the run's end goes on
  }).pipe(Effect.catchAllCause(() => Effect.void))

