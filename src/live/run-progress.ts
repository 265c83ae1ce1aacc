/**
 * What a live run has done so far, in its log: at the start of each cycle after the first, one
 * line with the volume, points estimate, fees, funding and PnL of the cycles before it, so a
 * trader watching the console sees what the farming costs without waiting for the report.
 * Figures come from the kill switch's books (every fill and funding payment the run has seen);
 * the report built from the journal at the end is the reference.
 */
import { BigDecimal, Clock, Effect, Option } from "effect"
import type { PointsWeights } from "../core/config/config"
import { type Decimal, formatDecimal, ZERO } from "../core/domain/decimal"
import type { Venue } from "../core/domain/venue"
import { pointsEarned } from "../core/report/report"
import type { StrategyObserverService } from "../core/strategy/observer"
import type { RiskGuard, RiskStatus } from "../core/risk/risk-guard"

/** rounded for a log line (the report keeps every digit): volumes to cents, costs to 1/100 cent */
const rounded = (scale: number) => (d: Decimal): string => formatDecimal(BigDecimal.round(d, { scale, mode: "half-even" }))
export const volumeText = rounded(2)
export const money = rounded(4)

export const describeProgress = (cycle: number, status: RiskStatus, points: ReadonlyMap<Venue, PointsWeights>): string => {
  let volume = ZERO
  let fees = ZERO
  let funding = ZERO
  let totalPoints = ZERO
  const parts: Array<string> = []
  for (const v of status.venues) {
    volume = BigDecimal.sum(volume, BigDecimal.sum(v.makerVolume, v.takerVolume))
    fees = BigDecimal.sum(fees, v.fees)
    funding = BigDecimal.sum(funding, v.funding)
    const weights = points.get(v.venue)
    if (weights !== undefined) totalPoints = BigDecimal.sum(totalPoints, pointsEarned(weights, v.makerVolume, v.takerVolume))
    const sides = [BigDecimal.isZero(v.makerVolume) ? "" : `maker ${volumeText(v.makerVolume)}`, BigDecimal.isZero(v.takerVolume) ? "" : `taker ${volumeText(v.takerVolume)}`]
    parts.push(`${v.venue} ${sides.filter(Boolean).join(" + ") || "0"}`)
  }
  const positions = status.positions.map((p) => `${p.venue} ${formatDecimal(p.qty)}`).join(", ")
  return [
    `[Cycle ${cycle}] run so far: volume ${volumeText(volume)} (${parts.join(", ") || "no fills"})`,
    `points ≈ ${volumeText(totalPoints)}`,
    `fees ${money(fees)}`,
    `funding ${money(funding)}`,
    `PnL ${money(status.pnl)} (marked to market)`,
    ...Option.match(status.pnlLastDay, { onNone: () => [], onSome: (pnl) => [`last 24 h ${money(pnl)} (earlier runs included)`] }),
    `positions ${positions || "none"}`
  ].join(", ")
}

/** `inner`, plus the progress line when each cycle after the first starts. */
export const progressObserver = (
  guard: RiskGuard,
  points: ReadonlyMap<Venue, PointsWeights>,
  inner: StrategyObserverService
): StrategyObserverService => ({
  ...inner,
  cycleStarted: (cycle, ts) =>
    Effect.zipRight(
      inner.cycleStarted(cycle, ts),
      cycle > 1 ? Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.log(describeProgress(cycle, guard.status(now), points))) : Effect.void
    )
})
