/**
 * The kill switch: each limit on hand-computed cases (exact decimals), the exposure integral
 * against a hand-computed sum on random step paths, the watchdog on effect's TestClock (it trips
 * at the very millisecond the limit is reached, never one before), and the `risk:` config.
 */
import { describe, expect, it } from "@effect/vitest"
import { BigDecimal, Cause, Effect, Either, Exit, Fiber, Option, TestClock } from "effect"
import * as fc from "fast-check"
import { readFileSync } from "node:fs"
import * as YAML from "yaml"
import type { TradedMarket } from "../src/core/accounting/fee-value"
import { type HedgeConfig, parseConfig } from "../src/core/config/config"
import { decimal, formatDecimal, ZERO } from "../src/core/domain/decimal"
import type { HedgeAttemptFailed, HedgeSent, StrategyObserverService } from "../src/core/strategy/observer"
import { KillSwitchTripped, RiskGuard, riskObserver, watchdog } from "../src/core/risk/risk-guard"
import { describeProgress } from "../src/live/run-progress"
import { fillOf as fill } from "./support/fills"
import { farLimits } from "./support/risk-limits"

const s = formatDecimal

const limits = farLimits


const tripOf = (guard: RiskGuard, now: number): KillSwitchTripped | undefined => Option.getOrUndefined(guard.check(now))

