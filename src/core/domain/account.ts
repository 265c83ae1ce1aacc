import { Schema } from "effect"
import { DecimalString } from "./decimal"
import { Venue } from "./venue"

/** Signed base quantity held on a venue (negative = short; spot: base balance change). */
export const Position = Schema.Struct({
  venue: Venue,
  symbol: Schema.String,
  qty: DecimalString
})
export type Position = typeof Position.Type

export const Balance = Schema.Struct({
  venue: Venue,
  asset: Schema.String,
  free: DecimalString,
  locked: DecimalString
})
export type Balance = typeof Balance.Type

/**
 * What opening a perp position takes on a venue: its initial margin (notional / leverage) comes
 * out of `available` of the margin asset. With margin shared across assets (Aster's Multi-Assets
 * mode) other assets pay for it too, so `available` alone may understate it.
 */
export const OpeningMargin = Schema.Struct({
  venue: Venue,
  asset: Schema.String,
  available: DecimalString,
  leverage: DecimalString,
  sharedAcrossAssets: Schema.Boolean
})
export type OpeningMargin = typeof OpeningMargin.Type

/** The maker and taker fee rates an account pays on a market (its fee tier), as fractions of the notional. */
export const FeeRates = Schema.Struct({
  venue: Venue,
  symbol: Schema.String,
  maker: DecimalString,
  taker: DecimalString
})
export type FeeRates = typeof FeeRates.Type
