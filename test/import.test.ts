import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Option } from "effect"
import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { parseDecimal, toUnits } from "../src/core/domain/decimal"
import { importAsterCsv } from "../src/sim/data/import-aster-csv"
import { decimalTextToUnits, significantDecimals } from "../src/sim/data/import/rows"
import { type FileSummary, formatImportSummary } from "../src/sim/data/import/summary"
import { epochIntTextToUs, secondsTextToUs } from "../src/sim/data/import/units"
import { openTickFile, type TickFile } from "../src/sim/tickstore/reader"
import { TickKind } from "../src/sim/tickstore/types"

let dir = ""
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "hedgeloop-import-"))
})
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

const write = (name: string, lines: ReadonlyArray<string>): string => {
  const file = path.join(dir, name)
  fs.writeFileSync(file, lines.join("\n") + "\n")
  return file
}

interface Tick {
  ts: number
  instrument: number
  kind: number
  p1: number
  q1: number
  p2: number
  q2: number
}
const ticksOf = (f: TickFile): Array<Tick> => {
  const out: Array<Tick> = []
  for (const b of f.blocks())
    for (let i = 0; i < b.n; i++) out.push({ ts: b.ts[i]!, instrument: b.instrument[i]!, kind: b.kind[i]!, p1: b.p1[i]!, q1: b.q1[i]!, p2: b.p2[i]!, q2: b.q2[i]! })
  return out
}

/** The change counts of a file summary (what the tests compare with hand-computed numbers). */
const counts = (f: FileSummary) => ({
  rowsRead: f.rowsRead,
  unparseable: f.unparseable,
  unparseableLines: f.unparseableLines,
  invalid: f.invalid,
  crossed: f.crossed,
  invalidLines: f.invalidLines.map((l) => l.line),
  outOfOrder: f.outOfOrder,
  rowsMovedBySort: f.rowsMovedBySort,
  duplicates: f.duplicates,
  rowsKept: f.rowsKept
})

const S = 1_758_700_000 // a second of 2025-09-24, as in the real recording
const us = (seconds: number, micro = 0) => seconds * 1_000_000 + micro

describe("exact text conversions", () => {
  it("decimal text → units agrees with parseDecimal/toUnits", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 3 }),
        fc.boolean(),
        (mantissa, decimals, trailingZeros, extraScale, negative) => {
          const digits = mantissa.toString().padStart(decimals + 1, "0")
          const int = digits.slice(0, digits.length - decimals)
          const frac = digits.slice(digits.length - decimals) + "0".repeat(trailingZeros)
          const text = `${negative ? "-" : ""}${int}${frac.length > 0 ? "." + frac : ""}`
          const d = Option.getOrThrow(parseDecimal(text))
          const sig = significantDecimals(text)
          const scale = sig + extraScale
          expect(decimalTextToUnits(text, scale)).toBe(Number(toUnits(d, scale)))
          if (sig > 0) expect(decimalTextToUnits(text, sig - 1)).toBeNaN()
        }
      ),
      { numRuns: 500 }
    )
    expect(significantDecimals("2.241200")).toBe(4)
    expect(significantDecimals("2328.190000")).toBe(2)
    expect(decimalTextToUnits("2.241200", 4)).toBe(22412)
    for (const bad of ["", ".5", "5.", "1e-7", "abc", "1.2.3", "--1", "NaN", " 1"]) expect(decimalTextToUnits(bad, 8)).toBeNaN()
  })

  it("float seconds → µs on the text, and ms/µs epoch integers", () => {
    expect(secondsTextToUs("1758699465.1337595")).toBe(1758699465133759)
    expect(secondsTextToUs("1758699465.5")).toBe(1758699465500000)
    expect(secondsTextToUs("1758699465")).toBe(1758699465000000)
    expect(secondsTextToUs("1758699465.000001")).toBe(1758699465000001)
    expect(secondsTextToUs("1.7e9")).toBeNaN()
    expect(epochIntTextToUs("1758715675162")).toBe(1758715675162000)
    expect(epochIntTextToUs("1758715675162123")).toBe(1758715675162123)
    expect(epochIntTextToUs("12.5")).toBeNaN()
    fc.assert(
      fc.property(fc.integer({ min: 1_000_000_000, max: 2_000_000_000 }), fc.integer({ min: 0, max: 9_999_999 }), (s, frac7) => {
        const text = `${s}.${frac7.toString().padStart(7, "0")}`
        expect(secondsTextToUs(text)).toBe(Number((BigInt(s) * 10_000_000n + BigInt(frac7)) / 10n))
      })
    )
  })
})

