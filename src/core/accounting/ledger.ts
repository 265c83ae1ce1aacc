/**
 * Exact accounting of what the strategy did: fills, fees and funding per venue, FIFO realised PnL,
 * and the exposure across venues over time. The same ledger serves backtests and live runs.
 */
import { BigDecimal } from "effect"
import { type Decimal, ZERO } from "../domain/decimal"
import { type Fill, type Side, signedQty } from "../domain/order"
import type { Venue } from "../domain/venue"
import { type FeeValuation, feesAsCharged } from "./fee-value"

export interface FundingPayment {
  readonly venue: Venue
  readonly ts: number
  readonly rate: Decimal
  readonly markPrice: Decimal
  readonly position: Decimal
  /** positive = received */
  readonly amount: Decimal
}

interface Lot {
  qty: Decimal
  readonly price: Decimal
}

export interface VenueBook {
  readonly venue: Venue
  position: Decimal
  makerVolume: Decimal
  takerVolume: Decimal
  makerQty: Decimal
  takerQty: Decimal
  /** in the quote asset (see fee-value.ts) */
  fees: Decimal
  /** asset → Σ fees as the venue charged them in it */
  readonly feesCharged: Map<string, Decimal>
  funding: Decimal
  /** Σ sell notional − Σ buy notional */
  cashFlow: Decimal
  realizedPnl: Decimal
  fillCount: number
  /** open FIFO lots; sign of position says whether they are longs or shorts */
  readonly lots: Array<Lot>
}

const MS_PER_S = BigDecimal.fromBigInt(1000n)

export class Ledger {
  readonly fills: Array<Fill> = []
  readonly funding: Array<FundingPayment> = []
  private readonly books = new Map<Venue, VenueBook>()
  private net: Decimal = ZERO
  private lastExposureTs: number | undefined
  maxAbsNetDelta: Decimal = ZERO
  /** ∫ |net position| dt in base-quantity × milliseconds (exact) */
  private unhedgedQtyMs: Decimal = ZERO
  /** fee assets that could only be counted at par with the quote asset (neither the market's base nor its quote) */
  readonly feeAssetsAtPar = new Set<string>()

  /** `valueFee`: each fill's fee in its quote asset (the simulator's fees are charged in it) */
  constructor(venues: ReadonlyArray<Venue>, readonly valueFee: FeeValuation = feesAsCharged) {
    for (const venue of venues) {
      this.books.set(venue, {
        venue,
        position: ZERO,
        makerVolume: ZERO,
        takerVolume: ZERO,
        makerQty: ZERO,
        takerQty: ZERO,
        fees: ZERO,
        feesCharged: new Map(),
        funding: ZERO,
        cashFlow: ZERO,
        realizedPnl: ZERO,
        fillCount: 0,
        lots: []
      })
    }
  }

  book(venue: Venue): VenueBook {
    const book = this.books.get(venue)
    if (!book) throw new Error(`ledger has no venue ${venue}`)
    return book
  }

  venues(): ReadonlyArray<VenueBook> {
    return [...this.books.values()]
  }

  /** Net base position across all venues (0 = perfectly hedged). */
  get netPosition(): Decimal {
    return this.net
  }

  get unhedgedQtySeconds(): Decimal {
    return BigDecimal.unsafeDivide(this.unhedgedQtyMs, MS_PER_S)
  }

  /**
   * Starts the exposure at `ts` from `net`, the net position carried in from before what this
   * ledger accounts for (a report's window, a run after a killed one): exposure only, its fills are
   * not here, so nothing of it is revalued. Call before the first fill.
   */
  openExposure(ts: number, net: Decimal): void {
    this.net = net
    this.lastExposureTs = ts
    const absNet = BigDecimal.abs(net)
    if (BigDecimal.greaterThan(absNet, this.maxAbsNetDelta)) this.maxAbsNetDelta = absNet
  }

  /** Integrates exposure up to `ts` (call before anything changes the net). */
  private advanceExposure(ts: number): void {
    if (this.lastExposureTs !== undefined && ts > this.lastExposureTs) {
      const dt = BigDecimal.fromBigInt(BigInt(Math.round(ts - this.lastExposureTs)))
      this.unhedgedQtyMs = BigDecimal.sum(this.unhedgedQtyMs, BigDecimal.multiply(BigDecimal.abs(this.net), dt))
    }
    this.lastExposureTs = this.lastExposureTs === undefined ? ts : Math.max(ts, this.lastExposureTs)
  }

