/**
 * A maker order is posted only while the hedge venue can take its hedge: with the hedge venue's
 * market unreadable (down, or its stream and REST both failing), a leg holds its order back and
 * checks again every 5 s. The hedge loop on a hand-made market (latencies: submit/cancel/response
 * 10 ms, feed 5 ms), its hedge venue unreadable for a stretch of file time.
 */
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { formatDecimal } from "../src/core/domain/decimal"
import type { Instrument, MarketTrading } from "../src/core/domain/instrument"
import { OrderRejected, VenueUnavailable } from "../src/core/errors"
import type { Exchange } from "../src/core/exchange"
import { type HedgeHeld, type PostingHeld, silentObserver } from "../src/core/strategy/observer"
import { runBacktest } from "../src/sim/backtest"
import { testConfig } from "./support/config"
import { type ScriptedTick, T0, writeScript } from "./support/scripted-market"

type Decorate = NonNullable<Parameters<typeof runBacktest>[0]["decorate"]>

/** Both venues quoted every second: Backpack 1.9990/2.0010, Aster 1.9995/2.0005, size 100. */
const steadyQuotes = (seconds: number): Array<ScriptedTick> =>
  Array.from({ length: seconds }, (_, s) => [
    { t: s * 1000, venue: "bp" as const, quote: ["1.9990", "100", "2.0010", "100"] as const },
    { t: s * 1000, venue: "as" as const, quote: ["1.9995", "100", "2.0005", "100"] as const }
  ]).flat()

/**
 * `seconds` of steady quotes with one cycle's trades on Backpack: a last price of 2.0003 at
 * 0.5 s, a buy through leg 1's sale at 2.0024 at `leg1FillMs`, and a sale through leg 2's buy at
 * 2.0009 at `leg2FillMs`.
 */
const oneCycleMarket = (seconds: number, leg1FillMs: number, leg2FillMs: number): Array<ScriptedTick> => [
  ...steadyQuotes(seconds),
  { t: 500, venue: "bp", trade: ["2.0003", "1", "buy"] },
  { t: leg1FillMs, venue: "bp", trade: ["2.0030", "110", "buy"] },
  { t: leg2FillMs, venue: "bp", trade: ["1.9980", "110", "sell"] }
]

/** oneCycleMarket's cycle, each leg hedged at Aster's quote */
const CYCLE_FILLS = [
  ["backpack", "sell", "2.0024", "10"],
  ["aster-futures", "buy", "2.0005", "10"],
  ["backpack", "buy", "2.0009", "10"],
  ["aster-futures", "sell", "1.9995", "10"]
]

/** The hedge venue's market cannot be read before `untilMs` (file time); the maker's placements are logged as [ms from T0, price]. */
const hedgeDownUntil = (untilMs: number, placed: Array<[number, string]>): Decorate => (kernel, venues) => {
  const fileMs = () => Math.floor(kernel.now / 1000) - T0
  const maker: Exchange = {
    ...venues.maker,
    placeLimit: (request) =>
      Effect.suspend(() => {
        placed.push([fileMs(), formatDecimal(request.price)])
        return venues.maker.placeLimit(request)
      })
  }
  const hedge: Exchange = {
    ...venues.hedge,
    ticker: Effect.suspend(() =>
      fileMs() < untilMs ? Effect.fail(new VenueUnavailable({ venue: "aster-futures", reason: "GET /fapi/v1/ticker/bookTicker answered 503" })) : venues.hedge.ticker
    )
  }
  return { ...venues, maker, hedge }
}

type MarketStates = ReadonlyArray<readonly [fromMs: number, trading: MarketTrading]>

/**
 * `role`'s market goes through `states` (file time): as a live adapter, its `instrument` says the
 * state last read (`refreshInstrument` reads the one in force), and its orders are refused while
 * the state in force does not take them. Placements are logged as [ms from T0, price or
 * "market", "taken" | "refused"].
 */
