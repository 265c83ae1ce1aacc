/**
 * The alerts' daily digest: a few seconds after each UTC midnight while a run trades, the day
 * that ended as `npm run report -- JOURNAL --kind KIND --since DAY --until DAY+1` reports it
 * (every run of that kind the day saw, restarts included): what was farmed and what it cost.
 */
import { Clock, Duration, Effect } from "effect"
import { decimal } from "../core/domain/decimal"
import { DAY_MS } from "../core/risk/trailing-pnl"
import type { AlertsService } from "./alerts"
import type { RunKind } from "./journal"
import { dailyReportsFromJournal, type DayReport } from "./journal-report"
import { reportFigures } from "./run-alerts"
import { money } from "./run-progress"

/** after midnight: the day's last fills, funding and marks are journalled by then */
export const DIGEST_DELAY_MS = 10_000

export const digestText = (kind: RunKind, { day, runIds, report }: DayReport): string => {
  const costs = report.points.costPer1000Points
  return `hedgeloop ${kind}, ${day} (UTC): ${reportFigures(report)}` +
    `${costs === null ? "" : `, cost per 1000 points ${money(decimal(costs))}`}; ${report.cycles.count} cycle(s), ${report.fills.length} fill(s), ${runIds.length} run(s)`
}

/** Runs until interrupted (with the run): one digest per UTC day, never failing the run. */
export const dailyDigest = (alerts: AlertsService, journalPath: string, kind: RunKind): Effect.Effect<never> =>
  Effect.forever(
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const midnight = (Math.floor((now - DIGEST_DELAY_MS) / DAY_MS) + 1) * DAY_MS
      yield* Effect.sleep(Duration.millis(midnight + DIGEST_DELAY_MS - now))
      // a day no run traded in (a run started in the seconds after its midnight) has nothing to tell
      const days = yield* dailyReportsFromJournal(journalPath, { kind, since: midnight - DAY_MS, until: midnight, quietWhenNoRun: true })
      for (const day of days) yield* alerts.send({ event: "daily", severity: "info", kind, text: digestText(kind, day) })
    }).pipe(Effect.catchAll((error) => Effect.logWarning(`alerts: the daily digest could not be built: ${error.message}`)))
  )
