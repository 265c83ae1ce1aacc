/**
 * A hedge venue must fund a hedge of trade.quantity at about the ask: on spot the buy itself, with
 * 2 % to spare; on perps the initial margin (notional / leverage, 2 % to spare) plus 0.1 % of the
 * notional for the taker fee.
 */
import { describe, expect, it } from "vitest"
import type { OpeningMargin } from "../src/core/domain/account"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import { hedgeBuyCost, hedgeOpenMargin, paysHedgeBuy, paysHedgeMargin } from "../src/core/strategy/hedge-funds"

describe("hedge funds on a spot hedge venue", () => {
  it("a buy of 10 at 2 needs 20.4 of the quote, and exactly that much pays it", () => {
    expect(formatDecimal(hedgeBuyCost(decimal("10"), decimal("2")))).toBe("20.4")
    expect(paysHedgeBuy(decimal("10"), decimal("2"), decimal("20.4"))).toBe(true)
    expect(paysHedgeBuy(decimal("10"), decimal("2"), decimal("20.39"))).toBe(false)
    expect(paysHedgeBuy(decimal("10"), decimal("2"), decimal("0"))).toBe(false)
  })
})

describe("hedge margin on a perp hedge venue", () => {
  const margin = (available: string, leverage: string): OpeningMargin => ({
    venue: "aster-futures",
    asset: "USDT",
    available: decimal(available),
    leverage: decimal(leverage),
    sharedAcrossAssets: false
  })

  it("a buy of 10 at 2 (20 of notional) at leverage 10 needs 2.04 of margin and 0.02 for the fee: 2.06", () => {
    expect(formatDecimal(hedgeOpenMargin(decimal("10"), decimal("2"), decimal("10")))).toBe("2.06")
    expect(paysHedgeMargin(decimal("10"), decimal("2"), margin("2.06", "10"))).toBe(true)
    expect(paysHedgeMargin(decimal("10"), decimal("2"), margin("2.0599", "10"))).toBe(false)
  })

  it("leverage 1 needs the whole notional; a margin that does not end is rounded up at the 8th decimal, never down", () => {
    expect(formatDecimal(hedgeOpenMargin(decimal("10"), decimal("2"), decimal("1")))).toBe("20.42")
    // 20.4 / 7 = 2.914285714285…, + 0.02 for the fee
    expect(formatDecimal(hedgeOpenMargin(decimal("10"), decimal("2"), decimal("7")))).toBe("2.93428572")
  })

  it("the higher the leverage, the less margin: a hedge refused at 5× opens at 20×", () => {
    const need = (leverage: string) => hedgeOpenMargin(decimal("1000"), decimal("1.5"), decimal(leverage))
    expect([need("5"), need("20")].map(formatDecimal)).toEqual(["307.5", "78"])
    expect(paysHedgeMargin(decimal("1000"), decimal("1.5"), margin("100", "5"))).toBe(false)
    expect(paysHedgeMargin(decimal("1000"), decimal("1.5"), margin("100", "20"))).toBe(true)
  })
})
