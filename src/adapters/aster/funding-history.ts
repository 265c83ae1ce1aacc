/**
 * The funding payments of one futures symbol, from the venue's own books: the `FUNDING_FEE` rows of
 * `GET /fapi/v1/income` (the amount, signed: positive = received, and the time it was booked),
 * each matched with the rate of its funding time from `GET /fapi/v1/fundingRate` (the history has
 * the rate; the mark price only when the venue adds it, which Aster's documented answer does not).
 *
 * What the rows then hold: `amount` = the venue's `income`; `ts` = the matched funding time (when
 * no rate row is within a minute of it, the hour it was booked just after, else the booking time); `rate` = that row's rate (0 when none
 * matched); `markPrice` = the row's mark when given, else 0 (not reported); `position` = 0 (the
 * venue does not report the position a payment was charged on).
 */
import { Effect } from "effect"
import type { FundingPayment } from "../../core/accounting/ledger"
import { ZERO } from "../../core/domain/decimal"
import type { ExchangeError } from "../../core/errors"
import type { AsterClient, AsterVenue } from "./client"
import type { FundingRateRow, IncomeRow } from "./schemas"

/** the venues' maximum page size */
const PAGE = 1000
const MAX_PAGES = 50
/** an income row is booked a little after its funding time (Aster notes a deviation of ~15 s) */
const MATCH_MS = 60_000

/** Income rows of type FUNDING_FEE booked at or after `sinceMs`, oldest first, paged on `startTime`. */
const fundingIncome = (client: AsterClient, symbol: string, sinceMs: number) =>
  Effect.gen(function*() {
    const byTranId = new Map<string, IncomeRow>()
    let start = sinceMs
    for (let page = 0; page < MAX_PAGES; page++) {
      const rows = yield* client.income(symbol, "FUNDING_FEE", { startTime: start, limit: PAGE })
      let fresh = 0
      for (const row of rows) {
        if (row.incomeType !== "FUNDING_FEE" || row.symbol !== symbol || row.time < sinceMs || byTranId.has(String(row.tranId))) continue
        byTranId.set(String(row.tranId), row)
        fresh += 1
      }
      if (rows.length < PAGE) break
      // the next page starts at the last time seen (rows sharing it are told apart by tranId)
      const last = Math.max(...rows.map((row) => row.time))
      start = fresh === 0 || last < start ? Math.max(start, last) + 1 : last
    }
    return [...byTranId.values()].sort((a, b) => a.time - b.time)
  })

/** The rate history over [from, to], ascending, paged on `startTime`. */
const fundingRates = (client: AsterClient, symbol: string, from: number, to: number) =>
  Effect.gen(function*() {
    const rows: Array<FundingRateRow> = []
    let start = from
    for (let page = 0; page < MAX_PAGES && start <= to; page++) {
      const batch = yield* client.fundingRateHistory(symbol, { startTime: start, endTime: to, limit: PAGE })
      for (const row of batch) if (row.symbol === symbol && row.fundingTime >= start && row.fundingTime <= to) rows.push(row)
      if (batch.length < PAGE) break
      start = Math.max(...batch.map((row) => row.fundingTime)) + 1
    }
    return rows
  })

const nearest = (rates: ReadonlyArray<FundingRateRow>, time: number): FundingRateRow | undefined => {
  let best: FundingRateRow | undefined
  for (const row of rates) {
    const gap = Math.abs(row.fundingTime - time)
    if (gap <= MATCH_MS && (best === undefined || gap < Math.abs(best.fundingTime - time))) best = row
  }
  return best
}

/** funding times fall on the hour (every 1, 4 or 8 hours) */
const HOUR_MS = 3_600_000

/**
 * The funding time of a payment whose rate row is not listed (yet): the hour it was booked just
 * after, so that a later read that finds the rate stamps it the same (the journal keeps one payment
 * per funding time); else its booking time.
 */
const fundingTimeOfBooking = (booked: number): number => {
  const hour = Math.floor(booked / HOUR_MS) * HOUR_MS
  return booked - hour <= MATCH_MS ? hour : booked
}

/**
 * The payments on `symbol` for funding times since `sinceMs`, oldest first (futures only). A payment
 * is booked a little after its funding time: one booked just after `sinceMs` for a funding time
 * before it is not one of them (as the other venues count), so the books are read from a minute
 * earlier and each payment judged by its funding time.
 */
export const asterFundingPayments = (
  client: AsterClient,
  venue: AsterVenue,
  symbol: string,
  sinceMs: number
): Effect.Effect<ReadonlyArray<FundingPayment>, ExchangeError> =>
  Effect.gen(function*() {
    const income = yield* fundingIncome(client, symbol, sinceMs - MATCH_MS)
    if (income.length === 0) return []
    const rates = yield* fundingRates(client, symbol, income[0]!.time - MATCH_MS, income[income.length - 1]!.time + MATCH_MS)
    return income.map((row): FundingPayment => {
      const matched = nearest(rates, row.time)
      return {
        venue,
        ts: matched?.fundingTime ?? fundingTimeOfBooking(row.time),
        // 0 = the venue gave no rate for that funding time
        rate: matched?.fundingRate ?? ZERO,
        // 0 = not reported: Aster's rate history carries no mark price (read when it does)
        markPrice: matched?.markPrice !== undefined && matched.markPrice !== "" ? matched.markPrice : ZERO,
        // 0 = not reported: the income row does not say on what position it was charged
        position: ZERO,
        amount: row.income
      }
    }).filter((payment) => payment.ts >= sinceMs)
  })
