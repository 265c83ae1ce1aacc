/**
 * Backpack's order book kept locally from its incremental `depth.<symbol>` stream. The stream
 * sends the levels that changed, numbered `U`..`u`, each message starting where the previous one
 * ended; the book itself comes from a REST snapshot numbered `lastUpdateId`. Messages that come
 * before the snapshot are held, those it already contains are dropped, and a message that skips
 * numbers (a lost or late message) makes the book unknown until a new snapshot. No I/O here: the
 * adapter feeds messages and snapshots in and reads the best levels out.
 */
import { BigDecimal } from "effect"
import { type Decimal, formatDecimal } from "../../core/domain/decimal"

export type BookLevel = readonly [price: Decimal, qty: Decimal]

export interface BookDelta {
  /** first and last update id this message covers */
  readonly U: number
  readonly u: number
  readonly bids: ReadonlyArray<BookLevel>
  readonly asks: ReadonlyArray<BookLevel>
}

export interface BookSnapshot {
  readonly lastUpdateId: number
  readonly bids: ReadonlyArray<BookLevel>
  readonly asks: ReadonlyArray<BookLevel>
}

/**
 * `applied`: the book moved on; `held`: no book yet, kept for the snapshot; `stale`: already in
 * the book (a duplicate or late message); `gap`: numbers were skipped, the book is unknown now.
 */
export type DeltaOutcome = "applied" | "held" | "stale" | "gap"

/** `live`: the book is known; `too-old`: the snapshot predates what the stream still holds, read another. */
export type SnapshotOutcome = "live" | "too-old"

/** Messages held while no book is known; past this the oldest go (a later snapshot covers them). */
export const MAX_HELD_DELTAS = 10_000

/** A level with its price as a number, for ordering only (a decimal's nearest double keeps the order). */
interface HeldLevel {
  readonly level: BookLevel
  readonly at: number
}

/**
 * The best `n` levels of one side, best first (bids: highest price first), in one pass without
 * sorting the side: a venue's book may hold thousands of levels. `priceOf` gives a level's price
 * as a number, for ordering only (a decimal's nearest double keeps the order); equal prices keep
 * the order they came in.
 */
export const bestLevels = <L>(levels: Iterable<L>, n: number, side: "bids" | "asks", priceOf: (level: L) => number): Array<L> => {
  const sign = side === "bids" ? -1 : 1
  const kept: Array<{ readonly level: L; readonly key: number }> = []
  if (n <= 0) return []
  for (const level of levels) {
    const key = sign * priceOf(level)
    if (kept.length === n && key >= kept[n - 1]!.key) continue
    let i = Math.min(kept.length, n - 1)
    if (kept.length < n) kept.push({ level, key })
    while (i > 0 && kept[i - 1]!.key > key) {
      kept[i] = kept[i - 1]!
      i -= 1
    }
    kept[i] = { level, key }
  }
  return kept.map((entry) => entry.level)
}

/** A decimal price as a number, for ordering only. */
export const priceOrder = (level: BookLevel): number => BigDecimal.unsafeToNumber(level[0])

export class SequencedBook {
  private readonly bids = new Map<string, HeldLevel>()
  private readonly asks = new Map<string, HeldLevel>()
  /** the update id the book is current to; undefined while no book is known */
  private lastId: number | undefined
  private held: Array<BookDelta> = []
  /** bumped on every change of the levels (readers compare it to skip unchanged books) */
  version = 0

  get live(): boolean {
    return this.lastId !== undefined
  }

  /** the update id the book is current to (undefined while no book is known) */
  get updateId(): number | undefined {
    return this.lastId
  }

  /** Forgets the book (a dropped connection): the next one needs a fresh snapshot. */
  reset(): void {
    this.lastId = undefined
    this.held = []
    this.clearLevels()
  }

  onDelta(delta: BookDelta): DeltaOutcome {
    if (this.lastId === undefined) {
      this.held.push(delta)
      if (this.held.length > MAX_HELD_DELTAS) this.held.shift()
      return "held"
    }
    if (delta.u <= this.lastId) return "stale"
    if (delta.U > this.lastId + 1) {
      this.reset()
      this.held.push(delta)
      return "gap"
    }
    this.apply(delta)
    return "applied"
  }

  onSnapshot(snapshot: BookSnapshot): SnapshotOutcome {
    const at = snapshot.lastUpdateId
    // a book already newer than the snapshot stays
    if (this.lastId !== undefined && at <= this.lastId) return "live"
    // what the snapshot already contains goes; of the rest, only the last unbroken run can follow it
    let pending = this.held.filter((delta) => delta.u > at).sort((a, b) => a.U - b.U || a.u - b.u)
    let runStart = 0
    let reached = Number.NEGATIVE_INFINITY
    pending.forEach((delta, i) => {
      if (i > 0 && delta.U > reached + 1) runStart = i
      reached = Math.max(reached, delta.u)
    })
    pending = pending.slice(runStart)
    if (pending.length > 0 && pending[0]!.U > at + 1) {
      this.held = pending
      return "too-old"
    }
    this.held = []
    this.clearLevels()
    for (const [price, qty] of snapshot.bids) this.setLevel(this.bids, price, qty)
    for (const [price, qty] of snapshot.asks) this.setLevel(this.asks, price, qty)
    this.lastId = at
    for (const delta of pending) if (delta.u > this.lastId) this.apply(delta)
    return "live"
  }

  /**
   * The best `n` levels a side, best first (empty while no book is known). One pass keeping the
   * best n: a venue's book may hold thousands of levels, and this runs on the thread that hedges.
   */
  best(n: number): { readonly bids: ReadonlyArray<BookLevel>; readonly asks: ReadonlyArray<BookLevel> } {
    const top = (side: Map<string, HeldLevel>, name: "bids" | "asks") => bestLevels(side.values(), n, name, (held) => held.at).map((held) => held.level)
    return { bids: top(this.bids, "bids"), asks: top(this.asks, "asks") }
  }

  private apply(delta: BookDelta): void {
    for (const [price, qty] of delta.bids) this.setLevel(this.bids, price, qty)
    for (const [price, qty] of delta.asks) this.setLevel(this.asks, price, qty)
    this.lastId = delta.u
    this.version += 1
  }

  private setLevel(side: Map<string, HeldLevel>, price: Decimal, qty: Decimal): void {
    // "1.50" and "1.5" are one level
    const key = formatDecimal(price)
    if (BigDecimal.isPositive(qty)) side.set(key, { level: [price, qty], at: Number(key) })
    else side.delete(key)
  }

  private clearLevels(): void {
    this.bids.clear()
    this.asks.clear()
    this.version += 1
  }
}
