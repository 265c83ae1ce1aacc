/** Recomputes a report's PnL from the fills and funding it lists (the reconciliation users rely on). */
import { BigDecimal } from "effect"
import { type Decimal, decimal, formatDecimal, ZERO } from "../../src/core/domain/decimal"
import type { RunReport } from "../../src/core/report/report"

export const pnlFromListedCashFlows = (report: RunReport): string => {
  const positions = new Map<string, Decimal>()
  let pnl = ZERO
  for (const f of report.fills) {
    const notional = BigDecimal.multiply(decimal(f.price), decimal(f.qty))
    pnl = BigDecimal.sum(pnl, BigDecimal.subtract(f.side === "sell" ? notional : BigDecimal.negate(notional), decimal(f.fee)))
    const q = decimal(f.qty)
    positions.set(f.venue, BigDecimal.sum(positions.get(f.venue) ?? ZERO, f.side === "buy" ? q : BigDecimal.negate(q)))
  }
  for (const p of report.funding) pnl = BigDecimal.sum(pnl, decimal(p.amount))
  for (const [venue, position] of positions) {
    const mark = report.venues[venue]?.markPrice
    if (mark === undefined) throw new Error(`report has fills on ${venue} but no venue entry`)
    pnl = BigDecimal.sum(pnl, BigDecimal.multiply(position, decimal(mark)))
  }
  return formatDecimal(pnl)
}
