/**
 * Getting market data in: a recording read while it is recorded, import's and gen-data's command
 * lines, and the prices of Aster's aggregate trades a recording keeps.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { it as effectIt } from "@effect/vitest"
import Database from "better-sqlite3"
import { Effect, Exit, Scope, TestClock } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeMarketTaps } from "../src/adapters/common/market-taps"
import { decimal } from "../src/core/domain/decimal"
import type { Instrument } from "../src/core/domain/instrument"
import { startMarketRecording } from "../src/live/market-recorder"
import { openTickFile } from "../src/sim/tickstore/reader"
import { type StoredInstrument, TickKind } from "../src/sim/tickstore/types"
import { BLOCK_SIZE } from "../src/sim/tickstore/schema"
import { openRecording } from "../src/sim/tickstore/writer"
import { PERP } from "./support/fake-local-venue"
import { runCommand } from "./support/run-command"
import { streamingVenue } from "./support/streaming-venue"

let dir = ""
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "hedgeloop-data-in-"))
})
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

const write = (name: string, lines: ReadonlyArray<string>): string => {
  const file = path.join(dir, name)
  fs.writeFileSync(file, lines.join("\n") + "\n")
  return file
}

const S = 1_758_700_000 // a second of 2025-09-24, as in the real recording
const T0 = S * 1_000_000

const INSTRUMENTS: Array<Omit<StoredInstrument, "idx">> = [
  { venue: "backpack", symbol: "ASTER_USDC_PERP", base: "ASTER", quote: "USDC", kind: "perp", tickSize: "0.0001", stepSize: "0.01", minQty: "0.01", minNotional: "0", priceScale: 4, qtyScale: 2 },
  { venue: "aster-futures", symbol: "ASTERUSDT", base: "ASTER", quote: "USDT", kind: "perp", tickSize: "0.0001", stepSize: "0.01", minQty: "0.01", minNotional: "5", priceScale: 4, qtyScale: 2 }
]

/** a recording's meta as `record` writes it */
const RECORDING_META = { source: "hedgeloop live recording: test", synthetic: false, proxy: [], createdAt: "2025-09-24T00:00:00.000Z", notes: { recording: { timestamps: "t", runs: 1 } } }

describe("reading a recording while it is being recorded", () => {
  // Was: meta's tick_count and the blocks were read in two snapshots: a recorder commit between them
  // made a sound recording "corrupt: meta/tick_count is 100 but the blocks hold 150 ticks".
  it("a commit between the reader's meta read and its block count does not make the file 'corrupt'", () => {
    const file = path.join(dir, "live-recording.db")
    const { writer } = openRecording(
      file,
      RECORDING_META,
      INSTRUMENTS
    )
    for (let i = 0; i < 100; i++) writer.appendQuote(i % 2, T0 + i, 20000, 100, 20001, 100)
    writer.commit()
    // the recorder's next commit comes right after the reader has read the meta table
    const prepare = Database.prototype.prepare
    let fired = false
    Database.prototype.prepare = function(this: Database.Database, sql: string) {
      const statement = prepare.call(this, sql)
      if (!fired && sql.startsWith("SELECT key, value FROM meta")) {
        const all = statement.all.bind(statement) as () => unknown
        ;(statement as unknown as { all: () => unknown }).all = () => {
          const rows = all()
          fired = true
          for (let i = 100; i < 150; i++) writer.appendQuote(i % 2, T0 + i, 20000, 100, 20001, 100)
          writer.commit()
          return rows
        }
      }
      return statement
    } as typeof prepare
    let opened: ReturnType<typeof openTickFile> | undefined
    try {
      opened = openTickFile(file)
    } finally {
      Database.prototype.prepare = prepare
      writer.finish()
    }
    expect(fired).toBe(true)
    // what the reader saw: the file as of one commit or the next, never a "corrupt" one
    expect([100, 150]).toContain(opened.tickCount)
    opened.close()
  })
  // Was: blocks were fetched one by one outside any snapshot: a block read while open, then filled,
  // was left behind as the replay moved to the next, a hole with no gap marked.
  it("iterating the blocks while the recorder commits never skips ticks in the middle", () => {
    const file = path.join(dir, "live-recording-iterated.db")
    const { writer } = openRecording(
      file,
      RECORDING_META,
      INSTRUMENTS
    )
    let appended = 0
    const append = (n: number) => {
      for (let k = 0; k < n; k++, appended++) writer.appendQuote(appended % 2, T0 + appended, 20000, 100, 20001, 100)
    }
    append(100)
    writer.commit()
    const reader = openTickFile(file)
    const seen: Array<number> = []
    const blocks = reader.blocks()
    const first = blocks.next()
    if (!first.done) seen.push(...first.value.ts)
    // the recorder goes on while the backtest replays the first block: it fills it and starts the next
    append(BLOCK_SIZE)
    writer.commit()
    for (const b of blocks) seen.push(...b.ts)
    reader.close()
    writer.finish()
    // whatever the reader saw, it is the recording's beginning without a hole
    expect(seen.length).toBeGreaterThanOrEqual(100)
    // ticks recorded between the first and the last one seen that the reader never returned
    const skipped = seen[seen.length - 1]! - T0 + 1 - seen.length
    expect({ seen: seen.length, skipped }).toEqual({ seen: seen.length, skipped: 0 })
  })
})

