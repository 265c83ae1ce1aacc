/**
 * What an account of the local exchange holds and may spend, in exact decimals: its balances, its
 * margin on a perp venue, whether it can afford an order, and the fee each fill charges it.
 *
 * Money rules (exact decimals, fees in the quote asset unless the account pays them in the base
 * asset, as Aster's "Pay fee in ASTER" does: then quantity × rate × 0.95 of the base asset, taken
 * from its balance while it holds enough, else the quote fee as usual):
 * - spot: quote balance = start + Σ sells − Σ buys − quote fees; base balance = start + Σ bought −
 *   Σ sold − base fees.
 *   Open buys lock price × remaining quantity of quote, open sells lock the remaining base. A buy
 *   needs price × qty × (1 + the higher fee rate) free (a market buy is priced at the best ask: a
 *   market order walking the book past it can overdraw by the slippage); a sell needs qty free.
 * - perps (simple cross margin, no liquidation): equity = start + Σ sells − Σ buys − quote fees + funding
 *   + position × mark (= wallet balance + FIFO unrealised PnL). The worst-case position if every
 *   open order filled, max(|pos + open buys|, |pos − open sells|), times the mark, over `leverage`,
 *   is the initial margin. An order is refused when it raises that worst case above
 *   equity × leverage; an order that does not raise it (a reducing order) always passes. The quote
 *   balance is reported as free = equity − initial margin, locked = initial margin; the base asset's
 *   as start − base fees.
 */
import { BigDecimal } from "effect"
import type { Ledger } from "../../core/accounting/ledger"
import type { Balance } from "../../core/domain/account"
import { type Decimal, decimal, divideToScale, ZERO } from "../../core/domain/decimal"
import type { Fill, OrderUpdate, Side } from "../../core/domain/order"
import type { Venue } from "../../core/domain/venue"
import type { SimOrder } from "../engine"

/** An account's margin figures on a perp venue (all in the quote asset). */
export interface LocalAccountSummary {
  readonly position: Decimal
  /** average price of the open FIFO lots, rounded to 8 decimals; undefined when flat */
  readonly entryPrice: Decimal | undefined
  readonly markPrice: Decimal | undefined
  /** start + realised PnL − fees + funding */
  readonly walletBalance: Decimal
  readonly unrealizedPnl: Decimal
  readonly realizedPnl: Decimal
  readonly fees: Decimal
  readonly funding: Decimal
  /** wallet + unrealised */
  readonly equity: Decimal
  /** worst-case position × mark / leverage, rounded to 8 decimals (0 on spot) */
  readonly initialMargin: Decimal
  readonly available: Decimal
  readonly leverage: number
}

/** Aster takes 5 % off a fee paid in ASTER */
const BASE_FEE_DISCOUNT = decimal("0.95")

/** One account on a local venue: its orders and fills, and the ledger its money is reckoned from. */
export interface AccountState {
  readonly name: string
  readonly start: ReadonlyMap<string, Decimal>
  readonly paysFeesInBase: boolean
  readonly ledger: Ledger
  /** open orders and the last closed ones (venue-book.ts's KEEP_CLOSED_ORDERS) */
  readonly orders: Map<string, SimOrder>
  readonly byClientId: Map<string, string>
  readonly closed: Array<string>
  readonly fills: Array<Fill>
  readonly listeners: Set<(update: OrderUpdate) => void>
}

export const isOpen = (o: SimOrder) => o.status === "new" || o.status === "partially-filled"

/** What an account's money is reckoned with: the book's venue and symbol, the mark and the fee rates. */
export interface AccountMoneyTerms {
  readonly venue: Venue
  readonly assets: { readonly base: string; readonly quote: string }
  readonly perp: boolean
  /** perps: margin leverage, a whole number */
  readonly leverage: number
  readonly fees: { readonly maker: Decimal; readonly taker: Decimal }
  /** the mark margin is valued at (undefined before the market has a price) */
  readonly markPrice: () => Decimal | undefined
  /** the book's conversions of engine units (value × 10^scale) to prices and quantities */
  readonly px: (units: number) => Decimal
  readonly qx: (units: number) => Decimal
}