  recordFill(fill: Fill): void {
    const book = this.book(fill.venue)
    this.advanceExposure(fill.ts)
    this.fills.push(fill)
    book.fillCount += 1
    const notional = BigDecimal.multiply(fill.price, fill.qty)
    if (fill.liquidity === "maker") {
      book.makerVolume = BigDecimal.sum(book.makerVolume, notional)
      book.makerQty = BigDecimal.sum(book.makerQty, fill.qty)
    } else {
      book.takerVolume = BigDecimal.sum(book.takerVolume, notional)
      book.takerQty = BigDecimal.sum(book.takerQty, fill.qty)
    }
    const fee = this.valueFee(fill)
    if (fee.basis === "at-par") this.feeAssetsAtPar.add(fill.feeAsset)
    book.fees = BigDecimal.sum(book.fees, fee.inQuote)
    if (fill.feeAsset !== "") book.feesCharged.set(fill.feeAsset, BigDecimal.sum(book.feesCharged.get(fill.feeAsset) ?? ZERO, fill.fee))
    book.cashFlow = fill.side === "sell" ? BigDecimal.sum(book.cashFlow, notional) : BigDecimal.subtract(book.cashFlow, notional)
    this.matchFifo(book, fill.side, fill.qty, fill.price)
    const delta = signedQty(fill.side, fill.qty)
    book.position = BigDecimal.sum(book.position, delta)
    this.net = BigDecimal.sum(this.net, delta)
    const absNet = BigDecimal.abs(this.net)
    if (BigDecimal.greaterThan(absNet, this.maxAbsNetDelta)) this.maxAbsNetDelta = absNet
  }

  /** Closes opposite lots first-in first-out; what is left opens a new lot. */
  private matchFifo(book: VenueBook, side: Side, qty: Decimal, price: Decimal): void {
    let left = qty
    const closesLongs = side === "sell" && BigDecimal.isPositive(book.position)
    const closesShorts = side === "buy" && BigDecimal.isNegative(book.position)
    if (closesLongs || closesShorts) {
      while (BigDecimal.isPositive(left) && book.lots.length > 0) {
        const lot = book.lots[0]!
        const take = BigDecimal.min(left, lot.qty)
        const perUnit = closesLongs ? BigDecimal.subtract(price, lot.price) : BigDecimal.subtract(lot.price, price)
        book.realizedPnl = BigDecimal.sum(book.realizedPnl, BigDecimal.multiply(perUnit, take))
        lot.qty = BigDecimal.subtract(lot.qty, take)
        left = BigDecimal.subtract(left, take)
        if (BigDecimal.isZero(lot.qty)) book.lots.shift()
      }
    }
    if (BigDecimal.isPositive(left)) book.lots.push({ qty: left, price })
  }

  /** Applies a funding event: longs pay shorts when the rate is positive. */
  recordFunding(venue: Venue, ts: number, rate: Decimal, markPrice: Decimal): FundingPayment | undefined {
    const book = this.book(venue)
    if (BigDecimal.isZero(book.position)) return undefined
    const amount = BigDecimal.negate(BigDecimal.multiply(BigDecimal.multiply(book.position, markPrice), rate))
    const payment: FundingPayment = { venue, ts, rate, markPrice, position: book.position, amount }
    book.funding = BigDecimal.sum(book.funding, amount)
    this.funding.push(payment)
    return payment
  }

  /** Closes the exposure integral at the end of the run. */
  close(ts: number): void {
    this.advanceExposure(ts)
  }

  /** Open position valued at `mark` minus its FIFO cost: the PnL not realised yet. */
  unrealizedPnl(venue: Venue, mark: Decimal): Decimal {
    const book = this.book(venue)
    const long = BigDecimal.isPositive(book.position)
    let total = ZERO
    for (const lot of book.lots) {
      const perUnit = long ? BigDecimal.subtract(mark, lot.price) : BigDecimal.subtract(lot.price, mark)
      total = BigDecimal.sum(total, BigDecimal.multiply(perUnit, lot.qty))
    }
    return total
  }
}