describe("RiskGuard: unhedged quantity × seconds", () => {
  it.effect("10 unhedged against a 600 limit trips at 60 s exactly, not 1 ms before", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxUnhedgedQtySeconds: decimal("600") }))
      yield* guard.recordExposure(decimal("10"), 1_000)
      expect(tripOf(guard, 1_000)).toBeUndefined()
      expect(guard.nextTripTime()).toBe(61_000)
      expect(tripOf(guard, 60_999)).toBeUndefined()
      expect(s(guard.status(60_999).unhedgedQtySeconds)).toBe("599.99")
      const trip = tripOf(guard, 61_000)
      expect(trip).toBeInstanceOf(KillSwitchTripped)
      expect(trip).toMatchObject({ key: "max_unhedged_qty_seconds", value: "600", limit: "600", ts: 61_000 })
      expect(trip!.message).toBe("kill switch (risk.max_unhedged_qty_seconds): unhedged base quantity × seconds is 600, the limit is 600")
    }))

  it.effect("a short exposure counts by its absolute value; a flip from long to short keeps the stretch", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxUnhedgedQtySeconds: decimal("600") }))
      yield* guard.recordExposure(decimal("10"), 0)
      // 10 × 20 s = 200, then -5 from there: 400 more take 80 s
      yield* guard.recordExposure(decimal("-5"), 20_000)
      expect(s(guard.status(20_000).unhedgedQtySeconds)).toBe("200")
      expect(s(guard.status(60_000).unhedgedQtySeconds)).toBe("400")
      expect(guard.nextTripTime()).toBe(100_000)
      expect(tripOf(guard, 99_999)).toBeUndefined()
      expect(tripOf(guard, 100_000)?.key).toBe("max_unhedged_qty_seconds")
    }))

  it.effect("a fractional exposure trips at the first whole millisecond the integral reaches the limit", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxUnhedgedQtySeconds: decimal("1") }))
      yield* guard.recordExposure(decimal("0.3"), 0)
      // 0.3 × 3.333 s = 0.9999 < 1 ≤ 0.3 × 3.334 s = 1.0002
      expect(guard.nextTripTime()).toBe(3_334)
      expect(tripOf(guard, 3_333)).toBeUndefined()
      expect(tripOf(guard, 3_334)).toMatchObject({ value: "1.0002", limit: "1" })
    }))

  it.effect("back to zero: the stretch restarts, so routine exposure never adds up", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxUnhedgedQtySeconds: decimal("600") }))
      yield* guard.recordExposure(decimal("10"), 0)
      yield* guard.recordExposure(ZERO, 50_000) // 500 of 600
      expect(tripOf(guard, 50_000)).toBeUndefined()
      expect(s(guard.status(55_000).unhedgedQtySeconds)).toBe("0")
      expect(guard.nextTripTime()).toBeUndefined()
      // idle for a long while: nothing accrues
      expect(tripOf(guard, 10_000_000)).toBeUndefined()
      yield* guard.recordExposure(decimal("10"), 60_000)
      // were it not reset, 500 + 10 × 10 s would reach 600 at 70 s
      expect(tripOf(guard, 70_000)).toBeUndefined()
      expect(s(guard.status(70_000).unhedgedQtySeconds)).toBe("100")
      expect(guard.nextTripTime()).toBe(120_000)
      expect(tripOf(guard, 119_999)).toBeUndefined()
      expect(tripOf(guard, 120_000)).toMatchObject({ key: "max_unhedged_qty_seconds", ts: 120_000 })
    }))

  it.effect("a stretch that reaches the limit just as it is hedged still trips, and the guard stays tripped", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxUnhedgedQtySeconds: decimal("600") }))
      yield* guard.recordExposure(decimal("10"), 0)
      yield* guard.recordExposure(ZERO, 60_000)
      const trip = tripOf(guard, 60_000)
      expect(trip).toMatchObject({ key: "max_unhedged_qty_seconds", value: "600", ts: 60_000 })
      // flat ever since, still tripped, the same reason
      expect(tripOf(guard, 600_000)).toBe(trip)
      expect(guard.nextTripTime()).toBeUndefined()
      expect(Option.getOrUndefined(guard.status(600_000).tripped)).toBe(trip)
    }))

  it.effect("one millisecond short of the limit when hedged does not trip", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxUnhedgedQtySeconds: decimal("600") }))
      yield* guard.recordExposure(decimal("10"), 0)
      yield* guard.recordExposure(ZERO, 59_999)
      expect(tripOf(guard, 59_999)).toBeUndefined()
      expect(tripOf(guard, 3_600_000)).toBeUndefined()
    }))

  it.effect("a venue-stamped event ahead of our clock does not bring the exposure trip forward", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxUnhedgedQtySeconds: decimal("600") }))
      yield* guard.recordExposure(decimal("10"), 0)
      // at 59 s by our clock, fills, a position and a mark arrive stamped by a venue clock 1.5 s ahead
      yield* guard.recordFill(fill("aster-futures", "buy", "0.1", "2", "0", 60_500))
      yield* guard.recordPosition({ venue: "aster-futures", symbol: "ASTERUSDT", qty: decimal("0.1") }, 60_500)
      yield* guard.recordMark("aster-futures", decimal("2"), 60_500)
      yield* guard.recordFunding("aster-futures", ZERO, 60_500)
      expect(tripOf(guard, 59_000)).toBeUndefined()
      expect(guard.nextTripTime()).toBe(60_000)
      expect(tripOf(guard, 59_999)).toBeUndefined()
      expect(tripOf(guard, 60_000)).toMatchObject({ key: "max_unhedged_qty_seconds", value: "600", ts: 60_000 })
    }))

  it.effect("a venue-stamped event still trips its own limit at once", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxUnhedgedQtySeconds: decimal("600"), maxPosition: decimal("50") }))
      yield* guard.recordExposure(decimal("10"), 0)
      yield* guard.recordFill(fill("backpack", "sell", "50", "2", "0", 70_000))
      expect(tripOf(guard, 1_000)).toMatchObject({ key: "max_position", ts: 70_000 })
    }))

  it("the integral equals the hand-computed Σ |q_i|·Δt_i of the current stretch, on random step paths", () => {
    const step = fc.record({
      // hundredths of a base unit, zero now and then
      q: fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 5, arbitrary: fc.integer({ min: -100_000, max: 100_000 }) }),
      dt: fc.integer({ min: 0, max: 120_000 })
    })
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 120_000 }), (path, tail) => {
        const guard = Effect.runSync(RiskGuard.make(limits()))
        let t = 5_000
        // hand-computed, in hundredths × ms: the sum restarts at every zero
        let expected = 0n
        for (let i = 0; i < path.length; i++) {
          const { q, dt } = path[i]!
          Effect.runSync(guard.recordExposure(BigDecimal.make(BigInt(q), 2), t))
          const held = i === path.length - 1 ? tail : dt
          expected = q === 0 ? 0n : expected + BigInt(Math.abs(q)) * BigInt(held)
          // the status between events sees the stretch so far
          if (i < path.length - 1) t += dt
        }
        const status = guard.status(t + tail)
        // hundredths × ms → base × s
        expect(BigDecimal.equals(status.unhedgedQtySeconds, BigDecimal.make(expected, 5))).toBe(true)
        expect(Option.isNone(status.tripped)).toBe(true)
      }),
      { numRuns: 300, seed: 20250601 }
    )
  })

  it("it trips at the first millisecond the hand-computed integral reaches a random limit, on random step paths", () => {
    const step = fc.record({
      q: fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 5, arbitrary: fc.integer({ min: -5_000, max: 5_000 }) }),
      dt: fc.integer({ min: 1, max: 30_000 })
    })
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 5_000 }).filter((q) => q !== 0),
        fc.integer({ min: 1, max: 2_000_000 }),
        (path, lastQ, limitHundredths) => {
          // the path, then lastQ held until the limit is reached
          const events = [...path, { q: lastQ, dt: Number.POSITIVE_INFINITY }]
          const limitUnitsMs = BigInt(limitHundredths) * 1000n // hundredths × ms
          // hand-computed: the first whole ms at which the stretch's integral reaches the limit
          let t = 0
          let acc = 0n
          let tripAt: number | undefined
          for (const { q, dt } of events) {
            if (q === 0) acc = 0n
            else {
              const needed = (limitUnitsMs - acc + BigInt(Math.abs(q)) - 1n) / BigInt(Math.abs(q))
              if (Number.isFinite(dt) ? needed <= BigInt(dt) : true) {
                tripAt = t + Number(needed)
                break
              }
              acc += BigInt(Math.abs(q)) * BigInt(dt)
            }
            t += dt
          }
          expect(tripAt).toBeDefined()
          const guard = Effect.runSync(RiskGuard.make(limits({ maxUnhedgedQtySeconds: BigDecimal.make(BigInt(limitHundredths), 2) })))
          let at = 0
          for (const { q, dt } of events) {
            if (at >= tripAt!) break
            Effect.runSync(guard.recordExposure(BigDecimal.make(BigInt(q), 2), at))
            at += dt
          }
          expect(guard.nextTripTime()).toBe(tripAt)
          expect(Option.isNone(guard.check(tripAt! - 1))).toBe(true)
          expect(Option.getOrUndefined(guard.check(tripAt!))?.key).toBe("max_unhedged_qty_seconds")
        }
      ),
      { numRuns: 300, seed: 7 }
    )
  })
})

