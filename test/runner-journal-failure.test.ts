/**
 * The live runner in-process, on paper venues over scripted public markets, with a journal that
 * stops taking writes mid-run (a full disk, an I/O error). Trading must stop, and the wind-down
 * must still happen: the working order cancelled, every fill hedged, the run ended "failed"
 * saying why. A new maker order whose record cannot be written is not sent.
 */
import { describe, expect, it } from "@effect/vitest"
import { BigDecimal, Effect } from "effect"
import * as path from "node:path"
import { decimal, formatDecimal, ZERO } from "../src/core/domain/decimal"
import type { Instrument } from "../src/core/domain/instrument"
import type { Order } from "../src/core/domain/order"
import type { Exchange } from "../src/core/exchange"
import { JournalError, type JournalService } from "../src/live/journal"
import { makePaperExchange } from "../src/live/paper-exchange"
import { runLive } from "../src/live/runner"
import { testConfig } from "./support/config"
import { PERP } from "./support/fake-local-venue"
import { scriptedPublicVenue } from "./support/public-venue"
import { tempDir } from "./support/scripted-market"

const HEDGE: Instrument = { ...PERP, venue: "aster-futures", symbol: "ASTERUSDT", quote: "USDT", minNotional: ZERO }
const TICKER = { ts: 0, bid: decimal("1.5000"), ask: decimal("1.5004"), last: decimal("1.5002") }

type Breakage = "all writes" | "maker order intents"

/** A journal whose writes fail once `broken()` says so (reads still work). */
const breakable = (journal: JournalService, broken: () => Breakage | undefined): JournalService => {
  const fail = Effect.fail(new JournalError({ path: journal.path, reason: "disk I/O error (test)" }))
  const write = <A>(effect: Effect.Effect<A, JournalError>) => Effect.suspend(() => (broken() === "all writes" ? fail : effect))
  return {
    ...journal,
    recordIntent: (intent) =>
      Effect.suspend(() => (broken() === "all writes" || (broken() === "maker order intents" && intent.kind === "limit") ? fail : journal.recordIntent(intent))),
    recordIntentRefused: (...a) => write(journal.recordIntentRefused(...a)),
    recordOrder: (...a) => write(journal.recordOrder(...a)),
    recordFill: (...a) => write(journal.recordFill(...a)),
    recordUpdate: (...a) => write(journal.recordUpdate(...a)),
    recordHedge: (...a) => write(journal.recordHedge(...a)),
    recordFunding: (...a) => write(journal.recordFunding(...a)),
    recordCycleEvent: (...a) => write(journal.recordCycleEvent(...a)),
    recordFilterChange: (...a) => write(journal.recordFilterChange(...a)),
    recordMark: (...a) => write(journal.recordMark(...a)),
    checkpoint: write(journal.checkpoint),
    endRun: (...a) => write(journal.endRun(...a))
  }
}

const text = (d: BigDecimal.BigDecimal) => formatDecimal(BigDecimal.normalize(d))

/**
 * One run: the maker's limit orders are taken `fillAfterMs` after they rest (never when
 * undefined); `breakWhen` decides, from the orders placed so far, when the journal breaks.
 */
