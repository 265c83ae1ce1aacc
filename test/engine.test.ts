/**
 * Matching-engine and kernel scenarios. Every expected number is worked out by hand in the
 * comments next to it (integer units: the engine's instrument below has tick 10, step 5,
 * min qty 20 and min notional 50 000 price×qty units).
 */
import { Cause, Duration, Effect, Either, Exit, Option } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { type Decimal, decimal, formatDecimal } from "../src/core/domain/decimal"
import type { Order, OrderUpdate } from "../src/core/domain/order"
import type { Venue } from "../src/core/domain/venue"
import type { Exchange } from "../src/core/exchange"
import { type EngineInstrument, type EngineListener, type SimOrder, VenueEngine } from "../src/sim/engine"
import { type KernelVenueConfig, SimKernel, UNREAD_UPDATES } from "../src/sim/kernel"
import { flatFees } from "../src/sim/models/fees"
import { adverseTicks, type ImpactModel, linearImpact } from "../src/sim/models/impact"
import { constantLatency } from "../src/sim/models/latency"
import { conservativeQueue, probabilisticQueue, type QueueModel } from "../src/sim/models/queue"
import { seededRng } from "../src/sim/models/rng"
import { makeSimExchange, simClock } from "../src/sim/sim-exchange"
import { openTickFile, type TickFile } from "../src/sim/tickstore/reader"
import type { DepthLevels } from "../src/sim/tickstore/types"
import { type ScriptedTick, type ScriptOptions, T0, writeScript } from "./support/scripted-market"
import { simOrder } from "./support/test-engine"

// ---------------------------------------------------------------------------------------------
// VenueEngine driven directly
// ---------------------------------------------------------------------------------------------

const INSTRUMENT: EngineInstrument = { tickUnits: 10, stepUnits: 5, minQtyUnits: 20, minNotionalUnits: 50_000n }
const ASSUMED_TOP = 200

interface RecordedFill {
  readonly venue: Venue
  readonly id: string
  readonly ts: number
  readonly price: number
  readonly qty: number
  readonly liquidity: "maker" | "taker"
}

interface EngineSetup {
  readonly queue?: QueueModel
  readonly impact?: ImpactModel
  readonly depth?: Record<number, DepthLevels>
  readonly rejectMarket?: () => boolean
}

const makeEngine = (setup: EngineSetup = {}) => {
  const fills: Array<RecordedFill> = []
  const listener: EngineListener = {
    onFill: (venue, order, ts, price, qty, liquidity) => void fills.push({ venue, id: order.id, ts, price, qty, liquidity })
  }
  const depth = setup.depth ?? {}
  const engine = new VenueEngine(
    "backpack",
    INSTRUMENT,
    setup.queue ?? conservativeQueue,
    setup.impact ?? linearImpact(decimal("50"), 0),
    (id) => {
      const levels = depth[id]
      if (!levels) throw new Error(`no depth snapshot ${id}`)
      return levels
    },
    listener,
    { assumedTopQtyUnits: ASSUMED_TOP, depthMaxAgeUs: 5_000_000, rejectMarket: setup.rejectMarket ?? (() => false) }
  )
  return { engine, fills }
}

const buy = (price: number, qty: number, extra: { postOnly?: boolean; tif?: "GTC" | "IOC" | "FOK" } = {}) => simOrder({ sign: 1, price, qty, ...extra })
const sell = (price: number, qty: number, extra: { postOnly?: boolean; tif?: "GTC" | "IOC" | "FOK" } = {}) => simOrder({ sign: -1, price, qty, ...extra })
const marketBuy = (qty: number) => simOrder({ sign: 1, qty, type: "market" })
const marketSell = (qty: number) => simOrder({ sign: -1, qty, type: "market" })

/** [price, qty] pairs of the recorded fills of one order */
const fillsOf = (fills: ReadonlyArray<RecordedFill>, id: string) => fills.filter((f) => f.id === id).map((f) => [f.price, f.qty] as const)

describe("VenueEngine: queue position (conservative)", () => {
  it("a buy behind 300 at its price fills only once 300 traded there, with the exact partial quantity", () => {
    const { engine, fills } = makeEngine()
    engine.onQuote(1, 1000, 300, 1010, 200)
    const o = engine.submitLimit(2, buy(1000, 100))
    // joins the bid at 1000 behind the displayed 300
    expect(o.status).toBe("new")
    expect(o.queue.ahead).toBe(300)
    expect(engine.restingCount).toBe(1)

    engine.onTrade(3, 1000, 120, false) // 300 − 120 = 180 ahead
    expect(o.queue.ahead).toBe(180)
    engine.onTrade(4, 1000, 150, false) // 180 − 150 = 30 ahead
    expect(o.queue.ahead).toBe(30)
    expect(fills).toEqual([])
    expect(o.filled).toBe(0)

    engine.onTrade(5, 1000, 100, false) // 30 consume the queue, 100 − 30 = 70 reach us
    expect(o.queue.ahead).toBe(0)
    expect(o.status).toBe("partially-filled")
    expect(o.filled).toBe(70)
    expect(o.filledQuote).toBe(70_000n) // 70 × 1000
    expect(o.updatedAt).toBe(5)

    engine.onTrade(6, 1000, 50, false) // 50 reach us but only 100 − 70 = 30 are left
    expect(o.status).toBe("filled")
    expect(o.filled).toBe(100)
    expect(o.filledQuote).toBe(100_000n) // 70 000 + 30 × 1000
    expect(engine.restingCount).toBe(0)
    expect(fills).toEqual([
      { venue: "backpack", id: o.id, ts: 5, price: 1000, qty: 70, liquidity: "maker" },
      { venue: "backpack", id: o.id, ts: 6, price: 1000, qty: 30, liquidity: "maker" }
    ])
  })

  it("a sell behind 200 at the ask advances only on taker buys at its price", () => {
    const { engine, fills } = makeEngine()
    engine.onQuote(1, 1000, 300, 1010, 200)
    const o = engine.submitLimit(2, sell(1010, 60))
    expect(o.queue.ahead).toBe(200)
    engine.onTrade(3, 1010, 500, false) // a taker sell does not touch the asks
    engine.onTrade(4, 1000, 500, true) // a taker buy below our price is not at our level
    expect(o.queue.ahead).toBe(200)
    engine.onTrade(5, 1010, 230, true) // 200 ahead consumed, 30 reach us
    expect(o.status).toBe("partially-filled")
    expect(o.filled).toBe(30)
    engine.onTrade(6, 1010, 30, true) // the remaining 30
    expect(o.status).toBe("filled")
    expect(o.filledQuote).toBe(60_600n) // 60 × 1010
    expect(fillsOf(fills, o.id)).toEqual([[1010, 30], [1010, 30]])
  })

  it("trades on the wrong side or at a price not reaching ours leave the queue alone", () => {
    const { engine, fills } = makeEngine()
    engine.onQuote(1, 1000, 300, 1010, 200)
    const o = engine.submitLimit(2, buy(1000, 100))
    engine.onTrade(3, 1000, 500, true) // taker buy: lifts asks, never our bid
    engine.onTrade(4, 1010, 500, false) // taker sell printed above our bid
    expect(o.queue.ahead).toBe(300)
    expect(o.filled).toBe(0)
    expect(fills).toEqual([])
  })
})