describe("RiskGuard: consecutive hedge failures", () => {
  it.effect("trips at the third failure in a row; a hedge that executed starts the count over", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxConsecutiveHedgeFailures: 3 }))
      yield* guard.recordHedgeFailed(1)
      yield* guard.recordHedgeFailed(2)
      yield* guard.recordHedgeSucceeded(3)
      yield* guard.recordHedgeFailed(4)
      yield* guard.recordHedgeFailed(5)
      expect(tripOf(guard, 5)).toBeUndefined()
      expect(guard.status(5).consecutiveHedgeFailures).toBe(2)
      yield* guard.recordHedgeFailed(6)
      const trip = tripOf(guard, 6)
      expect(trip).toMatchObject({ key: "max_consecutive_hedge_failures", value: "3", limit: "3", ts: 6 })
      expect(trip!.message).toBe("kill switch (risk.max_consecutive_hedge_failures): consecutive failed hedge attempts is 3, the limit is 3")
      // a success afterwards does not un-trip it
      yield* guard.recordHedgeSucceeded(7)
      expect(tripOf(guard, 7)).toBe(trip)
    }))

  it.effect("a limit of 1 trips at the first failure", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxConsecutiveHedgeFailures: 1 }))
      expect(tripOf(guard, 0)).toBeUndefined()
      yield* guard.recordHedgeFailed(10)
      expect(tripOf(guard, 10)?.key).toBe("max_consecutive_hedge_failures")
    }))
})

describe("RiskGuard: position", () => {
  it.effect("the fills add up per venue; reaching 50 either way trips", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxPosition: decimal("50") }))
      yield* guard.recordFill(fill("backpack", "sell", "30", "2", "0"))
      yield* guard.recordFill(fill("aster-futures", "buy", "49.99", "2", "0"))
      yield* guard.recordFill(fill("backpack", "sell", "19.99", "2", "0"))
      // -49.99 and +49.99: each below its limit (the limit is per venue, not their sum)
      expect(tripOf(guard, 0)).toBeUndefined()
      expect(guard.status(0).positions.map((p) => `${p.venue} ${s(p.qty)}`)).toEqual(["backpack -49.99", "aster-futures 49.99"])
      yield* guard.recordFill(fill("backpack", "sell", "0.01", "2", "0", 42))
      const trip = tripOf(guard, 42)
      expect(trip).toMatchObject({ key: "max_position", subject: "backpack position", value: "-50", limit: "±50" })
      expect(trip!.message).toBe("kill switch (risk.max_position): backpack position is -50, the limit is ±50")
    }))

  it.effect("a long position trips too", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxPosition: decimal("50") }))
      yield* guard.recordFill(fill("aster-futures", "buy", "50", "2", "0"))
      expect(tripOf(guard, 0)).toMatchObject({ key: "max_position", subject: "aster-futures position", value: "50" })
    }))

  it.effect("a position read from the venue replaces what the fills added up to", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxPosition: decimal("50") }))
      yield* guard.recordFill(fill("backpack", "buy", "40", "2", "0"))
      yield* guard.recordPosition({ venue: "backpack", symbol: "ASTER_USDC_PERP", qty: decimal("10") }, 1)
      yield* guard.recordFill(fill("backpack", "buy", "39.99", "2", "0", 2))
      expect(tripOf(guard, 2)).toBeUndefined()
      // older holdings the fills never saw
      yield* guard.recordPosition({ venue: "aster-spot", symbol: "ASTERUSDT", qty: decimal("-50") }, 3)
      expect(tripOf(guard, 3)).toMatchObject({ key: "max_position", subject: "aster-spot position", value: "-50" })
    }))

  it.effect("a position found beyond the limit that the start unwinds may shrink, not grow; under the limit again, the limit applies as usual", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxPosition: decimal("50") }))
      yield* guard.recordPosition({ venue: "backpack", symbol: "ASTER_USDC_PERP", qty: decimal("-70") }, 0, { unwinding: true })
      yield* guard.recordPosition({ venue: "aster-futures", symbol: "ASTERUSDT", qty: decimal("70") }, 0, { unwinding: true })
      expect(tripOf(guard, 0)).toBeUndefined()
      // an unwinding leg: both shrink
      yield* guard.recordFill(fill("backpack", "buy", "10", "2", "0", 1))
      yield* guard.recordFill(fill("aster-futures", "sell", "10", "2", "0", 2))
      expect(tripOf(guard, 2)).toBeUndefined()
      // back toward -70, yet still beyond the limit: it grew again
      yield* guard.recordFill(fill("backpack", "sell", "5", "2", "0", 3))
      const trip = tripOf(guard, 3)
      expect(trip).toMatchObject({ key: "max_position", value: "-65", limit: "±60" })
      expect(trip!.message).toBe("kill switch (risk.max_position): backpack position (beyond the limit, being unwound: it may shrink, not grow) is -65, the limit is ±60")
    }))

  it.effect("once an unwound position is under the limit, reaching the limit trips as usual", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxPosition: decimal("50") }))
      yield* guard.recordPosition({ venue: "backpack", symbol: "ASTER_USDC_PERP", qty: decimal("-50") }, 0, { unwinding: true })
      yield* guard.recordFill(fill("backpack", "buy", "10", "2", "0", 1))
      yield* guard.recordFill(fill("backpack", "sell", "9.99", "2", "0", 2))
      expect(tripOf(guard, 2)).toBeUndefined()
      yield* guard.recordFill(fill("backpack", "sell", "0.01", "2", "0", 3))
      expect(tripOf(guard, 3)).toMatchObject({ key: "max_position", subject: "backpack position", value: "-50", limit: "±50" })
    }))

  it.effect("without unwinding, a position found at the limit trips at once", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxPosition: decimal("50") }))
      yield* guard.recordPosition({ venue: "backpack", symbol: "ASTER_USDC_PERP", qty: decimal("-50") }, 0, { unwinding: false })
      expect(tripOf(guard, 0)).toMatchObject({ key: "max_position", value: "-50", limit: "±50" })
    }))
})

