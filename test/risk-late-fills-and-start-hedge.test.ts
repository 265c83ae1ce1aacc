/**
 * The kill switch's money limits where what it hears comes out of order or from outside the
 * strategy: a fill read back late (the backfill, seconds after) must not replace a newer mark as
 * the price of the open position (max_loss), and the start's hedge of what an earlier run left
 * unhedged is a fill of the last 24 hours (max_loss_per_day), though no watcher of this run's
 * orders hands it over.
 */
import { describe, expect, it } from "@effect/vitest"
import { BigDecimal, Deferred, Effect, Option } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { decimal, formatDecimal, ZERO } from "../src/core/domain/decimal"
import type { Instrument } from "../src/core/domain/instrument"
import { type Fill, type MarketOrderRequest, type Order, signedQty } from "../src/core/domain/order"
import type { Exchange } from "../src/core/exchange"
import { RiskGuard } from "../src/core/risk/risk-guard"
import { openJournal } from "../src/live/journal"
import { runLive } from "../src/live/runner"
import { testConfig } from "./support/config"
import { idleVenue } from "./support/idle-venue"
import { PERP } from "./support/fake-local-venue"
import { fillOf as fill } from "./support/fills"
import { HEDGE } from "./support/paper-venues"
import { farLimits } from "./support/risk-limits"

const s = formatDecimal

const limits = farLimits

describe("max_loss valuation", () => {
  it.effect("a fill read back late (older than the last mark) must not replace the mark that values the open position", () =>
    Effect.gen(function*() {
      const guard = yield* RiskGuard.make(limits({ maxLoss: decimal("42") }))
      // the maker sold 10 at 2 (stream), the hedge venue refuses: 10 short, unhedged
      yield* guard.recordFill(fill("backpack", "sell", "10", "2", "0", 1_000))
      // the mark at 10 s: 20 − 10 × 6 = −40, above −42
      yield* guard.recordMark("backpack", decimal("6"), 10_000)
      expect(s(guard.status(10_000).pnl)).toBe("-40")
      expect(Option.isNone(guard.check(10_000))).toBe(true)
      // at 11 s the fill backfill reads a fill of 1 at 2 that the stream had dropped, made at 2 s
      // (before the mark): 11 short, cash 22. Valued at the latest mark: 22 − 11 × 6 = −44 ≤ −42
      yield* guard.recordFill(fill("backpack", "sell", "1", "2", "0", 2_000))
      expect(s(guard.status(11_000).pnl)).toBe("-44")
      expect(Option.getOrUndefined(guard.check(11_000))?.key).toBe("max_loss")
    }))
})

// ---------------------------------------------------------------------------------------------
// max_loss_per_day and the start-up reconciliation's hedge
// ---------------------------------------------------------------------------------------------

const EARLIER_AT = Date.now() - 3_600_000

/** a price read from both fake venues; changed by the test as the market moves */
let price = decimal("3")
const ticker = Effect.sync(() => ({ ts: 0, bid: price, ask: price, last: price }))

const fakeVenue = (instrument: Instrument, held: () => Decimal, extra: Partial<Exchange>): Exchange => idleVenue(instrument, ticker, held, extra)
type Decimal = BigDecimal.BigDecimal

