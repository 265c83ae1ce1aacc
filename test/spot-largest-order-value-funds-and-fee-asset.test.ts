/**
 * The Aster spot hedge variant: its largest order value, the hedge funds a start judges after
 * unwinding a maker long, and the fees-in-ASTER check with a paper run in the same journal.
 */
import { Effect, Either, Schema } from "effect"
import { describe, expect, it } from "@effect/vitest"
import { SpotSymbolInfo, symbolRulesOf } from "../src/adapters/aster/schemas"
import type { Balance } from "../src/core/domain/account"
import { type Decimal, decimal, formatDecimal } from "../src/core/domain/decimal"
import type { Instrument } from "../src/core/domain/instrument"
import type { Exchange } from "../src/core/exchange"
import { Exposure } from "../src/core/strategy/exposure"
import { quantityProblems } from "../src/core/strategy/tradable-quantity"
import { baseFeeFloatVerdict, hedgeFundingVerdict } from "../src/live/funding-checks"
import { openJournal } from "../src/live/journal"
import { config, hedgeFillOf, hedgeOrderOn, journalWithRun, KILLED_AT, SPOT as KILLED_SPOT } from "./support/killed-run"
import { localInstrument } from "./support/local-instrument"

const SPOT: Instrument = localInstrument("aster-spot", { minNotional: "5" })
const BP: Instrument = localInstrument("backpack")

const spotAccount = (balances: ReadonlyArray<Pick<Balance, "asset" | "free" | "locked">>): Exchange =>
  ({ venue: "aster-spot", balances: Effect.succeed(balances.map((b) => ({ venue: "aster-spot", ...b }))) }) as unknown as Exchange

describe("spot exchangeInfo: the largest order value", () => {
  // Was: MAX_NOTIONAL and NOTIONAL's maxNotional (applyMaxToMarket) were not read: a hedge worth
  // more than the venue's largest order went as one order, refused after its maker leg had filled.
  // Now the instrument carries it and a hedge beyond it is split, as one beyond maxQty is.
  it("a hedge worth more than the venue's largest order value goes in orders within it", () => {
    const row = Schema.decodeUnknownSync(SpotSymbolInfo)({
      symbol: "ASTERUSDT",
      status: "TRADING",
      baseAsset: "ASTER",
      quoteAsset: "USDT",
      filters: [
        { filterType: "PRICE_FILTER", minPrice: "0.0001", maxPrice: "100000", tickSize: "0.0001" },
        { filterType: "LOT_SIZE", minQty: "0.01", maxQty: "1000000", stepSize: "0.01" },
        { filterType: "MARKET_LOT_SIZE", minQty: "0.01", maxQty: "1000000", stepSize: "0.01" },
        { filterType: "MIN_NOTIONAL", minNotional: "5" },
        { filterType: "MAX_NOTIONAL", maxNotional: "100" },
        { filterType: "NOTIONAL", minNotional: "5", maxNotional: "100", avgPriceMins: 5, applyMinToMarket: true, applyMaxToMarket: true }
      ]
    })
    const rules = symbolRulesOf("aster-spot", row)
    if (Either.isLeft(rules)) throw new Error(rules.left)
    const hedge = rules.right.instrument
    expect(hedge.maxNotional && formatDecimal(hedge.maxNotional)).toBe("100")
    // 100 ASTER sold on Backpack at 1.5: a 150 USDT hedge buy on a market whose largest order is 100
    // USDT; judged 5% above 1.5 (1.575), the largest order is 63.49 ASTER: 63.49 + 36.51
    const exposure = new Exposure()
    exposure.absorbMakerOrder({ ...hedgeOrderOn(KILLED_SPOT), venue: "backpack", id: "m1", side: "sell", qty: decimal("100"), filledQty: decimal("100") })
    const shown = (order: { side: string; qty: Decimal } | undefined) => order && `${order.side} ${formatDecimal(order.qty)}`
    const first = exposure.hedgeOrder(hedge, decimal("1.5"))
    expect(shown(first)).toBe("buy 63.49")
    exposure.absorbHedge("buy", first!.qty)
    expect(shown(exposure.hedgeOrder(hedge, decimal("1.5")))).toBe("buy 36.51")
    // one order of the leg is no problem at the start: the hedge is split
    expect(quantityProblems(decimal("100"), BP, hedge, decimal("1.5"), decimal("1.5"))).toEqual([])
  })

})

describe("hedge funds on spot, judged as after the unwinding", () => {
  // Was: judged against the whole free USDT, as if the unwinding's hedge buy spent none: with 16
  // USDT, an unwinding buy of 10 at 1.5 and cycle 1's hedge buy of 10 passed, and that hedge was
  // refused once its maker leg had filled.
  it("refuses when the unwinding's hedge buy leaves too little USDT for the cycle's hedge buy", () => {
    const account = spotAccount([{ asset: "USDT", free: decimal("16"), locked: decimal("0") }, { asset: "ASTER", free: decimal("0"), locked: decimal("0") }])
    const verdict = Effect.runSync(hedgeFundingVerdict(account, SPOT, decimal("10"), decimal("1.5"), { qty: decimal("10"), bid: decimal("1.4999") }))
    expect(verdict?.status).toBe("refuse")
  })
})

describe("spare ASTER for the fees, with a paper run in the same journal", () => {
  // Was: the journal's last hedge fill of any run kind decided whether fees are paid in ASTER: a
  // paper run sharing the journal (its simulated fee in USDT) silenced the warning of a live start.
  it.live("still warns a live start whose last LIVE hedge paid its fee in ASTER", () =>
    Effect.gen(function*() {
      const file = yield* journalWithRun({ kind: "live", hedge: KILLED_SPOT }, (journal, runId) =>
        Effect.gen(function*() {
          yield* journal.recordFill(runId, { ...hedgeFillOf(hedgeOrderOn(KILLED_SPOT)), fee: decimal("0.0038"), feeAsset: "ASTER" })
          yield* journal.endRun(runId, { endedAt: KILLED_AT, outcome: "stopped" })
          const paper = yield* journal.startRun({
            kind: "paper",
            startedAt: KILLED_AT + 1000,
            config,
            maker: { venue: "backpack", symbol: "ASTER_USDC_PERP", quoteAsset: "USDC", baseAsset: "ASTER" },
            hedge: { venue: "aster-spot", symbol: "ASTERUSDT", quoteAsset: "USDT", baseAsset: "ASTER" },
            clientIdPrefix: "hlpap-"
          })
          yield* journal.recordFill(paper, { ...hedgeFillOf({ ...hedgeOrderOn(KILLED_SPOT), id: "p1", updatedAt: KILLED_AT + 2000 }), fee: decimal("0.006"), feeAsset: "USDT" })
        }))
      const journal = yield* openJournal(file, "read")
      const account = spotAccount([{ asset: "USDT", free: decimal("1000"), locked: decimal("0") }, { asset: "ASTER", free: decimal("0"), locked: decimal("0") }])
      const verdict = yield* baseFeeFloatVerdict(account, SPOT, decimal("10"), decimal("0.0004"), journal)
      expect(verdict?.status).toBe("warn")
    }).pipe(Effect.scoped))
})
