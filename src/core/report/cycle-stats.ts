/**
 * The report's cycle statistics, counted the same way whether the events come from a running
 * strategy (backtest) or from a journal's rows (live and paper reports).
 */
import { BigDecimal } from "effect"
import { type Decimal, ZERO } from "../domain/decimal"
import type { Side } from "../domain/order"
import type { CycleStats } from "./report"

export class CycleStatsCounter {
  private stats: { -readonly [K in keyof CycleStats]: CycleStats[K] } = {
    count: 0,
    completedLegs: 0,
    makerOrders: 0,
    reposts: 0,
    totalTimeToFillMs: 0,
    hedgeOrders: 0,
    fundingPauses: 0,
    hedgeQty: ZERO,
    hedgeSlippageQuote: ZERO,
    hedgeReferenceQuote: ZERO
  }

  cycleStarted(): void {
    this.stats.count += 1
  }

  fundingPause(): void {
    this.stats.fundingPauses += 1
  }

  makerOrder(repost: boolean): void {
    this.stats.makerOrders += 1
    if (repost) this.stats.reposts += 1
  }

  /** A leg over, posted at `startedAt` and done at `filledAt`; one that placed no order (new filters ended it first) filled nothing and is not counted. */
  legCompleted(startedAt: number, filledAt: number, orders: number): void {
    if (orders === 0) return
    this.stats.completedLegs += 1
    this.stats.totalTimeToFillMs += filledAt - startedAt
  }

  /** A strategy hedge answered by the venue; its slippage counts when it executed and had a reference quote. */
  hedge(side: Side, executed: { readonly qty: Decimal; readonly quote: Decimal; readonly referencePrice: Decimal } | undefined): void {
    this.stats.hedgeOrders += 1
    if (executed === undefined || !BigDecimal.isPositive(executed.qty)) return
    // slippage: what was paid beyond the quote seen when sending (sells: received below it)
    const atReference = BigDecimal.multiply(executed.referencePrice, executed.qty)
    const beyond = BigDecimal.subtract(executed.quote, atReference)
    this.stats.hedgeQty = BigDecimal.sum(this.stats.hedgeQty, executed.qty)
    this.stats.hedgeSlippageQuote = BigDecimal.sum(this.stats.hedgeSlippageQuote, side === "buy" ? beyond : BigDecimal.negate(beyond))
    this.stats.hedgeReferenceQuote = BigDecimal.sum(this.stats.hedgeReferenceQuote, atReference)
  }

  get current(): CycleStats {
    return { ...this.stats }
  }
}
