/**
 * The matching engine's probabilistic queue when the level at our price empties (the best quote
 * moves beyond it): nothing is left ahead of us. Integer units as in test/engine.test.ts: tick 10, step 5, min qty 20, min notional 50 000.
 */
import { describe, expect, it } from "vitest"
import { probabilisticQueue } from "../src/sim/models/queue"
import { postOnlyOrder, testEngine } from "./support/test-engine"

const probabilisticEngine = () => testEngine(probabilisticQueue(2))

describe("queue position: the probabilistic model, a level that empties", () => {
  // Was: src/sim/engine.ts:204-215 (restingOnQuote) only looks at the level at our price while it is
  // the best one; a quote whose best ask (bid) moves beyond our sell (buy) price shows that level
  // empty, yet `queue.ahead` keeps its 200. README and src/sim/models/queue.ts promise the
  // probabilistic model never leaves more ahead of us than the level shows: it should drop to 0, so
  // what joins the level afterwards is behind us and the next trade at our price fills us.
  it("a level at our price that empties (the best quote moves past it) leaves nothing ahead of us", () => {
    // a sell at the ask 1010 behind 200; the ask moves up to 1020 (no trade: the 200 were cancelled)
    const sells = probabilisticEngine()
    sells.engine.onQuote(1, 1000, 300, 1010, 200)
    const sell = sells.engine.submitLimit(2, postOnlyOrder(-1, 1010, 100))
    expect(sell.queue.ahead).toBe(200)
    sells.engine.onQuote(3, 1000, 300, 1020, 200) // nothing left at 1010 but us
    sells.engine.onQuote(4, 1000, 300, 1010, 500) // 500 join at 1010: behind us
    sells.engine.onTrade(5, 1010, 100, true) // a taker buys 100 at 1010: ours, the first in line
    expect(sell.queue.ahead).toBe(0)
    expect(sells.fills).toEqual([[sell.id, 1010, 100]])

    // the mirror image: a buy at the bid 1000 behind 300; the bid drops to 990, then 1000 × 400 again
    const buys = probabilisticEngine()
    buys.engine.onQuote(1, 1000, 300, 1010, 200)
    const buy = buys.engine.submitLimit(2, postOnlyOrder(1, 1000, 100))
    expect(buy.queue.ahead).toBe(300)
    buys.engine.onQuote(3, 990, 300, 1010, 200)
    buys.engine.onQuote(4, 1000, 400, 1010, 200)
    buys.engine.onTrade(5, 1000, 60, false)
    expect(buy.queue.ahead).toBe(0)
    expect(buys.fills).toEqual([[buy.id, 1000, 60]])
  })
})