describe("VenueEngine: trade-through and crossing quotes", () => {
  it("a taker sell below our bid fills the whole remainder at our price", () => {
    const { engine, fills } = makeEngine()
    engine.onQuote(1, 1000, 300, 1010, 200)
    const o = engine.submitLimit(2, buy(1000, 100))
    engine.onTrade(3, 1000, 330, false) // 300 ahead, 30 reach us
    expect(o.filled).toBe(30)
    engine.onTrade(4, 990, 5, false) // traded through 1000: the other 70 fill at 1000
    expect(o.status).toBe("filled")
    expect(o.filled).toBe(100)
    expect(o.filledQuote).toBe(100_000n)
    expect(fillsOf(fills, o.id)).toEqual([[1000, 30], [1000, 70]])
    expect(fills.every((f) => f.liquidity === "maker")).toBe(true)
  })

  it("a taker buy above our ask fills our sell at our price", () => {
    const { engine, fills } = makeEngine()
    engine.onQuote(1, 1000, 300, 1010, 200)
    const o = engine.submitLimit(2, sell(1010, 50))
    engine.onTrade(3, 1020, 1, true)
    expect(o.status).toBe("filled")
    expect(fillsOf(fills, o.id)).toEqual([[1010, 50]])
    expect(o.filledQuote).toBe(50_500n)
  })

  it("an ask quoted at (or below) our bid fills it as maker at our price", () => {
    const { engine, fills } = makeEngine()
    engine.onQuote(1, 1000, 300, 1020, 200)
    const o = engine.submitLimit(2, buy(1000, 100))
    engine.onQuote(3, 990, 100, 1010, 80) // ask 1010 still above 1000: nothing
    expect(o.filled).toBe(0)
    engine.onQuote(4, 990, 100, 1000, 80) // ask 1000 ≤ 1000
    expect(o.status).toBe("filled")
    expect(fills).toEqual([{ venue: "backpack", id: o.id, ts: 4, price: 1000, qty: 100, liquidity: "maker" }])
  })

  it("a bid quoted at our ask fills our sell at our price", () => {
    const { engine, fills } = makeEngine()
    engine.onQuote(1, 1000, 300, 1020, 200)
    const o = engine.submitLimit(2, sell(1020, 50)) // 50 × 1020 = 51 000 ≥ the 50 000 minimum
    expect(o.status).toBe("new")
    engine.onQuote(3, 1010, 50, 1030, 100) // bid 1010 < 1020
    expect(o.filled).toBe(0)
    engine.onQuote(4, 1020, 50, 1030, 100)
    expect(o.status).toBe("filled")
    expect(fillsOf(fills, o.id)).toEqual([[1020, 50]])
  })
})

describe("VenueEngine: probabilistic queue", () => {
  /**
   * Bid 1000 × 300, we join behind the 300; the level then grows to 500 (200 behind us) and
   * shrinks to 400 without a trade: 100 cancelled, of which the share x^n/(x^n + y^n) with
   * x = 300 ahead, y = 200 behind came from ahead of us (rounded to whole units).
   */
  const shrinkAfterGrowth = (queue: QueueModel) => {
    const { engine, fills } = makeEngine({ queue })
    engine.onQuote(1, 1000, 300, 1010, 200)
    const o = engine.submitLimit(2, buy(1000, 100))
    expect(o.queue.ahead).toBe(300)
    engine.onQuote(3, 1000, 500, 1010, 200) // growth joins behind us
    expect(o.queue.ahead).toBe(300)
    engine.onQuote(4, 1000, 400, 1010, 200)
    return { engine, fills, o }
  }

  it.each([
    // n = 2: 300² / (300² + 200²) = 90 000 / 130 000 = 9/13; 100 × 9/13 = 69.23 → 69; 300 − 69 = 231
    [2, 231],
    // n = 1: 300 / 500 = 0.6; 100 × 0.6 = 60; 300 − 60 = 240
    [1, 240],
    // n = 3: 27e6 / (27e6 + 8e6) = 27/35; 100 × 27/35 = 77.14 → 77; 300 − 77 = 223
    [3, 223],
    // n = 0: 1 / (1 + 1) = 1/2; 100 × 1/2 = 50; 300 − 50 = 250
    [0, 250]
  ])("n = %d: a 100 decrease moves ahead from 300 to %d", (n, expected) => {
    const { o } = shrinkAfterGrowth(probabilisticQueue(n))
    expect(o.queue.ahead).toBe(expected)
  })

  it("n = 2: after the cancels, exactly the remaining 231 must trade before we fill", () => {
    const { engine, fills, o } = shrinkAfterGrowth(probabilisticQueue(2))
    engine.onTrade(5, 1000, 231, false)
    expect(o.queue.ahead).toBe(0)
    expect(fills).toEqual([])
    engine.onTrade(6, 1000, 10, false)
    expect(fillsOf(fills, o.id)).toEqual([[1000, 10]])
  })

  it("a level shrinking by traded volume is not counted again as a cancel", () => {
    const { engine, o } = (() => {
      const setup = makeEngine({ queue: probabilisticQueue(2) })
      setup.engine.onQuote(1, 1000, 300, 1010, 200)
      return { engine: setup.engine, o: setup.engine.submitLimit(2, buy(1000, 100)) }
    })()
    engine.onTrade(3, 1000, 100, false) // 300 − 100 = 200 ahead, level now 200
    expect(o.queue.ahead).toBe(200)
    engine.onQuote(4, 1000, 200, 1010, 200) // the quote just reflects that trade
    expect(o.queue.ahead).toBe(200)
    // a real cancel of 50 with nobody behind us (y = 0): all of it was ahead → 150
    engine.onQuote(5, 1000, 150, 1010, 200)
    expect(o.queue.ahead).toBe(150)
  })

  it("what is ahead never exceeds what the level still shows: trading the whole shown level brings us to the front", () => {
    const { engine, fills } = makeEngine({ queue: probabilisticQueue(2) })
    engine.onQuote(1, 1000, 1000, 1010, 200)
    const o = engine.submitLimit(2, buy(1000, 100))
    expect(o.queue.ahead).toBe(1000)
    engine.onQuote(3, 1000, 10_000, 1010, 200) // 9000 join behind us
    engine.onQuote(4, 1000, 10, 1010, 200) // 9990 cancelled: 10 left at our price
    // the share in front, 1000² / (1000² + 9000²) = 1/82 of 9990 (122), would leave 878 ahead of a
    // level showing 10: capped at 10, as hftbacktest does
    expect(o.queue.ahead).toBe(10)
    engine.onTrade(5, 1000, 10, false)
    engine.onTrade(6, 1000, 100, false)
    expect(fillsOf(fills, o.id)).toEqual([[1000, 100]])
  })

  it("the conservative model ignores level decreases", () => {
    const { engine, o } = shrinkAfterGrowth(conservativeQueue)
    expect(o.queue.ahead).toBe(300)
    engine.onQuote(5, 1000, 100, 1010, 200)
    expect(o.queue.ahead).toBe(300)
  })
})

