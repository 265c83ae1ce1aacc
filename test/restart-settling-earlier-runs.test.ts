/**
 * The restart path (settlement, reconciliation, the start's accounting): each test
 * builds what an earlier process left (journal and venues), runs the next start in-process over
 * fake venues, and checks what a trader relies on. Each `// Was:` says what an earlier build got wrong.
 */
import { describe, expect, it } from "@effect/vitest"
import { BigDecimal, Effect, Option } from "effect"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import type { Instrument } from "../src/core/domain/instrument"
import type { Fill, Order } from "../src/core/domain/order"
import { UnknownOrder } from "../src/core/errors"
import type { Exchange } from "../src/core/exchange"
import { openJournal } from "../src/live/journal"
import { reportFromJournal } from "../src/live/journal-report"
import { testConfig } from "./support/config"
import { PERP } from "./support/fake-local-venue"
import { idleVenue } from "./support/idle-venue"
import { FUTURES, hedgeAccount, hedgeFillOf, hedgeOrderOn, journalWithRun, KILLED_AT, makerFill, makerLegJournalled, makerOrder, sentOf, SPOT, startOn, ticker } from "./support/killed-run"


const makerHolding = (held: string, extra: Partial<Exchange> = {}) => idleVenue(PERP, ticker, () => decimal(held), extra)

/** run 1 sold 10 and sent its hedge (buy 10); the venue was down as it stopped, so the hedge's answer never reached the journal, and the run ended "stopped" */
const stoppedWithHedgeInDoubt = (hedge: Instrument, hedgeOrder: Order) =>
  journalWithRun({ kind: "live", hedge }, (journal, runId) =>
    Effect.gen(function*() {
      yield* makerLegJournalled(journal, runId)
      yield* journal.recordIntent({ kind: "market", runId, venue: hedge.venue, clientId: hedgeOrder.clientId, side: "buy", qty: hedgeOrder.qty, createdAt: KILLED_AT - 1950 })
      // "stopping: could not settle every request by client id (…); the next start looks them up"
      yield* journal.endRun(runId, { endedAt: KILLED_AT, outcome: "stopped" })
    }))

describe("a start settling a request of an earlier run that ENDED (its stop could not settle it)", () => {
  // Was: runner.ts (trade: `lacking = closeKilledRuns + completeEndedRuns`) only counts the orders
  // of killed runs or runs flagged fillsLacking. A hedge of a run that ended "stopped" with its
  // request in doubt is found at the restart by settleRequestsInDoubt, but if the venue's history
  // lags (or its read fails) the order is in no `lacking` list: spotBaseline takes the executed
  // hedge for a balance held before, and the start buys the already hedged 10 a second time.
  it.scopedLive("a spot hedge found filled, its history lagging: the start must not hedge the pair again", () =>
    Effect.gen(function*() {
      const hedgeOrder = hedgeOrderOn(SPOT)
      const file = yield* stoppedWithHedgeInDoubt(SPOT, hedgeOrder)
      // the spot account held 0 before the run, 10 now (the hedge executed); its fills not listed yet
      const account = hedgeAccount(SPOT, "10", [hedgeOrder], () => [])
      yield* startOn(file, makerHolding("-10"), account.venue())
      expect(sentOf(account.state.sent)).toEqual([])
      expect(formatDecimal(account.state.held)).toBe("10")
    }))

  // Was: same place (journal-settlement.ts settleRequestsInDoubt + runner.ts): the order found is
  // recorded as run 1's, whose fills it lacks, but run 1 ended without the fillsLacking mark and
  // nothing sets it now, so no later start (completeEndedRuns) ever reads them: run 1's report
  // keeps an unhedged short of 10 and a PnL without the hedge, for good.
  it.scopedLive("a perp hedge found filled, its history lagging at the start: a later start reads its fills", () =>
    Effect.gen(function*() {
      const hedgeOrder = hedgeOrderOn(FUTURES)
      const file = yield* stoppedWithHedgeInDoubt(FUTURES, hedgeOrder)
      let listed = false
      const account = hedgeAccount(FUTURES, "10", [hedgeOrder], (order) => (listed && order.id === hedgeOrder.id ? [hedgeFillOf(hedgeOrder)] : []))
      yield* startOn(file, makerHolding("-10"), account.venue())
      // the history lists the fill by the next start
      listed = true
      yield* startOn(file, makerHolding("-10"), account.venue())
      expect(sentOf(account.state.sent)).toEqual([])
      const report = yield* reportFromJournal(file, { runId: 1 })
      expect(report.fills.filter((f) => f.venue === "aster-futures").map((f) => `${f.side} ${f.qty}`)).toEqual(["buy 10"])
    }))
})

