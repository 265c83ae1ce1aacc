/**
 * The abstract Exchange service the strategy trades through. The simulator and the live adapters
 * implement it; the strategy never knows which one it has.
 */
import { Context, type Duration, type Effect, type Option, type Scope } from "effect"
import type { FundingPayment } from "./accounting/ledger"
import type { Balance, FeeRates, OpeningMargin, Position } from "./domain/account"
import type { Instrument } from "./domain/instrument"
import type { FundingQuote, MarketEvent, Ticker } from "./domain/market"
import type { Decimal } from "./domain/decimal"
import type { Fill, LimitOrderRequest, MarketOrderRequest, Order, OrderUpdate, Side } from "./domain/order"
import type { Venue } from "./domain/venue"
import type { ExchangeError } from "./errors"

export type OrderRef = { readonly orderId: string } | { readonly clientId: string }

export interface Exchange {
  readonly venue: Venue
  /** tick size, step size, minimum quantity and notional, as last read from the venue */
  readonly instrument: Effect.Effect<Instrument, ExchangeError>
  /**
   * Optional, live venues: reads the instrument's filters anew from the venue (a venue may change
   * a symbol's tick or step size, or its minimums, while a run goes on); `instrument` and the
   * adapter's own checks of an order's grid follow the new ones from then on. Absent where the
   * filters cannot change (a backtest replays a recording's).
   */
  readonly refreshInstrument?: Effect.Effect<Instrument, ExchangeError>
  /** best bid/ask and last traded price as the strategy currently sees them */
  readonly ticker: Effect.Effect<Ticker, ExchangeError>
  /** resolves once the venue acknowledged (or refused) the order */
  readonly placeLimit: (request: LimitOrderRequest) => Effect.Effect<Order, ExchangeError>
  /** resolves with the executed order (its fills also arrive on the update stream) */
  readonly placeMarket: (request: MarketOrderRequest) => Effect.Effect<Order, ExchangeError>
  /** resolves with the order's final state: a fill that raced the cancel shows in `filledQty` */
  readonly cancel: (orderId: string) => Effect.Effect<Order, ExchangeError>
  /** by venue order id, or by our client id (how a placement that timed out is looked up) */
  readonly queryOrder: (ref: OrderRef) => Effect.Effect<Order, ExchangeError>
  /** the account's open orders on this symbol, ours or not (start-up reconciliation reads them) */
  readonly openOrders: Effect.Effect<ReadonlyArray<Order>, ExchangeError>
  /**
   * Optional: the venue's fill history of one order. The live runner reads it for an order whose
   * fills it may have missed (a crash, a stream gap), so the journal and the report stay complete.
   */
  readonly orderFills?: (order: Order) => Effect.Effect<ReadonlyArray<Fill>, ExchangeError>
  /**
   * The next own-order update (acknowledgement, fill, cancel), or none once `within` has passed.
   * This is the order stream's pull side: in a backtest waiting here is what advances the replay.
   */
  readonly nextUpdate: (within: Duration.DurationInput) => Effect.Effect<Option.Option<OrderUpdate>, ExchangeError>
  readonly position: Effect.Effect<Position, ExchangeError>
  readonly balances: Effect.Effect<ReadonlyArray<Balance>, ExchangeError>
  /**
   * Optional, perps on a live account: the margin a new position draws on and the symbol's
   * leverage. A live start checks that one hedge can open: the venue would refuse it for margin
   * only after the maker leg filled.
   */
  readonly openingMargin?: Effect.Effect<OpeningMargin, ExchangeError>
  /**
   * Optional, live accounts: the largest limit order of `side` at `price` the account's balances
   * and margin allow now. A live start checks the maker's first order fits.
   */
  readonly maxOrderQty?: (side: Side, price: Decimal) => Effect.Effect<Decimal, ExchangeError>
  /**
   * Optional, live accounts: the fee rates this account pays on the instrument (its tier). `--check`
   * sets them beside the rates the config's backtests and paper runs assume.
   */
  readonly feeRates?: Effect.Effect<FeeRates, ExchangeError>
  /** the venue's next funding time (ms since epoch); none on spot venues */
  readonly nextFundingTime: Effect.Effect<Option.Option<number>, ExchangeError>
  /**
   * Optional: the funding payments the venue booked on this symbol since `sinceMs` (funding time),
   * oldest first, amounts signed (received positive, paid negative); none on spot venues.
   */
  readonly fundingPayments?: (sinceMs: number) => Effect.Effect<ReadonlyArray<FundingPayment>, ExchangeError>
  /**
   * Optional, public data: the rate the venue announces for its next funding time and its mark
   * price; none on spot venues. Paper trading settles its simulated positions with it.
   */
  readonly fundingQuote?: Effect.Effect<Option.Option<FundingQuote>, ExchangeError>
  /**
   * Optional, public data: hands every book-ticker and trade message of the symbol to `listener`
   * as it arrives, until the scope closes (`npm run live --record` keeps them). The listener runs
   * inside the socket's message handler, so it must be quick and must not throw.
   */
  readonly watchMarket?: (listener: (event: MarketEvent) => void) => Effect.Effect<void, never, Scope.Scope>
}

/** The venue where the strategy rests limit orders (Backpack). */
export class MakerVenue extends Context.Tag("hedgeloop/MakerVenue")<MakerVenue, Exchange>() {}

/** The venue where each maker fill is hedged with a market order (Aster). */
export class HedgeVenue extends Context.Tag("hedgeloop/HedgeVenue")<HedgeVenue, Exchange>() {}
