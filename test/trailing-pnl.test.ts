/**
 * The trailing window behind risk.max_loss_per_day: hand-computed cases (exact decimals, the
 * window's edge to the millisecond, late and out-of-order events), and on random histories the
 * window's PnL against a sum over every event recomputed from scratch, and `clearsAt` against
 * that sum just before and at the time it names.
 */
import { describe, expect, it } from "@effect/vitest"
import { BigDecimal } from "effect"
import * as fc from "fast-check"
import type { TradedMarket } from "../src/core/accounting/fee-value"
import { type Decimal, decimal, formatDecimal, ZERO } from "../src/core/domain/decimal"
import type { Side } from "../src/core/domain/order"
import type { Venue } from "../src/core/domain/venue"
import { TrailingPnl } from "../src/core/risk/trailing-pnl"
import { fillOf as fill } from "./support/fills"

const s = formatDecimal
const MARKETS: ReadonlyArray<TradedMarket> = [
  { venue: "backpack", symbol: "ASTER_USDC_PERP", base: "ASTER", quote: "USDC" },
  { venue: "aster-futures", symbol: "ASTERUSDT", base: "ASTER", quote: "USDT" }
]


describe("TrailingPnl: hand-computed", () => {
  it("a hedged pair: the spread and the fees, whatever the mark", () => {
    const w = new TrailingPnl(1000, MARKETS)
    w.addFill(fill("backpack", "sell", "10", "2", "0.004", 100))
    w.addFill(fill("aster-futures", "buy", "10", "2.001", "0.007", 110))
    // 20 − 0.004 − 10 × 2 + (−20.01 − 0.007 + 10 × 2.001)
    expect(s(w.pnlAt(110))).toBe("-0.011")
    w.mark("backpack", decimal("2.5"), 120)
    w.mark("aster-futures", decimal("2.5"), 120)
    // 19.996 − 25 + (−20.017 + 25)
    expect(s(w.pnlAt(120))).toBe("-0.021")
  })

  it("an event counts while younger than the window: (now − window, now]", () => {
    const w = new TrailingPnl(1000, MARKETS)
    w.addFunding("backpack", decimal("-0.5"), 100)
    w.addFunding("aster-futures", decimal("0.2"), 300)
    expect(s(w.pnlAt(1099))).toBe("-0.3")
    // the first is exactly 1000 old: out
    expect(s(w.pnlAt(1100))).toBe("0.2")
    expect(s(w.pnlAt(1299))).toBe("0.2")
    expect(s(w.pnlAt(1300))).toBe("0")
  })

  it("a fill leaving the window takes its quantity with it", () => {
    const w = new TrailingPnl(1000, MARKETS)
    w.addFill(fill("backpack", "buy", "10", "2", "0", 100))
    w.addFill(fill("backpack", "sell", "10", "2.1", "0", 600))
    expect(s(w.pnlAt(600))).toBe("1")
    // only the sell is left: 21 − 10 × 2.1 (the latest price known)
    expect(s(w.pnlAt(1100))).toBe("0")
    w.mark("backpack", decimal("2.2"), 1200)
    // 21 − 22: a short left open in the window, marked against it
    expect(s(w.pnlAt(1200))).toBe("-1")
  })

  it("events arrive out of time order: the sum is the same, and a late one already older than the window is dropped", () => {
    const w = new TrailingPnl(1000, MARKETS)
    w.addFunding("backpack", decimal("-1"), 500)
    w.addFunding("backpack", decimal("-2"), 200)
    w.addFunding("backpack", decimal("-4"), 900)
    expect(s(w.pnlAt(1150))).toBe("-7")
    expect(s(w.pnlAt(1250))).toBe("-5")
    // stamped 100: it left the window at 1100, before it was heard of
    w.addFunding("backpack", decimal("-8"), 100)
    expect(s(w.pnlAt(1250))).toBe("-5")
    expect(s(w.pnlAt(1500))).toBe("-4")
  })

  it("a mark prices only the market the run trades on that venue; an older price never replaces a newer one", () => {
    const w = new TrailingPnl(10_000, MARKETS)
    w.addFill(fill("backpack", "buy", "1", "3", "0", 100, "SOL_USDC_PERP"))
    w.mark("backpack", decimal("5"), 200)
    // SOL is still valued at its fill
    expect(s(w.pnlAt(200))).toBe("0")
    w.addFill(fill("backpack", "buy", "1", "2", "0", 300))
    w.mark("backpack", decimal("1.5"), 250)
    expect(s(w.pnlAt(300))).toBe("0")
    w.mark("backpack", decimal("1.5"), 400)
    expect(s(w.pnlAt(400))).toBe("-0.5")
  })

  it("clearsAt: when enough of the loss has left the window", () => {
    const w = new TrailingPnl(1000, MARKETS)
    w.addFunding("backpack", decimal("-3"), 100)
    w.addFunding("backpack", decimal("2"), 200)
    w.addFunding("backpack", decimal("-1"), 300)
    // −2 in all: above −2.5 already
    expect(w.clearsAt(350, decimal("2.5"))).toBe(350)
    // at or below −2: once −3 leaves (at 1100) the sum is +1
    expect(w.clearsAt(350, decimal("2"))).toBe(1100)
    const later = new TrailingPnl(1000, MARKETS)
    later.addFunding("backpack", decimal("1"), 100)
    later.addFunding("backpack", decimal("-2"), 200)
    later.addFunding("backpack", decimal("-2"), 200)
    // −3; the +1 leaving first makes it worse; both −2s leave together at 1200
    expect(later.clearsAt(300, decimal("1"))).toBe(1200)
    const together = new TrailingPnl(1000, MARKETS)
    together.addFunding("backpack", decimal("-3"), 200)
    together.addFunding("aster-futures", decimal("3"), 200)
    together.addFunding("backpack", decimal("-1"), 300)
    // the −3 and +3 leave at the same moment: nothing changes at 1200
    expect(together.clearsAt(300, decimal("0.5"))).toBe(1300)
  })
})