export const accountMoney = (terms: AccountMoneyTerms) => {
  const { venue, assets, perp, leverage, fees, markPrice, px, qx } = terms
  const LEVERAGE = BigDecimal.fromBigInt(BigInt(leverage))

  /** fees as paid: in the quote asset, and in the base asset for an account that pays them in it */
  const feesPaid = (acct: AccountState) => {
    const charged = acct.ledger.book(venue).feesCharged
    return { quote: charged.get(assets.quote) ?? ZERO, base: charged.get(assets.base) ?? ZERO }
  }

  /** the base asset the account holds: its start, what it bought and sold (spot only), less the fees paid in it */
  const baseHeld = (acct: AccountState) =>
    BigDecimal.subtract(BigDecimal.sum(startOf(acct, assets.base), perp ? ZERO : acct.ledger.book(venue).position), feesPaid(acct).base)

  /**
   * The quote asset the account holds, less the fees paid in it: on perps the wallet (start +
   * realised PnL + funding), on spot its start + what it sold − what it bought.
   */
  const quoteHeld = (acct: AccountState) => {
    const book = acct.ledger.book(venue)
    const start = startOf(acct, assets.quote)
    const moved = perp ? BigDecimal.sum(book.realizedPnl, book.funding) : book.cashFlow
    return BigDecimal.subtract(BigDecimal.sum(start, moved), feesPaid(acct).quote)
  }

  /** A fill's fee: in the base asset (5 % off) when the account pays in it and holds enough, else in the quote. */
  /**
   * A fill's fee: in the base asset when the account pays so and holds enough of it once the fill
   * has settled (on spot, a buy's ASTER is there to pay with, a sell's has left: selling it all
   * leaves none), else in the quote.
   */
  const feeOf = (acct: AccountState, sign: 1 | -1, qty: Decimal, notional: Decimal, rate: Decimal) => {
    if (acct.paysFeesInBase) {
      const inBase = BigDecimal.normalize(BigDecimal.multiply(BigDecimal.multiply(qty, rate), BASE_FEE_DISCOUNT))
      const heldAfter = perp ? baseHeld(acct) : BigDecimal.sum(baseHeld(acct), sign > 0 ? qty : BigDecimal.negate(qty))
      if (BigDecimal.lessThanOrEqualTo(inBase, heldAfter)) return { amount: inBase, asset: assets.base }
    }
    return { amount: BigDecimal.normalize(BigDecimal.multiply(notional, rate)), asset: assets.quote }
  }

  const openTotals = (acct: AccountState) => {
    let buys = 0
    let sells = 0
    let buyQuote = ZERO
    for (const o of acct.orders.values()) {
      if (!isOpen(o)) continue
      const left = o.qty - o.filled
      if (o.sign > 0) {
        buys += left
        buyQuote = BigDecimal.sum(buyQuote, BigDecimal.multiply(px(o.price), qx(left)))
      } else sells += left
    }
    return { buys: qx(buys), sells: qx(sells), buyQuote }
  }

  const startOf = (acct: AccountState, asset: string) => acct.start.get(asset) ?? ZERO

  const worstPosition = (position: Decimal, buys: Decimal, sells: Decimal) =>
    BigDecimal.max(BigDecimal.abs(BigDecimal.sum(position, buys)), BigDecimal.abs(BigDecimal.subtract(position, sells)))

  const summary = (acct: AccountState): LocalAccountSummary => {
    const book = acct.ledger.book(venue)
    const mark = markPrice()
    const unrealized = mark !== undefined ? acct.ledger.unrealizedPnl(venue, mark) : ZERO
    const wallet = quoteHeld(acct)
    const equity = BigDecimal.sum(wallet, unrealized)
    const open = openTotals(acct)
    const initialMargin = perp && mark !== undefined
      ? divideToScale(BigDecimal.multiply(worstPosition(book.position, open.buys, open.sells), mark), LEVERAGE, 8)
      : ZERO
    let lotQty = ZERO
    let lotCost = ZERO
    for (const lot of book.lots) {
      lotQty = BigDecimal.sum(lotQty, lot.qty)
      lotCost = BigDecimal.sum(lotCost, BigDecimal.multiply(lot.qty, lot.price))
    }
    return {
      position: book.position,
      entryPrice: BigDecimal.isZero(lotQty) ? undefined : BigDecimal.normalize(divideToScale(lotCost, lotQty, 8)),
      markPrice: mark,
      walletBalance: BigDecimal.normalize(wallet),
      unrealizedPnl: BigDecimal.normalize(unrealized),
      realizedPnl: BigDecimal.normalize(book.realizedPnl),
      fees: BigDecimal.normalize(book.fees),
      funding: BigDecimal.normalize(book.funding),
      equity: BigDecimal.normalize(equity),
      initialMargin: BigDecimal.normalize(initialMargin),
      available: BigDecimal.normalize(BigDecimal.subtract(equity, initialMargin)),
      leverage
    }
  }

  const balancesOf = (acct: AccountState): ReadonlyArray<Balance> => {
    const out = new Map<string, { free: Decimal; locked: Decimal }>()
    for (const [asset, amount] of acct.start) out.set(asset, { free: amount, locked: ZERO })
    if (perp) {
      const s = summary(acct)
      out.set(assets.quote, { free: s.available, locked: s.initialMargin })
      if (acct.start.has(assets.base) || BigDecimal.isPositive(feesPaid(acct).base)) out.set(assets.base, { free: baseHeld(acct), locked: ZERO })
    } else {
      const open = openTotals(acct)
      out.set(assets.quote, { free: BigDecimal.subtract(quoteHeld(acct), open.buyQuote), locked: open.buyQuote })
      out.set(assets.base, { free: BigDecimal.subtract(baseHeld(acct), open.sells), locked: open.sells })
    }
    return [...out].map(([asset, b]) => ({ venue, asset, free: BigDecimal.normalize(b.free), locked: BigDecimal.normalize(b.locked) }))
  }

  /** undefined when the account can afford the order, else the reason it cannot */
  const unaffordable = (acct: AccountState, side: Side, qty: Decimal, price: Decimal): string | undefined => {
    const open = openTotals(acct)
    const book = acct.ledger.book(venue)
    if (perp) {
      const mark = markPrice() ?? price
      const before = worstPosition(book.position, open.buys, open.sells)
      const after = side === "buy"
        ? worstPosition(book.position, BigDecimal.sum(open.buys, qty), open.sells)
        : worstPosition(book.position, open.buys, BigDecimal.sum(open.sells, qty))
      if (BigDecimal.lessThanOrEqualTo(after, before)) return undefined
      const unrealized = acct.ledger.unrealizedPnl(venue, mark)
      const equity = BigDecimal.sum(quoteHeld(acct), unrealized)
      const need = BigDecimal.multiply(after, mark)
      const have = BigDecimal.multiply(equity, LEVERAGE)
      return BigDecimal.greaterThan(need, have)
        ? `margin: a worst-case position of ${BigDecimal.format(after)} at ${BigDecimal.format(mark)} needs ${BigDecimal.format(BigDecimal.normalize(need))} of notional, equity ${BigDecimal.format(BigDecimal.normalize(equity))} × leverage ${leverage} allows ${BigDecimal.format(BigDecimal.normalize(have))}`
        : undefined
    }
    if (side === "buy") {
      const free = BigDecimal.subtract(quoteHeld(acct), open.buyQuote)
      const cost = BigDecimal.multiply(BigDecimal.multiply(price, qty), BigDecimal.sum(decimal("1"), BigDecimal.max(fees.maker, fees.taker)))
      return BigDecimal.greaterThan(cost, free)
        ? `${assets.quote}: needs ${BigDecimal.format(BigDecimal.normalize(cost))} (fee included), ${BigDecimal.format(BigDecimal.normalize(free))} free`
        : undefined
    }
    const free = BigDecimal.subtract(baseHeld(acct), open.sells)
    return BigDecimal.greaterThan(qty, free)
      ? `${assets.base}: needs ${BigDecimal.format(qty)}, ${BigDecimal.format(BigDecimal.normalize(free))} free`
      : undefined
  }

  /** reduce-only (perps): must be opposite to the position and not larger than it */
  const notReducing = (acct: AccountState, side: Side, qty: Decimal): boolean => {
    const position = acct.ledger.book(venue).position
    const reduces = side === "buy" ? BigDecimal.isNegative(position) : BigDecimal.isPositive(position)
    return !reduces || BigDecimal.greaterThan(qty, BigDecimal.abs(position))
  }

  // what the venue book asks of an account; the rest are steps of these
  return { feeOf, summary, balancesOf, unaffordable, notReducing }
}
