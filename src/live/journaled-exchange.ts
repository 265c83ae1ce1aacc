/**
 * Puts the journal between the strategy and a venue. Every order request is journalled as an
 * intent BEFORE it is sent (a market order's intent is also its hedge's `sent` record), then the
 * venue's answer; every own-order update is handed to the journal before the strategy sees it
 * (written behind: the hedge it triggers leaves first, see `JournalService.recordUpdate`);
 * lookups are journalled too. A new maker order whose intent cannot be written is not sent (the
 * fiber dies): without its record a restart could not recognise it. Every other write is the
 * guard's (`journal-guard.ts`): a journal that fails stops the run, which still winds down.
 *
 * The strategy reads only the maker venue's update stream. The hedge venue's fills (with their
 * fees) reach the journal only if someone reads its stream: the runner forks `drainUpdates` on
 * the journaled hedge venue for the whole run, and drains both venues once the strategy stopped.
 */
import { BigDecimal, Clock, type Duration, Effect, Option } from "effect"
import type { Order } from "../core/domain/order"
import type { ExchangeError } from "../core/errors"
import type { Exchange } from "../core/exchange"
import type { StrategyObserverService } from "../core/strategy/observer"
import { cancelIntentId, type CycleEventDetail, type JournalError, type JournalService } from "./journal"

/** A journal call that fails here is a defect: the guard lets only a maker order's intent fail. */
const mustWrite = <A>(effect: Effect.Effect<A, JournalError>): Effect.Effect<A> => Effect.orDie(effect)

/** Errors that mean the venue placed nothing (anything else may have reached it). */
const placementRefused = (error: ExchangeError) => error._tag === "OrderRejected" || error._tag === "InsufficientBalance"
/** Errors that mean the order is not open there (cancelTracked then reads it back). */
const cancelRefused = (error: ExchangeError) => error._tag === "OrderRejected" || error._tag === "UnknownOrder"

export const journaled = (exchange: Exchange, journal: JournalService, runId: number): Exchange => {
  const venue = exchange.venue
  const now = Clock.currentTimeMillis

  const recordAnswer = (order: Order) => Effect.flatMap(now, (ts) => mustWrite(journal.recordOrder(runId, order, ts)))
  const recordRefusal = (clientId: string, reason: string) => Effect.flatMap(now, (ts) => mustWrite(journal.recordIntentRefused(clientId, reason, ts)))
  const refusedIf = (clientId: string, refused: (error: ExchangeError) => boolean) => (error: ExchangeError) =>
    refused(error) ? recordRefusal(clientId, error.message) : Effect.void
  /** a placement answered "rejected" with nothing filled placed nothing either */
  const placementAnswer = (clientId: string) => (order: Order) =>
    Effect.zipRight(
      recordAnswer(order),
      order.status === "rejected" && BigDecimal.isZero(order.filledQty) ? recordRefusal(clientId, order.rejectReason ?? "rejected") : Effect.void
    )

  return {
    venue,
    instrument: exchange.instrument,
    ticker: exchange.ticker,
    position: exchange.position,
    balances: exchange.balances,
    nextFundingTime: exchange.nextFundingTime,
    placeLimit: (request) =>
      Effect.gen(function*() {
        const createdAt = yield* now
        yield* mustWrite(journal.recordIntent({ kind: "limit", runId, venue, clientId: request.clientId, side: request.side, qty: request.qty, price: request.price, createdAt }))
        return yield* exchange.placeLimit(request).pipe(Effect.tap(placementAnswer(request.clientId)), Effect.tapError(refusedIf(request.clientId, placementRefused)))
      }),
    placeMarket: (request) =>
      Effect.gen(function*() {
        const createdAt = yield* now
        yield* mustWrite(journal.recordIntent({ kind: "market", runId, venue, clientId: request.clientId, side: request.side, qty: request.qty, createdAt }))
        return yield* exchange.placeMarket(request).pipe(Effect.tap(placementAnswer(request.clientId)), Effect.tapError(refusedIf(request.clientId, placementRefused)))
      }),
    cancel: (orderId) =>
      Effect.gen(function*() {
        const createdAt = yield* now
        yield* mustWrite(journal.recordIntent({ kind: "cancel", runId, venue, orderId, createdAt }))
        return yield* exchange.cancel(orderId).pipe(Effect.tap(recordAnswer), Effect.tapError(refusedIf(cancelIntentId(runId, venue, orderId), cancelRefused)))
      }),
    queryOrder: (ref) => exchange.queryOrder(ref).pipe(Effect.tap(recordAnswer)),
    // history reads: the runner journals what they return (fills recorded twice are a no-op)
    // a read of the venue's filters: nothing to journal, and the venue's own checks follow it
    ...(exchange.refreshInstrument !== undefined ? { refreshInstrument: exchange.refreshInstrument } : {}),
    ...(exchange.orderFills !== undefined ? { orderFills: exchange.orderFills } : {}),
    ...(exchange.fundingPayments !== undefined ? { fundingPayments: exchange.fundingPayments } : {}),
    ...(exchange.openingMargin !== undefined ? { openingMargin: exchange.openingMargin } : {}),
    ...(exchange.maxOrderQty !== undefined ? { maxOrderQty: exchange.maxOrderQty } : {}),
    ...(exchange.feeRates !== undefined ? { feeRates: exchange.feeRates } : {}),
    // the account's open orders, ours or not: not journalled (a foreign order would look like ours);
    // the runner settles each of ours it finds with queryOrder, which is journalled
    openOrders: exchange.openOrders,
    // an update taken off the stream is handed to the journal before anything can interrupt: it is never lost in between
    nextUpdate: (within) =>
      Effect.uninterruptibleMask((restore) =>
        restore(exchange.nextUpdate(within)).pipe(
          Effect.tap(Option.match({
            onNone: () => Effect.void,
            onSome: (update) => Effect.flatMap(now, (ts) => mustWrite(journal.recordUpdate(runId, update, ts)))
          }))
        )
      )
  }
}

