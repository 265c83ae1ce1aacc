/**
 * Journal crash consistency where a restart met what a dead or failing process left: a hedge
 * looked up at a restart stays its own run's; a journal failing during a start stops it before
 * anything goes out unrecorded; a run that ended with fills its venue's history lacked is read
 * again by the next start; and a request not found within its signing window is looked up again
 * after it. Each test failed before its fix (its `Was:` comment says how). Each builds the
 * journal a killed (or failed) process leaves behind, then runs the next start(s) in-process over
 * fake venues, and checks that they end flat with no order sent twice and that the journal (the
 * report's source) stays right.
 */
import { describe, expect, it } from "@effect/vitest"
import { BigDecimal, Deferred, Effect, Either } from "effect"
import { decimal, formatDecimal, ZERO } from "../src/core/domain/decimal"
import type { Instrument } from "../src/core/domain/instrument"
import type { MarketOrderRequest } from "../src/core/domain/order"
import type { Exchange } from "../src/core/exchange"
import { JournalError, type JournalService } from "../src/live/journal"
import { reportFromJournal } from "../src/live/journal-report"
import { runLive } from "../src/live/runner"
import { PERP } from "./support/fake-local-venue"
import { idleVenue } from "./support/idle-venue"
import { config, FUTURES, hedgeAccount, hedgeFillOf, hedgeOrderOn, type Journal, journalWithRun, KILLED_AT, makerLegJournalled, SPOT, ticker } from "./support/killed-run"

/** A journal whose run 1 (live, prefix hlold-, hedging on `hedge`) wrote what `write` writes, then died. */
const killedJournal = (hedge: Instrument, write: (journal: Journal, runId: number) => Effect.Effect<unknown, unknown>) => journalWithRun({ kind: "live", hedge }, write)

/** One live start on `file`, stopped as soon as it has reconciled; Backpack holds `makerHeld`. */
const startOn = (file: string, makerHeld: string, hedge: Exchange, wrapJournal?: (journal: JournalService) => JournalService) =>
  Effect.gen(function*() {
    const maker = idleVenue(PERP, ticker, () => decimal(makerHeld))
    const stop = yield* Deferred.make<void>()
    yield* Deferred.succeed(stop, undefined)
    return yield* runLive({ config, kind: "live", journalPath: file, markEveryMs: 1000, stop, venues: Effect.succeed({ maker, hedge }), ...(wrapJournal ? { wrapJournal } : {}) }).pipe(
      Effect.scoped,
      Effect.either
    )
  })

/** A journal whose every write fails (a full disk) from its opening on; reads and opening a run still work. */
const diskFull = (journal: JournalService): JournalService => {
  const fail = Effect.fail(new JournalError({ path: journal.path, reason: "database or disk is full (test)" }))
  return {
    ...journal,
    endRun: () => fail,
    recordIntent: () => fail,
    recordIntentRefused: () => fail,
    recordOrder: () => fail,
    recordFill: () => fail,
    recordUpdate: () => fail,
    recordHedge: () => fail,
    recordFunding: () => fail,
    recordCycleEvent: () => fail,
    recordFilterChange: () => fail,
    recordMark: () => fail,
    checkpoint: fail
  }
}

const sentOf = (sent: ReadonlyArray<MarketOrderRequest>) => sent.map((m) => `${m.side} ${formatDecimal(m.qty)}`)

