/**
 * What a start takes from the earlier runs in its journal.
 *
 * A spot hedge venue's side of the start-up imbalance is what the journal's fills moved on it (the
 * account's base balance holds more: what it held before). Only the fills of runs of this start's
 * kind count: a paper run's fills in the same journal moved nothing on the live account. A killed
 * run's hedge that the journal knows executed (its reply) but whose fill messages were still
 * being written counts as executed, while the venue's history lags: hedging it again would leave
 * the pair unhedged the other way.
 *
 * Funding payments are read from the venues' histories since the first start of a run of the same
 * kind: a paper run long before the first live one must not pull in the payments of a position the
 * account held before the bot ever traded live.
 */
import { describe, expect, it } from "@effect/vitest"
import { BigDecimal, Deferred, Effect, Option } from "effect"
import { decimal, formatDecimal, ZERO } from "../src/core/domain/decimal"
import type { Instrument } from "../src/core/domain/instrument"
import { type MarketOrderRequest, type Order, signedQty } from "../src/core/domain/order"
import { UnknownOrder } from "../src/core/errors"
import type { Exchange } from "../src/core/exchange"
import { mostHedgeAttemptsInARow } from "../src/core/strategy/hedge-loop"
import { openJournal } from "../src/live/journal"
import { preflight } from "../src/live/preflight"
import { runLive } from "../src/live/runner"
import { idleVenue } from "./support/idle-venue"
import { PERP } from "./support/fake-local-venue"
import { config, hedgeFillOf, hedgeOrderOn, type Journal, journalWithRun, KILLED_AT, makerFill, makerOrder, SPOT, ticker } from "./support/killed-run"

/** the hedge of makerFill: its reply (filled) was journalled, its fill message was still behind */
const hedgeOrder = hedgeOrderOn(SPOT)
const hedgeFill = hedgeFillOf

const fakeVenue = (instrument: Instrument, held: () => string, extra: Partial<Exchange>): Exchange => idleVenue(instrument, ticker, () => decimal(held()), extra)

/** A journal file holding one earlier run of `kind` (client ids `prefix`…, hedging on Aster spot), whose records `write` makes. */
const journalWithEarlierRun = (prefix: string, write: (journal: Journal, runId: number) => Effect.Effect<unknown, unknown>, kind: "live" | "paper" = "paper") =>
  journalWithRun({ kind, hedge: SPOT, prefix }, write)

/** `--check` of `kind` on that journal, on the venues `startOn` builds: its imbalance line (it reads only) */
const checkOn = (file: string, kind: "live" | "paper", makerHeld: string, spotHeld: string, hedgeExtra: Partial<Exchange> = {}) =>
  Effect.gen(function*() {
    const venues = { maker: fakeVenue(PERP, () => makerHeld, {}), hedge: fakeVenue(SPOT, () => spotHeld, hedgeExtra) }
    const lines = yield* preflight(config, venues, file, kind)
    const line = lines.find((l) => l.subject === "imbalance")!
    return `${line.status}: ${line.detail}`
  })

/**
 * A start of `kind` on that journal, stopped as soon as it has reconciled, with Backpack holding
 * `makerHeld` and the spot account `spotHeld` ASTER: the market orders it sent and what the spot
 * account holds after them.
 */
const startOn = (file: string, kind: "live" | "paper", makerHeld: string, spotHeld: string, makerExtra: Partial<Exchange> = {}, hedgeExtra: Partial<Exchange> = {}) =>
  Effect.gen(function*() {
    let held = decimal(spotHeld)
    const markets: Array<MarketOrderRequest> = []
    const maker = fakeVenue(PERP, () => makerHeld, makerExtra)
    const hedge = fakeVenue(SPOT, () => formatDecimal(held), {
      ...hedgeExtra,
      placeMarket: (request) =>
        Effect.sync(() => {
          markets.push(request)
          held = BigDecimal.sum(held, signedQty(request.side, request.qty))
          return { ...hedgeOrder, id: `r${markets.length}`, clientId: request.clientId, side: request.side, qty: request.qty, filledQty: request.qty, createdAt: Date.now(), updatedAt: Date.now() }
        })
    })
    const stop = yield* Deferred.make<void>()
    yield* Deferred.succeed(stop, undefined)
    yield* runLive({ config, kind, journalPath: file, markEveryMs: 1000, stop, venues: Effect.succeed({ maker, hedge }) }).pipe(Effect.scoped, Effect.either)
    return { sent: markets.map((m) => `${m.side} ${formatDecimal(m.qty)}`), spotHeld: formatDecimal(held) }
  })

