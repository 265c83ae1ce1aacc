/**
 * The run report, the same for backtests and (later) live runs: volume, fees, funding, PnL and
 * points per venue, exposure, every fill and the cycle statistics. Money is written as exact
 * decimal strings; the PnL reconciles with the listed fills, fees and funding to the last digit.
 */
import { BigDecimal, Schema } from "effect"
import type { Ledger } from "../accounting/ledger"
import type { PointsWeights } from "../config/config"
import { type Decimal, decimal, divideToScale, formatDecimal, ZERO } from "../domain/decimal"
import type { Venue } from "../domain/venue"

const Money = Schema.String
const VenueReport = Schema.Struct({
  symbol: Schema.String,
  quoteAsset: Schema.String,
  makerVolume: Money,
  takerVolume: Money,
  makerQty: Money,
  takerQty: Money,
  /** in the quote asset; a fee charged in the base asset (Aster's "pay fee in ASTER") valued at its fill's price */
  fees: Money,
  /** asset → the fees as the venue charged them (absent in reports of earlier versions) */
  feesCharged: Schema.optional(Schema.Record({ key: Schema.String, value: Money })),
  funding: Money,
  cashFlow: Money,
  realizedPnl: Money,
  unrealizedPnl: Money,
  position: Money,
  markPrice: Money,
  pnl: Money,
  fillCount: Schema.Number
})

export const RunReport = Schema.Struct({
  kind: Schema.Literal("backtest", "live", "paper"),
  data: Schema.Struct({
    file: Schema.String,
    source: Schema.String,
    synthetic: Schema.Boolean,
    proxy: Schema.Boolean,
    proxyVenues: Schema.Array(Schema.Struct({ venue: Schema.String, symbol: Schema.String, from: Schema.String, parameters: Schema.Record({ key: Schema.String, value: Schema.Union(Schema.String, Schema.Number) }) })),
    from: Schema.String,
    to: Schema.String,
    ticks: Schema.Number,
    warnings: Schema.Array(Schema.String)
  }),
  config: Schema.Unknown,
  run: Schema.Struct({ from: Schema.String, to: Schema.String, outcome: Schema.String, message: Schema.optional(Schema.String) }),
  venues: Schema.Record({ key: Schema.String, value: VenueReport }),
  totals: Schema.Struct({
    volume: Money,
    makerVolume: Money,
    takerVolume: Money,
    fees: Money,
    funding: Money,
    realizedPnl: Money,
    unrealizedPnl: Money,
    pnl: Money,
    note: Schema.String
  }),
  exposure: Schema.Struct({ maxAbsNetDelta: Money, unhedgedQtySeconds: Money, finalNetPosition: Money }),
  fills: Schema.Array(Schema.Struct({
    venue: Schema.String,
    orderId: Schema.String,
    side: Schema.String,
    price: Money,
    qty: Money,
    /** as charged, in feeAsset */
    fee: Money,
    feeAsset: Schema.String,
    /** the fee in the venue's quote asset, as the totals count it (absent in reports of earlier versions) */
    feeInQuote: Schema.optional(Money),
    liquidity: Schema.String,
    ts: Schema.Number
  })),
  funding: Schema.Array(Schema.Struct({ venue: Schema.String, ts: Schema.Number, rate: Money, markPrice: Money, position: Money, amount: Money })),
  cycles: Schema.Struct({
    count: Schema.Number,
    completedLegs: Schema.Number,
    makerOrders: Schema.Number,
    reposts: Schema.Number,
    meanTimeToFillSeconds: Schema.NullOr(Schema.Number),
    hedgeOrders: Schema.Number,
    fundingPauses: Schema.Number,
    /** legs filled per maker order posted */
    fillRate: Schema.NullOr(Schema.Number),
    /** quantity-weighted hedge price against the quote seen when sending, in bps (positive = cost) */
    hedgeSlippageBps: Schema.NullOr(Schema.String)
  }),
  /**
   * The venues' filter changes during the run, as the strategy met them (live and paper reports;
   * absent from backtests, whose recording keeps one set of filters, and from earlier versions)
   */
  filterChanges: Schema.optional(Schema.Array(Schema.Struct({
    venue: Schema.String,
    symbol: Schema.String,
    ts: Schema.Number,
    cycle: Schema.Number,
    /** e.g. "tick 0.0001 → 0.001" */
    changes: Schema.Array(Schema.String),
    /** what made the strategy read them */
    why: Schema.String
  }))),
  points: Schema.Struct({
    model: Schema.String,
    venues: Schema.Record({ key: Schema.String, value: Schema.Struct({ makerWeight: Money, takerWeight: Money, points: Money }) }),
    total: Money,
    /** what 1000 points cost: −pnl × 1000 / points (negative = they were paid for) */
    costPer1000Points: Schema.NullOr(Money)
  })
})
export type RunReport = typeof RunReport.Type

