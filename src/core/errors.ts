/** The typed failures every Exchange implementation (simulated or live) speaks. */
import { Data } from "effect"
import type { Venue } from "./domain/venue"

/** The venue refused the request (an order, or a signed read); `reason` is the venue's own message. */
export class OrderRejected extends Data.TaggedError("OrderRejected")<{
  readonly venue: Venue
  readonly reason: string
  readonly code?: string
  /** true when a post-only order was refused because it would have taken liquidity */
  readonly wouldTake?: boolean
  /** true when the order was not sent because its client id stands for one already in use (Backpack's are numbers): another id may go */
  readonly clientIdTaken?: boolean
}> {
  override get message() {
    // said of reads too (a bad signature on a balance read): "the request", not "the order"
    return `${this.venue} refused the request${this.code ? ` (${this.code})` : ""}: ${this.reason}`
  }
}

export class InsufficientBalance extends Data.TaggedError("InsufficientBalance")<{
  readonly venue: Venue
  readonly reason: string
}> {
  override get message() {
    return `${this.venue}: insufficient balance: ${this.reason}`
  }
}

export class RateLimited extends Data.TaggedError("RateLimited")<{
  readonly venue: Venue
  readonly retryAfterMs?: number
}> {
  override get message() {
    return `${this.venue}: rate limited${this.retryAfterMs !== undefined ? `, retry after ${this.retryAfterMs} ms` : ""}`
  }
}

/** Timeouts, 5xx, dropped connections: the request's outcome is unknown. */
export class VenueUnavailable extends Data.TaggedError("VenueUnavailable")<{
  readonly venue: Venue
  readonly reason: string
}> {
  override get message() {
    return `${this.venue} unavailable: ${this.reason}`
  }
}

export class UnknownOrder extends Data.TaggedError("UnknownOrder")<{
  readonly venue: Venue
  readonly orderId: string
}> {
  override get message() {
    return `${this.venue}: unknown order ${this.orderId}`
  }
}

/** The venue answered something we could not decode; `detail` names the field. */
export class InvalidResponse extends Data.TaggedError("InvalidResponse")<{
  readonly venue: Venue
  readonly detail: string
}> {
  override get message() {
    return `${this.venue} sent an invalid response: ${this.detail}`
  }
}

export type ExchangeError =
  | OrderRejected
  | InsufficientBalance
  | RateLimited
  | VenueUnavailable
  | UnknownOrder
  | InvalidResponse

/**
 * The exit code a failure asks its command to end with (an `exitCode` property, a positive
 * integer: an account the bot cannot trade exits 4), if it carries one.
 */
export const carriedExitCode = (error: unknown): number | undefined =>
  typeof error === "object" && error !== null && "exitCode" in error && Number.isInteger(error.exitCode) && (error.exitCode as number) > 0
    ? (error.exitCode as number)
    : undefined
