/**
 * An adapter's own line (debug) when a re-read of the venue's market finds new filters: from then
 * on it checks orders against them. The strategy says the same to the trader, at warning level.
 */
import { Effect } from "effect"
import { filterChanges, type Instrument } from "../../core/domain/instrument"

export const logFilterChange = (before: Instrument, after: Instrument): Effect.Effect<void> => {
  const changes = filterChanges(before, after)
  return changes.length === 0
    ? Effect.void
    : Effect.logDebug(`${after.venue} ${after.symbol}: filters changed (${changes.join(", ")}); orders are checked against the new ones`)
}
