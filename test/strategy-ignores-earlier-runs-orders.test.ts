/**
 * The strategy counts the fills of the orders this run placed, only: a message about an earlier
 * run's order (a start's reconciliation cancelled it and counted what it held in the positions it
 * hedged) is no news of a fill to hedge.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { decimal } from "../src/core/domain/decimal"
import type { Order } from "../src/core/domain/order"
import { FIRST_TRADE, LEG1_FILLS, qty, quotes, scriptedBacktest as backtest, sum } from "./support/scripted-backtest"

/** an earlier run's sell of 10, 3 filled, cancelled by this start's reconciliation */
const earlierRunsOrder: Order = {
  venue: "backpack",
  symbol: "ASTER_USDC_PERP",
  id: "earlier-7",
  clientId: "hlold-m2",
  side: "sell",
  type: "limit",
  price: decimal("2.0020"),
  qty: decimal("10"),
  filledQty: decimal("3"),
  filledQuote: decimal("6.006"),
  status: "cancelled",
  postOnly: true,
  timeInForce: "GTC",
  createdAt: 0,
  updatedAt: 100
}

describe("a message about an earlier run's order while a leg's order rests", () => {
  // Was: the leg took any order id but its own for "a late message about an earlier order of
  // ours" and counted its filled quantity as new: the Backpack adapter passes on messages about an
  // order the start looked up or cancelled (an earlier run's), so its 3 filled, already in the
  // positions the start reconciled, were hedged a second time (13 bought on Aster for a leg of 10).
  it("is not hedged: the leg's own fills are, once", async () => {
    let told = false
    const { report } = await backtest([...quotes(0, 60), FIRST_TRADE, LEG1_FILLS], { trade: { max_cycles: 1 } }, (_kernel, venues) => ({
      ...venues,
      maker: {
        ...venues.maker,
        nextUpdate: (within) =>
          Effect.suspend(() => {
            if (told) return venues.maker.nextUpdate(within)
            told = true
            return Effect.succeed(Option.some({ order: earlierRunsOrder }))
          })
      }
    }))
    expect(told).toBe(true)
    expect(qty(sum(report, "aster-futures", "buy"))).toBe("10")
  })
})