/**
 * Reads a venue's own-order stream (through `journaled`, so every message is recorded) until
 * nothing came for `quiet`; returns how many messages were read. Fork `Effect.forever` of it on
 * the hedge venue, whose stream the strategy never reads.
 */
export const drainUpdates = (venue: Exchange, quiet: Duration.DurationInput): Effect.Effect<number, ExchangeError> =>
  Effect.gen(function*() {
    let read = 0
    while (Option.isSome(yield* venue.nextUpdate(quiet))) read += 1
    return read
  })

/**
 * Journals what the strategy reports: cycle starts, funding pauses, maker orders and completed
 * legs and failed hedge attempts as `cycles` rows, and each hedge's result (the `sent` row
 * opened by its intent becomes `done`; a refusal already made it `failed`, a lost reply left it
 * `sent`: in doubt). Exposure changes are not journalled: the ledger rebuilt from the fills has them.
 */
export const journalObserver = (journal: JournalService, runId: number): StrategyObserverService => {
  const event = (cycle: number, ts: number, detail: CycleEventDetail) => mustWrite(journal.recordCycleEvent({ runId, cycle, ts, detail }))
  return {
    cycleStarted: (cycle, ts) => event(cycle, ts, { event: "started" }),
    fundingPause: (cycle, fundingTime, ts) => event(cycle, ts, { event: "funding-pause", fundingTime }),
    makerOrderPlaced: (e) => event(e.cycle, e.ts, { event: "maker-order", leg: e.leg, orderId: e.orderId, side: e.side, price: e.price, qty: e.qty, repost: e.repost }),
    // a leg is over, its fills hedged and nothing resting: the moment to fold the journal's log
    legCompleted: (e) =>
      Effect.flatMap(Clock.currentTimeMillis, (ts) =>
        Effect.zipRight(
          event(e.cycle, ts, { event: "leg-completed", leg: e.leg, side: e.side, startedAt: e.startedAt, filledAt: e.filledAt, orders: e.orders }),
          mustWrite(journal.checkpoint)
        )),
    hedgeSent: (e) =>
      mustWrite(journal.recordHedge({
        clientId: e.clientId,
        runId,
        cycle: e.cycle,
        leg: e.leg,
        side: e.side,
        qty: e.qty,
        executedQty: e.executedQty,
        executedQuote: e.executedQuote,
        referencePrice: e.referencePrice,
        ts: e.ts,
        state: "done"
      })),
    exposureChanged: () => Effect.void,
    hedgeFailed: (e) => event(e.cycle, e.ts, { event: "hedge-failed", leg: e.leg, clientId: e.clientId, side: e.side, qty: e.qty, reason: e.reason }),
    filtersChanged: (e) => mustWrite(journal.recordFilterChange({ runId, cycle: e.cycle, venue: e.venue, symbol: e.symbol, ts: e.ts, changes: e.changes, why: e.why }))
  }
}
