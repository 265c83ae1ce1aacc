/**
 * `npm run live --record FILE`: what two venues stream is kept in a tick file that is complete
 * after every commit, resumed by the next run, and read back exactly. The venues here are stubs
 * whose market messages the test pushes; the clock is effect's TestClock (commits, funding
 * times) plus an injected receive time (the ticks' timestamps).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Logger, Option, Ref, Scope, TestClock } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { decimal } from "../src/core/domain/decimal"
import type { Instrument } from "../src/core/domain/instrument"
import type { FundingQuote, MarketEvent } from "../src/core/domain/market"
import type { Exchange } from "../src/core/exchange"
import { makeMarketTaps } from "../src/adapters/common/market-taps"
import { type RecordingOptions, startMarketRecording } from "../src/live/market-recorder"
import { runBacktest } from "../src/sim/backtest"
import { openTickFile } from "../src/sim/tickstore/reader"
import { TickKind } from "../src/sim/tickstore/types"
import { createTickFile } from "../src/sim/tickstore/writer"
import { testConfig } from "./support/config"
import { PERP } from "./support/fake-local-venue"
import { tempDir } from "./support/scripted-market"
import { streamingVenue } from "./support/streaming-venue"

/** the maker venue's instrument, as the other venue tests use it */
const BACKPACK: Instrument = PERP
const ASTER: Instrument = { ...BACKPACK, venue: "aster-futures", symbol: "ASTERUSDT", quote: "USDT", tickSize: decimal("0.00001"), stepSize: decimal("1"), minQty: decimal("1"), minNotional: decimal("5") }

const T0 = 1_758_672_000_000_000

const quote = (venue: Instrument["venue"], bid: string, bidQty: string, ask: string, askQty: string): MarketEvent => ({
  _tag: "Quote",
  quote: { venue, ts: 0, bid: decimal(bid), bidQty: decimal(bidQty), ask: decimal(ask), askQty: decimal(askQty) }
})
const trade = (venue: Instrument["venue"], price: string, qty: string, takerSide: "buy" | "sell"): MarketEvent => ({
  _tag: "Trade",
  trade: { venue, ts: 0, price: decimal(price), qty: decimal(qty), takerSide }
})

/** Every tick of a file as [instrument, kind, ts offset from T0 in ms, p1, q1, p2, q2]. */
const ticksOf = (file: string) => {
  const f = openTickFile(file)
  try {
    const out: Array<Array<number>> = []
    for (const b of f.blocks()) {
      for (let i = 0; i < b.n; i++) out.push([b.instrument[i]!, b.kind[i]!, (b.ts[i]! - T0) / 1000, b.p1[i]!, b.q1[i]!, b.p2[i]!, b.q2[i]!])
    }
    return { ticks: out, file: { tickCount: f.tickCount, blockCount: f.blockCount, funding: f.funding, gaps: f.gaps, notes: f.meta.notes, instruments: f.instruments, source: f.meta.source } }
  } finally {
    f.close()
  }
}

const tempFile = () => path.join(tempDir(), "ticks.db")

/** A recording in its own scope, so a test can end it (finish the file) and start the next. */
const recording = (options: Omit<RecordingOptions, "kind">, funding?: Ref.Ref<Option.Option<FundingQuote>>) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const maker = makeMarketTaps()
    const hedge = makeMarketTaps()
    const started = yield* Effect.either(Scope.extend(
      startMarketRecording({ maker: streamingVenue(BACKPACK, maker, funding), hedge: streamingVenue(ASTER, hedge, funding) }, { kind: "live", ...options }),
      scope
    ))
    return { started, maker, hedge, end: Scope.close(scope, Exit.void) }
  })

