/**
 * A venue that changes a symbol's filters while the run goes on (a coarser tick, a larger step, a
 * new minimum): the hedge loop on hand-made markets, each venue wrapped as a live one behaves. Its
 * adapter keeps the filters it last read until `refreshInstrument` reads them anew, and the venue
 * refuses any order its filters in force reject. Expected numbers are worked out in the comments
 * (latencies: submit/cancel/response 10 ms, feed 5 ms).
 */
import { BigDecimal, Effect } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { decimal, formatDecimal, isMultipleOf } from "../src/core/domain/decimal"
import { checkFilters, type Instrument } from "../src/core/domain/instrument"
import { OrderRejected } from "../src/core/errors"
import type { Exchange } from "../src/core/exchange"
import { limitPrice } from "../src/core/strategy/hedge-loop"
import { runBacktest } from "../src/sim/backtest"
import { testConfig } from "./support/config"
import { type ScriptedTick, T0, writeScript } from "./support/scripted-market"

type Decorate = NonNullable<Parameters<typeof runBacktest>[0]["decorate"]>
type FilterChange = Partial<Pick<Instrument, "tickSize" | "stepSize" | "minQty" | "minNotional">>

/** Both venues quoted every second: Backpack 1.9990/2.0010, Aster 1.9995/2.0005, size 100. */
const steadyQuotes = (seconds: number): Array<ScriptedTick> =>
  Array.from({ length: seconds }, (_, s) => [
    { t: s * 1000, venue: "bp" as const, quote: ["1.9990", "100", "2.0010", "100"] as const },
    { t: s * 1000, venue: "as" as const, quote: ["1.9995", "100", "2.0005", "100"] as const }
  ]).flat()

interface VenueLog {
  /** how often the filters were read anew */
  refreshes: number
  /** the orders the venue refused, as "price qty" (market orders: "market qty") */
  refused: Array<string>
  /** the orders it took */
  taken: Array<string>
}

/**
 * `role`'s venue changes its filters by `change` from `fromMs` (file time) on. As a live adapter,
 * its `instrument` says what was last read; its orders are judged by the filters in force, and
 * refused (with Backpack's INVALID_ORDER, Aster's -4014) when they break them. `refusals` adds
 * refusals of its own (for a reason other than the filters).
 */
const changingFilters = (role: "maker" | "hedge", fromMs: number, change: FilterChange, log: VenueLog, refusals: (price: string) => string | undefined = () => undefined): Decorate => (kernel, venues) => {
  const venue: Exchange = venues[role]
  const before = Effect.runSync(venue.instrument)
  const after: Instrument = { ...before, ...change }
  const inForce = () => (Math.floor(kernel.now / 1000) >= T0 + fromMs ? after : before)
  let read = before
  const judged = <A>(price: string, qty: BigDecimal.BigDecimal, violation: string | undefined, send: Effect.Effect<A, any>) =>
    Effect.suspend(() => {
      const refusal = violation ?? refusals(price)
      const what = `${price} ${formatDecimal(qty)}`
      if (refusal !== undefined) {
        log.refused.push(what)
        return Effect.fail(new OrderRejected({ venue: venue.venue, code: venue.venue === "backpack" ? "INVALID_ORDER" : "-4014", reason: refusal }))
      }
      log.taken.push(what)
      return send
    })
  const wrapped: Exchange = {
    ...venue,
    instrument: Effect.sync(() => read),
    refreshInstrument: Effect.sync(() => {
      log.refreshes += 1
      read = inForce()
      return read
    }),
    placeLimit: (request) =>
      Effect.suspend(() => judged(formatDecimal(request.price), request.qty, checkFilters(inForce(), request.qty, request.price)?.message, venue.placeLimit(request))),
    placeMarket: (request) => Effect.suspend(() => judged("market", request.qty, checkFilters(inForce(), request.qty, undefined)?.message, venue.placeMarket(request)))
  }
  return { ...venues, [role]: wrapped }
}

const newLog = (): VenueLog => ({ refreshes: 0, refused: [], taken: [] })

