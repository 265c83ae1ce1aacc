/**
 * The live run's backfill of fills the streams did not deliver (src/live/fill-backfill.ts), on a
 * fake venue and effect's TestClock: what it reads from the venue's history and when, what it
 * journals, and that the kill switch counts every fill of this run's orders exactly once.
 */
import { describe, expect, it } from "@effect/vitest"
import { BigDecimal, Effect, Option, TestClock } from "effect"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import type { Fill, Order, OrderUpdate } from "../src/core/domain/order"
import type { Exchange } from "../src/core/exchange"
import { RiskGuard, type RiskLimits } from "../src/core/risk/risk-guard"
import { makeFillBackfill } from "../src/live/fill-backfill"

const PREFIX = "hl-run2-"

const limits: RiskLimits = {
  maxUnhedgedQtySeconds: decimal("1000000000"),
  maxConsecutiveHedgeFailures: 1000,
  maxPosition: decimal("1000000000"),
  maxLoss: decimal("1000000000"),
  maxLossPerDay: Option.none()
}

const order = (filled: string, clientId = `${PREFIX}m1`, status: Order["status"] = "filled", id = "801"): Order => ({
  venue: "backpack",
  symbol: "ASTER_USDC_PERP",
  id,
  clientId,
  side: "sell",
  type: "limit",
  price: decimal("2"),
  qty: decimal("10"),
  filledQty: decimal(filled),
  filledQuote: BigDecimal.multiply(decimal(filled), decimal("2")),
  status,
  postOnly: true,
  timeInForce: "GTC",
  createdAt: 0,
  updatedAt: 0
})

const fill = (tradeId: string, qty: string, orderId = "801"): Fill => ({
  venue: "backpack",
  symbol: "ASTER_USDC_PERP",
  orderId,
  tradeId,
  side: "sell",
  price: decimal("2"),
  qty: decimal(qty),
  fee: decimal("0"),
  feeAsset: "USDC",
  liquidity: "maker",
  ts: 0
})

const unused = Effect.dieMessage("not used here")

/** A venue whose stream hands out `updates`, whose cancel answers `cancelled`, and whose history is `history()`. */
const fakeVenue = (options: { readonly updates?: Array<OrderUpdate>; readonly history: () => ReadonlyArray<Fill>; readonly cancelled?: Order }) => {
  const reads = { count: 0 }
  const venue: Exchange = {
    venue: "backpack",
    instrument: unused,
    ticker: unused,
    placeLimit: () => unused,
    placeMarket: () => unused,
    cancel: () => (options.cancelled !== undefined ? Effect.succeed(options.cancelled) : unused),
    queryOrder: () => unused,
    openOrders: unused,
    orderFills: () => Effect.sync(() => {
      reads.count += 1
      return options.history()
    }),
    nextUpdate: () => Effect.sync(() => Option.fromNullable(options.updates?.shift())),
    position: unused,
    balances: unused,
    nextFundingTime: unused
  }
  return { venue, reads }
}

/** A journal that keeps fills by trade id, as the real one does. */
const fakeJournal = () => {
  const fills = new Map<string, Fill>()
  return {
    fills,
    recordFill: (_runId: number, f: Fill) =>
      Effect.sync(() => {
        if (fills.has(f.tradeId)) return false
        fills.set(f.tradeId, f)
        return true
      })
  }
}

const setUp = (venueOptions: Parameters<typeof fakeVenue>[0]) =>
  Effect.gen(function*() {
    const journal = fakeJournal()
    const guard = yield* RiskGuard.make(limits)
    const backfill = yield* makeFillBackfill({ journal, runId: 2, guard, clientIdPrefix: PREFIX })
    yield* Effect.forkScoped(backfill.run)
    const { venue, reads } = fakeVenue(venueOptions)
    const position = () => formatDecimal(guard.status(0).positions.find((p) => p.venue === "backpack")?.qty ?? decimal("0"))
    return { journal, reads, watched: backfill.watch(venue), position }
  })

