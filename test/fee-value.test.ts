/**
 * Fees charged in another asset than the quote (Aster's "Pay fee in ASTER"): valued at the fill's
 * price wherever money is counted — the report, the kill switch's PnL, the last 24 hours — and
 * listed as charged. Every figure is worked out by hand in the comments.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Schema } from "effect"
import { feeValuation, type TradedMarket } from "../src/core/accounting/fee-value"
import { Ledger } from "../src/core/accounting/ledger"
import { decimal, formatDecimal, ZERO } from "../src/core/domain/decimal"
import type { Fill } from "../src/core/domain/order"
import { buildReport, RunReport } from "../src/core/report/report"
import { RiskGuard } from "../src/core/risk/risk-guard"
import { TrailingPnl } from "../src/core/risk/trailing-pnl"
import { fillOf } from "./support/fills"
import { pnlFromListedCashFlows } from "./support/reconcile"

const s = formatDecimal
const MARKETS: ReadonlyArray<TradedMarket> = [
  { venue: "backpack", symbol: "ASTER_USDC_PERP", base: "ASTER", quote: "USDC" },
  { venue: "aster-futures", symbol: "ASTERUSDT", base: "ASTER", quote: "USDT" }
]
const charged = (fill: Fill, fee: string, feeAsset: string): Fill => ({ ...fill, fee: decimal(fee), feeAsset })

/** A hedged pair: Backpack sells 10 at 2 (fee 0.004 USDC), Aster buys 10 at 2.001 with its fee paid in ASTER (0.0033 ASTER). */
const pair = (asterFee = "0.0033", asterFeeAsset = "ASTER"): ReadonlyArray<Fill> => [
  fillOf("backpack", "sell", "10", "2", "0.004", 1_000),
  charged(fillOf("aster-futures", "buy", "10", "2.001", "0", 2_000), asterFee, asterFeeAsset)
]

describe("feeValuation", () => {
  const value = feeValuation(MARKETS)

  it("a fee in the quote asset is taken as charged; one in the base asset at the fill's price", () => {
    const [maker, hedge] = pair()
    expect([s(value(maker!).inQuote), value(maker!).basis]).toEqual(["0.004", "as-charged"])
    // 0.0033 ASTER × 2.001 USDT = 0.0066033 USDT
    expect([s(value(hedge!).inQuote), value(hedge!).basis]).toEqual(["0.0066033", "at-fill-price"])
  })

  it("another asset is counted at par and says so; a market it does not know, or no asset named, as charged", () => {
    const [, hedge] = pair("0.00105", "BNB")
    expect([s(value(hedge!).inQuote), value(hedge!).basis]).toEqual(["0.00105", "at-par"])
    const otherSymbol = { ...charged(fillOf("aster-futures", "buy", "1", "3", "0"), "0.5", "ASTER"), symbol: "BTCUSDT" }
    expect(value(otherSymbol).basis).toBe("as-charged")
    expect(value(charged(fillOf("aster-futures", "buy", "1", "3", "0"), "0.001", "")).basis).toBe("as-charged")
  })
})

describe("a report whose hedge fees were paid in ASTER", () => {
  const reportOf = (fills: ReadonlyArray<Fill>) => {
    const ledger = new Ledger(["backpack", "aster-futures"], feeValuation(MARKETS))
    for (const fill of fills) ledger.recordFill(fill)
    ledger.close(2_000)
    const built = buildReport({
      kind: "live",
      data: { file: "journal.db", source: "journal", synthetic: false, proxy: false, proxyVenues: [], from: "", to: "", ticks: 0, warnings: [] },
      config: {},
      run: { from: "", to: "", outcome: "completed" },
      ledger,
      venues: [
        { venue: "backpack", symbol: "ASTER_USDC_PERP", quoteAsset: "USDC", markPrice: decimal("2"), points: { makerWeight: decimal("1"), takerWeight: decimal("1") } },
        { venue: "aster-futures", symbol: "ASTERUSDT", quoteAsset: "USDT", markPrice: decimal("2"), points: { makerWeight: decimal("1"), takerWeight: decimal("2") } }
      ],
      cycles: { count: 1, completedLegs: 1, makerOrders: 1, reposts: 0, totalTimeToFillMs: 0, hedgeOrders: 1, fundingPauses: 0, hedgeQty: ZERO, hedgeSlippageQuote: ZERO, hedgeReferenceQuote: ZERO }
    })
    return Schema.decodeUnknownSync(RunReport)(JSON.parse(JSON.stringify(built)))
  }

  it("counts them at the fill's price in the fees and the PnL, lists them as charged, and still reconciles", () => {
    const report = reportOf(pair())
    // Aster: 0.0033 ASTER × 2.001 = 0.0066033; the total adds Backpack's 0.004
    expect(report.venues["aster-futures"]!.fees).toBe("0.0066033")
    expect(report.venues["aster-futures"]!.feesCharged).toEqual({ ASTER: "0.0033" })
    expect(report.venues["backpack"]!.feesCharged).toEqual({ USDC: "0.004" })
    expect(report.totals.fees).toBe("0.0106033")
    // spread 20 − 20.01 = −0.01, minus the fees: −0.0206033
    expect(report.totals.pnl).toBe("-0.0206033")
    expect(report.fills.map((f) => [f.fee, f.feeAsset, f.feeInQuote])).toEqual([["0.004", "USDC", "0.004"], ["0.0033", "ASTER", "0.0066033"]])
    expect(pnlFromListedCashFlows(report)).toBe(report.totals.pnl)
    expect(report.data.warnings).toEqual([])
  })

  it("a fee in an asset of neither side is counted at par, with a warning naming it", () => {
    const report = reportOf(pair("0.00105", "BNB"))
    expect(report.totals.fees).toBe("0.00505")
    expect(report.data.warnings).toEqual([expect.stringMatching(/^fees charged in BNB are counted at par with USDC and USDT/)])
  })
})

describe("the kill switch counts them at the fill's price", () => {
  it.effect("in this run's PnL and in the last 24 hours'", () =>
    Effect.gen(function*() {
      const limits = { maxUnhedgedQtySeconds: decimal("1000"), maxConsecutiveHedgeFailures: 3, maxPosition: decimal("100"), maxLoss: decimal("50"), maxLossPerDay: Option.some(decimal("100")) }
      const guard = yield* RiskGuard.make(limits, MARKETS)
      for (const fill of pair()) yield* guard.recordFill(fill)
      // each venue marked at its last fill: the fees alone, 0.004 + 0.0066033 (at par, 0.0033 ASTER would count as 0.0033)
      expect(s(guard.status(2_000).pnl)).toBe("-0.0106033")
      expect(Option.map(guard.status(2_000).pnlLastDay, s)).toEqual(Option.some("-0.0106033"))
      const aster = guard.status(2_000).venues.find((v) => v.venue === "aster-futures")!
      expect(s(aster.fees)).toBe("0.0066033")
    }))

  it("TrailingPnl on its own (the start's check reads earlier runs through it)", () => {
    const window = new TrailingPnl(60_000, MARKETS)
    for (const fill of pair()) window.addFill(fill)
    expect(s(window.pnlAt(2_000))).toBe("-0.0106033")
  })
})