const run = (options: {
  readonly fillAfterMs?: number
  readonly breakWhen: (placed: { readonly limits: number; readonly takers: number; readonly hedges: number }) => Breakage | undefined
}) =>
  Effect.gen(function*() {
    const journalPath = path.join(tempDir(), "journal.db")
    const config = testConfig({ trade: { quantity: "10", offset_percent: 0, first_wait_seconds: 30, between_legs_sleep: 0, cycle_sleep: 0, stop_before_funding_minutes: 0 } })
    const makerMarket = scriptedPublicVenue(PERP, TICKER)
    const hedgeMarket = scriptedPublicVenue(HEDGE, TICKER)
    const placed = { limits: 0, takers: 0, hedges: 0 }
    const limitOrders: Array<Order> = []
    let maker: Exchange | undefined
    let hedge: Exchange | undefined
    const venues = Effect.gen(function*() {
      const paperMaker = yield* makePaperExchange(makerMarket.venue, { fees: config.sim.maker, quotePollMs: 50 })
      const paperHedge = yield* makePaperExchange(hedgeMarket.venue, { fees: config.sim.hedge, quotePollMs: 50 })
      maker = paperMaker
      hedge = paperHedge
      return {
        maker: {
          ...paperMaker,
          placeLimit: (request) =>
            Effect.tap(paperMaker.placeLimit(request), (order) =>
              Effect.sync(() => {
                placed.limits += 1
                limitOrders.push(order)
                const taker = request.side === "sell" ? "buy" : "sell"
                if (options.fillAfterMs === undefined) return
                setTimeout(() => {
                  placed.takers += 1
                  makerMarket.trade(request.side === "sell" ? "1.5010" : "1.4990", "1000", taker)
                }, options.fillAfterMs)
              }))
        } satisfies Exchange,
        hedge: {
          ...paperHedge,
          placeMarket: (request) => Effect.tap(paperHedge.placeMarket(request), () => Effect.sync(() => void (placed.hedges += 1)))
        } satisfies Exchange
      }
    })
    const result = yield* runLive({
      config,
      kind: "paper",
      journalPath,
      venues,
      markEveryMs: 1000,
      wrapJournal: (journal) => breakable(journal, () => options.breakWhen(placed))
    })
    const makerQty = text((yield* maker!.position).qty)
    const hedgeQty = text((yield* hedge!.position).qty)
    const makerOrders = yield* Effect.forEach(limitOrders, (order) => maker!.queryOrder({ orderId: order.id }))
    return { result, placed, makerQty, hedgeQty, makerOrders }
  })

describe("the live runner, when its journal stops taking writes", () => {
  it.scopedLive("a fill that comes after the journal broke is still hedged; trading stops; the run ends failed, saying why", () =>
    Effect.gen(function*() {
      // the fill's own record is the first write to fail
      const { makerQty, hedgeQty, placed, result } = yield* run({ fillAfterMs: 20, breakWhen: ({ takers }) => (takers >= 1 ? "all writes" : undefined) })
      expect(result.outcome).toBe("failed")
      expect(result.message).toContain("disk I/O error (test)")
      expect(result.message).toContain("the journal stopped taking writes, so trading stopped")
      // the first leg's fill is hedged, and no further maker order went out
      expect([makerQty, hedgeQty]).toEqual(["-10", "10"])
      expect(placed).toEqual({ limits: 1, takers: 1, hedges: 1 })
    }))

  it.scopedLive("a resting order is cancelled at the venue when the journal breaks", () =>
    Effect.gen(function*() {
      const { makerOrders, makerQty, hedgeQty, placed, result } = yield* run({ breakWhen: ({ limits }) => (limits >= 1 ? "all writes" : undefined) })
      expect(result.outcome).toBe("failed")
      expect(makerOrders.map((o) => o.status)).toEqual(["cancelled"])
      expect([makerQty, hedgeQty]).toEqual(["0", "0"])
      expect(placed).toEqual({ limits: 1, takers: 0, hedges: 0 })
    }))

  it.scopedLive("a maker order whose intent cannot be written is not sent; what was filled before is hedged", () =>
    Effect.gen(function*() {
      // the second leg's order is the first write to fail
      const { makerQty, hedgeQty, placed, result } = yield* run({ fillAfterMs: 20, breakWhen: ({ hedges }) => (hedges >= 1 ? "maker order intents" : undefined) })
      expect(result.outcome).toBe("failed")
      expect(result.message).toContain("disk I/O error (test)")
      expect(placed).toEqual({ limits: 1, takers: 1, hedges: 1 })
      expect([makerQty, hedgeQty]).toEqual(["-10", "10"])
      // what was journalled before the failure is in the report (the hedge's fill may not be: its
      // stream message can come after)
      expect(result.report.fills.filter((f) => f.venue === "backpack").map((f) => [f.side, f.qty])).toEqual([["sell", "10"]])
    }))
})
