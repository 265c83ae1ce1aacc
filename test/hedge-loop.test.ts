/**
 * The hedge loop on hand-made markets: each expected number is worked out in the comments from
 * the script, the config (offset, latencies: submit/cancel/response 10 ms, feed 5 ms) and the
 * engine's rules.
 */
import { BigDecimal, Effect } from "effect"
import { describe, expect, it } from "vitest"
import { decimal } from "../src/core/domain/decimal"
import type { Instrument } from "../src/core/domain/instrument"
import type { Order } from "../src/core/domain/order"
import { InsufficientBalance, OrderRejected } from "../src/core/errors"
import type { RunReport } from "../src/core/report/report"
import { hedgeExecutedLine } from "../src/core/strategy/hedge-loop"
import { runBacktest } from "../src/sim/backtest"
import { testConfig } from "./support/config"
import { type ScriptedTick, T0, writeScript } from "./support/scripted-market"

/** Both venues quoted every second: Backpack 1.9990/2.0010, Aster 1.9995/2.0005, size 100 unless given. */
const steadyQuotes = (seconds: number, size: { readonly bp: string; readonly as: string } = { bp: "100", as: "100" }): Array<ScriptedTick> =>
  Array.from({ length: seconds }, (_, s) => [
    { t: s * 1000, venue: "bp" as const, quote: ["1.9990", size.bp, "2.0010", size.bp] as const },
    { t: s * 1000, venue: "as" as const, quote: ["1.9995", size.as, "2.0005", size.as] as const }
  ]).flat()

type Decorate = Parameters<typeof runBacktest>[0]["decorate"]

/** A backtest of `ticks` with `patch` on the test config, its log lines kept; `decorate` wraps the venues. */
const run = (ticks: Array<ScriptedTick>, patch: Record<string, unknown>, options: Parameters<typeof writeScript>[1] = {}, decorate?: Decorate) => {
  const lines: Array<string> = []
  const file = writeScript(ticks, options)
  return Effect.runPromise(runBacktest({ dbPath: file, config: testConfig(patch), log: (l) => lines.push(l), ...(decorate !== undefined ? { decorate } : {}) })).then((report) => ({ report, lines }))
}

const at = (ms: number) => T0 + ms