describe("VenueEngine: joining the book", () => {
  it("a buy improving the bid starts with nothing ahead and fills on the next sell at its price", () => {
    const { engine, fills } = makeEngine()
    engine.onQuote(1, 1000, 300, 1030, 200)
    const o = engine.submitLimit(2, buy(1010, 100))
    expect(o.queue.ahead).toBe(0)
    engine.onTrade(3, 1010, 40, false)
    expect(fillsOf(fills, o.id)).toEqual([[1010, 40]])
    expect(o.status).toBe("partially-filled")
  })

  it("a sell improving the ask starts with nothing ahead", () => {
    const { engine } = makeEngine()
    engine.onQuote(1, 1000, 300, 1030, 200)
    expect(engine.submitLimit(2, sell(1020, 100)).queue.ahead).toBe(0)
  })

  it("joining a best level of unknown size assumes the configured top size ahead", () => {
    const { engine } = makeEngine()
    engine.onQuote(1, 1000, 0, 1030, 0)
    expect(engine.submitLimit(2, buy(1000, 100)).queue.ahead).toBe(ASSUMED_TOP)
  })

  it("a fresh depth snapshot gives the size ahead at a deeper level", () => {
    const { engine } = makeEngine({ depth: { 7: { bids: [[1000, 300], [990, 250]], asks: [[1010, 200]] } } })
    engine.onQuote(1, 1000, 300, 1010, 200)
    engine.onDepth(1, 7)
    expect(engine.submitLimit(2, buy(990, 100)).queue.ahead).toBe(250)
  })

  it("with depth, a price between the levels shown has nothing ahead; beyond the deepest, the top size is assumed", () => {
    const { engine } = makeEngine({ depth: { 7: { bids: [[1000, 300], [980, 250]], asks: [[1010, 200], [1030, 90]] } } })
    engine.onQuote(1, 1000, 300, 1010, 200)
    engine.onDepth(1, 7)
    expect(engine.submitLimit(2, buy(990, 100)).queue.ahead).toBe(0)
    expect(engine.submitLimit(3, sell(1020, 100)).queue.ahead).toBe(0)
    expect(engine.submitLimit(4, sell(1030, 100)).queue.ahead).toBe(90)
    expect(engine.submitLimit(5, buy(970, 100)).queue.ahead).toBe(300)
  })

  it("with depth older than the quote, a price better than the snapshot's best is the quote's: behind the quoted size at the best", () => {
    const { engine } = makeEngine({ depth: { 7: { bids: [[990, 300], [980, 300], [970, 300]], asks: [[1010, 200], [1020, 200], [1030, 200]] } } })
    engine.onQuote(1, 990, 300, 1010, 200)
    engine.onDepth(1, 7)
    // a newer quote (the snapshot, 1 µs old, is still fresh): best bid 1000 × 400
    engine.onQuote(2, 1000, 400, 1005, 250)
    // 1000 is in neither side of the snapshot and above its best bid: it is the quoted best, 400 ahead
    expect(engine.submitLimit(3, buy(1000, 100)).queue.ahead).toBe(400)
    engine.onQuote(4, 990, 300, 1000, 250)
    // the same for a sell at the quoted best ask 1000, below the snapshot's best ask 1010: 250 ahead
    expect(engine.submitLimit(5, sell(1000, 100)).queue.ahead).toBe(250)
  })
})

