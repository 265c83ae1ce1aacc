/**
 * Market data in and out where a review found faults: a recording's restart on changed minimums,
 * a recording an import must not replace, a recording's end with a reader open, and CSV rows cut
 * short or too fine. Each failed before its fix.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Scope, TestClock } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { decimal } from "../src/core/domain/decimal"
import type { Instrument } from "../src/core/domain/instrument"
import type { MarketEvent } from "../src/core/domain/market"
import { makeMarketTaps } from "../src/adapters/common/market-taps"
import { startMarketRecording } from "../src/live/market-recorder"
import { importAsterCsv } from "../src/sim/data/import-aster-csv"
import { formatImportSummary } from "../src/sim/data/import/summary"
import { openTickFile } from "../src/sim/tickstore/reader"
import type { StoredInstrument } from "../src/sim/tickstore/types"
import { openRecording, type RecordingWriter } from "../src/sim/tickstore/writer"
import { PERP } from "./support/fake-local-venue"
import { tempDir } from "./support/scripted-market"
import { streamingVenue } from "./support/streaming-venue"

const T0 = 1_758_700_000_000_000
const S = 1_758_700_000

const INSTRUMENTS: ReadonlyArray<Omit<StoredInstrument, "idx">> = [
  { venue: "backpack", symbol: "ASTER_USDC_PERP", base: "ASTER", quote: "USDC", kind: "perp", tickSize: "0.0001", stepSize: "0.01", minQty: "0.01", minNotional: "0", priceScale: 4, qtyScale: 2 },
  { venue: "aster-futures", symbol: "ASTERUSDT", base: "ASTER", quote: "USDT", kind: "perp", tickSize: "0.0001", stepSize: "0.01", minQty: "0.01", minNotional: "5", priceScale: 4, qtyScale: 2 }
]
const RECORDING_META = {
  source: "hedgeloop live recording: backpack ASTER_USDC_PERP + aster-futures ASTERUSDT",
  synthetic: false,
  proxy: [],
  createdAt: "2025-09-24T00:00:00.000Z",
  notes: { recording: { timestamps: "local receive time of each stream message (µs)", runs: 1 } }
}

const writeFile = (dir: string, name: string, text: string): string => {
  const file = path.join(dir, name)
  fs.writeFileSync(file, text)
  return file
}

/** A finished recording of both instruments holding `n` quotes. */
const finishedRecording = (file: string, n: number): void => {
  const { writer } = openRecording(file, RECORDING_META, INSTRUMENTS)
  for (let i = 0; i < n; i++) writer.appendQuote(i % 2, T0 + i * 1_000, 22880, 100, 22890, 100)
  writer.finish()
}

describe("tick store: recordings", () => {
  // Was: a restart whose venue's minimums changed appends to the old file without a word.
  // src/sim/tickstore/writer.ts:102-107 (openRecording) compares venue, symbol, tick, step and the
  // scales only, not min qty / min notional; README §8: "A file keeps the filters (tick, step,
  // minimums) of its first start … A restart whose venue's filters differ from the file's is refused".
  it("a restart whose venue's min notional (or min qty) differs from the file's is refused", () => {
    const file = path.join(tempDir(), "recorded.db")
    finishedRecording(file, 2)
    const minNotionalRaised = [INSTRUMENTS[0]!, { ...INSTRUMENTS[1]!, minNotional: "10" }]
    let opened: RecordingWriter | undefined
    try {
      expect(() => {
        opened = openRecording(file, RECORDING_META, minNotionalRaised).writer
      }).toThrow(/record into another file/)
    } finally {
      opened?.abort()
    }
    const minQtyRaised = [{ ...INSTRUMENTS[0]!, minQty: "1" }, INSTRUMENTS[1]!]
    let opened2: RecordingWriter | undefined
    try {
      expect(() => {
        opened2 = openRecording(file, RECORDING_META, minQtyRaised).writer
      }).toThrow(/record into another file/)
    } finally {
      opened2?.abort()
    }
  })

  // Was: an import (or gen-data) whose --out names an existing live recording deletes it and writes
  // its own ticks there. src/sim/tickstore/writer.ts:159-178 (assertReplaceable) lets any tick file
  // be replaced because it can be "made again" (its own doc comment), but a recording of real
  // Backpack data cannot be: it must be refused like a journal ("one slip in an --out must not
  // delete what only exists once").
  it("an import whose --out is an existing market recording refuses to replace it", () => {
    const dir = tempDir()
    const file = path.join(dir, "recorded.db")
    finishedRecording(file, 4)
    const quotes = writeFile(dir, "bbo.csv", `unix_timestamp,bid,ask,mid\n${S}.1,2.2880,2.2890,2.2885\n${S}.2,2.2881,2.2890,2.28855\n`)
    let threw = false
    try {
      importAsterCsv({ quotes, venue: "aster-futures", symbol: "ASTERUSDT", out: file, createdAt: "2025-09-24T00:00:00.000Z" })
    } catch {
      threw = true
    }
    const f = openTickFile(file)
    try {
      expect({ threw, source: f.meta.source, ticks: f.tickCount }).toEqual({ threw: true, source: RECORDING_META.source, ticks: 4 })
    } finally {
      f.close()
    }
  })
})