export interface CycleStats {
  readonly count: number
  readonly completedLegs: number
  readonly makerOrders: number
  readonly reposts: number
  readonly totalTimeToFillMs: number
  readonly hedgeOrders: number
  readonly fundingPauses: number
  /** Σ executed qty of hedges, and Σ (price − reference) × qty signed so that positive = cost */
  readonly hedgeQty: Decimal
  readonly hedgeSlippageQuote: Decimal
  /** Σ reference × qty: the quote value the slippage is measured against */
  readonly hedgeReferenceQuote: Decimal
}

export interface ReportInput {
  readonly kind: RunReport["kind"]
  readonly data: RunReport["data"]
  readonly config: unknown
  readonly run: RunReport["run"]
  readonly ledger: Ledger
  readonly venues: ReadonlyArray<{
    readonly venue: Venue
    readonly symbol: string
    readonly quoteAsset: string
    readonly markPrice: Decimal
    readonly points: PointsWeights
    /** the points when not this venue's volumes at `points` (runs that counted at other weights) */
    readonly pointsEarned?: Decimal
  }>
  readonly cycles: CycleStats
  readonly filterChanges?: RunReport["filterChanges"]
}

const fmt = formatDecimal

/** The points model: makerWeight × maker volume + takerWeight × taker volume (quote units). */
export const pointsEarned = (weights: PointsWeights, makerVolume: Decimal, takerVolume: Decimal): Decimal =>
  BigDecimal.sum(BigDecimal.multiply(makerVolume, weights.makerWeight), BigDecimal.multiply(takerVolume, weights.takerWeight))