describe("VenueEngine: market orders", () => {
  const depth = { 1: { bids: [[1000, 100], [990, 200]], asks: [[1010, 100], [1020, 200], [1030, 300]] } } as const satisfies Record<number, DepthLevels>

  it("a buy walks the depth levels", () => {
    const { engine, fills } = makeEngine({ depth })
    engine.onQuote(1, 1000, 100, 1010, 100)
    engine.onDepth(1, 1)
    const o = engine.submitMarket(2, marketBuy(450))
    // 100 @ 1010, 200 @ 1020, then 150 of the 300 @ 1030
    expect(fillsOf(fills, o.id)).toEqual([[1010, 100], [1020, 200], [1030, 150]])
    expect(o.status).toBe("filled")
    expect(o.filled).toBe(450)
    // 101 000 + 204 000 + 154 500
    expect(o.filledQuote).toBe(459_500n)
    expect(fills.every((f) => f.liquidity === "taker" && f.ts === 2)).toBe(true)
  })

  it("a buy larger than the depth continues one tick past the last level", () => {
    const { engine, fills } = makeEngine({ depth })
    engine.onQuote(1, 1000, 100, 1010, 100)
    engine.onDepth(1, 1)
    const o = engine.submitMarket(2, marketBuy(700))
    // 600 in the levels; 100 left walk on from 1030 + 10 = 1040 in chunks of the last level's 300 (first chunk k = 0: no slip)
    expect(fillsOf(fills, o.id)).toEqual([[1010, 100], [1020, 200], [1030, 300], [1040, 100]])
    // 101 000 + 204 000 + 309 000 + 104 000
    expect(o.filledQuote).toBe(718_000n)
    expect(o.status).toBe("filled")
  })

  // Was: the walk on past the levels took its chunk from the last level's size: an empty last level
  // (a recording may keep one) made it 0, and the market order threw "market impact needs a
  // positive top-of-book size", ending the backtest failed
  it("a buy larger than the depth, whose last level shows 0, continues in chunks of the last size shown", () => {
    const { engine, fills } = makeEngine({ depth: { 1: { bids: [[1000, 100]], asks: [[1010, 100], [1020, 200], [1030, 0]] } } })
    engine.onQuote(1, 1000, 100, 1010, 100)
    engine.onDepth(1, 1)
    const o = engine.submitMarket(2, marketBuy(500))
    // 300 in the levels; 200 left walk on from 1030 + 10 = 1040 in chunks of 200 (1020's)
    expect(fillsOf(fills, o.id)).toEqual([[1010, 100], [1020, 200], [1040, 200]])
    expect(o.status).toBe("filled")
  })

  it("a sell walks the bid levels", () => {
    const { engine, fills } = makeEngine({ depth })
    engine.onQuote(1, 1000, 100, 1010, 100)
    engine.onDepth(1, 1)
    const o = engine.submitMarket(2, marketSell(250))
    expect(fillsOf(fills, o.id)).toEqual([[1000, 100], [990, 150]])
    expect(o.filledQuote).toBe(248_500n) // 100 000 + 148 500
  })

  it("without depth, a buy takes the top size then top-size chunks 50 bps × k worse, rounded up to the tick", () => {
    const { engine, fills } = makeEngine({ impact: linearImpact(decimal("50"), 0) })
    engine.onQuote(1, 1000, 100, 1010, 100)
    const o = engine.submitMarket(2, marketBuy(350))
    // k=0: 1010; k=1: 1010×50/10⁴ = 5.05 → 0.505 tick → 1 tick → 1020
    // k=2: 10.1 → 1.01 → 2 ticks → 1030; k=3: 15.15 → 1.515 → 2 ticks → 1030 (last 50)
    expect(fillsOf(fills, o.id)).toEqual([[1010, 100], [1020, 100], [1030, 100], [1030, 50]])
    expect(o.filledQuote).toBe(357_500n) // 101 000 + 102 000 + 103 000 + 51 500
    expect(o.status).toBe("filled")
  })

  it("without depth, a sell walks down the same way", () => {
    const { engine, fills } = makeEngine({ impact: linearImpact(decimal("50"), 0) })
    engine.onQuote(1, 1000, 100, 1010, 100)
    const o = engine.submitMarket(2, marketSell(250))
    // k=0: 1000; k=1: 1000×50/10⁴ = 5 → 0.5 → 1 tick → 990; k=2: 10 → exactly 1 tick → 990
    expect(fillsOf(fills, o.id)).toEqual([[1000, 100], [990, 100], [990, 50]])
    expect(o.filledQuote).toBe(248_500n) // 100 000 + 99 000 + 49 500
  })

  it("slippage: every market fill lands that many bps worse, rounded up to the tick, before the walk", () => {
    const { engine, fills } = makeEngine({ impact: linearImpact(decimal("50"), 0, decimal("25")) })
    engine.onQuote(1, 1000, 100, 1010, 100)
    const buy = engine.submitMarket(2, marketBuy(350))
    // slip: 1010 × 25/10⁴ = 2.525 → 1 tick → from 1020; the walk as without it: +0, +1, +2, +2 ticks
    expect(fillsOf(fills, buy.id)).toEqual([[1020, 100], [1030, 100], [1040, 100], [1040, 50]])
    const sell = engine.submitMarket(3, marketSell(150))
    // 1000 × 25/10⁴ = 2.5 → 1 tick → 990; then 50 bps further: 1 tick → 980
    expect(fillsOf(fills, sell.id)).toEqual([[990, 100], [980, 50]])
  })

  it("slippage applies to each depth level a market order takes, and past the last one", () => {
    const { engine, fills } = makeEngine({ depth, impact: linearImpact(decimal("50"), 0, decimal("100")) })
    engine.onQuote(1, 1000, 100, 1010, 100)
    engine.onDepth(1, 1)
    const o = engine.submitMarket(2, marketBuy(700))
    // 1% of each level, rounded up to the tick: 1010 → +2 ticks (10.1 units), 1020 → +2, 1030 → +2;
    // past the depth from 1040: +2 ticks (10.4 units) → 1060
    expect(fillsOf(fills, o.id)).toEqual([[1030, 100], [1040, 200], [1050, 300], [1060, 100]])
  })

  it("slippage in ticks is exact for any decimal bps, where a float product would round up a tick too many", () => {
    expect(adverseTicks(1000, decimal("100"), 10)).toBe(1) // 10 units: exactly one tick (100 normalises to a negative scale)
    expect(adverseTicks(1001, decimal("100"), 10)).toBe(2) // 10.01 units: rounded up
    expect(adverseTicks(3, decimal("0.0001"), 1)).toBe(1) // any slippage costs at least a tick
    expect(adverseTicks(123_456, decimal("0"), 1)).toBe(0)
    // 100 000 × 1.1 / 10⁴ = 11 exactly; as floats 100000 × 1.1 = 110000.00000000001, whose ceil is 12
    expect(Math.ceil((100_000 * 1.1) / 10_000)).toBe(12)
    expect(adverseTicks(100_000, decimal("1.1"), 1)).toBe(11)
  })

  it("a depth snapshot older than depthMaxAgeUs is ignored", () => {
    const { engine, fills } = makeEngine({ depth, impact: linearImpact(decimal("50"), 0) })
    engine.onDepth(0, 1)
    engine.onQuote(1, 1000, 100, 1010, 100)
    const o = engine.submitMarket(5_000_001, marketBuy(350)) // 5 000 001 µs after the snapshot
    expect(fillsOf(fills, o.id)).toEqual([[1010, 100], [1020, 100], [1030, 100], [1030, 50]])
  })

  it("without depth and without a quoted size, the chunks are the engine's assumed top size", () => {
    // The backtest builds linearImpact(bps, 0): with a top size of 0 its chunk is 0 and a buy never
    // terminates (it loops forever). The guard turns that hang into a failure.
    const inner = linearImpact(decimal("50"), 0)
    const guarded: ImpactModel = {
      walk(sign, qty, bestPrice, topQty, tickUnits) {
        if (topQty <= 0) throw new Error(`impact.walk called with topQty ${topQty}: linearImpact(bps, 0) would never return for a buy`)
        return inner.walk(sign, qty, bestPrice, topQty, tickUnits)
      }
    }
    const { engine, fills } = makeEngine({ impact: guarded })
    engine.onQuote(1, 1000, 0, 1010, 0) // sizes unknown
    const o = engine.submitMarket(2, marketBuy(350))
    // chunks of ASSUMED_TOP = 200: 200 @ 1010, then k=1: 1 tick → 150 @ 1020
    expect(fillsOf(fills, o.id)).toEqual([[1010, 200], [1020, 150]])
    expect(o.status).toBe("filled")
  })
})