describe("importing the Aster collector format", () => {
  // bbo.csv: line numbers in the comments count the header as line 1
  const bbo = [
    "unix_timestamp,bid,ask,mid",
    `${S}.1000000,2.2880,2.2890,2.288500`, // 2
    `${S}.3000000,2.2881,2.2890,2.28855`, //  3
    `${S}.2000000,2.2879,2.2889,2.2884`, //   4  earlier than line 3: re-sorted
    `${S}.3000000,2.2881,2.2890,2.28855`, //  5  exact duplicate of line 3
    `${S}.4000000,2.2890,2.2890,2.2890`, //   6  crossed (bid = ask)
    "garbage,line", //                        7  unparseable
    `${S}.5,2.2885,2.28910,2.28880`, //       8  ok
    `${S + 40}.5,2.2886,2.2892,2.2889`, //    9  ok, 40 s after the previous tick: a gap
    `${S + 40}.6,0,2.2892,1.1446` //         10  non-positive bid
  ]
  const aggtrades = [
    "id,unix_timestamp_ms,side,price,quantity",
    `100,${S}150,buy,2.289000,10.000000`, // 2
    `101,${S}250,sell,2.288000,5.500000`, // 3
    `101,${S}250,sell,2.288000,5.500000`, // 4  duplicate aggregate id
    `103,${S}450,buy,2.2891,1.25`, //        5
    `102,${S}350,buy,2.289,2`, //            6  earlier than line 5: re-sorted
    `104,${S}550,hold,2.289,1`, //           7  unknown side: unparseable
    `105,${S}650,sell,2.2885,0`, //          8  zero quantity: invalid
    `106,${S}750,buy,2.2890,0.01`, //        9  ok; its proxy size rounds to 0
    ""
  ]

  it("re-sorts, deduplicates, drops invalid rows, records gaps and reports it exactly", () => {
    const out = path.join(dir, "aster.db")
    const summary = importAsterCsv({
      trades: write("aggtrades.csv", aggtrades),
      quotes: write("bbo.csv", bbo),
      venue: "aster-futures",
      symbol: "ASTERUSDT",
      out
    })
    const [trades, quotes] = summary.files
    expect(trades!.format).toBe("aster-aggtrades")
    expect(counts(trades!)).toEqual({
      rowsRead: 8,
      unparseable: 1,
      unparseableLines: [7],
      invalid: 1,
      crossed: 0,
      invalidLines: [8],
      outOfOrder: 1,
      rowsMovedBySort: 1,
      duplicates: 1,
      rowsKept: 5
    })
    expect(quotes!.format).toBe("aster-bbo")
    expect(counts(quotes!)).toEqual({
      rowsRead: 9,
      unparseable: 1,
      unparseableLines: [7],
      invalid: 2,
      crossed: 1,
      invalidLines: [6, 10],
      outOfOrder: 1,
      rowsMovedBySort: 1,
      duplicates: 1,
      rowsKept: 5
    })
    expect(summary.instruments).toEqual([
      {
        idx: 0,
        venue: "aster-futures",
        symbol: "ASTERUSDT",
        base: "ASTER",
        quote: "USDT",
        kind: "perp",
        tickSize: "0.0001",
        stepSize: "0.01",
        minQty: "0.01",
        minNotional: "5",
        priceScale: 4,
        qtyScale: 2
      }
    ])
    expect(summary.perInstrument[0]!.gaps).toBe(1)

    const f = openTickFile(out)
    expect(f.meta.synthetic).toBe(false)
    expect(f.meta.proxy).toEqual([])
    expect((f.meta.notes.import as { files: Array<{ duplicates: number }> }).files.map((x) => x.duplicates)).toEqual([1, 1])
    // the last tick before the 40 s silence is the 0.01 trade at .750
    expect(f.gaps).toEqual([{ instrumentIdx: 0, fromTs: us(S, 750_000), toTs: us(S + 40, 500_000) }])
    const Q = TickKind.Quote
    const B = TickKind.TradeBuy
    const SE = TickKind.TradeSell
    expect(ticksOf(f)).toEqual([
      { ts: us(S, 100_000), instrument: 0, kind: Q, p1: 22880, q1: 0, p2: 22890, q2: 0 },
      { ts: us(S, 150_000), instrument: 0, kind: B, p1: 22890, q1: 1000, p2: 0, q2: 0 },
      { ts: us(S, 200_000), instrument: 0, kind: Q, p1: 22879, q1: 0, p2: 22889, q2: 0 },
      { ts: us(S, 250_000), instrument: 0, kind: SE, p1: 22880, q1: 550, p2: 0, q2: 0 },
      { ts: us(S, 300_000), instrument: 0, kind: Q, p1: 22881, q1: 0, p2: 22890, q2: 0 },
      { ts: us(S, 350_000), instrument: 0, kind: B, p1: 22890, q1: 200, p2: 0, q2: 0 },
      { ts: us(S, 450_000), instrument: 0, kind: B, p1: 22891, q1: 125, p2: 0, q2: 0 },
      { ts: us(S, 500_000), instrument: 0, kind: Q, p1: 22885, q1: 0, p2: 22891, q2: 0 },
      { ts: us(S, 750_000), instrument: 0, kind: B, p1: 22890, q1: 1, p2: 0, q2: 0 },
      { ts: us(S + 40, 500_000), instrument: 0, kind: Q, p1: 22886, q1: 0, p2: 22892, q2: 0 }
    ])
    expect([f.quoteCount, f.tradeCount, f.tickCount]).toEqual([5, 5, 10])
    f.close()
  })

  it("derives the proxy feed exactly (basis, spread, rounding, latency, volume ratio) and applies the clock offset", () => {
    const out = path.join(dir, "proxy.db")
    const summary = importAsterCsv({
      trades: write("aggtrades.csv", aggtrades),
      quotes: write("bbo.csv", bbo),
      venue: "aster-futures",
      symbol: "ASTERUSDT",
      out,
      quoteClockOffsetMs: 25,
      proxy: { venue: "backpack", symbol: "ASTER_USDC_PERP", basisBps: 10, spreadBps: "5", latencyMs: 100, volumeRatio: "0.5" }
    })
    expect(summary.clockOffsetMs).toBe(25)
    expect(summary.instruments.map((i) => [i.idx, i.venue, i.symbol, i.tickSize, i.stepSize, i.minQty, i.minNotional])).toEqual([
      [0, "backpack", "ASTER_USDC_PERP", "0.0001", "0.01", "0.01", "0"],
      [1, "aster-futures", "ASTERUSDT", "0.0001", "0.01", "0.01", "5"]
    ])
    expect(summary.proxy).toMatchObject({ quotesDerived: 5, quotesDropped: 0, tradesDerived: 5, tradesDroppedZeroQty: 1 })
    const f = openTickFile(out)
    expect(f.meta.proxy).toEqual([
      {
        venue: "backpack",
        symbol: "ASTER_USDC_PERP",
        from: "aster-futures",
        parameters: { fromSymbol: "ASTERUSDT", basisBps: "10", spreadBps: "5", latencyMs: 100, volumeRatio: "0.5" }
      }
    ])
    const ticks = ticksOf(f)
    const proxy = ticks.filter((t) => t.instrument === 0)
    // Hand-computed with f = 1.001, s = 0.0005:
    // quote 2.2880/2.2890: mid·f·s = 2.2885·1.001·0.0005 = 0.00114539425
    //   bid' = 2.2880·1.001 − 0.00114539425 = 2.28914260575 → floor 2.2891
    //   ask' = 2.2890·1.001 + 0.00114539425 = 2.29243439425 → ceil  2.2925
    // quote 2.2879/2.2889: mid·f·s = 2.2884·1.001·0.0005 = 0.001145342
    //   bid' = 2.2901879 − 0.001145342 = 2.289042558 → 2.2890; ask' = 2.2911889 + 0.001145342 = 2.292334242 → 2.2924
    // trade 2.289·1.001 = 2.291289 → 2.2913; 2.288·1.001 = 2.290288 → 2.2903; 2.2891·1.001 = 2.2913891 → 2.2914
    // sizes × 0.5 floored to 0.01: 10 → 5, 5.5 → 2.75, 2 → 1, 1.25 → 0.62, 0.01 → 0 (dropped)
    // quotes are at receive time + 25 ms offset, then + 100 ms latency; trades + 100 ms latency
    const Q = TickKind.Quote
    const B = TickKind.TradeBuy
    const SE = TickKind.TradeSell
    expect(proxy.slice(0, 7)).toEqual([
      { ts: us(S, 225_000), instrument: 0, kind: Q, p1: 22891, q1: 0, p2: 22925, q2: 0 },
      { ts: us(S, 250_000), instrument: 0, kind: B, p1: 22913, q1: 500, p2: 0, q2: 0 },
      { ts: us(S, 325_000), instrument: 0, kind: Q, p1: 22890, q1: 0, p2: 22924, q2: 0 },
      { ts: us(S, 350_000), instrument: 0, kind: SE, p1: 22903, q1: 275, p2: 0, q2: 0 },
      // quote 2.2881/2.2890: mid·f·s = 0.001145419275; bid' = 2.289242680725 → 2.2892, ask' = 2.292434419275 → 2.2925
      { ts: us(S, 425_000), instrument: 0, kind: Q, p1: 22892, q1: 0, p2: 22925, q2: 0 },
      { ts: us(S, 450_000), instrument: 0, kind: B, p1: 22913, q1: 100, p2: 0, q2: 0 },
      { ts: us(S, 550_000), instrument: 0, kind: B, p1: 22914, q1: 62, p2: 0, q2: 0 }
    ])
    expect(proxy.length).toBe(9) // 5 quotes + 4 trades
    expect(proxy.some((t) => t.ts === us(S, 850_000))).toBe(false) // the 0.01 trade rounded to 0
    // source quotes carry the +25 ms offset, trades do not
    expect(ticks.filter((t) => t.instrument === 1 && t.kind === Q).map((t) => t.ts)).toEqual([
      us(S, 125_000),
      us(S, 225_000),
      us(S, 325_000),
      us(S, 525_000),
      us(S + 40, 525_000)
    ])
    // at equal timestamps the source tick precedes the proxy tick
    const at225 = ticks.filter((t) => t.ts === us(S, 225_000)).map((t) => t.instrument)
    expect(at225).toEqual([1, 0])
    // source: last tick before the silence is the trade at .750; proxy: that trade was dropped, so its quote at .625
    expect(f.gaps.map((g) => [g.instrumentIdx, g.fromTs, g.toTs])).toEqual([
      [0, us(S, 625_000), us(S + 40, 625_000)],
      [1, us(S, 750_000), us(S + 40, 525_000)]
    ])
    f.close()
  })

  it("rounds proxy trade prices to the nearest tick, halves up", () => {
    const out = path.join(dir, "half.db")
    importAsterCsv({
      trades: write("half-trades.csv", ["id,unix_timestamp_ms,side,price,quantity", `1,${S}100,buy,2.0500,1`, `2,${S}200,sell,2.0400,1`]),
      venue: "aster-futures",
      symbol: "ASTERUSDT",
      out,
      proxy: { venue: "backpack", symbol: "ASTER_USDC_PERP", basisBps: 10 }
    })
    const f = openTickFile(out)
    // 2.05 · 1.001 = 2.05205 → 2.0521 (half up); 2.04 · 1.001 = 2.04204 → 2.0420
    expect(ticksOf(f).filter((t) => t.instrument === 0).map((t) => [t.p1, t.q1])).toEqual([
      [20521, 100],
      [20420, 100]
    ])
    f.close()
  })

  it("stores depth snapshots with a level-0 quote and validates the book", () => {
    const depth = write("depth10.csv", [
      "unix_timestamp,lastUpdateId,bid_price_0,bid_qty_0,bid_price_1,bid_qty_1,ask_price_0,ask_qty_0,ask_price_1,ask_qty_1",
      `${S + 1}.0,7,2.2880,10.000000,2.2879,20.5,2.2890,5,2.2891,6`,
      `${S + 1}.5,8,2.2880,10,2.2881,20,2.2890,5,2.2891,6`, // bids not descending
      `${S + 1}.0,7,2.2880,10.000000,2.2879,20.5,2.2890,5,2.2891,6` // duplicate of line 2
    ])
    const out = path.join(dir, "depth.db")
    const summary = importAsterCsv({ depth, venue: "aster-futures", symbol: "ASTERUSDT", out })
    expect(counts(summary.files[0]!)).toEqual({
      rowsRead: 3,
      unparseable: 0,
      unparseableLines: [],
      invalid: 1,
      crossed: 0,
      invalidLines: [3],
      outOfOrder: 0, // counted over valid rows: lines 2 and 4 share a timestamp
      rowsMovedBySort: 0,
      duplicates: 1,
      rowsKept: 1
    })
    const f = openTickFile(out)
    const ticks = ticksOf(f)
    expect(ticks).toEqual([
      { ts: us(S + 1), instrument: 0, kind: TickKind.Depth, p1: 1, q1: 0, p2: 0, q2: 0 },
      { ts: us(S + 1), instrument: 0, kind: TickKind.Quote, p1: 22880, q1: 100, p2: 22890, q2: 50 } // step 0.1 (from 20.5)
    ])
    expect(f.depth(1)).toEqual({ bids: [[22880, 100], [22879, 205]], asks: [[22890, 50], [22891, 60]] })
    expect(f.instruments[0]!.stepSize).toBe("0.1")
    f.close()
  })

  it("keeps aggregate trades priced between ticks exactly, with a finer price scale", () => {
    const out = path.join(dir, "offtick.db")
    const summary = importAsterCsv({
      trades: write("offtick-trades.csv", ["id,unix_timestamp_ms,side,price,quantity", `1,${S}100,buy,2.241680,77334.320000`]),
      quotes: write("offtick-bbo.csv", ["unix_timestamp,bid,ask,mid", `${S}.0,2.2416,2.2417,2.24165`]),
      venue: "aster-futures",
      symbol: "ASTERUSDT",
      out
    })
    expect(summary.files[0]!.offTickTrades).toBe(1)
    const f = openTickFile(out)
    expect([f.instruments[0]!.tickSize, f.instruments[0]!.priceScale]).toEqual(["0.0001", 5])
    expect(ticksOf(f).map((t) => [t.kind, t.p1, t.q1, t.p2])).toEqual([
      [TickKind.Quote, 224160, 0, 224170],
      [TickKind.TradeBuy, 224168, 7733432, 0]
    ])
    f.close()
  })

  it("synthesizes assumed funding at UTC multiples of the interval with mark = last mid", () => {
    // 1758700800 is a whole hour (2025-09-24T08:00:00Z)
    const quotes = write("funding-bbo.csv", ["unix_timestamp,bid,ask,mid", "1758700790.0,2.2880,2.2891,2.28855", "1758700810.0,2.3000,2.3002,2.3001"])
    const out = path.join(dir, "funding.db")
    const summary = importAsterCsv({ quotes, venue: "aster-futures", symbol: "ASTERUSDT", out, funding: { intervalHours: 1, rate: "0.00010" } })
    expect(summary.funding).toEqual({ intervalHours: 1, rate: "0.0001", events: 1, assumed: true })
    const f = openTickFile(out)
    expect(f.funding).toEqual([{ instrumentIdx: 0, ts: 1758700800_000000, rate: "0.0001", markPrice: "2.28855" }])
    expect(JSON.stringify(f.meta.notes.funding)).toMatch(/assumed/)
    f.close()
    expect(formatImportSummary(summary)).not.toMatch(/no funding events/)
  })

  it("says which perps got no funding events, and how to add them; spot needs none", () => {
    const quotes = write("nofunding-bbo.csv", ["unix_timestamp,bid,ask,mid", "1758700790.0,2.2880,2.2891,2.28855", "1758700810.0,2.3000,2.3002,2.3001"])
    const futures = importAsterCsv({ quotes, venue: "aster-futures", symbol: "ASTERUSDT", out: path.join(dir, "nofunding.db") })
    expect(formatImportSummary(futures)).toContain(
      "  note: no funding events for aster-futures ASTERUSDT: a backtest of this file pays no funding and its funding guard never pauses (--funding-interval-hours H --funding-rate R adds a schedule)"
    )
    const spot = importAsterCsv({ quotes, venue: "aster-spot", symbol: "ASTERUSDT", out: path.join(dir, "spot.db") })
    expect(formatImportSummary(spot)).not.toMatch(/no funding events/)
    // Was: the same hint to add the flags, to an import given them whose 20 s hold no funding time of a 5-hour schedule
    const scheduled = importAsterCsv({ quotes, venue: "aster-futures", symbol: "ASTERUSDT", out: path.join(dir, "nofunding-scheduled.db"), funding: { intervalHours: 5, rate: "0.0001" } })
    expect(formatImportSummary(scheduled)).toContain(
      "  note: no funding events for aster-futures ASTERUSDT: a backtest of this file pays no funding and its funding guard never pauses (no funding time of the schedule given, every 5 h, falls between the first quote and the end of the data)"
    )
  })
})

