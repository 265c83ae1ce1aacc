/** The human-readable summary printed after a run (the JSON report has everything). */
import { BigDecimal } from "effect"
import { decimal } from "../core/domain/decimal"
import type { RunReport } from "../core/report/report"
import type { DayReport } from "../live/journal-report"

const row = (cells: ReadonlyArray<string>, widths: ReadonlyArray<number>) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")

export const formatSummary = (report: RunReport): string => {
  const lines: Array<string> = []
  const flags = [report.data.synthetic ? "SYNTHETIC DATA" : "", report.data.proxy ? `PROXY FEED (${report.data.proxyVenues.map((p) => `${p.venue} from ${p.from}`).join(", ")})` : ""].filter(Boolean)
  lines.push("")
  // a live or paper run replays no tick file: its tick count says nothing
  const span = report.kind === "backtest" ? `${report.data.from} → ${report.data.to}, ${report.data.ticks} ticks` : `${report.data.from} → ${report.data.to}`
  lines.push(`== ${report.kind} report: ${report.data.file} (${span})`)
  if (flags.length > 0) lines.push(`   ${flags.join("; ")}: results are not evidence about the real market`)
  for (const w of report.data.warnings) lines.push(`   warning: ${w}`)
  lines.push(`   run ${report.run.from} → ${report.run.to}: ${report.run.outcome}${report.run.message ? ` (${report.run.message})` : ""}`)
  const widths = [14, 14, 14, 12, 12, 12, 12]
  lines.push("")
  lines.push(row(["venue", "maker volume", "taker volume", "fees", "funding", "pnl", "position"], widths))
  for (const [venue, v] of Object.entries(report.venues)) {
    lines.push(row([venue, v.makerVolume, v.takerVolume, v.fees, v.funding, v.pnl, v.position], widths))
  }
  const t = report.totals
  lines.push(row(["total", t.makerVolume, t.takerVolume, t.fees, t.funding, t.pnl, report.exposure.finalNetPosition], widths))
  // fees charged in another asset than the venue's quote (Aster's "Pay fee in ASTER"): what was paid, as the venue took it
  for (const [venue, v] of Object.entries(report.venues)) {
    for (const [asset, amount] of Object.entries(v.feesCharged ?? {}).filter(([asset]) => asset !== v.quoteAsset)) {
      lines.push(`${venue} fees paid in ${asset}: ${amount} (counted above ${valuedAtFillPrices(report, venue, asset) ? "at their fills' prices" : "at par, not valued"}, in ${v.quoteAsset})`)
    }
  }
  lines.push("")
  lines.push(`volume ${t.volume}  points ${report.points.total} (${Object.entries(report.points.venues).map(([v, p]) => `${v} ${p.points}`).join(", ")}), cost per 1000 points ${report.points.costPer1000Points ?? "n/a"}`)
  const c = report.cycles
  lines.push(`cycles ${c.count}, legs filled ${c.completedLegs}, maker orders ${c.makerOrders} (reposts ${c.reposts}, fill rate ${c.fillRate ?? "n/a"}), mean time to fill ${c.meanTimeToFillSeconds ?? "n/a"} s, funding pauses ${c.fundingPauses}`)
  lines.push(`hedges ${c.hedgeOrders}, hedge slippage ${c.hedgeSlippageBps ?? "n/a"} bps against the quote seen when sending`)
  lines.push(`exposure: max |net| ${report.exposure.maxAbsNetDelta}, unhedged qty×s ${report.exposure.unhedgedQtySeconds}, fills ${report.fills.length}`)
  return lines.join("\n")
}

/**
 * Whether `venue`'s fees in `asset` were valued at their fills' prices (the market's base asset)
 * rather than counted at par (any other asset: see the report's warning): a fill's fee in quote
 * then differs from the fee charged. At a price of exactly 1 both read the same.
 */
const valuedAtFillPrices = (report: RunReport, venue: string, asset: string): boolean =>
  report.fills.some((f) => f.venue === venue && f.feeAsset === asset && f.feeInQuote !== undefined && !BigDecimal.equals(decimal(f.fee), decimal(f.feeInQuote)))

/**
 * One line per UTC day (`npm run report -- … --by-day`), then the whole span's report. Volume,
 * points, fees and funding add up over the days; PnL does not quite: each day values what its own
 * fills left open at its last mark, while the whole span values only what is open at its end.
 */
export const formatDailySummary = (days: ReadonlyArray<DayReport>, whole: RunReport): string => {
  const widths = [10, 5, 14, 14, 12, 12, 12, 10, 7]
  const lines = ["", `== by UTC day: ${whole.data.file}`, row(["day", "runs", "volume", "points", "fees", "funding", "pnl", "cost/1000", "fills"], widths)]
  const line = (label: string, runs: number, r: RunReport) =>
    row([label, String(runs), r.totals.volume, r.points.total, r.totals.fees, r.totals.funding, r.totals.pnl, r.points.costPer1000Points ?? "n/a", String(r.fills.length)], widths)
  for (const { day, runIds, report } of days) lines.push(line(day, runIds.length, report))
  lines.push(line("all", new Set(days.flatMap((d) => d.runIds)).size, whole))
  return lines.join("\n")
}
