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
