/** The kill switch's limits for tests: every one far away unless a test sets it. */
import { Option } from "effect"
import type { TradedMarket } from "../../src/core/accounting/fee-value"
import { decimal } from "../../src/core/domain/decimal"
import type { RiskLimits } from "../../src/core/risk/risk-guard"

export const farLimits = (overrides: Partial<RiskLimits> = {}): RiskLimits => ({
  maxUnhedgedQtySeconds: decimal("1000000000"),
  maxConsecutiveHedgeFailures: 1000,
  maxPosition: decimal("1000000000"),
  maxLoss: decimal("1000000000"),
  maxLossPerDay: Option.none(),
  ...overrides
})

/** The ASTER pair's two markets, so fees charged in ASTER are valued. */
export const ASTER_PAIR_MARKETS: ReadonlyArray<TradedMarket> = [
  { venue: "backpack", symbol: "ASTER_USDC_PERP", base: "ASTER", quote: "USDC" },
  { venue: "aster-futures", symbol: "ASTERUSDT", base: "ASTER", quote: "USDT" }
]
