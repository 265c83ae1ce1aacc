/**
 * A venue's public side for paper-trading tests: a fixed ticker, a market stream the test drives
 * by hand (book tickers, trades, books), and order methods that are defects: paper trading must
 * never send an order to the live venue.
 */
import { Effect } from "effect"
import { decimal } from "../../src/core/domain/decimal"
import type { Instrument } from "../../src/core/domain/instrument"
import type { MarketEvent, Ticker } from "../../src/core/domain/market"
import type { Side } from "../../src/core/domain/order"
import type { Exchange } from "../../src/core/exchange"

type Levels = ReadonlyArray<readonly [string, string]>

export const scriptedPublicVenue = (instrument: Instrument, ticker: Ticker, overrides: Partial<Exchange> = {}) => {
  const listeners = new Set<(event: MarketEvent) => void>()
  const never = Effect.dieMessage("paper trading sent an order to the live venue")
  const venue: Exchange = {
    venue: instrument.venue,
    instrument: Effect.succeed(instrument),
    ticker: Effect.succeed(ticker),
    placeLimit: () => never,
    placeMarket: () => never,
    cancel: () => never,
    queryOrder: () => never,
    openOrders: never,
    nextUpdate: () => never,
    position: never,
    balances: never,
    nextFundingTime: Effect.succeedNone,
    watchMarket: (listener) => Effect.acquireRelease(Effect.sync(() => void listeners.add(listener)), () => Effect.sync(() => void listeners.delete(listener))),
    ...overrides
  }
  const send = (event: MarketEvent) => listeners.forEach((listener) => listener(event))
  const levels = (side: Levels) => side.map(([p, q]) => [decimal(p), decimal(q)] as const)
  return {
    venue,
    quote: (bid: string, bidQty: string, ask: string, askQty: string) =>
      send({ _tag: "Quote", quote: { venue: instrument.venue, ts: 0, bid: decimal(bid), bidQty: decimal(bidQty), ask: decimal(ask), askQty: decimal(askQty) } }),
    trade: (price: string, qty: string, takerSide: Side) => send({ _tag: "Trade", trade: { venue: instrument.venue, ts: 0, price: decimal(price), qty: decimal(qty), takerSide } }),
    book: (bids: Levels, asks: Levels) => send({ _tag: "Depth", depth: { venue: instrument.venue, ts: 0, bids: levels(bids), asks: levels(asks) } })
  }
}