describe("import's command line", () => {
  // Was: exit 1 and messages without the flag ("gap seconds must be positive").
  it("out-of-range numeric options exit 2 and name the flag", async () => {
    const trades = write("cli-trades.csv", ["id,unix_timestamp_ms,side,price,quantity", `1,${S}100,buy,2.2890,10`, `2,${S}200,sell,2.2880,5`])
    const base = ["aster-csv", "--trades", trades, "--venue", "aster-futures", "--symbol", "ASTERUSDT", "--out", path.join(dir, "cli.db")]
    const cases: ReadonlyArray<readonly [ReadonlyArray<string>, RegExp]> = [
      [["--gap-seconds", "0"], /--gap-seconds/],
      [["--funding-interval-hours", "0", "--funding-rate", "0.0001"], /--funding-interval-hours/],
      [["--proxy", "backpack:ASTER_USDC_PERP", "--proxy-volume-ratio", "0"], /--proxy-volume-ratio/],
      [["--proxy", "backpack:ASTER_USDC_PERP", "--proxy-latency-ms=-5"], /--proxy-latency-ms/],
      [["--quote-clock-offset-ms", "0.0001"], /--quote-clock-offset-ms/],
      [["--proxy", "backpack:ASTER_USDC_PERP", "--proxy-spread-bps=-1"], /--proxy-spread-bps/],
      [["--tick-size", "0"], /--tick-size/]
    ]
    const results = await Promise.all(cases.map(([args]) => runCommand("src/cli/import.ts", [...base, ...args])))
    const seen = cases.flatMap(([args, flag], i) => {
      const r = results[i]!
      return r.code === 2 && flag.test(r.stderr) ? [] : [`${args.join(" ")}: exit ${r.code}, ${r.stderr.trim().split("\n")[0]}`]
    })
    expect(seen).toEqual([])
  }, 120_000)
})

describe("gen-data's command line", () => {
  // Was: "error: Invalid time value" (the summary formatted the first tick time of no tick), exit 1,
  // a file without ticks left behind.
  it("a sample with no tick in it is reported, not a RangeError", async () => {
    const out = path.join(dir, "no-ticks.db")
    const r = await runCommand("src/cli/gen-data.ts", ["--out", out, "--hours", "0.001", "--ticks-per-second", "0.01"])
    expect(r.all).not.toMatch(/Invalid time value/)
    expect(r.code === 0 || /tick/i.test(r.stderr), r.all).toBe(true)
  }, 60_000)
})

describe("recording Aster's aggregate trades", () => {
  const ASTER: Instrument = { ...PERP, venue: "aster-futures", symbol: "ASTERUSDT", quote: "USDT", minNotional: decimal("5") }
  // Was: skipped as off the grid: Aster's @aggTrade prints its largest trades (half a day's volume)
  // at an average price between ticks, which `import` keeps and a recording lost.
  effectIt.effect("keeps an aggTrade printed at an average price between ticks, as the importer does", () =>
    Effect.gen(function*() {
      const file = path.join(dir, "aster-aggtrades-recording.db")
      const scope = yield* Scope.make()
      const maker = makeMarketTaps()
      const hedge = makeMarketTaps()
      let now = T0
      const rec = yield* Scope.extend(
        startMarketRecording({ maker: streamingVenue(PERP, maker), hedge: streamingVenue(ASTER, hedge) }, { path: file, kind: "live", commitEvery: "1 second", nowUs: () => now }),
        scope
      )
      hedge.publish(() => ({ _tag: "Trade", trade: { venue: "aster-futures", ts: 0, price: decimal("2.2412"), qty: decimal("2328.19"), takerSide: "buy" } }))
      now += 1_000
      // aggregate 3593790 of aggtrades.csv: 77,334.32 ASTER at 2.241680 on average
      hedge.publish(() => ({ _tag: "Trade", trade: { venue: "aster-futures", ts: 0, price: decimal("2.24168"), qty: decimal("77334.32"), takerSide: "sell" } }))
      yield* TestClock.adjust("1 second")
      const summary = yield* rec.summary
      yield* Scope.close(scope, Exit.void)
      const f = openTickFile(file)
      const scale = 10 ** f.instruments[1]!.priceScale
      const trades: Array<[number, number, number]> = []
      for (const b of f.blocks())
        for (let i = 0; i < b.n; i++) if (b.kind[i] === TickKind.TradeBuy || b.kind[i] === TickKind.TradeSell) trades.push([b.kind[i]!, b.p1[i]! / scale, b.q1[i]!])
      f.close()
      expect({ skipped: summary.skipped, trades: trades.map(([k, p]) => [k, p]) }).toEqual({
        skipped: 0,
        trades: [
          [TickKind.TradeBuy, 2.2412],
          [TickKind.TradeSell, 2.24168]
        ]
      })
    }))
})

describe("a recording resumed while a backtest reads it", () => {
  // Was (for a while this session): the reader kept its snapshot, and its lock, until closed: a
  // restart recording into the file a backtest or local exchange was reading failed after 5 s with
  // "database is locked". Now the snapshot lasts while the counts are read, and the replay keeps to
  // the blocks (and ticks) that snapshot saw.
  it("a recording is resumed while a backtest holds the finished file open", () => {
    const file = path.join(dir, "recorded-and-resumed.db")
    {
      const { writer } = openRecording(file, RECORDING_META, INSTRUMENTS)
      for (let i = 0; i < 4; i++) writer.appendQuote(i % 2, T0 + i * 1000, 22880, 100, 22890, 100)
      writer.finish()
    }
    // a backtest (or a local exchange) of the recording, still reading it
    const reader = openTickFile(file)
    try {
      let failure: string | undefined
      try {
        const { writer } = openRecording(file, RECORDING_META, INSTRUMENTS)
        writer.appendQuote(0, T0 + 10_000, 22880, 100, 22890, 100)
        writer.commit()
        writer.finish()
      } catch (e) {
        failure = (e as Error).message
      }
      expect(failure).toBeUndefined()
    } finally {
      reader.close()
    }
  }, 30_000)
})
