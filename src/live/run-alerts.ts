/**
 * What the live runner tells the trader through alerts (alerts.ts): that a run started trading,
 * that a hedge attempt failed (the first at once, then at most one a minute with the count of
 * those in between), that a loss limit is near, and how the run ended, with what it did and what
 * to do now.
 */
import { BigDecimal, Clock, Effect, Option } from "effect"
import type { HedgeConfig } from "../core/config/config"
import { type Decimal, decimal, formatDecimal, ZERO } from "../core/domain/decimal"
import type { RunReport } from "../core/report/report"
import type { RiskGuard } from "../core/risk/risk-guard"
import type { StrategyObserverService } from "../core/strategy/observer"
import { makeRepeatLimiter } from "../adapters/common/warning-limiter"
import type { Alert, AlertsService } from "./alerts"
import type { RunKind } from "./journal"
import { money, volumeText } from "./run-progress"
import type { RunOutcome } from "./runner"

/** What the trader should do after each outcome (the exit codes of runner.ts). */
const AFTERWARDS: Record<RunOutcome, string> = {
  completed: "it ran its trade.max_cycles",
  stopped: "stopped on request",
  "kill-switch": "exit 3: a safety limit stopped it; look before restarting (a supervisor does not restart it)",
  "hedge-failed": "exit 3: a hedge could not be placed; look before restarting (a supervisor does not restart it)",
  refused: "exit 4: it refused to start trading; a person must look",
  failed: "exit 1: a supervisor restarts it after a pause, and the start reconciles first"
}

/** A report's figures as the alerts write them: "volume …, points ≈ …, fees …, funding …, PnL …" (rounded as the run's progress lines are). */
export const reportFigures = (report: RunReport): string =>
  `volume ${volumeText(decimal(report.totals.volume))}, points ≈ ${volumeText(decimal(report.points.total))}, fees ${money(decimal(report.totals.fees))}, ` +
  `funding ${money(decimal(report.totals.funding))}, PnL ${money(decimal(report.totals.pnl))}`

const capitalized = (text: string) => `${text.charAt(0).toUpperCase()}${text.slice(1)}`

export const startedAlert = (kind: RunKind, runId: number, config: HedgeConfig, reconciled: string): Alert => ({
  event: "started",
  severity: "info",
  kind,
  runId,
  text: `hedgeloop ${kind} run ${runId} started trading ${config.maker.symbol} (${config.maker.venue}) against ${config.hedge.symbol} (${config.hedge.venue}), ` +
    `${formatDecimal(config.trade.quantity)} per leg; ${reconciled}`
})

/**
 * `held`: what each venue holds as the run ends (earlier runs' leftovers included, as the kill
 * switch and the progress lines count them): the positions listed and the net they add up to.
 * (The report's per-venue positions count this run's fills only.)
 */
export const endedAlert = (
  kind: RunKind,
  runId: number,
  outcome: RunOutcome,
  reason: string | undefined,
  report: RunReport,
  held: ReadonlyArray<{ readonly venue: string; readonly qty: Decimal }>
): Alert => {
  const net = held.reduce((sum, p) => BigDecimal.sum(sum, p.qty), ZERO)
  const hedged = BigDecimal.isZero(net)
  const positions = held.map((p) => `${p.venue} ${formatDecimal(p.qty)}`).join(", ")
  return {
    event: "ended",
    severity: outcome === "completed" || outcome === "stopped" ? (hedged ? "info" : "warning") : "critical",
    kind,
    runId,
    text: [
      `hedgeloop ${kind} run ${runId} ended: ${outcome}${reason !== undefined ? ` (${reason})` : ""}.`,
      `${capitalized(reportFigures(report))}; ${report.cycles.count} cycle(s), ${report.fills.length} fill(s).`,
      // none read: a start refused before it took the venues' positions (its reason says what it found)
      held.length === 0 ? "" : hedged ? `Hedged: net 0 across venues (${positions}).` : `NOT HEDGED: net ${formatDecimal(net)} across venues (${positions}).`,
      `${AFTERWARDS[outcome]}.`
    ].filter((part) => part !== "").join(" ")
  }
}