const marketStates = (role: "maker" | "hedge", states: MarketStates, placed: Array<[number, string, string]>, reads: { count: number }): Decorate => (kernel, venues) => {
  const venue: Exchange = venues[role]
  const fileMs = () => Math.floor(kernel.now / 1000) - T0
  const inForce = () => [...states].reverse().find(([from]) => fileMs() >= from)?.[1] ?? states[0]![1]
  const base = Effect.runSync(venue.instrument)
  let read: Instrument = { ...base, trading: inForce() }
  const judged = <A>(what: string, takes: (trading: MarketTrading) => boolean, send: Effect.Effect<A, any>) =>
    Effect.suspend(() => {
      const ok = takes(inForce())
      placed.push([fileMs(), what, ok ? "taken" : "refused"])
      return ok ? send : Effect.fail(new OrderRejected({ venue: venue.venue, code: "INVALID_ORDER", reason: `market is ${inForce().state}` }))
    })
  const wrapped: Exchange = {
    ...venue,
    instrument: Effect.sync(() => read),
    refreshInstrument: Effect.sync(() => {
      reads.count += 1
      read = { ...base, trading: inForce() }
      return read
    }),
    placeLimit: (request) => judged(formatDecimal(request.price), (t) => t.makerOrders, venue.placeLimit(request)),
    placeMarket: (request) => judged("market", (t) => t.takerOrders, venue.placeMarket(request))
  }
  return { ...venues, [role]: wrapped }
}

const OPEN: MarketTrading = { state: "Open", makerOrders: true, takerOrders: true }
const CANCEL_ONLY: MarketTrading = { state: "CancelOnly", makerOrders: false, takerOrders: false }
const TRADING: MarketTrading = { state: "TRADING", makerOrders: true, takerOrders: true }
const SETTLING: MarketTrading = { state: "SETTLING", makerOrders: false, takerOrders: false }

const run = (ticks: Array<ScriptedTick>, decorate: Decorate, firstWaitSeconds = 60) => {
  const lines: Array<string> = []
  const held: Array<PostingHeld> = []
  const hedgeHeld: Array<HedgeHeld> = []
  return Effect.runPromise(
    runBacktest({
      dbPath: writeScript(ticks),
      config: testConfig({ trade: { quantity: "10", offset_percent: 0.1, max_cycles: 1, between_legs_sleep: 20, first_wait_seconds: firstWaitSeconds } }),
      log: (line) => lines.push(line),
      decorate,
      observer: () => ({
        ...silentObserver,
        postingHeld: (event) => Effect.sync(() => void held.push(event)),
        hedgeHeld: (event) => Effect.sync(() => void hedgeHeld.push(event))
      })
    })
  ).then((report) => ({ report, log: lines.join("\n"), fills: report.fills.map((f) => [f.venue, f.side, f.price, f.qty]), held, hedgeHeld }))
}

