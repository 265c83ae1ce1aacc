/**
 * A partial maker fill whose rest is worth less than the maker venue's smallest order (a minimum
 * notional, as a proxy import may give Backpack's instrument): no order can trade it, so the leg
 * ends with what filled, hedged, instead of posting an order the venue refuses until the run fails.
 */
import { describe, expect, it } from "vitest"
import { FIRST_TRADE, qty, quotes, scriptedBacktest, sum } from "./support/scripted-backtest"

describe("a leg's rest below the maker venue's minimum order value", () => {
  // Was: the rest (2, worth about 4 against a minimum of 5) was posted, refused, posted again
  // until the refusals in a row ended the run failed, its 8 hedged but the run over
  it("ends the leg with what filled, hedged, and the run goes on", async () => {
    // 100 rest ahead at 2.0020 (the ask's size); a trade of 108 there reaches 8 of the leg's 10
    const partial = { t: 3000, venue: "bp" as const, trade: ["2.0020", "108", "buy"] as const }
    const { report, log } = await scriptedBacktest(
      [...quotes(0, 40), FIRST_TRADE, partial],
      { trade: { max_cycles: 1, first_wait_seconds: 5, between_legs_sleep: 1, cycle_sleep: 1, stop_before_funding_minutes: 0 } },
      undefined,
      { makerMinNotional: "5" }
    )
    // re-posted at a fresh price (about 2.004): 2 of it are worth about 4
    expect(log).toMatch(/\[Leg1\] the leg's last 2 at 2\.00\d+ is below the BP minimum order value \(5\): the leg ends with 8 filled/)
    expect(qty(sum(report, "backpack", "sell"))).toBe("8")
    expect(qty(sum(report, "aster-futures", "buy"))).toBe("8")
    expect(report.run.outcome).not.toBe("failed")
    expect(report.exposure.finalNetPosition).toBe("0")
  })
})