const run = (ticks: Array<ScriptedTick>, trade: Record<string, unknown>, decorate: Decorate) => {
  const lines: Array<string> = []
  const file = writeScript(ticks)
  return Effect.runPromise(runBacktest({ dbPath: file, config: testConfig({ trade }), log: (l) => lines.push(l), decorate })).then((report) => ({
    report,
    log: lines.join("\n"),
    fills: report.fills.map((f) => [f.venue, f.side, f.price, f.qty])
  }))
}

describe("a venue that changes its filters during a run", () => {
  // last price 2.0003: leg 1 sells at 2.0003 × 1.001 = 2.0023003, on the 0.0001 tick 2.0024
  // (rounded up: passive); on a 0.001 tick 2.003. A buy at 2.0030 at 3 s fills 10 there (no
  // quote rests at 2.003: nothing queues ahead). Leg 2 (from 23.03 s) buys at 2.003 × 0.999 =
  // 2.000997: 2.0009 on the old tick, 2.000 on the new one; a sale through it at 30 s fills it.
  const ticks = [
    ...steadyQuotes(60),
    { t: 500, venue: "bp" as const, trade: ["2.0003", "1", "buy"] as const },
    { t: 3000, venue: "bp" as const, trade: ["2.0030", "110", "buy"] as const },
    { t: 30_000, venue: "bp" as const, trade: ["1.9980", "110", "sell"] as const }
  ]
  const oneCycle = { quantity: "10", offset_percent: 0.1, max_cycles: 1, between_legs_sleep: 20 }

  it("a maker order refused for the new tick reads the filters anew and is priced on the new grid", async () => {
    const maker = newLog()
    const { report, log, fills } = await run(ticks, oneCycle, changingFilters("maker", 0, { tickSize: decimal("0.001") }, maker))
    expect(report.run.outcome).toBe("completed")
    // refused once at 2.0024, then every price on the 0.001 grid
    expect(maker.refused).toEqual(["2.0024 10"])
    expect(maker.taken).toEqual(["2.003 10", "2 10"])
    expect(maker.refreshes).toBe(1)
    expect(fills).toEqual([
      ["backpack", "sell", "2.003", "10"],
      ["aster-futures", "buy", "2.0005", "10"],
      ["backpack", "buy", "2", "10"],
      ["aster-futures", "sell", "1.9995", "10"]
    ])
    expect(report.exposure.finalNetPosition).toBe("0")
    expect(log).toMatch(/BP ASTER_USDC_PERP filters changed \(an order was refused: price 2\.0024 is not a positive multiple of tick size 0\.001\): tick 0\.0001 → 0\.001; trading on the new ones/)
    expect(log).toMatch(/\[Leg1\] re-pricing on the new BP filters/)
    expect(log).toMatch(/\[Leg1\] BP limit sell price: 2\.003 \(from last price 2\.0003\)/)
  })

  it("without a change, a maker order refused three times in a row, 10 s apart, stops the run; each refusal reads the filters", async () => {
    const maker = newLog()
    const { report, fills, log } = await run(ticks, oneCycle, changingFilters("maker", 0, {}, maker, () => "Price is too far from the mark price"))
    expect(maker.refreshes).toBe(3)
    // at 0.5 s from last 2.0003; at 10.5 s and 20.5 s from the 2.0030 traded at 3 s: 2.005003 → 2.0051
    expect(maker.refused).toEqual(["2.0024 10", "2.0051 10", "2.0051 10"])
    expect(fills).toEqual([])
    expect(report.run.outcome).toBe("failed")
    expect(report.run.message).toBe("backpack refused the request (INVALID_ORDER): Price is too far from the mark price")
    expect(log).toMatch(
      /WARN +\[Leg1\] backpack refused the request \(INVALID_ORDER\): Price is too far from the mark price; BP reads open with its filters unchanged: posting again in 10 s \(refusal 1 of 3\)/
    )
    expect(log).toMatch(/\(refusal 2 of 3\)/)
    expect(log).not.toMatch(/\(refusal 3 of 3\)/)
  })

  it("a maker order refused once for no reason the reading shows (a market closed and open again in between) is posted again 10 s later", async () => {
    const maker = newLog()
    // refused at 2.0024 only; at 10.5 s posted at 2.0051 (last 2.0030), bought through at 12 s
    const later = [
      ...steadyQuotes(60),
      { t: 500, venue: "bp" as const, trade: ["2.0003", "1", "buy"] as const },
      { t: 3000, venue: "bp" as const, trade: ["2.0030", "1", "buy"] as const },
      { t: 12_000, venue: "bp" as const, trade: ["2.0060", "110", "buy"] as const },
      { t: 45_000, venue: "bp" as const, trade: ["1.9980", "110", "sell"] as const }
    ]
    const { report, fills, log } = await run(later, oneCycle, changingFilters("maker", 0, {}, maker, (price) => (price === "2.0024" ? "Order book is PostOnly" : undefined)))
    expect(report.run.outcome).toBe("completed")
    expect(maker.refused).toEqual(["2.0024 10"])
    expect(maker.taken[0]).toBe("2.0051 10")
    expect(fills.slice(0, 2)).toEqual([
      ["backpack", "sell", "2.0051", "10"],
      ["aster-futures", "buy", "2.0005", "10"]
    ])
    expect(report.exposure.finalNetPosition).toBe("0")
    expect(log).toMatch(/\(refusal 1 of 3\)/)
  })

  it("a hedge refused for the new step is sized anew on it, at once and not after its retries; nothing is hedged twice", async () => {
    // buys of 104.5 at 3 s and 5.5 at 5 s at leg 1's price (2.0024): the first clears the 100
    // queued ahead (the size shown at the best ask) and fills 4.5, the second the other 5.5
    const partial = [
      ...steadyQuotes(60),
      { t: 500, venue: "bp" as const, trade: ["2.0003", "1", "buy"] as const },
      { t: 3000, venue: "bp" as const, trade: ["2.0024", "104.5", "buy"] as const },
      { t: 5000, venue: "bp" as const, trade: ["2.0024", "5.5", "buy"] as const },
      { t: 30_000, venue: "bp" as const, trade: ["1.9980", "110", "sell"] as const }
    ]
    const hedge = newLog()
    // the Aster step becomes 1 (minimum 1) from the start; the maker venue keeps its filters, so
    // leg 1 sells at 2.0024
    const { report, log, fills } = await run(partial, { ...oneCycle, hedge_retry_attempts: 3 }, changingFilters("hedge", 0, { stepSize: decimal("1"), minQty: decimal("1") }, hedge))
    expect(report.run.outcome).toBe("completed")
    // 4.5 filled with 5.5 to come: the hedge of 4.5 is refused (off the new step); read anew, the
    // next is min(4.5, 4.5 + 5.5 − ⌈1 × 1.05⌉ = 8) = 4.5, floored to the step: 4; after the 5.5,
    // 6 are unhedged and nothing is to come: 6. Leg 2's 10 in one.
    expect(hedge.refused).toEqual(["market 4.5"])
    expect(hedge.taken).toEqual(["market 4", "market 6", "market 10"])
    expect(hedge.refreshes).toBe(1)
    expect(fills.filter(([venue]) => venue === "aster-futures")).toEqual([
      ["aster-futures", "buy", "2.0005", "4"],
      ["aster-futures", "buy", "2.0005", "6"],
      ["aster-futures", "sell", "1.9995", "10"]
    ])
    expect(report.exposure.finalNetPosition).toBe("0")
    expect(log).toMatch(/ASTER ASTERUSDT filters changed \(a hedge was refused: quantity 4\.5 is not a positive multiple of step size 1\): step 0\.01 → 1, min qty 0\.01 → 1; trading on the new ones/)
    expect(log).toMatch(/hedge buy 4\.5 is sized anew on the ASTER filters/)
  })

  it("a quantity the new filters cannot trade: the leg trades what it can, and the next cycle stops the run saying why", async () => {
    const maker = newLog()
    const two = { ...oneCycle, quantity: "10.5", max_cycles: 2, cycle_sleep: 5 }
    // leg 1: 10.5 refused (step 1 from the start), read anew, 10 posted; the last 0.5 cannot be
    // traded: the leg ends with 10. Leg 2 buys 10.5 floored: 10, and likewise ends
    const { report, log, fills } = await run(ticks, two, changingFilters("maker", 0, { stepSize: decimal("1"), minQty: decimal("1") }, maker))
    expect(maker.refused).toEqual(["2.0024 10.5"])
    expect(maker.taken).toEqual(["2.0024 10", "2.0009 10"])
    expect(fills).toEqual([
      ["backpack", "sell", "2.0024", "10"],
      ["aster-futures", "buy", "2.0005", "10"],
      ["backpack", "buy", "2.0009", "10"],
      ["aster-futures", "sell", "1.9995", "10"]
    ])
    expect(log).toMatch(/\[Leg1\] the leg's last 0\.5 is below the BP step or minimum order size \(1, 1\): the leg ends with 10 filled/)
    expect(report.run.outcome).toBe("failed")
    expect(report.run.message).toMatch(/^the venues changed their filters, and trade\.quantity cannot be traded: backpack ASTER_USDC_PERP: quantity 10\.5 is not a positive multiple of step size 1$/)
    expect(report.exposure.finalNetPosition).toBe("0")
  })

  it("an unwind leg the new filters cut short: the next one unwinds what is really left, not what the cut leg was meant to trade", async () => {
    const maker = newLog()
    // a stopped run left the maker venue short 15 (hedged long on Aster): unwind buys 10, then 5.
    // The first buy (at 2.0003 × 0.999 = 1.9982) fills 6 at 2 s (106 sold at its price, 100 ahead of it); from 3 s
    // the step is 5: its last 4 cannot be traded, and the leg ends with 6 bought: 9 are left
    const unwindTicks = [
      ...steadyQuotes(60),
      { t: 500, venue: "bp" as const, trade: ["2.0003", "1", "buy"] as const },
      { t: 2000, venue: "bp" as const, trade: ["1.9982", "106", "sell"] as const },
      { t: 20_000, venue: "bp" as const, trade: ["1.9900", "200", "sell"] as const },
      // the second buy (from 26 s, at 1.988) fills here
      { t: 30_000, venue: "bp" as const, trade: ["1.9800", "200", "sell"] as const }
    ]
    const fiveStep = changingFilters("maker", 3000, { stepSize: decimal("5"), minQty: decimal("5") }, maker)
    const shortFifteen: Decorate = (kernel, venues) => {
      const changed = fiveStep(kernel, venues)
      return { ...changed, maker: { ...changed.maker, position: Effect.map(changed.maker.position, (p) => ({ ...p, qty: BigDecimal.subtract(p.qty, decimal("15")) })) } }
    }
    const { log, fills } = await run(unwindTicks, { ...oneCycle, unwind_at_start: true, first_wait_seconds: 5 }, shortFifteen)
    expect(log).toMatch(/\[Unwind\] BP position -15 is a hedged pair left by an interrupted run: buy 10 first/)
    expect(log).toMatch(/the leg's last 4 is below the BP step or minimum order size \(5, 5\): the leg ends with 6 filled/)
    // 9 left, not the 5 the leg was meant to leave: 5 bought on the new step, and 4 cannot be traded
    expect(log).toMatch(/\[Unwind\] BP position -9 is a hedged pair left by an interrupted run: buy 5 first/)
    expect(log).toMatch(/\[Unwind\] BP position -4 is left as it is: too small to trade on both venues/)
    const unwound = fills.filter(([venue, side]) => venue === "backpack" && side === "buy").slice(0, 2)
    expect(unwound.map(([, , , qty]) => qty)).toEqual(["6", "5"])
  })

  it("a maker order's post re-reads the filters a minute old, and trades on what changed without a refusal", async () => {
    // 40 minutes of trades through both sides every second: cycles of about 32 s (20 s between
    // the legs, 10 s cycle sleep); the Aster minimum notional becomes 1 at 10 minutes, which no
    // order of 10 × 2 breaks
    const minutes = 40
    const busy: Array<ScriptedTick> = [
      ...steadyQuotes(minutes * 60),
      ...Array.from({ length: minutes * 60 }, (_, s) => ({ t: s * 1000 + 500, venue: "bp" as const, trade: [s % 2 ? "2.0300" : "1.9700", "200", s % 2 ? "buy" : "sell"] as const }))
    ]
    const hedge = newLog()
    const { report, log } = await run(busy, { quantity: "10", offset_percent: 0.1, max_cycles: 0, between_legs_sleep: 20, cycle_sleep: 10 }, changingFilters("hedge", 10 * 60_000, { minNotional: decimal("1") }, hedge))
    expect(report.run.outcome).toBe("data-ended")
    expect(report.cycles.count).toBeGreaterThan(40)
    // read at the first post once the last reading is a minute old: about once a minute (posts
    // are 10 to 22 s apart), never more often
    expect(hedge.refreshes).toBeGreaterThanOrEqual(30)
    expect(hedge.refreshes).toBeLessThanOrEqual(minutes)
    expect(hedge.refused).toEqual([])
    const changed = log.split("\n").filter((line) => /filters changed/.test(line))
    expect(changed).toHaveLength(1)
    expect(changed[0]).toMatch(/ASTER ASTERUSDT filters changed \(the check every minute\): min notional 0 → 1; trading on the new ones/)
    // seen at the first reading after the change: within a minute and one post's spacing
    const at = Date.parse(changed[0]!.slice(0, 24)) - T0
    expect(at).toBeGreaterThanOrEqual(10 * 60_000)
    expect(at).toBeLessThan(10 * 60_000 + 60_000 + 22_000)
  })
})

describe("a maker price on a tick coarser than the book's quotes", () => {
  const coarse = (tick: string): Instrument => ({
    venue: "backpack", symbol: "ASTER_USDC_PERP", base: "ASTER", quote: "USDC", kind: "perp",
    tickSize: decimal(tick), stepSize: decimal("0.01"), minQty: decimal("0.01"), minNotional: decimal("0")
  })
  const price = (side: "buy" | "sell", last: string, bid: string, ask: string) =>
    formatDecimal(limitPrice(coarse("0.05"), side, decimal(last), decimal(bid), decimal(ask), decimal("0")))

  it("stays on the grid and off the quotes that orders from before the change left off it", () => {
    // bid 1.9501: the first grid price above it is 2.00 (not 1.9501 + 0.05 = 2.0001)
    expect(price("sell", "1.93", "1.9501", "2.0499")).toBe("2")
    // ask 2.0499: the last grid price below it is 2.00 (not 2.0499 − 0.05 = 1.9999)
    expect(price("buy", "2.07", "1.9501", "2.0499")).toBe("2")
    // on the grid, as before: bid + tick, ask − tick
    expect(price("sell", "1.93", "1.95", "2.05")).toBe("2")
    expect(price("buy", "2.07", "1.95", "2.05")).toBe("2")
    expect(price("sell", "2.07", "1.95", "2.05")).toBe("2.1")
  })

  it("is on the tick, above the bid for a sell and below the ask for a buy, whatever the quotes", () => {
    const units = (max: number) => fc.integer({ min: 1, max })
    fc.assert(
      fc.property(fc.constantFrom("0.0001", "0.001", "0.05", "0.5"), units(40_000), units(40_000), units(2000), units(40_000), fc.constantFrom("buy" as const, "sell" as const), (tick, bidUnits, spreadUnits, lastTicks, lastUnits, side) => {
        // quotes on the 0.0001 grid, so often off a coarser tick
        const bid = BigDecimal.make(BigInt(bidUnits), 4)
        const ask = BigDecimal.make(BigInt(bidUnits + spreadUnits), 4)
        const last = BigDecimal.make(BigInt(lastUnits + lastTicks), 4)
        const p = limitPrice(coarse(tick), side, last, bid, ask, decimal("0.1"))
        expect(isMultipleOf(p, decimal(tick))).toBe(true)
        if (side === "sell") expect(BigDecimal.greaterThan(p, bid)).toBe(true)
        else expect(BigDecimal.lessThan(p, ask)).toBe(true)
      }),
      { numRuns: 500 }
    )
  })
})
