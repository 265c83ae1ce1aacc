/**
 * The hedge loop when a venue's answer is not the end of the story: a hedge answered before it
 * finished executing, a cancel answered before it was carried out, a price that cannot be read
 * for a few seconds, a cancel that fails on a stop, and a hedge venue whose minimum order value
 * the leg's quantity falls below at its own price. Each ends hedged, with no order sent twice.
 */
import { BigDecimal, Effect } from "effect"
import { describe, expect, it } from "vitest"
import { decimal } from "../src/core/domain/decimal"
import { VenueUnavailable } from "../src/core/errors"
import type { Exchange } from "../src/core/exchange"
import type { BacktestOptions } from "../src/sim/backtest"
import { FIRST_TRADE, LEG1_FILLS, qty, quotes, scriptedBacktest, sum } from "./support/scripted-backtest"
import { type ScriptedTick, type ScriptOptions, T0 } from "./support/scripted-market"

/** `trade`: the config's trade keys over quantity 10 and offset 0.1 % */
const backtest = (ticks: ReadonlyArray<ScriptedTick>, trade: Record<string, unknown>, decorate?: BacktestOptions["decorate"], script: ScriptOptions = {}) =>
  scriptedBacktest(ticks, { trade }, decorate, script)

describe("a hedge answered before it finished executing", () => {
  /** The first hedge's answer shows `shown` executed and the order still open; the venue executes it in full. */
  const answeredOpen = (shown: string): BacktestOptions["decorate"] => (_kernel, venues) => {
    let first = true
    const hedge: Exchange = {
      ...venues.hedge,
      placeMarket: (request) =>
        Effect.map(venues.hedge.placeMarket(request), (order) => {
          if (!first) return order
          first = false
          const executed = decimal(shown)
          return { ...order, status: BigDecimal.isZero(executed) ? "new" : "partially-filled", filledQty: executed, filledQuote: BigDecimal.multiply(executed, decimal("2.0005")) }
        })
    }
    return { ...venues, hedge }
  }

  for (const shown of ["0", "4"]) {
    it(`with ${shown} of 10 executed so far: it is asked about until it has ended, and nothing is hedged twice`, async () => {
      const { report, log } = await backtest([...quotes(0, 20), FIRST_TRADE, LEG1_FILLS], {}, answeredOpen(shown))
      expect(log).toMatch(new RegExp(`hedge buy 10 \\(hl-h\\d+\\) answered ${shown === "0" ? "new" : "partially-filled"} with ${shown} executed: nothing more is hedged until it has ended`))
      expect(qty(sum(report, "backpack", "sell"))).toBe("10")
      expect(qty(sum(report, "aster-futures", "buy"))).toBe("10")
      expect(report.fills.filter((f) => f.venue === "aster-futures")).toHaveLength(1)
      expect(report.exposure.finalNetPosition).toBe("0")
    })
  }
})

describe("a cancel answered before it was carried out", () => {
  it("the order is asked about until it has ended: the leg does not post a second order beside one still resting", async () => {
    const ticks = [
      ...quotes(0, 80),
      FIRST_TRADE,
      // bp-1 rests at 2.002; the market falls, bp-1 is cancelled after 10 s and bp-2 posted at 1.9991
      { t: 8000, venue: "bp" as const, trade: ["1.9950", "1", "sell"] as const },
      { t: 15_000, venue: "bp" as const, trade: ["1.9991", "50", "buy"] as const },
      // during the sleep between the legs the market comes back through 2.002: bp-1, had it been left resting, fills
      { t: 20_000, venue: "bp" as const, trade: ["2.0030", "200", "buy"] as const },
      { t: 45_000, venue: "bp" as const, trade: ["1.9900", "200", "sell"] as const }
    ]
    let cancels = 0
    const { report } = await backtest(ticks, { first_wait_seconds: 10, max_cycles: 1 }, (_kernel, venues) => ({
      ...venues,
      // the first cancel is accepted but not carried out yet when answered: the order as it stands
      maker: { ...venues.maker, cancel: (orderId) => Effect.suspend(() => (cancels++ === 0 ? venues.maker.queryOrder({ orderId }) : venues.maker.cancel(orderId))) }
    }))
    expect(cancels).toBeGreaterThan(1)
    expect(qty(sum(report, "backpack", "sell"))).toBe("10")
    expect(qty(sum(report, "backpack", "buy"))).toBe("10")
    expect(report.exposure.finalNetPosition).toBe("0")
    expect(report.run.outcome).toBe("completed")
  })
})

describe("a hedge venue out for a few seconds after a fill", () => {
  /** Aster answers nothing from 2.5 s to 5 s: its order endpoint, and its price too when `tickerDown`. */
  const outage = (tickerDown: boolean): BacktestOptions["decorate"] => (kernel, venues) => {
    const down = () => kernel.now / 1000 >= T0 + 2500 && kernel.now / 1000 < T0 + 5000
    const unavailable = new VenueUnavailable({ venue: "aster-futures", reason: "503 Service Unavailable" })
    return {
      ...venues,
      hedge: {
        ...venues.hedge,
        ticker: Effect.suspend(() => (tickerDown && down() ? Effect.fail(unavailable) : venues.hedge.ticker)),
        placeMarket: (request) => Effect.suspend(() => (down() ? Effect.fail(unavailable) : venues.hedge.placeMarket(request)))
      }
    }
  }

  for (const tickerDown of [false, true]) {
    it(`${tickerDown ? "its price unreadable as well" : "its order endpoint only"}: the hedge is tried again until it goes through`, async () => {
      const { report } = await backtest([...quotes(0, 60), FIRST_TRADE, LEG1_FILLS], {}, outage(tickerDown))
      const hedges = report.fills.filter((f) => f.venue === "aster-futures")
      expect(hedges.map((f) => [f.side, f.qty])[0]).toEqual(["buy", "10"])
      // sent once the outage was over
      expect(hedges[0]!.ts).toBeGreaterThanOrEqual(T0 + 5000)
    })
  }
})

