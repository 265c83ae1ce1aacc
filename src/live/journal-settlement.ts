/**
 * Bringing the journal up to what the venues know, where a run cannot count on its streams: the
 * requests an earlier process (or a run cut short by its stop) journalled without a known outcome
 * are looked up by client id, so nothing is ever sent twice; the fills the journal lacks are read
 * from the venues' histories; a killed run is closed once its fills are complete, after its
 * hedges sent unrecorded (its journal had stopped taking writes) have been found and recorded.
 */
import { BigDecimal, Clock, Effect, Either, Option, Schema } from "effect"
import { formatDecimal, ZERO } from "../core/domain/decimal"
import { isOpenStatus, type Order, signedQty } from "../core/domain/order"
import type { Venue } from "../core/domain/venue"
import type { Exchange } from "../core/exchange"
import { mostHedgeAttemptsInARow } from "../core/strategy/hedge-loop"
import { type JournalService, KILLED, type Run } from "./journal"
import type { Venues } from "./runner"

/** Journal calls that fail here are defects: before trading a run cannot start unrecorded, and mid-run the guard answers for every write. */
export const mustWrite = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.orDie(effect)

/**
 * Fills the journal lacks for an order (the stream missed them, or the process died first), read
 * from `venue`'s history (none when this config does not trade there). True when the journal then
 * holds the order's whole filled quantity.
 */
export const completeFills = (journal: JournalService, venue: Exchange | undefined, runId: number, order: Order) =>
  Effect.gen(function*() {
    if (!BigDecimal.isPositive(order.filledQty)) return true
    const journalled = yield* mustWrite(journal.filledQty(order.venue, order.id))
    if (!BigDecimal.lessThan(journalled, order.filledQty)) return true
    if (venue?.orderFills === undefined) return false
    let added = 0
    let addedQty = ZERO
    for (const fill of yield* venue.orderFills(order)) {
      if (!(yield* mustWrite(journal.recordFill(runId, fill)))) continue
      added += 1
      addedQty = BigDecimal.sum(addedQty, fill.qty)
    }
    if (added > 0) yield* Effect.log(`journal: ${added} fill(s) of ${order.venue} order ${order.id} read from the venue's history`)
    return !BigDecimal.lessThan(BigDecimal.sum(journalled, addedQty), order.filledQty)
  }).pipe(Effect.catchAll((error) => Effect.as(Effect.logWarning(`journal: could not read the fills of ${order.venue} order ${order.id}: ${error.message}`), false)))

/** The order `clientId` names on `venue`; none when the venue does not know it. */
const findByClientId = (venue: Exchange, clientId: string) =>
  venue.queryOrder({ clientId }).pipe(
    Effect.map(Option.some),
    Effect.catchTag("UnknownOrder", () => Effect.succeed(Option.none<Order>()))
  )

/** A hedge settled outside the strategy (at start-up, or after a restart) from the venue's order. */
export const recordHedgeOutcome = (journal: JournalService, clientId: string, runId: number, order: Order, state: "done" | "failed" = "done") =>
  Effect.flatMap(Clock.currentTimeMillis, (ts) =>
    mustWrite(journal.recordHedge({
      clientId,
      runId,
      side: order.side,
      qty: order.qty,
      executedQty: order.filledQty,
      executedQuote: order.filledQuote,
      ts,
      settledLater: true,
      state
    })))

/** The market a run traded on `venue` (none: it traded none there, or the run is unknown). */
const marketOfRun = (run: Run | undefined, venue: Venue): string | undefined =>
  run === undefined ? undefined : run.maker.venue === venue ? run.maker.symbol : run.hedge.venue === venue ? run.hedge.symbol : undefined

/** The one of the run's venues that `venue` names, if either does. */
export const venueOf = (venues: Venues, venue: string): Exchange | undefined =>
  venue === venues.maker.venue ? venues.maker : venue === venues.hedge.venue ? venues.hedge : undefined