describe("hedge loop", () => {
  it("hedges each partial maker fill as it happens, then runs the mirror leg", async () => {
    const ticks = [
      ...steadyQuotes(60),
      // last price 2.0000; leg 1 sells at 2.0000 × 1.001 = 2.002, behind the 100 shown at the best ask
      { t: 500, venue: "bp" as const, trade: ["2.0000", "1", "buy"] as const },
      // 104 traded at our price: 100 clears the queue ahead, 4 reach us
      { t: 3000, venue: "bp" as const, trade: ["2.0020", "104", "buy"] as const },
      { t: 5000, venue: "bp" as const, trade: ["2.0020", "6", "buy"] as const },
      // leg 2 (from 25.03 s) buys at 2.0020 × 0.999 = 1.999998 → 1.9999 (floored: passive); a sale through it fills it
      { t: 30_000, venue: "bp" as const, trade: ["1.9990", "50", "sell"] as const }
    ]
    const { report, lines } = await run(ticks, { trade: { quantity: "10", offset_percent: 0.1, max_cycles: 1 } })
    expect(report.run.outcome).toBe("completed")
    const fills = report.fills.map((f) => [f.venue, f.side, f.price, f.qty, f.liquidity, f.ts - T0])
    expect(fills).toEqual([
      ["backpack", "sell", "2.002", "4", "maker", 3000],
      // seen 5 ms later (feed), order reaches Aster 10 ms after that: buys at the 2.0005 ask
      ["aster-futures", "buy", "2.0005", "4", "taker", 3015],
      ["backpack", "sell", "2.002", "6", "maker", 5000],
      ["aster-futures", "buy", "2.0005", "6", "taker", 5015],
      ["backpack", "buy", "1.9999", "10", "maker", 30_000],
      ["aster-futures", "sell", "1.9995", "10", "taker", 30_015]
    ])
    expect(report.exposure.finalNetPosition).toBe("0")
    // 4 unhedged for 15 ms, 6 for 15 ms, 10 for 15 ms = 0.06 + 0.09 + 0.15
    expect(report.exposure.unhedgedQtySeconds).toBe("0.3")
    expect(report.exposure.maxAbsNetDelta).toBe("10")
    expect(report.cycles).toMatchObject({ count: 1, completedLegs: 2, makerOrders: 2, reposts: 0, hedgeOrders: 3 })
    // the original bot's log lines, in order
    const text = lines.join("\n")
    expect(text).toMatch(/\[Cycle 1\] start of a new hedge cycle/)
    expect(text).toMatch(/\[Leg1\] BP limit sell price: 2\.002 \(from last price 2\)/)
    expect(text).toMatch(/\[Leg1\] monitoring BP sell order bp-1 until filled/)
    expect(text).toMatch(/\[Leg1\] BP sell filled 4, hedging with an ASTER market buy/)
    // each hedge's execution: at the 2.0005 ask seen when sending, so no slippage
    expect(text).toMatch(/\[Leg1\] ASTER market buy 4 executed at 2\.0005 on average \(ask seen 2\.0005: 0 bps slippage\)/)
    expect(text).toMatch(/\[Leg1\] ASTER market buy 6 executed at 2\.0005 on average/)
    expect(text).toMatch(/\[Leg1\] BP sell order bp-1 filled after 4 s/)
    expect(text).toMatch(/sleeping 20 s/)
    expect(text).toMatch(/\[Leg2\] BP limit buy price: 1\.9999 \(from last price 2\.002\)/)
    expect(text).toMatch(/\[Leg2\] ASTER market sell 10 executed at 1\.9995 on average \(bid seen 1\.9995: 0 bps slippage\)/)
    expect(text).toMatch(/\[Cycle 1\] done, last cycle \(max_cycles 1\)/)
  })

  it("cancels and re-posts at a fresh price after first_wait_seconds, keeping the partial fill", async () => {
    const ticks = [
      ...steadyQuotes(60),
      { t: 500, venue: "bp" as const, trade: ["2.0000", "1", "buy"] as const },
      // 3 of 10 fill at 2.002 (100 ahead), then the market falls: last 1.9950 at 8 s
      { t: 2000, venue: "bp" as const, trade: ["2.0020", "103", "buy"] as const },
      { t: 8000, venue: "bp" as const, trade: ["1.9950", "1", "sell"] as const },
      // cancelled at 11.02 s; the 7 left re-post at 1.9950 × 1.001 = 1.9969950 → 1.9970, which would
      // cross the 1.9990 bid: clamped to 1.9991, inside the spread (nobody ahead)
      { t: 15_000, venue: "bp" as const, trade: ["1.9991", "50", "buy"] as const }
    ]
    const { report, lines } = await run(ticks, { trade: { quantity: "10", offset_percent: 0.1, first_wait_seconds: 10, max_cycles: 1 } })
    const bp = report.fills.filter((f) => f.venue === "backpack").map((f) => [f.side, f.price, f.qty, f.ts - T0])
    expect(bp.slice(0, 2)).toEqual([
      ["sell", "2.002", "3", 2000],
      ["sell", "1.9991", "7", 15_000]
    ])
    const hedges = report.fills.filter((f) => f.venue === "aster-futures").map((f) => [f.side, f.qty])
    expect(hedges.slice(0, 2)).toEqual([["buy", "3"], ["buy", "7"]])
    // one re-post in leg 1 (leg 2 finds no seller in this script and keeps re-posting)
    expect(lines.filter((l) => l.includes("[Leg1] BP limit sell price")).length).toBe(2)
    expect(lines.join("\n")).toMatch(/\[Leg1\] BP limit sell price: 1\.9991 \(from last price 1\.995\)/)
    expect(lines.join("\n")).toMatch(/\[Leg1\] BP sell order bp-1 not filled within 10 s \(3 filled\); re-posting at a fresh price/)
  })

  it("hedges a fill that races the cancel", async () => {
    // placed at 1.00 s (acknowledged 1.02 s), watched until 11.02 s, cancelled then: the cancel
    // reaches Backpack at 11.03 s, so a fill at 11.025 s lands first (its update would come at 11.03 s)
    const ticks = [
      ...steadyQuotes(40),
      { t: 500, venue: "bp" as const, trade: ["2.0000", "1", "buy"] as const },
      { t: 11_025, venue: "bp" as const, trade: ["2.0030", "10", "buy"] as const }
    ]
    const { report } = await run(ticks, { trade: { quantity: "10", offset_percent: 0.1, first_wait_seconds: 10, max_cycles: 1 } })
    const first = report.fills.slice(0, 2).map((f) => [f.venue, f.side, f.qty, f.ts - T0])
    // the cancel reply (11.03 + 0.01) reports the fill: the hedge leaves at once and lands 10 ms later
    expect(first).toEqual([
      ["backpack", "sell", "10", 11_025],
      ["aster-futures", "buy", "10", 11_050]
    ])
    expect(report.cycles.reposts).toBe(0)
  })

  it("carries a residual below the hedge venue's minimum and never over-hedges", async () => {
    // Aster minimum 5: fills of 2, 2, 2, 2, 2 are held back (each partial hedge would leave the
    // rest below the minimum) and hedged as one 10 once the leg has filled
    const trades = [2000, 4000, 6000, 8000, 9000].map((t, i) => ({ t, venue: "bp" as const, trade: ["2.0020", i === 0 ? "102" : "2", "buy"] as const }))
    const ticks = [...steadyQuotes(30), { t: 500, venue: "bp" as const, trade: ["2.0000", "1", "buy"] as const }, ...trades]
    const { report } = await run(ticks, { trade: { quantity: "10", offset_percent: 0.1, max_cycles: 1 } }, { asterMinQty: "5" })
    const hedges = report.fills.filter((f) => f.venue === "aster-futures" && f.side === "buy").map((f) => [f.qty, f.ts - T0])
    // after 2+2+2 = 6 with 4 still to fill: hedge 6 + 4 − 5.25 (5 × 1.05 margin) = 4.75 < 5 → wait;
    // after 8 with 2 to fill: min(8, 8 + 2 − 5.25) = 4.75 < 5 → wait; after 10: hedge all 10
    expect(hedges).toEqual([["10", 9015]])
    const sold = report.fills.filter((f) => f.venue === "backpack" && f.side === "sell").reduce((a, f) => a + Number(f.qty), 0)
    expect(sold).toBe(10)
  })

  it("waits out the funding window using the venue's next funding time", async () => {
    // funding on Aster at 00:03 after start: with stop_before 5 min the first cycle waits until it passed
    const ticks = [...steadyQuotes(400), { t: 500, venue: "bp" as const, trade: ["2.0000", "1", "buy"] as const }]
    const { report, lines } = await run(
      ticks,
      { trade: { quantity: "10", offset_percent: 0.1, stop_before_funding_minutes: 5, max_cycles: 1 } },
      { funding: [{ t: 180_000, venue: "as", rate: "0.0001", mark: "2" }] }
    )
    const text = lines.join("\n")
    expect(text).toMatch(/\[Cycle 1\] 2 minutes until the 01:03 UTC funding time/)
    expect(text).toMatch(/within 5 minutes of funding: waiting until 01:03 UTC has passed/)
    expect(report.cycles.fundingPauses).toBe(1)
    // no maker order before the funding time has settled: the first one is logged from 01:03:15
    // (Was: 01:03:01, inside the ~15 s in which Aster may still charge a position opened)
    const firstOrder = lines.find((l) => l.includes("limit sell price"))!
    expect(firstOrder.slice(0, 24) >= new Date(at(195_000)).toISOString()).toBe(true)
  })

  it("cancels the working order and hedges the residual when the recording ends", async () => {
    const ticks = [
      ...steadyQuotes(8),
      { t: 500, venue: "bp" as const, trade: ["2.0000", "1", "buy"] as const },
      { t: 3000, venue: "bp" as const, trade: ["2.0020", "104", "buy"] as const }
    ]
    const { report, lines } = await run(ticks, { trade: { quantity: "10", offset_percent: 0.1 } })
    expect(report.run.outcome).toBe("data-ended")
    expect(report.exposure.finalNetPosition).toBe("0")
    expect(lines.join("\n")).toMatch(/stopping: cancelled BP order bp-1 \(4 filled\)/)
    expect(lines.join("\n")).toMatch(/stopping: flat across venues/)
  })

  it("a stop keeps trying to hedge the residual for trade.wind_down_hedge_seconds, not only hedge_retry_attempts times", async () => {
    const ticks = [
      ...steadyQuotes(8),
      { t: 500, venue: "bp" as const, trade: ["2.0000", "1", "buy"] as const },
      { t: 3000, venue: "bp" as const, trade: ["2.0020", "104", "buy"] as const }
    ]
    // the hedge venue refuses every market order until 40 s in: the fill at 3 s cannot be hedged
    // by the run (5 retries, 6.2 s), so the kill switch stops it and the wind-down takes over
    const refusing: Decorate = (kernel, venues) => ({
      ...venues,
      hedge: {
        ...venues.hedge,
        // asked at each attempt: a retry runs the same effect again
        placeMarket: (request) =>
          Effect.suspend(() =>
            kernel.now / 1000 < at(40_000) ? Effect.fail(new OrderRejected({ venue: "aster-futures", reason: "Margin is insufficient." })) : venues.hedge.placeMarket(request)
          )
      }
    })
    const patch = (seconds: number) => ({ trade: { quantity: "10", offset_percent: 0.1, wind_down_hedge_seconds: seconds } })
    // the default minute: the last hedge goes through at 40 s
    const patient = await run(ticks, patch(60), {}, refusing)
    expect(patient.report.run.outcome).toBe("kill-switch")
    expect(patient.report.exposure.finalNetPosition).toBe("0")
    expect(patient.lines.join("\n")).toMatch(/stopping: flat across venues/)
    // without the time: as many tries as any hedge, and the residual is left
    const brief = await run(ticks, patch(0), {}, refusing)
    expect(brief.report.exposure.finalNetPosition).toBe("-4")
    expect(brief.lines.join("\n")).toMatch(/stopping: could not wind down cleanly: .*; unhedged -4/)
  })

  describe("a spot sell hedge refused for want of the base asset", () => {
    // leg 1 sells 10 on Backpack at 3 s (hedged by a spot buy of 10), leg 2 buys 10 at 30 s: its
    // sell hedge is refused once, as a spot account holding too little ASTER refuses it
    const ticks = [
      ...steadyQuotes(60),
      { t: 500, venue: "bp" as const, trade: ["2.0000", "1", "buy"] as const },
      { t: 3000, venue: "bp" as const, trade: ["2.0020", "110", "buy"] as const },
      { t: 30_000, venue: "bp" as const, trade: ["1.9990", "50", "sell"] as const }
    ]
    const spot = { aster: { base_url: "https://sapi.asterdex.com" }, trade: { quantity: "10", offset_percent: 0.1, max_cycles: 1 } }
    /**
     * Refuses the first `times` sells; with `held`, the account holds that much ASTER from then on
     * and refuses every sell beyond it, as the venue does (else it tells what the run bought).
     */
    const refusingSells = (times: number, held?: string): Decorate => (_kernel, venues) => {
      let refused = 0
      let available = held === undefined ? undefined : decimal(held)
      const refusal = new InsufficientBalance({ venue: "aster-spot", reason: "Balance is insufficient. (-2018)" })
      return {
        ...venues,
        hedge: {
          ...venues.hedge,
          placeMarket: (request) =>
            Effect.suspend(() => {
              if (request.side !== "sell") return venues.hedge.placeMarket(request)
              if (refused < times || (available !== undefined && BigDecimal.greaterThan(request.qty, available))) {
                refused += 1
                return Effect.fail(refusal)
              }
              if (available !== undefined) available = BigDecimal.subtract(available, request.qty)
              return venues.hedge.placeMarket(request)
            }),
          balances: Effect.map(venues.hedge.balances, (balances) =>
            balances.map((b) => (b.asset === "ASTER" && available !== undefined ? { ...b, free: available } : b)))
        }
      }
    }
    const hedges = (report: RunReport) => report.fills.filter((f) => f.venue === "aster-spot").map((f) => [f.side, f.qty])

    it("is sent again, and retried as any hedge, when the account holds enough (the refusals were not for the fees)", async () => {
      const { report, lines } = await run(ticks, spot, {}, refusingSells(2))
      expect(report.run.outcome).toBe("completed")
      expect(hedges(report)).toEqual([["buy", "10"], ["sell", "10"]])
      expect(report.exposure.finalNetPosition).toBe("0")
      expect(lines.join("\n")).not.toMatch(/cut to/)
    })

    it("sells what the account holds, then stops with the rest exposed and the reason", async () => {
      const { report, lines } = await run(ticks, spot, {}, refusingSells(1, "9.5"))
      expect(hedges(report)).toEqual([["buy", "10"], ["sell", "9.5"]])
      const log = lines.join("\n")
      expect(log).toMatch(/hedge sell of 10 cut to the 9\.5 ASTER the account holds/)
      expect(report.run.outcome).toBe("failed")
      expect(report.run.message).toMatch(
        /^hedge failed with 0\.5 unhedged: aster-spot: insufficient balance: Balance is insufficient\. \(-2018\); the account holds 9\.5 ASTER free of the 10 this sell needs: fees taken in ASTER come out of the ASTER the buy hedges bought/
      )
      expect(report.exposure.finalNetPosition).toBe("0.5")
    })
  })

  it("sends a maker order whose client id was taken under the next one, without failing the run", async () => {
    const ticks = [
      ...steadyQuotes(20),
      { t: 500, venue: "bp" as const, trade: ["2.0000", "1", "buy"] as const },
      { t: 3000, venue: "bp" as const, trade: ["2.0020", "110", "buy"] as const },
      { t: 6000, venue: "bp" as const, trade: ["1.9990", "110", "sell"] as const }
    ]
    const sent: Array<string> = []
    const { report, lines } = await run(ticks, { trade: { quantity: "10", offset_percent: 0.1, max_cycles: 1, between_legs_sleep: 1 } }, {}, (_kernel, venues) => ({
      ...venues,
      maker: {
        ...venues.maker,
        placeLimit: (request) => {
          sent.push(request.clientId)
          // the adapter refuses the first id, as Backpack's does one whose number is taken
          return sent.length === 1
            ? Effect.fail(new OrderRejected({ venue: "backpack", code: "CLIENT_ID_COLLISION", reason: `client id ${request.clientId} is taken (not sent)`, clientIdTaken: true }))
            : venues.maker.placeLimit(request)
        }
      }
    }))
    expect(report.run.outcome).toBe("completed")
    // m1 refused, m2 sold (its hedge is h3), m4 bought
    expect(sent).toEqual(["hl-m1", "hl-m2", "hl-m4"])
    expect(report.cycles).toMatchObject({ count: 1, completedLegs: 2, makerOrders: 2 })
    expect(report.exposure.finalNetPosition).toBe("0")
    expect(lines.join("\n")).toMatch(/\[Leg1\] backpack refused the request \(CLIENT_ID_COLLISION\): client id hl-m1 is taken \(not sent\); sending it under the next client id/)
  })

  it("unwinds the hedged pair an interrupted run left before its first cycle, unless told not to", async () => {
    const ticks = [
      ...steadyQuotes(20),
      { t: 500, venue: "bp" as const, trade: ["2.0000", "1", "buy"] as const },
      // each trades through whatever rests on its side
      { t: 2000, venue: "bp" as const, trade: ["1.9800", "200", "sell"] as const },
      { t: 5000, venue: "bp" as const, trade: ["2.0200", "200", "buy"] as const },
      { t: 8000, venue: "bp" as const, trade: ["1.9800", "200", "sell"] as const },
      { t: 11_000, venue: "bp" as const, trade: ["2.0200", "200", "buy"] as const }
    ]
    const backtest = (unwind: boolean) =>
      run(
        ticks,
        { trade: { quantity: "10", offset_percent: 0.1, max_cycles: 1, between_legs_sleep: 1, cycle_sleep: 1, unwind_at_start: unwind } },
        {},
        // the maker venue holds -10 from the start: leg 1 of a stopped run, bought back on Aster
        (_kernel, venues) => ({
          ...venues,
          maker: { ...venues.maker, position: Effect.map(venues.maker.position, (p) => ({ ...p, qty: BigDecimal.subtract(p.qty, decimal("10")) })) }
        })
      ).then(({ report, lines }) => ({ report, text: lines.join("\n") }))
    const sides = (report: Awaited<ReturnType<typeof backtest>>["report"]) => report.fills.map((f) => `${f.venue} ${f.side} ${f.qty}`)

    const unwound = await backtest(true)
    expect(unwound.report.run.outcome).toBe("completed")
    expect(unwound.text).toMatch(/\[Unwind\] BP position -10 is a hedged pair left by an interrupted run: buy 10 first, hedged on ASTER/)
    // the buy back and its hedge come before cycle 1's two legs
    expect(sides(unwound.report)).toEqual([
      "backpack buy 10",
      "aster-futures sell 10",
      "backpack sell 10",
      "aster-futures buy 10",
      "backpack buy 10",
      "aster-futures sell 10"
    ])
    // the first cycle follows after cycle_sleep, as after a leg 2
    expect(unwound.text).toMatch(/\[Unwind\] done, first cycle in 1 s/)
    expect(unwound.text.indexOf("[Unwind] done")).toBeLessThan(unwound.text.indexOf("[Cycle 1] start of a new hedge cycle"))
    expect(unwound.report.cycles).toMatchObject({ count: 1, completedLegs: 3 })
    expect(unwound.report.exposure.finalNetPosition).toBe("0")

    const kept = await backtest(false)
    expect(kept.text).not.toMatch(/\[Unwind\]/)
    expect(sides(kept.report)).toEqual(["backpack sell 10", "aster-futures buy 10", "backpack buy 10", "aster-futures sell 10"])
  })

  it("refuses a quantity the hedge venue cannot trade, naming the filter", async () => {
    const { report } = await run([...steadyQuotes(10), { t: 500, venue: "bp" as const, trade: ["2.0000", "1", "buy"] as const }], { trade: { quantity: "10.5" } }, { asterStep: "1" })
    expect(report.run.outcome).toBe("failed")
    expect(report.run.message).toMatch(/trade\.quantity cannot be traded: aster-futures ASTERUSDT: quantity 10\.5 is not a positive multiple of step size 1/)
    expect(report.fills).toEqual([])
  })

  it("is deterministic for a given file, config and seed", async () => {
    const ticks = Array.from({ length: 300 }, (_, s) => [
      { t: s * 1000, venue: "bp" as const, quote: [(2 + Math.sin(s / 9) / 100 - 0.0002).toFixed(4), "50", (2 + Math.sin(s / 9) / 100 + 0.0002).toFixed(4), "50"] as const },
      { t: s * 1000 + 3, venue: "as" as const, quote: [(2 + Math.sin(s / 9) / 100 - 0.0001).toFixed(4), "50", (2 + Math.sin(s / 9) / 100 + 0.0001).toFixed(4), "50"] as const },
      { t: s * 1000 + 500, venue: "bp" as const, trade: [(2 + Math.sin(s / 9) / 100).toFixed(4), "7", s % 3 ? "buy" : "sell"] as const }
    ]).flat()
    const patch = { trade: { offset_percent: 0.05, first_wait_seconds: 5 }, sim: { seed: 7, queue_model: "probabilistic", aster: { latency_jitter_ms: 300, market_reject_probability: 0.3 } } }
    const first = await run(ticks, patch)
    const second = await run(ticks, patch)
    expect(first.report.fills.length).toBeGreaterThan(0)
    expect({ ...second.report, data: { ...second.report.data, file: "" } }).toEqual({ ...first.report, data: { ...first.report.data, file: "" } })
    expect(second.lines).toEqual(first.lines)
  })

  it("backtests the spot variant on a futures recording, saying so", async () => {
    const ticks = [...steadyQuotes(30), { t: 500, venue: "bp" as const, trade: ["2.0000", "1", "buy"] as const }, { t: 3000, venue: "bp" as const, trade: ["2.0030", "200", "buy"] as const }]
    const { report } = await run(ticks, { aster: { base_url: "https://sapi.asterdex.com" }, trade: { offset_percent: 0.1 } })
    expect(Object.keys(report.venues)).toEqual(["backpack", "aster-spot"])
    expect(report.data.warnings.join()).toMatch(/no aster-spot ticks: the aster-futures ASTERUSDT recording stands in for them/)
    expect(report.fills.some((f) => f.venue === "aster-spot" && f.side === "buy" && f.liquidity === "taker")).toBe(true)
  })

  it("says which fills were sized by assumption and which perp has no funding in the file", async () => {
    // quotes without sizes (as in Aster's bbo.csv); funding recorded for Backpack only
    const ticks = [
      ...steadyQuotes(60, { bp: "0", as: "0" }),
      { t: 500, venue: "bp" as const, trade: ["2.0000", "1", "buy"] as const },
      // leg 1 sells at 2.002, behind the best ask 2.0010 of unknown size: a trade through it fills it
      { t: 3000, venue: "bp" as const, trade: ["2.0030", "10", "buy"] as const },
      // leg 2 buys at 2.003 × 0.999 → 2.0009, inside the spread (nobody ahead); a sale through it fills it
      { t: 30_000, venue: "bp" as const, trade: ["1.9990", "10", "sell"] as const }
    ]
    const { report } = await run(ticks, { trade: { quantity: "10", offset_percent: 0.1, max_cycles: 1 }, sim: { assumed_top_qty: "500" } }, {
      funding: [{ t: 8 * 3600_000, venue: "bp", rate: "0.0001", mark: "2" }]
    })
    expect(report.run.outcome).toBe("completed")
    expect(report.fills.map((f) => [f.venue, f.side, f.price, f.qty])).toEqual([
      ["backpack", "sell", "2.002", "10"],
      ["aster-futures", "buy", "2.0005", "10"],
      ["backpack", "buy", "2.0009", "10"],
      ["aster-futures", "sell", "1.9995", "10"]
    ])
    expect(report.data.warnings).toEqual([
      expect.stringMatching(/has no funding events for aster-futures ASTERUSDT: no funding is paid or received and the funding guard never pauses/),
      "1 of 2 maker orders on backpack ASTER_USDC_PERP joined a best level without size: the queue ahead of them was taken as sim.assumed_top_qty (500)",
      "2 of 2 taker orders on aster-futures ASTERUSDT met a quote without size: they filled against sim.assumed_top_qty (500) at the top of the book"
    ])
  })

  it("walks a thin hedge book with the impact model and reports the slippage", async () => {
    // Aster shows only 3 at each side: a market buy of 10 takes 3 at 2.0005, then 3-lots each
    // 2 bps × k worse, rounded up to the tick: 2.0005 × 0.0002 × k = 4.001k ticks → 5, 9, 13 ticks
    const ticks = [
      ...steadyQuotes(30, { bp: "100", as: "3" }),
      { t: 500, venue: "bp" as const, trade: ["2.0000", "1", "buy"] as const },
      { t: 3000, venue: "bp" as const, trade: ["2.0030", "50", "buy"] as const }
    ]
    const { report, lines } = await run(ticks, { trade: { quantity: "10", offset_percent: 0.1 } })
    const hedge = report.fills.filter((f) => f.venue === "aster-futures").map((f) => [f.side, f.price, f.qty])
    expect(hedge).toEqual([
      ["buy", "2.0005", "3"],
      ["buy", "2.001", "3"],
      ["buy", "2.0014", "3"],
      ["buy", "2.0018", "1"]
    ])
    // paid 20.0105 against 10 × 2.0005 = 20.005 at the quote: 0.0055 / 20.005 = 2.7493 bps
    expect(report.cycles.hedgeSlippageBps).toBe("2.7493")
    // the log says the same: 20.0105 / 10 on average, 2.7493 bps shown to two decimals
    expect(lines.join("\n")).toMatch(/\[Leg1\] ASTER market buy 10 executed at 2\.00105 on average \(ask seen 2\.0005: 2\.75 bps slippage\)/)
  })

  it("fills every hedge sim.market_slippage_bps worse than the book, for a stress of slippage the top of book cannot show", async () => {
    // a deep book: no walk. 2.0005 × 5 bps = 0.00100025 → 11 ticks up → 2.0016 for all 10
    const ticks = [
      ...steadyQuotes(30, { bp: "100", as: "100" }),
      { t: 500, venue: "bp" as const, trade: ["2.0000", "1", "buy"] as const },
      { t: 3000, venue: "bp" as const, trade: ["2.0030", "50", "buy"] as const }
    ]
    const { report } = await run(ticks, { trade: { quantity: "10", offset_percent: 0.1 }, sim: { market_slippage_bps: 5 } })
    expect(report.fills.filter((f) => f.venue === "aster-futures").map((f) => [f.side, f.price, f.qty])).toEqual([["buy", "2.0016", "10"]])
    // 0.011 over 20.005 at the quote
    expect(report.cycles.hedgeSlippageBps).toBe("5.4986")
    expect(report.config).toMatchObject({ sim: { marketSlippageBps: "5" } })
  })
})

