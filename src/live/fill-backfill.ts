/**
 * Fills the streams did not deliver, read back while the run goes on. The strategy hedges from
 * an order's filled quantity, whichever way it learnt it; the journal, the report and the kill
 * switch's positions and PnL count fills. When an order says it filled more than the fill messages
 * seen for it (a dropped message, a reconnection whose REST resync read the order's new state, a
 * reply or lookup ahead of its stream), the missing fills are read from the venue's history a
 * moment later, off the hedge's path, so that a run killed before its end loses none of them.
 *
 * Only this run's own orders are watched (a restart reads the fills of earlier runs' orders), and
 * the kill switch counts each of their fills once, by trade id: its starting positions already
 * hold whatever was traded before the run.
 */
import { BigDecimal, Duration, Effect, FiberSet, Queue } from "effect"
import { type Decimal, formatDecimal, ZERO } from "../core/domain/decimal"
import type { Fill, Order, OrderUpdate } from "../core/domain/order"
import type { Exchange } from "../core/exchange"
import { setNewest } from "../core/newest-entries"
import type { RiskGuard } from "../core/risk/risk-guard"
import type { JournalService } from "./journal"

/** how long a gap may last before the history is read: a reply usually beats its stream message by milliseconds */
const SETTLE_DELAY = Duration.seconds(1)
/** history reads per gap (the venue may list a fill a little after reporting the order filled) */
const READS_PER_GAP = 4
/** orders and trade ids remembered (far more than are ever in play at once) */
const REMEMBERED = 4000

export interface FillBackfillOptions {
  readonly journal: Pick<JournalService, "recordFill">
  readonly runId: number
  readonly guard: RiskGuard
  /** client ids of this run's orders start with it */
  readonly clientIdPrefix: string
  /** default 1 s */
  readonly settleDelay?: Duration.DurationInput
}

export interface FillBackfill {
  /** The venue with its fills counted for the kill switch and its gaps queued for the history. */
  readonly watch: (venue: Exchange) => Exchange
  /** Reads the gaps' fills from the venues' histories as they are queued: fork it for the run. */
  readonly run: Effect.Effect<never>
}

interface Tracked {
  readonly venue: Exchange
  /** the latest state seen (the most filled) */
  order: Order
  /** quantity of the fills counted so far */
  counted: Decimal
  queued: boolean
}