describe("RiskGuard: loss", () => {
  it.effect("a hedged pair: the PnL is the spread paid and the fees, whatever the marks", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxLoss: decimal("50") }))
      yield* guard.recordFill(fill("backpack", "sell", "10", "2", "0.004"))
      yield* guard.recordFill(fill("aster-futures", "buy", "10", "2.001", "0.0070035"))
      // 20 − 0.004 − 10 × 2 (valued at its fill) + (−20.01 − 0.0070035 + 10 × 2.001)
      expect(s(guard.status(0).pnl)).toBe("-0.0110035")
      yield* guard.recordMark("backpack", decimal("2.5"), 1)
      yield* guard.recordMark("aster-futures", decimal("2.5"), 1)
      // 19.996 − 25 + (−20.0170035 + 25)
      expect(s(guard.status(1).pnl)).toBe("-0.0210035")
      yield* guard.recordMark("aster-futures", decimal("2.4995"), 2)
      expect(s(guard.status(2).pnl)).toBe("-0.0260035")
      expect(tripOf(guard, 2)).toBeUndefined()
    }))

  it.effect("an unhedged leg marked against us: trips when the PnL reaches −50, not before", () =>
    Effect.gen(function*() {
      const run = (mark: string) =>
        Effect.gen(function*() {
          const guard = yield* RiskGuard.make(limits({ maxLoss: decimal("50") }))
          yield* guard.recordFill(fill("backpack", "sell", "10", "2", "0.004"))
          yield* guard.recordMark("backpack", decimal(mark), 5)
          return { pnl: s(guard.status(5).pnl), trip: tripOf(guard, 5) }
        })
      // 19.996 − 10 × mark
      expect(yield* run("6.9995")).toEqual({ pnl: "-49.999", trip: undefined })
      const reached = yield* run("6.9996")
      expect(reached.pnl).toBe("-50")
      expect(reached.trip).toMatchObject({ key: "max_loss", subject: "PnL", value: "-50", limit: "-50", ts: 5 })
      expect(reached.trip!.message).toBe("kill switch (risk.max_loss): PnL is -50, the limit is -50")
      expect((yield* run("8")).trip?.value).toBe("-60.004")
    }))

  it.effect("fees and funding count", () =>
    Effect.gen(function*() {
      const run = (funding: string) =>
        Effect.gen(function*() {
          const guard = yield* RiskGuard.make(limits({ maxLoss: decimal("50") }))
          yield* guard.recordFill(fill("backpack", "sell", "10", "2", "0.004"))
          yield* guard.recordFill(fill("aster-futures", "buy", "10", "2.001", "0.0070035"))
          yield* guard.recordFunding("aster-futures", decimal("1.5"), 1) // received
          yield* guard.recordFunding("backpack", decimal(funding), 2) // paid
          return { pnl: s(guard.status(2).pnl), trip: tripOf(guard, 2)?.key }
        })
      // −0.0110035 + 1.5 + funding
      expect(yield* run("-51.4889964")).toEqual({ pnl: "-49.9999999", trip: undefined })
      expect(yield* run("-51.4889965")).toEqual({ pnl: "-50", trip: "max_loss" })
    }))

  it.effect("fees alone add up: many round trips at a flat price", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxLoss: decimal("1") }))
      for (let i = 0; i < 49; i++) {
        yield* guard.recordFill(fill("backpack", "sell", "10", "2", "0.01", i))
        yield* guard.recordFill(fill("backpack", "buy", "10", "2", "0.01", i))
      }
      expect(s(guard.status(49).pnl)).toBe("-0.98")
      expect(tripOf(guard, 49)).toBeUndefined()
      yield* guard.recordFill(fill("backpack", "sell", "10", "2", "0.01", 50))
      expect(tripOf(guard, 50)).toBeUndefined()
      yield* guard.recordFill(fill("backpack", "buy", "10", "2", "0.01", 51))
      expect(tripOf(guard, 51)).toMatchObject({ key: "max_loss", value: "-1" })
    }))

  it.effect("once tripped, a recovery does not clear it", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxLoss: decimal("50") }))
      yield* guard.recordFill(fill("backpack", "sell", "10", "2", "0"))
      yield* guard.recordMark("backpack", decimal("7"), 1)
      const trip = tripOf(guard, 1)
      expect(trip?.key).toBe("max_loss")
      yield* guard.recordMark("backpack", decimal("2"), 2)
      expect(s(guard.status(2).pnl)).toBe("0")
      expect(tripOf(guard, 2)).toBe(trip)
    }))
})

