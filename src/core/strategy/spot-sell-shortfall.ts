/**
 * A spot hedge venue's sells can only sell the base asset the account holds. Fees the venue takes
 * in that asset (Aster's "Pay fee in ASTER") come out of what the buy hedges bought, so without
 * spare base a sell hedge finds a little less than the maker leg traded, and is refused. Rather
 * than leave the whole leg exposed, a refused sell is cut to what the account holds: what stays
 * exposed is the shortfall, and the refusal then says which balance was short and why.
 */
import { BigDecimal, Effect, Either, type Schedule } from "effect"
import { type Decimal, formatDecimal, ZERO } from "../domain/decimal"
import { floorQty, type Instrument } from "../domain/instrument"
import type { MarketOrderRequest, Order, Side } from "../domain/order"
import { type ExchangeError, InsufficientBalance } from "../errors"
import type { Exchange } from "../exchange"
import { minimumHedgeQty } from "./exposure"
import { placeMarketTracked } from "./tracked-orders"

/** What the account can still sell, learnt from a refusal, and that refusal (explained when it was for want of the base). */
export interface Sellable {
  readonly qty: Decimal
  readonly refusal: InsufficientBalance
}

const isSpotSell = (instrument: Instrument, side: Side): boolean => side === "sell" && instrument.kind === "spot"

/**
 * A market hedge, tracked and retried as `placeMarketTracked` does, except a spot sell's first
 * refusal for want of balance (none learnt yet in `sellable`): that one is not retried as it is,
 * and what the account holds comes back instead (left), to size the next sell within it.
 */
export const placeWithinHolding = (
  venue: Exchange,
  instrument: Instrument,
  request: MarketOrderRequest,
  retry: Schedule.Schedule<unknown, unknown>,
  sellable: Sellable | undefined,
  /** whether a refusal may be retried as it is: not once the filters the order was sized by have changed */
  retryAsItIs: () => boolean = () => true
): Effect.Effect<Either.Either<Order, Sellable>, ExchangeError> => {
  const firstRefusalForBase = (error: ExchangeError): error is InsufficientBalance =>
    error._tag === "InsufficientBalance" && isSpotSell(instrument, request.side) && sellable === undefined
  return placeMarketTracked(venue, request, retry, (refusal) => !firstRefusalForBase(refusal) && retryAsItIs()).pipe(
    Effect.map(Either.right),
    Effect.catchIf(firstRefusalForBase, (refusal) => Effect.map(heldToSell(venue, instrument, refusal, request.qty), Either.left))
  )
}

/** Reads the base asset the account holds free after `refusal` of a sell of `wanted`; none when the balance cannot be read. */
export const heldToSell = (venue: Exchange, instrument: Instrument, refusal: InsufficientBalance, wanted: Decimal): Effect.Effect<Sellable> => {
  const { base, quote } = instrument
  return venue.balances.pipe(
    Effect.map((balances): Sellable => {
      const held = balances.find((b) => b.asset === base)
      const free = held?.free ?? ZERO
      if (!BigDecimal.lessThan(free, wanted)) return { qty: free, refusal }
      // an open order of the account's own may hold some back too: say so, it is not the fees
      const locked = held !== undefined && BigDecimal.isPositive(held.locked) ? ` (${formatDecimal(held.locked)} more locked in open orders)` : ""
      const reason = `${refusal.reason}; the account holds ${formatDecimal(free)} ${base} free${locked} of the ${formatDecimal(wanted)} this sell needs: fees taken in ${base} ` +
        `come out of the ${base} the buy hedges bought, so keep some spare ${base} there (or have the venue charge its fees in ${quote})`
      return { qty: free, refusal: new InsufficientBalance({ venue: refusal.venue, reason }) }
    }),
    Effect.catchAll((error) => Effect.as(Effect.logWarning(`${venue.venue} balances unreadable after a refused sell: ${error.message}`), { qty: ZERO, refusal }))
  )
}

/**
 * `order` as the account can fund it: as it is, or a sell cut to what is held (on the venue's
 * step); the refusal when what is held is below the venue's smallest order at `price`.
 */
export const withinSellable = (
  order: { readonly side: Side; readonly qty: Decimal },
  sellable: Sellable | undefined,
  instrument: Instrument,
  price: Decimal
): { readonly side: Side; readonly qty: Decimal } | InsufficientBalance => {
  if (sellable === undefined || order.side !== "sell" || !BigDecimal.greaterThan(order.qty, sellable.qty)) return order
  const qty = floorQty(instrument, sellable.qty)
  return BigDecimal.lessThan(qty, minimumHedgeQty(instrument, price)) ? sellable.refusal : { side: "sell", qty }
}

/** What is left to sell after a sell executed `executed`. */
export const afterSale = (sellable: Sellable | undefined, executed: Decimal): Sellable | undefined =>
  sellable === undefined ? undefined : { ...sellable, qty: BigDecimal.subtract(sellable.qty, executed) }