describe("fill backfill", () => {
  it.scoped("an order filled with no fill message: its fills are read from the history a second later, journalled and counted once", () =>
    Effect.gen(function*() {
      const late = fill("t1", "4")
      const updates: Array<OrderUpdate> = [{ order: order("10") }]
      const { journal, reads, watched, position } = yield* setUp({ updates, history: () => [late, fill("t2", "6")] })
      yield* watched.nextUpdate(0)
      yield* TestClock.adjust("999 millis")
      expect(reads.count).toBe(0)
      yield* TestClock.adjust("1 millis")
      expect(reads.count).toBe(1)
      expect([...journal.fills.keys()]).toEqual(["t1", "t2"])
      expect(position()).toBe("-10")
      // the stream's message for t1 arriving after all: not counted again
      updates.push({ order: order("10"), fill: late })
      yield* watched.nextUpdate(0)
      expect(position()).toBe("-10")
      yield* TestClock.adjust("10 seconds")
      expect(reads.count).toBe(1)
    }))

  it.scoped("fills delivered by the stream leave no gap: the history is never read", () =>
    Effect.gen(function*() {
      const updates: Array<OrderUpdate> = [{ order: order("4", `${PREFIX}m1`, "partially-filled"), fill: fill("t1", "4") }, { order: order("10"), fill: fill("t2", "6") }]
      const { journal, reads, watched, position } = yield* setUp({ updates, history: () => [] })
      yield* watched.nextUpdate(0)
      yield* watched.nextUpdate(0)
      yield* TestClock.adjust("10 seconds")
      expect(reads.count).toBe(0)
      // the stream's fills are journalled with their update (journaled-exchange.ts), not here
      expect(journal.fills.size).toBe(0)
      expect(position()).toBe("-10")
    }))

  it.scoped("a cancel's answer ahead of the fill message: read once the second has passed, the late message then counts nothing", () =>
    Effect.gen(function*() {
      const updates: Array<OrderUpdate> = []
      const { reads, watched, position } = yield* setUp({ updates, history: () => [fill("t1", "10")], cancelled: order("10") })
      yield* watched.cancel("801")
      yield* TestClock.adjust("1 second")
      expect(reads.count).toBe(1)
      expect(position()).toBe("-10")
      updates.push({ order: order("10"), fill: fill("t1", "10") })
      yield* watched.nextUpdate(0)
      expect(position()).toBe("-10")
    }))

  it.scoped("a history that lags the order: read again after 2, 4 and 8 s until it shows the fill", () =>
    Effect.gen(function*() {
      let shown: ReadonlyArray<Fill> = []
      const { journal, reads, watched, position } = yield* setUp({ updates: [{ order: order("10") }], history: () => shown })
      yield* watched.nextUpdate(0)
      yield* TestClock.adjust("1 second")
      yield* TestClock.adjust("2 seconds")
      expect(reads.count).toBe(2)
      expect(position()).toBe("0")
      shown = [fill("t1", "10")]
      yield* TestClock.adjust("4 seconds")
      expect(reads.count).toBe(3)
      expect([...journal.fills.keys()]).toEqual(["t1"])
      expect(position()).toBe("-10")
      yield* TestClock.adjust("1 minute")
      expect(reads.count).toBe(3)
    }))

  it.scoped("gaps the stream closes on its own hold up no other: a real gap opened behind thirty of them is read a second after it opened", () =>
    Effect.gen(function*() {
      // thirty replies ahead of their fill messages (as every market order's is), then a dropped message
      const ids = Array.from({ length: 30 }, (_, i) => `o${i}`)
      const updates: Array<OrderUpdate> = [
        ...ids.map((id) => ({ order: order("10", `${PREFIX}m${id}`, "filled", id) })),
        ...ids.map((id) => ({ order: order("10", `${PREFIX}m${id}`, "filled", id), fill: fill(`t-${id}`, "10", id) })),
        { order: order("10", `${PREFIX}mlost`, "filled", "lost") }
      ]
      const { journal, reads, watched, position } = yield* setUp({ updates, history: () => [fill("t-lost", "10", "lost")] })
      for (let i = 0; i < 61; i++) yield* watched.nextUpdate(0)
      expect(position()).toBe("-300")
      yield* TestClock.adjust("1 second")
      expect(reads.count).toBe(1)
      expect([...journal.fills.keys()]).toEqual(["t-lost"])
      expect(position()).toBe("-310")
      yield* TestClock.adjust("1 minute")
      expect(reads.count).toBe(1)
    }))

  it.scoped("an earlier run's order is not this run's to fill in, nor to count: the restart reads its fills", () =>
    Effect.gen(function*() {
      const updates: Array<OrderUpdate> = [{ order: order("10", "hl-run1-m7") }, { order: order("10", "hl-run1-m7"), fill: fill("t9", "10") }]
      const { journal, reads, watched, position } = yield* setUp({ updates, history: () => [fill("t9", "10")] })
      yield* watched.nextUpdate(0)
      yield* watched.nextUpdate(0)
      yield* TestClock.adjust("1 minute")
      expect(reads.count).toBe(0)
      expect(journal.fills.size).toBe(0)
      expect(position()).toBe("0")
    }))
})