describe("a start cancelling a stale maker order that fills as it is cancelled", () => {
  // Was: runner.ts (trade, after reconcile: `for (const order of summary.cancelled) yield*
  // completeFills(...)`) ignores completeFills' false. The stale order's row is the killed run's
  // (closed already by closeKilledRuns; recordOrder keeps an order's first run), so neither this
  // run's end (completeFillsOfRun of ITS orders) nor any later start (completeEndedRuns: flagged
  // runs only) reads the lagging fill again: the sell of 4 is missing from the journal for good,
  // while the start's hedge of it (buy 4) is there — volume, fees and PnL reported wrong.
  it.scopedLive("the racing fill whose history lags at the start reaches the journal by a later start", () =>
    Effect.gen(function*() {
      // run 1 posted a sell of 10 on Backpack (resting, nothing filled) and was killed
      const resting: Order = { ...makerOrder, id: "m2", clientId: "hlold-m2", filledQty: decimal("0"), filledQuote: decimal("0"), status: "new" }
      const file = yield* journalWithRun({ kind: "live", hedge: FUTURES }, (journal, runId) =>
        Effect.gen(function*() {
          yield* journal.recordIntent({ kind: "limit", runId, venue: "backpack", clientId: resting.clientId, side: "sell", qty: resting.qty, price: resting.price!, createdAt: KILLED_AT - 3000 })
          yield* journal.recordOrder(runId, resting, KILLED_AT - 2000)
        }))
      // the start's cancel finds it filled 4 in the meantime
      const racingFill: Fill = { ...makerFill, orderId: "m2", tradeId: "mt2", qty: decimal("4"), ts: Date.now() }
      const maker = { held: decimal("0"), cancelled: false, listed: false }
      const current = (): Order =>
        maker.cancelled ? { ...resting, status: "cancelled", filledQty: decimal("4"), filledQuote: decimal("6"), updatedAt: Date.now() } : resting
      const makerVenue = () =>
        idleVenue(PERP, ticker, () => maker.held, {
          openOrders: Effect.sync(() => (maker.cancelled ? [] : [resting])),
          queryOrder: (ref) =>
            ("clientId" in ref ? ref.clientId === resting.clientId : ref.orderId === resting.id)
              ? Effect.sync(current)
              : Effect.fail(new UnknownOrder({ venue: "backpack", orderId: "clientId" in ref ? ref.clientId : ref.orderId })),
          cancel: () =>
            Effect.sync(() => {
              maker.cancelled = true
              maker.held = decimal("-4")
              return current()
            }),
          orderFills: (order) => Effect.sync(() => (maker.listed && order.id === "m2" ? [racingFill] : []))
        })
      const account = hedgeAccount(FUTURES, "0", [], (order) => [hedgeFillOf(order)])
      yield* startOn(file, makerVenue(), account.venue())
      // the start hedged what the cancel found filled
      expect(sentOf(account.state.sent)).toEqual(["buy 4"])
      // the venue's history lists the fill by the next start
      maker.listed = true
      yield* startOn(file, makerVenue(), account.venue())
      const report = yield* reportFromJournal(file)
      expect(report.fills.filter((f) => f.venue === "backpack").map((f) => `${f.side} ${f.qty}`)).toEqual(["sell 4"])
    }))
})