describe("kill -9 after a hedge was sent, before its reply was journalled", () => {
  // Was: settleRequestsInDoubt looks the hedge up through the journaled venue of the NEW run, so
  // the order row is written with the new run's id; closeKilledRuns then finds no order of the
  // killed run short of fills, closes it, and spotBaseline does not count the hedge's execution:
  // the start hedges the already hedged pair a second time.
  it.scopedLive("a spot hedge venue whose history lags: the start must not hedge again", () =>
    Effect.gen(function*() {
      const hedgeOrder = hedgeOrderOn(SPOT)
      const file = yield* killedJournal(SPOT, (journal, runId) =>
        Effect.gen(function*() {
          yield* makerLegJournalled(journal, runId)
          // the hedge's intent was written and the request sent; the process died before its reply
          yield* journal.recordIntent({ kind: "market", runId, venue: "aster-spot", clientId: hedgeOrder.clientId, side: "buy", qty: hedgeOrder.qty, createdAt: KILLED_AT - 1950 })
        }))
      // the hedge executed (the spot account held 0 before, 10 now); its fills are not in the history yet
      const account = hedgeAccount(SPOT, "10", [hedgeOrder], () => [])
      yield* startOn(file, "-10", account.venue())
      // Backpack −10, spot +10: the pair is hedged, nothing may be sent
      expect(sentOf(account.state.sent)).toEqual([])
      expect(formatDecimal(account.state.held)).toBe("10")
    }))

  // Was: same cause. The killed run is closed as "killed, fills completed" while its hedge's
  // fills are missing; the end of the next run then reads them as its own (completeFillsOfRun of
  // the new run lists the order). The killed run's report shows an unhedged short, the new run's
  // a buy it never made.
  it.scopedLive("a perp hedge venue whose history lags at the start: the hedge's fills stay the killed run's", () =>
    Effect.gen(function*() {
      const hedgeOrder = hedgeOrderOn(FUTURES)
      const file = yield* killedJournal(FUTURES, (journal, runId) =>
        Effect.gen(function*() {
          yield* makerLegJournalled(journal, runId)
          yield* journal.recordIntent({ kind: "market", runId, venue: "aster-futures", clientId: hedgeOrder.clientId, side: "buy", qty: hedgeOrder.qty, createdAt: KILLED_AT - 1950 })
        }))
      // the history lists the hedge's fill from its second read on (at the start it lags)
      let reads = 0
      const account = hedgeAccount(FUTURES, "10", [hedgeOrder], (order) => (order.id === hedgeOrder.id && ++reads > 1 ? [hedgeFillOf(hedgeOrder)] : []))
      yield* startOn(file, "-10", account.venue())
      expect(sentOf(account.state.sent)).toEqual([])
      const report = yield* reportFromJournal(file, { runId: 1 })
      expect(report.fills.filter((f) => f.venue === "aster-futures").map((f) => `${f.side} ${f.qty}`)).toEqual(["buy 10"])
    }))
})

describe("a start whose journal stops taking writes before its reconciliation", () => {
  // Was: the guard swallows the failed writes of the start's settlement, and the run goes on into
  // reconcile(), whose hedge goes out unrecorded under a client id (`hlr<stamp>-1`) that
  // recoverUnrecordedHedges never looks for (it asks only `<run prefix>h<n>`). On a spot hedge
  // venue the next start, reading the venue's balance against the journal's fills, hedges again.
  it.scopedLive("the next start finds the start-up hedge sent unrecorded and does not hedge again", () =>
    Effect.gen(function*() {
      // run 1 sold 10 on Backpack (journalled) and died before hedging it
      const file = yield* killedJournal(SPOT, (journal, runId) => makerLegJournalled(journal, runId))
      const account = hedgeAccount(SPOT, "0", [], () => [])
      // run 2: the disk is full; it stops before its reconciliation sends anything unrecorded
      // (it sent the hedge, buy 10, which the next start could not see)
      const second = yield* startOn(file, "-10", account.venue(), diskFull)
      expect(sentOf(account.state.sent)).toEqual([])
      expect(Either.isRight(second) ? second.right.outcome : String(second.left)).toBe("failed")
      // run 3, the disk freed: it hedges the imbalance once, recorded
      yield* startOn(file, "-10", account.venue())
      expect(sentOf(account.state.sent)).toEqual(["buy 10"])
      expect(formatDecimal(account.state.held)).toBe("10")
      // and a fourth start finds the pair hedged
      yield* startOn(file, "-10", account.venue())
      expect(sentOf(account.state.sent)).toEqual(["buy 10"])
    }))
})