/**
 * The run stopped without an outcome of its own: it could not start, or its wind-down failed.
 * `outcome` says what the process does next (an account the bot cannot trade is refused: exit 4,
 * no restart).
 */
export const failedAlert = (kind: RunKind, reason: string, outcome: RunOutcome = "failed"): Alert => ({
  event: "start-failed",
  severity: "critical",
  kind,
  text: `hedgeloop ${kind} run ${outcome === "refused" ? "refused to start" : "failed"}: ${reason}. ${capitalized(AFTERWARDS[outcome])}.`
})

/** Tells `inner` everything and the trader about failed hedge attempts, at most once a minute. */
export const hedgeFailureAlerts = (alerts: AlertsService, kind: RunKind, runId: number, inner: StrategyObserverService, everyMs = 60_000): StrategyObserverService => {
  const limited = makeRepeatLimiter(everyMs)
  return {
    ...inner,
    hedgeFailed: (event) =>
      Effect.zipRight(
        inner.hedgeFailed?.(event) ?? Effect.void,
        limited("hedge-failed", (repeats) => {
          const more = repeats !== undefined && repeats > 0 ? ` (${repeats} more failed attempt(s) since the last alert)` : ""
          return alerts.send({
            event: "hedge-failed",
            severity: "warning",
            kind,
            runId,
            text: `hedgeloop ${kind} run ${runId}: hedge ${event.side} ${formatDecimal(event.qty)} (cycle ${event.cycle}, leg ${event.leg}) failed: ${event.reason}${more}; ` +
              "the strategy retries, and the kill switch stops the run after risk.max_consecutive_hedge_failures"
          })
        })
      )
  }
}

/**
 * Tells `inner` everything and the trader when a venue changed its filters during the run: the
 * bot trades on the new ones, but a coarser tick or a larger step changes what each cycle costs
 * and earns, and a quantity that no longer fits stops the run at the next cycle.
 */
export const filterChangeAlerts = (alerts: AlertsService, kind: RunKind, runId: number, inner: StrategyObserverService): StrategyObserverService => ({
  ...inner,
  filtersChanged: (event) =>
    Effect.zipRight(
      inner.filtersChanged?.(event) ?? Effect.void,
      alerts.send({
        event: "filters-changed",
        severity: "warning",
        kind,
        runId,
        text: `hedgeloop ${kind} run ${runId}: ${event.venue} changed ${event.symbol}'s filters (${event.changes.join(", ")}), read anew after ${event.why} (cycle ${event.cycle}); ` +
          "the bot trades on the new ones, and stops at a cycle's start if trade.quantity no longer fits them"
      })
    )
})

