/**
 * Starts after a config change (another Aster market, another symbol, a lower quantity) and
 * after a run whose refused hedges took many client ids: each test builds what an earlier process
 * left (journal and venues), runs the next start(s) in-process over fake venues, and checks that
 * no pair is lost track of or hedged twice.
 */
import { describe, expect, it } from "@effect/vitest"
import { BigDecimal, Effect } from "effect"
import { backpackClientId } from "../src/adapters/backpack/client"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import type { Instrument } from "../src/core/domain/instrument"
import type { Order } from "../src/core/domain/order"
import { UnknownOrder } from "../src/core/errors"
import { unwindLeg } from "../src/core/strategy/unwind"
import { testConfig } from "./support/config"
import { PERP } from "./support/fake-local-venue"
import { idleVenue } from "./support/idle-venue"
import {
  config as killedRunConfig,
  FUTURES,
  hedgeAccount,
  hedgeFillOf,
  hedgeOrderOn,
  journalWithRun,
  KILLED_AT,
  makerLegJournalled,
  makerOrder,
  sentOf,
  SPOT,
  startOn,
  ticker
} from "./support/killed-run"



const trade = { quantity: "10", offset_percent: 0, first_wait_seconds: 30, between_legs_sleep: 0, cycle_sleep: 0, stop_before_funding_minutes: 0, max_cycles: 1 }

describe("a restart whose config hedges on the other Aster market (futures -> spot)", () => {
  // Was: the start read the imbalance from the new config's venues only: Backpack -10 against
  // spot 0, it bought 10 on spot, hedging the short a second time (futures +10 and spot +10: a
  // naked +10 ASTER long). Now the journal's fills of the market it no longer trades refuse the
  // start (exit 4), naming the position.
  it.scopedLive("the pair hedged on futures is not hedged a second time on spot", () =>
    Effect.gen(function*() {
      const futuresHedge = hedgeOrderOn(FUTURES)
      const file = yield* journalWithRun({ kind: "live", hedge: FUTURES }, (journal, runId) =>
        Effect.gen(function*() {
          yield* makerLegJournalled(journal, runId)
          yield* journal.recordIntent({ kind: "market", runId, venue: "aster-futures", clientId: futuresHedge.clientId, side: "buy", qty: futuresHedge.qty, createdAt: KILLED_AT - 1950 })
          yield* journal.recordOrder(runId, futuresHedge, KILLED_AT - 1900)
          yield* journal.recordFill(runId, hedgeFillOf(futuresHedge))
          yield* journal.recordHedge({ clientId: futuresHedge.clientId, runId, cycle: 1, leg: 1, side: "buy", qty: futuresHedge.qty, executedQty: futuresHedge.filledQty, executedQuote: futuresHedge.filledQuote, referencePrice: decimal("1.5004"), ts: KILLED_AT - 1900, state: "done" })
          // Ctrl+C between the legs: a clean stop, the pair left for the next start to unwind
          yield* journal.endRun(runId, { endedAt: KILLED_AT, outcome: "stopped" })
        }))
      // the trader edits the config to hedge on Aster spot (its ASTER balance was 0 all along)
      const spot = hedgeAccount(SPOT, "0", [], (order) => [hedgeFillOf(order)])
      const spotConfig = testConfig({ aster: { base_url: "https://sapi.asterdex.com" }, trade })
      const started = yield* startOn(file, idleVenue(PERP, ticker, () => decimal("-10")), spot.venue(), spotConfig)
      // Backpack -10 is hedged by aster-futures +10 (the journal's fills): nothing bought on spot
      expect(sentOf(spot.state.sent)).toEqual([])
      const result = started._tag === "Right" ? started.right : undefined
      expect(result?.outcome).toBe("refused")
      expect(result?.message ?? "").toMatch(/aster-futures ASTERUSDT 10\b.*--unwind-only/)
    }))
})

