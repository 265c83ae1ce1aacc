/**
 * An earlier run a start finds in its journal, as restart tests build it: run 1 (client ids
 * `hlold-…`) sold 10 on Backpack at 1.5 and hedged it by buying 10 on Aster at 1.5004, an hour
 * before the test; what of it the journal holds is each test's `write`.
 */
import { BigDecimal, Deferred, Effect, Logger } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { decimal, formatDecimal, ZERO } from "../../src/core/domain/decimal"
import type { Instrument } from "../../src/core/domain/instrument"
import { type Fill, type MarketOrderRequest, type Order, signedQty } from "../../src/core/domain/order"
import { UnknownOrder } from "../../src/core/errors"
import type { Exchange } from "../../src/core/exchange"
import type { HedgeConfig } from "../../src/core/config/config"
import { openJournal } from "../../src/live/journal"
import { runLive } from "../../src/live/runner"
import { testConfig } from "./config"
import { PERP } from "./fake-local-venue"
import { idleVenue } from "./idle-venue"

export const SPOT: Instrument = { ...PERP, venue: "aster-spot", symbol: "ASTERUSDT", quote: "USDT", kind: "spot" }
export const FUTURES: Instrument = { ...PERP, venue: "aster-futures", symbol: "ASTERUSDT", quote: "USDT" }
/** one cycle of 10, no waits: a start reconciles, then trades at most that */
export const config = testConfig({ trade: { quantity: "10", offset_percent: 0, first_wait_seconds: 30, between_legs_sleep: 0, cycle_sleep: 0, stop_before_funding_minutes: 0, max_cycles: 1 } })
export const KILLED_AT = Date.now() - 3_600_000
export const ticker = Effect.succeed({ ts: 0, bid: decimal("1.5000"), ask: decimal("1.5004"), last: decimal("1.5002") })

/** run 1's maker order: sold 10 */
export const makerOrder: Order = {
  venue: "backpack",
  symbol: PERP.symbol,
  id: "m1",
  clientId: "hlold-m1",
  side: "sell",
  type: "limit",
  price: decimal("1.5"),
  qty: decimal("10"),
  filledQty: decimal("10"),
  filledQuote: decimal("15"),
  status: "filled",
  postOnly: true,
  timeInForce: "GTC",
  createdAt: KILLED_AT - 3000,
  updatedAt: KILLED_AT - 2000
}
export const makerFill: Fill = {
  venue: "backpack",
  symbol: PERP.symbol,
  orderId: "m1",
  tradeId: "mt1",
  side: "sell",
  price: decimal("1.5"),
  qty: decimal("10"),
  fee: ZERO,
  feeAsset: "USDC",
  liquidity: "maker",
  ts: KILLED_AT - 2000
}

/** run 1's hedge of it on `instrument`'s venue, as that venue knows it (filled) */
export const hedgeOrderOn = (instrument: Instrument): Order => ({
  venue: instrument.venue,
  symbol: instrument.symbol,
  id: "h1",
  clientId: "hlold-h2",
  side: "buy",
  type: "market",
  qty: decimal("10"),
  filledQty: decimal("10"),
  filledQuote: decimal("15.004"),
  status: "filled",
  postOnly: false,
  timeInForce: "IOC",
  createdAt: KILLED_AT - 1900,
  updatedAt: KILLED_AT - 1900
})

/** A market order `id` for `request` on `instrument`, executed in full at the ask (1.5004), now. */
export const executedAtAsk = (instrument: Instrument, id: string, request: MarketOrderRequest): Order => ({
  ...hedgeOrderOn(instrument),
  id,
  clientId: request.clientId,
  side: request.side,
  qty: request.qty,
  filledQty: request.qty,
  filledQuote: BigDecimal.multiply(request.qty, decimal("1.5004")),
  createdAt: Date.now(),
  updatedAt: Date.now()
})

/** the fill of a whole hedge order */
export const hedgeFillOf = (order: Order, tradeId = `t-${order.id}`): Fill => ({
  ...makerFill,
  venue: order.venue,
  symbol: order.symbol,
  orderId: order.id,
  tradeId,
  side: order.side,
  price: decimal("1.5004"),
  qty: order.filledQty,
  liquidity: "taker",
  feeAsset: "USDT",
  ts: order.updatedAt
})

