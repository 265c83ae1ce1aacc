import { BigDecimal, Schema } from "effect"
import { type Decimal, DecimalString, formatDecimal, isMultipleOf, roundToStep } from "./decimal"
import { Venue } from "./venue"

export const InstrumentKind = Schema.Literal("spot", "perp")
export type InstrumentKind = typeof InstrumentKind.Type

/**
 * What a venue's market accepts now, as the venue last said: Backpack's `orderBookState` (Open,
 * PostOnly, LimitOnly, CancelOnly, Closed), Aster's symbol `status` (TRADING or not).
 */
export const MarketTrading = Schema.Struct({
  /** the venue's own word, e.g. "TRADING", "CancelOnly" */
  state: Schema.String,
  /** post-only limit orders: the maker legs */
  makerOrders: Schema.Boolean,
  /** market orders: the hedges */
  takerOrders: Schema.Boolean
})
export type MarketTrading = typeof MarketTrading.Type

/** An instrument with the exchange filters every order must pass. */
export const Instrument = Schema.Struct({
  venue: Venue,
  symbol: Schema.String,
  base: Schema.String,
  quote: Schema.String,
  kind: InstrumentKind,
  tickSize: DecimalString,
  stepSize: DecimalString,
  minQty: DecimalString,
  /** Minimum price × quantity in quote currency; 0 when the venue has none. */
  minNotional: DecimalString,
  /** absent where nobody says (a recording, a simulated venue): open to every order */
  trading: Schema.optional(MarketTrading),
  /** the largest quantity one order may carry, where the venue says (a larger hedge goes in several orders) */
  maxQty: Schema.optional(DecimalString),
  /** the largest value (price × quantity) one market order may carry, where the venue says (Aster spot) */
  maxNotional: Schema.optional(DecimalString)
})
export type Instrument = typeof Instrument.Type

/**
 * Why the market cannot take the orders `role` places now (a maker leg's post-only limits, or a
 * hedge's market orders), e.g. `ASTERUSDT is not trading (SETTLING)`; undefined when it can.
 */
export const notTradingFor = (instrument: Instrument, role: "maker" | "hedge"): string | undefined => {
  const trading = instrument.trading
  if (trading === undefined || (role === "maker" ? trading.makerOrders : trading.takerOrders)) return undefined
  return `${instrument.symbol} takes no ${role === "maker" ? "post-only limit" : "market"} orders now (${trading.state})`
}

export type FilterViolation =
  | { readonly filter: "tick"; readonly message: string }
  | { readonly filter: "step"; readonly message: string }
  | { readonly filter: "minQty"; readonly message: string }
  | { readonly filter: "minNotional"; readonly message: string }

/** Checks price (if any) and quantity against the filters, as the venue would on arrival. */
export const checkFilters = (
  instrument: Instrument,
  qty: Decimal,
  price: Decimal | undefined,
  /** price used for the notional check of a market order (best opposite price) */
  referencePrice?: Decimal
): FilterViolation | undefined => {
  if (price !== undefined && (!BigDecimal.isPositive(price) || !isMultipleOf(price, instrument.tickSize)))
    return { filter: "tick", message: `price ${formatDecimal(price)} is not a positive multiple of tick size ${formatDecimal(instrument.tickSize)}` }
  if (!BigDecimal.isPositive(qty) || !isMultipleOf(qty, instrument.stepSize))
    return { filter: "step", message: `quantity ${formatDecimal(qty)} is not a positive multiple of step size ${formatDecimal(instrument.stepSize)}` }
  if (BigDecimal.lessThan(qty, instrument.minQty))
    return { filter: "minQty", message: `quantity ${formatDecimal(qty)} is below the minimum ${formatDecimal(instrument.minQty)}` }
  const notionalPrice = price ?? referencePrice
  if (notionalPrice !== undefined && BigDecimal.isPositive(instrument.minNotional)) {
    const notional = BigDecimal.multiply(notionalPrice, qty)
    if (BigDecimal.lessThan(notional, instrument.minNotional))
      return { filter: "minNotional", message: `notional ${formatDecimal(notional)} is below the minimum ${formatDecimal(instrument.minNotional)}` }
  }
  return undefined
}

/**
 * Rounds a limit price onto the tick grid on the passive side: a sell rounds up (further from the
 * bid), a buy rounds down, so rounding can never turn a maker order into a taker.
 */
export const passivePrice = (instrument: Instrument, side: "buy" | "sell", raw: Decimal): Decimal =>
  roundToStep(raw, instrument.tickSize, side === "sell" ? "ceil" : "floor")

/** Largest tradable quantity not above `qty` (never over-trades). */
export const floorQty = (instrument: Instrument, qty: Decimal): Decimal => roundToStep(qty, instrument.stepSize, "floor")

const FILTER_NAMES = [["tickSize", "tick"], ["stepSize", "step"], ["minQty", "min qty"], ["minNotional", "min notional"]] as const

/** What changed between two readings of an instrument's filters, e.g. `tick 0.0001 → 0.001` (none: the same). */
export const filterChanges = (before: Instrument, after: Instrument): Array<string> =>
  FILTER_NAMES.flatMap(([key, name]) =>
    BigDecimal.equals(before[key], after[key]) ? [] : [`${name} ${formatDecimal(before[key])} → ${formatDecimal(after[key])}`]
  )

/**
 * The largest quantity one market order may carry at `price`: the venue's largest quantity, and
 * its largest order value at that price, on the step grid; none when the venue sets neither.
 */
export const largestOrderQty = (instrument: Instrument, price: Decimal): Decimal | undefined => {
  const byValue = instrument.maxNotional !== undefined && BigDecimal.isPositive(price)
    ? BigDecimal.multiply(BigDecimal.fromBigInt(floorDiv(instrument.maxNotional, BigDecimal.multiply(instrument.stepSize, price))), instrument.stepSize)
    : undefined
  if (byValue === undefined) return instrument.maxQty
  return instrument.maxQty === undefined ? byValue : BigDecimal.min(instrument.maxQty, byValue)
}

/** ⌊a / b⌋ for positive decimals, exactly. */
const floorDiv = (a: Decimal, b: Decimal): bigint => {
  const scale = Math.max(a.scale, b.scale, 0)
  return BigDecimal.scale(a, scale).value / BigDecimal.scale(b, scale).value
}
