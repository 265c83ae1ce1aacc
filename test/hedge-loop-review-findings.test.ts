/**
 * The strategy on what a review of it found: a wind-down that outlasts a hedge venue outage, the
 * unwind judged at the hedge venue's price, a hedge answered expired sent again, and a resting
 * order withdrawn once a fill's hedge finds its market closed. Each failed before its fix.
 * Script conventions (test/support/scripted-market.ts): Backpack quoted 1.9990/2.0010 (size 100),
 * Aster 1.9995/2.0005 (size 100), every second; latencies 10 ms, feeds 5 ms; T0 = 01:00:00 UTC.
 */
import { BigDecimal, Effect } from "effect"
import { describe, expect, it } from "vitest"
import { decimal } from "../src/core/domain/decimal"
import { OrderRejected, VenueUnavailable } from "../src/core/errors"
import type { BacktestOptions } from "../src/sim/backtest"
import { FIRST_TRADE, LEG1_FILLS, qty, quotes, scriptedBacktest as backtest, sum } from "./support/scripted-backtest"
import { T0 } from "./support/scripted-market"

describe("the wind-down after a hedge venue outage", () => {
  // Was: a hedge whose retries ran out on 5xx answers stays "in flight" (hedge-loop.ts:246, never
  // cleared on failure); the stop's wind-down first settles it with ONE un-retried queryOrder
  // (settleHedgeInFlight, hedge-loop.ts:136), so a venue still down at that instant ends the
  // wind-down at once, the fill left unhedged, though README promises the residual's hedge is
  // tried for wind_down_hedge_seconds. The look-up should be retried on that same schedule.
  it("keeps trying for wind_down_hedge_seconds when the venue is still down as the stop begins", async () => {
    // Aster's order endpoints answer 503 from 2.5 s to 15 s (its price stays readable). Leg 1's
    // 10 fill at 3 s; the hedge's 5 retries (0.2+0.4+0.8+1.6+3.2 s) end at ~9.2 s: the run fails
    // and winds down, with 60 s (the default) to hedge the 10 — the venue is back at 15 s.
    const down = (now: number) => now >= T0 + 2500 && now < T0 + 15_000
    const unavailable = new VenueUnavailable({ venue: "aster-futures", reason: "503 Service Unavailable" })
    const { report, log } = await backtest([...quotes(0, 80), FIRST_TRADE, LEG1_FILLS], { trade: { max_cycles: 1 } }, (kernel, venues) => ({
      ...venues,
      hedge: {
        ...venues.hedge,
        placeMarket: (request) => Effect.suspend(() => (down(kernel.now / 1000) ? Effect.fail(unavailable) : venues.hedge.placeMarket(request))),
        queryOrder: (query) => Effect.suspend(() => (down(kernel.now / 1000) ? Effect.fail(unavailable) : venues.hedge.queryOrder(query)))
      }
    }))
    expect(qty(sum(report, "backpack", "sell"))).toBe("10")
    expect(log).not.toMatch(/could not wind down cleanly/)
    expect(qty(sum(report, "aster-futures", "buy"))).toBe("10")
    expect(report.exposure.finalNetPosition).toBe("0")
  })
})

