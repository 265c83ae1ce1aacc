/** The legs that unwind a hedged pair an interrupted run left, before the first cycle. */
import { describe, expect, it } from "vitest"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import type { Instrument } from "../src/core/domain/instrument"
import { shrunkByUnwinding, unwindLeg } from "../src/core/strategy/unwind"
import { PERP } from "./support/fake-local-venue"

/** Aster futures as it trades ASTERUSDT: step 0.01, min notional 5 USDT */
const ASTER: Instrument = { ...PERP, venue: "aster-futures", symbol: "ASTERUSDT", quote: "USDT", minNotional: decimal("5") }
const PRICE = decimal("2")
const QUANTITY = decimal("10")

const leg = (position: string, hedge: Instrument = ASTER, hedgePrice = PRICE) => {
  const found = unwindLeg(decimal(position), QUANTITY, PERP, hedge, PRICE, hedgePrice)
  return found === undefined ? undefined : `${found.side} ${formatDecimal(found.qty)}`
}

describe("unwindLeg", () => {
  it("buys back a short maker position and sells a long one, one leg's quantity at most", () => {
    // a stop between the legs: leg 1 sold 10 on Backpack (and bought 10 on Aster)
    expect(leg("-10")).toBe("buy 10")
    // a stop inside leg 1, after a partial fill: only that much
    expect(leg("-3.37")).toBe("buy 3.37")
    expect(leg("4")).toBe("sell 4")
    // several interrupted runs: a leg at a time
    expect(leg("-25")).toBe("buy 10")
    expect(leg("0")).toBeUndefined()
  })

  it("keeps to both venues' step grids, and leaves what one of them cannot trade", () => {
    expect(leg("-3.37", { ...ASTER, stepSize: decimal("0.1"), minQty: decimal("0.1") })).toBe("buy 3.3")
    // 2.4 × 2 = 4.8 USDT: below Aster's 5 USDT minimum, so no hedge could follow
    expect(leg("-2.4")).toBeUndefined()
    expect(leg("-2.5")).toBe("buy 2.5")
    // the hedge's minimum at the hedge venue's own (lower) price: 2.5 × 1.9995 < 5, so none
    expect(leg("-2.5", ASTER, decimal("1.9995"))).toBeUndefined()
    // below either venue's step
    expect(leg("-0.005")).toBeUndefined()
  })

  it("shrinks the maker position, and the hedge venue's when it is the pair's other side (what the kill switch lets shrink from beyond max_position)", () => {
    const shrunk = (maker: string, hedge: string, unwinds = true) => shrunkByUnwinding(decimal(maker), decimal(hedge), unwinds)
    expect(shrunk("-20", "20")).toEqual({ maker: true, hedge: true })
    expect(shrunk("20", "-20")).toEqual({ maker: true, hedge: true })
    // both long: the unwinding sells on the maker venue and hedges with buys, which grow the other
    expect(shrunk("20", "5")).toEqual({ maker: true, hedge: false })
    expect(shrunk("0", "20")).toEqual({ maker: false, hedge: false })
    // unwind_at_start off, no --unwind-only
    expect(shrunk("-20", "20", false)).toEqual({ maker: false, hedge: false })
  })
})
