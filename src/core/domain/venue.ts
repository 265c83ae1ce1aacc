import { Schema } from "effect"

/** The venues hedgeloop trades on. Backpack is the maker venue; Aster (spot or futures) hedges. */
export const Venue = Schema.Literal("backpack", "aster-spot", "aster-futures")
export type Venue = typeof Venue.Type

export const venueLabel = (venue: Venue): string =>
  venue === "backpack" ? "BP" : "ASTER"

/** Perpetual venues pay and receive funding; spot venues do not. */
export const isPerpVenue = (venue: Venue): boolean => venue !== "aster-spot"
