/**
 * `--check` counts as the start it stands for would: a paper start's fresh books (the spot
 * variant's hedge moved nothing), risk.max_position after the start's hedge of an imbalance within
 * max_auto_hedge, and as spare ASTER for fees only what lies beyond the hedge the journal's trading
 * bought (which the start's warning counts the same way).
 */
import { describe, expect, it } from "@effect/vitest"
import { BigDecimal, Deferred, Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { HedgeConfig } from "../src/core/config/config"
import { decimal } from "../src/core/domain/decimal"
import type { Exchange } from "../src/core/exchange"
import { openJournal } from "../src/live/journal"
import { preflight } from "../src/live/preflight"
import { runLive } from "../src/live/runner"
import { testConfig } from "./support/config"
import { PERP } from "./support/fake-local-venue"
import { inspectJournal } from "./support/live-processes"
import { paperVenuesWithTaker, SPOT } from "./support/paper-venues"
import { fillOf } from "./support/fills"


const journalFile = Effect.gen(function*() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hedgeloop-check-"))
  yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
  return path.join(dir, "journal.db")
})

/** fresh paper venues (Backpack perp, Aster spot), as each `--paper` start (and `--paper --check`) builds them */
const paperSpotVenues = (config: HedgeConfig, onHedge: Effect.Effect<void>) => paperVenuesWithTaker(config, { hedgeInstrument: SPOT, onHedge }).venues

const spotConfig = (risk: Record<string, unknown> = {}) =>
  testConfig({
    aster: { base_url: "https://sapi.asterdex.com" },
    trade: { quantity: "10", offset_percent: 0, first_wait_seconds: 30, between_legs_sleep: 0, cycle_sleep: 0, stop_before_funding_minutes: 0, max_cycles: 1 },
    risk
  })

describe("--paper --check on the spot variant", () => {
  it.scopedLive("after a paper run stopped between its legs, sees the fresh paper books flat, as the paper start does (no imbalance, no refusal)", () =>
    Effect.gen(function*() {
      const journalPath = yield* journalFile
      // max_auto_hedge 5: an imbalance of 10 would be refused
      const config = spotConfig({ max_auto_hedge: "5" })
      const stop = yield* Deferred.make<void>()
      const first = yield* runLive({ config, kind: "paper", journalPath, venues: paperSpotVenues(config, Deferred.succeed(stop, undefined)), stop, markEveryMs: 1000 }).pipe(Effect.scoped)
      expect(first.outcome).toBe("stopped")
      const state = yield* Effect.promise(() => inspectJournal(journalPath))
      expect([state.makerQty, state.hedgeQty("aster-spot")]).toEqual(["-10", "10"])

      // the check a trader runs before the next paper start: fresh, flat paper books
      const venues = yield* paperSpotVenues(config, Effect.void)
      const lines = yield* preflight(config, venues, journalPath, "paper")
      const imbalance = lines.find((l) => l.subject === "imbalance")
      // the paper start finds nothing to hedge (test/paper-restart-spot.test.ts): the check must agree
      expect(imbalance?.status).toBe("ok")
      expect(lines.filter((l) => l.status === "refuse").map((l) => l.subject)).toEqual([])

      // and the start itself trades its cycle
      const second = yield* runLive({ config, kind: "paper", journalPath, venues: paperSpotVenues(config, Effect.void), markEveryMs: 1000 }).pipe(Effect.scoped)
      expect(second.outcome).toBe("completed")
    }))
})

/** paper venues whose positions read as if the accounts held `maker` and `hedge` already (a stop's leftovers) */
const heldVenues = (config: HedgeConfig, makerHeld: string, hedgeHeld: string) =>
  Effect.map(paperVenuesWithTaker(config).venues, ({ maker, hedge }) => ({
    maker: { ...maker, position: Effect.map(maker.position, (p) => ({ ...p, qty: BigDecimal.sum(p.qty, decimal(makerHeld)) })) } satisfies Exchange,
    hedge: { ...hedge, position: Effect.map(hedge.position, (p) => ({ ...p, qty: BigDecimal.sum(p.qty, decimal(hedgeHeld)) })) } satisfies Exchange
  }))