describe("VenueEngine: time in force", () => {
  it("an IOC buy crossing the ask takes the top size and expires the rest", () => {
    const { engine, fills } = makeEngine()
    engine.onQuote(1, 1000, 300, 1010, 100)
    const o = engine.submitLimit(2, buy(1020, 150, { tif: "IOC" }))
    expect(fills).toEqual([{ venue: "backpack", id: o.id, ts: 2, price: 1010, qty: 100, liquidity: "taker" }])
    expect(o.status).toBe("expired")
    expect(o.filled).toBe(100)
    expect(engine.restingCount).toBe(0)
  })

  it("an IOC that does not cross expires without a fill", () => {
    const { engine, fills } = makeEngine()
    engine.onQuote(1, 1000, 300, 1010, 100)
    const o = engine.submitLimit(2, buy(1000, 100, { tif: "IOC" }))
    expect(o.status).toBe("expired")
    expect(fills).toEqual([])
    expect(engine.restingCount).toBe(0)
  })

  it("a GTC buy crossing the ask takes the top, then the rest at its own price, all as taker: none rests crossing the book", () => {
    const { engine, fills } = makeEngine()
    engine.onQuote(1, 1000, 300, 1010, 30)
    const o = engine.submitLimit(2, buy(1020, 100))
    // the rest resting at 1020 would be filled as maker by the next quote, unchanged, that still shows 1010
    expect(fills).toEqual([
      { venue: "backpack", id: o.id, ts: 2, price: 1010, qty: 30, liquidity: "taker" },
      { venue: "backpack", id: o.id, ts: 2, price: 1020, qty: 70, liquidity: "taker" }
    ])
    expect(o.status).toBe("filled")
    engine.onQuote(3, 1000, 300, 1010, 30)
    expect(fills.length).toBe(2)
    expect(engine.restingCount).toBe(0)
  })

  it("a FOK buy that cannot be filled in full does not fill at all", () => {
    const { engine, fills } = makeEngine()
    engine.onQuote(1, 1000, 300, 1010, 100)
    // only 100 offered up to 1020 (top of book) but 150 wanted: fill-or-kill → killed, nothing traded
    const o = engine.submitLimit(2, buy(1020, 150, { tif: "FOK" }))
    expect(fills).toEqual([])
    expect(o.filled).toBe(0)
    expect(o.status).toBe("expired")
  })
})

describe("VenueEngine: rejects", () => {
  const quoted = (setup: EngineSetup = {}) => {
    const e = makeEngine(setup)
    e.engine.onQuote(1, 1000, 300, 1010, 200)
    return e
  }
  const expectRejected = (o: SimOrder, code: string) => {
    expect(o.status).toBe("rejected")
    expect(o.rejectCode).toBe(code)
    expect(o.rejectReason).toBeTypeOf("string")
    expect(o.updatedAt).toBe(2)
  }

  it("price off the tick grid", () => {
    const { engine, fills } = quoted()
    expectRejected(engine.submitLimit(2, buy(1005, 100)), "tick")
    expectRejected(engine.submitLimit(2, buy(0, 100)), "tick")
    expect(engine.restingCount).toBe(0)
    expect(fills).toEqual([])
  })

  it("quantity off the step grid", () => {
    const { engine } = quoted()
    expectRejected(engine.submitLimit(2, buy(1000, 102)), "step")
    expectRejected(engine.submitLimit(2, buy(1000, 0)), "step")
    expectRejected(engine.submitMarket(2, marketBuy(102)), "step")
    expect(engine.restingCount).toBe(0)
  })

  it("quantity below the minimum", () => {
    const { engine } = quoted()
    expectRejected(engine.submitLimit(2, buy(1000, 15)), "minQty") // 15 is on the step (5) but < 20
    expectRejected(engine.submitMarket(2, marketSell(15)), "minQty")
  })

  it("limit notional below the minimum; exactly the minimum is accepted", () => {
    const { engine } = quoted()
    expectRejected(engine.submitLimit(2, buy(1000, 45)), "minNotional") // 45 000 < 50 000
    const ok = engine.submitLimit(2, buy(1000, 50)) // 50 000 is not below 50 000
    expect(ok.status).toBe("new")
    expect(engine.restingCount).toBe(1)
  })

  it("market notional below the minimum, valued at the touch", () => {
    const { engine, fills } = quoted()
    expectRejected(engine.submitMarket(2, marketBuy(45)), "minNotional") // 45 × 1010 = 45 450
    expectRejected(engine.submitMarket(2, marketSell(45)), "minNotional") // 45 × 1000 = 45 000
    expect(fills).toEqual([])
    const ok = engine.submitMarket(2, marketBuy(50)) // 50 × 1010 = 50 500
    expect(ok.status).toBe("filled")
    expect(fillsOf(fills, ok.id)).toEqual([[1010, 50]])
  })

  it("post-only buy at or above the ask", () => {
    const { engine, fills } = quoted()
    expectRejected(engine.submitLimit(2, buy(1010, 100, { postOnly: true })), "postOnly")
    expectRejected(engine.submitLimit(2, buy(1020, 100, { postOnly: true })), "postOnly")
    expect(fills).toEqual([])
    const ok = engine.submitLimit(2, buy(1000, 100, { postOnly: true }))
    expect(ok.status).toBe("new")
    expect(ok.queue.ahead).toBe(300)
  })

  it("post-only sell at or below the bid", () => {
    const { engine, fills } = quoted()
    expectRejected(engine.submitLimit(2, sell(1000, 100, { postOnly: true })), "postOnly")
    expectRejected(engine.submitLimit(2, sell(990, 100, { postOnly: true })), "postOnly")
    expect(fills).toEqual([])
    expect(engine.submitLimit(2, sell(1010, 100, { postOnly: true })).status).toBe("new")
  })

  it("market order with nothing on the side it takes", () => {
    const { engine } = makeEngine()
    expectRejected(engine.submitMarket(2, marketBuy(100)), "noLiquidity") // no quote yet
    engine.onQuote(1, 0, 0, 1010, 200) // asks only
    expectRejected(engine.submitMarket(2, marketSell(100)), "noLiquidity")
    expect(engine.submitMarket(2, marketBuy(100)).status).toBe("filled")
  })

  it("simulated market reject", () => {
    const { engine, fills } = quoted({ rejectMarket: () => true })
    expectRejected(engine.submitMarket(2, marketBuy(100)), "simulated")
    expect(fills).toEqual([])
  })
})

