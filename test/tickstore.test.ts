import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import Database from "better-sqlite3"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { openTickFile, TickFileError } from "../src/sim/tickstore/reader"
import { BLOCK_SIZE, FORMAT_VERSION } from "../src/sim/tickstore/schema"
import { type DataMeta, type StoredInstrument, TickKind } from "../src/sim/tickstore/types"
import { createTickFile, openRecording } from "../src/sim/tickstore/writer"

let dir = ""
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "hedgeloop-tickstore-"))
})
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

const INSTRUMENTS: Array<Omit<StoredInstrument, "idx">> = [
  {
    venue: "backpack",
    symbol: "ASTER_USDC_PERP",
    base: "ASTER",
    quote: "USDC",
    kind: "perp",
    tickSize: "0.0001",
    stepSize: "0.01",
    minQty: "0.01",
    minNotional: "0",
    priceScale: 4,
    qtyScale: 2
  },
  {
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
]

const META: Omit<DataMeta, "formatVersion"> = {
  source: "test",
  synthetic: true,
  proxy: [{ venue: "backpack", symbol: "ASTER_USDC_PERP", from: "aster-futures", parameters: { basisBps: "1.5", latencyMs: 40 } }],
  createdAt: "2025-09-24T00:00:00.000Z",
  notes: { hello: "world" }
}

/** Expected tick i of the round-trip file: kinds cycle, values chosen to be exact and distinct. */
const T0 = 1_758_672_000_000_000
const tickAt = (i: number) => {
  const ts = T0 + Math.floor(i / 3) * 1000 // three ticks share each timestamp
  const instrument = i % 2
  const kind = i % 7 === 6 ? TickKind.Depth : i % 3 === 0 ? TickKind.Quote : i % 3 === 1 ? TickKind.TradeBuy : TickKind.TradeSell
  return { ts, instrument, kind, a: 20000 + (i % 500), b: i * 3 + (i === 5 ? Number.MAX_SAFE_INTEGER - 15 : 0), c: 20001 + (i % 500), d: i % 11 }
}

const N = 2 * BLOCK_SIZE + 1234

const writeRoundTrip = (file: string) => {
  const w = createTickFile(file, META, INSTRUMENTS)
  let depthId = 0
  for (let i = 0; i < N; i++) {
    const t = tickAt(i)
    if (t.kind === TickKind.Quote) w.appendQuote(t.instrument, t.ts, t.a, t.b, t.c, t.d)
    else if (t.kind === TickKind.Depth) {
      const id = w.appendDepth(t.instrument, t.ts, { bids: [[t.a, t.b], [t.a - 1, 7]], asks: [[t.c, t.d]] })
      expect(id).toBe(++depthId)
    } else w.appendTrade(t.instrument, t.ts, t.a, t.b, t.kind === TickKind.TradeBuy ? "buy" : "sell")
  }
  w.addFunding({ instrumentIdx: 1, ts: T0 + 4 * 3_600_000_000, rate: "0.0001", markPrice: "2.00005" })
  w.addFunding({ instrumentIdx: 0, ts: T0 + 3_600_000_000, rate: "-0.000012", markPrice: "2.1" })
  w.addGap({ instrumentIdx: 0, fromTs: T0 + 5, toTs: T0 + 60_000_005 })
  w.setNote("import", { rows: 3 })
  expect(w.tickCount).toBe(N)
  w.finish()
  return depthId
}

describe("tick store round trip", () => {
  it("reads back exactly what was written, across block boundaries", () => {
    const file = path.join(dir, "roundtrip.db")
    const depthCount = writeRoundTrip(file)
    const f = openTickFile(file)
    try {
      expect(f.meta).toEqual({ ...META, formatVersion: FORMAT_VERSION, notes: { hello: "world", import: { rows: 3 } } })
      expect(f.instruments).toEqual(INSTRUMENTS.map((inst, idx) => ({ idx, ...inst })))
      expect(f.funding).toEqual([
        { instrumentIdx: 0, ts: T0 + 3_600_000_000, rate: "-0.000012", markPrice: "2.1" },
        { instrumentIdx: 1, ts: T0 + 4 * 3_600_000_000, rate: "0.0001", markPrice: "2.00005" }
      ])
      expect(f.gaps).toEqual([{ instrumentIdx: 0, fromTs: T0 + 5, toTs: T0 + 60_000_005 }])
      expect(f.tickCount).toBe(N)
      expect(f.depthCount).toBe(depthCount)
      expect(f.quoteCount + f.tradeCount + f.depthCount).toBe(N)
      expect(f.firstTs).toBe(tickAt(0).ts)
      expect(f.lastTs).toBe(tickAt(N - 1).ts)
      expect(f.blockCount).toBe(3)

      const sizes: Array<number> = []
      const mismatches: Array<string> = []
      let i = 0
      let depthSeen = 0
      for (const b of f.blocks()) {
        sizes.push(b.n)
        for (const arr of [b.ts, b.kind, b.instrument, b.p1, b.q1, b.p2, b.q2]) expect(arr.length).toBe(b.n)
        for (let k = 0; k < b.n; k++, i++) {
          const t = tickAt(i)
          let want: Array<number>
          if (t.kind === TickKind.Quote) want = [t.a, t.b, t.c, t.d]
          else if (t.kind === TickKind.Depth) {
            want = [++depthSeen, 0, 0, 0]
            if (depthSeen % 97 === 1) expect(f.depth(depthSeen)).toEqual({ bids: [[t.a, t.b], [t.a - 1, 7]], asks: [[t.c, t.d]] })
          } else want = [t.a, t.b, 0, 0]
          const got = [b.ts[k], b.instrument[k], b.kind[k], b.p1[k], b.q1[k], b.p2[k], b.q2[k]]
          const expected = [t.ts, t.instrument, t.kind, ...want]
          if (got.some((v, j) => v !== expected[j]) && mismatches.length < 3) mismatches.push(`tick ${i}: got ${got.join(",")} want ${expected.join(",")}`)
        }
      }
      expect(mismatches).toEqual([])
      expect(i).toBe(N)
      expect(sizes).toEqual([BLOCK_SIZE, BLOCK_SIZE, 1234])
      // the large value survived exactly
      expect(tickAt(5).b).toBe(Number.MAX_SAFE_INTEGER)

      // blocks() can start later; each call is an independent pass
      const late = [...f.blocks({ fromTs: tickAt(BLOCK_SIZE + 10).ts })]
      expect(late.map((b) => b.n)).toEqual([BLOCK_SIZE, 1234])
      expect(late[0]!.ts[0]).toBe(tickAt(BLOCK_SIZE).ts)
      expect([...f.blocks()].length).toBe(3)
      expect(() => f.depth(999_999)).toThrow(TickFileError)
    } finally {
      f.close()
    }
  })

  it("stores an empty file and replaces an existing tick file at the path, but no other file", () => {
    const file = path.join(dir, "replace.db")
    const old = createTickFile(file, META, INSTRUMENTS)
    old.appendQuote(0, T0, 1, 1, 2, 2)
    old.finish()
    const w = createTickFile(file, META, INSTRUMENTS)
    w.finish()
    const f = openTickFile(file)
    expect(f.tickCount).toBe(0)
    expect(Number.isNaN(f.firstTs)).toBe(true)
    expect([...f.blocks()]).toEqual([])
    f.close()
    // anything else at the path (a config, notes, a journal) is kept, and the writer says why
    const notes = path.join(dir, "notes.db")
    fs.writeFileSync(notes, "old contents")
    expect(() => createTickFile(notes, META, INSTRUMENTS)).toThrow(`${notes}: exists and is not a tick file; not replaced (remove it, or choose another file)`)
    expect(fs.readFileSync(notes, "utf8")).toBe("old contents")
  })

  it("abort() deletes the unfinished file", () => {
    const file = path.join(dir, "aborted.db")
    const w = createTickFile(file, META, INSTRUMENTS)
    w.appendQuote(0, T0, 1, 1, 2, 2)
    w.abort()
    expect(fs.existsSync(file)).toBe(false)
  })
})

describe("recording writer (openRecording)", () => {
  const RECORDING_META = { ...META, synthetic: false, proxy: [], notes: { recording: { runs: 1 } } }
  const tsOf = (f: ReturnType<typeof openTickFile>) => [...f.blocks()].flatMap((b) => [...b.ts])

  it("is a complete file after every commit: the open block is stored and later replaced, blocks stay full-sized", () => {
    const file = path.join(dir, "recording.db")
    const { writer, resumed } = openRecording(file, RECORDING_META, INSTRUMENTS)
    expect(resumed).toBeUndefined()
    const total = BLOCK_SIZE + 10
    for (let i = 0; i < total; i++) {
      writer.appendTrade(i % 2, T0 + i, 100 + i, 1, i % 3 === 0 ? "buy" : "sell")
      if ((i + 1) % 5000 === 0 || i + 1 === total) {
        writer.commit()
        // another process reads what is committed, while the writer goes on
        const f = openTickFile(file)
        expect([f.tickCount, f.lastTs]).toEqual([i + 1, T0 + i])
        expect(tsOf(f)).toEqual(Array.from({ length: i + 1 }, (_, k) => T0 + k))
        f.close()
      }
    }
    // uncommitted ticks are not visible until the next commit
    writer.appendTrade(0, T0 + total, 1, 1, "buy")
    const before = openTickFile(file)
    expect(before.tickCount).toBe(total)
    before.close()
    writer.finish()
    const f = openTickFile(file)
    expect([f.tickCount, f.blockCount, f.tradeCount]).toEqual([total + 1, 2, total + 1])
    f.close()
    expect(fs.existsSync(`${file}-wal`)).toBe(false)
  })

  it("resumes a recording: counts, times and block ids continue; abort keeps what was committed", () => {
    const file = path.join(dir, "resumed.db")
    const first = openRecording(file, RECORDING_META, INSTRUMENTS).writer
    first.appendQuote(0, T0, 10, 1, 11, 1)
    first.finish()
    const { writer, resumed } = openRecording(file, { ...RECORDING_META, source: "ignored for an existing file" }, INSTRUMENTS)
    expect([resumed?.tickCount, resumed?.lastTs]).toEqual([1, T0])
    expect(writer.lastTs).toBe(T0)
    expect(() => writer.appendQuote(1, T0 - 1, 10, 1, 11, 1)).toThrow(/non-decreasing time order/)
    writer.appendQuote(1, T0 + 5, 20, 2, 21, 2)
    writer.commit()
    writer.appendQuote(1, T0 + 6, 20, 2, 21, 2)
    writer.abort()
    const f = openTickFile(file)
    expect([f.tickCount, f.quoteCount, f.blockCount, f.firstTs, f.lastTs, f.meta.source]).toEqual([2, 2, 2, T0, T0 + 5, META.source])
    expect(tsOf(f)).toEqual([T0, T0 + 5])
    f.close()
  })
})

describe("writer validation", () => {
  it("refuses ticks out of time order, across instruments, but accepts equal timestamps", () => {
    const file = path.join(dir, "order.db")
    const w = createTickFile(file, META, INSTRUMENTS)
    w.appendQuote(0, T0 + 10, 1, 1, 2, 2)
    w.appendTrade(1, T0 + 10, 1, 1, "buy")
    expect(() => w.appendTrade(1, T0 + 9, 1, 1, "sell")).toThrow(/non-decreasing time order: 1758672000000009 µs after 1758672000000010 µs/)
    expect(() => w.appendQuote(0, T0 + 9, 1, 1, 2, 2)).toThrow(/non-decreasing/)
    expect(() => w.appendDepth(0, T0 + 9, { bids: [], asks: [] })).toThrow(/non-decreasing/)
    expect(w.tickCount).toBe(2)
    w.appendQuote(1, T0 + 11, 1, 1, 2, 2)
    w.finish()
    expect(openTickFile(file).tickCount).toBe(3)
  })

  it("refuses non-integer values, unknown instruments and appends after finish", () => {
    const file = path.join(dir, "invalid.db")
    const w = createTickFile(file, META, INSTRUMENTS)
    expect(() => w.appendQuote(0, T0 + 0.5, 1, 1, 2, 2)).toThrow(/integer/)
    expect(() => w.appendQuote(0, T0, 1.5, 1, 2, 2)).toThrow(/integer units/)
    expect(() => w.appendTrade(2, T0, 1, 1, "buy")).toThrow(/instrument index 2/)
    expect(() => w.appendTrade(0, NaN, 1, 1, "buy")).toThrow(/NaN/)
    w.finish()
    expect(() => w.appendQuote(0, T0, 1, 1, 2, 2)).toThrow(/finished/)
  })
})

describe("reader errors", () => {
  it("names the path and the problem", () => {
    const missing = path.join(dir, "missing.db")
    expect(() => openTickFile(missing)).toThrow(TickFileError)
    expect(() => openTickFile(missing)).toThrow(`${missing}: no such file`)

    const text = path.join(dir, "text.db")
    fs.writeFileSync(text, "this is not a database, just some text that is long enough ".repeat(200))
    expect(() => openTickFile(text)).toThrow(`${text}: not an SQLite database`)

    const other = path.join(dir, "other.db")
    const db = new Database(other)
    db.exec("CREATE TABLE t (x)")
    db.close()
    expect(() => openTickFile(other)).toThrow(`${other}: not a hedgeloop tick file (no meta table)`)

    const noVersion = path.join(dir, "noversion.db")
    const db2 = new Database(noVersion)
    db2.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    db2.close()
    expect(() => openTickFile(noVersion)).toThrow(`${noVersion}: not a hedgeloop tick file (no meta/format_version)`)
  })

  const tamper = (name: string, sql: string) => {
    const file = path.join(dir, name)
    writeRoundTrip(file)
    const db = new Database(file)
    db.exec(sql)
    db.close()
    return file
  }

  it("refuses other format versions", () => {
    const file = tamper("v2.db", "UPDATE meta SET value = '2' WHERE key = 'format_version'")
    expect(() => openTickFile(file)).toThrow(`${file}: unsupported tick file format version 2 (this build reads version 1)`)
  })

  it("refuses unfinished files", () => {
    const file = tamper("unfinished.db", "DELETE FROM meta WHERE key = 'tick_count'")
    expect(() => openTickFile(file)).toThrow(/unfinished tick file/)
  })

  it("refuses corrupt block lengths", () => {
    const file = tamper("corrupt.db", "UPDATE tick_blocks SET q2 = zeroblob(16) WHERE id = 2")
    expect(() => openTickFile(file)).toThrow(`${file}: corrupt block 2: column lengths do not match n = ${BLOCK_SIZE}`)
    const file2 = tamper("count.db", "UPDATE meta SET value = '5' WHERE key = 'tick_count'")
    expect(() => openTickFile(file2)).toThrow(/meta\/tick_count is 5 but the blocks hold/)
  })
})