describe("the end of a run telling what it leaves on a spot hedge venue", () => {
  // Was: runner.ts positionsLeftHint counts a spot hedge venue's side from the journal's fills
  // alone (journalledNetQty), not from the orders the run ended lacking fills for (fillsLacking,
  // which the next start does count: completeEndedRuns -> spotBaseline). A hedge that executed
  // while the venue's history lags is then reported as a naked short: "NOT HEDGED … -10 ASTER is
  // exposed … (an ASTER market buy of 10)", inviting a trader to buy 10 by hand and over-hedge.
  it.scopedLive("a start-up hedge executed (its reply says filled) whose fills lag: no NOT HEDGED line", () =>
    Effect.gen(function*() {
      // run 1 sold 10 on Backpack and was killed before hedging it
      const file = yield* journalWithRun({ kind: "live", hedge: SPOT }, makerLegJournalled)
      const account = hedgeAccount(SPOT, "0", [], () => [])
      const logs: Array<string> = []
      yield* startOn(file, makerHolding("-10"), account.venue(), undefined, logs)
      // the start hedged it: Backpack −10, spot +10
      expect(sentOf(account.state.sent)).toEqual(["buy 10"])
      expect(logs.filter((line) => line.includes("NOT HEDGED"))).toEqual([])
    }))
})

describe("a start refused by a kill-switch limit after its reconciliation hedged", () => {
  // Was: risk-guard.ts LimitReachedBeforeTrading.message always says "(reached before the first
  // order: nothing was sent)", but runner.ts judges the limits only after reconcile() has
  // cancelled stale orders and sent the start-up hedge. Here the start bought 10 on Aster, and the
  // refusal tells the trader nothing was sent: one who then hedges the -10 Backpack short "left
  // unhedged" by hand doubles the hedge.
  it.scopedLive("the refusal does not claim nothing was sent when the start-up hedge went out", () =>
    Effect.gen(function*() {
      const strict = testConfig({
        trade: { quantity: "5", offset_percent: 0, first_wait_seconds: 30, between_legs_sleep: 0, cycle_sleep: 0, stop_before_funding_minutes: 0, max_cycles: 1, unwind_at_start: false },
        risk: { max_position: 8 }
      })
      // run 1 sold 10 on Backpack and was killed before hedging it
      const file = yield* journalWithRun({ kind: "live", hedge: FUTURES }, makerLegJournalled)
      const account = hedgeAccount(FUTURES, "0", [], (order) => [hedgeFillOf(order)])
      const result = yield* startOn(file, makerHolding("-10"), account.venue(), strict)
      expect(sentOf(account.state.sent)).toEqual(["buy 10"])
      const outcome = result._tag === "Right" ? `${result.right.outcome}: ${result.right.message}` : String(result.left)
      expect(outcome).toMatch(/^refused: .*max_position/)
      expect(outcome).not.toContain("nothing was sent")
    }))
})