describe("RiskGuard: loss over the last 24 hours (max_loss_per_day)", () => {
  const DAY = 24 * 60 * 60 * 1000
  const MARKETS: ReadonlyArray<TradedMarket> = [
    { venue: "backpack", symbol: "ASTER_USDC_PERP", base: "ASTER", quote: "USDC" },
    { venue: "aster-futures", symbol: "ASTERUSDT", base: "ASTER", quote: "USDT" }
  ]
  /** an earlier run's round trip that lost 30 (sold 10 at 2, bought them back at 5) */
  const earlierLoss = (ts: number) => [fill("backpack", "sell", "10", "2", "0", ts), fill("backpack", "buy", "10", "5", "0", ts + 1)]

  it.effect("off by default: earlier runs are not even kept", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxLoss: decimal("50") }), MARKETS)
      yield* guard.recordEarlierRuns(earlierLoss(0), [{ venue: "backpack", amount: decimal("-100"), ts: 5 }], 10)
      expect(guard.status(10).pnlLastDay).toEqual(Option.none())
      expect(tripOf(guard, 10)).toBeUndefined()
    }))

  it.effect("earlier runs count toward the day, not toward this run's PnL, positions or max_loss", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxLoss: decimal("15"), maxPosition: decimal("5"), maxLossPerDay: Option.some(decimal("40")) }), MARKETS)
      yield* guard.recordEarlierRuns(earlierLoss(1000), [{ venue: "aster-futures", amount: decimal("-1.5"), ts: 2000 }], 3000)
      const before = guard.status(3000)
      expect([s(before.pnl), before.positions, s(Option.getOrThrow(before.pnlLastDay))]).toEqual(["0", [], "-31.5"])
      expect(tripOf(guard, 3000)).toBeUndefined()
      // this run's own loss: 8.5 (an unhedged short of 1 marked 8.5 above its price)
      yield* guard.recordFill(fill("backpack", "sell", "1", "2", "0", 4000))
      yield* guard.recordMark("backpack", decimal("10.4"), 4500)
      expect(tripOf(guard, 4500)).toBeUndefined()
      yield* guard.recordMark("backpack", decimal("10.5"), 5000)
      const trip = tripOf(guard, 5000)
      // −30 − 1.5 + (2 − 10.5)
      expect(trip).toMatchObject({ key: "max_loss_per_day", value: "-40", limit: "-40", ts: 5000 })
      // the earlier sell leaving at 1000 + 24 h leaves its buy of 10, now worth 10.5: 45 above zero
      expect(trip?.clearsAt).toBe(1000 + DAY)
      expect(trip?.message).toBe(
        "kill switch (risk.max_loss_per_day): the PnL of the last 24 hours (this run and the journal's earlier ones) is -40, the limit is -40; trading may start again from 1970-01-02T00:00:01Z, when enough of that loss is over 24 hours old"
      )
      expect(s(guard.status(5000).pnl)).toBe("-8.5")
    }))

  it.effect("losses older than 24 hours have left the window", () =>
    Effect.gen(function*() {
      const judgedAt = (now: number) =>
        Effect.gen(function*() {
          const guard = yield* RiskGuard.make(limits({ maxLossPerDay: Option.some(decimal("20")) }), MARKETS)
          yield* guard.recordEarlierRuns([], [{ venue: "aster-futures", amount: decimal("-25"), ts: 1000 }], now)
          return { lastDay: s(Option.getOrThrow(guard.status(now).pnlLastDay)), trip: tripOf(guard, now)?.key }
        })
      expect(yield* judgedAt(DAY + 999)).toEqual({ lastDay: "-25", trip: "max_loss_per_day" })
      expect(yield* judgedAt(DAY + 1000)).toEqual({ lastDay: "0", trip: undefined })
    }))
})

describe("riskObserver", () => {
  const hedgeSent = (executed: string, ts: number): HedgeSent => ({
    cycle: 1,
    leg: 1,
    side: "buy",
    qty: decimal("10"),
    executedQty: decimal(executed),
    executedQuote: ZERO,
    referencePrice: decimal("2"),
    clientId: `hl-${ts}`,
    ts
  })
  const hedgeFailed = (ts: number): HedgeAttemptFailed => ({ cycle: 1, leg: 1, side: "buy", qty: decimal("10"), clientId: `hl-${ts}`, reason: "refused", ts })

  it.effect("feeds the guard the strategy's exposure and hedge outcomes, and passes everything on", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const inner: StrategyObserverService = {
        cycleStarted: (cycle) => Effect.sync(() => void seen.push(`cycle ${cycle}`)),
        fundingPause: () => Effect.void,
        makerOrderPlaced: () => Effect.void,
        legCompleted: () => Effect.void,
        hedgeSent: (e) => Effect.sync(() => void seen.push(`hedge ${s(e.executedQty)}`)),
        exposureChanged: (q) => Effect.sync(() => void seen.push(`exposure ${s(q)}`)),
        hedgeFailed: (e) => Effect.sync(() => void seen.push(`failed ${e.ts}`))
      }
      const guard = yield* RiskGuard.make(limits({ maxConsecutiveHedgeFailures: 3, maxUnhedgedQtySeconds: decimal("600") }))
      const observer = riskObserver(guard, inner)
      yield* observer.cycleStarted(1, 0)
      yield* observer.exposureChanged(decimal("-10"), 0)
      expect(s(guard.status(0).unhedged)).toBe("-10")
      expect(guard.nextTripTime()).toBe(60_000)
      yield* observer.hedgeFailed!(hedgeFailed(1))
      yield* observer.hedgeFailed!(hedgeFailed(2))
      // a hedge that executed nothing is no success: the count goes on
      yield* observer.hedgeSent(hedgeSent("0", 3))
      expect(guard.status(3).consecutiveHedgeFailures).toBe(2)
      yield* observer.hedgeSent(hedgeSent("4", 4))
      expect(guard.status(4).consecutiveHedgeFailures).toBe(0)
      yield* observer.exposureChanged(decimal("-6"), 4)
      expect(s(guard.status(4).unhedgedQtySeconds)).toBe("0.04")
      expect(seen).toEqual(["cycle 1", "exposure -10", "failed 1", "failed 2", "hedge 0", "hedge 4", "exposure -6"])
      for (const ts of [5, 6]) yield* observer.hedgeFailed!(hedgeFailed(ts))
      expect(tripOf(guard, 6)).toBeUndefined()
      yield* observer.hedgeFailed!(hedgeFailed(7))
      expect(tripOf(guard, 7)?.key).toBe("max_consecutive_hedge_failures")
    }))

  it.effect("works over an inner observer without hedgeFailed", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxConsecutiveHedgeFailures: 1 }))
      const observer = riskObserver(guard)
      yield* observer.hedgeFailed!(hedgeFailed(1))
      expect(tripOf(guard, 1)?.key).toBe("max_consecutive_hedge_failures")
    }))
})

