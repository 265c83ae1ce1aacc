/**
 * Paper venues over scripted public markets, for runner tests: Backpack's ASTER_USDC_PERP and
 * Aster's ASTERUSDT both quoted 1.5000 / 1.5004, and a taker who trades through each maker order's
 * price a moment after it rests. Tests wrap the venues to watch or break what they need.
 */
import { Effect } from "effect"
import type { HedgeConfig } from "../../src/core/config/config"
import { decimal, formatDecimal, ZERO } from "../../src/core/domain/decimal"
import type { Instrument } from "../../src/core/domain/instrument"
import type { Exchange } from "../../src/core/exchange"
import { makePaperExchange } from "../../src/live/paper-exchange"
import { PERP } from "./fake-local-venue"
import { scriptedPublicVenue } from "./public-venue"

export const HEDGE: Instrument = { ...PERP, venue: "aster-futures", symbol: "ASTERUSDT", quote: "USDT", minNotional: ZERO }
export const TICKER = { ts: 0, bid: decimal("1.5000"), ask: decimal("1.5004"), last: decimal("1.5002") }

/** Aster spot (the README's spot variant: `aster.base_url` on sapi) */
export const SPOT: Instrument = { ...HEDGE, venue: "aster-spot", kind: "spot" }

/**
 * `hedgeInstrument` (default Aster futures); `onHedge` runs after each hedge the hedge venue
 * executed; `takerQty`: the taker trades only this much, at each maker order's own price (a
 * partial fill; "0" none), instead of 1000 through it.
 */
export const paperVenuesWithTaker = (
  config: HedgeConfig,
  options: { readonly hedgeInstrument?: Instrument; readonly onHedge?: Effect.Effect<void>; readonly takerQty?: string } = {}
) => {
  const makerMarket = scriptedPublicVenue(PERP, TICKER)
  const hedgeMarket = scriptedPublicVenue(options.hedgeInstrument ?? HEDGE, TICKER)
  const onHedge = options.onHedge
  const venues = Effect.gen(function*() {
    const maker = yield* makePaperExchange(makerMarket.venue, { fees: config.sim.maker, quotePollMs: 50 })
    const hedge = yield* makePaperExchange(hedgeMarket.venue, { fees: config.sim.hedge, quotePollMs: 50 })
    return {
      maker: {
        ...maker,
        placeLimit: (request) =>
          Effect.tap(maker.placeLimit(request), () =>
            Effect.sync(() =>
              void setTimeout(() => {
                const takerSide = request.side === "sell" ? "buy" : "sell"
                if (options.takerQty !== undefined) makerMarket.trade(formatDecimal(request.price), options.takerQty, takerSide)
                else makerMarket.trade(request.side === "sell" ? "1.5010" : "1.4990", "1000", takerSide)
              }, 20)))
      } satisfies Exchange,
      hedge: onHedge === undefined ? hedge : { ...hedge, placeMarket: (request) => Effect.tap(hedge.placeMarket(request), () => onHedge) } satisfies Exchange
    }
  })
  return { makerMarket, hedgeMarket, venues }
}