/**
 * Every request of the runs `of` chooses journalled without a known outcome is looked up by its
 * client id. Found: the order (and its fills) is recorded, a hedge among them marked done.
 * Not found: it never reached the venue; recorded as such so it is never looked up again.
 * A hedge whose order the journal already knows (its reply or stream message was recorded, but
 * not the hedge's result) is settled from that record. Step 2 does it for the runs before this
 * one (`when` "restart"), the end of a run for its own (`when` "stopping": a reply cut short by
 * the stop). Returns how many it settled, and the orders found whose fills the venue's history
 * did not list yet: their runs, if ended, are marked to have them read by the next start. At a
 * stop, a limit order found (booked after the wind-down looked for it) is cancelled if open: those
 * that filled (unhedged: the wind-down did not know them), and those it could not cancel, are
 * returned for the run's outcome.
 */
export const settleRequestsInDoubt = (
  journal: JournalService,
  of: (runId: number) => boolean,
  venues: Venues,
  when: "restart" | "stopping",
  /**
   * how long after it was signed a venue may still book a request (its signing window): one not
   * found that young is looked up again once the window has passed, as the adapters do
   */
  acceptanceWindowMs: (venue: Venue) => number = () => 0
) =>
  Effect.gen(function*() {
    const pending = (yield* mustWrite(journal.pendingIntents())).filter((p) => of(p.runId) && p.kind !== "cancel")
    const lacking: Array<Order> = []
    const filledAtStop: Array<Order> = []
    const leftOpenAtStop: Array<{ readonly order: Order; readonly why: string }> = []
    const completeOrMark = (venue: Exchange, runId: number, order: Order) =>
      Effect.gen(function*() {
        if (yield* completeFills(journal, venue, runId, order)) return
        lacking.push(order)
        yield* mustWrite(journal.fillsLackingFor(order.venue, order.id))
      })
    const runs = new Map((pending.length > 0 ? yield* mustWrite(journal.runs()) : []).map((run) => [run.id, run]))
    for (const intent of pending) {
      const venue = venueOf(venues, intent.venue)
      if (venue === undefined) {
        yield* Effect.logWarning(`${when}: intent ${intent.clientId} is for ${intent.venue}, which this config does not trade: left as it is`)
        continue
      }
      // the adapters look a client id up on their own market: one of another market would be taken
      // for never sent, and its order, still resting there, be nobody's once this config trades it again
      const market = marketOfRun(runs.get(intent.runId), intent.venue)
      if (market !== undefined && market !== (yield* venue.instrument).symbol) {
        yield* Effect.logWarning(`${when}: intent ${intent.clientId} is for ${intent.venue} ${market}, which this config does not trade: left as it is`)
        continue
      }
      const lookUp = findByClientId(venue, intent.clientId)
      let found = yield* lookUp
      const bookableUntil = intent.createdAt + acceptanceWindowMs(venue.venue) + ACCEPTANCE_MARGIN_MS
      const waitMs = bookableUntil - (yield* Clock.currentTimeMillis)
      if (Option.isNone(found) && acceptanceWindowMs(venue.venue) > 0 && waitMs > 0) {
        // a request sent just before the process died may still be on its way to the venue
        yield* Effect.log(`${when}: ${intent.kind} ${intent.clientId} on ${intent.venue} not found yet; looked up again in ${Math.ceil(waitMs / 1000)} s, once its signing window has passed`)
        yield* Effect.sleep(waitMs)
        found = yield* lookUp
      }
      if (Option.isNone(found)) {
        const ts = yield* Clock.currentTimeMillis
        yield* mustWrite(journal.recordIntentRefused(intent.clientId, `not found at the venue ${when === "restart" ? "after a restart" : "as the run stopped"}: the request never arrived`, ts))
        yield* Effect.log(`${when}: ${intent.kind} ${intent.clientId} on ${intent.venue} never arrived`)
        continue
      }
      const order = found.value
      yield* Effect.log(`${when}: ${intent.kind} ${intent.clientId} on ${intent.venue} is order ${order.id}, ${order.status}, ${formatDecimal(order.filledQty)} filled`)
      // the order is its intent's run's (a start's own venues would journal a lookup as the new run's)
      yield* mustWrite(journal.recordOrder(intent.runId, order, order.updatedAt))
      if (when === "stopping" && intent.kind === "limit") {
        // booked after the stop's own look-up (its answer lost to the stop): nothing of the run may
        // rest after it, and what it filled, the wind-down did not hedge
        let final = order
        if (isOpenStatus(order.status)) {
          const cancelled = yield* Effect.either(venue.cancel(order.id))
          // a cancel refused because the order ended meanwhile (filled): its state says so
          const ended = Either.isRight(cancelled) ? Option.some(cancelled.right) : yield* Effect.option(venue.queryOrder({ orderId: order.id }))
          if (Option.isNone(ended) || isOpenStatus(ended.value.status)) {
            const why = Either.isLeft(cancelled) ? cancelled.left.message : "still open after the cancel"
            leftOpenAtStop.push({ order, why })
            yield* Effect.logError(`${when}: limit ${intent.clientId} is order ${order.id}, still open on ${intent.venue}: cancelling it failed (${why})`)
            continue
          }
          final = ended.value
          yield* mustWrite(journal.recordOrder(intent.runId, final, final.updatedAt))
          yield* Effect.log(`${when}: order ${order.id} cancelled, ${formatDecimal(final.filledQty)} filled`)
        }
        yield* completeOrMark(venue, intent.runId, final)
        if (BigDecimal.isPositive(final.filledQty)) filledAtStop.push(final)
        continue
      }
      yield* completeOrMark(venue, intent.runId, order)
      if (intent.kind === "market") yield* recordHedgeOutcome(journal, intent.clientId, intent.runId, order)
    }
    const looked = new Set(pending.map((p) => p.clientId))
    const inDoubt = (yield* mustWrite(journal.hedgesInDoubt())).filter((h) => of(h.runId) && !looked.has(h.clientId))
    for (const hedge of inDoubt) {
      const venue = venueOf(venues, hedge.order.pipe(Option.map((o) => o.venue), Option.getOrElse(() => venues.hedge.venue)))
      if (Option.isNone(hedge.order) || venue === undefined || isOpenStatus(hedge.order.value.status)) continue
      const order = hedge.order.value
      yield* Effect.log(`${when}: hedge ${hedge.clientId} is order ${order.id} on ${order.venue}, ${order.status}, ${formatDecimal(order.filledQty)} filled (from the journal)`)
      yield* completeOrMark(venue, hedge.runId, order)
      yield* recordHedgeOutcome(journal, hedge.clientId, hedge.runId, order)
    }
    return { settled: pending.length + inDoubt.length, lacking, filledAtStop, leftOpenAtStop }
  })