describe("a quick restart after kill -9 with a hedge RETRY still on its way", () => {
  // Was: journal-settlement.ts settleRequestsInDoubt waits for an unfound request's signing window
  // from `intent.createdAt`, but journal.ts writeIntent keeps the FIRST attempt's created_at when
  // the same client id is sent again (placeMarketTracked retries a refused hedge under its client
  // id, 200 ms doubling: the 5th retry goes ~6 s later; a wind-down's retries for up to a minute).
  // A retry sent just before a kill -9 (a second Ctrl+C) is declared "never arrived" at a quick
  // restart, reconcile hedges the imbalance, and the retry then books too: hedged twice.
  it.scopedLive("a retry booked within ITS window after the restart's lookup is not doubled", () =>
    Effect.gen(function*() {
      const now = Date.now()
      // first sent 8 s ago and refused; sent again (the same client id) 1 s ago, then the kill
      const hedgeOrder = { ...hedgeOrderOn(FUTURES), createdAt: now + 1500, updatedAt: now + 1500 }
      const file = yield* journalWithRun({ kind: "live", hedge: FUTURES }, (journal, runId) =>
        Effect.gen(function*() {
          yield* makerLegJournalled(journal, runId)
          const intent = { kind: "market" as const, runId, venue: "aster-futures" as const, clientId: hedgeOrder.clientId, side: "buy" as const, qty: hedgeOrder.qty }
          yield* journal.recordIntent({ ...intent, createdAt: now - 8000 })
          yield* journal.recordIntentRefused(hedgeOrder.clientId, "margin is insufficient", now - 7900)
          yield* journal.recordIntent({ ...intent, createdAt: now - 1000 })
        }))
      // the venue books the retry 2.5 s after it was sent (inside its 5 s window)
      const booked = () => Date.now() >= hedgeOrder.createdAt
      const account = hedgeAccount(FUTURES, "0", [], () => [])
      const venue = account.venue()
      const hedge: Exchange = {
        ...venue,
        position: Effect.sync(() => ({ venue: "aster-futures", symbol: FUTURES.symbol, qty: BigDecimal.sum(account.state.held, booked() ? hedgeOrder.filledQty : decimal("0")) })),
        queryOrder: (ref) => ("clientId" in ref && ref.clientId === hedgeOrder.clientId && booked() ? Effect.succeed(hedgeOrder) : venue.queryOrder(ref))
      }
      yield* startOn(file, makerHolding("-10"), hedge)
      yield* Effect.sleep(Math.max(0, hedgeOrder.createdAt - Date.now()) + 50)
      const position = formatDecimal(BigDecimal.normalize((yield* hedge.position).qty))
      // Backpack −10: the futures position must be +10, not +20
      expect({ sent: sentOf(account.state.sent), position }).toEqual({ sent: [], position: "10" })
    }))
})

describe("a killed run closed by the next start, hours later", () => {
  // Was: journal-settlement.ts stamps what the restart settles with the restart's clock:
  // recordHedgeOutcome (hedge found) and recordIntentRefused (never arrived) write the hedge row's
  // ts = now. closeKilledRuns then closes the killed run "at its last record" (lastActivity, which
  // reads hedges.ts): the restart's time. A run killed an hour ago (or overnight) is reported as
  // having run until the restart — its duration, per-hour figures, --since/--until windows and
  // --by-day lines are wrong, and its hedge is dated at the restart.
  it.scopedLive("a hedge of the killed run looked up at the restart: the run ends at its last record, not at the restart", () =>
    Effect.gen(function*() {
      const hedgeOrder = hedgeOrderOn(FUTURES)
      const file = yield* journalWithRun({ kind: "live", hedge: FUTURES }, (journal, runId) =>
        Effect.gen(function*() {
          yield* makerLegJournalled(journal, runId)
          yield* journal.recordIntent({ kind: "market", runId, venue: "aster-futures", clientId: hedgeOrder.clientId, side: "buy", qty: hedgeOrder.qty, createdAt: KILLED_AT - 1950 })
        }))
      const account = hedgeAccount(FUTURES, "10", [hedgeOrder], (order) => [hedgeFillOf(order)])
      const restartedAt = Date.now()
      yield* startOn(file, makerHolding("-10"), account.venue())
      expect(sentOf(account.state.sent)).toEqual([])
      const run1 = yield* Effect.scoped(Effect.flatMap(openJournal(file, "read"), (journal) => journal.runs())).pipe(Effect.map((runs) => runs[0]!))
      expect(Option.getOrNull(run1.outcome)).toBe("killed")
      // everything run 1 did was over by KILLED_AT (an hour before the restart)
      expect(Option.getOrThrow(run1.endedAt)).toBeLessThan(restartedAt - 60_000)
    }))
})
