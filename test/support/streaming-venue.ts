/**
 * A venue's public side for recorder tests: it streams what the test publishes on `taps`, and
 * announces the funding the test sets (none without `funding`); its order and account methods
 * are defects, as the recorder only reads public data.
 */
import { Effect, Option, Ref } from "effect"
import type { Instrument } from "../../src/core/domain/instrument"
import type { FundingQuote } from "../../src/core/domain/market"
import type { Exchange } from "../../src/core/exchange"
import type { MarketTaps } from "../../src/adapters/common/market-taps"

export const streamingVenue = (instrument: Instrument, taps: MarketTaps, funding?: Ref.Ref<Option.Option<FundingQuote>>): Exchange => {
  const unused = Effect.dieMessage("the recorder only reads public data")
  return {
    venue: instrument.venue,
    instrument: Effect.succeed(instrument),
    ticker: unused,
    placeLimit: () => unused,
    placeMarket: () => unused,
    cancel: () => unused,
    queryOrder: () => unused,
    openOrders: unused,
    nextUpdate: () => unused,
    position: unused,
    balances: unused,
    nextFundingTime: Effect.succeedNone,
    ...(funding !== undefined ? { fundingQuote: Ref.get(funding) } : {}),
    watchMarket: taps.watch
  }
}
