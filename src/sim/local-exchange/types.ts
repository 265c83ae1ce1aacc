/**
 * The contract between the local exchange's shared core (matching, accounts, faults: owned by
 * `venue-book.ts`, `accounts.ts`, `faults.ts`, `server.ts`) and the per-venue wire protocols
 * (`backpack/`, `aster/`), which translate HTTP/WebSocket requests into these calls and these
 * results into the venues' exact response shapes.
 */
import type { Effect } from "effect"
import type { FundingPayment } from "../../core/accounting/ledger"
import type { Balance } from "../../core/domain/account"
import type { Decimal } from "../../core/domain/decimal"
import type { Instrument } from "../../core/domain/instrument"
import type { Fill, Order, OrderUpdate, Side, TimeInForce } from "../../core/domain/order"
import type { Venue } from "../../core/domain/venue"

/** An order reference as the venues accept it: their id, or our client id. */
export type LocalOrderRef = { readonly orderId: string } | { readonly clientId: string }

export interface LocalTicker {
  readonly ts: number
  readonly bid: Decimal
  readonly bidQty: Decimal
  readonly ask: Decimal
  readonly askQty: Decimal
  readonly last: Decimal
}

export interface LocalFunding {
  readonly markPrice: Decimal
  readonly indexPrice: Decimal
  /** the rate of the current interval, a fraction */
  readonly rate: Decimal
  /** ms */
  readonly nextFundingTime: number
  readonly intervalHours: number
}

/** One funding settlement of a perp venue. */
export interface LocalFundingEvent {
  /** the funding time, ms */
  readonly ts: number
  readonly rate: Decimal
  readonly markPrice: Decimal
}

export type LocalMarketEvent =
  | { readonly kind: "quote"; readonly ts: number; readonly bid: Decimal; readonly bidQty: Decimal; readonly ask: Decimal; readonly askQty: Decimal }
  | { readonly kind: "trade"; readonly ts: number; readonly price: Decimal; readonly qty: Decimal; readonly takerSide: Side; readonly tradeId: number }
  /** the levels behind the best ones changed (a depth snapshot): `depth()` answers differently */
  | { readonly kind: "depth"; readonly ts: number }

/** New values for some of a venue's filters; those left out stay as they are. */
export interface LocalFilterChange {
  readonly tickSize?: Decimal
  readonly stepSize?: Decimal
  readonly minQty?: Decimal
  readonly minNotional?: Decimal
}

/**
 * One venue of the local exchange: a matching engine fed by a tick file replayed in real time
 * (or a scripted market in tests), with per-account orders, fills, positions and balances.
 * Rejected orders come back with status "rejected", `rejectReason`, and `rejectCode` one of
 * tick | step | minQty | minNotional | postOnly | noLiquidity | insufficientBalance | duplicateClientId
 * | marketClosed (the market's state takes no order of that kind: the reason names the state).
 */
export interface LocalVenue {
  readonly venue: Venue
  /**
   * The symbol, its filters and its market state (`trading`, absent: open to every order) as they
   * are now: read it per request, they may change (`changeFilters`, `changeMarketState`).
   */
  readonly instrument: Instrument
  /**
   * The venue changes the symbol's filters, as real venues sometimes do while a bot runs: orders
   * entered from now on are checked against the new ones, resting orders stay as they are.
   * Returns the new instrument; throws (naming the field and value) for a value the venue cannot
   * take: off its price or quantity units, a tick or step that is not positive, a negative minimum.
   */
  readonly changeFilters: (change: LocalFilterChange) => Instrument
  /**
   * The venue stops or resumes taking orders on the symbol (`state` in its own words, e.g.
   * "CancelOnly", "SETTLING"; see market-states.ts): orders the state does not take are refused
   * from now on (`marketClosed`), cancels still work, resting orders stay. Returns the new
   * instrument; throws (listing the venue's words) for a word the venue does not use. Absent: the
   * venue's market never changes state.
   */
  readonly changeMarketState?: (state: string) => Instrument
  /** venue time, ms */
  readonly now: () => number
  readonly ticker: () => LocalTicker | undefined
  readonly depth: (limit: number) => { readonly ts: number; readonly bids: ReadonlyArray<readonly [Decimal, Decimal]>; readonly asks: ReadonlyArray<readonly [Decimal, Decimal]> }
  /** none on spot venues */
  readonly funding: () => LocalFunding | undefined
  /** perps: the funding settlements so far, oldest first (absent or empty: none) */
  readonly fundingHistory?: () => ReadonlyArray<LocalFundingEvent>
  /** perps: the funding payments booked to an account, oldest first (absent or empty: none) */
  readonly fundingPayments?: (account: string) => ReadonlyArray<FundingPayment>
  readonly placeLimit: (account: string, request: { readonly clientId: string; readonly side: Side; readonly price: Decimal; readonly qty: Decimal; readonly postOnly: boolean; readonly timeInForce: TimeInForce; readonly reduceOnly?: boolean }) => Order & { readonly rejectCode?: string }
  readonly placeMarket: (account: string, request: { readonly clientId: string; readonly side: Side; readonly qty: Decimal; readonly reduceOnly?: boolean }) => Order & { readonly rejectCode?: string }
  /** the order's final state; undefined for an order this account does not have */
  readonly cancel: (account: string, ref: LocalOrderRef) => Order | undefined
  readonly order: (account: string, ref: LocalOrderRef) => Order | undefined
  readonly openOrders: (account: string) => ReadonlyArray<Order>
  readonly fills: (account: string, sinceMs?: number) => ReadonlyArray<Fill>
  /** signed base quantity */
  readonly position: (account: string) => Decimal
  /** perps: the margin leverage every account trades at (a whole number; 1 on spot) */
  readonly leverage: number
  /** the largest limit order of `side` at `price` the account can afford now (whole steps); absent: not told */
  readonly maxOrderQty?: (account: string, side: Side, price: Decimal) => Decimal
  /** the maker and taker rates every account pays here (absent: not told) */
  readonly fees?: { readonly maker: Decimal; readonly taker: Decimal }
  readonly balances: (account: string) => ReadonlyArray<Balance>
  /** perps: the account's unrealised PnL at the mark, in the quote asset, counted in its balance there (absent: none) */
  readonly unrealizedPnl?: (account: string) => Decimal
  /** own-order messages (accepted, fill, cancelled) for an account; returns the unsubscribe */
  readonly onOrderUpdate: (account: string, listener: (update: OrderUpdate) => void) => () => void
  readonly onMarket: (listener: (event: LocalMarketEvent) => void) => () => void
}