/**
 * The fills the journal lacks for every order of run `runId`, read from the venues' histories;
 * returns the orders whose fills the journal still lacks.
 */
export const completeFillsOfRun = (journal: JournalService, runId: number, venues: Venues) =>
  Effect.gen(function*() {
    const lacking: Array<Order> = []
    // only the orders the journal holds too few fills for: a run of weeks placed hundreds of thousands
    for (const order of yield* mustWrite(journal.ordersShortOfFills(runId))) {
      if (!(yield* completeFills(journal, venueOf(venues, order.venue), runId, order))) lacking.push(order)
    }
    return lacking
  })

/** beyond a request's signing window: the venue's clock may run a little behind ours */
const ACCEPTANCE_MARGIN_MS = 1000

/**
 * Runs that ended with fills their venues' histories did not list yet (`Run.fillsLacking`): read
 * again now, and the mark cleared once they are complete. Returns the orders still lacking.
 */
export const completeEndedRuns = (journal: JournalService, earlier: ReadonlyArray<Run>, venues: Venues) =>
  Effect.gen(function*() {
    const stillLacking: Array<Order> = []
    for (const run of earlier.filter((r) => Option.isSome(r.endedAt) && r.fillsLacking)) {
      const lacking = yield* completeFillsOfRun(journal, run.id, venues)
      stillLacking.push(...lacking)
      if (lacking.length === 0) yield* mustWrite(journal.fillsCompleted(run.id))
      else yield* Effect.logWarning(`restart: run ${run.id}'s ${lacking.map((o) => `${o.venue} order ${o.id}`).join(", ")} still filled more than the journal holds; read again at the next start`)
    }
    return stillLacking
  })

/**
 * Consecutive client ids unknown to the hedge venue after which no later one is looked for: more
 * than one hedge's refused attempts in a row can take (each under a new id), by the run's own
 * retry settings (a journal of a version that did not store them: the config file's defaults),
 * and 5 more for numbers taken by orders that never left; at most 250.
 */
