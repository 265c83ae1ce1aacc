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

describe("a leg 2 buying back a cut-short leg 1 worth less than the maker venue's minimum order value", () => {
  // Was: the check ran only once the leg had filled something: leg 2's whole buy-back (the 2 leg 1
  // sold, worth about 4 against a minimum of 5) was posted, refused three times as unexplained,
  // and the run ended failed. Now the leg ends and the pair is carried, as a rest below the
  // venue's minimum quantity is.
  it("a leg 2 whose buy-back is worth less than the maker's minimum order value does not fail the run", async () => {
    // quantity 4 at ~2 (worth 8 ≥ 5). Leg 1 sells 4 at 2.002: a trade of 102 there reaches 2 of it
    // (100 ahead). Cancelled after 5 s; its last 2 at 2.0041 are worth ~4 < 5: leg 1 ends with 2 sold,
    // hedged. Leg 2 buys back 2 at 1.9999: worth ~4 < 5, refused by the venue at every post.
    const partial = { t: 3000, venue: "bp" as const, trade: ["2.0020", "102", "buy"] as const }
    const { report, log } = await scriptedBacktest(
      [...quotes(0, 80), FIRST_TRADE, partial],
      { trade: { quantity: "4", max_cycles: 1, first_wait_seconds: 5, between_legs_sleep: 1, cycle_sleep: 1, stop_before_funding_minutes: 0 } },
      undefined,
      { makerMinNotional: "5" }
    )
    expect(log).toMatch(/\[Leg1\] the leg's last 2 at 2\.0041 is below the BP minimum order value \(5\): the leg ends with 2 filled/)
    expect(qty(sum(report, "backpack", "sell"))).toBe("2")
    expect(qty(sum(report, "aster-futures", "buy"))).toBe("2")
    expect(log).not.toMatch(/refused the request \(minNotional\)/)
    expect(report.run.outcome).not.toBe("failed")
  })
})

describe("a maker order the venue refuses three times in a row for its minimum order value", () => {
  // Was: the run failed as it should, but its stop then said "cancelled BP order bp-4 (0 filled)"
  // of the last refused request, which the venue never booked: nothing of it is left to cancel
  it("fails the run without a word of cancelling an order that never rested", async () => {
    // minimum value 20.01: the start's 10 at 2.0010 passes and rests at 2.0030 (20.03); unfilled
    // after 5 s, it is re-posted from the last price 1.9000: 10 at 1.9019 is worth 19.02, refused
    const { report, log } = await scriptedBacktest(
      [...quotes(0, 60), { t: 500, venue: "bp", trade: ["2.0010", "1", "buy"] }, { t: 2000, venue: "bp", trade: ["1.9000", "1", "sell"] }],
      { trade: { max_cycles: 1, first_wait_seconds: 5, stop_before_funding_minutes: 0 } },
      undefined,
      { makerMinNotional: "20.01" }
    )
    expect(log).toMatch(/\(refusal 2 of 3\)/)
    expect(report.run.outcome).toBe("failed")
    expect(log).toMatch(/stopping: /)
    expect(log).not.toMatch(/stopping: cancelled BP order/)
  })
})