describe("the unwind at start and the hedge venue's minimum order value", () => {
  // Was: unwindLeg is asked with the maker's last price only (hedge-loop.ts:613 → unwind.ts:124,
  // quantityProblems' hedgePrice defaulting to makerPrice), while the posting gate and the hedge
  // size the hedge at Aster's own (lower) price. A position tradable at Backpack's price but not at
  // Aster's is neither "left as it is" nor unwound: the unwind leg sits in the posting gate for
  // good and no cycle ever starts. unwindLeg should judge the hedge at hedgeSizingPrice.
  it("a position whose hedge is below Aster's smallest order at Aster's price is left as it is, and the first cycle starts", async () => {
    // Aster minimum order value 5. BP position −2.5: 2.5 × 2.0000 (BP last) = 5 passes, but at
    // Aster's bid 1.9995 the smallest hedge is ⌈5 / 0.019995⌉ × 0.01 = 2.51 > 2.5.
    const ticks = [
      ...quotes(0, 120),
      FIRST_TRADE,
      { t: 60_000, venue: "bp" as const, trade: ["2.0030", "200", "buy"] as const },
      { t: 90_000, venue: "bp" as const, trade: ["1.9900", "200", "sell"] as const }
    ]
    const { report, log } = await backtest(
      ticks,
      { trade: { max_cycles: 1, between_legs_sleep: 1, cycle_sleep: 1 } },
      (_kernel, venues) => ({
        ...venues,
        maker: { ...venues.maker, position: Effect.map(venues.maker.position, (p) => ({ ...p, qty: BigDecimal.subtract(p.qty, decimal("2.5")) })) }
      }),
      { asterMinNotional: "5" }
    )
    expect(log).not.toMatch(/not posting on BP: its hedge of 2\.5 would be below ASTER's smallest order 2\.51/)
    expect(log).toMatch(/\[Unwind\] BP position -2\.5 is left as it is: too small to trade on both venues/)
    expect(log).toMatch(/\[Cycle 1\] start of a new hedge cycle/)
    expect(report.run.outcome).toBe("completed")
  })
})

describe("a hedge the venue answers as expired with nothing executed", () => {
  // Was: a market hedge answered EXPIRED/REJECTED with 0 executed (Aster: "market order not fully
  // filled", an empty book side for a moment) ends the run at once (hedge-loop.ts:321-325 returns
  // HedgeFailed), with no retry, where README promises "a rejected hedge is retried with backoff
  // (hedge_retry_attempts, hedge_retry_backoff_ms)". It should be sent again as a refusal is.
  it("is sent again with backoff, and the run goes on", async () => {
    let placed = 0
    const ticks = [...quotes(0, 60), FIRST_TRADE, LEG1_FILLS, { t: 30_000, venue: "bp" as const, trade: ["1.9900", "200", "sell"] as const }]
    const { report } = await backtest(ticks, { trade: { max_cycles: 1 } }, (_kernel, venues) => ({
      ...venues,
      hedge: {
        ...venues.hedge,
        placeMarket: (request) =>
          Effect.suspend(() => {
            // the first hedge: the venue expires it, nothing executed (never reaches the book)
            if (placed++ > 0) return venues.hedge.placeMarket(request)
            return Effect.succeed({
              venue: "aster-futures" as const,
              symbol: "ASTERUSDT",
              id: "expired-1",
              clientId: request.clientId,
              side: request.side,
              type: "market" as const,
              qty: request.qty,
              filledQty: decimal("0"),
              filledQuote: decimal("0"),
              status: "expired" as const,
              postOnly: false,
              timeInForce: "IOC" as const,
              createdAt: T0 + 3000,
              updatedAt: T0 + 3000
            })
          })
      }
    }))
    expect(report.run.message ?? "").not.toMatch(/executed nothing/)
    expect(report.run.outcome).toBe("completed")
    expect(report.fills.map((f) => [f.venue, f.side, f.qty])).toEqual([
      ["backpack", "sell", "10"],
      ["aster-futures", "buy", "10"],
      ["backpack", "buy", "10"],
      ["aster-futures", "sell", "10"]
    ])
  })
})

describe("a hedge market found closed while the maker order still rests", () => {
  /** Aster's market goes SETTLING from `fromMs` to `untilMs` (file time), as a live adapter reads it; market orders refused meanwhile. */
  const settling = (fromMs: number, untilMs: number): BacktestOptions["decorate"] => (kernel, venues) => {
    const fileMs = () => Math.floor(kernel.now / 1000) - T0
    const state = () => (fileMs() >= fromMs && fileMs() < untilMs ? { state: "SETTLING", makerOrders: false, takerOrders: false } : { state: "TRADING", makerOrders: true, takerOrders: true })
    const base = Effect.runSync(venues.hedge.instrument)
    let read = { ...base, trading: state() }
    return {
      ...venues,
      hedge: {
        ...venues.hedge,
        instrument: Effect.sync(() => read),
        refreshInstrument: Effect.sync(() => (read = { ...base, trading: state() })),
        placeMarket: (request) =>
          Effect.suspend(() =>
            state().takerOrders ? venues.hedge.placeMarket(request) : Effect.fail(new OrderRejected({ venue: "aster-futures", code: "INVALID_ORDER", reason: `market is ${state().state}` }))
          )
      }
    }
  }

  // Was: a partial fill whose hedge is refused because Aster stopped taking market orders makes
  // absorb → hedgeNow → awaitHedgeMarket (hedge-loop.ts:287, 158-184) wait for the market to reopen
  // INSIDE the watch loop, while the maker order's rest still rests on Backpack and keeps filling
  // with nothing to hedge it on. README: "a resting order whose hedge venue ... stopped taking the
  // leg's orders is cancelled before a fill it could not hedge". The rest should be cancelled first.
  // Meanwhile the wait's log and the kill switch still count 4 unhedged (the 6 filled at 60 s are
  // not read until the wait ends), so max_unhedged_qty_seconds under-counts by 2.5×.
  it("the rest of the maker order is withdrawn before it fills more that cannot be hedged", async () => {
    // bp-1 sells 10 at 2.002 from 1 s (first_wait 600 s); Aster settles from 30 s to 200 s, unread
    // since the start. 4 fill at 40 s: the hedge is refused, the reading says SETTLING. 6 more trade
    // through 2.002 at 60 s: an order still resting fills them, 10 unhedged until 200 s.
    const ticks = [
      ...quotes(0, 300),
      FIRST_TRADE,
      { t: 40_000, venue: "bp" as const, trade: ["2.0020", "104", "buy"] as const },
      { t: 60_000, venue: "bp" as const, trade: ["2.0020", "6", "buy"] as const }
    ]
    const { report } = await backtest(ticks, { trade: { max_cycles: 1, first_wait_seconds: 600 } }, settling(30_000, 200_000))
    const soldWhileClosed = report.fills
      .filter((f) => f.venue === "backpack" && f.side === "sell" && f.ts < T0 + 200_000)
      .reduce((total, f) => BigDecimal.sum(total, decimal(f.qty)), decimal("0"))
    // only the 4 that filled before the bot knew; nothing after it read SETTLING at 40 s
    expect(qty(soldWhileClosed)).toBe("4")
    expect(report.exposure.finalNetPosition).toBe("0")
  })

  it("the fill whose hedge found the market closed is hedged as soon as it reopens, not left for the next order's fills", async () => {
    // as above, Aster settling from 30 s to 100 s only: the 4 are hedged once its state reads
    // TRADING again (read every 10 s), before the kill switch's 600 (4 × 150 s) is reached
    const ticks = [...quotes(0, 300), FIRST_TRADE, { t: 40_000, venue: "bp" as const, trade: ["2.0020", "104", "buy"] as const }]
    const { report } = await backtest(ticks, { trade: { max_cycles: 1, first_wait_seconds: 600 } }, settling(30_000, 100_000))
    const firstHedge = report.fills.find((f) => f.venue === "aster-futures")
    expect([firstHedge?.side, firstHedge?.qty]).toEqual(["buy", "4"])
    expect(firstHedge!.ts - T0).toBeGreaterThanOrEqual(100_000)
    expect(firstHedge!.ts - T0).toBeLessThan(111_000)
    expect(report.run.outcome).not.toBe("kill-switch")
  })
})
