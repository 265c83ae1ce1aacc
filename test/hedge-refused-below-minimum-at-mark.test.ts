/**
 * Aster futures checks a market order's minimum value at its mark price, which may be below the
 * bid a hedge is sized at: a hedge it refuses for that is not sent again as it was until the run
 * stops, but sized at the mark the venue reads after the refusal.
 */
import { describe, expect, it } from "vitest"
import { BigDecimal, Effect, Option } from "effect"
import { decimal } from "../src/core/domain/decimal"
import { OrderRejected } from "../src/core/errors"
import { FIRST_TRADE, qty, quotes, scriptedBacktest, sum } from "./support/scripted-backtest"

const MARK = decimal("1.99")
const MIN_VALUE = decimal("5")

describe("a hedge just above the venue's minimum value at its bid, below it at its mark", () => {
  // Was: the refused hedge (2.51 at the bid 1.9995: 5.0187; at the mark 1.99: 4.9949) was sent
  // again as it was after each backoff, refused each time, until the hedge counted as failed and
  // the run stopped with it unhedged. Now the venue's mark is read after the refusal and the
  // hedge sized at it: held back (2.52 is the smallest at 1.99) until the leg's next fills.
  it("is held back for more fills after the refusal, and the leg's whole 10 is hedged", async () => {
    // bp-1 sells 10 at 2.002: 102.51 traded there at 3 s fills 2.51 (100 ahead), 110 at 8 s the rest
    const partial = { t: 3000, venue: "bp" as const, trade: ["2.0020", "102.51", "buy"] as const }
    const rest = { t: 8000, venue: "bp" as const, trade: ["2.0020", "110", "buy"] as const }
    let refused = 0
    const { report } = await scriptedBacktest([...quotes(0, 60), FIRST_TRADE, partial, rest], { trade: { max_cycles: 1, hedge_retry_attempts: 3 } }, (_kernel, venues) => ({
      ...venues,
      hedge: {
        ...venues.hedge,
        fundingQuote: Effect.succeed(Option.some({ fundingTime: 0, rate: decimal("0.0001"), markPrice: MARK })),
        placeMarket: (request) =>
          Effect.suspend(() => {
            if (!BigDecimal.lessThan(BigDecimal.multiply(request.qty, MARK), MIN_VALUE)) return venues.hedge.placeMarket(request)
            refused += 1
            return Effect.fail(new OrderRejected({ venue: "aster-futures", code: "-4164", reason: "Order's notional must be no smaller than 5.0" }))
          })
      }
    }), { asterMinNotional: "5" })
    expect(refused).toBe(1)
    expect(report.run.outcome).not.toBe("failed")
    expect(qty(sum(report, "backpack", "sell"))).toBe("10")
    expect(qty(sum(report, "aster-futures", "buy"))).toBe("10")
  })
})