describe("hedge execution log line", () => {
  const instrument = { tickSize: decimal("0.0001") } as Instrument
  const executed = (qty: string, quote: string) => ({ filledQty: decimal(qty), filledQuote: decimal(quote) }) as Order

  it("says how much of a partly executed hedge went through, and a sell's slippage below the bid", () => {
    // 4 of 10 sold for 7.9960: 1.999 on average, 0.0005 below the 1.9995 bid = 2.5006 bps
    expect(hedgeExecutedLine(2, "ASTER", { side: "sell", qty: decimal("10") }, executed("4", "7.9960"), decimal("1.9995"), instrument)).toBe(
      "[Leg2] ASTER market sell 4 of 10 executed at 1.999 on average (bid seen 1.9995: 2.5 bps slippage)"
    )
  })

  it("counts a price better than the quote as negative slippage, and skips it without a quote", () => {
    expect(hedgeExecutedLine(1, "ASTER", { side: "buy", qty: decimal("10") }, executed("10", "19.994"), decimal("2"), instrument)).toBe(
      "[Leg1] ASTER market buy 10 executed at 1.9994 on average (ask seen 2: -3 bps slippage)"
    )
    expect(hedgeExecutedLine(1, "ASTER", { side: "buy", qty: decimal("10") }, executed("10", "20"), decimal("0"), instrument)).toBe(
      "[Leg1] ASTER market buy 10 executed at 2 on average (ask seen 0)"
    )
  })
})