describe("a stop whose maker cancel fails", () => {
  it("still hedges what filled: the hedge venue is up", async () => {
    // Aster minimum 5: fills of 2, 2, 2 (6 sold, 4 to go) are held back (6 + 4 − 5.25 < 5)
    const trades = [2000, 4000, 6000].map((t, i) => ({ t, venue: "bp" as const, trade: ["2.0020", i === 0 ? "102" : "2", "buy"] as const }))
    const { report, log } = await backtest([...quotes(0, 60), FIRST_TRADE, ...trades], { max_cycles: 1 }, (_kernel, venues) => ({
      ...venues,
      maker: { ...venues.maker, cancel: () => Effect.fail(new VenueUnavailable({ venue: "backpack", reason: "503 Service Unavailable" })) }
    }), { asterMinQty: "5" })
    expect(log).toMatch(/stopping: could not cancel the BP order \(backpack unavailable: 503 Service Unavailable\): it may still rest/)
    expect(qty(sum(report, "backpack", "sell"))).toBe("6")
    expect(qty(sum(report, "aster-futures", "buy"))).toBe("6")
    expect(report.exposure.finalNetPosition).toBe("0")
  })
})

describe("trade.quantity and the hedge venue's minimum order value at its own price", () => {
  it("below it at the start (the hedge venue's bid, not the maker's last price): refused, naming the smallest hedge", async () => {
    // Aster minimum order value 20: 10 × 2.0000 (Backpack's last) would pass; 10 × 1.9995 (Aster's bid) does not
    const { report } = await backtest([...quotes(0, 60), FIRST_TRADE, LEG1_FILLS], { max_cycles: 1 }, undefined, { asterMinNotional: "20" })
    expect(report.run.outcome).toBe("failed")
    expect(report.run.message).toMatch(/trade\.quantity cannot be traded: .*quantity 10 is below the smallest hedge order 10\.01 at price 1\.9995/)
    expect(report.fills).toEqual([])
  })

  it("below it once the hedge venue's price has fallen: the maker order is held back until a hedge of it fits, nothing left unhedged", async () => {
    // minimum order value 19.5: 9.76 at 1.9995, 10.55 at 1.85 (from 10 s to 40 s)
    const ticks = [
      ...quotes(0, 10),
      ...quotes(10, 40, ["1.8500", "1.8505"]),
      ...quotes(40, 90),
      FIRST_TRADE,
      LEG1_FILLS,
      { t: 60_000, venue: "bp" as const, trade: ["1.9900", "200", "sell"] as const }
    ]
    const { report, log } = await backtest(ticks, { max_cycles: 1 }, undefined, { asterMinNotional: "19.5" })
    expect(log).toMatch(/\[Leg2\] not posting on BP: its hedge of 10 would be below ASTER's smallest order 10\.55 at 1\.85 \(minimum order value 19\.5\)/)
    expect(log).toMatch(/\[Leg2\] ASTER can take hedges again after \d+ s: posting/)
    const leg2Order = log.split("\n").find((line) => /\[Leg2\] monitoring BP buy order/.test(line))!
    expect(Date.parse(leg2Order.slice(0, 24))).toBeGreaterThanOrEqual(T0 + 40_000)
    expect(qty(sum(report, "backpack", "buy"))).toBe("10")
    expect(qty(sum(report, "aster-futures", "sell"))).toBe("10")
    expect(report.exposure.finalNetPosition).toBe("0")
    expect(report.run.outcome).toBe("completed")
  })
})

describe("a venue that cannot say its next funding time for a moment", () => {
  it("is asked again, as an order would be: the cycle goes on", async () => {
    let asked = 0
    const { report } = await backtest([...quotes(0, 60), FIRST_TRADE, LEG1_FILLS, { t: 30_000, venue: "bp", trade: ["1.9900", "200", "sell"] }], { max_cycles: 1 }, (_kernel, venues) => ({
      ...venues,
      maker: {
        ...venues.maker,
        nextFundingTime: Effect.suspend(() => (++asked <= 2 ? Effect.fail(new VenueUnavailable({ venue: "backpack", reason: "GET /api/v1/markPrices answered 502" })) : venues.maker.nextFundingTime))
      }
    }))
    expect(asked).toBe(3)
    expect(report.run.outcome).toBe("completed")
    expect(report.fills.map((f) => [f.venue, f.side, f.qty])).toEqual([
      ["backpack", "sell", "10"],
      ["aster-futures", "buy", "10"],
      ["backpack", "buy", "10"],
      ["aster-futures", "sell", "10"]
    ])
  })
})