export const buildReport = (input: ReportInput): RunReport => {
  const { ledger } = input
  const venues: Record<string, typeof VenueReport.Type> = {}
  const points: Record<string, { makerWeight: string; takerWeight: string; points: string }> = {}
  let totalMaker = ZERO
  let totalTaker = ZERO
  let totalFees = ZERO
  let totalFunding = ZERO
  let totalRealized = ZERO
  let totalUnrealized = ZERO
  let totalPoints = ZERO
  for (const v of input.venues) {
    const book = ledger.book(v.venue)
    const unrealized = ledger.unrealizedPnl(v.venue, v.markPrice)
    const pnl = BigDecimal.sum(BigDecimal.subtract(BigDecimal.sum(book.realizedPnl, unrealized), book.fees), book.funding)
    venues[v.venue] = {
      symbol: v.symbol,
      quoteAsset: v.quoteAsset,
      makerVolume: fmt(book.makerVolume),
      takerVolume: fmt(book.takerVolume),
      makerQty: fmt(book.makerQty),
      takerQty: fmt(book.takerQty),
      fees: fmt(book.fees),
      feesCharged: Object.fromEntries([...book.feesCharged].map(([asset, amount]) => [asset, fmt(amount)])),
      funding: fmt(book.funding),
      cashFlow: fmt(book.cashFlow),
      realizedPnl: fmt(book.realizedPnl),
      unrealizedPnl: fmt(unrealized),
      position: fmt(book.position),
      markPrice: fmt(v.markPrice),
      pnl: fmt(pnl),
      fillCount: book.fillCount
    }
    const venuePoints = v.pointsEarned ?? pointsEarned(v.points, book.makerVolume, book.takerVolume)
    points[v.venue] = { makerWeight: fmt(v.points.makerWeight), takerWeight: fmt(v.points.takerWeight), points: fmt(venuePoints) }
    totalPoints = BigDecimal.sum(totalPoints, venuePoints)
    totalMaker = BigDecimal.sum(totalMaker, book.makerVolume)
    totalTaker = BigDecimal.sum(totalTaker, book.takerVolume)
    totalFees = BigDecimal.sum(totalFees, book.fees)
    totalFunding = BigDecimal.sum(totalFunding, book.funding)
    totalRealized = BigDecimal.sum(totalRealized, book.realizedPnl)
    totalUnrealized = BigDecimal.sum(totalUnrealized, unrealized)
  }
  const quoteAssets = [...new Set(input.venues.map((v) => v.quoteAsset))]
  const totalPnl = BigDecimal.sum(BigDecimal.subtract(BigDecimal.sum(totalRealized, totalUnrealized), totalFees), totalFunding)
  return {
    kind: input.kind,
    data: ledger.feeAssetsAtPar.size === 0 ? input.data : {
      ...input.data,
      warnings: [
        ...input.data.warnings,
        `fees charged in ${[...ledger.feeAssetsAtPar].join(", ")} are counted at par with ${quoteAssets.join(" and ")}: neither asset of the market, they cannot be valued here (the fills list them as charged)`
      ]
    },
    config: input.config,
    run: input.run,
    venues,
    totals: {
      volume: fmt(BigDecimal.sum(totalMaker, totalTaker)),
      makerVolume: fmt(totalMaker),
      takerVolume: fmt(totalTaker),
      fees: fmt(totalFees),
      funding: fmt(totalFunding),
      realizedPnl: fmt(totalRealized),
      unrealizedPnl: fmt(totalUnrealized),
      pnl: fmt(totalPnl),
      note: `pnl = realizedPnl + unrealizedPnl − fees + funding = Σ(sell − buy notional) + Σ position × markPrice − fees + funding; ${quoteAssets.join(" and ")} counted at par`
    },
    exposure: {
      maxAbsNetDelta: fmt(ledger.maxAbsNetDelta),
      unhedgedQtySeconds: fmt(ledger.unhedgedQtySeconds),
      finalNetPosition: fmt(ledger.netPosition)
    },
    fills: ledger.fills.map((f) => ({
      venue: f.venue,
      orderId: f.orderId,
      side: f.side,
      price: fmt(f.price),
      qty: fmt(f.qty),
      fee: fmt(f.fee),
      feeAsset: f.feeAsset,
      feeInQuote: fmt(ledger.valueFee(f).inQuote),
      liquidity: f.liquidity,
      ts: f.ts
    })),
    funding: ledger.funding.map((p) => ({
      venue: p.venue,
      ts: p.ts,
      rate: fmt(p.rate),
      markPrice: fmt(p.markPrice),
      position: fmt(p.position),
      amount: fmt(p.amount)
    })),
    cycles: {
      count: input.cycles.count,
      completedLegs: input.cycles.completedLegs,
      makerOrders: input.cycles.makerOrders,
      reposts: input.cycles.reposts,
      meanTimeToFillSeconds: input.cycles.completedLegs > 0 ? Math.round(input.cycles.totalTimeToFillMs / input.cycles.completedLegs) / 1000 : null,
      hedgeOrders: input.cycles.hedgeOrders,
      fundingPauses: input.cycles.fundingPauses,
      fillRate: input.cycles.makerOrders > 0 ? Math.round((input.cycles.completedLegs / input.cycles.makerOrders) * 10_000) / 10_000 : null,
      hedgeSlippageBps: BigDecimal.isPositive(input.cycles.hedgeReferenceQuote)
        ? fmt(divideToScale(BigDecimal.multiply(input.cycles.hedgeSlippageQuote, decimal("10000")), input.cycles.hedgeReferenceQuote, 4))
        : null
    },
    ...(input.filterChanges !== undefined ? { filterChanges: input.filterChanges } : {}),
    points: {
      model: "points = makerWeight × maker volume + takerWeight × taker volume (quote units); an estimate: Aster Stage 2 counted taker volume 2× maker, Backpack publishes no formula",
      venues: points,
      total: fmt(totalPoints),
      costPer1000Points: BigDecimal.isPositive(totalPoints)
        ? fmt(divideToScale(BigDecimal.multiply(BigDecimal.negate(totalPnl), decimal("1000")), totalPoints, 6))
        : null
    }
  }
}
