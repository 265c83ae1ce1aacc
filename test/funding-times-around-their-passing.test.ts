/**
 * Funding times around their passing: a payment booked just after a run's first start for a
 * funding time before it, and a venue still announcing a funding time that has passed. Each
 * `// Was:` says what an earlier build got wrong.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import type { AsterClient } from "../src/adapters/aster/client"
import { asterFundingPayments } from "../src/adapters/aster/funding-history"
import { decimal, formatDecimal } from "../src/core/domain/decimal"
import { runBacktest } from "../src/sim/backtest"
import { testConfig } from "./support/config"
import { T0, writeScript } from "./support/scripted-market"

const HOUR = 3_600_000
/** a 4-hour Aster funding time */
const T = Date.UTC(2026, 11, 1, 16, 0, 0)

/** An Aster client answering only the two reads the funding history makes. */
const asterHistory = (
  income: ReadonlyArray<{ readonly time: number; readonly income: string; readonly tranId: number }>,
  rates: ReadonlyArray<{ readonly fundingTime: number; readonly fundingRate: string }>
): AsterClient =>
  ({
    market: "futures",
    income: (_symbol: string, _type: string | undefined, range: { readonly startTime?: number }) =>
      Effect.succeed(
        income
          .filter((row) => range.startTime === undefined || row.time >= range.startTime)
          .map((row) => ({ symbol: "ASTERUSDT", incomeType: "FUNDING_FEE", income: decimal(row.income), asset: "USDT", info: "FUNDING_FEE", time: row.time, tranId: row.tranId }))
      ),
    fundingRateHistory: (_symbol: string, range: { readonly startTime?: number; readonly endTime?: number }) =>
      Effect.succeed(
        rates
          .filter((row) => (range.startTime === undefined || row.fundingTime >= range.startTime) && (range.endTime === undefined || row.fundingTime <= range.endTime))
          .map((row) => ({ symbol: "ASTERUSDT", fundingRate: decimal(row.fundingRate), fundingTime: row.fundingTime }))
      )
  }) as unknown as AsterClient

describe("Aster's funding history and the time a run counts funding from", () => {
  // Was: src/adapters/aster/funding-history.ts:fundingIncome keeps income rows by their booking
  // time (`row.time < sinceMs`), while the Exchange contract (src/core/exchange.ts fundingPayments,
  // "since sinceMs (funding time)") and the runner (runner.ts fundingSince: "not one on a position
  // held before the bot first traded live") mean the funding time, as Backpack's adapter does. A
  // first live start in the ~15 s between a funding time and Aster booking it journals a payment on
  // a position held before the bot traded (funding, PnL and the kill switch count it; Backpack's
  // payment for the same time is left out). Filter on the matched funding time instead.
  it.effect("a payment for a funding time before sinceMs, booked after it, is not one since sinceMs", () =>
    Effect.gen(function*() {
      const client = asterHistory(
        [{ time: T + 15_000, income: "-0.5", tranId: 7 }],
        [{ fundingTime: T - 4 * HOUR, fundingRate: "0.0001" }, { fundingTime: T, fundingRate: "0.0002" }]
      )
      // the first live start at 16:00:05: the 16:00 funding was charged on what was held before it
      const sinceMs = T + 5_000
      const payments = yield* asterFundingPayments(client, "aster-futures", "ASTERUSDT", sinceMs)
      expect(payments.map((p) => ({ ts: p.ts, amount: formatDecimal(p.amount) }))).toEqual([])
      // asked from before that funding time, it is one, stamped with the funding time it paid
      const earlier = yield* asterFundingPayments(client, "aster-futures", "ASTERUSDT", T - 1)
      expect(earlier.map((p) => ({ ts: p.ts, amount: formatDecimal(p.amount) }))).toEqual([{ ts: T, amount: "-0.5" }])
    }))

  // Was: a payment whose rate row was not listed yet was stamped with its booking time (16:00:15),
  // and again with its funding time (16:00) by a later read that found the rate: the journal, one
  // payment per funding time, kept both, and the funding was counted twice.
  it.effect("a payment read before its rate row is listed is stamped with the same funding time as after", () =>
    Effect.gen(function*() {
      const booked = [{ time: T + 15_000, income: "-0.5", tranId: 8 }]
      const before = yield* asterFundingPayments(asterHistory(booked, []), "aster-futures", "ASTERUSDT", T - HOUR)
      const after = yield* asterFundingPayments(asterHistory(booked, [{ fundingTime: T, fundingRate: "0.0002" }]), "aster-futures", "ASTERUSDT", T - HOUR)
      expect(before.map((p) => p.ts)).toEqual([T])
      expect(after.map((p) => [p.ts, formatDecimal(p.rate)])).toEqual([[T, "0.0002"]])
      // one booked far from any hour keeps its booking time
      const odd = yield* asterFundingPayments(asterHistory([{ time: T + 30 * 60_000, income: "-0.1", tranId: 9 }], []), "aster-futures", "ASTERUSDT", T - HOUR)
      expect(odd.map((p) => p.ts)).toEqual([T + 30 * 60_000])
    }))
})

describe("the funding guard when a venue still announces a funding time that has passed", () => {
  // Was: src/core/strategy/hedge-loop.ts:fundingGuard treats a next funding time already in the
  // past (a venue that rolls its nextFundingTime a few seconds late, as funding-announcements.test.ts
  // notes they do) as one ahead: a cycle starting just after 00:59 logs "-1 minutes until the 00:59
  // UTC funding time" and "within 5 minutes of funding: waiting until 00:59 UTC has passed", and the
  // report (and a live run's journal) counts a funding pause for a window the run never stood in.
  // A time already passed should be waited out quietly (the venue has not rolled yet), not paused for.
  it("a cycle starting just after a funding time says no negative minutes and counts no pause", async () => {
    const FUNDING = T0 - 1000
    const ticks = [
      ...Array.from({ length: 120 }, (_, s) => [
        { t: s * 1000, venue: "bp" as const, quote: ["1.9990", "100", "2.0010", "100"] as const },
        { t: s * 1000, venue: "as" as const, quote: ["1.9995", "100", "2.0005", "100"] as const }
      ]).flat(),
      { t: 1500, venue: "bp" as const, trade: ["2.0000", "1", "buy"] as const }
    ]
    const lines: Array<string> = []
    const report = await Effect.runPromise(runBacktest({
      dbPath: writeScript(ticks),
      config: testConfig({ trade: { quantity: "10", offset_percent: 0.1, stop_before_funding_minutes: 5, max_cycles: 1 } }),
      log: (l) => lines.push(l),
      // Aster still announces 00:59:59 until 01:00:04 (the run starts at 01:00:00), then none
      decorate: (kernel, venues) => ({
        maker: venues.maker,
        hedge: {
          ...venues.hedge,
          nextFundingTime: Effect.map(venues.hedge.nextFundingTime, (next) => (kernel.now / 1000 < FUNDING + 5000 ? Option.some(FUNDING) : next))
        }
      })
    }))
    expect(lines.filter((l) => /-\d+ minutes until/.test(l))).toEqual([])
    expect(lines.filter((l) => l.includes("within 5 minutes of funding"))).toEqual([])
    expect(report.cycles.fundingPauses).toBe(0)
  })
})