describe("watchdog (TestClock)", () => {
  const start = (guard: RiskGuard) => {
    const trips: Array<KillSwitchTripped> = []
    return Effect.map(
      Effect.fork(watchdog(guard, (reason) => Effect.sync(() => void trips.push(reason)))),
      (fiber) => ({ fiber, trips })
    )
  }
  /** a watchdog that never fires leaves Fiber.await waiting on a TestClock nobody moves: fail fast */
  const WATCHDOG_TIMEOUT = 10_000
  const failureOf = (exit: Exit.Exit<never, KillSwitchTripped>) => {
    if (Exit.isSuccess(exit)) throw new Error("the watchdog cannot succeed")
    return Option.getOrThrowWith(Cause.failureOption(exit.cause), () => new Error(Cause.pretty(exit.cause)))
  }

  it.effect("fails when ∫|unhedged|dt reaches the limit: at 60 s, not at 59.999 s", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxUnhedgedQtySeconds: decimal("600") }))
      yield* guard.recordExposure(decimal("10"), 0)
      const { fiber, trips } = yield* start(guard)
      yield* TestClock.adjust(59_999)
      expect(fiber.unsafePoll()).toBeNull()
      expect(trips).toEqual([])
      yield* TestClock.adjust(1)
      const error = failureOf(yield* Fiber.await(fiber))
      expect(error).toBeInstanceOf(KillSwitchTripped)
      expect(error).toMatchObject({ key: "max_unhedged_qty_seconds", value: "600", ts: 60_000 })
      expect(error.message).toContain("risk.max_unhedged_qty_seconds")
      // onTrip ran once, before the failure, with the same reason
      expect(trips).toEqual([error])
    }), WATCHDOG_TIMEOUT)

  it.effect("wakes on an event that changes the exposure and re-plans the deadline", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxUnhedgedQtySeconds: decimal("600") }))
      yield* guard.recordExposure(decimal("10"), 0)
      const { fiber } = yield* start(guard)
      yield* TestClock.adjust(30_000)
      // 300 so far; 300 more at 20 take 15 s: 45 s instead of 60 s
      yield* guard.recordExposure(decimal("20"), 30_000)
      yield* TestClock.adjust(14_999)
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust(1)
      expect(failureOf(yield* Fiber.await(fiber))).toMatchObject({ key: "max_unhedged_qty_seconds", ts: 45_000 })
    }), WATCHDOG_TIMEOUT)

  it.effect("a smaller exposure pushes the deadline out; hedged flat, it waits for events only", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxUnhedgedQtySeconds: decimal("600") }))
      yield* guard.recordExposure(decimal("10"), 0)
      const { fiber } = yield* start(guard)
      yield* TestClock.adjust(30_000)
      yield* guard.recordExposure(decimal("5"), 30_000) // 300 left at 5: 60 s more
      yield* TestClock.adjust(30_000) // 60 s: where the first deadline was
      expect(fiber.unsafePoll()).toBeNull()
      yield* guard.recordExposure(ZERO, 60_000) // hedged at 450
      yield* TestClock.adjust(3_600_000)
      expect(fiber.unsafePoll()).toBeNull()
      // a new stretch from 3 660 s: 600 at 10 takes 60 s
      yield* guard.recordExposure(decimal("10"), 3_660_000)
      yield* TestClock.adjust(59_999)
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust(1)
      expect(failureOf(yield* Fiber.await(fiber))).toMatchObject({ key: "max_unhedged_qty_seconds", ts: 3_720_000 })
    }), WATCHDOG_TIMEOUT)

  it.effect("wakes on other events too: the third failed hedge stops it without any time passing", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxConsecutiveHedgeFailures: 3 }))
      const { fiber, trips } = yield* start(guard)
      yield* TestClock.adjust(1_000)
      yield* guard.recordHedgeFailed(1_000)
      yield* guard.recordHedgeFailed(1_000)
      yield* Effect.yieldNow()
      expect(fiber.unsafePoll()).toBeNull()
      yield* guard.recordHedgeFailed(1_000)
      const error = failureOf(yield* Fiber.await(fiber))
      expect(error.key).toBe("max_consecutive_hedge_failures")
      expect(error.message).toContain("risk.max_consecutive_hedge_failures")
      expect(trips).toHaveLength(1)
    }), WATCHDOG_TIMEOUT)

  it.effect("a fill reaching the position limit and a mark reaching the loss limit stop it", () =>
    Effect.gen(function*() {
      const positions = yield* RiskGuard.make(limits({ maxPosition: decimal("50") }))
      const first = yield* start(positions)
      yield* positions.recordFill(fill("backpack", "sell", "50", "2", "0"))
      expect(failureOf(yield* Fiber.await(first.fiber)).message).toContain("risk.max_position")

      const losses = yield* RiskGuard.make(limits({ maxLoss: decimal("50") }))
      const second = yield* start(losses)
      yield* losses.recordFill(fill("backpack", "sell", "10", "2", "0"))
      yield* Effect.yieldNow()
      expect(second.fiber.unsafePoll()).toBeNull()
      yield* losses.recordMark("backpack", decimal("7"), 0)
      expect(failureOf(yield* Fiber.await(second.fiber)).message).toBe("kill switch (risk.max_loss): PnL is -50, the limit is -50")
    }), WATCHDOG_TIMEOUT)

  it.effect("a guard that tripped stays tripped: a new watchdog fails at once", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxUnhedgedQtySeconds: decimal("600") }))
      yield* guard.recordExposure(decimal("10"), 0)
      const { fiber } = yield* start(guard)
      yield* TestClock.adjust(60_000)
      const first = failureOf(yield* Fiber.await(fiber))
      yield* guard.recordExposure(ZERO, 60_000)
      yield* TestClock.adjust(3_600_000)
      const again = yield* start(guard)
      const second = failureOf(yield* Fiber.await(again.fiber))
      expect(second).toBe(first)
      expect(again.trips).toEqual([first])
    }), WATCHDOG_TIMEOUT)
})

