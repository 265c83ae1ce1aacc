/**
 * The book kept from Backpack's incremental depth stream: messages held until the snapshot,
 * dropped when the snapshot has them, a skipped number making the book unknown, and (property)
 * never a wrong book whatever the stream loses, repeats or reorders.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { type BookDelta, type BookLevel, SequencedBook } from "../src/adapters/backpack/order-book"
import { decimal, formatDecimal } from "../src/core/domain/decimal"

const lv = (price: string, qty: string): BookLevel => [decimal(price), decimal(qty)]
const delta = (U: number, u: number, bids: ReadonlyArray<BookLevel> = [], asks: ReadonlyArray<BookLevel> = []): BookDelta => ({ U, u, bids, asks })
const text = (levels: ReadonlyArray<BookLevel>) => levels.map(([p, q]) => `${formatDecimal(p)}@${formatDecimal(q)}`)
const shown = (book: SequencedBook, n = 100) => {
  const best = book.best(n)
  return { bids: text(best.bids), asks: text(best.asks) }
}

describe("SequencedBook", () => {
  it("holds messages until the snapshot, drops those it contains, applies the one that straddles it", () => {
    const book = new SequencedBook()
    expect(book.onDelta(delta(10, 10, [lv("1.0", "5")]))).toBe("held")
    expect(book.onDelta(delta(11, 13, [lv("1.1", "2")], [lv("1.3", "4")]))).toBe("held")
    expect(book.onDelta(delta(14, 14, [], [lv("1.2", "1")]))).toBe("held")
    expect(book.live).toBe(false)
    // the snapshot is current to 12: message 10 is in it, 11..13 straddles it, 14 follows
    expect(book.onSnapshot({ lastUpdateId: 12, bids: [lv("1.0", "5"), lv("0.9", "3")], asks: [lv("1.3", "7")] })).toBe("live")
    expect(book.updateId).toBe(14)
    expect(shown(book)).toEqual({ bids: ["1.1@2", "1@5", "0.9@3"], asks: ["1.2@1", "1.3@4"] })
  })

  it("asks for a newer snapshot when the stream has moved past the old one, keeping what it holds", () => {
    const book = new SequencedBook()
    book.onDelta(delta(20, 20, [lv("1", "1")]))
    expect(book.onSnapshot({ lastUpdateId: 15, bids: [], asks: [] })).toBe("too-old")
    expect(book.live).toBe(false)
    book.onDelta(delta(21, 21, [lv("1", "2")]))
    expect(book.onSnapshot({ lastUpdateId: 19, bids: [lv("0.5", "9")], asks: [] })).toBe("live")
    expect(shown(book).bids).toEqual(["1@2", "0.5@9"])
  })

  it("a skipped number makes the book unknown; a duplicate or late message changes nothing", () => {
    const book = new SequencedBook()
    book.onSnapshot({ lastUpdateId: 100, bids: [lv("2", "1")], asks: [lv("3", "1")] })
    expect(book.onDelta(delta(101, 101, [lv("2", "4")]))).toBe("applied")
    expect(book.onDelta(delta(101, 101, [lv("2", "9")]))).toBe("stale")
    expect(shown(book).bids).toEqual(["2@4"])
    expect(book.onDelta(delta(103, 103, [lv("2", "5")]))).toBe("gap")
    expect(book.live).toBe(false)
    expect(book.best(10)).toEqual({ bids: [], asks: [] })
    // the message that showed the gap is held for the next snapshot
    expect(book.onSnapshot({ lastUpdateId: 102, bids: [lv("2", "4")], asks: [lv("3", "1")] })).toBe("live")
    expect(shown(book)).toEqual({ bids: ["2@5"], asks: ["3@1"] })
  })

  it("a zero quantity removes the level; prices are one level however they are written", () => {
    const book = new SequencedBook()
    book.onSnapshot({ lastUpdateId: 1, bids: [lv("1.50", "3")], asks: [lv("1.6", "2")] })
    book.onDelta(delta(2, 2, [lv("1.5", "4")], [lv("1.60", "0")]))
    expect(shown(book)).toEqual({ bids: ["1.5@4"], asks: [] })
  })

  it("best levels come best first, at most n a side", () => {
    const book = new SequencedBook()
    book.onSnapshot({ lastUpdateId: 1, bids: [lv("1", "1"), lv("3", "1"), lv("2", "1")], asks: [lv("6", "1"), lv("4", "1"), lv("5", "1")] })
    expect(shown(book, 2)).toEqual({ bids: ["3@1", "2@1"], asks: ["4@1", "5@1"] })
  })

  it("a snapshot older than the book it already has changes nothing", () => {
    const book = new SequencedBook()
    book.onSnapshot({ lastUpdateId: 5, bids: [lv("1", "1")], asks: [] })
    book.onDelta(delta(6, 6, [lv("1", "2")]))
    expect(book.onSnapshot({ lastUpdateId: 5, bids: [lv("1", "1")], asks: [] })).toBe("live")
    expect(shown(book).bids).toEqual(["1@2"])
  })

  // The venue's true book after every update id; the client sees its messages through a faulty
  // stream (lost, repeated, swapped) and snapshots taken at any moment of that history.
  it("property: whenever the book is known it is the venue's book at that update id, and a fresh snapshot always recovers it", () => {
    const change = fc.record({ bid: fc.boolean(), price: fc.integer({ min: 1, max: 8 }), qty: fc.integer({ min: 0, max: 3 }) })
    const message = fc.record({ span: fc.integer({ min: 1, max: 3 }), changes: fc.array(change, { minLength: 1, maxLength: 4 }) })
    const fault = fc.constantFrom("deliver", "deliver", "deliver", "drop", "repeat", "swap")
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 1, maxLength: 40 }),
        fc.array(fault, { minLength: 40, maxLength: 40 }),
        fc.array(fc.tuple(fc.nat(60), fc.nat(60)), { maxLength: 6 }),
        (messages, faults, snapshotAt) => {
          // the venue: its messages and its book after each one
          type Levels = Map<number, number>
          const truth = new Map<number, { bids: Levels; asks: Levels }>()
          const state = { bids: new Map<number, number>(), asks: new Map<number, number>() }
          let id = 1
          truth.set(id, { bids: new Map(), asks: new Map() })
          const deltas: Array<BookDelta> = []
          for (const m of messages) {
            const U = id + 1
            id += m.span
            const bids: Array<BookLevel> = []
            const asks: Array<BookLevel> = []
            for (const c of m.changes) {
              const side = c.bid ? state.bids : state.asks
              if (c.qty === 0) side.delete(c.price)
              else side.set(c.price, c.qty)
              ;(c.bid ? bids : asks).push(lv(`${c.price}.0`, String(c.qty)))
            }
            deltas.push(delta(U, id, bids, asks))
            truth.set(id, { bids: new Map(state.bids), asks: new Map(state.asks) })
          }
          const boundaries = [...truth.keys()]
          const snapshotOf = (at: number) => {
            const t = truth.get(at)!
            const levels = (side: Levels) => [...side].map(([p, q]) => lv(String(p), String(q)))
            return { lastUpdateId: at, bids: levels(t.bids), asks: levels(t.asks) }
          }
          // what the client receives
          const received: Array<BookDelta> = []
          deltas.forEach((d, i) => {
            const f = faults[i % faults.length]
            if (f === "drop") return
            received.push(d)
            if (f === "repeat") received.push(d)
            if (f === "swap" && received.length >= 2) received.splice(received.length - 2, 2, received[received.length - 1]!, received[received.length - 2]!)
          })
          const book = new SequencedBook()
          const check = () => {
            if (!book.live) return
            const t = truth.get(book.updateId!)
            expect(t, `update id ${book.updateId} is a message boundary`).toBeDefined()
            const best = book.best(100)
            const asMap = (levels: ReadonlyArray<BookLevel>) => new Map(levels.map(([p, q]) => [Number(formatDecimal(p)), Number(formatDecimal(q))]))
            expect(asMap(best.bids)).toEqual(t!.bids)
            expect(asMap(best.asks)).toEqual(t!.asks)
            // the best three, best first
            const top3 = book.best(3)
            const prices = (levels: ReadonlyArray<BookLevel>) => levels.map(([p]) => Number(formatDecimal(p)))
            expect(prices(top3.bids)).toEqual([...t!.bids.keys()].sort((a, b) => b - a).slice(0, 3))
            expect(prices(top3.asks)).toEqual([...t!.asks.keys()].sort((a, b) => a - b).slice(0, 3))
          }
          received.forEach((d, i) => {
            for (const [when, which] of snapshotAt) if (when === i && !book.live) book.onSnapshot(snapshotOf(boundaries[which % boundaries.length]!))
            book.onDelta(d)
            check()
          })
          // recovery: a snapshot of the venue's book now
          expect(book.onSnapshot(snapshotOf(id))).toBe("live")
          expect(book.updateId).toBe(id)
          check()
        }
      ),
      { numRuns: 300 }
    )
  })
})
