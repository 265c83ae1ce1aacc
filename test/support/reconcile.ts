/**
 * Recomputes a report's PnL from the fills and funding it lists (the reconciliation users rely on).
 * A fee is taken in the venue's quote asset: as charged when charged in it (or in no asset named),
 * else (a fee charged in the base asset) at the fill's price; a fill's `feeInQuote` must say the same.
 */
import { BigDecimal } from "effect"
import { type Decimal, decimal, formatDecimal, ZERO } from "../../src/core/domain/decimal"
import type { RunReport } from "../../src/core/report/report"

export const pnlFromListedCashFlows = (report: RunReport): string => {
  const positions = new Map<string, Decimal>()
  let pnl = ZERO
  for (const f of report.fills) {
    const notional = BigDecimal.multiply(decimal(f.price), decimal(f.qty))
    const inQuote = f.feeAsset === "" || f.feeAsset === report.venues[f.venue]?.quoteAsset ? decimal(f.fee) : BigDecimal.multiply(decimal(f.fee), decimal(f.price))
    if (f.feeInQuote !== undefined && !BigDecimal.equals(decimal(f.feeInQuote), inQuote)) {
      throw new Error(`fill ${f.orderId} at ${f.ts}: feeInQuote ${f.feeInQuote} ≠ ${formatDecimal(inQuote)} (fee ${f.fee} ${f.feeAsset} at ${f.price})`)
    }
    pnl = BigDecimal.sum(pnl, BigDecimal.subtract(f.side === "sell" ? notional : BigDecimal.negate(notional), inQuote))
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
