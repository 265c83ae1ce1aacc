/**
 * The local Backpack book as the venue's depth stream numbers it: one sequence per venue, shared
 * by the REST snapshot (`lastUpdateId`) and every connection's `depth.<symbol>` stream, so a
 * client lines them up exactly as it must with the real venue. Each change of the book becomes
 * one message holding the levels that changed (quantity 0: gone), numbered one after the other.
 */
import { BigDecimal } from "effect"
import { type Decimal, formatDecimal, ZERO } from "../../../core/domain/decimal"
import { bestLevels, priceOrder } from "../../../adapters/backpack/order-book"
import type { LocalVenue } from "../types"

type Level = readonly [Decimal, Decimal]

export interface DepthDelta {
  readonly U: number
  readonly u: number
  /** venue time, ms */
  readonly ts: number
  readonly bids: ReadonlyArray<Level>
  readonly asks: ReadonlyArray<Level>
}

export interface DepthSequence {
  /** the book now, at most `limit` levels a side, with the last update id it contains */
  readonly snapshot: (limit: number) => { readonly ts: number; readonly lastUpdateId: number; readonly bids: ReadonlyArray<Level>; readonly asks: ReadonlyArray<Level> }
  /** every change from now on; returns the unsubscribe */
  readonly onDelta: (listener: (delta: DepthDelta) => void) => () => void
}

/** the most levels a side the venue's depth lists (its REST maximum) */
const BOOK_LEVELS = 1000

/** The levels of `next` that differ from `shown`, and those of `shown` that are gone (as 0). */
const changes = (shown: ReadonlyMap<string, Level>, next: ReadonlyMap<string, Level>): Array<Level> => {
  const changed: Array<Level> = []
  for (const [key, level] of next) {
    const before = shown.get(key)
    if (before === undefined || !BigDecimal.equals(before[1], level[1])) changed.push(level)
  }
  for (const [key, level] of shown) if (!next.has(key)) changed.push([level[0], ZERO])
  return changed
}

const keyed = (levels: ReadonlyArray<Level>): Map<string, Level> => new Map(levels.map((level) => [formatDecimal(level[0]), level]))

export const makeDepthSequence = (venue: LocalVenue): DepthSequence => {
  let bids = new Map<string, Level>()
  let asks = new Map<string, Level>()
  let updateId = 0
  let ts = venue.now()
  const listeners = new Set<(delta: DepthDelta) => void>()
  let stopWatching: (() => void) | undefined

  /** Brings the numbered book up to the venue's, as one message if anything changed. */
  const sync = () => {
    const book = venue.depth(BOOK_LEVELS)
    const nextBids = keyed(book.bids)
    const nextAsks = keyed(book.asks)
    const changedBids = changes(bids, nextBids)
    const changedAsks = changes(asks, nextAsks)
    bids = nextBids
    asks = nextAsks
    ts = book.ts
    if (changedBids.length === 0 && changedAsks.length === 0) return
    updateId += 1
    const delta: DepthDelta = { U: updateId, u: updateId, ts, bids: changedBids, asks: changedAsks }
    for (const listener of listeners) listener(delta)
  }

  return {
    snapshot: (limit) => {
      sync()
      return { ts, lastUpdateId: updateId, bids: bestLevels(bids.values(), limit, "bids", priceOrder), asks: bestLevels(asks.values(), limit, "asks", priceOrder) }
    },
    onDelta: (listener) => {
      // the book as it stands is the starting point: the listener hears what changes after it
      sync()
      listeners.add(listener)
      stopWatching ??= venue.onMarket(() => sync())
      return () => {
        listeners.delete(listener)
        if (listeners.size === 0 && stopWatching !== undefined) {
          stopWatching()
          stopWatching = undefined
        }
      }
    }
  }
}