describe("VenueEngine: cancel", () => {
  it("cancels an open order: it leaves the book and no later trade fills it", () => {
    const { engine, fills } = makeEngine()
    engine.onQuote(1, 1000, 300, 1010, 200)
    const o = engine.submitLimit(2, buy(1000, 100))
    const c = engine.cancel(3, o.id)
    expect(c).toBe(o)
    expect(o.status).toBe("cancelled")
    expect(o.updatedAt).toBe(3)
    expect(engine.restingCount).toBe(0)
    engine.onTrade(4, 990, 1000, false)
    expect(fills).toEqual([])
  })

  it("cancels a partially filled order and keeps what was filled", () => {
    const { engine } = makeEngine()
    engine.onQuote(1, 1000, 300, 1010, 200)
    const o = engine.submitLimit(2, buy(1000, 100))
    engine.onTrade(3, 1000, 330, false) // 30 reach us
    engine.cancel(4, o.id)
    expect(o.status).toBe("cancelled")
    expect(o.filled).toBe(30)
    expect(o.filledQuote).toBe(30_000n)
  })

  it("cancelling a filled order returns it unchanged", () => {
    const { engine } = makeEngine()
    engine.onQuote(1, 1000, 300, 1010, 200)
    const o = engine.submitLimit(2, buy(1000, 100))
    engine.onTrade(3, 990, 1, false)
    expect(o.status).toBe("filled")
    const c = engine.cancel(4, o.id)
    expect(c?.status).toBe("filled")
    expect(c?.filled).toBe(100)
    expect(c?.updatedAt).toBe(3)
  })

  it("cancelling an unknown id returns undefined", () => {
    const { engine } = makeEngine()
    expect(engine.cancel(1, "nope")).toBeUndefined()
  })
})

// ---------------------------------------------------------------------------------------------
// The kernel and the sim Exchange
// ---------------------------------------------------------------------------------------------

/** submit 10 ms, cancel 8 ms, response 12 ms, feed 5 ms: all different so a mix-up shows */
const LATENCY = { submitLatencyMs: 10, cancelLatencyMs: 8, responseLatencyMs: 12, feedLatencyMs: 5 }
const MAKER_FEE = "0.0002"
const TAKER_FEE = "0.0005"

const kernelVenue = (venue: Venue, symbol: string): KernelVenueConfig => ({
  venue,
  symbol,
  latency: constantLatency(LATENCY),
  fees: flatFees(decimal(MAKER_FEE), decimal(TAKER_FEE)),
  queue: conservativeQueue,
  impact: linearImpact(decimal("2"), 0),
  assumedTopQty: decimal("1000"),
  marketRejectProbability: 0
})

const openFiles: Array<TickFile> = []
afterEach(() => {
  while (openFiles.length > 0) openFiles.pop()!.close()
})

const simulate = (ticks: ReadonlyArray<ScriptedTick>, options: ScriptOptions = {}) => {
  const file = openTickFile(writeScript(ticks, options))
  openFiles.push(file)
  const kernel = new SimKernel(file, {
    rng: seededRng(1),
    venues: [kernelVenue("backpack", "ASTER_USDC_PERP"), kernelVenue("aster-futures", "ASTERUSDT")]
  })
  const bp: Exchange = makeSimExchange(kernel, kernel.slot("backpack"))
  const as: Exchange = makeSimExchange(kernel, kernel.slot("aster-futures"))
  const run = <A, E>(effect: Effect.Effect<A, E>): A => Effect.runSync(effect.pipe(Effect.withClock(simClock(kernel))))
  const runExit = <A, E>(effect: Effect.Effect<A, E>): Exit.Exit<A, E> => Effect.runSyncExit(effect.pipe(Effect.withClock(simClock(kernel))))
  const sleep = (ms: number) => run(Effect.sleep(Duration.millis(ms)))
  return { file, kernel, bp, as, run, runExit, sleep }
}

/** µs of a script time given in ms after T0 */
const at = (ms: number) => (T0 + ms) * 1000
const d = decimal
const eqD = (actual: Decimal | undefined, expected: string) => {
  expect(actual).toBeDefined()
  expect(formatDecimal(actual!)).toBe(formatDecimal(decimal(expected)))
}

const QUOTES: ReadonlyArray<ScriptedTick> = [
  { t: 0, venue: "bp", quote: ["0.1000", "5", "0.1010", "5"] },
  { t: 0, venue: "as", quote: ["0.0999", "5", "0.1001", "5"] }
]
/** keeps the recording alive well past the scenario */
const TAIL: ScriptedTick = { t: 60_000, venue: "bp", quote: ["0.1000", "5", "0.1010", "5"] }

const nextUpdate = (ex: Exchange, run: <A, E>(e: Effect.Effect<A, E>) => A): OrderUpdate => {
  const u = run(ex.nextUpdate(Duration.seconds(1)))
  expect(Option.isSome(u)).toBe(true)
  return Option.getOrThrow(u)
}