/** What a fault plan decides for one request or one outgoing WebSocket message. */
export type HttpFault =
  | { readonly kind: "none" }
  | { readonly kind: "delay"; readonly ms: number }
  | { readonly kind: "status"; readonly status: 500 | 502 | 503 | 504 }
  | { readonly kind: "rateLimit"; readonly retryAfterSeconds: number }
  | { readonly kind: "timeout" }
  | { readonly kind: "malformed" }
  /**
   * a business refusal, request not executed: HTTP 400 with the venue's error body; `code` is the
   * venue's (Aster a negative number, default -2019; Backpack a name, default INSUFFICIENT_FUNDS)
   * and `message` its text (default the venue's own wording for that default code)
   */
  | { readonly kind: "reject"; readonly code?: number | string; readonly message?: string }

export type SocketFault =
  | { readonly kind: "none" }
  | { readonly kind: "drop" }
  | { readonly kind: "duplicate" }
  | { readonly kind: "disconnect" }
  /** sent with its text cut off halfway (not JSON) */
  | { readonly kind: "malformed" }
  /** held back and sent right after the connection's next message, or after `ms` (default 200) if none comes */
  | { readonly kind: "reorder"; readonly ms?: number }

/**
 * A change of the market the fault plan makes (`filters`, `markets`): `entry` names it in
 * messages, e.g. "filters.0" or "markets.1".
 */
export type PlannedMarketChange =
  /** some of the venue's filters replaced */
  | { readonly kind: "filters"; readonly entry: string; readonly venue: Venue; readonly change: LocalFilterChange }
  /** the venue's market state, in its own words (e.g. "SETTLING") */
  | { readonly kind: "state"; readonly entry: string; readonly venue: Venue; readonly state: string }

/** What makes a planned market change due; `ms` is the time since the exchange started. */
export type MarketChangeTrigger =
  /** the venue has just answered an order placement (any account) */
  | { readonly kind: "orderPlaced"; readonly ms: number }
  /** time passes */
  | { readonly kind: "elapsed"; readonly ms: number }

export interface Faults {
  /** decided once per request, before it is handled (route = "METHOD /path") */
  readonly http: (venue: Venue, route: string) => Effect.Effect<HttpFault>
  /** decided once per outgoing WebSocket message on a stream */
  readonly socket: (venue: Venue, stream: string) => Effect.Effect<SocketFault>
  /**
   * Planned market changes, of filters and of market state (absent: none): `planned` lists them
   * all (checked against the venues when the exchange starts), `due` gives those of `venue` that
   * `trigger` makes due, each once, in plan order (filters first). Synchronous: an order
   * placement's change happens before the next request is handled.
   */
  readonly marketChanges?: {
    readonly planned: () => ReadonlyArray<PlannedMarketChange>
    readonly due: (venue: Venue, trigger: MarketChangeTrigger) => ReadonlyArray<PlannedMarketChange>
  }
}

/** Credentials the local venues accept; Backpack accepts any ED25519 key pair. */
export interface LocalAccounts {
  /** Aster V1: API key → { account, secret } */
  readonly asterV1: (apiKey: string) => { readonly account: string; readonly secret: string } | undefined
  /** Aster V3: user + signer addresses → account (the signature proves the signer) */
  readonly asterV3: (user: string, signer: string) => { readonly account: string } | undefined
  /** Backpack: the API key (ED25519 public key, base64) is the account */
  readonly backpack: (apiKey: string) => { readonly account: string }
}