const unrecordedHedgeGap = (run: Run): number => {
  const trade = Option.getOrElse(Option.map(runSettings(run.config), (config) => config.trade), () => ({ hedgeRetryAttempts: 5, hedgeRetryBackoffMs: 200, windDownHedgeMs: 60_000 }))
  return Math.min(mostHedgeAttemptsInARow(trade) + 5, MOST_UNRECORDED_LOOKUPS)
}
/** a wind-down of hours would have a start ask thousands of times (each a request to the venue) */
const MOST_UNRECORDED_LOOKUPS = 250
const runSettings = Schema.decodeUnknownOption(Schema.Struct({
  trade: Schema.Struct({ hedgeRetryAttempts: Schema.NonNegativeInt, hedgeRetryBackoffMs: Schema.NonNegative, windDownHedgeMs: Schema.NonNegative })
}))

/**
 * A run whose journal stopped taking writes went on hedging (its wind-down) unrecorded, and its
 * end was not recorded either: to the next start it looks killed. Those hedges moved the hedge
 * venue's position, which for a spot venue the start knows only from the journal's fills: left
 * out, a hedge made would look like an imbalance to hedge again. They carry the run's next client
 * ids (`<prefix>h<n>` past the last journalled one), so the hedge venue is asked for each until
 * `unrecordedHedgeGap` in a row are unknown (a number taken by an order that never left, or by
 * a refused one, leaves a gap). Each found is recorded as the run's, as if it had: intent, order,
 * hedge result (its fills follow with the run's other orders', `completeFillsOfRun`). A run killed
 * with its journal working costs only those lookups: every request it sent had its intent written
 * first. `venues` must not journal lookups themselves (they would record the order as the new
 * run's). Returns how many were found.
 */
export const recoverUnrecordedHedges = (journal: JournalService, run: Run, venues: Venues) =>
  Effect.gen(function*() {
    const venue = venueOf(venues, run.hedge.venue)
    if (venue === undefined) return 0
    const found = yield* unrecordedHedges(journal, run, venue)
    for (const { clientId, order: o } of found) {
      yield* Effect.logWarning(
        `restart: run ${run.id}'s hedge ${clientId} was sent unrecorded (its journal had stopped taking writes): ${venue.venue} order ${o.id}, ${o.side} ${
          formatDecimal(o.filledQty)
        } of ${formatDecimal(o.qty)}, ${o.status}; recorded now`
      )
      yield* mustWrite(journal.recordIntent({ kind: "market", runId: run.id, venue: venue.venue, clientId, side: o.side, qty: o.qty, createdAt: o.createdAt }))
      yield* mustWrite(journal.recordOrder(run.id, o, o.updatedAt))
      if (!isOpenStatus(o.status)) yield* recordHedgeOutcome(journal, clientId, run.id, o, BigDecimal.isPositive(o.filledQty) ? "done" : "failed")
    }
    return found.length
  })

/** The hedges run `run` sent unrecorded, found by their client ids on its hedge venue (see `recoverUnrecordedHedges`); reads only. */
const unrecordedHedges = (journal: JournalService, run: Run, venue: Exchange) =>
  Effect.gen(function*() {
    let n = yield* mustWrite(journal.lastStrategyClientNumber(run.id, run.clientIdPrefix))
    const found: Array<{ readonly clientId: string; readonly order: Order }> = []
    const gap = unrecordedHedgeGap(run)
    for (let unknown = 0; unknown < gap;) {
      const clientId = `${run.clientIdPrefix}h${++n}`
      const order = yield* findByClientId(venue, clientId)
      if (Option.isNone(order)) {
        unknown += 1
        continue
      }
      unknown = 0
      found.push({ clientId, order: order.value })
    }
    return found
  })

/**
 * What the journal's earlier runs executed on `venue` beyond the fills it holds, signed, as a
 * start will find it before trading (`--check` reads it, writing nothing): their requests in doubt
 * that reached the venue, and for runs that never ended, the orders the journal knows filled more
 * than its fills hold and the hedges they sent unrecorded (and so for runs that ended with fills
 * lacking, the first). A spot hedge venue's imbalance counts
 * it, as the start's baseline does; each order counts once.
 */