describe("kernel: latency", () => {
  it("an order placed at t reaches the venue at t+submit, replies at +response, and its fill is seen at fill+feed", () => {
    const sim = simulate([
      ...QUOTES,
      { t: 105, venue: "bp", trade: ["0.1005", "2", "sell"] }, // before the order arrives (110): no fill
      { t: 130, venue: "bp", trade: ["0.1005", "0.4", "sell"] }, // after: 0.4 fills (nothing ahead at 0.1005)
      TAIL
    ])
    const { kernel, bp, run, sleep } = sim
    expect(kernel.now).toBe(at(0))
    sleep(100)
    expect(kernel.now).toBe(at(100))

    // buy 1 @ 0.1005 improves the 0.1000 bid: 0 ahead once it is there
    const placed = run(bp.placeLimit({ side: "buy", price: d("0.1005"), qty: d("1"), postOnly: true, timeInForce: "GTC", clientId: "c1" }))
    // arrives 100 + 10 = 110, reply back at 110 + 12 = 122
    expect(kernel.now).toBe(at(122))
    expect(placed.status).toBe("new")
    eqD(placed.filledQty, "0")
    expect(placed.createdAt).toBe(T0 + 100)

    // the acknowledgement reached the stream at 110 + 5 = 115, already there
    const ack = nextUpdate(bp, run)
    expect(kernel.now).toBe(at(122))
    expect(ack.fill).toBeUndefined()
    expect(ack.order.status).toBe("new")

    // the fill happened at 130 and is seen at 130 + 5 = 135
    const filled = nextUpdate(bp, run)
    expect(kernel.now).toBe(at(135))
    expect(filled.fill).toBeDefined()
    expect(filled.fill!.ts).toBe(T0 + 130)
    eqD(filled.fill!.price, "0.1005")
    eqD(filled.fill!.qty, "0.4")
    expect(filled.fill!.liquidity).toBe("maker")
    eqD(filled.fill!.fee, "0.00000804") // 0.1005 × 0.4 = 0.0402; × 0.0002
    expect(filled.order.status).toBe("partially-filled")
    eqD(filled.order.filledQty, "0.4")
    eqD(filled.order.filledQuote, "0.0402")
    expect(filled.order.updatedAt).toBe(T0 + 130)
    expect(kernel.ledger.fills.length).toBe(1)
  })

  it("a market order fills on arrival; its fill is on the stream at arrival+feed, before the reply", () => {
    const { kernel, bp, run, sleep } = simulate([...QUOTES, TAIL])
    sleep(100)
    const order = run(bp.placeMarket({ side: "buy", qty: d("1"), clientId: "m1" }))
    expect(kernel.now).toBe(at(122)) // 100 + 10 + 12
    expect(order.status).toBe("filled")
    eqD(order.filledQuote, "0.101") // 1 × 0.1010 at the ask
    const u = nextUpdate(bp, run)
    expect(kernel.now).toBe(at(122)) // delivered at 110 + 5 = 115
    expect(u.fill!.ts).toBe(T0 + 110)
    expect(u.fill!.liquidity).toBe("taker")
    eqD(u.fill!.fee, "0.0000505") // 0.101 × 0.0005
  })

  it("a fill landing before the cancel arrives wins: cancel returns the filled order", () => {
    const { kernel, bp, run } = simulate([
      ...QUOTES,
      { t: 25, venue: "bp", trade: ["0.1005", "3", "sell"] }, // between the cancel request (22) and its arrival (30)
      TAIL
    ])
    const placed = run(bp.placeLimit({ side: "buy", price: d("0.1005"), qty: d("1"), postOnly: true, timeInForce: "GTC", clientId: "c1" }))
    expect(kernel.now).toBe(at(22)) // 0 + 10 + 12
    const cancelled = run(bp.cancel(placed.id))
    expect(kernel.now).toBe(at(42)) // 22 + 8 + 12
    expect(cancelled.status).toBe("filled")
    eqD(cancelled.filledQty, "1")
    // stream: ack (seen 15), fill (25 → 30), cancel answer (30 → 35)
    const updates = [nextUpdate(bp, run), nextUpdate(bp, run), nextUpdate(bp, run)]
    expect(updates.map((u) => [u.order.status, u.fill !== undefined])).toEqual([["new", false], ["filled", true], ["filled", false]])
    expect(updates[1]!.fill!.ts).toBe(T0 + 25)
  })

  it("a partial fill before the cancel arrives: cancelled with the partial quantity", () => {
    const { bp, run } = simulate([...QUOTES, { t: 25, venue: "bp", trade: ["0.1005", "0.3", "sell"] }, TAIL])
    const placed = run(bp.placeLimit({ side: "buy", price: d("0.1005"), qty: d("1"), postOnly: true, timeInForce: "GTC", clientId: "c1" }))
    const cancelled = run(bp.cancel(placed.id))
    expect(cancelled.status).toBe("cancelled")
    eqD(cancelled.filledQty, "0.3")
  })

  it("cancel of an unknown order fails with UnknownOrder after a round trip", () => {
    const { kernel, bp, run } = simulate([...QUOTES, TAIL])
    const result = run(Effect.either(bp.cancel("bp-999")))
    expect(Either.isLeft(result) && result.left._tag).toBe("UnknownOrder")
    expect(kernel.now).toBe(at(20)) // 8 + 12
  })

  it("a post-only order that would cross is refused with wouldTake", () => {
    const { bp, run } = simulate([...QUOTES, TAIL])
    const result = run(Effect.either(bp.placeLimit({ side: "buy", price: d("0.1010"), qty: d("1"), postOnly: true, timeInForce: "GTC", clientId: "c1" })))
    expect(Either.isLeft(result)).toBe(true)
    const error = Either.isLeft(result) ? result.left : undefined
    expect(error?._tag).toBe("OrderRejected")
    if (error?._tag === "OrderRejected") {
      expect(error.code).toBe("postOnly")
      expect(error.wouldTake).toBe(true)
    }
  })

  it("the ticker the strategy sees lags the recording by the feed latency", () => {
    const { kernel, bp, run, runExit, sleep } = simulate([
      ...QUOTES,
      { t: 200, venue: "bp", quote: ["0.1100", "5", "0.1110", "5"] },
      TAIL
    ])
    // nothing replayed yet
    expect(Exit.isFailure(runExit(bp.ticker))).toBe(true)
    sleep(4) // sees the market as of −1 ms: still nothing
    const early = runExit(bp.ticker)
    expect(Exit.isFailure(early) && Cause.failureOption(early.cause).pipe(Option.map((e) => e._tag), Option.getOrNull)).toBe("VenueUnavailable")
    sleep(1) // now 5: sees the quote of 0
    const first = run(bp.ticker)
    expect(first.ts).toBe(T0)
    eqD(first.bid, "0.1")
    eqD(first.ask, "0.101")
    eqD(first.last, "0.1005") // no trade yet: the mid
    sleep(199) // now 204: sees 199, the old quote, though the engine already has the new one
    expect(kernel.slot("backpack").engine.bid).toBe(1100)
    eqD(run(bp.ticker).bid, "0.1")
    sleep(1) // now 205: sees 200
    const second = run(bp.ticker)
    expect(second.ts).toBe(T0 + 200)
    eqD(second.bid, "0.11")
    eqD(second.ask, "0.111")
    eqD(second.last, "0.1105")
  })
})