describe("importing Binance-style public data", () => {
  it("reads headerless aggTrades (ms and µs times, is_buyer_maker) and bookTicker with header", () => {
    const trades = write("binance-aggTrades.csv", [
      `1,2.2890,10.5,1,1,${S}150,true,true`, //         1  buyer was maker: taker sold
      `2,2.2891,3,2,3,${S}250000,false,true`, //        2  µs time; taker bought
      `2,2.2891,3,2,3,${S}250000,false,true`, //        3  duplicate id
      `4,abc,1,4,4,${S}300,true,true`, //               4  unparseable
      `5,2.2889,1,5,5,${S}200,true,true` //             5  out of order
    ])
    const quotes = write("binance-bookTicker.csv", [
      "update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time",
      `10,2.2880,100.5,2.2890,200,${S}100,${S}101`, // 2
      `11,2.2881,50,2.2880,10,${S}200,${S}201`, //     3  crossed
      `12,2.2882,50,2.2890,10,${S}300,${S}301`, //     4
      `12,2.2882,50,2.2890,10,${S}300,${S}301` //      5  exact duplicate
    ])
    const out = path.join(dir, "binance.db")
    const summary = importAsterCsv({ trades, quotes, venue: "aster-futures", symbol: "ASTERUSDT", out })
    const [t, q] = summary.files
    expect([t!.format, t!.header, q!.format, q!.header]).toEqual(["binance-aggtrades", false, "binance-bookticker", true])
    expect(counts(t!)).toEqual({
      rowsRead: 5,
      unparseable: 1,
      unparseableLines: [4],
      invalid: 0,
      crossed: 0,
      invalidLines: [],
      outOfOrder: 1,
      rowsMovedBySort: 1,
      duplicates: 1,
      rowsKept: 3
    })
    expect(counts(q!)).toEqual({
      rowsRead: 4,
      unparseable: 0,
      unparseableLines: [],
      invalid: 1,
      crossed: 1,
      invalidLines: [3],
      outOfOrder: 0,
      rowsMovedBySort: 0,
      duplicates: 1,
      rowsKept: 2
    })
    const f = openTickFile(out)
    expect(f.instruments[0]!.stepSize).toBe("0.1")
    expect(ticksOf(f).map((x) => [x.ts, x.kind, x.p1, x.q1, x.p2, x.q2])).toEqual([
      [us(S, 100_000), TickKind.Quote, 22880, 1005, 22890, 2000],
      [us(S, 150_000), TickKind.TradeSell, 22890, 105, 0, 0],
      [us(S, 200_000), TickKind.TradeSell, 22889, 10, 0, 0],
      [us(S, 250_000), TickKind.TradeBuy, 22891, 30, 0, 0],
      [us(S, 300_000), TickKind.Quote, 22882, 500, 22890, 100]
    ])
    f.close()
  })
})