describe("a live start on a spot hedge venue", () => {
  it.scopedLive("does not hedge again a killed run's hedge whose reply the journal holds but not yet its fills", () =>
    Effect.gen(function*() {
      // the killed run: maker sold 10 (fill journalled), hedged by a spot buy of 10 (reply journalled)
      const file = yield* journalWithEarlierRun("hlold-", (journal, runId) =>
        Effect.gen(function*() {
          yield* journal.recordIntent({ kind: "limit", runId, venue: "backpack", clientId: makerOrder.clientId, side: "sell", qty: makerOrder.qty, price: makerOrder.price!, createdAt: KILLED_AT - 3000 })
          yield* journal.recordOrder(runId, makerOrder, KILLED_AT - 2000)
          yield* journal.recordFill(runId, makerFill)
          yield* journal.recordIntent({ kind: "market", runId, venue: "aster-spot", clientId: hedgeOrder.clientId, side: "buy", qty: hedgeOrder.qty, createdAt: KILLED_AT - 1950 })
          yield* journal.recordOrder(runId, hedgeOrder, KILLED_AT - 1900)
        }), "live")

      // the venues: Backpack short 10; the spot account held 0 ASTER before the run, 10 now; its
      // history does not list the hedge's fills yet (orderFills answers none)
      // --check first (it writes nothing): it counts the hedge as the start does
      expect(yield* checkOn(file, "live", "-10", "10")).toBe("ok: none (BP -10, ASTER 10; on spot, what the journal's trading moved)")
      const started = yield* startOn(file, "live", "-10", "10")

      // the pair was hedged (Backpack −10, spot +10): nothing may be sent at the start
      expect(started.sent).toEqual([])
      expect(started.spotHeld).toBe("10")
    }))

  it.scopedLive("a live start does not count a paper run's fills (same journal) as the spot account's movement", () =>
    Effect.gen(function*() {
      // an earlier PAPER run on the same journal, stopped between the legs: its paper pair is Backpack −10, spot +10
      const file = yield* journalWithEarlierRun("hlpaper-", (journal, runId) =>
        Effect.gen(function*() {
          yield* journal.recordFill(runId, makerFill)
          yield* journal.recordFill(runId, { ...makerFill, venue: "aster-spot", symbol: SPOT.symbol, orderId: "h1", tradeId: "ht1", side: "buy", liquidity: "taker", feeAsset: "USDT" })
          yield* journal.endRun(runId, { endedAt: KILLED_AT, outcome: "stopped" })
        }))

      // the live accounts: Backpack flat, the spot account holds its spare 100 ASTER (nothing the bot moved)
      const started = yield* startOn(file, "live", "0", "100")

      // the live accounts are flat: nothing may be sent at the start
      expect(started.sent).toEqual([])
      expect(started.spotHeld).toBe("100")
    }))
})

describe("funding payments at a start", () => {
  it.scopedLive("are read since the first start of a run of the same kind, not since an earlier run of the other kind", () =>
    Effect.gen(function*() {
      // a paper run an hour before the first live start
      const file = yield* journalWithEarlierRun("hlpaper-", (journal, runId) => journal.endRun(runId, { endedAt: KILLED_AT, outcome: "stopped" }))
      const asked: Array<number> = []
      const fundingPayments = (sinceMs: number) =>
        Effect.sync(() => {
          asked.push(sinceMs)
          return []
        })
      const firstLive = Date.now()
      yield* startOn(file, "live", "0", "0", { fundingPayments })
      expect(asked.length).toBeGreaterThan(0)
      // since the live start itself: the paper run's start (KILLED_AT - 5000) is not the live account's
      expect(Math.min(...asked)).toBeGreaterThanOrEqual(firstLive)

      // a second live start reads since the first live one (a payment booked between the two counts)
      asked.length = 0
      yield* Effect.sleep("5 millis")
      const secondLive = Date.now()
      yield* startOn(file, "live", "0", "0", { fundingPayments })
      expect(asked.length).toBeGreaterThan(0)
      expect(Math.max(...asked)).toBeLessThan(secondLive)
      expect(Math.min(...asked)).toBeGreaterThanOrEqual(firstLive)

      // a paper start reads since the paper run's start
      asked.length = 0
      yield* startOn(file, "paper", "0", "0", { fundingPayments })
      expect(asked).toContain(KILLED_AT - 5000)
    }))
})

