/**
 * Two edges of changes made the same day, each shown by a review of them: the hedge funds a start
 * that unwinds first counts back (only a short's unwinding sells), and a later own order's place
 * in the queue once the next quote comes.
 */
import { BigDecimal, Effect } from "effect"
import { describe, expect, it } from "vitest"
import { decimal } from "../src/core/domain/decimal"
import type { Exchange } from "../src/core/exchange"
import { hedgeFundingVerdict } from "../src/live/funding-checks"
import { probabilisticQueue } from "../src/sim/models/queue"
import { localInstrument } from "./support/local-instrument"
import { filledOf, postOnlyOrder, testEngine } from "./support/test-engine"

describe("session diff review", () => {
  // Was: the check added |unwinding.qty| × bid to the spot account's free quote whatever the
  // position's sign; a maker long is unwound by a maker sell hedged by a spot buy, which spends
  // quote: a start with too little USDT was passed ("about 100 back from the unwinding's sell").
  it("a spot hedge's funds are not raised by unwinding a maker long (its hedge is a buy)", async () => {
    const spot = localInstrument("aster-spot")
    const hedge = {
      venue: "aster-spot",
      balances: Effect.succeed([{ asset: "USDT", free: decimal("5"), locked: decimal("0") }])
    } as unknown as Exchange
    // 10 ASTER at 2 needs 20.4; the account holds 5; the unwinding of a maker long of 50 BUYS 50 on Aster spot
    const verdict = await Effect.runPromise(
      hedgeFundingVerdict(hedge, spot, decimal("10"), decimal("2"), { qty: decimal("50"), bid: decimal("2") })
    )
    expect(verdict?.status).toBe("refuse")
    // sanity: a maker short's unwinding sells on spot and gives quote back (as intended)
    const short = await Effect.runPromise(
      hedgeFundingVerdict(hedge, spot, decimal("10"), decimal("2"), { qty: BigDecimal.negate(decimal("50")), bid: decimal("2") })
    )
    expect(short?.status).toBe("ok")
  })

  // Was: a later order's level was taken as our own orders plus the recorded level, so the next
  // quote, showing the recorded level alone, looked like a cancel of that much, and the
  // probabilistic queue moved it to the earlier order's place: a print of 350 against 300 recorded
  // ahead filled 50 on each.
  it("a later own order stays behind the earlier one once an unchanged quote comes (probabilistic queue)", () => {
    const { engine, fills } = testEngine(probabilisticQueue(2))
    engine.onQuote(1, 1000, 300, 1030, 200)
    const a = engine.submitLimit(2, postOnlyOrder(1, 1000, 100)) // 300 recorded ahead
    const b = engine.submitLimit(3, postOnlyOrder(1, 1000, 100)) // 300 + a's 100 ahead
    expect(b.queue.ahead).toBe(400)
    engine.onQuote(4, 1000, 300, 1030, 200) // nothing changed at 1000
    engine.onTrade(5, 1000, 350, false) // 300 ahead of a trade, 50 reach a
    expect(filledOf(fills, a.id)).toBe(50)
    expect(filledOf(fills, b.id)).toBe(0)
  })
})
