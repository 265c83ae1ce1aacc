/**
 * The hedge loop's cycle on scripted markets, where it departs from the plain path: a leg 1 cut
 * short (leg 2 buys back what was sold, not trade.quantity), a leg 1 held by the posting gate into
 * the funding window (the guard is asked again), and the original bot's log lines saying what
 * happened (time to fill from the posting, a leg ended short, a fill racing the cancel, a hedge
 * held back for the venue's minimum). Each states the numbers worked out by hand.
 * Script conventions (test/support/scripted-market.ts): Backpack quoted 1.9990/2.0010 (size 100),
 * Aster 1.9995/2.0005 (size 100), every second; latencies 10 ms, feeds 5 ms; T0 = 01:00:00 UTC.
 */
import { BigDecimal, Effect } from "effect"
import { describe, expect, it } from "vitest"
import { decimal } from "../src/core/domain/decimal"
import { VenueUnavailable } from "../src/core/errors"
import type { RunReport } from "../src/core/report/report"
import { runBacktest } from "../src/sim/backtest"
import { testConfig } from "./support/config"
import { type ScriptedTick, type ScriptOptions, T0, writeScript } from "./support/scripted-market"

const steadyQuotes = (seconds: number): Array<ScriptedTick> =>
  Array.from({ length: seconds }, (_, s) => [
    { t: s * 1000, venue: "bp" as const, quote: ["1.9990", "100", "2.0010", "100"] as const },
    { t: s * 1000, venue: "as" as const, quote: ["1.9995", "100", "2.0005", "100"] as const }
  ]).flat()

type Decorate = Parameters<typeof runBacktest>[0]["decorate"]

const run = (ticks: Array<ScriptedTick>, patch: Record<string, unknown>, options: ScriptOptions = {}, decorate?: Decorate) => {
  const lines: Array<string> = []
  const file = writeScript(ticks, options)
  return Effect.runPromise(runBacktest({ dbPath: file, config: testConfig(patch), log: (l) => lines.push(l), ...(decorate !== undefined ? { decorate } : {}) })).then((
    report
  ) => ({ report, lines, text: lines.join("\n") }))
}

/** signed net of one venue's fills (buys positive) */
const netOf = (report: RunReport, venue: string) =>
  BigDecimal.format(
    BigDecimal.normalize(
      report.fills.filter((f) => f.venue === venue).reduce((acc, f) => (f.side === "buy" ? BigDecimal.sum(acc, decimal(f.qty)) : BigDecimal.subtract(acc, decimal(f.qty))), decimal("0"))
    )
  )

const FIRST_TRADE: ScriptedTick = { t: 500, venue: "bp", trade: ["2.0000", "1", "buy"] }

/** Backpack's filters with a minimum order size above its step (here 5 against a step of 0.01). */
const makerMinQty = (min: string): Decorate => (_kernel, venues) => ({
  ...venues,
  maker: { ...venues.maker, instrument: Effect.map(venues.maker.instrument, (i) => ({ ...i, minQty: decimal(min) })) }
})

/** Aster's largest order (MARKET_LOT_SIZE maxQty) at `max`. */
const hedgeMaxQty = (max: string): Decorate => (_kernel, venues) => ({
  ...venues,
  hedge: { ...venues.hedge, instrument: Effect.map(venues.hedge.instrument, (i) => ({ ...i, maxQty: decimal(max) })) }
})

/** The hedge venue's market cannot be read (stream and REST) until `untilMs` after T0. */
const hedgeUnreadableUntil = (untilMs: number): Decorate => (kernel, venues) => ({
  ...venues,
  hedge: {
    ...venues.hedge,
    ticker: Effect.suspend(() =>
      kernel.now / 1000 < T0 + untilMs ? Effect.fail(new VenueUnavailable({ venue: "aster-futures", reason: "unreachable" })) : venues.hedge.ticker
    )
  }
})

const lineTime = (line: string) => Date.parse(line.slice(0, 24)) - T0

