/**
 * The market states of the local venues, in each venue's own words, and the new orders each state
 * takes (cancels always work): Backpack's `orderBookState`, Aster's exchangeInfo symbol `status`.
 *
 * | venue | state | takes |
 * |---|---|---|
 * | backpack | `Open` | all orders |
 * | backpack | `PostOnly` | post-only limit orders only |
 * | backpack | `LimitOnly` | limit orders only (no market orders) |
 * | backpack | `CancelOnly`, `Closed` | no new orders |
 * | aster-futures | `TRADING` | all orders |
 * | aster-futures | `PENDING_TRADING`, `PRE_SETTLE`, `SETTLING`, `CLOSE` | no new orders |
 * | aster-spot | `TRADING` | all orders |
 * | aster-spot | `BREAK`, `HALT`, `PRE_TRADING`, `POST_TRADING`, `END_OF_DAY`, `AUCTION_MATCH` | no new orders |
 *
 * Aster's futures words are its documented contract statuses; its spot documentation lists
 * TRADING only, so the others are Binance spot's, which Aster's spot API follows.
 */
import type { MarketTrading } from "../../core/domain/instrument"
import type { Venue } from "../../core/domain/venue"

/** A new order as a market state sees it. */
export type OrderKind = "postOnlyLimit" | "limit" | "market"

const ALL: ReadonlyArray<OrderKind> = ["postOnlyLimit", "limit", "market"]
const NONE: ReadonlyArray<OrderKind> = []

const MARKET_STATES: Readonly<Record<Venue, Readonly<Record<string, ReadonlyArray<OrderKind>>>>> = {
  backpack: { Open: ALL, PostOnly: ["postOnlyLimit"], LimitOnly: ["postOnlyLimit", "limit"], CancelOnly: NONE, Closed: NONE },
  "aster-futures": { TRADING: ALL, PENDING_TRADING: NONE, PRE_SETTLE: NONE, SETTLING: NONE, CLOSE: NONE },
  "aster-spot": { TRADING: ALL, BREAK: NONE, HALT: NONE, PRE_TRADING: NONE, POST_TRADING: NONE, END_OF_DAY: NONE, AUCTION_MATCH: NONE }
}

/** The venue's words for its market states, the open one first. */
export const marketStatesOf = (venue: Venue): ReadonlyArray<string> => Object.keys(MARKET_STATES[venue])

/** The state a venue's market starts in: open to every order. */
export const openStateOf = (venue: Venue): string => marketStatesOf(venue)[0]!

/** Why `state` is not one of the venue's words (undefined: it is), e.g. `expected one of "Open", … on backpack, got "Opne"`. */
export const unknownStateProblem = (venue: Venue, state: string): string | undefined =>
  state in MARKET_STATES[venue]
    ? undefined
    : `expected one of ${marketStatesOf(venue).map((s) => JSON.stringify(s)).join(", ")} on ${venue}, got ${JSON.stringify(state)}`

/** What a state of the venue takes, as the core reads it (`Instrument.trading`); throws for a word the venue does not use. */
export const marketTradingOf = (venue: Venue, state: string): MarketTrading => {
  const problem = unknownStateProblem(venue, state)
  if (problem !== undefined) throw new Error(`${venue} has no market state ${JSON.stringify(state)}: ${problem}`)
  const takes = MARKET_STATES[venue][state]!
  return { state, makerOrders: takes.includes("postOnlyLimit"), takerOrders: takes.includes("market") }
}

/**
 * The orders a market takes. A word the venue's table lacks (an instrument read from a real venue,
 * as paper trading's) goes by the core's flags: a plain limit only where the market takes both kinds.
 */
const takenBy = (venue: Venue, trading: MarketTrading): ReadonlyArray<OrderKind> =>
  MARKET_STATES[venue][trading.state] ??
    ALL.filter((kind) => kind === "postOnlyLimit" ? trading.makerOrders : kind === "market" ? trading.takerOrders : trading.makerOrders && trading.takerOrders)

/** Whether the market takes no new order at all (resting orders then wait: nothing trades). */
export const takesNoOrders = (venue: Venue, trading: MarketTrading): boolean => takenBy(venue, trading).length === 0

const ORDERS: Record<OrderKind, string> = {
  postOnlyLimit: "post-only limit orders",
  limit: "limit orders that are not post-only",
  market: "market orders"
}

const described = (takes: ReadonlyArray<OrderKind>): string =>
  takes.length === ALL.length
    ? "all orders"
    : takes.length === 0
    ? "no new orders (cancels only)"
    // a market taking plain limits takes post-only ones too: short of all, it lacks market orders
    : takes.includes("limit")
    ? "limit orders only"
    : `${takes.map((kind) => ORDERS[kind]).join(" and ")} only`

/**
 * Why the market refuses a new order of this kind (undefined: it takes it), naming the state, e.g.
 * `order book is PostOnly: it takes post-only limit orders only, not market orders`.
 */
export const marketRefusal = (venue: Venue, trading: MarketTrading, kind: OrderKind): string | undefined => {
  const takes = takenBy(venue, trading)
  if (takes.includes(kind)) return undefined
  return `order book is ${trading.state}: it takes ${described(takes)}${takes.length === 0 ? "" : `, not ${ORDERS[kind]}`}`
}