describe("a hedge venue that cannot take a hedge", () => {
  it("holds the maker order back until it can, checking every 5 s, then trades the cycle as usual", async () => {
    // last price 2.0003: leg 1 sells at 2.0003 × 1.001 → 2.0024 (up: passive), filled by a buy
    // through it at 120 s; leg 2 (from 140.03 s) buys at 2.003 × 0.999 → 2.0009, filled by a sale
    // through it at 200 s
    const ticks = oneCycleMarket(300, 120_000, 200_000)
    const placed: Array<[number, string]> = []
    const { report, log, fills, held } = await run(ticks, hedgeDownUntil(95_000, placed))
    expect(report.run.outcome).toBe("completed")
    // the first check came at the cycle's start, then one every 5 s: the first after 95 s posts
    const [first, second] = placed
    expect(placed.map(([, price]) => price)).toEqual(["2.0024", "2.0009"])
    expect(first![0]).toBeGreaterThanOrEqual(95_000)
    expect(first![0]).toBeLessThan(100_000)
    expect(second![0]).toBeGreaterThan(140_000)
    expect(fills).toEqual(CYCLE_FILLS)
    expect(report.exposure.finalNetPosition).toBe("0")
    // said at once and once a minute while it lasts, then when it is over
    const waiting = log.split("\n").filter((line) => line.includes("not posting"))
    expect(waiting).toHaveLength(2)
    expect(waiting[0]).toMatch(/WARN +\[Leg1\] not posting on BP: ASTER cannot take a hedge now \(.*answered 503.*\); checking again every 5 s$/)
    expect(waiting[1]).toMatch(/\[Leg1\] not posting on BP: ASTER cannot take a hedge now \(.*\) for 6\d s; checking again every 5 s$/)
    expect(log).toMatch(/\[Leg1\] ASTER can take hedges again after 9\d s: posting/)
    // leg 2 found it readable: nothing held back
    expect(log).not.toMatch(/\[Leg2\] not posting/)
    // the observer (the live runner's alerts) heard of it once it had lasted a minute, and of its end
    expect(held.map((e) => [e.phase, e.cycle, e.leg])).toEqual([["held", 1, 1], ["resumed", 1, 1]])
    expect(held[0]!.heldForMs).toBe(60_000)
    expect(held[1]!.heldForMs).toBeGreaterThanOrEqual(94_000)
    expect(held[0]!.reason).toMatch(/^ASTER cannot take a hedge now \(.*answered 503/)
  })

  it("a hedge market that takes no market orders holds the maker order back; its state is read anew every 10 s until it trades", async () => {
    const ticks = oneCycleMarket(300, 120_000, 200_000)
    const hedges: Array<[number, string, string]> = []
    const makerPosts: Array<[number, string]> = []
    const reads = { count: 0 }
    const { report, log, fills } = await run(ticks, (kernel, venues) => marketStates("hedge", [[0, SETTLING], [70_000, TRADING]], hedges, reads)(kernel, hedgeDownUntil(0, makerPosts)(kernel, venues)))
    expect(report.run.outcome).toBe("completed")
    // the start's reading (not counted, at 1 s) says SETTLING; read anew every 10 s from 11 s:
    // the 7th, at 71 s, finds it trading, and leg 1 posts; read once more before leg 2 posts at
    // 140 s, the last reading being over a minute old
    expect(reads.count).toBe(8)
    expect(makerPosts.map(([, price]) => price)).toEqual(["2.0024", "2.0009"])
    expect(makerPosts[0]![0]).toBeGreaterThanOrEqual(70_000)
    expect(makerPosts[0]![0]).toBeLessThanOrEqual(72_000)
    expect(log).toMatch(/WARN +\[Leg1\] not posting on BP: ASTER cannot take a hedge now \(ASTERUSDT takes no market orders now \(SETTLING\)\); checking again every 5 s/)
    expect(log).toMatch(/ASTER ASTERUSDT market state SETTLING → TRADING/)
    expect(log).toMatch(/\[Leg1\] ASTER can take hedges again after 70 s: posting/)
    expect(hedges.map(([, what, outcome]) => [what, outcome])).toEqual([["market", "taken"], ["market", "taken"]])
    expect(fills).toEqual(CYCLE_FILLS)
    expect(report.exposure.finalNetPosition).toBe("0")
  })

  it("a maker market gone cancel-only refuses the repost: the leg waits for it to reopen, then trades", async () => {
    // leg 1 rests at 2.0024 from 1 s; not filled within 20 s, it is cancelled (cancels are taken)
    // and posted again, refused: the market went CancelOnly at 10 s, after the last reading (at
    // the start). Read anew at once and every 10 s after, it is Open again at the read after
    // 150 s; the repost is filled at 200 s
    const ticks = oneCycleMarket(400, 200_000, 300_000)
    const placed: Array<[number, string, string]> = []
    const reads = { count: 0 }
    const { report, log, fills } = await run(ticks, marketStates("maker", [[0, OPEN], [10_000, CANCEL_ONLY], [150_000, OPEN]], placed, reads), 20)
    expect(report.run.outcome).toBe("completed")
    const outcomes = placed.map(([, what, outcome]) => [what, outcome])
    expect(outcomes.slice(0, 3)).toEqual([["2.0024", "taken"], ["2.0024", "refused"], ["2.0024", "taken"]])
    const [, refused, reposted] = placed
    expect(refused![0]).toBeGreaterThanOrEqual(21_000)
    expect(refused![0]).toBeLessThan(22_000)
    expect(reposted![0]).toBeGreaterThanOrEqual(150_000)
    expect(reposted![0]).toBeLessThan(162_000)
    expect(log).toMatch(/BP ASTER_USDC_PERP market state Open → CancelOnly/)
    expect(log).toMatch(/\[Leg1\] not posting on BP: BP ASTER_USDC_PERP takes no post-only limit orders now \(CancelOnly\); checking again every 5 s/)
    expect(log).toMatch(/\[Leg1\] BP takes post-only orders again after \d+ s: posting/)
    expect(fills.slice(0, 2)).toEqual([
      ["backpack", "sell", "2.0024", "10"],
      ["aster-futures", "buy", "2.0005", "10"]
    ])
    expect(report.exposure.finalNetPosition).toBe("0")
  })

  it("a hedge market that stops taking market orders while the maker order rests: the order is withdrawn at the next reading, before a fill it could not hedge", async () => {
    // leg 1 rests at 2.0024 from 1 s (first_wait 300 s). Aster settles from 30 to 100 s; a buy
    // through the order at 80 s would fill it then, with no hedge to be had. The reading a minute
    // after the start's (61 s) finds SETTLING: the order is cancelled, the leg waits, reading the
    // state every 10 s; at 101 s it trades again, and leg 1 posts from the last price the 80 s
    // trade left (2.003 × 1.001 → 2.0051), filled at 150 s; leg 2 buys at 2.0009 (below the
    // ask), filled at 250 s
    const ticks: Array<ScriptedTick> = [
      ...steadyQuotes(400),
      { t: 500, venue: "bp", trade: ["2.0003", "1", "buy"] },
      { t: 80_000, venue: "bp", trade: ["2.0030", "110", "buy"] },
      { t: 150_000, venue: "bp", trade: ["2.0060", "110", "buy"] },
      { t: 250_000, venue: "bp", trade: ["1.9980", "110", "sell"] }
    ]
    const hedges: Array<[number, string, string]> = []
    const makerPosts: Array<[number, string]> = []
    const reads = { count: 0 }
    const { report, log, fills } = await run(
      ticks,
      (kernel, venues) => marketStates("hedge", [[0, TRADING], [30_000, SETTLING], [100_000, TRADING]], hedges, reads)(kernel, hedgeDownUntil(0, makerPosts)(kernel, venues)),
      300
    )
    expect(report.run.outcome).toBe("completed")
    expect(log).toMatch(/WARN +\[Leg1\] ASTER cannot take a hedge now \(ASTERUSDT takes no market orders now \(SETTLING\)\): cancelling BP sell order bp-1/)
    expect(log).toMatch(/\[Leg1\] BP sell order bp-1 cancelled \(0 filled\); posting again once both venues take the leg's orders/)
    expect(log).toMatch(/ASTER ASTERUSDT market state TRADING → SETTLING/)
    expect(log).toMatch(/\[Leg1\] ASTER can take hedges again after 40 s: posting/)
    // posted at 1 s, again at 101 s (read at 61, 71, 81, 91 and 101 s), and leg 2
    expect(makerPosts.map(([ms, price]) => [Math.floor(ms / 1000), price])).toEqual([[1, "2.0024"], [101, "2.0051"], [170, "2.0009"]])
    // no hedge was ever refused, and nothing filled while Aster was settling
    expect(hedges.map(([, what, outcome]) => [what, outcome])).toEqual([["market", "taken"], ["market", "taken"]])
    expect(report.fills.every((f) => f.ts - T0 >= 150_000)).toBe(true)
    expect(fills).toEqual([["backpack", "sell", "2.0051", "10"], ...CYCLE_FILLS.slice(1)])
    expect(report.exposure.finalNetPosition).toBe("0")
  })

  it("a hedge market that stopped between the legs holds leg 2 back: its market is read before the post, a minute after the last reading", async () => {
    // leg 1 posts at 1 s and is filled at 50 s (no reading falls due while it rests); Aster
    // settles from 55 to 100 s. Leg 2 is due at 70 s: the last reading (the start's) is 69 s
    // old, so it is read first, finds SETTLING and waits; read again at 100 s, it posts
    const ticks = oneCycleMarket(300, 50_000, 150_000)
    const hedges: Array<[number, string, string]> = []
    const makerPosts: Array<[number, string]> = []
    const reads = { count: 0 }
    const { report, log, fills } = await run(ticks, (kernel, venues) => marketStates("hedge", [[0, TRADING], [55_000, SETTLING], [100_000, TRADING]], hedges, reads)(kernel, hedgeDownUntil(0, makerPosts)(kernel, venues)))
    expect(report.run.outcome).toBe("completed")
    expect(makerPosts.map(([ms, price]) => [Math.floor(ms / 1000), price])).toEqual([[1, "2.0024"], [100, "2.0009"]])
    expect(log).toMatch(/WARN +\[Leg2\] not posting on BP: ASTER cannot take a hedge now \(ASTERUSDT takes no market orders now \(SETTLING\)\)/)
    expect(log).toMatch(/\[Leg2\] ASTER can take hedges again after 30 s: posting/)
    expect(hedges.map(([, what, outcome]) => [what, outcome])).toEqual([["market", "taken"], ["market", "taken"]])
    expect(fills).toEqual(CYCLE_FILLS)
    expect(report.exposure.finalNetPosition).toBe("0")
  })

  it("a hedge refused by a market that stopped taking market orders waits for it to reopen, then hedges: the run goes on, flat", async () => {
    // leg 1 rests from 1 s and is filled at 40 s; Aster settles from 30 to 70 s, unread since the
    // start: the hedge is refused, the reading after the refusal says SETTLING, and the hedge waits,
    // reading it every 10 s (50, 60, 70 s), rather than spend its retries; at 70 s it goes
    const ticks = oneCycleMarket(300, 40_000, 150_000)
    const hedges: Array<[number, string, string]> = []
    const reads = { count: 0 }
    const { report, log, fills, hedgeHeld } = await run(ticks, marketStates("hedge", [[0, TRADING], [30_000, SETTLING], [70_000, TRADING]], hedges, reads))
    expect(report.run.outcome).toBe("completed")
    // the observer (the live runner's alerts) hears of the wait at once, and of its end
    expect(hedgeHeld.map((e) => [e.phase, e.cycle, e.leg, e.side, formatDecimal(e.qty), formatDecimal(e.unhedged), e.asset, e.heldForMs, e.reason])).toEqual([
      ["held", 1, 1, "buy", "10", "-10", "ASTER", 0, "ASTERUSDT takes no market orders now (SETTLING)"],
      ["resumed", 1, 1, "buy", "10", "-10", "ASTER", 30_000, "ASTERUSDT takes no market orders now (SETTLING)"]
    ])
    expect(hedges.map(([ms, what, outcome]) => [Math.floor(ms / 1000), what, outcome])).toEqual([[40, "market", "refused"], [70, "market", "taken"], [150, "market", "taken"]])
    expect(log).toMatch(/WARN +hedge buy 10 waits: ASTERUSDT takes no market orders now \(SETTLING\); 10 ASTER unhedged meanwhile, the market read every 10 s/)
    expect(log).toMatch(/ASTER takes market orders again after 30 s: hedging/)
    expect(fills).toEqual(CYCLE_FILLS)
    expect(report.exposure.finalNetPosition).toBe("0")
    // the 30 s unhedged are in the report, and within the kill switch's limit (600 here)
    expect(Number(report.exposure.unhedgedQtySeconds)).toBeGreaterThanOrEqual(300)
    expect(Number(report.exposure.unhedgedQtySeconds)).toBeLessThan(310)
  })

  it("a run that ends while it waits has posted nothing and is flat", async () => {
    const placed: Array<[number, string]> = []
    const { report, fills } = await run([...steadyQuotes(60), { t: 500, venue: "bp" as const, trade: ["2.0003", "1", "buy"] as const }], hedgeDownUntil(Number.POSITIVE_INFINITY, placed))
    expect(report.run.outcome).toBe("data-ended")
    expect(placed).toEqual([])
    expect(fills).toEqual([])
    expect(report.exposure.finalNetPosition).toBe("0")
  })
})