describe("max_loss_per_day counts the start-up hedge", () => {
  it.scopedLive("the reconciliation's hedge of an earlier run's unhedged fill is this run's fill: the day's loss it fixed counts", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hedgeloop-risk-start-hedge-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
      const file = path.join(dir, "journal.db")
      const config = testConfig({
        trade: { quantity: "10", offset_percent: 0, first_wait_seconds: 30, between_legs_sleep: 0, cycle_sleep: 0, stop_before_funding_minutes: 0, max_cycles: 1 },
        risk: { max_loss_per_day: 10 }
      })
      // an earlier paper run an hour ago: Backpack sold 10 at 1.5, and its hedge never went out
      // (the hedge venue refused it to the end: NOT HEDGED, the next start hedges it)
      yield* Effect.scoped(Effect.gen(function*() {
        const journal = yield* openJournal(file, "write")
        const runId = yield* journal.startRun({
          kind: "paper",
          startedAt: EARLIER_AT - 5000,
          config,
          maker: { venue: "backpack", symbol: PERP.symbol, quoteAsset: "USDC", baseAsset: "ASTER" },
          hedge: { venue: "aster-futures", symbol: HEDGE.symbol, quoteAsset: "USDT", baseAsset: "ASTER" },
          clientIdPrefix: "hlold-"
        })
        yield* journal.recordFill(runId, {
          venue: "backpack",
          symbol: PERP.symbol,
          orderId: "m1",
          tradeId: "mt1",
          side: "sell",
          price: decimal("1.5"),
          qty: decimal("10"),
          fee: ZERO,
          feeAsset: "USDC",
          liquidity: "maker",
          ts: EARLIER_AT
        })
        yield* journal.endRun(runId, { endedAt: EARLIER_AT + 60_000, outcome: "kill-switch" })
      }))

      // the start: Backpack −10, Aster 0; the price is 3 now, so the start-up hedge buys 10 at 3.
      // The 24 hours' loss is then fixed: sold 10 at 1.5, bought them back at 3: −15, whatever the
      // price does next (the pair is hedged). Right after, the price falls back to 1.5.
      price = decimal("3")
      let hedgeHeld = ZERO
      const hedges: Array<Order> = []
      const sent: Array<MarketOrderRequest> = []
      const maker = fakeVenue(PERP, () => decimal("-10"), {})
      const hedgeFillOf = (order: Order): Fill => ({
        venue: "aster-futures",
        symbol: HEDGE.symbol,
        orderId: order.id,
        tradeId: `t-${order.id}`,
        side: order.side,
        price: decimal("3"),
        qty: order.filledQty,
        fee: ZERO,
        feeAsset: "USDT",
        liquidity: "taker",
        ts: order.updatedAt
      })
      const hedge = fakeVenue(HEDGE, () => hedgeHeld, {
        placeMarket: (request) =>
          Effect.sync(() => {
            sent.push(request)
            hedgeHeld = BigDecimal.sum(hedgeHeld, signedQty(request.side, request.qty))
            const now = Date.now()
            const order: Order = {
              venue: "aster-futures",
              symbol: HEDGE.symbol,
              id: `h${sent.length}`,
              clientId: request.clientId,
              side: request.side,
              type: "market",
              qty: request.qty,
              filledQty: request.qty,
              filledQuote: BigDecimal.multiply(request.qty, decimal("3")),
              status: "filled",
              postOnly: false,
              timeInForce: "IOC",
              createdAt: now,
              updatedAt: now
            }
            hedges.push(order)
            // the market moves back once the pair is hedged
            price = decimal("1.5")
            return order
          }),
        orderFills: (order) => Effect.succeed(hedges.filter((h) => h.id === order.id).map(hedgeFillOf))
      })
      const stop = yield* Deferred.make<void>()
      yield* Deferred.succeed(stop, undefined)
      const result = yield* runLive({ config, kind: "paper", journalPath: file, markEveryMs: 1000, stop, venues: Effect.succeed({ maker, hedge }) }).pipe(Effect.scoped)

      // the start-up hedge went out and is one of this run's fills in its own report
      expect(sent.map((r) => `${r.side} ${s(r.qty)}`)).toEqual(["buy 10"])
      expect(result.report.fills.map((f) => `${f.venue} ${f.side} ${f.qty} @ ${f.price}`)).toEqual(["aster-futures buy 10 @ 3"])
      // the last 24 hours: +15 − 30 + (−10 + 10) × 1.5 = −15 ≤ −10: a limit already reached
      expect(result.outcome).toBe("refused")
      expect(result.message).toContain("risk.max_loss_per_day")
    }))
})
