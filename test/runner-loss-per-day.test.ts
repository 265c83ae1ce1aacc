/**
 * risk.max_loss_per_day in the live runner, in-process on paper venues over scripted public
 * markets: the journal's earlier runs of the same kind over the last 24 hours count, so a start
 * after a day's loss sends nothing, and a run whose own trading adds to it stops at the limit.
 */
import { describe, expect, it } from "@effect/vitest"
import { BigDecimal, Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { decimal, formatDecimal, ZERO } from "../src/core/domain/decimal"
import type { Side } from "../src/core/domain/order"
import type { Venue } from "../src/core/domain/venue"
import type { Exchange } from "../src/core/exchange"
import { openJournal, type RunKind } from "../src/live/journal"
import { runLive } from "../src/live/runner"
import { testConfig } from "./support/config"
import { PERP } from "./support/fake-local-venue"
import { HEDGE, paperVenuesWithTaker } from "./support/paper-venues"
const HOUR = 60 * 60 * 1000

interface EarlierFill {
  readonly venue: Venue
  readonly side: Side
  readonly price: string
  readonly ts: number
}

/** An earlier run in the journal: 10 traded per fill, no fees. */
const earlierRun = (journalPath: string, kind: RunKind, fills: ReadonlyArray<EarlierFill>) =>
  Effect.scoped(Effect.gen(function*() {
    const journal = yield* openJournal(journalPath, "write")
    const startedAt = Math.min(...fills.map((f) => f.ts)) - 1000
    const runId = yield* journal.startRun({
      kind,
      startedAt,
      config: testConfig(),
      maker: { venue: "backpack", symbol: PERP.symbol, quoteAsset: PERP.quote, baseAsset: PERP.base },
      hedge: { venue: "aster-futures", symbol: HEDGE.symbol, quoteAsset: HEDGE.quote, baseAsset: HEDGE.base },
      clientIdPrefix: `hlearlier${startedAt}-`
    })
    for (const [i, f] of fills.entries()) {
      yield* journal.recordFill(runId, {
        venue: f.venue,
        symbol: f.venue === "backpack" ? PERP.symbol : HEDGE.symbol,
        orderId: `o${i}`,
        tradeId: `t${startedAt}-${i}`,
        side: f.side,
        price: decimal(f.price),
        qty: decimal("10"),
        fee: ZERO,
        feeAsset: "USDC",
        liquidity: f.venue === "backpack" ? "maker" : "taker",
        ts: f.ts
      })
    }
    yield* journal.endRun(runId, { endedAt: Math.max(...fills.map((f) => f.ts)) + 1000, outcome: "stopped" })
  }))

/** A hedged pair that lost 1: sold 10 at 1.5 on Backpack, bought them back at 1.6 on Aster. */
const lostOne = (soldAt: number, boughtAt: number): ReadonlyArray<EarlierFill> => [
  { venue: "backpack", side: "sell", price: "1.5", ts: soldAt },
  { venue: "aster-futures", side: "buy", price: "1.6", ts: boughtAt }
]

/** One cycle on paper, a scripted taker filling each maker order as it rests; counts the orders sent. */
const paperRun = (journalPath: string, maxLossPerDay: string) =>
  Effect.gen(function*() {
    const config = testConfig({
      trade: { quantity: "10", offset_percent: 0, first_wait_seconds: 30, between_legs_sleep: 0, cycle_sleep: 0, stop_before_funding_minutes: 0, max_cycles: 1 },
      risk: { max_loss_per_day: maxLossPerDay }
    })
    const sent = { limit: 0, market: 0 }
    const venues = Effect.map(paperVenuesWithTaker(config).venues, ({ maker, hedge }) => ({
      maker: { ...maker, placeLimit: (request) => Effect.tap(maker.placeLimit(request), () => Effect.sync(() => void (sent.limit += 1))) } satisfies Exchange,
      hedge: { ...hedge, placeMarket: (request) => Effect.tap(hedge.placeMarket(request), () => Effect.sync(() => void (sent.market += 1))) } satisfies Exchange
    }))
    const result = yield* runLive({ config, kind: "paper", journalPath, venues, markEveryMs: 1000 })
    return { result, sent }
  })

const journalIn = Effect.gen(function*() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hedgeloop-loss-per-day-"))
  yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
  return path.join(dir, "journal.db")
})

const utc = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z")

describe("risk.max_loss_per_day in the live runner", () => {
  it.scopedLive("a start after the last 24 hours lost beyond it refuses before any order, saying when trading may start again", () =>
    Effect.gen(function*() {
      const journalPath = yield* journalIn
      const now = Date.now()
      yield* earlierRun(journalPath, "paper", lostOne(now - 3 * HOUR, now - 2 * HOUR))
      const { result, sent } = yield* paperRun(journalPath, "0.5")
      expect(result.outcome).toBe("refused")
      // the pair is marked at today's mid (1.5002) on both venues: 15 − 15.002 + (−16 + 15.002) = −1;
      // it is back above −0.5 once the buy, the later of the two, is 24 hours old
      expect(result.message).toBe(
        `kill switch (risk.max_loss_per_day): the PnL of the last 24 hours (this run and the journal's earlier ones) is -1, the limit is -0.5; trading may start again from ${
          utc(now - 2 * HOUR + 24 * HOUR)
        }, when enough of that loss is over 24 hours old (reached before the first order: nothing was sent)`
      )
      expect(sent).toEqual({ limit: 0, market: 0 })
    }))

  it.scopedLive("losses of another kind of run, or older than 24 hours, do not count: the run trades", () =>
    Effect.gen(function*() {
      const journalPath = yield* journalIn
      const now = Date.now()
      yield* earlierRun(journalPath, "live", lostOne(now - 3 * HOUR, now - 2 * HOUR))
      yield* earlierRun(journalPath, "paper", lostOne(now - 26 * HOUR, now - 25 * HOUR))
      const { result, sent } = yield* paperRun(journalPath, "0.5")
      expect(result.outcome).toBe("completed")
      expect(sent.limit).toBeGreaterThanOrEqual(2)
      expect(sent.market).toBeGreaterThanOrEqual(2)
    }))

  it.scopedLive("a run whose own costs take the last 24 hours to the limit stops there, as the kill switch does", () =>
    Effect.gen(function*() {
      const journalPath = yield* journalIn
      const now = Date.now()
      yield* earlierRun(journalPath, "paper", lostOne(now - 3 * HOUR, now - 2 * HOUR))
      // 1 already lost: the first maker fill's fee (0.0002 × 15.002) takes the day past 1.001
      const { result, sent } = yield* paperRun(journalPath, "1.001")
      expect(result.outcome).toBe("kill-switch")
      expect(result.message).toMatch(/^kill switch \(risk\.max_loss_per_day\): the PnL of the last 24 hours \(this run and the journal's earlier ones\) is -1\.0\d+, the limit is -1\.001; trading may start again from /)
      expect(sent.market).toBeGreaterThanOrEqual(1)
      // the run's own report says what it added: its PnL with the earlier −1 is past the limit
      const ownPnl = decimal(result.report.totals.pnl)
      expect(BigDecimal.lessThanOrEqualTo(BigDecimal.sum(ownPnl, decimal("-1")), decimal("-1.001"))).toBe(true)
      expect(formatDecimal(ownPnl)).not.toBe("0")
    }))
})