export const makeFillBackfill = (options: FillBackfillOptions): Effect.Effect<FillBackfill> =>
  Effect.gen(function*() {
    const { journal, runId, guard } = options
    const gaps = yield* Queue.unbounded<Tracked>()
    const orders = new Map<string, Tracked>()
    /** venue:trade id of every fill counted, the value unused */
    const countedTrades = new Map<string, true>()
    const ours = (order: Order) => order.clientId.startsWith(options.clientIdPrefix)

    const track = (venue: Exchange, order: Order): Tracked => {
      const key = `${order.venue}:${order.id}`
      let tracked = orders.get(key)
      if (tracked === undefined) {
        tracked = { venue, order, counted: ZERO, queued: false }
        setNewest(orders, key, tracked, REMEMBERED)
      } else if (BigDecimal.greaterThan(order.filledQty, tracked.order.filledQty)) tracked.order = order
      return tracked
    }

    /** Counts a fill not counted yet; true when it was new here. */
    const count = (tracked: Tracked, fill: Fill): boolean => {
      const key = `${fill.venue}:${fill.tradeId}`
      if (countedTrades.has(key)) return false
      setNewest(countedTrades, key, true, REMEMBERED)
      tracked.counted = BigDecimal.sum(tracked.counted, fill.qty)
      return true
    }

    const hasGap = (tracked: Tracked) => BigDecimal.lessThan(tracked.counted, tracked.order.filledQty)

    const checkGap = (tracked: Tracked) =>
      Effect.suspend(() => {
        if (tracked.queued || !ours(tracked.order) || !hasGap(tracked) || tracked.venue.orderFills === undefined) return Effect.void
        tracked.queued = true
        return Queue.offer(gaps, tracked)
      })

    const onOrder = (venue: Exchange) => (order: Order) => Effect.suspend(() => checkGap(track(venue, order)))

    const onUpdate = (venue: Exchange) => (update: OrderUpdate) =>
      Effect.suspend(() => {
        const tracked = track(venue, update.order)
        const fill = update.fill
        // the stream's fills are journalled with their update (journaled-exchange.ts)
        const counted = fill !== undefined && count(tracked, fill) && ours(update.order) ? guard.recordFill(fill) : Effect.void
        return Effect.zipRight(counted, checkGap(tracked))
      })

    const settleDelay = Duration.decode(options.settleDelay ?? SETTLE_DELAY)

    /**
     * One gap, on a fiber of its own: a second after it opened (whatever other gaps wait), then
     * after 2, 4 and 8 s while it lasts. Most gaps close on their own meanwhile (a market order's
     * reply beats its fill message), and cost no read.
     */
    const readHistory = (tracked: Tracked, oneReadAtATime: Effect.Semaphore) =>
      Effect.gen(function*() {
        const { order } = tracked
        let added = 0
        for (let read = 1; read <= READS_PER_GAP; read++) {
          yield* Effect.sleep(Duration.times(settleDelay, 2 ** (read - 1)))
          if (!hasGap(tracked)) break
          // several gaps at once (a reconnection's resync) read the history one after another
          added += yield* oneReadAtATime.withPermits(1)(Effect.gen(function*() {
            let recorded = 0
            for (const fill of yield* tracked.venue.orderFills!(tracked.order)) {
              if (!count(tracked, fill)) continue
              // the journal dedupes by trade id too: a stream update may have recorded it meanwhile
              if (yield* Effect.orDie(journal.recordFill(runId, fill))) recorded += 1
              yield* guard.recordFill(fill)
            }
            return recorded
          }))
        }
        if (added > 0) yield* Effect.log(`journal: ${added} fill(s) of ${order.venue} order ${order.id} the stream did not deliver, read from the venue's history`)
        if (hasGap(tracked)) {
          yield* Effect.logWarning(
            `journal: ${order.venue} order ${order.id} filled ${formatDecimal(tracked.order.filledQty)} but its history shows ${formatDecimal(tracked.counted)}; the end of the run reads it again`
          )
        }
      }).pipe(
        Effect.catchAll((error) => Effect.logWarning(`journal: could not read the fills of ${tracked.order.venue} order ${tracked.order.id}: ${error.message}; the end of the run reads them again`)),
        Effect.ensuring(Effect.sync(() => (tracked.queued = false)))
      )

    // each gap is handed to a fiber of its own at once: the queue never holds more than a moment's gaps
    const run = Effect.scoped(Effect.gen(function*() {
      const inFlight = yield* FiberSet.make()
      const oneReadAtATime = yield* Effect.makeSemaphore(1)
      return yield* Effect.forever(Effect.flatMap(Queue.take(gaps), (tracked) => FiberSet.run(inFlight, readHistory(tracked, oneReadAtATime))))
    }))

    const watch = (venue: Exchange): Exchange => ({
      ...venue,
      placeLimit: (request) => Effect.tap(venue.placeLimit(request), onOrder(venue)),
      placeMarket: (request) => Effect.tap(venue.placeMarket(request), onOrder(venue)),
      cancel: (orderId) => Effect.tap(venue.cancel(orderId), onOrder(venue)),
      queryOrder: (ref) => Effect.tap(venue.queryOrder(ref), onOrder(venue)),
      nextUpdate: (within) =>
        Effect.tap(venue.nextUpdate(within), (update) => (update._tag === "Some" ? onUpdate(venue)(update.value) : Effect.void))
    })
    return { watch, run }
  })
