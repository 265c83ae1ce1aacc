/**
 * A venue that holds `held()` of the instrument's base (as its position and its base balance) and
 * 100000 of its quote, knows no order and trades nothing unless `extra` says otherwise: what a
 * runner test needs around a start-up (reconciliation, baselines, the kill switch's first reads).
 */
import { type BigDecimal, Effect, Option } from "effect"
import { decimal, ZERO } from "../../src/core/domain/decimal"
import type { Instrument } from "../../src/core/domain/instrument"
import type { Ticker } from "../../src/core/domain/market"
import { UnknownOrder } from "../../src/core/errors"
import type { Exchange } from "../../src/core/exchange"

export const idleVenue = (instrument: Instrument, ticker: Effect.Effect<Ticker>, held: () => BigDecimal.BigDecimal, extra: Partial<Exchange> = {}): Exchange =>
  ({
    venue: instrument.venue,
    instrument: Effect.succeed(instrument),
    ticker,
    position: Effect.sync(() => ({ venue: instrument.venue, symbol: instrument.symbol, qty: held() })),
    balances: Effect.sync(() => [{ venue: instrument.venue, asset: instrument.base, free: held(), locked: ZERO }, {
      venue: instrument.venue,
      asset: instrument.quote,
      free: decimal("100000"),
      locked: ZERO
    }]),
    nextFundingTime: Effect.succeed(Option.none()),
    openOrders: Effect.succeed([]),
    queryOrder: (ref) => Effect.fail(new UnknownOrder({ venue: instrument.venue, orderId: "orderId" in ref ? ref.orderId : ref.clientId })),
    cancel: (orderId) => Effect.fail(new UnknownOrder({ venue: instrument.venue, orderId })),
    placeLimit: () => Effect.never,
    placeMarket: () => Effect.never,
    nextUpdate: (within) => Effect.as(Effect.sleep(within), Option.none()),
    orderFills: () => Effect.succeed([]),
    ...extra
  }) as Exchange