export const unjournalledExecutions = (journal: JournalService, earlier: ReadonlyArray<Run>, venue: Exchange) =>
  Effect.gen(function*() {
    const runIds = new Set(earlier.map((run) => run.id))
    const orders = new Map<string, Order>()
    for (const intent of yield* mustWrite(journal.pendingIntents())) {
      if (!runIds.has(intent.runId) || intent.kind === "cancel" || intent.venue !== venue.venue) continue
      const found = yield* findByClientId(venue, intent.clientId)
      if (Option.isSome(found)) orders.set(found.value.id, found.value)
    }
    for (const run of earlier.filter((r) => Option.isNone(r.endedAt) || r.fillsLacking)) {
      for (const order of yield* mustWrite(journal.ordersShortOfFills(run.id))) if (order.venue === venue.venue && !orders.has(order.id)) orders.set(order.id, order)
      if (Option.isNone(run.endedAt) && run.hedge.venue === venue.venue) for (const { order } of yield* unrecordedHedges(journal, run, venue)) orders.set(order.id, order)
    }
    let moved = ZERO
    for (const order of orders.values()) {
      const lacking = BigDecimal.subtract(order.filledQty, yield* mustWrite(journal.filledQty(venue.venue, order.id)))
      if (BigDecimal.isPositive(lacking)) moved = BigDecimal.sum(moved, signedQty(order.side, lacking))
    }
    return moved
  })

/**
 * Killed paper runs are closed as killed at their last record: their books lived in their process,
 * so there is nothing to look up or read back (a fresh paper book knows none of their orders).
 * Their requests without an answer are closed with them (no start will ever settle them).
 */
export const closeKilledPaperRuns = (journal: JournalService, runId: number, killed: ReadonlyArray<Run>) =>
  Effect.forEach(killed, (run) =>
    Effect.gen(function*() {
      const endedAt = Option.getOrElse(yield* mustWrite(journal.lastActivity(run.id)), () => run.startedAt)
      for (const intent of yield* mustWrite(journal.pendingIntents(run.id))) {
        yield* mustWrite(journal.recordIntentRefused(intent.clientId, "its paper run was killed: the paper book that would have answered it died with the process", endedAt))
      }
      yield* mustWrite(journal.endRun(run.id, { endedAt, outcome: KILLED, message: `the process stopped without closing the paper run (killed or crashed); run ${runId}'s start closed it` }))
      yield* Effect.log(`restart: paper run ${run.id} closed as killed (its last record at ${new Date(endedAt).toISOString()}; its books lived in its process)`)
    }), { discard: true })

/**
 * A run that ended completed its orders' fills, or says which it could not (`completeEndedRuns`); one killed first may
 * have known an order filled (its reply, a resync after a reconnection) without the fill
 * messages: those fills are read from the venue's history now, before the new run counts anything.
 * Each such run (`killed`) whose fills are then complete is closed as killed, at the last thing it
 * journalled, so that no later start reads its orders again; one whose venue history still lags
 * stays open for the next start. Returns the orders whose fills are still lacking. `venues` are
 * the venues themselves, not journalled (see `recoverUnrecordedHedges`).
 */
export const closeKilledRuns = (journal: JournalService, runId: number, killed: ReadonlyArray<Run>, venues: Venues) =>
  Effect.gen(function*() {
    const stillLacking: Array<Order> = []
    for (const run of killed) {
      yield* recoverUnrecordedHedges(journal, run, venues)
      const lacking = yield* completeFillsOfRun(journal, run.id, venues)
      stillLacking.push(...lacking)
      if (lacking.length > 0) {
        yield* Effect.logWarning(
          `restart: run ${run.id} stays open: ${lacking.map((o) => `${o.venue} order ${o.id}`).join(", ")} filled more than the journal holds (the venue's history lags, or this config does not trade there); the next start reads it again`
        )
        continue
      }
      const endedAt = Option.getOrElse(yield* mustWrite(journal.lastActivity(run.id)), () => run.startedAt)
      yield* mustWrite(journal.endRun(run.id, { endedAt, outcome: KILLED, message: `the process stopped without closing the run (killed or crashed); run ${runId}'s start completed its fills` }))
      yield* Effect.log(`restart: run ${run.id} closed as killed (its last record at ${new Date(endedAt).toISOString()})`)
    }
    return stillLacking
  })
