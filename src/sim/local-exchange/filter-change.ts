/**
 * A venue of the local exchange changing its filters mid-run (the fault plan's `filters`, or a
 * test's scripted venue): which values a venue of given price and quantity scales can take, and
 * the instrument with them applied. Orders entered afterwards are judged by the new filters.
 */
import { BigDecimal } from "effect"
import { formatDecimal, toUnits } from "../../core/domain/decimal"
import type { Instrument } from "../../core/domain/instrument"
import type { Venue } from "../../core/domain/venue"
import type { LocalFilterChange } from "./types"

/** Each filter: the units it is counted in (their decimals from the book's scales), whether it may be zero. */
const FILTER_UNITS = {
  tickSize: { units: "price", decimals: (p: number, _q: number) => p, zero: false },
  stepSize: { units: "quantity", decimals: (_p: number, q: number) => q, zero: false },
  minQty: { units: "quantity", decimals: (_p: number, q: number) => q, zero: true },
  minNotional: { units: "notional", decimals: (p: number, q: number) => p + q, zero: true }
} as const

export interface FilterProblem {
  readonly field: keyof LocalFilterChange
  /** the value as given */
  readonly value: string
  /** what is wrong with it, e.g. "is finer than the venue's price units (4 decimals)" */
  readonly reason: string
}

/**
 * Why a venue of these scales cannot take these filter values (empty: it can): each must be a
 * whole number of its units (price × 10^priceScale, quantity × 10^qtyScale, notional in both)
 * that the engine can count in, a tick or step positive, a minimum not negative.
 */
export const filterChangeProblems = (change: LocalFilterChange, priceScale: number, qtyScale: number, venue: Venue): ReadonlyArray<FilterProblem> => {
  const problems: Array<FilterProblem> = []
  // Backpack has no such filter (its markets list price and quantity filters only): one enforced
  // here would refuse orders the real venue takes, for a reason no market listing shows
  if (venue === "backpack" && change.minNotional !== undefined && !BigDecimal.isZero(change.minNotional)) {
    problems.push({ field: "minNotional", value: formatDecimal(change.minNotional), reason: "is no Backpack filter (Backpack has no minimum notional)" })
  }
  for (const field of Object.keys(FILTER_UNITS) as Array<keyof LocalFilterChange>) {
    const value = change[field]
    if (value === undefined) continue
    const { units, decimals: decimalsOf, zero } = FILTER_UNITS[field]
    const decimals = decimalsOf(priceScale, qtyScale)
    const reason = BigDecimal.isNegative(value) || (!zero && BigDecimal.isZero(value))
      ? `must be ${zero ? "0 or more" : "positive"}`
      : BigDecimal.normalize(value).scale > decimals
      ? `is finer than the venue's ${units} units (${decimals} decimals)`
      // the engine counts prices and quantities in safe integers (notionals in bigints)
      : field !== "minNotional" && toUnits(value, decimals) > BigInt(Number.MAX_SAFE_INTEGER)
      ? `is too large for the venue's ${units} units`
      : undefined
    if (reason !== undefined) problems.push({ field, value: formatDecimal(value), reason })
  }
  return problems
}

/** `instrument` with the filters `change` gives; those it leaves out stay as they are. */
export const withFilterChange = (instrument: Instrument, change: LocalFilterChange): Instrument => ({
  ...instrument,
  tickSize: change.tickSize ?? instrument.tickSize,
  stepSize: change.stepSize ?? instrument.stepSize,
  minQty: change.minQty ?? instrument.minQty,
  minNotional: change.minNotional ?? instrument.minNotional
})

/** `instrument` with `change` applied, on a venue of these scales; throws naming each value the venue cannot take. */
export const changedFilters = (instrument: Instrument, change: LocalFilterChange, priceScale: number, qtyScale: number): Instrument => {
  const problems = filterChangeProblems(change, priceScale, qtyScale, instrument.venue)
  if (problems.length > 0)
    throw new Error(`${instrument.venue} ${instrument.symbol}: cannot change the filters: ${problems.map((p) => `${p.field} ${p.value} ${p.reason}`).join("; ")}`)
  return withFilterChange(instrument, change)
}