describe("a restart whose config trades another symbol", () => {
  // Was: an earlier run's request was looked up on the venue of the same name, not the same
  // market: a start trading SOL found run 1's ASTER order "not found" (the adapters look within
  // their own symbol) and marked it never sent; back on ASTER it was "not ours: left alone", resting
  // and filling unhedged. Now an intent of a market this config does not trade is left as it is.
  it.scopedLive("run 1's order resting on the old market is still cancelled by a later start on that market", () =>
    Effect.gen(function*() {
      const resting: Order = { ...makerOrder, id: "m2", clientId: "hlold-m2", filledQty: decimal("0"), filledQuote: decimal("0"), status: "new" }
      const file = yield* journalWithRun({ kind: "live", hedge: FUTURES }, (journal, runId) =>
        Effect.gen(function*() {
          yield* journal.recordIntent({ kind: "limit", runId, venue: "backpack", clientId: resting.clientId, side: "sell", qty: resting.qty, price: resting.price!, createdAt: KILLED_AT - 3000 })
          yield* journal.recordOrder(runId, resting, KILLED_AT - 2000)
        }))

      // start 2 trades SOL: its venues know nothing of an ASTER order (lookups are per symbol)
      const SOL_PERP: Instrument = { ...PERP, symbol: "SOL_USDC_PERP", base: "SOL" }
      const SOL_FUTURES: Instrument = { ...FUTURES, symbol: "SOLUSDT", base: "SOL" }
      const solConfig = testConfig({ bp: { symbol: "SOL_USDC_PERP" }, aster: { symbol: "SOLUSDT" }, trade })
      const solHedge = hedgeAccount(SOL_FUTURES, "0", [], () => [])
      yield* startOn(file, idleVenue(SOL_PERP, ticker, () => decimal("0")), solHedge.venue(), solConfig)

      // start 3, back on ASTER: the order still rests there, listed with Backpack's number for its client id
      const cancelled: Array<string> = []
      let open = true
      const listed: Order = { ...resting, clientId: String(backpackClientId(resting.clientId)) }
      const asterMaker = idleVenue(PERP, ticker, () => decimal("0"), {
        openOrders: Effect.sync(() => (open ? [listed] : [])),
        queryOrder: (ref) =>
          ("clientId" in ref ? ref.clientId === resting.clientId : ref.orderId === resting.id)
            ? Effect.succeed(open ? resting : { ...resting, status: "cancelled" as const })
            : Effect.fail(new UnknownOrder({ venue: "backpack", orderId: "clientId" in ref ? ref.clientId : ref.orderId })),
        cancel: (orderId) =>
          Effect.sync(() => {
            cancelled.push(orderId)
            open = false
            return { ...resting, status: "cancelled" as const, updatedAt: Date.now() }
          })
      })
      const logs: Array<string> = []
      yield* startOn(file, asterMaker, hedgeAccount(FUTURES, "0", [], () => []).venue(), killedRunConfig, logs)
      expect(logs.filter((line) => line.includes("is not ours"))).toEqual([])
      expect(cancelled).toEqual(["m2"])
    }))
})

describe("unwinding a pair larger than trade.quantity (the quantity lowered since the stop)", () => {
  // Was: each leg took min(quantity, |position|): -12 in legs of 10 left -2 "too small to trade on
  // both venues" for good, paying funding on both. Now a leg is made smaller to leave a tradable
  // rest, as the hedge's split does.
  it("legs of at most 10 bring a -12 position back to zero when 12 is tradable", () => {
    const hedge: Instrument = { ...FUTURES, minNotional: decimal("5") }
    const price = decimal("1.5")
    let left = decimal("-12")
    const legs: Array<string> = []
    for (let i = 0; i < 5; i++) {
      const leg = unwindLeg(left, decimal("10"), PERP, hedge, price, price)
      if (leg === undefined) break
      legs.push(`${leg.side} ${formatDecimal(leg.qty)}`)
      left = BigDecimal.sum(left, leg.side === "buy" ? leg.qty : BigDecimal.negate(leg.qty))
    }
    expect({ left: formatDecimal(BigDecimal.normalize(left)), legs: legs.length }).toEqual({ left: "0", legs: 2 })
  })
})

describe("a start after a run whose journal failed and whose wind-down hedge was refused a few times first", () => {
  // Was: the start stopped looking after 5 unknown client ids in a row, while each refused attempt
  // takes a new id (a wind-down tries for 60 s): a hedge that executed after 5 refusals was never
  // found, and on spot the start bought the pair again. Now it looks past as many as one hedge's
  // attempts can take (mostHedgeAttemptsInARow), and 5.
  it.scopedLive("the hedge that executed at its 6th attempt (h7) is found, and not hedged again", () =>
    Effect.gen(function*() {
      // run 1 (journal failing after the maker leg) sold 10; its hedges h2..h6 were refused, h7 executed
      const file = yield* journalWithRun({ kind: "live", hedge: SPOT }, makerLegJournalled)
      const executed: Order = { ...hedgeOrderOn(SPOT), id: "h7", clientId: "hlold-h7" }
      // the spot account held 0 ASTER before run 1, 10 now (h7's); the venue knows no h2..h6 (refused: nothing booked)
      const account = hedgeAccount(SPOT, "10", [executed], (order) => (order.id === executed.id ? [hedgeFillOf(executed)] : []))
      yield* startOn(file, idleVenue(PERP, ticker, () => decimal("-10")), account.venue())
      // Backpack -10, spot +10 (bought by h7): hedged, nothing to buy
      expect(sentOf(account.state.sent)).toEqual([])
    }))
})