describe("risk config", () => {
  const futures = readFileSync(new URL("../config/hedge_futures.example.yaml", import.meta.url), "utf8")
  const spot = readFileSync(new URL("../config/hedge.example.yaml", import.meta.url), "utf8")

  /** the futures example with `trade.quantity` and a `risk:` section replaced */
  const withRisk = (risk: Record<string, unknown> | undefined, quantity?: string): string => {
    const doc = YAML.parse(futures) as Record<string, Record<string, unknown>>
    if (quantity !== undefined) doc["trade"]!["quantity"] = quantity
    if (risk !== undefined) doc["risk"] = risk
    return YAML.stringify(doc)
  }
  const riskOf = (config: HedgeConfig) => ({
    maxUnhedgedQtySeconds: s(config.risk.maxUnhedgedQtySeconds),
    maxConsecutiveHedgeFailures: config.risk.maxConsecutiveHedgeFailures,
    maxPosition: s(config.risk.maxPosition),
    maxLoss: s(config.risk.maxLoss),
    maxLossPerDay: Option.getOrNull(Option.map(config.risk.maxLossPerDay, s)),
    maxAutoHedge: s(config.risk.maxAutoHedge)
  })
  const ok = (text: string) => Either.getOrThrowWith(parseConfig(text, "test.yaml"), (e) => new Error(e.message))
  const problems = (text: string) =>
    Either.match(parseConfig(text, "test.yaml"), {
      onLeft: (e) => e.problems,
      onRight: () => {
        throw new Error("expected the config to be refused")
      }
    })

  it("the example files have no risk section: defaults for quantity 10", () => {
    const defaults = { maxUnhedgedQtySeconds: "600", maxConsecutiveHedgeFailures: 3, maxPosition: "50", maxLoss: "50", maxLossPerDay: null, maxAutoHedge: "20" }
    expect(riskOf(ok(futures))).toEqual(defaults)
    expect(riskOf(ok(spot))).toEqual(defaults)
  })

  it("the futures example's commented risk block, uncommented, states the defaults (and sets max_loss_per_day)", () => {
    const uncommented = futures.replace(/^# risk:$/m, "risk:").replace(/^# {3}max_/gm, "  max_")
    expect(uncommented).not.toBe(futures)
    expect(riskOf(ok(uncommented))).toEqual({ ...riskOf(ok(futures)), maxLossPerDay: "100" })
  })

  it("the size defaults scale with trade.quantity; max_loss does not", () => {
    expect(riskOf(ok(withRisk(undefined, "0.25")))).toEqual({
      maxUnhedgedQtySeconds: "15",
      maxConsecutiveHedgeFailures: 3,
      maxPosition: "1.25",
      maxLoss: "50",
      maxLossPerDay: null,
      maxAutoHedge: "0.5"
    })
    expect(riskOf(ok(withRisk({}, "120")))).toMatchObject({ maxUnhedgedQtySeconds: "7200", maxPosition: "600", maxAutoHedge: "240" })
  })

  it("given values are taken exactly, as strings or numbers", () => {
    const config = ok(withRisk({ max_unhedged_qty_seconds: "120.5", max_consecutive_hedge_failures: 5, max_position: 12, max_loss: "7.25", max_loss_per_day: 20.5, max_auto_hedge: 0 }))
    expect(riskOf(config)).toEqual({ maxUnhedgedQtySeconds: "120.5", maxConsecutiveHedgeFailures: 5, maxPosition: "12", maxLoss: "7.25", maxLossPerDay: "20.5", maxAutoHedge: "0" })
    // the others keep their defaults
    expect(riskOf(ok(withRisk({ max_loss: 20 })))).toMatchObject({ maxLoss: "20", maxPosition: "50", maxUnhedgedQtySeconds: "600" })
    // a whole number in quotes too, as every other number of the file
    expect(riskOf(ok(withRisk({ max_consecutive_hedge_failures: "5" }))).maxConsecutiveHedgeFailures).toBe(5)
  })

  it("max_position must exceed trade.quantity", () => {
    expect(problems(withRisk({ max_position: "10" }))).toEqual([
      "risk.max_position: 10 must be above trade.quantity (10): one leg's fill reaches it"
    ])
    expect(problems(withRisk({ max_position: "4" }, "5"))).toEqual(["risk.max_position: 4 must be above trade.quantity (5): one leg's fill reaches it"])
    expect(riskOf(ok(withRisk({ max_position: "10.01" }))).maxPosition).toBe("10.01")
  })

  it("bad values are refused with a message naming the key", () => {
    const refused = (risk: Record<string, unknown>) => problems(withRisk(risk))
    expect(refused({ max_unhedged_qty_seconds: 0 })).toEqual([
      "risk.max_unhedged_qty_seconds: expected a positive number of base-quantity seconds, e.g. 600 (10 unhedged for a minute), got 0"
    ])
    expect(refused({ max_unhedged_qty_seconds: "-5" })[0]).toMatch(/^risk\.max_unhedged_qty_seconds: expected a positive number .*got "?-5"?$/)
    expect(refused({ max_unhedged_qty_seconds: "abc" })[0]).toMatch(/^risk\.max_unhedged_qty_seconds: expected a decimal number/)
    expect(refused({ max_consecutive_hedge_failures: 0 })).toEqual(["risk.max_consecutive_hedge_failures: expected a whole number ≥ 1, e.g. 3, got 0"])
    expect(refused({ max_consecutive_hedge_failures: 1.5 })[0]).toMatch(/^risk\.max_consecutive_hedge_failures: expected a whole number ≥ 1/)
    expect(refused({ max_consecutive_hedge_failures: "2.5" })[0]).toMatch(/^risk\.max_consecutive_hedge_failures: expected a whole number ≥ 1/)
    expect(refused({ max_position: 0 })[0]).toMatch(/^risk\.max_position: expected a positive base quantity per venue, e\.g\. 50, got 0$/)
    expect(refused({ max_loss: "-50" })[0]).toMatch(/^risk\.max_loss: expected a positive quote amount.*got "?-50"?$/)
    expect(refused({ max_loss_per_day: 0 })).toEqual([
      "risk.max_loss_per_day: expected a positive quote amount, e.g. 100 (trading stops once the last 24 hours' PnL reaches -100), got 0"
    ])
    expect(refused({ max_auto_hedge: -1 })).toEqual(["risk.max_auto_hedge: expected a base quantity ≥ 0, e.g. 20 (0: never hedge at start-up), got -1"])
    expect(refused({ max_unhedged_seconds: 60 })).toEqual(["risk.max_unhedged_seconds: unknown key (check its spelling and section)"])
    // every bad key is reported, not just the first
    expect(refused({ max_loss: 0, max_auto_hedge: "x" }).map((p) => p.split(":")[0]).sort()).toEqual(["risk.max_auto_hedge", "risk.max_loss"])
  })
})

describe("the live run's progress line", () => {
  it.effect("adds up volume, points, fees, funding and PnL from the guard's books", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits())
      // leg 1: sold 10 at 2.002 on Backpack (maker, fee 0.004004), bought 10 at 2.0005 on Aster (taker, fee 0.0070018)
      yield* guard.recordFill(fill("backpack", "sell", "10", "2.002", "0.004004"))
      yield* guard.recordFill(fill("aster-futures", "buy", "10", "2.0005", "0.0070018"))
      // leg 2: bought 10 at 1.9999 on Backpack, sold 10 at 1.9995 on Aster (fee 0.00699825)
      yield* guard.recordFill(fill("backpack", "buy", "10", "1.9999", "0.0039998"))
      yield* guard.recordFill(fill("aster-futures", "sell", "10", "1.9995", "0.00699825"))
      yield* guard.recordFunding("aster-futures", decimal("-0.0021"), 0)
      const points = new Map([
        ["backpack" as const, { makerWeight: decimal("1"), takerWeight: decimal("1") }],
        ["aster-futures" as const, { makerWeight: decimal("1"), takerWeight: decimal("2") }]
      ])
      // volume 20.02 + 19.999 + 20.005 + 19.995 = 80.019; points 40.019 + 2 × 40 = 120.019
      // fees 0.02200385; cash: Backpack 20.02 − 19.999 − 0.0080038 = 0.0129962,
      // Aster 19.995 − 20.005 − 0.01400005 − 0.0021 = −0.02610005; PnL −0.01310385 (flat: no marks)
      expect(describeProgress(3, guard.status(0), points)).toBe(
        "[Cycle 3] run so far: volume 80.02 (backpack maker 40.02, aster-futures taker 40), points ≈ 120.02, fees 0.022, funding -0.0021, " +
          "PnL -0.0131 (marked to market), positions backpack 0, aster-futures 0"
      )
    }))

  it.effect("with risk.max_loss_per_day set, the last 24 hours too, earlier runs included", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxLossPerDay: Option.some(decimal("100")) }))
      yield* guard.recordEarlierRuns([], [{ venue: "backpack", amount: decimal("-2.5"), ts: 0 }], 0)
      yield* guard.recordFill(fill("backpack", "sell", "10", "2", "0.004", 1))
      yield* guard.recordFill(fill("backpack", "buy", "10", "2", "0.004", 2))
      expect(describeProgress(2, guard.status(2), new Map())).toBe(
        "[Cycle 2] run so far: volume 40 (backpack maker 40), points ≈ 0, fees 0.008, funding 0, PnL -0.008 (marked to market), last 24 h -2.508 (earlier runs included), positions backpack 0"
      )
    }))

  it.effect("says so before any fill", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits())
      expect(describeProgress(2, guard.status(0), new Map())).toBe(
        "[Cycle 2] run so far: volume 0 (no fills), points ≈ 0, fees 0, funding 0, PnL 0 (marked to market), positions none"
      )
    }))
})