describe("importer errors", () => {
  it("names the file, the line and what was expected for unknown columns", () => {
    const bad = write("unknown.csv", ["time,price,size", "1,2,3"])
    expect(() => importAsterCsv({ trades: bad, venue: "aster-futures", symbol: "X", out: path.join(dir, "x.db") })).toThrow(
      new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: line 1: unrecognised columns "time,price,size"; expected Aster aggtrades columns`)
    )
    const bbo = write("bbo-as-trades.csv", ["unix_timestamp,bid,ask,mid", `${S}.1,1,2,1.5`])
    expect(() => importAsterCsv({ trades: bbo, venue: "aster-futures", symbol: "X", out: path.join(dir, "x.db") })).toThrow(
      /line 1: found aster-bbo columns, but this was given as the trades file/
    )
    expect(() => importAsterCsv({ quotes: path.join(dir, "nope.csv"), venue: "aster-futures", symbol: "X", out: path.join(dir, "x.db") })).toThrow(
      /quotes file not found: .*nope\.csv/
    )
    expect(fs.existsSync(path.join(dir, "x.db"))).toBe(false)
  })
})

const SHARED = path.resolve(process.cwd(), "../shared/data/aster-futures-ASTERUSDT-2025-09-24")
const haveShared = fs.existsSync(path.join(SHARED, "aggtrades.csv")) && fs.existsSync(path.join(SHARED, "bbo.csv"))

describe("the real Aster recording (../shared/data)", () => {
  if (!haveShared) it.skip(`skipped: ${SHARED} is absent`, () => {})
  else
    it("imports trades and quotes with a backpack proxy, matching the README's row counts", () => {
      const trades = path.join(SHARED, "aggtrades.csv")
      const quotes = path.join(SHARED, "bbo.csv")
      // independent expectations from the raw text
      const lines = (file: string) => fs.readFileSync(file, "utf8").split(/\r?\n/).slice(1).filter((l) => l.trim() !== "")
      const bboLines = lines(quotes)
      const tradeLines = lines(trades)
      const bboTimes = bboLines.map((l) => Number(l.split(",")[0]))
      const steps = bboTimes.filter((t, i) => i > 0 && t < bboTimes[i - 1]!).length
      const exactDupBbo = bboLines.length - new Set(bboLines).size
      const dupIds = tradeLines.length - new Set(tradeLines.map((l) => l.split(",")[0])).size

      const out = path.join(dir, "real.db")
      const summary = importAsterCsv({ trades, quotes, venue: "aster-futures", symbol: "ASTERUSDT", out, proxy: { venue: "backpack", symbol: "ASTER_USDC_PERP", latencyMs: 50 } })
      const [t, q] = summary.files
      expect(t!.rowsRead).toBe(68_750)
      expect(q!.rowsRead).toBe(72_840)
      expect([q!.outOfOrder, steps]).toEqual([1, 1])
      expect(q!.duplicates).toBe(exactDupBbo)
      expect(q!.crossed).toBe(0) // README: no crossed quotes
      expect(q!.rowsKept).toBe(72_840 - q!.unparseable - q!.invalid - q!.duplicates)
      expect(q!.rowsKept).toBe(72_840)
      expect(t!.duplicates).toBe(dupIds)
      expect(t!.rowsKept).toBe(68_750)
      expect(summary.instruments[1]!.tickSize).toBe("0.0001")

      const f = openTickFile(out)
      expect(f.instruments.map((i) => `${i.venue}:${i.symbol}`)).toEqual(["backpack:ASTER_USDC_PERP", "aster-futures:ASTERUSDT"])
      const n = { quotes: [0, 0], trades: [0, 0] }
      let prev = -Infinity
      let ordered = true
      let firstQuote: Array<number> | undefined
      for (const b of f.blocks())
        for (let i = 0; i < b.n; i++) {
          if (b.ts[i]! < prev) ordered = false
          prev = b.ts[i]!
          const k = b.kind[i]!
          const inst = b.instrument[i]!
          if (k === TickKind.Quote) {
            n.quotes[inst]!++
            if (inst === 1 && firstQuote === undefined) firstQuote = [b.ts[i]!, b.p1[i]!, b.p2[i]!]
          } else n.trades[inst]!++
        }
      expect(ordered).toBe(true)
      expect(n.quotes).toEqual([72_840, 72_840])
      expect(n.trades[1]).toBe(68_750)
      expect(n.trades[0]).toBe(68_750 - summary.proxy!.tradesDroppedZeroQty)
      // first bbo row: 1758699465.1337595,2.2884,2.2891 (price scale 5: trades carry 5-decimal averages)
      expect(f.instruments[1]!.priceScale).toBe(5)
      expect(firstQuote).toEqual([1758699465133759, 228840, 228910])
      f.close()
    })
})