describe("--check's position limit", () => {
  it.scopedLive("is judged after the start's hedge of the imbalance, as the start judges it: Backpack 45, Aster -55 (max_position 50, max_auto_hedge 20) is a start that trades", () =>
    Effect.gen(function*() {
      const journalPath = yield* journalFile
      const config = testConfig({
        trade: { quantity: "10", offset_percent: 0, first_wait_seconds: 30, between_legs_sleep: 0, cycle_sleep: 0, stop_before_funding_minutes: 0, max_cycles: 1, unwind_at_start: false },
        risk: { max_position: "50", max_auto_hedge: "20" }
      })
      const lines = yield* preflight(config, yield* heldVenues(config, "45", "-55"), journalPath, "paper")
      // the imbalance 45 + (-55) = -10 is within max_auto_hedge 20: a start buys 10 on Aster first
      expect(lines.find((l) => l.subject === "imbalance")?.status).toBe("warn")
      // after that buy Aster holds -45: both positions are under ±50, nothing to refuse
      expect(lines.filter((l) => l.status === "refuse").map((l) => `${l.subject}: ${l.detail}`)).toEqual([])

      // the start on the same accounts: hedges the imbalance, then trades its cycle
      const started = yield* runLive({ config, kind: "paper", journalPath, venues: heldVenues(config, "45", "-55"), markEveryMs: 1000 }).pipe(Effect.scoped)
      expect([started.outcome, started.message]).toEqual(["completed", undefined])
    }))
})

describe("--check's fees in ASTER (spot hedge paying its fees in ASTER)", () => {
  it.scopedLive("counts as spare only the ASTER beyond the hedge the journal's trading bought: a kept pair's 10 ASTER pay no fees", () =>
    Effect.gen(function*() {
      const journalPath = yield* journalFile
      const config = testConfig({
        aster: { base_url: "https://sapi.asterdex.com" },
        trade: { quantity: "10", offset_percent: 0, first_wait_seconds: 30, between_legs_sleep: 0, cycle_sleep: 0, stop_before_funding_minutes: 0, max_cycles: 1 },
        sim: { aster: { taker_fee: "0.0004" } }
      })
      expect(config.hedge.venue).toBe("aster-spot")
      // a live run stopped between its legs: Backpack sold 10, Aster spot bought 10 (its fee, 0.0038 ASTER, paid in ASTER)
      const now = Date.now()
      yield* Effect.scoped(Effect.gen(function*() {
        const journal = yield* openJournal(journalPath, "write")
        const runId = yield* journal.startRun({
          kind: "live",
          startedAt: now - 120_000,
          config,
          maker: { venue: "backpack", symbol: PERP.symbol, quoteAsset: "USDC", baseAsset: "ASTER" },
          hedge: { venue: "aster-spot", symbol: SPOT.symbol, quoteAsset: "USDT", baseAsset: "ASTER" },
          clientIdPrefix: "hlrv-"
        })
        yield* journal.recordFill(runId, fillOf("backpack", "sell", "10", "1.5010", "0", now - 90_000))
        yield* journal.recordFill(runId, { ...fillOf("aster-spot", "buy", "10", "1.5004", "0.0038", now - 89_000), feeAsset: "ASTER" })
        yield* journal.endRun(runId, { endedAt: now - 60_000, outcome: "stopped" })
      }))
      // the accounts now: Backpack -10; Aster spot holds the pair's 10 ASTER less the fee, plus 0.0048 spare
      // (10 - 0.0038 + 0.0048 = 10.001), and 1000 USDT
      const paper = yield* paperSpotVenues(config, Effect.void)
      const venues = {
        maker: { ...paper.maker, position: Effect.succeed({ venue: "backpack" as const, symbol: PERP.symbol, qty: decimal("-10") }) },
        hedge: {
          ...paper.hedge,
          position: Effect.succeed({ venue: "aster-spot" as const, symbol: SPOT.symbol, qty: decimal("10.001") }),
          balances: Effect.succeed([
            { venue: "aster-spot" as const, asset: "ASTER", free: decimal("10.001"), locked: decimal("0") },
            { venue: "aster-spot" as const, asset: "USDT", free: decimal("1000"), locked: decimal("0") }
          ])
        }
      }
      const lines = yield* preflight(config, venues, journalPath, "live")
      // the pair is hedged (-10 + 10 journalled): no imbalance
      expect(lines.find((l) => l.subject === "imbalance")?.status).toBe("ok")
      const fees = lines.find((l) => l.subject === "fees in ASTER")
      // a cycle's two hedges take 10 × 2 × 0.04 % = 0.008 ASTER; the 10 ASTER the run bought are the hedge of
      // Backpack's -10 (a start with trade.unwind_at_start sells them first): spare is 10.001 - 10 = 0.001 < 0.008
      expect(fees?.detail).not.toMatch(/pays about 1250 cycles/)
      expect(fees?.status).toBe("warn")
    }))
})