/** One recorded event, for the from-scratch sum. */
type Event =
  | { readonly kind: "fill"; readonly venue: Venue; readonly side: Side; readonly qty: string; readonly price: string; readonly fee: string; readonly ts: number }
  | { readonly kind: "funding"; readonly venue: Venue; readonly amount: string; readonly ts: number }
  | { readonly kind: "mark"; readonly venue: Venue; readonly price: string; readonly ts: number }

const WINDOW = 1000
const cents = (min: number, max: number) => fc.integer({ min, max }).map((n) => BigDecimal.format(BigDecimal.make(BigInt(n), 2)))
const venue = fc.constantFrom<Venue>("backpack", "aster-futures")
// on a 100 ms grid, so that events share a time (they leave the window together)
const time = fc.integer({ min: 0, max: 50 }).map((n) => n * 100)
const event: fc.Arbitrary<Event> = fc.oneof(
  fc.record({ kind: fc.constant("fill" as const), venue, side: fc.constantFrom<Side>("buy", "sell"), qty: cents(1, 2000), price: cents(100, 300), fee: cents(0, 5), ts: time }),
  fc.record({ kind: fc.constant("funding" as const), venue, amount: cents(-300, 100), ts: time }),
  fc.record({ kind: fc.constant("mark" as const), venue, price: cents(100, 300), ts: time })
)

/** The window's PnL at `now` from every event recorded, recomputed from nothing. */
const fromScratch = (events: ReadonlyArray<Event>, now: number): Decimal => {
  const price = new Map<Venue, { price: Decimal; ts: number }>()
  for (const e of events) {
    if (e.kind === "funding") continue
    const known = price.get(e.venue)
    if (known === undefined || e.ts >= known.ts) price.set(e.venue, { price: decimal(e.price), ts: e.ts })
  }
  let total = ZERO
  for (const e of events) {
    if (e.ts <= now - WINDOW) continue
    if (e.kind === "funding") total = BigDecimal.sum(total, decimal(e.amount))
    if (e.kind !== "fill") continue
    const qty = e.side === "buy" ? decimal(e.qty) : BigDecimal.negate(decimal(e.qty))
    const cash = BigDecimal.subtract(BigDecimal.negate(BigDecimal.multiply(qty, decimal(e.price))), decimal(e.fee))
    total = BigDecimal.sum(total, BigDecimal.sum(cash, BigDecimal.multiply(qty, price.get(e.venue)!.price)))
  }
  return BigDecimal.normalize(total)
}

const replay = (events: ReadonlyArray<Event>): TrailingPnl => {
  const w = new TrailingPnl(WINDOW, MARKETS)
  for (const e of events) {
    if (e.kind === "fill") w.addFill(fill(e.venue, e.side, e.qty, e.price, e.fee, e.ts))
    else if (e.kind === "funding") w.addFunding(e.venue, decimal(e.amount), e.ts)
    else w.mark(e.venue, decimal(e.price), e.ts)
  }
  return w
}

describe("TrailingPnl: random histories", () => {
  it("equals the from-scratch sum at every look, events in any order, looks at rising times", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(event, fc.integer({ min: 0, max: 300 })), { maxLength: 60 }), (steps) => {
        const w = new TrailingPnl(WINDOW, MARKETS)
        const seen: Array<Event> = []
        let now = 0
        for (const [e, advance] of steps) {
          if (e.kind === "fill") w.addFill(fill(e.venue, e.side, e.qty, e.price, e.fee, e.ts))
          else if (e.kind === "funding") w.addFunding(e.venue, decimal(e.amount), e.ts)
          else w.mark(e.venue, decimal(e.price), e.ts)
          seen.push(e)
          now += advance
          expect(s(w.pnlAt(now))).toBe(s(fromScratch(seen, now)))
        }
      }),
      { numRuns: 300 }
    )
  })

  it("clearsAt names the first millisecond the sum is back above the limit", () => {
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 50_000 }), fc.integer({ min: 0, max: 5000 }), (events, limitCents, now) => {
        const limit = BigDecimal.make(BigInt(limitCents), 2)
        const floor = BigDecimal.negate(limit)
        // marks after `now` would be news from the future: the look is at a time all events precede
        const at = Math.max(now, ...events.map((e) => e.ts))
        const clears = replay(events).clearsAt(at, limit)
        expect(clears).toBeGreaterThanOrEqual(at)
        expect(BigDecimal.greaterThan(fromScratch(events, clears), floor)).toBe(true)
        // the sum only changes as events leave: at each such time before it, still at or below
        const leaving = [at, clears - 1, ...events.map((e) => e.ts + WINDOW)].filter((t) => t >= at && t < clears)
        for (const t of leaving) expect(BigDecimal.greaterThan(fromScratch(events, t), floor)).toBe(false)
      }),
      { numRuns: 300 }
    )
  })
})