export type Journal = Effect.Effect.Success<ReturnType<typeof openJournal>>

/** A journal file (removed with the scope) holding run 1 of `kind`, hedging on `hedge`, whose records `write` makes. */
export const journalWithRun = (
  run: { readonly kind: "live" | "paper"; readonly hedge: Instrument; readonly prefix?: string },
  write: (journal: Journal, runId: number) => Effect.Effect<unknown, unknown>
) =>
  Effect.gen(function*() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hedgeloop-restart-"))
    yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
    const file = path.join(dir, "journal.db")
    yield* Effect.scoped(Effect.gen(function*() {
      const journal = yield* openJournal(file, "write")
      const runId = yield* journal.startRun({
        kind: run.kind,
        startedAt: KILLED_AT - 5000,
        config,
        maker: { venue: "backpack", symbol: PERP.symbol, quoteAsset: "USDC", baseAsset: "ASTER" },
        hedge: { venue: run.hedge.venue, symbol: run.hedge.symbol, quoteAsset: run.hedge.quote, baseAsset: "ASTER" },
        clientIdPrefix: run.prefix ?? "hlold-"
      })
      yield* write(journal, runId)
    }))
    return file
  })

/** the maker leg of run 1: intent, reply (filled) and fill all journalled */
export const makerLegJournalled = (journal: Journal, runId: number) =>
  Effect.gen(function*() {
    yield* journal.recordIntent({ kind: "limit", runId, venue: "backpack", clientId: makerOrder.clientId, side: "sell", qty: makerOrder.qty, price: makerOrder.price!, createdAt: KILLED_AT - 3000 })
    yield* journal.recordOrder(runId, makerOrder, KILLED_AT - 2000)
    yield* journal.recordFill(runId, makerFill)
  })

/**
 * Hedge venue state shared by the starts of one test: what it holds, the orders it knows by
 * client id (placed by a start, or `known` beforehand) and the market orders the starts sent;
 * `venue(extra)` serves it, `extra` overriding any of its answers.
 */
export const hedgeAccount = (instrument: Instrument, held: string, known: ReadonlyArray<Order>, history: (order: Order) => ReadonlyArray<Fill>) => {
  const state = { held: decimal(held), sent: [] as Array<MarketOrderRequest>, orders: new Map(known.map((o) => [o.clientId, o])) }
  const venue = (extra: Partial<Exchange> = {}): Exchange =>
    idleVenue(instrument, ticker, () => state.held, {
      placeMarket: (request) =>
        Effect.sync(() => {
          state.sent.push(request)
          state.held = BigDecimal.sum(state.held, signedQty(request.side, request.qty))
          const order = executedAtAsk(instrument, `r${state.sent.length}`, request)
          state.orders.set(request.clientId, order)
          return order
        }),
      queryOrder: (ref) =>
        Effect.suspend(() => {
          const order = "clientId" in ref ? state.orders.get(ref.clientId) : [...state.orders.values()].find((o) => o.id === ref.orderId)
          return order !== undefined ? Effect.succeed(order) : Effect.fail(new UnknownOrder({ venue: instrument.venue, orderId: "clientId" in ref ? ref.clientId : ref.orderId }))
        }),
      orderFills: (order) => Effect.sync(() => history(order)),
      ...extra
    })
  return { state, venue }
}

/** One live start on `file`, stopped as soon as it has reconciled; its log lines into `logs` when given. */
export const startOn = (file: string, maker: Exchange, hedge: Exchange, startConfig: HedgeConfig = config, logs?: Array<string>) =>
  Effect.gen(function*() {
    const stop = yield* Deferred.make<void>()
    yield* Deferred.succeed(stop, undefined)
    const run = runLive({ config: startConfig, kind: "live", journalPath: file, markEveryMs: 1000, stop, venues: Effect.succeed({ maker, hedge }) }).pipe(Effect.scoped, Effect.either)
    return yield* (logs === undefined ? run : run.pipe(Effect.provide(Logger.add(Logger.make(({ message }) => void logs.push(String(message)))))))
  })

/** The market orders a fake hedge venue was sent, as "buy 10". */
export const sentOf = (sent: ReadonlyArray<MarketOrderRequest>) => sent.map((m) => `${m.side} ${formatDecimal(m.qty)}`)
