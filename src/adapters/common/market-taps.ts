/**
 * The listeners of an adapter's public market messages (Exchange.watchMarket). Adapters call
 * `publish` from their socket handlers with a thunk, so no event is built while nobody listens.
 */
import { Effect, type Scope } from "effect"
import type { MarketEvent } from "../../core/domain/market"

export interface MarketTaps {
  readonly publish: (event: () => MarketEvent) => void
  /** whether anyone listens (what only listeners need, such as a REST poll, can be skipped) */
  readonly listening: () => boolean
  readonly watch: (listener: (event: MarketEvent) => void) => Effect.Effect<void, never, Scope.Scope>
}

export const makeMarketTaps = (): MarketTaps => {
  const listeners = new Set<(event: MarketEvent) => void>()
  return {
    listening: () => listeners.size > 0,
    publish: (event) => {
      if (listeners.size === 0) return
      const built = event()
      for (const listener of listeners) listener(built)
    },
    watch: (listener) =>
      Effect.acquireRelease(Effect.sync(() => void listeners.add(listener)), () => Effect.sync(() => void listeners.delete(listener)))
  }
}