describe("kernel: funding", () => {
  it("a position held over a funding time pays or receives −position × mark × rate", () => {
    const { kernel, bp, as, run, sleep } = simulate([...QUOTES, TAIL], {
      funding: [
        { t: 50, venue: "bp", rate: "0.0001", mark: "0.1" }, // flat then: nothing
        { t: 1000, venue: "bp", rate: "0.0001", mark: "0.1005" },
        { t: 1000, venue: "as", rate: "0.0002", mark: "0.1" },
        { t: 2000, venue: "bp", rate: "-0.0002", mark: "0.102" }
      ]
    })
    expect(run(bp.nextFundingTime)).toEqual(Option.some(T0 + 50))
    sleep(100)
    expect(kernel.ledger.funding).toEqual([])
    expect(run(bp.nextFundingTime)).toEqual(Option.some(T0 + 1000))
    run(bp.placeMarket({ side: "buy", qty: d("1"), clientId: "b" })) // long 1 @ 0.1010 on Backpack
    run(as.placeMarket({ side: "sell", qty: d("2"), clientId: "a" })) // short 2 @ 0.0999 on Aster
    eqD(run(bp.position).qty, "1")
    eqD(run(as.position).qty, "-2")
    sleep(1000) // past 1000

    const ledger = kernel.ledger
    expect(ledger.funding.length).toBe(2)
    // long 1, rate +0.0001, mark 0.1005: −(1 × 0.1005 × 0.0001) = −0.00001005 (longs pay)
    eqD(ledger.book("backpack").funding, "-0.00001005")
    // short 2, rate +0.0002, mark 0.1: −(−2 × 0.1 × 0.0002) = +0.00004 (shorts receive)
    eqD(ledger.book("aster-futures").funding, "0.00004")
    const bpPayment = ledger.funding.find((f) => f.venue === "backpack")!
    expect(bpPayment.ts).toBe(T0 + 1000)
    eqD(bpPayment.position, "1")
    expect(run(bp.nextFundingTime)).toEqual(Option.some(T0 + 2000))
    expect(run(as.nextFundingTime)).toEqual(Option.none())

    sleep(1000) // past 2000
    // long 1, rate −0.0002, mark 0.102: −(1 × 0.102 × −0.0002) = +0.0000204; total −0.00001005 + 0.0000204
    eqD(ledger.book("backpack").funding, "0.00001035")
    expect(ledger.funding.length).toBe(3)
    // quote balance change: −0.1010 paid, −0.0000505 taker fee (0.101 × 0.0005), +0.00001035 funding
    const quote = run(bp.balances).find((b) => b.asset === "USDC")!
    eqD(quote.free, "-0.10104015")
  })
})

describe("kernel: end of data", () => {
  it("a sleep past the last tick ends with interruption; after that time passes on a frozen market", () => {
    const { kernel, bp, run, runExit, sleep } = simulate([...QUOTES, { t: 300, venue: "bp", quote: ["0.1000", "5", "0.1010", "5"] }])
    sleep(100) // inside the data: fine
    expect(kernel.now).toBe(at(100))
    expect(kernel.ended).toBe(false)
    const exit = runExit(Effect.sleep(Duration.seconds(1)))
    expect(Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)).toBe(true)
    expect(kernel.ended).toBe(true)
    expect(kernel.stopping).toBe(true)
    expect(kernel.now).toBe(at(300))
    // finalizers still run: time moves on and orders still work against the last market
    sleep(1000)
    expect(kernel.now).toBe(at(1300))
    const order: Order = run(bp.placeMarket({ side: "sell", qty: d("1"), clientId: "last" }))
    expect(order.status).toBe("filled")
    eqD(order.filledQuote, "0.1")
  })

  it("waiting for an order update past the last tick also ends with interruption", () => {
    const { kernel, bp, runExit } = simulate([...QUOTES, { t: 300, venue: "bp", quote: ["0.1000", "5", "0.1010", "5"] }])
    const exit = runExit(bp.nextUpdate(Duration.seconds(5)))
    expect(Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)).toBe(true)
    expect(kernel.ended).toBe(true)
  })
})


describe("a venue's own-order stream nobody reads", () => {
  // Was: the hedge venue's stream, which a backtest never reads (its hedges' answers are their
  // own), kept every message: a replay of months grew with each hedge
  it("keeps its newest messages only, so a long replay's memory stays flat", () => {
    const { kernel, as, run } = simulate([{ t: 0, venue: "bp", quote: ["0.1000", "5000000", "0.1010", "5000000"] }, { t: 0, venue: "as", quote: ["0.0999", "5000000", "0.1001", "5000000"] }, { ...TAIL, t: 3_600_000 }])
    let last: Order | undefined
    for (let i = 0; i < UNREAD_UPDATES + 100; i++) last = run(as.placeMarket({ side: i % 2 === 0 ? "buy" : "sell", qty: d("1"), clientId: `h${i}` }))
    run(Effect.sleep(Duration.seconds(1)))
    const inbox = kernel.slot("aster-futures").inbox
    expect(inbox.length).toBe(UNREAD_UPDATES)
    expect(inbox[inbox.length - 1]!.order.id).toBe(last!.id)
    // the oldest went: the first order's messages are no longer there
    expect(inbox.some((update) => update.order.clientId === "h0")).toBe(false)
  })
})