const minutes = (ms: number) => (ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`)

/**
 * Tells `inner` everything and the trader when a maker leg has held its order back for a minute
 * (a hedge venue down or not trading, a maker market closed to post-only orders), and when it
 * posts again: a bot that waits earns nothing, and may wait for hours.
 */
export const postingHeldAlerts = (alerts: AlertsService, kind: RunKind, runId: number, inner: StrategyObserverService): StrategyObserverService => ({
  ...inner,
  postingHeld: (event) =>
    Effect.zipRight(
      inner.postingHeld?.(event) ?? Effect.void,
      alerts.send(
        event.phase === "held"
          ? {
            event: "posting-held",
            severity: "warning",
            kind,
            runId,
            text: `hedgeloop ${kind} run ${runId}: no maker order posted for ${minutes(event.heldForMs)} (cycle ${event.cycle}, leg ${event.leg}): ${event.reason}; ` +
              "the bot checks every 5 s and posts as soon as it can"
          }
          : {
            event: "posting-resumed",
            severity: "info",
            kind,
            runId,
            text: `hedgeloop ${kind} run ${runId}: posting again after ${minutes(event.heldForMs)} held back (cycle ${event.cycle}, leg ${event.leg}; it was: ${event.reason})`
          }
      )
    )
})

/**
 * Tells `inner` everything and the trader when a hedge waits for its market to reopen (at once: a
 * fill is unhedged meanwhile), and when it goes.
 */
export const hedgeHeldAlerts = (alerts: AlertsService, kind: RunKind, runId: number, inner: StrategyObserverService): StrategyObserverService => ({
  ...inner,
  hedgeHeld: (event) =>
    Effect.zipRight(
      inner.hedgeHeld?.(event) ?? Effect.void,
      alerts.send(
        event.phase === "held"
          ? {
            event: "hedge-held",
            severity: "warning",
            kind,
            runId,
            text: `hedgeloop ${kind} run ${runId}: hedge ${event.side} ${formatDecimal(event.qty)} (cycle ${event.cycle}, leg ${event.leg}) waits: ${event.reason}; ` +
              `${formatDecimal(BigDecimal.abs(event.unhedged))} ${event.asset} unhedged meanwhile. The bot reads the market every 10 s and hedges as soon as it trades; ` +
              "the kill switch stops the run after risk.max_unhedged_qty_seconds"
          }
          : {
            event: "hedge-resumed",
            severity: "info",
            kind,
            runId,
            text: `hedgeloop ${kind} run ${runId}: hedging ${event.side} ${formatDecimal(event.qty)} (cycle ${event.cycle}, leg ${event.leg}) after waiting ${minutes(event.heldForMs)} for the market (it was: ${event.reason})`
          }
      )
    )
})

/** The share of a loss limit that warns the trader, and the share below which a warning re-arms. */
const WARN_AT = decimal("0.8")
const REARM_BELOW = decimal("0.6")

/**
 * Tells `inner` everything and, at the start of each cycle, warns the trader once a loss limit is
 * 80 % used (risk.max_loss for this run, risk.max_loss_per_day over the last 24 hours), while
 * there is still time to act; the warning comes again only after the loss fell below 60 %.
 */
export const lossWarnings = (alerts: AlertsService, guard: RiskGuard, kind: RunKind, runId: number, inner: StrategyObserverService): StrategyObserverService => {
  const armed = { run: true, day: true }
  const judge = (which: keyof typeof armed, pnl: Decimal, limit: Decimal, key: string, subject: string): Effect.Effect<void> => {
    const used = BigDecimal.divide(BigDecimal.negate(pnl), limit).pipe(Option.getOrElse(() => ZERO))
    if (!armed[which]) {
      if (BigDecimal.lessThan(used, REARM_BELOW)) armed[which] = true
      return Effect.void
    }
    if (BigDecimal.lessThan(used, WARN_AT)) return Effect.void
    armed[which] = false
    const percent = BigDecimal.round(BigDecimal.multiply(used, decimal("100")), { scale: 0, mode: "to-zero" })
    return alerts.send({
      event: "loss-warning",
      severity: "warning",
      kind,
      runId,
      text: `hedgeloop ${kind} run ${runId}: ${subject} is ${money(pnl)}, ${formatDecimal(percent)}% of ${key} (${formatDecimal(limit)}): ` +
        `the kill switch stops the run at -${formatDecimal(limit)}`
    })
  }
  return {
    ...inner,
    cycleStarted: (cycle, ts) =>
      Effect.zipRight(
        inner.cycleStarted(cycle, ts),
        Effect.flatMap(Clock.currentTimeMillis, (now) => {
          const status = guard.status(now)
          const limits = guard.limits
          return Effect.zipRight(
            judge("run", status.pnl, limits.maxLoss, "risk.max_loss", "this run's PnL"),
            Option.isSome(limits.maxLossPerDay) && Option.isSome(status.pnlLastDay)
              ? judge("day", status.pnlLastDay.value, limits.maxLossPerDay.value, "risk.max_loss_per_day", "the last 24 hours' PnL (earlier runs included)")
              : Effect.void
          )
        })
      )
  }
}
