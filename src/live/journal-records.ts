/**
 * The journal's records: what its service takes and gives back, apart from how they are stored
 * (`journal-rows.ts`), so that a reader of the journal's API need not read its SQL. `journal.ts`
 * re-exports them.
 */
import { type Option, Schema } from "effect"
import type { HedgeConfig } from "../core/config/config"
import { type Decimal, DecimalString } from "../core/domain/decimal"
import { type Order, Side } from "../core/domain/order"
import type { Venue } from "../core/domain/venue"

export type RunKind = "live" | "paper"

export interface RunVenue {
  readonly venue: Venue
  readonly symbol: string
  readonly quoteAsset: string
  readonly baseAsset: string
}

export interface RunStart {
  readonly kind: RunKind
  readonly startedAt: number
  /** stored through describeConfig (secrets as set/empty); its secrets are scrubbed from all text */
  readonly config: HedgeConfig
  readonly maker: RunVenue
  readonly hedge: RunVenue
  readonly clientIdPrefix: string
}

export interface RunEnd {
  readonly endedAt: number
  readonly outcome: string
  readonly message?: string
  /** some order of the run filled more than the journal's fills hold (the venue's history lagged): the next start reads them */
  readonly fillsLacking?: boolean
}

export interface Run {
  readonly id: number
  readonly kind: RunKind
  readonly startedAt: number
  /** none: still running, or the process died */
  readonly endedAt: Option.Option<number>
  readonly outcome: Option.Option<string>
  readonly message: Option.Option<string>
  /** describeConfig's output, as stored */
  readonly config: unknown
  readonly maker: RunVenue
  readonly hedge: RunVenue
  readonly clientIdPrefix: string
  /** it ended with fills the journal lacks (`RunEnd.fillsLacking`), not read since */
  readonly fillsLacking: boolean
}

/** A request about to be sent. Cancels are keyed by the order they cancel. */
export type Intent =
  | { readonly kind: "limit"; readonly runId: number; readonly venue: Venue; readonly clientId: string; readonly side: Side; readonly qty: Decimal; readonly price: Decimal; readonly createdAt: number }
  | { readonly kind: "market"; readonly runId: number; readonly venue: Venue; readonly clientId: string; readonly side: Side; readonly qty: Decimal; readonly createdAt: number }
  | { readonly kind: "cancel"; readonly runId: number; readonly venue: Venue; readonly orderId: string; readonly createdAt: number }

export const cancelIntentId = (runId: number, venue: Venue, orderId: string): string => `cancel:${runId}:${venue}:${orderId}`

/** An intent whose outcome is not known to be settled: look it up (by client id) before acting. */
export interface PendingIntent {
  readonly clientId: string
  readonly runId: number
  readonly venue: Venue
  readonly kind: Intent["kind"]
  readonly side: Option.Option<Side>
  readonly qty: Option.Option<Decimal>
  readonly price: Option.Option<Decimal>
  /** placements: the venue's id if an answer named it; cancels: the order to cancel */
  readonly orderId: Option.Option<string>
  /** when it was last sent (a retry under the same client id moves it) */
  readonly createdAt: number
  readonly attempts: number
  /** the order's latest known state (still open), if any */
  readonly order: Option.Option<Order>
}

export type HedgeState = "sent" | "done" | "failed"

/** The outcome a restart writes for a run whose process never closed it (killed or crashed). */
export const KILLED = "killed"

export interface HedgeRecord {
  readonly clientId: string
  readonly runId: number
  readonly side: Side
  readonly qty: Decimal
  /** when it was sent; its result's time when the strategy reports one */
  readonly ts: number
  /**
   * settled later (a restart's lookup): the row keeps its time, so the run it belongs to still
   * ends at its own last record, not at the restart
   */
  readonly settledLater?: boolean
  readonly state: HedgeState
  readonly cycle?: number
  readonly leg?: 1 | 2
  readonly executedQty?: Decimal
  readonly executedQuote?: Decimal
  /** the best opposite price seen when the hedge was sent (slippage reference) */
  readonly referencePrice?: Decimal
}

export interface Hedge {
  readonly clientId: string
  readonly runId: number
  readonly side: Side
  readonly qty: Decimal
  readonly ts: number
  readonly state: HedgeState
  readonly cycle: Option.Option<number>
  readonly leg: Option.Option<1 | 2>
  readonly executedQty: Option.Option<Decimal>
  readonly executedQuote: Option.Option<Decimal>
  readonly referencePrice: Option.Option<Decimal>
}

/** A hedge sent and never confirmed: settle it by client id before any other hedge goes out. */
export interface HedgeInDoubt extends Hedge {
  /** what the venue last told us about it (a reply or stream message recorded before the crash) */
  readonly order: Option.Option<Order>
}

export const CycleEventDetail = Schema.Union(
  Schema.Struct({ event: Schema.Literal("started") }),
  Schema.Struct({ event: Schema.Literal("funding-pause"), fundingTime: Schema.Number }),
  Schema.Struct({
    event: Schema.Literal("maker-order"),
    leg: Schema.Literal(1, 2),
    orderId: Schema.String,
    side: Side,
    price: DecimalString,
    qty: DecimalString,
    repost: Schema.Boolean
  }),
  Schema.Struct({
    event: Schema.Literal("leg-completed"),
    leg: Schema.Literal(1, 2),
    side: Side,
    startedAt: Schema.Number,
    filledAt: Schema.Number,
    orders: Schema.Number
  }),
  Schema.Struct({
    event: Schema.Literal("hedge-failed"),
    leg: Schema.Literal(1, 2),
    clientId: Schema.String,
    side: Side,
    qty: DecimalString,
    reason: Schema.String
  })
)
export type CycleEventDetail = typeof CycleEventDetail.Type

export interface CycleEvent {
  readonly runId: number
  readonly cycle: number
  readonly ts: number
  readonly detail: CycleEventDetail
}

/** A venue's filters changed during a run (the strategy's FiltersChanged, as journalled). */
export interface FilterChange {
  readonly runId: number
  readonly cycle: number
  readonly venue: Venue
  readonly symbol: string
  readonly ts: number
  /** e.g. "tick 0.0001 → 0.001" */
  readonly changes: ReadonlyArray<string>
  /** what made the strategy read them */
  readonly why: string
}

export interface Mark {
  readonly venue: Venue
  readonly price: Decimal
  readonly ts: number
}

/** Which runs a read covers: one, several, or (undefined) all. */
export type RunFilter = number | ReadonlyArray<number> | undefined