const ASTER: Instrument = { ...PERP, venue: "aster-futures", symbol: "ASTERUSDT", quote: "USDT", minNotional: decimal("5") }
const quote = (venue: Instrument["venue"], bid: string, ask: string): MarketEvent => ({
  _tag: "Quote",
  quote: { venue, ts: 0, bid: decimal(bid), bidQty: decimal("10"), ask: decimal(ask), askQty: decimal("10") }
})

describe("market recorder: the end of a run", () => {
  // Was: a run that ends while anything reads the recording (a backtest of the minutes so far,
  // which README §8 invites: "the file is … a complete tick file after each commit") reports
  // "recording stopped early: database is locked" although every tick was committed.
  // src/sim/tickstore/writer.ts:377 (finish) folds the WAL back with `journal_mode = DELETE`, which
  // fails while another connection is open, and the error aborts the finished writer; the fold is
  // housekeeping and must not turn a complete recording into a reported failure.
  it.effect("a reader open on the file when the run ends does not make the recording report a failure", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "recorded.db")
      let now = T0
      const scope = yield* Scope.make()
      const maker = makeMarketTaps()
      const hedge = makeMarketTaps()
      const recording = yield* Scope.extend(
        startMarketRecording({ maker: streamingVenue(PERP, maker), hedge: streamingVenue(ASTER, hedge) }, { kind: "live", path: file, commitEvery: "1 second", nowUs: () => now }),
        scope
      )
      maker.publish(() => quote("backpack", "1.999", "2.001"))
      now += 1_000
      hedge.publish(() => quote("aster-futures", "1.9995", "2.0005"))
      yield* TestClock.adjust("1 second")
      // someone backtests what is recorded so far
      const reader = openTickFile(file)
      try {
        expect(reader.tickCount).toBe(2)
        now += 1_000
        maker.publish(() => quote("backpack", "1.998", "2.001"))
        yield* Scope.close(scope, Exit.void)
      } finally {
        reader.close()
      }
      const summary = yield* recording.summary
      const f = openTickFile(file)
      const ticks = f.tickCount
      f.close()
      expect({ ticks, failure: summary.failure }).toEqual({ ticks: 3, failure: undefined })
    }))
})

describe("CSV import: messy files", () => {
  // Was: a last line cut short (the collector still writing, a copy taken mid-write) is imported as
  // a whole row with a wrong value: "…,1069.780000" cut to "…,1069.7" becomes a 1069.7 trade, and the
  // summary says "no changes". src/sim/data/import/lines.ts:32 hands the unterminated rest over as
  // a complete line; in a file whose other lines all end in a newline it is a truncated row and must
  // be dropped and reported (as unparseable lines are), not stored.
  it("a truncated last line (no line end, in a file of terminated lines) is not stored as a trade", () => {
    const dir = tempDir()
    const trades = writeFile(
      dir,
      "aggtrades.csv",
      "id,unix_timestamp_ms,side,price,quantity\n" +
        `1,${S}150,buy,2.241200,2328.190000\n` +
        `2,${S}250,sell,2.241600,10.500000\n` +
        `3,${S}350,sell,2.241600,1069.7` // cut short: was 1069.780000\n
    )
    const out = path.join(dir, "out.db")
    const summary = importAsterCsv({ trades, venue: "aster-futures", symbol: "ASTERUSDT", out, createdAt: "2025-09-24T00:00:00.000Z" })
    const f = openTickFile(out)
    const storedTs = [...f.blocks()].flatMap((b) => [...b.ts])
    f.close()
    expect(storedTs).not.toContain((S * 1000 + 350) * 1000)
    expect(summary.files[0]!.unparseableLines).toContain(4)
  })

  // Was: one row with more than 15 decimals (e.g. a stray quantity "0.0000000000000001") aborts the
  // whole import with "aster-futures ASTERUSDT: more than 15 decimals in prices or quantities",
  // naming neither the file nor the line, so on a large recording the row cannot be found.
  // src/sim/data/import-aster-csv.ts:97. The row should be dropped as invalid with its line (as
  // other impossible values are), or at least the error must name the file and the line.
  it("a row with more than 15 decimals is named by file and line", () => {
    const dir = tempDir()
    const trades = writeFile(
      dir,
      "aggtrades.csv",
      "id,unix_timestamp_ms,side,price,quantity\n" +
        `1,${S}150,buy,2.2412,10.5\n` +
        `2,${S}250,sell,2.2416,0.0000000000000001\n` +
        `3,${S}350,sell,2.2416,3\n`
    )
    let message: string
    try {
      message = formatImportSummary(importAsterCsv({ trades, venue: "aster-futures", symbol: "ASTERUSDT", out: path.join(dir, "out.db"), createdAt: "2025-09-24T00:00:00.000Z" }))
    } catch (e) {
      message = (e as Error).message
    }
    expect(message).toContain(trades)
    expect(message).toMatch(/line 3\b/)
  })
})