describe("market recording", () => {
  it.effect("keeps both venues' quotes and trades exactly, stamped on arrival, readable after every commit", () =>
    Effect.gen(function*() {
      const file = tempFile()
      let now = T0
      const r = yield* recording({ path: file, commitEvery: "1 second", nowUs: () => now })
      const rec = Effect.runSync(Effect.orDie(r.started))
      // readable from the start, empty
      expect(ticksOf(file).file.tickCount).toBe(0)

      r.maker.publish(() => quote("backpack", "1.999", "500", "2.001", "400.5"))
      now += 1_000
      r.hedge.publish(() => trade("aster-futures", "2.00005", "12", "sell"))
      r.maker.publish(() => trade("backpack", "2.02", "3.25", "buy"))
      // a clock that steps back still gives ticks in order
      now -= 500
      r.hedge.publish(() => quote("aster-futures", "1.99995", "5000", "2.00005", "4000"))
      // nothing committed yet: a reader sees the last commit
      expect(ticksOf(file).file.tickCount).toBe(0)
      yield* TestClock.adjust("1 second")
      expect(ticksOf(file).ticks).toEqual([
        // prices kept with 4 decimals beyond the tick (an aggregate's average price may fall between ticks)
        [0, TickKind.Quote, 0, 199900000, 50000, 200100000, 40050],
        [1, TickKind.TradeSell, 1, 2000050000, 12, 0, 0],
        [0, TickKind.TradeBuy, 1, 202000000, 325, 0, 0],
        [1, TickKind.Quote, 1, 1999950000, 5000, 2000050000, 4000]
      ])

      // an average price between ticks is kept (Was: skipped, as off the grid: Aster's @aggTrade
      // prints its largest trades so); a size off the step is not stored, counted
      r.maker.publish(() => trade("backpack", "2.00005", "1", "buy"))
      r.hedge.publish(() => trade("aster-futures", "2", "0.5", "buy"))
      // 40 s without a backpack tick: a gap on backpack only (aster spoke 10 s ago)
      now = T0 + 30_000_000
      r.hedge.publish(() => quote("aster-futures", "1.9999", "1", "2", "1"))
      now = T0 + 41_000_000
      r.maker.publish(() => quote("backpack", "1.9998", "1", "2", "1"))
      yield* TestClock.adjust("1 second")
      const committed = ticksOf(file)
      expect(committed.file.tickCount).toBe(7)
      expect(committed.file.gaps).toEqual([{ instrumentIdx: 0, fromTs: T0 + 1_000, toTs: T0 + 41_000_000 }])

      expect(yield* rec.summary).toEqual({ path: file, ticks: 7, funding: 0, totalTicks: 7, skipped: 1 })
      yield* r.end
      // finished: one file again, described as a recording
      expect(fs.existsSync(`${file}-wal`)).toBe(false)
      const done = ticksOf(file).file
      expect(done.source).toBe("hedgeloop live recording: backpack ASTER_USDC_PERP + aster-futures ASTERUSDT")
      // each instrument's own last tick, for a restart's gaps: backpack's at 41 s, aster's at 30 s
      expect(done.notes["recording"]).toEqual({ timestamps: "local receive time of each stream message (µs)", runs: 1, skipped: 1, lastTickUs: [T0 + 41_000_000, T0 + 30_000_000] })
      expect(done.instruments.map((i) => [i.venue, i.symbol, i.tickSize, i.stepSize, i.minNotional, i.priceScale, i.qtyScale])).toEqual([
        ["backpack", "ASTER_USDC_PERP", "0.0001", "0.01", "0", 8, 2],
        ["aster-futures", "ASTERUSDT", "0.00001", "1", "5", 9, 0]
      ])
      // after the scope closed nothing more is written
      r.maker.publish(() => quote("backpack", "1.9", "1", "2", "1"))
      expect(ticksOf(file).file.tickCount).toBe(7)
    }))

  it.effect("keeps a partial book as a depth snapshot, best levels first, exactly", () =>
    Effect.gen(function*() {
      const file = tempFile()
      const r = yield* recording({ path: file, nowUs: () => T0 + 7_000 })
      Effect.runSync(Effect.orDie(r.started))
      const levels = (pairs: ReadonlyArray<readonly [string, string]>) => pairs.map(([p, q]) => [decimal(p), decimal(q)] as const)
      r.hedge.publish(() => ({
        _tag: "Depth",
        depth: { venue: "aster-futures", ts: 0, bids: levels([["1.99995", "120"], ["1.9999", "4000"]]), asks: levels([["2.00005", "7"]]) }
      }))
      // one level off the grid (a fraction of a step): the whole snapshot is skipped, not half stored
      r.hedge.publish(() => ({ _tag: "Depth", depth: { venue: "aster-futures", ts: 0, bids: levels([["1.99995", "0.5"]]), asks: [] } }))
      yield* r.end
      const f = openTickFile(file)
      const blocks = [...f.blocks()]
      expect([f.tickCount, f.depthCount, blocks[0]!.kind[0], blocks[0]!.instrument[0], blocks[0]!.ts[0]]).toEqual([1, 1, TickKind.Depth, 1, T0 + 7_000])
      expect(f.depth(blocks[0]!.p1[0]!)).toEqual({ bids: [[1999950000, 120], [1999900000, 4000]], asks: [[2000050000, 7]] })
      expect((f.meta.notes["recording"] as { skipped: number }).skipped).toBe(1)
      f.close()
    }))

  it.effect("a restart appends to the same file: the time nobody recorded is a gap, a funding time is stored once", () =>
    Effect.gen(function*() {
      const file = tempFile()
      let now = T0
      const funding = yield* Ref.make(Option.some<FundingQuote>({ fundingTime: 60_000, rate: decimal("0.0001"), markPrice: decimal("2.0001") }))
      const first = yield* recording({ path: file, commitEvery: "1 second", nowUs: () => now }, funding)
      Effect.runSync(Effect.orDie(first.started))
      first.maker.publish(() => quote("backpack", "1.999", "1", "2.001", "1"))
      // the funding time passes (TestClock starts at 0): both perps store it, at the last announced rate
      yield* Ref.set(funding, Option.some<FundingQuote>({ fundingTime: 60_000, rate: decimal("-0.0002"), markPrice: decimal("2.0002") }))
      yield* TestClock.adjust("61 seconds")
      yield* first.end
      expect(ticksOf(file).file.funding).toEqual([
        { instrumentIdx: 0, ts: 60_000_000, rate: "-0.0002", markPrice: "2.0002" },
        { instrumentIdx: 1, ts: 60_000_000, rate: "-0.0002", markPrice: "2.0002" }
      ])

      // the next run, 5 minutes later, still sees the same funding time announced at first
      now = T0 + 300_000_000
      yield* Ref.set(funding, Option.some<FundingQuote>({ fundingTime: 60_000, rate: decimal("-0.0002"), markPrice: decimal("2.0002") }))
      const second = yield* recording({ path: file, commitEvery: "1 second", nowUs: () => now }, funding)
      const rec = Effect.runSync(Effect.orDie(second.started))
      second.hedge.publish(() => trade("aster-futures", "2", "3", "buy"))
      second.maker.publish(() => trade("backpack", "2", "3", "sell"))
      yield* Ref.set(funding, Option.some<FundingQuote>({ fundingTime: 3_600_000, rate: decimal("0.0003"), markPrice: decimal("2") }))
      yield* TestClock.adjust("1 second")
      yield* second.end

      const { ticks, file: after } = ticksOf(file)
      expect(ticks.map((t) => [t[0], t[1], t[2]])).toEqual([[0, TickKind.Quote, 0], [1, TickKind.TradeBuy, 300_000], [0, TickKind.TradeSell, 300_000]])
      expect(after.gaps).toEqual([
        { instrumentIdx: 0, fromTs: T0, toTs: T0 + 300_000_000 },
        { instrumentIdx: 1, fromTs: T0, toTs: T0 + 300_000_000 }
      ])
      expect(after.funding.length).toBe(2)
      expect((after.notes["recording"] as { runs: number }).runs).toBe(2)
      expect(yield* rec.summary).toMatchObject({ ticks: 2, totalTicks: 3, funding: 0 })
    }))

  it.effect("refuses a file that holds other instruments, or that is not a recording, before anything is written", () =>
    Effect.gen(function*() {
      const file = tempFile()
      // a recording of another market
      const other = createTickFile(file, { source: "hedgeloop live recording: backpack SOL_USDC_PERP", synthetic: false, proxy: [], createdAt: "", notes: { recording: { runs: 1 } } }, [
        { venue: "backpack", symbol: "SOL_USDC_PERP", base: "SOL", quote: "USDC", kind: "perp", tickSize: "0.01", stepSize: "0.01", minQty: "0.01", minNotional: "0", priceScale: 2, qtyScale: 2 }
      ])
      other.finish()
      const refused = (yield* recording({ path: file })).started
      expect(refused._tag === "Left" && refused.left.message).toBe(
        `--record ${file}: holds backpack SOL_USDC_PERP (tick 0.01, step 0.01, min qty 0.01, min notional 0), not backpack ASTER_USDC_PERP (tick 0.0001, step 0.01, min qty 0.01, min notional 0) + aster-futures ASTERUSDT (tick 0.00001, step 1, min qty 1, min notional 5); record into another file`
      )

      const sample = tempFile()
      const synthetic = createTickFile(sample, { source: "gen-data seed 1", synthetic: true, proxy: [], createdAt: "", notes: {} }, [
        { venue: "backpack", symbol: "ASTER_USDC_PERP", base: "ASTER", quote: "USDC", kind: "perp", tickSize: "0.0001", stepSize: "0.01", minQty: "0.01", minNotional: "0", priceScale: 4, qtyScale: 2 },
        { venue: "aster-futures", symbol: "ASTERUSDT", base: "ASTER", quote: "USDT", kind: "perp", tickSize: "0.00001", stepSize: "1", minQty: "1", minNotional: "5", priceScale: 5, qtyScale: 0 }
      ])
      synthetic.appendQuote(0, T0, 1, 1, 2, 1)
      synthetic.finish()
      const notRecording = (yield* recording({ path: sample })).started
      expect(notRecording._tag === "Left" && notRecording.left.message).toMatch(/is a tick file but not a recording \(gen-data seed 1\).*record into another file/)
      // untouched
      expect(ticksOf(sample).file.tickCount).toBe(1)
    }))

  it.effect("a second recorder into the same file is refused while the first records, and resumes the file once it has finished", () =>
    Effect.gen(function*() {
      const file = tempFile()
      const first = yield* recording({ path: file, nowUs: () => T0 })
      expect(first.started._tag).toBe("Right")
      first.maker.publish(() => quote("backpack", "0.7000", "10", "0.7002", "12"))
      const second = (yield* recording({ path: file, flag: "--out" })).started
      expect(second._tag === "Left" && second.left.message).toBe(
        `--out ${file}: in use by another recorder (process ${process.pid}, since ${new Date(JSON.parse(fs.readFileSync(`${fs.realpathSync(file)}.lock`, "utf8")).startedAt).toISOString()}): two recorders in one tick file would leave it unreadable. Stop it first (or record into another file)`
      )
      yield* first.end
      expect(fs.existsSync(`${fs.realpathSync(file)}.lock`)).toBe(false)
      // the refused start wrote nothing: the file holds the first recorder's tick, whole
      expect(ticksOf(file).file.tickCount).toBe(1)
      const third = yield* recording({ path: file, nowUs: () => T0 + 60_000_000 })
      expect(third.started._tag).toBe("Right")
      third.hedge.publish(() => quote("aster-futures", "0.70000", "100", "0.70010", "120"))
      yield* third.end
      expect(ticksOf(file).file.tickCount).toBe(2)
    }))

  it.effect("a venue's filter change is noted in the file, which keeps the filters it started with; a restart keeps the note, and a backtest of it warns", () =>
    Effect.gen(function*() {
      const file = tempFile()
      let now = T0
      const makerFilters = yield* Ref.make(BACKPACK)
      let refreshes = 0
      const logs: Array<string> = []
      const capture = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => void logs.push(Array.isArray(message) ? message.join(" ") : String(message))))
      const start = (instrument: Effect.Effect<Instrument>) =>
        Effect.gen(function*() {
          const scope = yield* Scope.make()
          const maker = makeMarketTaps()
          const hedge = makeMarketTaps()
          const makerVenue: Exchange = {
            ...streamingVenue(BACKPACK, maker),
            instrument,
            refreshInstrument: Effect.suspend(() => {
              refreshes += 1
              return instrument
            })
          }
          yield* Scope.extend(
            startMarketRecording({ maker: makerVenue, hedge: streamingVenue(ASTER, hedge) }, { kind: "live", path: file, commitEvery: "1 second", nowUs: () => now, refreshFiltersEvery: "90 seconds" }),
            scope
          ).pipe(Effect.provide(capture))
          return { maker, hedge, end: Scope.close(scope, Exit.void) }
        })

      const first = yield* start(Ref.get(makerFilters))
      // a minute of both books, the venue's tick coarser after 20 s
      for (let s = 0; s < 60; s++) {
        now = T0 + s * 1_000_000
        if (s === 20) yield* Ref.set(makerFilters, { ...BACKPACK, tickSize: decimal("0.001") })
        first.maker.publish(() => quote("backpack", "1.999", "500", "2.001", "500"))
        first.hedge.publish(() => quote("aster-futures", "1.99995", "5000", "2.00005", "5000"))
        yield* TestClock.adjust("1 second")
      }
      const change = { venue: "backpack", symbol: "ASTER_USDC_PERP", at: new Date((T0 + 20_000_000) / 1000).toISOString(), changes: ["tick 0.0001 → 0.001"] }
      expect(ticksOf(file).file.notes["recording"]).toMatchObject({ runs: 1, filterChanges: [change] })
      expect(logs.filter((line) => line.includes("changed its filters"))).toEqual([
        `--record ${file}: backpack ASTER_USDC_PERP changed its filters (tick 0.0001 → 0.001); the recording keeps those it started with (tick 0.0001), and a backtest of it warns of the change`
      ])
      // the venues' filters are re-read as often as asked, here every 90 s
      expect(refreshes).toBe(0)
      yield* TestClock.adjust("30 seconds")
      expect(refreshes).toBe(1)
      yield* first.end
      const done = ticksOf(file).file
      expect(done.instruments[0]!.tickSize).toBe("0.0001")
      expect(done.notes["recording"]).toMatchObject({ timestamps: "local receive time of each stream message (µs)", runs: 1, skipped: 0, filterChanges: [change] })

      // a restart on the old filters (the file's) appends, and keeps the note
      const second = yield* start(Effect.succeed(BACKPACK))
      now = T0 + 120_000_000
      second.maker.publish(() => quote("backpack", "1.999", "500", "2.001", "500"))
      yield* second.end
      expect(ticksOf(file).file.notes["recording"]).toMatchObject({ runs: 2, filterChanges: [change] })

      const report = yield* runBacktest({ dbPath: file, config: testConfig() })
      expect(report.data.warnings).toContain(
        `backpack ASTER_USDC_PERP changed its filters at ${change.at} while it was recorded (tick 0.0001 → 0.001): this backtest trades on those the recording started with throughout`
      )
    }))

  it.effect("a file that cannot be written any more ends the recording with a warning, keeping what was committed", () =>
    Effect.gen(function*() {
      const file = tempFile()
      let now = T0
      const r = yield* recording({ path: file, commitEvery: "1 second", nowUs: () => now })
      const rec = Effect.runSync(Effect.orDie(r.started))
      r.maker.publish(() => quote("backpack", "1.999", "1", "2.001", "1"))
      yield* TestClock.adjust("1 second")
      // a receive time the file cannot store: the writer refuses it, the recording stops
      now = Number.NaN
      expect(() => r.maker.publish(() => quote("backpack", "1.999", "1", "2.001", "1"))).not.toThrow()
      now = T0 + 2_000_000
      r.maker.publish(() => quote("backpack", "1.999", "1", "2.001", "1"))
      const summary = yield* rec.summary
      expect(summary.failure).toMatch(/timestamp is NaN/)
      yield* r.end
      expect(ticksOf(file).file.tickCount).toBe(1)
    }))
})
