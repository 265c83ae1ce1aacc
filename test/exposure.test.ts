/** The strategy's count of unhedged quantity: each maker fill counted once, in a bounded memory. */
import { describe, expect, it } from "vitest"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import type { Order } from "../src/core/domain/order"
import { Exposure } from "../src/core/strategy/exposure"

const makerOrder = (id: string, side: Order["side"], filled: string, status: Order["status"] = "partially-filled"): Order => ({
  venue: "backpack",
  symbol: "ASTER_USDC_PERP",
  id,
  clientId: `hl-${id}`,
  side,
  type: "limit",
  qty: decimal("10"),
  price: decimal("2"),
  filledQty: decimal(filled),
  filledQuote: decimal("0"),
  status,
  postOnly: true,
  timeInForce: "GTC",
  createdAt: 0,
  updatedAt: 0
})

const text = (exposure: Exposure) => formatDecimal(exposure.unhedged)

describe("Exposure", () => {
  it("counts a maker order's cumulative fills once, whatever source repeats them", () => {
    const exposure = new Exposure()
    expect(formatDecimal(exposure.absorbMakerOrder(makerOrder("a", "sell", "3")))).toBe("3")
    // the same state again (a cancel reply after the stream message) and an older one
    expect(formatDecimal(exposure.absorbMakerOrder(makerOrder("a", "sell", "3")))).toBe("0")
    expect(formatDecimal(exposure.absorbMakerOrder(makerOrder("a", "sell", "1")))).toBe("0")
    expect(formatDecimal(exposure.absorbMakerOrder(makerOrder("a", "sell", "10", "filled")))).toBe("7")
    expect(text(exposure)).toBe("-10")
    exposure.absorbHedge("buy", decimal("10"))
    expect(text(exposure)).toBe("0")
  })

  it("keeps the counts of its newest filled orders only, so a run of weeks does not grow", () => {
    const exposure = new Exposure(2)
    exposure.absorbMakerOrder(makerOrder("a", "sell", "6"))
    exposure.absorbMakerOrder(makerOrder("b", "buy", "10", "filled"))
    // "a" fills again after "b": it becomes the newest, and "b" the oldest
    exposure.absorbMakerOrder(makerOrder("a", "sell", "10", "filled"))
    exposure.absorbMakerOrder(makerOrder("c", "sell", "2"))
    expect(formatDecimal(exposure.filledOf("a"))).toBe("10")
    expect(formatDecimal(exposure.filledOf("c"))).toBe("2")
    expect(formatDecimal(exposure.filledOf("b"))).toBe("0")
    // the remembered ones still refuse a repeat
    expect(formatDecimal(exposure.absorbMakerOrder(makerOrder("a", "sell", "10", "filled")))).toBe("0")
    expect(formatDecimal(exposure.absorbMakerOrder(makerOrder("c", "sell", "2")))).toBe("0")
    expect(text(exposure)).toBe("-2")
  })
})