describe("a run that ends while a spot hedge's fills are missing from the venue's history", () => {
  // Was: the end of runLive ignores what completeFillsOfRun still lacks and closes the run
  // anyway; closeKilledRuns (and --check's unjournalledExecutions) only ever look at runs without
  // an end, so no later start reads those fills or counts the order's execution: spotBaseline
  // takes the hedge for a balance held before, and the next start hedges the pair a second time
  // (even once the history lists the fills).
  it.scopedLive("the next start does not hedge again what that run's hedge executed", () =>
    Effect.gen(function*() {
      // run 1 sold 10 on Backpack (journalled) and died before hedging it
      const file = yield* killedJournal(SPOT, (journal, runId) => makerLegJournalled(journal, runId))
      let historyCaughtUp = false
      const account = hedgeAccount(SPOT, "0", [], (order) => (historyCaughtUp && order.clientId !== "hlold-h2" ? [hedgeFillOf(order)] : []))
      // run 2 hedges it at its start (buy 10, its reply says filled); the history lags to its end
      yield* startOn(file, "-10", account.venue())
      expect(sentOf(account.state.sent)).toEqual(["buy 10"])
      // later the history lists the fill; run 3 starts: Backpack −10, spot +10 — hedged
      historyCaughtUp = true
      yield* startOn(file, "-10", account.venue())
      expect(sentOf(account.state.sent)).toEqual(["buy 10"])
    }))
})

describe("a quick restart after kill -9 with a hedge request still on its way", () => {
  // Was: settleRequestsInDoubt concludes "never arrived" from one lookup, however young the
  // intent. The adapters themselves hold that a request whose answer was lost may still be booked
  // until the end of its signed window (Aster recvWindow, Backpack window: 5 s by default) and
  // only conclude after it (findPlacement); a supervisor restarting the bot within that window
  // gets the hedge marked failed, reconcile hedges the imbalance, and the first hedge then books
  // too: the pair ends hedged twice (a perp venue: the position, not the journal, says so).
  it.scopedLive("a hedge booked within its window after the restart's lookup is not doubled", () =>
    Effect.gen(function*() {
      const sentAt = Date.now() - 50
      const hedgeOrder = { ...hedgeOrderOn(FUTURES), createdAt: sentAt + 1000, updatedAt: sentAt + 1000 }
      const file = yield* killedJournal(FUTURES, (journal, runId) =>
        Effect.gen(function*() {
          yield* makerLegJournalled(journal, runId)
          yield* journal.recordIntent({ kind: "market", runId, venue: "aster-futures", clientId: hedgeOrder.clientId, side: "buy", qty: hedgeOrder.qty, createdAt: sentAt })
        }))
      // the venue books the killed process's hedge 1 s after it was sent (inside its 5 s window)
      const booked = () => Date.now() >= hedgeOrder.createdAt
      const account = hedgeAccount(FUTURES, "0", [], () => [])
      const venue = account.venue()
      const hedge: Exchange = {
        ...venue,
        position: Effect.sync(() => ({ venue: "aster-futures", symbol: FUTURES.symbol, qty: BigDecimal.sum(account.state.held, booked() ? hedgeOrder.filledQty : ZERO) })),
        queryOrder: (ref) => ("clientId" in ref && ref.clientId === hedgeOrder.clientId && booked() ? Effect.succeed(hedgeOrder) : venue.queryOrder(ref))
      }
      yield* startOn(file, "-10", hedge)
      yield* Effect.sleep(Math.max(0, hedgeOrder.createdAt - Date.now()) + 50)
      const position = formatDecimal(BigDecimal.normalize((yield* hedge.position).qty))
      // Backpack −10: the futures position must be +10, not +20
      expect({ sent: sentOf(account.state.sent), position }).toEqual({ sent: [], position: "10" })
    }))
})
