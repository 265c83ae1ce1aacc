/**
 * The matching engine where a queue is joined and shared: a newer quote against an older depth
 * snapshot, two of our own orders at one price, the probabilistic queue with large sizes; and a
 * kernel setting off the recording's grid. Integer units as in test/engine.test.ts: tick 10,
 * step 5, min qty 20, min notional 50 000 price×qty units.
 */
import { Effect, Either } from "effect"
import { describe, expect, it } from "vitest"
import { runBacktest } from "../src/sim/backtest"
import { conservativeQueue, probabilisticQueue } from "../src/sim/models/queue"
import { testConfig } from "./support/config"
import { writeSwingingScript } from "./support/scripted-market"
import { filledOf, postOnlyOrder, testEngine } from "./support/test-engine"

describe("engine queues: what is ahead, and whose fill it is", () => {
  // Was: a depth snapshot (up to 5 s old) outranked the newer quote when a maker order joins. Here the
  // snapshot showed 250 bid at 1000, but the later quote's best bid is 990: the 1000 level is empty
  // and our buy improves the bid (nothing ahead, as the engine says without depth). The engine queued
  // it behind a phantom 250, so with the conservative model it missed fills it would get.
  it("a buy improving the (newer) quoted best bid has nothing ahead, whatever an older depth snapshot showed there", () => {
    const { engine, fills } = testEngine(conservativeQueue, { 1: { bids: [[1000, 250], [990, 300]], asks: [[1010, 200], [1020, 200]] } })
    engine.onQuote(1, 1000, 250, 1010, 200)
    engine.onDepth(1, 1)
    engine.onQuote(2, 990, 300, 1010, 200) // newer: the 250 at 1000 left
    const o = engine.submitLimit(3, postOnlyOrder(1, 1000, 100))
    expect(o.status).toBe("new")
    expect(o.queue.ahead).toBe(0)
    engine.onTrade(4, 1000, 100, false) // a taker sells 100 at our price: we are the best bid
    expect(filledOf(fills, o.id)).toBe(100)
  })

  // Was: two of our own orders resting at one price each consumed the same traded volume: one taker
  // sell of 100 filled both buys of 100 (200 filled from a print of 100), and the later order was
  // not queued behind the earlier one (the local exchange, or any engine user with two orders at a price).
  it("one trade's volume is not filled twice across two of our own orders at the same price", () => {
    const { engine, fills } = testEngine()
    engine.onQuote(1, 990, 300, 1030, 200)
    const a = engine.submitLimit(2, postOnlyOrder(1, 1000, 100)) // improves the bid: nothing ahead
    const b = engine.submitLimit(3, postOnlyOrder(1, 1000, 100)) // behind a
    engine.onTrade(4, 1000, 100, false)
    expect(filledOf(fills, a.id) + filledOf(fills, b.id)).toBeLessThanOrEqual(100)
    expect(filledOf(fills, a.id)).toBe(100)
  })

  // Was: the probabilistic queue computed ahead^n and behind^n as floats; with sizes in quantity units
  // (3 000 000 = 30 000 ASTER at 2 decimals) and a config-accepted queue_power such as 60 both
  // overflowed to Infinity, the queue position became NaN, and the trade that takes the whole level
  // filled nothing.
  it("a large queue_power keeps the queue position a number and the order fills once its level has traded", () => {
    const { engine, fills } = testEngine(probabilisticQueue(60))
    engine.onQuote(1, 1000, 3_000_000, 1010, 200)
    const o = engine.submitLimit(2, postOnlyOrder(1, 1000, 100))
    engine.onQuote(3, 1000, 6_000_000, 1010, 200) // 3 000 000 join behind us
    engine.onQuote(4, 1000, 5_000_000, 1010, 200) // 1 000 000 cancelled
    expect(Number.isFinite(o.queue.ahead)).toBe(true)
    engine.onTrade(5, 1000, 5_000_000, false) // the whole level shown trades: it reaches us
    expect(filledOf(fills, o.id)).toBe(100)
  })

  // Was: an assumed_top_qty finer than the recording's quantity grid stopped the backtest with a bare
  // "0.001 has more than 2 decimals", naming neither the key nor the file's step.
  it("an assumed_top_qty off the recording's quantity grid is refused naming sim.assumed_top_qty", () => {
    const db = writeSwingingScript(30)
    const result = Effect.runSync(Effect.either(runBacktest({ dbPath: db, config: testConfig({ sim: { assumed_top_qty: "0.001" } }) })))
    expect(Either.isLeft(result)).toBe(true)
    if (Either.isLeft(result)) expect(result.left.message).toMatch(/^sim.assumed_top_qty 0.001 is finer than the quantities .* holds for \S+:\S+ \(\d decimals\)$/)
  })
})

describe("engine queues: two of our own orders at one price, a cancel in between", () => {
  // Was: the probabilistic queue capped what is ahead at the level the recording shows, which
  // leaves out our own earlier orders: the later order was moved in front of the earlier one, and
  // one print filled both beyond its volume.
  it("a cancel in the shown level never moves a later own order ahead of our earlier one", () => {
    const { engine, fills } = testEngine(probabilisticQueue(2))
    engine.onQuote(1, 1000, 300, 1010, 200)
    const a = engine.submitLimit(2, postOnlyOrder(-1, 1010, 100)) // behind the 200 shown
    const b = engine.submitLimit(3, postOnlyOrder(-1, 1010, 100)) // behind the 200 and a's 100
    expect(a.queue.ahead).toBe(200)
    expect(b.queue.ahead).toBe(300)
    // 50 of the shown 200 cancelled, nobody recorded behind them: all 50 were ahead of a → 150;
    // b is still behind those 150 and a's 100 = 250
    engine.onQuote(4, 1000, 300, 1010, 150)
    expect(a.queue.ahead).toBe(150)
    // a taker buys 200 at 1010: 150 to the others ahead, 50 to a, nothing reaches b
    engine.onTrade(5, 1010, 200, true)
    expect(filledOf(fills, a.id)).toBe(50)
    expect(filledOf(fills, b.id)).toBe(0)
  })

  // Was: a cancelled order of ours stayed counted ahead of our later order at its price (the
  // recording never showed it, so no quote took it out): the later order missed fills.
  it("our cancelled order no longer stands in front of our later order at the same price", () => {
    const { engine, fills } = testEngine(probabilisticQueue(2))
    engine.onQuote(1, 1000, 300, 1010, 200)
    const a = engine.submitLimit(2, postOnlyOrder(-1, 1010, 100)) // 200 ahead
    const b = engine.submitLimit(3, postOnlyOrder(-1, 1010, 100)) // 200 + a's 100 ahead
    engine.cancel(4, a.id)
    expect(a.status).toBe("cancelled")
    engine.onQuote(5, 1000, 300, 1010, 200) // the recorded level unchanged
    // a taker buys 250 at 1010: 200 to the others, then 50 to b (a is gone)
    engine.onTrade(6, 1010, 250, true)
    expect(filledOf(fills, b.id)).toBe(50)
  })
})