describe("leg 2 mirrors what leg 1 actually traded", () => {
  it("a leg 1 cut short (its rest below Backpack's minimum) is bought back as traded, not as trade.quantity: the venues' positions do not drift cycle after cycle", async () => {
    // Backpack min qty 5 (step 0.01); quantity 10, offset 0.1 %, first_wait 10 s, between_legs 20 s, cycle_sleep 60 s.
    // Cycle 1: leg 1 posted at 1 s: sell 10 at 2.0000 × 1.001 = 2.002, queued behind the 100 shown at the
    //   best ask; 106 bought at 2.002 at 3 s → 6 fill, hedged by an Aster buy of 6.
    //   Cancelled at 11.02 s with 6 filled: the 4 left are below the minimum 5, so the leg ends with 6 sold.
    //   Leg 2 (31.04 s) buys at 2.002 × 0.999 = 1.999998 → 1.9999 (floored); the sale at 40 s fills it.
    // Cycle 2 (100.03 s): last 1.999: sell at 1.999 × 1.001 = 2.000999 → 2.001 (ceil), at the ask behind 100;
    //   106 bought at 2.001 at 103 s → 6 fill; cancelled at ~111 s, 4 left < 5: leg ends with 6 sold.
    //   Leg 2 (~131 s) buys at 2.001 × 0.999 = 1.998999 → 1.9989; the sale through it at 140 s fills it.
    // Leg 2 should buy back the 6 leg 1 sold each cycle: Backpack −6 + 6 − 6 + 6 = 0, Aster +6 − 6 + 6 − 6 = 0.
    // The code buys trade.quantity (10) each time: Backpack −6 + 10 − 6 + 10 = +8, Aster −8: +4 per cycle.
    const ticks = [
      ...steadyQuotes(170),
      FIRST_TRADE,
      { t: 3000, venue: "bp" as const, trade: ["2.0020", "106", "buy"] as const },
      { t: 40_000, venue: "bp" as const, trade: ["1.9990", "50", "sell"] as const },
      { t: 103_000, venue: "bp" as const, trade: ["2.0010", "106", "buy"] as const },
      { t: 140_000, venue: "bp" as const, trade: ["1.9980", "300", "sell"] as const }
    ]
    const { report, text } = await run(ticks, { trade: { quantity: "10", offset_percent: 0.1, first_wait_seconds: 10, max_cycles: 2 } }, {}, makerMinQty("5"))
    // the two leg 1s were indeed cut short at 6
    expect(text.match(/\[Leg1\] the leg's last 4 is below the BP step or minimum order size \(0\.01, 5\): the leg ends with 6 filled/g)?.length).toBe(2)
    expect(report.fills.filter((f) => f.venue === "backpack" && f.side === "sell").map((f) => f.qty)).toEqual(["6", "6"])
    // what each leg 2 bought: 6 (what its leg 1 sold), not 10
    expect(report.fills.filter((f) => f.venue === "backpack" && f.side === "buy").map((f) => f.qty)).toEqual(["6", "6"])
    expect(netOf(report, "backpack")).toBe("0")
    expect(netOf(report, "aster-futures")).toBe("0")
  })
})

describe("the funding guard and the posting gate", () => {
  it("a leg 1 held back by the posting gate past the guard's check does not post inside stop_before_funding_minutes", async () => {
    // Funding on Aster at 01:10 (T0 + 600 s), stop_before_funding 5 min: no cycle may start trading
    // between 01:05 and 01:10. Cycle 1 starts at 01:00:01: 8.98 min to funding → the guard lets it go
    // ("9 minutes until the 01:10 UTC funding time"). Aster cannot be read until 01:07:00, so the posting
    // gate holds leg 1 back (checks every 5 s) and posts at 01:07:01 — 179 s before funding, inside the
    // window — fills at 01:07:30 and carries the hedged pair through the 01:10 funding (Aster pays
    // 10 × 2 × 0.0001 = 0.002 on it); the guard never paused (fundingPauses 0).
    // Expected: the guard is asked again when the gate releases the leg, and waits until 01:10:01.
    const ticks = [
      ...steadyQuotes(700),
      FIRST_TRADE,
      { t: 450_000, venue: "bp" as const, trade: ["2.0020", "110", "buy"] as const }
    ]
    const { report, lines, text } = await run(
      ticks,
      { trade: { quantity: "10", offset_percent: 0.1, first_wait_seconds: 600, max_cycles: 1, stop_before_funding_minutes: 5 } },
      { funding: [{ t: 600_000, venue: "as", rate: "0.0001", mark: "2" }] },
      hedgeUnreadableUntil(420_000)
    )
    expect(text).toMatch(/\[Cycle 1\] 9 minutes until the 01:10 UTC funding time/)
    const firstPost = lines.find((l) => l.includes("[Leg1] BP limit sell price"))!
    // the gate lets it go at 421 s, inside the window: it must wait until 600 s (the funding time has passed)
    expect(lineTime(firstPost)).toBeGreaterThanOrEqual(600_000)
    expect(report.cycles.fundingPauses).toBe(1)
  })

  it("a leg 1 re-posted without a fill until the window opens waits it out before posting again", async () => {
    // The same funding (01:10, 5 min before it closed to new cycles); Aster readable throughout.
    // first_wait 60 s: leg 1 posts at 01:00:01 and re-posts each minute, nothing trading at its
    // price, until 01:05:01 (T0 + 301 s) is past 01:05: the next post would be inside the window.
    // Expected: no post between 01:05 and 01:10; the leg waits, then posts after 01:10 and fills
    // on the trade at 650 s.
    const ticks = [
      ...steadyQuotes(700),
      FIRST_TRADE,
      { t: 650_000, venue: "bp" as const, trade: ["2.0050", "110", "buy"] as const }
    ]
    const { report, lines } = await run(
      ticks,
      { trade: { quantity: "10", offset_percent: 0.1, first_wait_seconds: 60, max_cycles: 1, stop_before_funding_minutes: 5 } },
      { funding: [{ t: 600_000, venue: "as", rate: "0.0001", mark: "2" }] }
    )
    const posts = lines.filter((l) => l.includes("[Leg1] BP limit sell price")).map(lineTime)
    expect(posts.length).toBeGreaterThan(1)
    // none inside [01:05, 01:10)
    expect(posts.filter((t) => t >= 300_000 && t < 600_000)).toEqual([])
    expect(report.cycles.fundingPauses).toBe(1)
  })
})

describe("the original's log lines say what happened", () => {
  it("'order X filled after N s' counts from that order's posting, not from the leg's start (a posting gate hold is not fill time)", async () => {
    // Aster unreadable until 60 s: the gate (checks at 1, 6, …, 61 s) posts bp-1 at 01:01:01; the
    // 110 bought through 2.002 at 90 s fills it (01:01:30). bp-1 was on the book 29 s
    // (01:01:01.000 → 01:01:30.0x), but the log says "filled after 89 s" (from the leg's start, 01:00:01).
    const ticks = [...steadyQuotes(100), FIRST_TRADE, { t: 90_000, venue: "bp" as const, trade: ["2.0020", "110", "buy"] as const }]
    const { text } = await run(ticks, { trade: { quantity: "10", offset_percent: 0.1, first_wait_seconds: 600, max_cycles: 1 } }, {}, hedgeUnreadableUntil(60_000))
    expect(text).toMatch(/\[Leg1\] ASTER can take hedges again after 60 s: posting/)
    expect(text).toMatch(/\[Leg1\] BP sell order bp-1 filled after 29 s/)
  })

  it("a leg cut short does not say its cancelled, part-filled order 'filled'", async () => {
    // As in the drift test: bp-1 (sell 10) fills 6, is cancelled at 11.02 s with 6 filled, and the leg
    // ends with 6 of 10 because the 4 left are below Backpack's minimum 5. The log says so, and
    // never "[Leg1] BP sell order bp-1 filled after 10 s" (it was cancelled with 4 unfilled; an
    // earlier version said it).
    const ticks = [...steadyQuotes(30), FIRST_TRADE, { t: 3000, venue: "bp" as const, trade: ["2.0020", "106", "buy"] as const }]
    const { text } = await run(ticks, { trade: { quantity: "10", offset_percent: 0.1, first_wait_seconds: 10, max_cycles: 1 } }, {}, makerMinQty("5"))
    expect(text).toMatch(/the leg ends with 6 filled/)
    expect(text).not.toMatch(/\[Leg1\] BP sell order bp-1 filled after/)
  })

  it("an order found fully filled by its cancel's reply is not said to be re-posted, and its hedge is announced before it executes", async () => {
    // bp-1 (sell 10 at 2.002) acknowledged at 1.02 s, cancelled at 11.02 s; the buy through 2.002 at
    // 11.025 s fills all 10 before the cancel lands (11.03 s). The cancel's reply shows 10 filled, the
    // hedge (Aster buy 10) goes out and executes; the leg is complete and nothing is re-posted.
    // The log must not say "not filled within 10 s (10 filled); re-posting at a fresh price" (no
    // re-post follows: the next maker order is leg 2's buy), and must announce "BP sell filled,
    // hedging with an ASTER market buy..." before "ASTER market buy 10 executed" (an earlier version
    // did both the other way).
    const ticks = [...steadyQuotes(40), FIRST_TRADE, { t: 11_025, venue: "bp" as const, trade: ["2.0030", "10", "buy"] as const }]
    const { report, lines, text } = await run(ticks, { trade: { quantity: "10", offset_percent: 0.1, first_wait_seconds: 10, max_cycles: 1 } })
    expect(report.cycles.reposts).toBe(0)
    expect(text).not.toMatch(/\(10 filled\); re-posting at a fresh price/)
    const announced = lines.findIndex((l) => /\[Leg1\] BP sell filled.*hedging with an ASTER market buy/.test(l))
    const executed = lines.findIndex((l) => l.includes("[Leg1] ASTER market buy 10 executed"))
    expect(executed).toBeGreaterThanOrEqual(0)
    expect(announced).toBeGreaterThanOrEqual(0)
    expect(announced).toBeLessThan(executed)
  })

  it("a fill whose hedge is held back for the hedge venue's minimum is not announced as 'hedging'", async () => {
    // Aster minimum 5; bp-1 (sell 10 at 2.002) fills 2 at 2 s, 4 s, 6 s, 8 s and 9 s. After 2 with 8
    // still to fill the hedge is held back (min(2, 2 + 8 − 5.25) = 2 < 5): nothing is sent until all 10
    // have filled at 9 s, when one buy of 10 goes. "[Leg1] BP sell filled …, hedging with an ASTER
    // market buy..." comes with that hedge, not at 01:00:02.005, 7 s before any hedge is sent (an
    // earlier version's: the trader read a hedge under way while 2, then 4, 6, 8 were unhedged).
    const trades = [2000, 4000, 6000, 8000, 9000].map((t, i) => ({ t, venue: "bp" as const, trade: ["2.0020", i === 0 ? "102" : "2", "buy"] as const }))
    const ticks = [...steadyQuotes(30), FIRST_TRADE, ...trades]
    const { report, lines } = await run(ticks, { trade: { quantity: "10", offset_percent: 0.1, max_cycles: 1 } }, { asterMinQty: "5" })
    const hedges = report.fills.filter((f) => f.venue === "aster-futures").map((f) => [f.side, f.qty, f.ts - T0])
    expect(hedges).toEqual([["buy", "10", 9015]])
    const announce = lines.find((l) => /\[Leg1\] BP sell filled.*hedging with an ASTER market buy/.test(l))!
    // announced no earlier than the hedge that was actually sent (at 9.005 s)
    expect(lineTime(announce)).toBeGreaterThanOrEqual(9005)
    // while held, the log says so, once for each unhedged amount: 2, 4 (8 still to fill: each is
    // held back so the last fills are not left below 5), then 6 and 8 (the same)
    const held = lines.filter((l) => l.includes("held back"))
    expect(held.map((l) => l.replace(/^.*hedge buy of (\S+) ASTER held back: (\w+).*$/, "$1 $2"))).toEqual(["2 below", "4 below", "6 sent", "8 sent"])
    expect(held.every((l) => lineTime(l) < 9005)).toBe(true)
  })
})

describe("a hedge beyond the hedge venue's largest order", () => {
  it("goes in several orders of at most that size, back to back: the leg's 10 as 4 + 4 + 2", async () => {
    // Aster takes at most 4 per order; bp-1 (sell 10 at 2.002) fills whole at 2 s (the buy of
    // 110 through 2.002): the hedge of 10 goes as buy 4, buy 4, buy 2, each sent as the last
    // executed, all at 2.0005 (Aster's ask, 100 shown); leg 2 the same, sells at 1.9995
    const ticks = [...steadyQuotes(40), FIRST_TRADE, { t: 2000, venue: "bp" as const, trade: ["2.0020", "110", "buy"] as const }, { t: 10_000, venue: "bp" as const, trade: ["1.9980", "110", "sell"] as const }]
    const { report } = await run(ticks, { trade: { quantity: "10", offset_percent: 0.1, between_legs_sleep: 1, max_cycles: 1 } }, {}, hedgeMaxQty("4"))
    const hedges = report.fills.filter((f) => f.venue === "aster-futures").map((f) => `${f.side} ${f.qty} @ ${f.price}`)
    expect(hedges).toEqual(["buy 4 @ 2.0005", "buy 4 @ 2.0005", "buy 2 @ 2.0005", "sell 4 @ 1.9995", "sell 4 @ 1.9995", "sell 2 @ 1.9995"])
    expect(netOf(report, "aster-futures")).toBe("0")
    expect(netOf(report, "backpack")).toBe("0")
  })
})
