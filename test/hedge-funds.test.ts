/** A spot hedge venue must pay a hedge buy of trade.quantity at about the ask, with 2 % to spare. */
import { describe, expect, it } from "vitest"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import { hedgeBuyCost, paysHedgeBuy } from "../src/core/strategy/hedge-funds"

describe("hedge funds on a spot hedge venue", () => {
  it("a buy of 10 at 2 needs 20.4 of the quote, and exactly that much pays it", () => {
    expect(formatDecimal(hedgeBuyCost(decimal("10"), decimal("2")))).toBe("20.4")
    expect(paysHedgeBuy(decimal("10"), decimal("2"), decimal("20.4"))).toBe(true)
    expect(paysHedgeBuy(decimal("10"), decimal("2"), decimal("20.39"))).toBe(false)
    expect(paysHedgeBuy(decimal("10"), decimal("2"), decimal("0"))).toBe(false)
  })
})