describe("a start after a run whose journal stopped taking writes", () => {
  it.scopedLive("finds the hedges that run sent unrecorded by their client ids and counts them: nothing is hedged twice", () =>
    Effect.gen(function*() {
      // the run: Backpack sold 20 (both fills journalled), hedged by h2 (journalled, 10); then its
      // journal failed and its wind-down hedged the other 10 unrecorded: h3 bought 6, h4 was refused, h5 bought 4
      const maker20: Order = { ...makerOrder, qty: decimal("20"), filledQty: decimal("20"), filledQuote: decimal("30") }
      const file = yield* journalWithEarlierRun("hlold-", (journal, runId) =>
        Effect.gen(function*() {
          yield* journal.recordIntent({ kind: "limit", runId, venue: "backpack", clientId: maker20.clientId, side: "sell", qty: maker20.qty, price: maker20.price!, createdAt: KILLED_AT - 3000 })
          yield* journal.recordOrder(runId, maker20, KILLED_AT - 2000)
          yield* journal.recordFill(runId, makerFill)
          yield* journal.recordFill(runId, { ...makerFill, tradeId: "mt2" })
          yield* journal.recordIntent({ kind: "market", runId, venue: "aster-spot", clientId: hedgeOrder.clientId, side: "buy", qty: hedgeOrder.qty, createdAt: KILLED_AT - 1950 })
          yield* journal.recordOrder(runId, hedgeOrder, KILLED_AT - 1900)
          yield* journal.recordFill(runId, hedgeFill(hedgeOrder, "ht2"))
        }), "live")
      const unrecorded = new Map(
        [{ id: "h3", qty: "6" }, { id: "h5", qty: "4" }].map(({ id, qty }): [string, Order] => [`hlold-${id}`, {
          ...hedgeOrder,
          id,
          clientId: `hlold-${id}`,
          qty: decimal(qty),
          filledQty: decimal(qty),
          filledQuote: BigDecimal.multiply(decimal(qty), decimal("1.5004")),
          createdAt: KILLED_AT - 1000,
          updatedAt: KILLED_AT - 1000
        }])
      )
      const asked: Array<string> = []
      const hedgeExtra: Partial<Exchange> = {
        queryOrder: (ref) =>
          Effect.suspend(() => {
            const clientId = "clientId" in ref ? ref.clientId : ref.orderId
            asked.push(clientId)
            const order = unrecorded.get(clientId)
            return order !== undefined ? Effect.succeed(order) : Effect.fail(new UnknownOrder({ venue: "aster-spot", orderId: clientId }))
          }),
        orderFills: (order) => Effect.succeed(unrecorded.has(order.clientId) ? [hedgeFill(order, `t-${order.id}`)] : [])
      }

      // the venues: Backpack short 20; the spot account held 0 ASTER before the run, 20 now
      // --check first (it writes nothing): it finds h3 and h5 as the start will
      expect(yield* checkOn(file, "live", "-20", "20", hedgeExtra)).toBe("ok: none (BP -20, ASTER 20; on spot, what the journal's trading moved)")
      asked.length = 0
      const started = yield* startOn(file, "live", "-20", "20", {}, hedgeExtra)

      // the pair is hedged (Backpack −20, spot +20): nothing may be sent
      expect(started.sent).toEqual([])
      expect(started.spotHeld).toBe("20")
      // looked past the last journalled number (2) until more in a row were unknown than one hedge's
      // refused attempts can leave (the run stored no retry settings: the config file's defaults), and 5
      const gap = mostHedgeAttemptsInARow({ hedgeRetryAttempts: 5, hedgeRetryBackoffMs: 200, windDownHedgeMs: 60_000 }) + 5
      expect(gap).toBe(22)
      expect(asked.filter((id) => id.startsWith("hlold-h"))).toEqual(Array.from({ length: 3 + gap }, (_, i) => `hlold-h${i + 3}`))
      // and recorded as the run's: hedges done, fills journalled
      const recorded = yield* Effect.scoped(Effect.gen(function*() {
        const journal = yield* openJournal(file, "read")
        const runs = yield* journal.runs()
        return {
          hedges: (yield* journal.hedges(runs[0]!.id)).map((h) => `${h.clientId} ${h.state} ${formatDecimal(Option.getOrElse(h.executedQty, () => ZERO))}`),
          moved: formatDecimal(yield* journal.netFilledQty("aster-spot", [runs[0]!.id]))
        }
      }))
      expect(recorded.hedges).toEqual(["hlold-h2 done 10", "hlold-h3 done 6", "hlold-h5 done 4"])
      expect(recorded.moved).toBe("20")
    }))
})
